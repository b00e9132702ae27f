"""Data the duckdb engine scans as a pyarrow dataset: object-store URIs and local folders.

An ``s3://``, ``gs://``, ``abfs://`` or ``hdfs://`` ``data.path`` is opened with
``pyarrow.fs.FileSystem.from_uri`` (credentials and endpoint from the environment or the
filesystem's own configuration), a glob is listed with the filesystem, and the files are read
as one ``pyarrow.dataset`` that DuckDB scans as it streams (projection and filter pushed down):
nothing is downloaded first. A local folder of Parquet is the same with the local filesystem,
hive partitions (``month=1/``) becoming columns.

The snapshot of listed objects gives each one's URI, size and modification time as the store
lists them, and one digest over those lines: reading every byte of a lake for a digest would
cost a second full scan, while an object rewritten in place gets a new modification time.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from governance.errors import EngineError
from governance.redact import without_quoted
from governance.uris import portable_uri, scheme_of

if TYPE_CHECKING:
    from pathlib import Path

NO_OBJECTS = "{engine}: {data}: no data object matches"
UNREACHABLE = "{engine}: {data}: cannot list the objects: {why}"
HIDDEN = ("_", ".")
"""Names pyarrow's dataset discovery skips (``_SUCCESS``, ``.crc`` files): skipped here too."""
_GLOB = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Listing:
    """The data files of a URI or folder, as its filesystem lists them."""

    filesystem: Any
    infos: tuple[Any, ...]
    """Each file's ``pyarrow.fs.FileInfo`` (path, size, modification time)."""
    base: str | None
    """The folder hive partitions are read under, when the path named a folder."""
    scheme: str = "file"
    authority: str = ""

    @property
    def paths(self) -> list[str]:
        """The files' paths in the filesystem."""
        return [info.path for info in self.infos]

    def name(self, path: str) -> str:
        """An object's portable name: its URI without credentials or query."""
        return portable_uri(self.scheme, self.authority, path)


def _failure(engine: str, data: str, exc: BaseException) -> EngineError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EngineError(UNREACHABLE.format(engine=engine, data=data, why=without_quoted(text)))


def _select(filesystem: Any, path: str) -> tuple[list[Any], str | None]:
    """The files at ``path``: one file, a folder's files (recursive), or a glob's matches."""
    import pyarrow.fs as pafs

    if _GLOB.search(path):
        parts = path.split("/")
        fixed = next(i for i, part in enumerate(parts) if _GLOB.search(part))
        base = "/".join(parts[:fixed])
        recursive = fixed < len(parts) - 1 or "**" in path
        listed = filesystem.get_file_info(pafs.FileSelector(base, recursive=recursive))
        wanted = re.compile(_glob_regex(path))
        return [
            i for i in listed if i.type == pafs.FileType.File and wanted.fullmatch(i.path)
        ], None
    [info] = filesystem.get_file_info([path])
    if info.type == pafs.FileType.File:
        return [info], None
    if info.type == pafs.FileType.Directory:
        listed = filesystem.get_file_info(pafs.FileSelector(path, recursive=True))
        return [i for i in listed if i.type == pafs.FileType.File], path
    return [], None


def _glob_regex(glob: str) -> str:
    """The regular expression of a ``/``-separated glob (``*`` never crosses a folder)."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:[^/]*/)*")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = glob[index + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                index = end + 1
                continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _visible(infos: list[Any], base: str | None) -> tuple[Any, ...]:
    """The listed files but those whose name (or folder under ``base``) is hidden."""
    kept = []
    for info in infos:
        relative = info.path[len(base) :].lstrip("/") if base else posixpath.basename(info.path)
        if not any(part.startswith(HIDDEN) for part in relative.split("/")):
            kept.append(info)
    return tuple(sorted(kept, key=lambda info: str(info.path)))


def list_uri(uri: str, *, engine: str, shown: str) -> Listing:
    """List the data objects of an object-store ``data.path`` (a file, a folder or a glob).

    Raises
    ------
    EngineError
        One line naming the engine and the URI: an unreachable store, a missing bucket, or no
        object matching.
    """
    import pyarrow.fs as pafs

    scheme = scheme_of(uri)
    parts = urlsplit(uri)
    authority = parts.hostname or ""
    if parts.port is not None:
        authority = f"{authority}:{parts.port}"
    # The glob is matched here, not by from_uri: only the part before it names a location
    # (a placeholder stands for the rest, then is swapped back for the glob).
    located, _, query = uri.partition("?")
    at = _GLOB.search(located)
    opened = located if at is None else located[: at.start()] + "x"
    try:
        filesystem, root = pafs.FileSystem.from_uri(opened + (f"?{query}" if query else ""))
        path = root if at is None else root[:-1] + located[at.start() :]
        infos, base = _select(filesystem, path)
    except (OSError, ValueError) as exc:
        raise _failure(engine, shown, exc) from None
    found = _visible(infos, base) if at is not None or base is not None else tuple(infos)
    if not found:
        raise EngineError(NO_OBJECTS.format(engine=engine, data=shown))
    return Listing(filesystem, found, base, scheme=scheme, authority=authority)


def list_folder(folder: Path) -> Listing:
    """A local folder's data files (recursive, hidden names skipped), read with hive partitions."""
    import pyarrow.fs as pafs

    filesystem = pafs.LocalFileSystem()
    base = folder.as_posix()
    listed = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    files = [i for i in listed if i.type == pafs.FileType.File]
    return Listing(filesystem, _visible(files, base), base)


def list_files(files: tuple[Path, ...]) -> Listing:
    """Local files read by pyarrow rather than DuckDB (a compression DuckDB lacks: bzip2)."""
    import pyarrow.fs as pafs

    filesystem = pafs.LocalFileSystem()
    return Listing(filesystem, tuple(filesystem.get_file_info([p.as_posix() for p in files])), None)


def open_dataset(listing: Listing, fmt: str) -> Any:
    """The listed files as one ``pyarrow.dataset`` (hive partitions under a folder)."""
    import pyarrow.dataset as ds

    file_format: Any = "parquet"
    if fmt == "csv":
        from governance.data.source import _csv_convert_options

        file_format = ds.CsvFileFormat(convert_options=_csv_convert_options({}))
    return ds.dataset(
        listing.paths,
        filesystem=listing.filesystem,
        format=file_format,
        partitioning="hive" if listing.base is not None else None,
        partition_base_dir=listing.base,
    )


def listing_snapshot(listing: Listing) -> dict[str, Any]:
    """Each object's URI, size and modification time, and one digest over them."""
    listed = []
    overall = hashlib.sha256()
    for info in listing.infos:
        modified = info.mtime.isoformat() if info.mtime is not None else None
        entry = {"path": listing.name(info.path), "size": info.size, "modified": modified}
        overall.update(f"{entry['path']}\0{entry['size']}\0{modified}\n".encode())
        listed.append(entry)
    return {
        "files": listed,
        "identity": "size and modification time as the store lists them (not a content digest)",
        "digest": "sha256:" + overall.hexdigest(),
    }
