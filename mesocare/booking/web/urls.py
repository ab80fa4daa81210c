from django.urls import path

from mesocare.booking.web import views

app_name = "booking"

urlpatterns = [
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/slots", views.slots, name="slots"),
    path("<slug:slug>/hold", views.hold, name="hold"),
    path("<slug:slug>/details/<str:token>", views.details, name="details"),
    path("<slug:slug>/done/<str:token>", views.done, name="done"),
]
