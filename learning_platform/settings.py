"""One env-driven settings module.

Embedded defaults (no services needed): SQLite under var/ and Celery on kombu's SQLAlchemy
transport over a second SQLite file there. Production points DATABASE_URL at PostgreSQL,
CELERY_BROKER_URL and REDIS_URL at Redis, turns DEBUG off and must then provide SECRET_KEY and
ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

# Every setting below is read from the environment through django-environ: booleans are
# 1, true, yes, y, on or ok (anything else is off), lists are comma-separated, a variable set but
# empty counts as unset, and a value beginning with "$" names another variable (write a literal
# leading $ as \$).
env = environ.Env()
env.escape_proxy = True
env.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / env.str("LP_VAR_DIR", default="var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (a value beginning with $ names another "
            "variable: write its leading $ as \\$)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", cast=str.strip, default=["127.0.0.1", "localhost", "testserver", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "learning_platform",
    "concepts",
    "claims",
    "demos",
    "research_room",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Large answers (a concept page, a learning path) go compressed to clients that accept it.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside GZip, outside the rest: every API error, whoever answers it, is a problem document.
    "learning_platform.errors.ProblemJsonMiddleware",
    "learning_platform.middleware.RequestBodyCapMiddleware",
    "learning_platform.middleware.RequestTextMiddleware",
    "learning_platform.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "concepts.revisions.RevisionMiddleware",
    # Last, as django-axes asks: turns a locked-out admin sign-in into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "learning_platform.urls"
WSGI_APPLICATION = "learning_platform.wsgi.application"
ASGI_APPLICATION = "learning_platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept as on PostgreSQL: opening one (and its PRAGMAs) on every request
    # cost a cached read more than the rest of it.
    DATABASES["default"]["OPTIONS"] = {
        # The web process and the worker write the same file: WAL lets readers proceed during a
        # write, and IMMEDIATE transactions take the write lock up front instead of failing on
        # a lock upgrade half-way through.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# Django's backends with one addition: a write to content replaces the version tokens that
# cached answers are keyed by, in the same transaction (learning_platform.versions).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "learning_platform.db.sqlite3",
    "django.db.backends.postgresql": "learning_platform.db.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Review signing (claims.signing) ---------------------------------------------------------------
# Reviews and checkpoints are signed with an Ed25519 key the database never holds: the
# REVIEW_SIGNING_KEY variable (PEM, or base64 of the 32-byte private key) or the PEM file at
# REVIEW_SIGNING_KEY_FILE. On embedded defaults (DEBUG on, neither set) a key is generated once
# into var/review-signing-key.pem, readable by its owner only.
REVIEW_SIGNING_KEY = env.str("REVIEW_SIGNING_KEY", default="").strip()
REVIEW_SIGNING_KEY_FILE = env.str("REVIEW_SIGNING_KEY_FILE", default="").strip()
REVIEW_SIGNING_KEY_GENERATE = False
if not REVIEW_SIGNING_KEY and not REVIEW_SIGNING_KEY_FILE:
    if not DEBUG:
        raise ImproperlyConfigured(
            "REVIEW_SIGNING_KEY or REVIEW_SIGNING_KEY_FILE must be set when DEBUG is off."
        )
    REVIEW_SIGNING_KEY_FILE = str(VAR_DIR / "review-signing-key.pem")
    REVIEW_SIGNING_KEY_GENERATE = True
# Public keys of retired signing keys (base64 of the 32 raw bytes, as GET
# /api/v1/claims/signing-keys/ publishes them), comma-separated: what they signed stays verifiable.
REVIEW_SIGNING_RETIRED_KEYS = env.list("REVIEW_SIGNING_RETIRED_KEYS", cast=str.strip, default=[])

# Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/admin/login/"
# django-axes counts failed sign-ins in the database, so every web process sees the same
# counters: after AXES_FAILURE_LIMIT failures the account, and separately the client address,
# are locked out (429) for the cool-off time. A success resets the account's count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "learning_platform.errors.lockout_response"
# Behind a reverse proxy every request comes from the proxy's address: name how many proxies
# add to X-Forwarded-For, or the client lockout would lock everyone out at once.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "learning_platform.tokens.client_ip"
# API tokens (django-rest-knox): stored as digests, expiring, several per user, revocable.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
API_TOKEN_LIMIT_PER_USER = env.int("API_TOKEN_LIMIT_PER_USER", default=20)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# With DEBUG off, whitenoise serves what `collectstatic` gathered, under content-hashed names
# (cached for a year); with DEBUG on, the development server serves the apps' files as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Request size caps: refused with 413 before any work (see learning_platform.middleware).
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
SNAPSHOT_MAX_BYTES = env.int("SNAPSHOT_MAX_BYTES", default=20 * 1024 * 1024)
# Multipart requests to these paths carry a snapshot file: capped by SNAPSHOT_MAX_BYTES instead.
SNAPSHOT_UPLOAD_PATHS = [
    r"^/admin/concepts/sourcesnapshot/",
    r"^/api/v1/sources/[^/]+/snapshots?/",
]

# Security (production) ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the Swagger UI and API clients read it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Depth, NaN and text the database cannot store are refused with a 400 (see parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "learning_platform.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "learning_platform.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "learning_platform.schema.ApiSchema",
    "EXCEPTION_HANDLER": "learning_platform.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "learning_platform.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "learner-writes": env.str("LEARNER_WRITE_RATE", default="120/min"),
        "demo-submissions": env.str("DEMO_SUBMISSION_RATE", default="60/min"),
        "sign-in-client": env.str("SIGN_IN_CLIENT_RATE", default="20/min"),
        "sign-in-account": env.str("SIGN_IN_ACCOUNT_RATE", default="10/min"),
        "claim-verifications": env.str("CLAIM_VERIFICATION_RATE", default="30/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
    "STRICT_JSON": True,
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Learning Platform API",
    "DESCRIPTION": (
        "Source-grounded concept pages, a claims registry with append-only reviews, "
        "executable RLHF witnesses and a private research room."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the installed package: the docs work with no network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ResearchDraftStatusEnum": "research_room.models.ResearchDraft.Status",
        "ConceptStatusEnum": "concepts.models.Concept.Status",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "ContentChangeEnum": "concepts.revisions.CHANGE_CHOICES",
    },
    # Request bodies are JSON: the form parsers serve the browsable API's forms only.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "demos.openapi.add_demo_run_bodies",
        "learning_platform.schema.describe_tags",
        # Last: the success answers' examples are built from their final schemas.
        "learning_platform.schema_examples.add_success_examples",
    ],
}

# The cache, and so every throttle counter and cached answer: CACHE_URL in django-environ's form
# (redis://host:port/db, locmemcache://, dummycache://), else the Redis at REDIS_URL, else this
# process's memory. A shared cache survives restarts and counts for every process; a process's
# own memory counts for it alone.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {"default": env.cache_url("CACHE_URL", default=REDIS_URL or "locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("KEY_PREFIX", "lp")
    CACHES["default"].setdefault("OPTIONS", {"socket_connect_timeout": 3, "socket_timeout": 3})

# Reads keyed by the versions of what they show (learning_platform.caching) keep their rendered
# bytes this long at most; a write invalidates them at once by changing the version.
ANSWER_CACHE_SECONDS = env.int("ANSWER_CACHE_SECONDS", default=24 * 3600)

# Demo runs: a run estimated past this many seconds of computation is refused with 400
# (demos.costs), and a learner may have this many runs queued or running at once (429 past it).
DEMO_RUN_MAX_SECONDS = env.float("DEMO_RUN_MAX_SECONDS", default=15.0)
DEMO_RUNS_IN_FLIGHT_MAX = env.int("DEMO_RUNS_IN_FLIGHT_MAX", default=3)
# BLAS threads a demo computation may use (demos.services): the process's share of the cores.
WITNESS_BLAS_THREADS = env.int("WITNESS_BLAS_THREADS", default=1)
if WITNESS_BLAS_THREADS < 1:
    raise ImproperlyConfigured("WITNESS_BLAS_THREADS must be a whole number >= 1")
# A running demo's progress is written to its row at most once per this many seconds, and only
# once it has grown by this much since the last write: at most 1/step writes per run.
DEMO_PROGRESS_MIN_SECONDS = env.float("DEMO_PROGRESS_MIN_SECONDS", default=0.5)
DEMO_PROGRESS_MIN_STEP = env.float("DEMO_PROGRESS_MIN_STEP", default=0.05)
if DEMO_PROGRESS_MIN_SECONDS < 0 or not 0 < DEMO_PROGRESS_MIN_STEP <= 1:
    raise ImproperlyConfigured(
        "DEMO_PROGRESS_MIN_SECONDS must be >= 0 and DEMO_PROGRESS_MIN_STEP in (0, 1]"
    )

# Code witnesses run by POST /claims/<id>/verify/ (claims.code_runs): each in its own process
# with these limits. They stop an editor's mistake, not a hostile author: only editors write
# witnesses. A verification records at most CODE_WITNESS_STDOUT_CHARS of stdout and the last
# CODE_WITNESS_STDERR_BYTES of stderr; stdout counts toward the file-size limit.
CODE_WITNESS_CPU_SECONDS = env.int("CODE_WITNESS_CPU_SECONDS", default=10)
CODE_WITNESS_WALL_SECONDS = env.float("CODE_WITNESS_WALL_SECONDS", default=20.0)
CODE_WITNESS_MEMORY_BYTES = env.int("CODE_WITNESS_MEMORY_BYTES", default=1 << 30)
CODE_WITNESS_FILE_BYTES = env.int("CODE_WITNESS_FILE_BYTES", default=4 << 20)
CODE_WITNESS_STDOUT_CHARS = env.int("CODE_WITNESS_STDOUT_CHARS", default=64_000)
CODE_WITNESS_STDERR_BYTES = env.int("CODE_WITNESS_STDERR_BYTES", default=4_000)

# The research room's grounded handoff opens "I am working in <SITE_NAME>'s <RESEARCH_ROOM_NAME>."
# and names the anchor by ANCHOR_ID_TEMPLATE, filled from its object key: {kind}, {path} (the
# key after "kind:"), {area}, {slug} and {anchor}. "{kind}/concept-notebook/{path}" gives the
# ids the seed page shows (concept/concept-notebook/alignment/rlhf).
SITE_NAME = env.str("SITE_NAME", default="the learning platform")
RESEARCH_ROOM_NAME = env.str("RESEARCH_ROOM_NAME", default="research room")
ANCHOR_ID_TEMPLATE = env.str("ANCHOR_ID_TEMPLATE", default="{kind}/{path}")
try:
    ANCHOR_ID_TEMPLATE.format(kind="", path="", area="", slug="", anchor="")
except (KeyError, IndexError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"ANCHOR_ID_TEMPLATE {ANCHOR_ID_TEMPLATE!r} is not a template of "
        f"{{kind}}, {{path}}, {{area}}, {{slug}} and {{anchor}}: {exc!r}"
    ) from None

# Celery ---------------------------------------------------------------------------------------
# The embedded broker is kombu's SQLAlchemy transport on a SQLite file of its own (see
# learning_platform/broker.py and the README's Reliability section for why not the filesystem).
BROKER_DB = VAR_DIR / "broker.sqlite3"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"sqlite:///{BROKER_DB}")
CELERY_BROKER_IS_EMBEDDED = CELERY_BROKER_URL.startswith("sqlite:")
CELERY_BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem://")
EMBEDDED_TRANSPORT = "learning_platform.broker:Transport"
CELERY_BROKER_TRANSPORT = EMBEDDED_TRANSPORT if CELERY_BROKER_IS_EMBEDDED else None
if CELERY_BROKER_IS_EMBEDDED:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Short polling so a small demo answers in well under a second.
        "polling_interval": env.float("CELERY_POLLING_INTERVAL", default=0.05),
        # Seconds a writer waits for SQLite's lock before the publish fails.
        "connect_args": {"timeout": 20},
    }
elif CELERY_BROKER_IS_FILESYSTEM:
    BROKER_DIR = VAR_DIR / "broker"
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": env.float("CELERY_POLLING_INTERVAL", default=0.05),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged message goes back to the queue after this many seconds.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
if CELERY_BROKER_IS_EMBEDDED or CELERY_BROKER_IS_FILESYSTEM:
    CELERY_RESULT_BACKEND = env.str(
        "CELERY_RESULT_BACKEND", f"file://{(VAR_DIR / 'celery-results').as_posix()}"
    )
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    # Remote control and events travel on fanout exchanges, which a server-less broker
    # cannot deliver between processes; without them each poll reads the task queues only.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3}
# Demo runs go to the queue their estimated cost picks (demos.costs); a worker started without
# -Q consumes all three, taking from each in turn.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES: dict[str, dict[str, object]] = {
    "celery": {},
    "demos-cheap": {},
    "demos-expensive": {},
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Seconds a pool waits after a child process dies before failing its task (Celery's default).
CELERY_WORKER_LOST_WAIT = env.float("CELERY_WORKER_LOST_WAIT", default=10.0)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Runs left queued by a broker outage are sent again (see demos.tasks).
    "demos-sweep-queued": {"task": "demos.sweep_queued", "schedule": 30.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
