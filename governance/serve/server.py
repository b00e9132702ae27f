"""Run the app with uvicorn, refusing to expose an unauthenticated store."""

from __future__ import annotations

import logging
import sys

from governance.serve.config import ServeConfig, check_bind

__all__ = ["serve"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _log_to_stderr() -> None:
    logger = logging.getLogger("governance.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def serve(config: ServeConfig, *, host: str, port: int, access_log: bool = True) -> None:
    """Serve ``config`` on ``host:port`` until interrupted.

    Requests are answered when addressed to a loopback name, to ``host`` itself (unless it
    is every address, ``0.0.0.0`` or ``::``), or to one of ``config.allowed_hosts``.

    Raises
    ------
    ConfigError
        If ``host`` is not loopback and no API key is configured.
    """
    import uvicorn

    from governance.serve.app import create_app

    check_bind(host, config.keys)
    config = config.bound_to(host)
    _log_to_stderr()
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
