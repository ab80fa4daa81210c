from django.urls import path

from mesocare.portal import account_views, inbox_views, views

app_name = "portal"

urlpatterns = [
    path("pre-care/<str:token>", views.precare, name="precare"),
    path("check-in/<str:token>", views.checkin, name="checkin"),
    path("recall/<str:token>", views.recall, name="recall"),
    # The patient's account
    path("sign-in", account_views.sign_in_page, name="sign_in"),
    path("sign-in/link/<str:token>", account_views.magic_link, name="magic_link"),
    path("sign-in/code", account_views.second_factor, name="second_factor"),
    path("sign-out", account_views.sign_out_view, name="sign_out"),
    path("account/", account_views.home, name="home"),
    path("account/switch", account_views.switch, name="switch"),
    path("account/consents/<str:kind>", account_views.consent, name="consent"),
    path(
        "account/sessions/<str:session_id>/side-effect",
        account_views.report_side_effect,
        name="report_side_effect",
    ),
    path("account/security", account_views.security, name="security"),
    path("account/messages", inbox_views.messages, name="messages"),
    path("account/messages/<int:message_id>", inbox_views.message, name="message"),
    path("account/documents/<int:document_id>.pdf", inbox_views.document, name="document"),
    path("account/data", account_views.data, name="data"),
    path("account/data/record.json", account_views.record_json, name="record_json"),
    path("account/data/record.pdf", account_views.record_pdf, name="record_pdf"),
]
