from django.urls import path

from mesocare.booking.web import course_views, views

app_name = "booking"

urlpatterns = [
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/slots", views.slots, name="slots"),
    path("<slug:slug>/hold", views.hold, name="hold"),
    path("<slug:slug>/details/<str:token>", views.details, name="details"),
    path("<slug:slug>/done/<str:token>", views.done, name="done"),
]

urlpatterns += [
    path("<slug:slug>/course/", course_views.course_page, name="course"),
    path("<slug:slug>/course/book", course_views.course_book, name="course-book"),
    path(
        "<slug:slug>/course/move/<int:appointment_id>", course_views.course_move, name="course-move"
    ),
]
