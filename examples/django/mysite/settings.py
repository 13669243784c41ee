"""Settings of the Django example: production-like (DEBUG off, nginx serves the
static files), but local, and with every piece of generated state outside the
source tree.

GANTRY_DJANGO_DATA_DIR is where the SQLite database and the collected static
files go; it defaults to <repo>/build/django-data, where the demo's nginx site
looks for them. The tests point it at a temporary directory.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent  # examples/django
REPO_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("GANTRY_DJANGO_DATA_DIR") or REPO_DIR / "build" / "django-data")

# A demo value, public in the repo: set DJANGO_SECRET_KEY for anything real.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "gantry-demo-secret-key-not-secret-do-not-deploy-0123456789"
)

DEBUG = False

# Debian's uwsgi_params sends HTTP_HOST as nginx's $host, which has no port:
# the names below match whatever port nginx listens on.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_L10N = True
USE_TZ = True

# `manage.py collectstatic` copies every app's static files to STATIC_ROOT,
# which nginx serves at /static/ (see nginx-site.conf); with DEBUG off Django
# itself serves none of them. The manifest storage gives each file a
# content-hashed name, so that a changed file is never served from a cache.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"

# Warnings and errors (a 500's traceback, a CSRF rejection) go to stderr,
# i.e. to gantry's log; Django's default sends them nowhere when DEBUG is off.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
