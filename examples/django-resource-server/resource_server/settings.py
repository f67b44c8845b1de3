"""A Django REST framework API that trusts Gatehouse access tokens, and nothing else."""
import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
ROOT_URLCONF = "resource_server.urls"
USE_TZ = True
# No database: the API's users are the tokens' subjects.
DATABASES = {}
INSTALLED_APPS = ["rest_framework"]

GATEHOUSE_ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://localhost:3000")
GATEHOUSE_AUDIENCE = os.environ.get("GATEHOUSE_AUDIENCE", "https://invoices.example.com")
GATEHOUSE_JWKS_URL = os.environ.get("GATEHOUSE_JWKS_URL")  # default: <issuer>/jwks

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["gatehouse_auth.authentication.GatehouseAccessTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
