"""
Verifies Gatehouse access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed with a key from
Gatehouse's JWKS, for this API (`aud`), from your Gatehouse (`iss`), not expired (`exp`).

Settings:
    GATEHOUSE_ISSUER    https://id.example.com      (the `iss` of every token)
    GATEHOUSE_AUDIENCE  https://api.example.com     (this API's identifier in Gatehouse)
    GATEHOUSE_JWKS_URL  optional, default <issuer>/jwks
"""
import jwt
from django.conf import settings
from rest_framework import authentication, exceptions

# Asymmetric algorithms only: "none" and HS256 (a shared secret) are never accepted.
ALGORITHMS = ["RS256", "ES256", "EdDSA"]
ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}

_jwks_clients = {}


def _jwks_client():
    url = getattr(settings, "GATEHOUSE_JWKS_URL", None) or settings.GATEHOUSE_ISSUER.rstrip("/") + "/jwks"
    # One client per URL: it caches the keys and fetches again when a token names an unknown kid
    # (a key rotation), so rotations need no restart.
    if url not in _jwks_clients:
        _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True)
    return _jwks_clients[url]


class TokenSubject:
    """Who a valid token speaks for: a user (`sub` = user id) or a client acting for itself."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, claims):
        self.claims = claims
        self.id = claims["sub"]
        self.client_id = claims.get("client_id")
        self.scopes = frozenset(claims.get("scope", "").split())
        roles = claims.get("roles", [])
        self.roles = frozenset(roles if isinstance(roles, list) else [])

    def __str__(self):
        return self.id


def verify_access_token(token):
    """The token's claims, or AuthenticationFailed (DRF answers 401 with WWW-Authenticate)."""
    try:
        header = jwt.get_unverified_header(token)
        if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            # An ID token or any other JWT is not an access token (RFC 9068 §4).
            raise exceptions.AuthenticationFailed("not an access token")
        key = _jwks_client().get_signing_key_from_jwt(token).key
        return jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=settings.GATEHOUSE_AUDIENCE,
            issuer=settings.GATEHOUSE_ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=30,
        )
    except exceptions.AuthenticationFailed:
        raise
    except jwt.ExpiredSignatureError:
        raise exceptions.AuthenticationFailed("the access token has expired")
    except jwt.InvalidAudienceError:
        raise exceptions.AuthenticationFailed("the access token is for another API")
    except (jwt.PyJWKClientError, jwt.InvalidTokenError):
        raise exceptions.AuthenticationFailed("the access token is not valid")


class GatehouseAccessTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>` → request.user is a TokenSubject, request.auth the claims."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None  # no token: IsAuthenticated answers 401
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("malformed Authorization header")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("malformed Authorization header")
        claims = verify_access_token(token)
        return TokenSubject(claims), claims

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a missing or bad token (RFC 6750 §3).
        return 'Bearer realm="api"'
