"""Object-store URIs in ``data.path``: which are read, and which are refused for credentials.

``s3://``, ``gs://``, ``abfs://``, ``hdfs://`` and ``file://`` paths are opened with pyarrow's
filesystems (docs/engines.md). Credentials come from the environment or the filesystem's own
configuration, never from the manifest: a URI with a password (``s3://KEY:SECRET@bucket``), a
user name on S3 or GCS (an access key id), or a query parameter that carries a key, a secret, a
token or a signature is refused. The messages name the part at fault, never its value.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

SCHEMES = ("s3", "gs", "gcs", "abfs", "abfss", "hdfs", "viewfs", "file")
"""The URI schemes ``data.path`` may use (pyarrow's ``FileSystem.from_uri``)."""
BUCKET_SCHEMES = ("s3", "gs", "gcs")
"""Schemes whose authority is a bucket: a user name there is an access key id."""
SECRET_WORDS = ("key", "secret", "token", "password", "passwd", "credential", "sig", "sas")
"""Words of a query parameter's name that mark it as a credential (``secret_key``, ``sig``)."""
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

NOT_READ = "{scheme}:// is not a filesystem the engines read (one of {schemes})"
CREDENTIALS = (
    "the URI carries credentials ({part}): credentials come from the environment "
    "or the filesystem's own configuration, never from the manifest"
)


def is_uri(path: str) -> bool:
    """Whether ``path`` is a URI (``scheme://...``) rather than a file path."""
    return _URI.match(path) is not None


def uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a ``data.path``, or None; the reason never repeats a secret."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return NOT_READ.format(scheme=scheme, schemes=", ".join(SCHEMES))
    # A secret may hold "/" (AWS's do), so the user information is everything before the
    # last "@" of the whole URI, not urlsplit's netloc; an "@" in an object's key is refused
    # too on bucket schemes (rare, and safer than reading a key id as a bucket).
    head = uri.split("://", 1)[1].split("?", 1)[0]
    user = head.rpartition("@")[0]
    if ":" in user:
        return CREDENTIALS.format(part="a password in the authority")
    if "@" in head and scheme in BUCKET_SCHEMES:
        return CREDENTIALS.format(part="a user name in the authority")
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.lower()
        if any(word in lowered for word in SECRET_WORDS):
            return CREDENTIALS.format(part=f"query parameter {name[:40]!r}")
    return None


def scheme_of(uri: str) -> str:
    """The URI's scheme, lower case."""
    return urlsplit(uri).scheme.lower()


def portable_uri(scheme: str, authority: str, path: str) -> str:
    """A listed object's name in evidence: no user information, no query, no local path.

    Parameters
    ----------
    scheme
        The URI's scheme.
    authority
        The URI's host (and port) without user information; unused for bucket schemes.
    path
        The object's path as the filesystem lists it (``bucket/log/part-0.parquet`` on S3).
    """
    if scheme in BUCKET_SCHEMES:
        return f"{scheme}://{path.lstrip('/')}"
    return f"{scheme}://{authority}/{path.lstrip('/')}"
