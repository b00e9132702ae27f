"""Errors the API answers with: a status and a JSON body ``{"code": ..., "message": ...}``.

The body has the shape of Marquez's (Dropwizard's) error messages. Every rejected request is
logged on stderr, one line, through the ``governance.serve`` logger: method, path, client,
status and the reason. Headers (``Authorization`` above all), keys and bodies are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["ApiError", "BodyTooLarge", "error_body", "log_rejection", "logger"]

logger = logging.getLogger("governance.serve")


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


def log_rejection(scope: Mapping[str, Any], status: int, message: str) -> None:
    """Log one rejected request: method, path, client, status, reason (never headers)."""
    client = scope.get("client")
    peer = f"{client[0]}:{client[1]}" if client else "-"
    logger.warning(
        "rejected %s %s from %s: %d %s",
        scope.get("method", "-"),
        scope.get("path", "-"),
        peer,
        status,
        message,
    )
