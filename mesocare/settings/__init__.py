"""mesocare settings: every value comes from the environment, with a safe default per key."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from mesocare.settings.env import (
    SettingsError,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MESOCARE_VAR_DIR", str(BASE_DIR / "var")))

# MESOCARE_PROD flips every security default to its production value (`mesocare serve --prod`).
PROD = env_bool("MESOCARE_PROD", False)
DEBUG = env_bool("DEBUG", False)
if PROD and DEBUG:
    raise SettingsError("DEBUG must be off in production (MESOCARE_PROD=1)")


def _secret_key() -> str:
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    if PROD:
        raise SettingsError("SECRET_KEY must be set in production (MESOCARE_PROD=1)")
    # Demo and development: a key generated once and kept under var/.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PROD else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "mesocare.accounts",
    "mesocare.password_reset",
    "mesocare.clinics",
    "mesocare.audit",
    "mesocare.catalog",
    "mesocare.patients",
    "mesocare.assessments",
    "mesocare.plans",
    "mesocare.safety",
    "mesocare.scheduling",
    "mesocare.inventory",
    "mesocare.charting",
    "mesocare.billing",
    "mesocare.outcomes",
    "mesocare.notify",
    "mesocare.portal",
    "mesocare.booking",
    "mesocare.idempotency",
    "mesocare.imports",
    "mesocare.fhir.bulk",
    "mesocare.api",
    "mesocare.web",
    "mesocare.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mesocare.lib.server_timing.ServerTimingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "mesocare.web.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "mesocare.lib.no_store.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mesocare.clinics.middleware.ActorMiddleware",
    "mesocare.web.twofactor.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

if env_bool("MESOCARE_REQUEST_STATS", False):
    MIDDLEWARE.insert(0, "mesocare.lib.request_stats.RequestStatsMiddleware")

ROOT_URLCONF = "mesocare.urls"
WSGI_APPLICATION = "mesocare.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesocare.web.context.actor",
            ],
        },
    }
]
# Django's widget markup, select boxes without a template per option (mesocare/lib/form_renderer.py)
FORM_RENDERER = "mesocare.lib.form_renderer.FormRenderer"

_default_db = f"sqlite:///{VAR_DIR / 'mesocare.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN, which serializes booking transactions instead of failing them mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        # Wait up to 20 s for a lock from the connection's first statement on (a busy_timeout
        # pragma would come after journal_mode, which then failed after the driver's 5 s; 10 s
        # was once too short for a connection opening during a burst of writes on a busy machine).
        "timeout": 20,
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend whose migrations keep tenant tables' keys composite
        # (organization_id in every key), so the schema can be distributed by organization.
        DATABASES["default"]["ENGINE"] = "mesocare.lib.db.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    # Behind a pooler in transaction mode (PgBouncer) a cursor cannot outlive its transaction:
    # `.iterator()` (audit CSV, FHIR export) then reads in chunks without a server-side cursor.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DB_DISABLE_SERVER_SIDE_CURSORS", False
    )
    # Statements of server-binding cursors (only the booking statement: Django's own cursors
    # bind on the client) are prepared after this many runs on one connection (0: at once);
    # -1 turns preparing off (needed behind PgBouncer older than 1.21 in transaction mode).
    _prepare_threshold = env_int("DB_PREPARE_THRESHOLD", 0)
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "prepare_threshold": None if _prepare_threshold < 0 else _prepare_threshold,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env_str("REDIS_URL", ""):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL", ""),
    }

TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks); the client's
# address is the right-most hop that is not one of them. Empty: the direct peer is the client.
MESOCARE_TRUSTED_PROXIES = env_networks("MESOCARE_TRUSTED_PROXIES", [])
# Sign-in lockout: an account after AXES_FAILURE_LIMIT failures (from anywhere), a client
# address after MESOCARE_IP_FAILURE_LIMIT failures (for any accounts), each for the cool-off.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
MESOCARE_IP_FAILURE_LIMIT = env_int("MESOCARE_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "mesocare.clinics.middleware.client_ip"
AXES_HANDLER = "mesocare.clinics.lockout.LockoutHandler"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "mesocare.clinics.lockout.username_of"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

MESOCARE_REQUIRE_2FA = env_bool("MESOCARE_REQUIRE_2FA", False)
# Months every audit event is kept before `mesocare audit archive` may remove it: 72 (six
# years), the longest common minimum for health records' access logs (e.g. HIPAA keeps security
# documentation six years); set it to your country's rule if that is longer.
MESOCARE_AUDIT_RETENTION_MONTHS = env_int("MESOCARE_AUDIT_RETENTION_MONTHS", 72)
# Days a staff invitation link stays valid; password-reset links are valid for minutes.
MESOCARE_INVITATION_DAYS = env_int("MESOCARE_INVITATION_DAYS", 7)
# Largest CSV file the switching import reads (admin page and `mesocare import csv`).
IMPORT_MAX_BYTES = env_int("MESOCARE_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# FHIR Bulk Data export: exports running at once per organization (more: 429), lines per ndjson
# file, hours the files are kept.
FHIR_EXPORT_MAX_RUNNING = env_int("MESOCARE_FHIR_EXPORT_MAX_RUNNING", 2)
FHIR_EXPORT_FILE_LINES = env_int("MESOCARE_FHIR_EXPORT_FILE_LINES", 100_000)
FHIR_EXPORT_RETENTION_HOURS = env_int("MESOCARE_FHIR_EXPORT_RETENTION_HOURS", 24)
# Connections an export reads with, on one snapshot (PostgreSQL; 1: one type at a time).
FHIR_EXPORT_CONNECTIONS = env_int("MESOCARE_FHIR_EXPORT_CONNECTIONS", 2)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60) * 60
# "Forgot my password" requests accepted per hour, per email address and per client address.
MESOCARE_RESET_LIMIT_PER_EMAIL = env_int("MESOCARE_RESET_LIMIT_PER_EMAIL", 3)
MESOCARE_RESET_LIMIT_PER_ADDRESS = env_int("MESOCARE_RESET_LIMIT_PER_ADDRESS", 10)
# Online booking (docs/online-booking.md): proof-of-work difficulty and bookings per hour; the
# other rate limits keep their defaults (mesocare.booking.services.abuse.DEFAULT_LIMITS).
MESOCARE_ONLINE_BOOKING_POW_BITS = env_int("MESOCARE_ONLINE_BOOKING_POW_BITS", 14)
MESOCARE_ONLINE_BOOKING_LIMITS: dict[str, tuple[int, int]] = {
    "book_identity": (env_int("MESOCARE_ONLINE_BOOKINGS_PER_EMAIL", 5), 3600),
    "book_ip": (env_int("MESOCARE_ONLINE_BOOKINGS_PER_ADDRESS", 20), 3600),
}
OTP_TOTP_ISSUER = "mesocare"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "mesocare" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "mesocare.web.storage.StaticFilesStorage"
        if PROD
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PROD
# Patient files (photos) live outside any public URL; they are served by audited views only.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "private")))

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PROD
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mesocare <no-reply@localhost>")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# Patient messages (mesocare.notify) and the patient portal links (mesocare.portal).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SMS_BACKEND = env_str("SMS_BACKEND", "console")  # console | webhook | journal | null | dotted
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL", "")
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET", "")
NOTIFY_QUIET_HOURS = env_str("NOTIFY_QUIET_HOURS", "21:00-08:00")  # location time; "" = off
NOTIFY_JOURNAL_PATH = env_str("NOTIFY_JOURNAL_PATH", str(VAR_DIR / "outbox-journal.jsonl"))
NOTIFY_JOURNAL_DELAY_MS = env_int("NOTIFY_JOURNAL_DELAY_MS", 0)
NOTIFY_SEND_TIMEOUT = env_int("NOTIFY_SEND_TIMEOUT", 10)
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120)
if 3 * max(NOTIFY_SEND_TIMEOUT, EMAIL_TIMEOUT) > NOTIFY_LEASE_SECONDS:
    raise SettingsError("NOTIFY_LEASE_SECONDS must be at least 3x the send timeouts")

# Hours a waiting patient has to accept a freed slot before the worker passes it on.
WAITLIST_OFFER_HOURS = env_int("WAITLIST_OFFER_HOURS", 24)
if WAITLIST_OFFER_HOURS < 1:
    raise SettingsError("WAITLIST_OFFER_HOURS must be at least 1")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PROD)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PROD)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PROD)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PROD else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PROD
SECURE_HSTS_PRELOAD = PROD
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_TLS_PROXY", PROD):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
