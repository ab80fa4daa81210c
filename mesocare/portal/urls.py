from django.urls import path

from mesocare.portal import views

app_name = "portal"

urlpatterns = [
    path("pre-care/<str:token>", views.precare, name="precare"),
    path("check-in/<str:token>", views.checkin, name="checkin"),
    path("recall/<str:token>", views.recall, name="recall"),
]
