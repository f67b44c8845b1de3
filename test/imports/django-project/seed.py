#!/usr/bin/env python3
"""
Fills the project's database through Django itself (django.contrib.auth, allauth's models, the
DOT-shaped application table) and prints what the tests need as JSON: passwords and secrets.

    python3 manage.py migrate && python3 seed.py
"""
import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legacy_site.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from allauth.socialaccount.models import SocialAccount  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import transaction  # noqa: E402

from dot_stub.models import Application  # noqa: E402


def scrypt_hash(password):
    """Django >= 4.0 has ScryptPasswordHasher; older Django (Debian 12 ships 3.2) gets its format by hand."""
    try:
        from django.contrib.auth.hashers import ScryptPasswordHasher

        return make_password(password, hasher=ScryptPasswordHasher())
    except ImportError:
        salt = base64.b64encode(os.urandom(12)).decode().replace("+", "a").replace("/", "b").rstrip("=")
        n, r, p = 2**14, 8, 1
        derived = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, dklen=64)
        return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(derived).decode())


USERS = [
    # username, email, password, hasher, allauth verified (None: no allauth row), flags
    ("ada", "ada@example.test", "ada-analytical-engine", "pbkdf2_sha256", True, {"is_staff": True, "first_name": "Ada", "last_name": "Lovelace"}),
    ("grace", "grace@example.test", "grace-compiles-cobol", "argon2", True, {"is_staff": True, "is_superuser": True}),
    ("linus", "Linus@Example.test", "linus-writes-kernels", "bcrypt_sha256", False, {}),
    ("ken", "ken@example.test", "ken-writes-unix", "bcrypt", True, {}),
    ("barbara", "barbara@example.test", "barbara-liskov-subst", "pbkdf2_sha1", True, {}),
    ("margaret", "margaret@example.test", "margaret-apollo-guidance", "scrypt", True, {}),
    ("olduser", "old@example.test", "old-md5-password", "md5", True, {}),
    ("inactive", "inactive@example.test", "inactive-but-correct", "pbkdf2_sha256", True, {"is_active": False}),
    ("ada2", "ADA@example.test", "second-ada-account", "pbkdf2_sha256", False, {}),
    ("taken", "taken@example.test", "django-password-of-taken", "pbkdf2_sha256", True, {}),
    ("social", "social@example.test", None, None, True, {}),
    ("noemail", "", "no-email-password", "pbkdf2_sha256", None, {}),
]

APPLICATIONS = [
    # name, client_id, type, grant, secret, hash it (DOT >= 2.0), skip_authorization, redirect URIs
    ("Billing service", "billing-service", "confidential", "client-credentials", "billing-secret-from-dot-2", True, False, ""),
    ("Web portal", "web-portal", "confidential", "authorization-code", "web-portal-plain-secret", False, True, "http://127.0.0.1:9/callback"),
    ("Mobile app", "mobile-app", "public", "authorization-code", "", False, False, "com.example.app:/callback http://127.0.0.1:9/callback"),
    ("Legacy password app", "legacy-password", "confidential", "password", "legacy-secret", True, False, ""),
    ("Insecure app", "insecure-app", "confidential", "authorization-code", "insecure-secret", True, False, "http://app.example.test/cb"),
]


@transaction.atomic
def seed():
    editors, _ = Group.objects.get_or_create(name="Editors")
    support, _ = Group.objects.get_or_create(name="Support team")
    out = {"users": {}, "clients": {}}
    for username, email, password, hasher, verified, flags in USERS:
        user = User.objects.create_user(username=username, email=email, **flags)
        if password is None:
            user.set_unusable_password()
        elif hasher == "scrypt":
            user.password = scrypt_hash(password)
        else:
            user.password = make_password(password, hasher=hasher)
        user.save()
        if verified is not None and email:
            EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        out["users"][username] = {"email": email, "password": password, "hash": user.password.split("$", 1)[0]}
    User.objects.get(username="ada").groups.add(editors, support)
    User.objects.get(username="ken").groups.add(editors)
    SocialAccount.objects.create(user=User.objects.get(username="social"), provider="google", uid="108234567890")
    for name, client_id, client_type, grant, secret, hashed, skip, redirects in APPLICATIONS:
        Application.objects.create(
            name=name,
            client_id=client_id,
            client_type=client_type,
            authorization_grant_type=grant,
            # What DOT's ClientSecretField does on save when hash_client_secret is true.
            client_secret=make_password(secret) if hashed and secret else secret,
            hash_client_secret=hashed,
            skip_authorization=skip,
            redirect_uris=redirects,
        )
        out["clients"][client_id] = secret
    return out


if __name__ == "__main__":
    print(json.dumps(seed()))
