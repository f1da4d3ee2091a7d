"""Settings, read from environment variables with safe development defaults.

Every setting a deployment may change is listed in docs/configuration.md (a test checks that).
"""

import contextlib
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CAIM_VAR_DIR", PACKAGE_DIR.parent.parent / "var"))

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Fail closed: a misspelt environment ("prod", "Production") must not quietly run development settings.
ENVIRONMENTS = ("development", "production")
CAIM_ENV = os.environ.get("CAIM_ENV", "development")
if CAIM_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"CAIM_ENV={CAIM_ENV!r} is not one of: {', '.join(ENVIRONMENTS)}.")
PRODUCTION = CAIM_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
MIN_SECRET_KEY_LENGTH = 50  # as Django's own deployment check asks
if PRODUCTION and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "CAIM_ENV=production needs a SECRET_KEY of its own; refusing the development key."
    )
if PRODUCTION and (len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too short or too simple for production: use at least {MIN_SECRET_KEY_LENGTH} random "
        "characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

# Production never runs with DEBUG, whatever the environment says (debug pages show settings and code).
DEBUG = False if PRODUCTION else env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "template_partials",
    "django_htmx",
    "ninja",  # its Swagger UI files, served locally for /api/docs
    "caim.taxonomy",
    "caim.records",
    "caim.search",
    "caim.interop",
    "caim.stats",
    "caim.site",
    "caim.editorial",
    "caim.intake",
    "django_tasks",
    "django_tasks_db",  # the tasks table, whichever backend runs them: its migrations stay the same everywhere
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.gzip.GZipMiddleware",  # text answers compressed when the client accepts it
    "caim.site.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "caim.site.middleware.RejectNulMiddleware",
    "caim.api.http.ApiCorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "caim.urls"
WSGI_APPLICATION = "caim.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caim.site.context.site",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'caim.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while the publish action writes; IMMEDIATE avoids upgrade deadlocks. Connections are
    # kept like PostgreSQL's (CONN_MAX_AGE): opening one runs the PRAGMAs and registers Django's functions, about
    # 0.7 ms, more than the whole answer of a kept page.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        # A writer waits this long (seconds) for another's transaction: a first publication in a process loads
        # the sentence encoder inside its transaction, longer than the default 5 s on a busy machine.
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [PACKAGE_DIR / "site" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Toronto")
USE_TZ = True

# Large API files (records.json), written once per state of the public layer and served from here.
CAIM_CORPUS_DIR = Path(os.environ.get("CAIM_CORPUS_DIR", VAR_DIR / "corpus"))

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# collectstatic fills it in production; elsewhere WhiteNoise serves the apps' files (WHITENOISE_USE_FINDERS) and
# would warn at every start that the folder is missing.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes a gzip copy beside each text file, which WhiteNoise sends to clients that accept it.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Production serves the collected files of STATIC_ROOT (`caim serve` collects them at start) with their gzip
# copies; elsewhere the apps' own files, compressed on the fly by GZipMiddleware.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

# Security: cookies and headers. HSTS and SSL redirect are for deployments behind TLS (docs/deploy.md).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
# HSTS covers the monitor's own subdomains by default; preload is a promise to hstspreload.org, so it is asked for.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# Check ids (`caim check --deploy`) a deployment has decided to live with, e.g. security.W021 before preloading.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", "")
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# The cache holds what every worker must share, such as failed sign-in counts: the database by default (no
# extra service), Redis when CACHE_URL is set (redis://127.0.0.1:6379/1). `caim migrate` creates the table.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL.startswith(("redis://", "rediss://"))
    else {"BACKEND": "caim.cache.CountingDatabaseCache", "LOCATION": "caim_cache"},
    # Derived data each process may keep for itself (keyed by the public-layer token, so never stale).
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "caim-local"},
    # Rendered public pages (records/views/reuse.py), about 40 KB each: at most about 80 MB per process.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "caim-pages",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CAIM_PAGE_CACHE_ENTRIES", "2000"))},
    },
}
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or rediss:// URL, not {CACHE_URL!r}.")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "monitor@localhost")
# The SMTP server of django.core.mail.backends.smtp.EmailBackend (Django's defaults: a local MTA on port 25).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)

# The monitor itself: names, banner, vocabularies. Everything Canada-specific is configuration.
CAIM_SITE_NAME = os.environ.get("CAIM_SITE_NAME", "Canadian AI Incident Monitor")
CAIM_SITE_NAME_FR = os.environ.get("CAIM_SITE_NAME_FR", "Moniteur canadien des incidents d'IA")
CAIM_SITE_URL = os.environ.get("CAIM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CAIM_BANNER_EN = os.environ.get(
    "CAIM_BANNER_EN",
    "Pilot phase: records are provisional, based on public sources, and have not yet been peer-reviewed. "
    "Feedback welcome.",
)
CAIM_BANNER_FR = os.environ.get(
    "CAIM_BANNER_FR",
    "Phase pilote : les fiches sont provisoires, fondées sur des sources publiques, et n'ont pas encore été "
    "révisées par des pairs. Vos commentaires sont les bienvenus.",
)
CAIM_COUNTRY = os.environ.get("CAIM_COUNTRY", "CA")  # ISO 3166 code of the monitor's country, in exports
CAIM_CONTACT_EMAIL = os.environ.get("CAIM_CONTACT_EMAIL", "corrections@localhost")
CAIM_FEEDBACK_URL = os.environ.get("CAIM_FEEDBACK_URL", "/about/#feedback")
CAIM_TAXONOMY_FILE = Path(os.environ.get("CAIM_TAXONOMY_FILE", PACKAGE_DIR / "taxonomy" / "taxonomy.yaml"))
CAIM_CLOCK = os.environ.get("CAIM_CLOCK", "caim.records.clock.SystemClock")
# A published hazard is due for re-assessment when its last assessment is older than this (days).
CAIM_REASSESS_DAYS = int(os.environ.get("CAIM_REASSESS_DAYS", "180"))

# Public submissions (SPEC §6.1): a submitter's email and hashed address are deleted this many days after the
# lead is closed (`caim purge-contacts`); the abuse limits of the form.
CAIM_CONTACT_RETENTION_DAYS = int(os.environ.get("CAIM_CONTACT_RETENTION_DAYS", "180"))
CAIM_SUBMIT_MIN_SECONDS = float(os.environ.get("CAIM_SUBMIT_MIN_SECONDS", "3"))
CAIM_SUBMIT_PER_ADDRESS = int(os.environ.get("CAIM_SUBMIT_PER_ADDRESS", "5"))  # per hour, per client address
CAIM_SUBMIT_GLOBAL = int(os.environ.get("CAIM_SUBMIT_GLOBAL", "300"))  # per hour, all addresses together
# The secret mixed into a client address before it is hashed (the SECRET_KEY when unset).
CAIM_IP_PEPPER = os.environ.get("CAIM_IP_PEPPER", "")

# Intake's one fetcher (caim.intake.fetch; docs/intake.md): its limits and its manners.
CAIM_FETCHER = os.environ.get("CAIM_FETCHER", "caim.intake.fetch.HttpFetcher")
CAIM_FETCH_CONNECT_TIMEOUT = float(os.environ.get("CAIM_FETCH_CONNECT_TIMEOUT", "5"))
CAIM_FETCH_READ_TIMEOUT = float(os.environ.get("CAIM_FETCH_READ_TIMEOUT", "15"))
CAIM_FETCH_TOTAL_TIMEOUT = float(os.environ.get("CAIM_FETCH_TOTAL_TIMEOUT", "60"))
CAIM_FETCH_MAX_BYTES = int(os.environ.get("CAIM_FETCH_MAX_BYTES", str(5 * 1024 * 1024)))
CAIM_FETCH_MAX_REDIRECTS = int(os.environ.get("CAIM_FETCH_MAX_REDIRECTS", "5"))
CAIM_FETCH_RETRIES = int(os.environ.get("CAIM_FETCH_RETRIES", "2"))
CAIM_FETCH_BACKOFF = float(os.environ.get("CAIM_FETCH_BACKOFF", "1"))
CAIM_FETCH_HOST_INTERVAL = float(os.environ.get("CAIM_FETCH_HOST_INTERVAL", "2"))
CAIM_FETCH_ROBOTS = env_bool("CAIM_FETCH_ROBOTS", True)
CAIM_FETCH_ALLOW_PRIVATE = env_bool("CAIM_FETCH_ALLOW_PRIVATE", False)
CAIM_FETCH_USER_AGENT = os.environ.get("CAIM_FETCH_USER_AGENT", "")

# The poller of monitored sources (`caim poll`, docs/intake.md): its lock file (two runs never overlap), the
# relevance below which an item is only recorded as seen; deduplication's fuzzy-title threshold (0-100) and how
# many candidates a lead keeps.
CAIM_POLL_LOCK_FILE = Path(os.environ.get("CAIM_POLL_LOCK_FILE", VAR_DIR / "poll.lock"))
CAIM_POLL_MIN_RELEVANCE = float(os.environ.get("CAIM_POLL_MIN_RELEVANCE", "0.25"))
CAIM_DEDUP_TITLE_THRESHOLD = float(os.environ.get("CAIM_DEDUP_TITLE_THRESHOLD", "80"))
CAIM_DEDUP_CANDIDATES = int(os.environ.get("CAIM_DEDUP_CANDIDATES", "5"))

# Background work (Django's task framework, django-tasks; docs/deploy.md). `database`: tasks are rows in the
# database and `caim worker` runs them (one machine needs nothing more); `immediate`: run at once in the process
# that enqueues them (development without a worker); `rq`: Redis queues run by RQ workers on any number of
# machines (CAIM_TASKS_URL, `pip install django-tasks-rq`); or the import path of another backend class, with
# its options as JSON in CAIM_TASKS_OPTIONS. Configuration only: the tasks are the same code.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "django_tasks_rq.RQBackend",
}
CAIM_TASKS_BACKEND = os.environ.get("CAIM_TASKS_BACKEND", "database")
if "." not in CAIM_TASKS_BACKEND and CAIM_TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"CAIM_TASKS_BACKEND={CAIM_TASKS_BACKEND!r} is not one of {', '.join(TASK_BACKENDS)} nor an import path."
    )
CAIM_TASKS_URL = os.environ.get("CAIM_TASKS_URL", "")
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS.get(CAIM_TASKS_BACKEND, CAIM_TASKS_BACKEND),
        "OPTIONS": json.loads(os.environ.get("CAIM_TASKS_OPTIONS", "{}")),
    }
}
if CAIM_TASKS_BACKEND == "rq":
    if not CAIM_TASKS_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("CAIM_TASKS_BACKEND=rq needs CAIM_TASKS_URL=redis://host:6379/2.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": CAIM_TASKS_URL}}
    TASKS["default"]["QUEUES"] = ["default"]
# A task still marked running this long after it started is taken for one whose worker died (on another
# machine; on this one a dead worker is recognised at once) and is run again by the next `caim worker` start or
# `caim poll --enqueue`. Longer than any task takes: one article is at most a few minutes of fetching.
CAIM_TASKS_STALE_SECONDS = int(os.environ.get("CAIM_TASKS_STALE_SECONDS", "1800"))
# A task whose worker died this many times is not run again (it may be what kills them): marked failed.
CAIM_TASKS_MAX_ATTEMPTS = int(os.environ.get("CAIM_TASKS_MAX_ATTEMPTS", "3"))
# Finished tasks are deleted from the tasks table after this many days (`caim poll --enqueue`, once a day).
CAIM_TASKS_KEEP_DAYS = int(os.environ.get("CAIM_TASKS_KEEP_DAYS", "14"))
# An article whose page could not be fetched or read is tried again after these delays (hours), then given up
# with its error shown on its source's page.
CAIM_POLL_RETRY_HOURS = [float(h) for h in env_list("CAIM_POLL_RETRY_HOURS", "1,4,24")]
# Vectors of texts for related records and deduplication (caim.records.similarity): the multilingual sentence
# encoder, or the lexical fallback. Fail closed on a misspelt name rather than quietly fall back.
CAIM_EMBEDDER = os.environ.get("CAIM_EMBEDDER", "multilingual")
# A similar text is a duplicate candidate when its meaning (cosine) or its shared words (BM25, as a share of the
# query's) reach this.
CAIM_DEDUP_MIN_SIMILARITY = float(os.environ.get("CAIM_DEDUP_MIN_SIMILARITY", "0.5"))
if CAIM_EMBEDDER not in ("multilingual", "lexical"):
    raise ImproperlyConfigured(f"CAIM_EMBEDDER={CAIM_EMBEDDER!r} is not one of: multilingual, lexical.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
