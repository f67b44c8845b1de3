"""
django-oauth-toolkit's Application model, reduced to its columns (DOT 2.x/3.x): same table name,
same column names and meanings. DOT ≥ 2.0 hashes client secrets with Django's password hashers
on save when hash_client_secret is true; seed.py does the same with make_password.
"""
from django.conf import settings
from django.db import models


class Application(models.Model):
    client_id = models.CharField(max_length=100, unique=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    redirect_uris = models.TextField(blank=True)  # space separated
    post_logout_redirect_uris = models.TextField(blank=True, default="")
    client_type = models.CharField(max_length=32)  # "confidential" | "public"
    # "authorization-code" | "implicit" | "password" | "client-credentials" | "openid-hybrid"
    authorization_grant_type = models.CharField(max_length=44)
    client_secret = models.CharField(max_length=255, blank=True, db_index=True)
    hash_client_secret = models.BooleanField(default=True)
    name = models.CharField(max_length=255, blank=True)
    skip_authorization = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    algorithm = models.CharField(max_length=5, blank=True, default="")  # "" | "RS256" | "HS256"
    allowed_origins = models.TextField(blank=True, default="")  # space separated

    class Meta:
        db_table = "oauth2_provider_application"
