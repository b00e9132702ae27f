"""Errors the API answers with: a status and a JSON body ``{"code": ..., "message": ...}``.

The body has the shape of Marquez's (Dropwizard's) error messages. Every rejected request is
logged on stderr, one line, through the ``governance.serve`` logger: method, path, client,
status and the reason, with control characters written as escapes (a path holding ``%0A`` or
``%1B`` cannot forge a line or drive a terminal). Headers (``Authorization`` above all), keys
and bodies are never logged.

A failure of the server's own (the store cannot answer, a bug) is answered with a generic
message and a request id; the detail (which names the store) goes only to the log, under that id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from governance.errors import GovernanceError, VerificationFailed
from governance.escapes import visible

__all__ = [
    "INTERNAL_ERROR",
    "STORE_FAILED",
    "ApiError",
    "BodyTooLarge",
    "error_body",
    "log_rejection",
    "logger",
    "server_failure",
]

logger = logging.getLogger("governance.serve")

STORE_FAILED = (
    "the audit store could not answer (request {request}): the server log has the details"
)
INTERNAL_ERROR = "internal error (request {request}): the server log has the details"
TAMPERED = "an audit entry does not match its hash (run governance audit verify)"


class ApiError(Exception):
    """A request the server refuses, with the HTTP status to answer.

    Parameters
    ----------
    status
        A 4xx or 5xx status code.
    message
        What is wrong, in one line, for the client.
    headers
        Extra response headers (``WWW-Authenticate`` for 401).
    """

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class BodyTooLarge(ApiError):
    """The request body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


def error_body(status: int, message: str) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"code": status, "message": message}


def _peer(scope: Mapping[str, Any] | None) -> str:
    client = (scope or {}).get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def log_rejection(scope: Mapping[str, Any], status: int, message: str) -> None:
    """Log one rejected request on one line: method, path, client, status, reason (no headers)."""
    logger.warning(
        "rejected %s %s from %s: %d %s",
        visible(str(scope.get("method", "-"))),
        visible(str(scope.get("path", "-"))),
        visible(_peer(scope)),
        status,
        visible(message),
    )


def server_failure(
    scope: Mapping[str, Any] | None,
    detail: str,
    *,
    status: int = 503,
    template: str = STORE_FAILED,
    exc_info: BaseException | None = None,
) -> ApiError:
    """Log a failure of the server's own under a new request id; the error to answer with.

    Parameters
    ----------
    scope
        The request (for its method and path), if known.
    detail
        What failed, for the log only (store errors name the store, its password masked).
    status
        The status to answer.
    template
        The generic message for the client, with ``{request}`` for the id.
    exc_info
        An unexpected exception, logged with its traceback.

    Returns
    -------
    ApiError
        ``status`` with the generic message naming the request id.
    """
    request = secrets.token_hex(6)
    logger.error(
        "request %s %s %s from %s failed: %s",
        request,
        visible(str((scope or {}).get("method", "-"))),
        visible(str((scope or {}).get("path", "-"))),
        visible(_peer(scope)),
        visible(detail),
        exc_info=exc_info,
    )
    return ApiError(status, template.format(request=request))


def library_failure(scope: Mapping[str, Any] | None, exc: GovernanceError) -> ApiError:
    """The answer to an error of the library: the status its class carries (``http_status``).

    The one mapping of :class:`~governance.errors.GovernanceError` to HTTP: bad input 400 with
    its message (and field, never a file it names), not found 404, a tampered entry 409 (logged,
    answered without the store's name), an unreachable store 503 and a bug 500, both logged
    under a request id and answered without details.

    Parameters
    ----------
    scope
        The request, for the log.
    exc
        The library's error.

    Returns
    -------
    ApiError
        What to answer.
    """
    status = exc.http_status
    if status >= 500:
        template = STORE_FAILED if status == 503 else INTERNAL_ERROR
        return server_failure(scope, str(exc), status=status, template=template)
    if isinstance(exc, VerificationFailed):
        server_failure(scope, str(exc), status=status)
        return ApiError(status, TAMPERED)
    return ApiError(status, f"{exc.field}: {exc.message}" if exc.field else exc.message)
