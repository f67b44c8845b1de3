"""DRF authentication and permissions for APIs that trust Gatehouse access tokens (RFC 9068 JWTs)."""
