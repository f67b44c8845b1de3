#!/usr/bin/env python3
"""The Django project the import tests build: auth, allauth and a django-oauth-toolkit-shaped app."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legacy_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
