"""File helpers: the one atomic writer, and exclusive creation of a new file.

Every file governance writes for a user (reports and their attestations, output formats, the
API keys file) goes through :func:`write_atomic`: each file is written to a temporary file in
its own folder, flushed to disk, given its mode, and renamed over the target, so a reader sees
the old file or the new one, never a partial one. Nothing here imports beyond the standard
library.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

__all__ = ["write_atomic", "write_new"]

NEW_FILE_MODE = 0o666
"""Mode asked for a new file when the caller names none (the umask then applies)."""


def write_atomic(files: Sequence[tuple[Path, bytes]], *, mode: int | None = None) -> None:
    """Write each ``(path, data)``, replacing the files only once all of them are written.

    Every file is first written in full to a temporary file beside it (``.NAME.XXXX.tmp``),
    flushed to disk; then each is renamed over its target. A failure before the renames leaves
    every target as it was; the temporary files are removed in any case.

    Parameters
    ----------
    files
        The paths to write (their folders must exist) and their bytes.
    mode
        The permission bits of the written files (exactly, whatever the umask); ``None``: as a
        new file gets (0666 less the umask).

    Raises
    ------
    OSError
        If a file cannot be written; ``filename`` is the folder when no temporary file could be
        created there, else the target that could not be replaced.
    """
    temporaries: list[Path] = []
    try:
        for target, data in files:
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(
                    temporary,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                    NEW_FILE_MODE if mode is None else mode,
                )
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(target.parent)) from exc
            temporaries.append(temporary)
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for (target, _), temporary in zip(files, temporaries, strict=True):
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(target)) from exc
    finally:
        for temporary in temporaries:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``data`` and exactly ``mode``; refuse if it exists.

    Parameters
    ----------
    path
        The new file.
    data
        Its bytes.
    mode
        Its permission bits, set before any byte is written (a private key is never readable
        by others, not even for a moment).

    Raises
    ------
    FileExistsError
        If ``path`` exists.
    OSError
        If it cannot be written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)
