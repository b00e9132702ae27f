"""What every request handler shares: the configuration and the open store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from governance.serve.auth import authorize
from governance.serve.config import ServeConfig
from governance.serve.intake import GroupCommitter

if TYPE_CHECKING:
    from governance.audit import AuditStore

__all__ = [
    "ServerState",
    "require_ingest",
    "require_read",
    "require_web",
    "server_state",
    "state_of",
]


@dataclass
class ServerState:
    """The store and helpers of one running server."""

    config: ServeConfig
    store: AuditStore
    committer: GroupCommitter


def state_of(request: Request) -> ServerState:
    """The state of the app serving ``request``."""
    state: ServerState = request.app.state.governance
    return state


async def server_state(request: Request) -> ServerState:
    """Dependency: the server's state (async, so no worker thread is taken for it)."""
    return state_of(request)


async def require_ingest(request: Request) -> None:
    """Dependency: the request carries a key with the ``ingest`` scope (if keys are set)."""
    authorize(state_of(request).config.keys, request.headers, "ingest")


async def require_read(request: Request) -> None:
    """Dependency: the request carries a key with the ``read`` scope (if keys are set)."""
    authorize(state_of(request).config.keys, request.headers, "read")


async def require_web(request: Request) -> None:
    """Dependency of the web view: ``read``, and browsers are asked for Basic credentials."""
    authorize(state_of(request).config.keys, request.headers, "read", challenge="Basic")
