"""
Settings of a typical Django project that authenticates its own users: django.contrib.auth,
django-allauth (email addresses, social accounts) and an OAuth provider app. The database comes
from DJANGO_DATABASE (a postgres:// URL or a SQLite path; default db.sqlite3 next to manage.py).
"""
import os
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "not-secret: a test fixture"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
SITE_ID = 1
ROOT_URLCONF = "legacy_site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # django-oauth-toolkit is not packaged by Debian: dot_stub creates its application table
    # (oauth2_provider_application) with the same columns and meanings.
    "dot_stub",
]

# Several hashers, as in a project that changed its preferred hasher over the years. The first
# one hashes new passwords; the others still verify older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]

_database = os.environ.get("DJANGO_DATABASE", str(BASE_DIR / "db.sqlite3"))
if _database.startswith(("postgres://", "postgresql://")):
    _url = urlparse(_database)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "",
            "PORT": str(_url.port or ""),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _database}}
