"""Settings, read from the environment; unset variables fall back to the embedded first-run defaults.

Embedded defaults: SQLite (WAL) and a filesystem Celery broker. DATABASE_URL switches to PostgreSQL and
REDIS_URL to Redis for broker, cache and locks.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="dev")  # dev, test or prod
if DJANGO_ENV not in {"dev", "test", "prod"}:
    raise RuntimeError(f"DJANGO_ENV must be dev, test or prod, not {DJANGO_ENV!r}")
IS_PROD = DJANGO_ENV == "prod"
# collectstatic reads no secret, so the image's build step runs it with none: no secret ever enters a layer.
COLLECTING_STATIC = sys.argv[1:2] == ["collectstatic"]
REQUIRE_SECRETS = IS_PROD and not COLLECTING_STATIC
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if REQUIRE_SECRETS:
        raise RuntimeError("SECRET_KEY must be set when DJANGO_ENV=prod")
    SECRET_KEY = "insecure-dev-and-test-only-key"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PROD else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_scopes",
    "csp",
    "auditlog",
    "django_prometheus",
    "axes",
    "koongo",
    "koongo.accounts",
    "connections",
    "catalog",
    "orders",
    "rma",
    "reconciliation",
    "webhooks",
]

MIDDLEWARE = [
    # Request counts and latency by view and status (django-prometheus); first and last, so they time everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "koongo.middleware.UntrustedInputGuard",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: Accept-Language (after sessions, before common, as Django asks); a signed-in user's saved choice
    # replaces it once authentication has run (koongo.accounts.language).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "koongo.accounts.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "koongo.accounts.middleware.MerchantScopeMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during authentication into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "koongo.urls"
WSGI_APPLICATION = "koongo.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "koongo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "koongo.accounts.context.merchant_context",
                "koongo.dashboard.nav_context",
            ],
            # Tag libraries that live in an app's subpackage rather than in <app>/templatetags/.
            "libraries": {
                "order_shipments": "orders.shipments.templatetags",
                "order_badges": "orders.badges",
                "sync_tags": "connections.sync.templatetags",
            },
            "builtins": ["koongo.timefmt", "koongo.money"],
        },
    }
]

# --- database ------------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # Persistent connections (a new PostgreSQL connection per request cost a backend fork each time), checked for
    # health before reuse so a restarted database costs one failed check, not a 500.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60 if IS_PROD else 0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
    # A page reads a few dozen rows through an index; a parallel plan only adds its workers' start-up, which on a busy
    # host turned a 0.6 ms transfer page into 120 ms at 1M orders (bench/results/). Reports may set it per session.
    parallel = env.int("DB_MAX_PARALLEL_WORKERS_PER_GATHER", default=0)
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c max_parallel_workers_per_gather={parallel}".strip()
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(DATA_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so web, worker and beat queue on the busy timeout
            # instead of failing with "database is locked" when a read transaction upgrades to a write.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker, locks ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # Longer than any task time limit, so Redis never redelivers a running task; long waits live in outbox rows.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The database cache is shared by the demo's processes; locmem would give each process its own locks.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "koongo_cache"}}
    broker_dir = DATA_DIR / "broker"
    for sub in ("in", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "in"),
        "data_folder_out": str(broker_dir / "in"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent; a killed worker's task is redelivered
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Five queues, all consumed by every worker (a worker reads every queue named here unless started with -Q), in turn:
# - "control": beat's sweeps and dispatcher, each well under a second, so a run that replaces a killed worker's, a
#   failed run's retry and beat's liveness tick are never queued behind tens of seconds of sync runs;
# - "runs": the runs requested one at a time (a lost run's replacement, a failed run's retry, a button's run), so they
#   take the next free worker process instead of waiting behind the scheduled ticks;
# - "sync": the scheduled runs (each connection's tick), so hundreds of pushes cannot delay them;
# - "miinto": the pushes that write to Miinto (decisions, shipments, return decisions and requests), one account's 10
#   requests a second: quick, and a customer waits on them, so they never wait behind the store pushes;
# - "celery": the store pushes (a store's 2-4 requests a second) and everything else.
# A 1,000-transfer chaos run with "control" and "sync" as one queue retried a failed replacement run 71 s after it was
# due, while every worker process was in a tick: the killed flow came back after 156 s (target 120). With replacements
# on "sync", one waited 55 s behind one-to-two-minute ticks, and a flow killed twice came back after 197 s. With the
# decision pushes among the store pushes, a decision batch that had used its turn was queued again behind 2,000 store
# tasks, and 470 decisions waited for Miinto for over five minutes while the worker processes ran store lanes.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"control": {}, "runs": {}, "sync": {}, "miinto": {}, "celery": {}}
_control_tasks = (
    "connections.tasks.dispatch_due_connections",
    "connections.tasks.replace_lost_runs",
    "connections.tasks.outbox_sweep",
    "connections.tasks.check_stale_connections",
    "koongo.tasks.beat_tick",
    "webhooks.tasks.sweep",
)
CELERY_TASK_ROUTES = {
    **{name: {"queue": "control"} for name in _control_tasks},
    "connections.tasks.run_flow": {"queue": "runs"},
    "connections.tasks.run_connection_tick": {"queue": "sync"},
    # Its outbox rows go to the same queue by kind (`register_outbox(queue=...)`), which one task name cannot route.
    "orders.tasks.decision_batch": {"queue": "miinto"},
}
# A sync run's lock is a short lease its heartbeat renews; a run that misses it is lost and replaced. A lease plus one
# lost-run sweep (10 s) plus the replacement's own run bounds how long a killed worker stalls a flow (target: 120 s);
# waiting for the minute's dispatcher instead made it 130 s on a loaded machine, and a 45 s lease with a 15 s sweep and
# retry let a kill, a dropped database connection and a second kill on one flow add up to 168 s.
SYNC_RUN_LEASE_SECONDS = env.int("SYNC_RUN_LEASE_SECONDS", default=30)
SYNC_RUN_HEARTBEAT_SECONDS = env.int("SYNC_RUN_HEARTBEAT_SECONDS", default=5)
# A failed run is tried again this long after it failed (at the next lost-run sweep), not a sync interval later; a failed
# retry after twice that, up to SYNC_RUN_RETRIES retries in a row (connections/sync/retries.py).
SYNC_RUN_RETRY_SECONDS = env.int("SYNC_RUN_RETRY_SECONDS", default=10)
SYNC_RUN_RETRIES = env.int("SYNC_RUN_RETRIES", default=2)
SYNC_RUN_RETENTION_DAYS = env.int("SYNC_RUN_RETENTION_DAYS", default=14)
# A customer return can reach us before its order (the order's run is still going, or lost its worker). An accepted one
# waits this long for the order before the merchant is asked to refund it by hand; after that we never push it.
RMA_ORDER_WAIT_SECONDS = env.int("RMA_ORDER_WAIT_SECONDS", default=3600)
# One task per outbox kind and store runs that store's rows in turn; a killed holder's lane lapses after this long.
OUTBOX_REMOTE_SLOT_SECONDS = env.int("OUTBOX_REMOTE_SLOT_SECONDS", default=60)
# The outbox clock: its backoffs and leases are multiplied by this, and the sweeper comes every OUTBOX_SWEEP_SECONDS.
# Production leaves both alone; the chaos smoke runs its workers at 0.2 so CI need not wait out half-hour backoffs.
OUTBOX_TIME_SCALE = env.float("OUTBOX_TIME_SCALE", default=1.0)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60.0)
# How long an order's store push waits while the merchant still has positions of its transfer to decide: Miinto puts
# all of a transfer's accepted positions in one order, and a store order is never edited once it is made.
MANUAL_DECISION_GRACE_SECONDS = env.float("MANUAL_DECISION_GRACE_SECONDS", default=120.0)
# How often the catalog flow re-reads a store's whole catalog (store-side stock changes reach Miinto through it).
CATALOG_REFRESH_MINUTES = env.int("CATALOG_REFRESH_MINUTES", default=60)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Beat names tasks by dotted path, so no app imports a later one to schedule it. Apps add entries here.
CELERY_BEAT_SCHEDULE: dict = {
    # connections: queue the due connections' runs and sweep the outbox every minute; prune the activity log daily.
    "connections.dispatch_due_connections": {"task": "connections.tasks.dispatch_due_connections", "schedule": 60.0},
    "connections.outbox_sweep": {"task": "connections.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    "connections.replace_lost_runs": {"task": "connections.tasks.replace_lost_runs", "schedule": 10.0},
    "connections.prune_activity": {"task": "connections.tasks.prune_activity", "schedule": 24 * 3600.0},
    # koongo: beat's liveness tick, the koongo_beat_last_tick_timestamp_seconds gauge.
    "koongo.beat_tick": {"task": "koongo.tasks.beat_tick", "schedule": 30.0},
    # Idle successful sync runs older than SYNC_RUN_RETENTION_DAYS become per-day counts (connections.sync.pruning).
    "connections.prune_sync_runs": {"task": "connections.tasks.prune_sync_runs", "schedule": 24 * 3600.0},
    # reconciliation: yesterday's comparison of Miinto, our records and the store, per active connection, once a day.
    "reconciliation.reconcile_daily": {"task": "reconciliation.tasks.reconcile_daily", "schedule": 24 * 3600.0},
    # webhooks: send the due deliveries (retries, and any not queued at commit) every 30 s.
    "webhooks.sweep": {"task": "webhooks.tasks.sweep", "schedule": 30.0},
    "webhooks.prune": {"task": "webhooks.tasks.prune", "schedule": 24 * 3600.0},
    # connections: flag connections whose last successful run is older than 3× their interval, e-mail the owners.
    "connections.check_stale": {"task": "connections.tasks.check_stale_connections", "schedule": 300.0},
}
# Units by which Miinto's stock may differ from the store's (minus the buffer) before reconciliation reports it.
RECONCILIATION_STOCK_TOLERANCE = env.int("RECONCILIATION_STOCK_TOLERANCE", default=0)

# --- auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"
# Login throttling by django-axes: failures count per (IP address, username), so an attacker elsewhere cannot lock a
# merchant out, and a lock-out ends by itself after the cool-off. Axes' backend must come first to refuse early.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "koongo.accounts.login_throttle.attempted_username"
AXES_LOCKOUT_CALLABLE = "koongo.accounts.login_throttle.locked_out"
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT declares the reverse proxies in front of Django. Then
# it is the right-most X-Forwarded-For entry, the one our nearest proxy appended (the proxies beyond it are listed
# after the client, hence N - 1 for ipware); a longer, forged header falls back to REMOTE_ADDR, never to its own claim.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    default=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"],
)
if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # PBKDF2 costs ~0.5 s a user here

# --- secrets -------------------------------------------------------------------------------
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEY_FILE = DATA_DIR / "field-encryption.key"
if not FIELD_ENCRYPTION_KEYS and REQUIRE_SECRETS:
    raise RuntimeError("FIELD_ENCRYPTION_KEYS must be set when DJANGO_ENV=prod")

# --- i18n, static, media -------------------------------------------------------------------
# The dashboard's languages (English names, translated; the language picker shows each in its own: "Dansk"). English is
# the source language and the fallback; one project catalogue per language in locale/ (README: Languages).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("da", _("Danish")),
    ("sv", _("Swedish")),
    ("nb", _("Norwegian Bokmål")),
    ("nl", _("Dutch")),
    ("pl", _("Polish")),
    ("de", _("German")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "koongo" / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
# Label PDFs go through Django's storage API: the local filesystem for one host, S3-compatible object storage
# (django-storages) when web and workers run on several hosts. Label links stay ours either way (see README).
FILE_STORAGE_BACKEND = env.str("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")
FILE_STORAGE_OPTIONS: dict = {}
if FILE_STORAGE_BACKEND == "storages.backends.s3.S3Storage":
    FILE_STORAGE_OPTIONS = {
        "bucket_name": env.str("S3_BUCKET_NAME"),
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("S3_REGION_NAME", default="") or None,
        "location": env.str("S3_LOCATION", default=""),
        "default_acl": None,  # objects inherit the bucket's (private) policy
        "querystring_auth": True,
        "file_overwrite": False,
    }
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE_BACKEND, "OPTIONS": FILE_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DJANGO_ENV != "prod"
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DJANGO_ENV != "prod"

# --- e-mail --------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend" if IS_PROD else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="koongo@localhost")
ADMINS = [tuple(a.split(":", 1)) for a in env.list("ADMINS", default=[]) if ":" in a]

# --- security headers ----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = IS_PROD
CSRF_COOKIE_SECURE = IS_PROD
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only in production: redirect plain HTTP and send HSTS (a year, subdomains, preload) unless turned off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PROD)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if IS_PROD else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PROD)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=IS_PROD)
# Load balancers probe the health endpoints over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Behind a TLS-terminating proxy, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (trusted as "https").
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "koongo.accounts.api_auth.MerchantApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["koongo.accounts.permissions.IsMerchantMember"],
    "DEFAULT_PAGINATION_CLASS": "koongo.pagination.NewestFirstCursorPagination",
    # orjson: a list page is ~50 rows of nested objects; the stdlib encoder was a large share of its time.
    "DEFAULT_RENDERER_CLASSES": ["koongo.renderers.OrjsonRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["koongo.filtering.QueryFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "koongo.api_schema.KoongoAutoSchema",
    "EXCEPTION_HANDLER": "koongo.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Koongo Miinto connection manager API",
    "DESCRIPTION": "Connections, orders, decisions, shipments, returns and sync runs, per merchant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The slim list serializers share these choice sets with the detail ones: pin the names the schema always had.
    "ENUM_NAME_OVERRIDES": {
        "DecisionDecidedByEnum": "orders.models.DecidedBy",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "PositionStatusEnum": "orders.models.PositionStatus",
        "ProblemStateEnum": "connections.models.ProblemState",
        "MemberRoleEnum": "koongo.accounts.models.Role",
        "ApiKeyRoleEnum": "koongo.accounts.models.ApiKeyRole",
        "WebhookDeliveryStateEnum": "webhooks.models.DeliveryState",
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

# --- operations ----------------------------------------------------------------------------
# GET /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset, it is open in dev and 404 in prod.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False  # django-prometheus would query the migration table at start-up

# --- integrations --------------------------------------------------------------------------
SHOPIFY_CLIENT_ID = env.str("SHOPIFY_CLIENT_ID", default="koongo-dev-app")
SHOPIFY_CLIENT_SECRET = env.str("SHOPIFY_CLIENT_SECRET", default="koongo-dev-app-secret")
# Extra Miinto environments by name, e.g. MIINTO_ENVIRONMENTS=uat=https://auth…|https://order…|https://stock…|https://pc…
MIINTO_ENVIRONMENTS = env.dict("MIINTO_ENVIRONMENTS", default={})
# What the add-connection wizard offers first; `make demo` sets "simulator".
MIINTO_DEFAULT_ENVIRONMENT = env.str("MIINTO_DEFAULT_ENVIRONMENT", default="production")
MIINTO_SIMULATOR_URL = env.str("MIINTO_SIMULATOR_URL", default="http://127.0.0.1:8765")
STORE_SIMULATOR_URL = env.str("STORE_SIMULATOR_URL", default="http://127.0.0.1:8766")
# The SSRF guard (koongo/url_guard.py): store URLs must be https and public, except where development says otherwise,
# which is how the demo and the tests reach the simulators on loopback. Never on in production.
ALLOW_PRIVATE_STORE_URLS = env.bool("ALLOW_PRIVATE_STORE_URLS", default=not IS_PROD)

# --- logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON line per record, structlog's and the standard library's alike, each with the bound run/order context.
    "formatters": {
        "json": {
            "()": "structlog.stdlib.ProcessorFormatter",
            "processor": "ext://koongo.observability.logs.JSON_RENDERER",
            "foreign_pre_chain": "ext://koongo.observability.logs.FOREIGN_PRE_CHAIN",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO" if DJANGO_ENV != "test" else "WARNING")},
    # httpx's own INFO line per request repeats koongo.http's http.call line (which has the timing and redacted body).
    "loggers": {"httpx": {"level": env.str("HTTPX_LOG_LEVEL", default="WARNING")}},
}

# --- demo ----------------------------------------------------------------------------------
# Processes `make demo` starts before web and worker: (name, python arguments, URL that answers once it is up).
DEMO_CATALOG_FILE = DATA_DIR / "demo-store-catalog.json"
DEMO_SERVICES: list[tuple[str, list[str], str]] = [
    ("miinto-simulator", ["-m", "miinto.sandbox", "--port", MIINTO_SIMULATOR_URL.rsplit(":", 1)[-1], "--seed", "1", "--transfers", "60",
                          "--label-delay", "20"], f"{MIINTO_SIMULATOR_URL}/_sandbox/summary"),
    ("store-simulators", ["-m", "platforms.sandbox", "--port", STORE_SIMULATOR_URL.rsplit(":", 1)[-1], "--seed", "1",
                          "--catalog", str(DEMO_CATALOG_FILE)], f"{STORE_SIMULATOR_URL}/shopify/_sandbox/faults"),
]
# The demo's webhook receiver (webhooks/receiver.py): a registered endpoint delivers every event to it on loopback.
WEBHOOK_DEMO_RECEIVER_URL = env.str("WEBHOOK_DEMO_RECEIVER_URL", default="http://127.0.0.1:8767")
WEBHOOK_DEMO_SECRET_FILE = DATA_DIR / "demo-webhook-secret"
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
DEMO_SERVICES.append(
    ("webhook-receiver", ["-m", "webhooks.receiver", "--port", WEBHOOK_DEMO_RECEIVER_URL.rsplit(":", 1)[-1],
                          "--secret-file", str(WEBHOOK_DEMO_SECRET_FILE)], f"{WEBHOOK_DEMO_RECEIVER_URL}/")
)
# Where Shopify admin URLs point; empty means real Shopify (https://{shop}), the demo sets the store simulator.
SHOPIFY_API_BASE_URL = env.str("SHOPIFY_API_BASE_URL", default=STORE_SIMULATOR_URL if DJANGO_ENV == "dev" else "")

# structlog renders through the standard library, so LOG_LEVEL and handlers apply to the http.call lines too.
import structlog  # noqa: E402

from koongo.observability.logs import shared_processors  # noqa: E402

structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *shared_processors(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
