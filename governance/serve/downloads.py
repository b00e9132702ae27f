"""Report downloads: only a PDF the log records, from a reports folder, checked before it is sent.

The path and sha256 come from the ``report`` entry of the log at the requested ``seq`` (its
entry hash recomputed), never from the request nor from the ``reports`` table (a projection
nobody checks). The file must lie in a folder given with ``--reports-dir``: the recorded path is
normalised, matched against those folders, and opened one component at a time below the folder
without following links (``O_NOFOLLOW``), so neither a link nor a path rewritten to leave the
folder reaches another file. It is copied (hashed as it is read) into a private temporary file,
which is sent only if it is a PDF whose sha256 is the recorded one: what was checked is what is
sent, even if the file changes meanwhile.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from governance.serve.errors import ApiError

if TYPE_CHECKING:
    from governance.serve.state import ServerState
    from governance.store import Entry

__all__ = ["MAX_SEQ", "report_response"]

MAX_SEQ = 2**62
"""The largest log position a request may name (as ``/api/v1/audit/log?after=``)."""
CHUNK = 64 * 1024
SPOOLED = 8 * 1024 * 1024
"""A report up to this size is held in memory while it is checked; a larger one on disk."""
PDF_MAGIC = b"%PDF-"
SHA256 = re.compile(r"[0-9a-f]{64}")

NO_REPORT = "no report at audit entry {seq}"
TAMPERED = "audit entry {seq} does not match its hash (run governance audit verify)"
DOWNLOADS_OFF = (
    "report downloads are off: start governance serve with --reports-dir DIR "
    "(the folder reports are written to)"
)
NO_DIGEST = (
    "audit entry {seq} records no sha256 of its report: it cannot be checked, so it is not served"
)
OUTSIDE = "the report file of audit entry {seq} is not in a reports folder of this server"
LINKED = "the report file of audit entry {seq} is reached through a link: links are not followed"
GONE = "the report file of audit entry {seq} is no longer at {name}"
NOT_A_FILE = "the report file of audit entry {seq} is not a regular file"
NOT_PDF = "the file of audit entry {seq} is not a PDF"
CHANGED = "the report file {name} changed since it was recorded"
NO_SAFE_OPEN = "report downloads need a system that can open files without following links"

_OPEN = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def report_response(state: ServerState, seq: int) -> StreamingResponse:
    """The checked PDF of the report recorded at log entry ``seq``, as an attachment.

    Raises
    ------
    ApiError
        404 if no report entry has that seq or its file is gone; 403 if downloads are off, or
        the file is outside the reports folders, behind a link or not a regular file; 409 if
        the entry does not match its hash, records no sha256, or the file is not a PDF with
        that sha256.
    """
    entry = _report_entry(state, seq)
    if not state.config.reports_dirs:
        raise ApiError(403, DOWNLOADS_OFF)
    payload = entry.payload
    digest = str(payload.get("digest") or "").removeprefix("sha256:")
    if not SHA256.fullmatch(digest):
        raise ApiError(409, NO_DIGEST.format(seq=seq))
    recorded = str(payload.get("path") or "")
    located = _locate(recorded, state.config.reports_dirs)
    if located is None:
        raise ApiError(403, OUTSIDE.format(seq=seq))
    root, parts = located
    name = parts[-1]
    copy = _checked_copy(_open_below(root, parts, seq, name), seq, name, digest)
    size = copy.seek(0, os.SEEK_END)
    copy.seek(0)
    return StreamingResponse(
        _chunks(copy),
        media_type="application/pdf",
        headers={"Content-Length": str(size), "Content-Disposition": _attachment(name)},
        background=BackgroundTask(copy.close),
    )


def _report_entry(state: ServerState, seq: int) -> Entry:
    """The ``report`` entry at ``seq``, its hash recomputed; 404 / 409 otherwise."""
    entries = list(state.store.entries(since_seq=seq - 1, limit=1)) if seq >= 1 else []
    if not entries or entries[0].seq != seq or entries[0].kind != "report":
        raise ApiError(404, NO_REPORT.format(seq=seq))
    entry = entries[0]
    if not entry.hash_matches():
        raise ApiError(409, TAMPERED.format(seq=seq))
    return entry


def _locate(recorded: str, roots: Sequence[Path]) -> tuple[Path, tuple[str, ...]] | None:
    """The reports folder holding ``recorded`` and the names below it, or None if none does.

    A relative path is read from the server's working directory; ``..`` and ``.`` are
    resolved by name (links are refused while opening, so a name cannot lead elsewhere).
    """
    if not recorded or "\x00" in recorded:
        return None
    path = Path(os.path.normpath(Path.cwd() / recorded))
    for root in roots:
        for form in dict.fromkeys((root, Path(os.path.realpath(root)))):
            try:
                parts = path.relative_to(form).parts
            except ValueError:
                continue
            if parts:
                return root, parts
    return None


def _open_below(root: Path, parts: Sequence[str], seq: int, name: str) -> int:
    """Open ``root/parts...`` for reading without following a link at any step below root."""
    if not (_NOFOLLOW and _DIRECTORY) or os.open not in os.supports_dir_fd:
        raise ApiError(403, NO_SAFE_OPEN)
    try:
        folder = os.open(root, _OPEN | _DIRECTORY)
    except OSError:
        raise ApiError(404, GONE.format(seq=seq, name=name)) from None
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                if stat.S_ISLNK(os.lstat(part, dir_fd=folder).st_mode):
                    raise ApiError(403, LINKED.format(seq=seq))
                flags = _OPEN | _NOFOLLOW | (os.O_NONBLOCK if last else _DIRECTORY)
                opened = os.open(part, flags, dir_fd=folder)
            except OSError as exc:
                if exc.errno == errno.ELOOP:  # became a link since lstat
                    raise ApiError(403, LINKED.format(seq=seq)) from None
                raise ApiError(404, GONE.format(seq=seq, name=name)) from None
            os.close(folder)
            folder = opened
        if not stat.S_ISREG(os.fstat(folder).st_mode):
            raise ApiError(403, NOT_A_FILE.format(seq=seq))
    except BaseException:
        os.close(folder)
        raise
    return folder


def _checked_copy(descriptor: int, seq: int, name: str, digest: str) -> IO[bytes]:
    """Copy the open file into a private temporary file; keep it only if it is the report."""
    copy: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOLED)  # noqa: SIM115 - returned
    hasher = hashlib.sha256()
    try:
        with os.fdopen(descriptor, "rb") as source:
            head = source.read(len(PDF_MAGIC))
            if head != PDF_MAGIC:
                raise ApiError(409, NOT_PDF.format(seq=seq))
            chunk = head
            while chunk:
                hasher.update(chunk)
                copy.write(chunk)
                chunk = source.read(CHUNK)
        if hasher.hexdigest() != digest:
            raise ApiError(409, CHANGED.format(name=name))
    except BaseException:
        copy.close()
        raise
    return copy


def _chunks(copy: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := copy.read(CHUNK):
            yield chunk
    finally:
        copy.close()


def _attachment(name: str) -> str:
    quoted = quote(name)
    if quoted == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename*=utf-8''{quoted}"
