"""Store URLs: masking secrets for messages, and SQLite URLs for paths.

Standard library only, so configuration code can use it without importing SQLAlchemy.
"""

from __future__ import annotations

import re
from pathlib import Path

from governance.errors import StoreError

__all__ = ["MASK", "mask_url", "sqlite_url_for"]

MASK = "***"
SQLITE_PATH_UNSAFE = "cannot make a SQLite URL for {path}: the path contains '?'"

# ``scheme://user:password@`` with the same rules as SQLAlchemy's URL parser: the user stops at
# ':' or '/', the password runs to the first '@'.
_USERINFO = re.compile(r"^(?P<head>[\w+.-]+://[^:/@]*):(?P<password>[^@]*)@")
_QUERY_SECRET = re.compile(r"(?P<key>[?&](?:password|passwd|pwd|sslpassword)=)[^&#]*", re.I)


def mask_url(url: str) -> str:
    """Return ``url`` with its password, if any, replaced by ``***``.

    Parameters
    ----------
    url
        A database URL such as ``postgresql+psycopg://user:secret@host/db``.

    Returns
    -------
    str
        The same URL, safe to show in messages and logs. Passwords given as query
        parameters (``?password=...``) are masked too.
    """
    masked = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", url, count=1)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}{MASK}", masked)


def sqlite_url_for(path: str | Path) -> str:
    """Return the SQLAlchemy URL of a SQLite file, made absolute.

    Parameters
    ----------
    path
        The database file; ``~`` is expanded, relative paths are taken from the current
        directory.

    Returns
    -------
    str
        ``sqlite:////absolute/path/audit.db``.

    Raises
    ------
    StoreError
        If the path contains ``?``, which would start the URL's query.
    """
    absolute = Path(path).expanduser().absolute()
    text = absolute.as_posix()
    if "?" in text:
        raise StoreError(SQLITE_PATH_UNSAFE.format(path=text))
    return f"sqlite:///{text}"
