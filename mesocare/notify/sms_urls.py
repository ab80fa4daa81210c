from django.urls import path

from mesocare.notify import sms_views

app_name = "sms"

urlpatterns = [
    path("twilio/inbound", sms_views.twilio_inbound, name="twilio_inbound"),
    path("twilio/status", sms_views.twilio_status, name="twilio_status"),
]
