"""Who may do what: API keys as bearer tokens, with the scopes ``ingest`` and ``read``.

openlineage-python's ``api_key`` auth sends ``Authorization: Bearer <key>``. Browsers cannot
send a bearer token without JavaScript, so the web view also takes the key as the password of
HTTP Basic authentication (any user name): the browser asks for it once. With no key
configured, every request is allowed and the server listens on loopback only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from governance.serve.errors import ApiError
from governance.serve.keys import ApiKey, KeyRing

__all__ = ["authorize", "token_from_header"]

MISSING = "an API key is required (Authorization: Bearer <key>)"
UNKNOWN = "the API key is not valid"
MALFORMED = "the Authorization header is not Bearer <key> or Basic credentials"
NO_SCOPE = "the API key does not have the {scope} scope"


def token_from_header(value: str | None) -> str | None:
    """The key in an ``Authorization`` header (Bearer, or the password of Basic), or None.

    Raises
    ------
    ApiError
        401 if the header is present but malformed.
    """
    if value is None or not value.strip():
        return None
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, MALFORMED) from None
        _, sep, password = decoded.partition(":")
        if sep and password:
            return password
    raise ApiError(401, MALFORMED)


def authorize(
    keys: KeyRing, headers: Mapping[str, str], scope: str, *, challenge: str = "Bearer"
) -> ApiKey | None:
    """Check that the request carries a key with ``scope``; ``None`` when no keys are set.

    Parameters
    ----------
    keys
        The accepted keys.
    headers
        The request headers (only ``authorization`` is read).
    scope
        ``ingest`` or ``read``.
    challenge
        The scheme named in ``WWW-Authenticate`` on a 401: ``Bearer`` for the API, ``Basic``
        for the web view (so browsers prompt for the key).

    Returns
    -------
    ApiKey or None
        The key used.

    Raises
    ------
    ApiError
        401 without a valid key, 403 with a key lacking ``scope``.
    """
    if not keys:
        return None
    www = {"WWW-Authenticate": f'{challenge} realm="governance"'}
    try:
        token = token_from_header(headers.get("authorization"))
    except ApiError as exc:
        raise ApiError(401, exc.message, headers=www) from None
    if token is None:
        raise ApiError(401, MISSING, headers=www)
    key = keys.match(token)
    if key is None:
        raise ApiError(401, UNKNOWN, headers=www)
    if scope not in key.scopes:
        raise ApiError(403, NO_SCOPE.format(scope=scope))
    return key
