from django.contrib.auth import views as auth_views
from django.urls import path

from mesocare.web.views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    path("login", auth.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/verify", auth.verify_2fa, name="2fa-verify"),
    path("account/2fa/setup", auth.setup_2fa, name="2fa-setup"),
    path("switch-organization", home.switch_organization, name="switch-org"),
]
