from django.urls import path, re_path

from mesocare.web.views import (
    account,
    appointment_booking,
    assessments,
    audit,
    auth,
    billing,
    billing_legal,
    catalog,
    charting,
    course_booking,
    home,
    imports,
    inventory,
    membership,
    messages,
    org,
    outcomes,
    password_reset,
    patients,
    plans,
    records,
    safety,
    scheduling,
    smart_clients,
    sms_texts,
    time_off,
    two_factor,
)

app_name = "web"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    path("login", auth.LoginView.as_view(), name="login"),
    path("logout", auth.LogoutView.as_view(), name="logout"),
    path("password-reset", password_reset.request_reset, name="password-reset"),
    path(
        "password-reset/<uidb64>/<token>",
        password_reset.ConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("account/2fa/verify", two_factor.verify, name="2fa-verify"),
    path("account/2fa/setup", two_factor.setup, name="2fa-setup"),
    path("switch-organization", home.switch_organization, name="switch-org"),
    path("choose-organization", membership.choose_organization, name="choose-org"),
    path("invitations/<str:token>", membership.accept_invitation, name="invitation-accept"),
    # patients (foundation UI)
    path("patients", patients.patient_list, name="patient-list"),
    path("patients/search", patients.patient_search, name="patient-search"),
    path("patients/new", patients.patient_create, name="patient-create"),
    path("patients/<int:patient_id>", patients.patient_detail, name="patient-detail"),
    path("patients/<int:patient_id>/edit", patients.patient_edit, name="patient-edit"),
    path(
        "patients/<int:patient_id>/allergies", records.patient_allergies, name="patient-allergies"
    ),
    path("patients/<int:patient_id>/allergies/add", records.add_allergy, name="allergy-add"),
    path("patients/<int:patient_id>/audit", audit.patient_audit, name="patient-audit"),
    path(
        "patients/<int:patient_id>/consents/<int:consent_id>/withdraw",
        records.withdraw_consent,
        name="consent-withdraw",
    ),
    re_path(
        r"^patients/(?P<patient_id>[0-9]+)/(?P<kind>medications|conditions|weights|consents)/add$",
        records.add_record,
        name="record-add",
    ),
    re_path(
        r"^patients/(?P<patient_id>[0-9]+)/(?P<kind>allergies|medications|conditions)"
        r"/(?P<record_id>[0-9]+)/end$",
        records.end_record,
        name="record-end",
    ),
    # safety
    path("patients/<int:patient_id>/safety", safety.patient_safety, name="patient-safety"),
    path("safety/checks/<int:check_id>/override", safety.override_check, name="safety-override"),
    path("safety/overrides", safety.overrides_report, name="safety-overrides"),
    path("safety/rules", safety.safety_rules, name="safety-rules"),
    path("safety/rules/<slug:code>", safety.set_safety_rule, name="safety-rule-set"),
    # scheduling
    path("calendar", scheduling.calendar, name="calendar"),
    path("calendar/book", appointment_booking.appointment_new, name="appointment-new"),
    path(
        "calendar/book/patients",
        appointment_booking.book_patient_search,
        name="book-patient-search",
    ),
    path(
        "appointments/<int:appointment_id>",
        scheduling.appointment_panel,
        name="appointment-panel",
    ),
    path(
        "appointments/<int:appointment_id>/move",
        scheduling.appointment_move,
        name="appointment-move",
    ),
    re_path(
        r"^appointments/(?P<appointment_id>[0-9]+)/(?P<action>check-in|complete|no-show|cancel)$",
        scheduling.appointment_action,
        name="appointment-action",
    ),
    path("plans/<int:plan_id>/book", course_booking.book_course, name="book-course"),
    path(
        "patients/<int:patient_id>/appointments",
        scheduling.patient_appointments,
        name="patient-appointments",
    ),
    path("ical/<str:token>.ics", scheduling.ical_feed, name="ical-feed"),
    # charting
    path("patients/<int:patient_id>/sessions", charting.patient_sessions, name="patient-sessions"),
    path("patients/<int:patient_id>/sessions/new", charting.session_new, name="session-new"),
    path(
        "appointments/<int:appointment_id>/session",
        charting.appointment_session,
        name="appointment-session",
    ),
    path("sessions/<int:session_id>", charting.session_page, name="session"),
    path("sessions/<int:session_id>/edit", charting.session_update, name="session-update"),
    path("sessions/<int:session_id>/injections", charting.injection_add, name="injection-add"),
    path(
        "sessions/<int:session_id>/injections/<int:n>/delete",
        charting.injection_delete,
        name="injection-delete",
    ),
    path(
        "sessions/<int:session_id>/side-effects", charting.side_effect_add, name="side-effect-add"
    ),
    path("sessions/<int:session_id>/sign", charting.session_sign, name="session-sign"),
    path("sessions/<int:session_id>/discard", charting.session_discard, name="session-discard"),
    path("sessions/<int:session_id>/amendments", charting.amendment_add, name="amendment-add"),
    path("sessions/<int:session_id>/summary.pdf", charting.session_pdf, name="session-pdf"),
    # stock
    path("stock", inventory.lot_list, name="lot-list"),
    path("stock/receive", inventory.lot_receive, name="lot-receive"),
    path("stock/lots/<int:lot_id>", inventory.lot_detail, name="lot-detail"),
    path("stock/lots/<int:lot_id>/movements", inventory.lot_movement, name="lot-movement"),
    path("stock/lots/<int:lot_id>/recall", inventory.lot_recall, name="lot-recall"),
    path(
        "stock/lots/<int:lot_id>/notify-recipients",
        inventory.lot_notify_recipients,
        name="lot-notify-recipients",
    ),
    path("stock/lots/<int:lot_id>/recipients", inventory.lot_recipients, name="lot-recipients"),
    path(
        "stock/lots/<int:lot_id>/recipients.csv",
        inventory.lot_recipients_csv,
        name="lot-recipients-csv",
    ),
    # organization (foundation UI)
    path("org/imports", imports.import_index, name="imports"),
    path("org/imports/<int:upload_id>", imports.import_detail, name="import-detail"),
    path("org/legal", billing_legal.legal_details, name="legal-details"),
    path("org/locations", org.location_list, name="location-list"),
    path("org/locations/new", org.location_create, name="location-create"),
    path("org/locations/<int:location_id>/edit", org.location_edit, name="location-edit"),
    path("org/rooms", org.room_list, name="room-list"),
    path("org/rooms/new", org.room_create, name="room-create"),
    path("org/rooms/<int:room_id>/edit", org.room_edit, name="room-edit"),
    path("org/staff", org.staff_list, name="staff-list"),
    path("org/staff/new", org.staff_add, name="staff-add"),
    path("org/staff/<int:membership_id>/edit", org.staff_edit, name="staff-edit"),
    path(
        "org/staff/<int:membership_id>/deactivate",
        org.staff_deactivate,
        name="staff-deactivate",
    ),
    path(
        "org/staff/<int:membership_id>/reactivate",
        org.staff_reactivate,
        name="staff-reactivate",
    ),
    path("org/staff/<int:membership_id>/unlock", org.staff_unlock, name="staff-unlock"),
    path(
        "org/invitations/<int:invitation_id>/revoke",
        org.invitation_revoke,
        name="invitation-revoke",
    ),
    path("org/staff/<int:membership_id>/hours", org.working_hours, name="staff-hours"),
    path(
        "org/staff/<int:membership_id>/two-factor/reset",
        two_factor.staff_reset,
        name="staff-2fa-reset",
    ),
    # audit and account (foundation UI)
    path("audit", audit.audit_log, name="audit-log"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("account", account.account, name="account"),
    path("account/language", account.set_language, name="account-language"),
    path("account/tokens", account.create_token, name="token-create"),
    path("account/tokens/<int:token_id>/revoke", account.revoke_token, name="token-revoke"),
]

# catalog browser, assessments and plans (each view module lists its own routes)
urlpatterns += catalog.urlpatterns + assessments.urlpatterns + plans.urlpatterns

# patient messages, alerts, outcomes and reports (issue 8)
urlpatterns += messages.urlpatterns + outcomes.urlpatterns
# SMS texts and their length (issue 15)
urlpatterns += sms_texts.urlpatterns
# SMART backend clients that may read the FHIR API (issue 17)
urlpatterns += smart_clients.urlpatterns

# time off (blocks) of practitioners and rooms, per location
urlpatterns += time_off.urlpatterns

# reached from the calendar: the waitlist of a location, calendar feeds
from mesocare.web.views import calendar_tools  # noqa: E402

urlpatterns += calendar_tools.urlpatterns

# the till: patient account, checkout, invoices, takings, prices and courses
urlpatterns += billing.urlpatterns

# the till's admin and corrections: edit prices and courses, the cancellation policy, cancel a
# course, refund a credit note, credit chosen lines
from mesocare.web.views import till_manage  # noqa: E402

urlpatterns += till_manage.urlpatterns

# online booking: settings, services offered online, patient-reported intake to confirm
from mesocare.web.views import online_booking  # noqa: E402

urlpatterns += online_booking.urlpatterns

# business reports: no-shows, packages, product cost, lapsed patients, utilisation (issue 16)
from mesocare.web.views import business_reports  # noqa: E402

urlpatterns += business_reports.urlpatterns

# a patient's portal access: sign-in link, guardian access, switch an account off (issue 15)
from mesocare.web.views import portal_access  # noqa: E402

urlpatterns += portal_access.urlpatterns

# plans and session summaries shared with the patient in the portal (issue 15)
from mesocare.web.views import sharing  # noqa: E402

urlpatterns += sharing.urlpatterns
