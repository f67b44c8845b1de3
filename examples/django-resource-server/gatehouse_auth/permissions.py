"""
Scopes and roles from a Gatehouse access token as DRF permissions. A missing scope or role is a
403 (the token is fine, it just does not allow this: RFC 6750 "insufficient_scope").

    class InvoiceList(APIView):
        permission_classes = [HasScopes("invoices:read")]
"""
from rest_framework.permissions import BasePermission

from .authentication import TokenSubject


def _requires(kind, required):
    required = frozenset(required)

    class Requires(BasePermission):
        message = "insufficient_scope: this needs the %s %s" % (kind, ", ".join(sorted(required)))

        def has_permission(self, request, view):
            subject = request.user
            if not isinstance(subject, TokenSubject):
                return False
            held = subject.scopes if kind == "scopes" else subject.roles
            return required <= held

    Requires.__name__ = "Has%s(%s)" % (kind.capitalize(), ",".join(sorted(required)))
    return Requires


def HasScopes(*scopes):  # noqa: N802 (reads like a class in permission_classes)
    """Every one of `scopes` in the token's `scope` claim."""
    return _requires("scopes", scopes)


def HasRoles(*roles):  # noqa: N802
    """Every one of `roles` in the token's `roles` claim (the API must list `roles` in its claims)."""
    return _requires("roles", roles)
