"""Where the counts come from: the engine that reads the evaluation data (``data.engine``).

- ``arrow``: the data is read in chunks with pyarrow and counted in NumPy
  (:mod:`governance.evaluators.stream`); the only engine that can run a model on each row.
- ``duckdb``: a CSV or Parquet file (or a glob of them) whose predictions are columns, counted
  by embedded DuckDB in one query (:mod:`governance.data.engines.duckdb`).
- ``spark``: a Spark table or a lakehouse path, counted by a SparkSession from the settings
  (:mod:`governance.data.engines.spark`).

A SQL engine runs one ``GROUP BY GROUPING SETS`` query (:mod:`governance.data.engines.query`)
and a seeded sample query; the result becomes the same per-group counts the arrow path
accumulates (:mod:`governance.data.engines.result`). See ``docs/engines.md``.
"""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from governance.data.engines.object_store import Listing, list_files, list_folder, list_uri
from governance.errors import EngineError
from governance.manifest import Manifest

if TYPE_CHECKING:
    from governance.config import Settings

ENGINES = ("arrow", "duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
"""The engine of data files whose predictions are columns, when ``data.engine`` is not set."""
MODEL_ENGINE = "arrow"
"""The engine of a manifest whose model runs on each row."""
NUMERIC_TYPES: tuple[str, ...] = (
    *("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL"),
    *("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "BOOLEAN"),
    *("INT", "LONG", "SHORT", "BYTE", "REAL"),  # Spark's names
)
DIGEST_CHUNK = 1 << 20
NO_FILE = "evaluation data not found: {engine}: no data file matches {path!r}"
PYARROW_ONLY = (".bz2",)
"""Compressions of CSV that pyarrow reads and DuckDB does not."""
UNKNOWN_FORMAT = "cannot tell the format of {path!r}: set data.format to csv or parquet"


def engine_name(manifest: Manifest) -> str:
    """The engine that reads the manifest's data (docs/engines.md).

    ``data.engine`` when set; otherwise :data:`DEFAULT_ENGINE` (``duckdb``) for data whose
    predictions are a column (``data.prediction``, no ``model:``), and ``arrow`` when a model
    runs on each row.
    """
    return manifest.engine


@dataclass(frozen=True)
class Source:
    """What a SQL engine reads: data files (a path or glob) or a table."""

    engine: str
    files: tuple[Path, ...] = ()
    format: str | None = None
    table: str | None = None
    where: str | None = None
    shown: str = ""
    """How errors and the record name the data: the manifest's path or the table's name."""
    listing: Listing | None = None
    """Files read as one pyarrow dataset: an object-store URI's objects, or a local folder's."""


@dataclass(frozen=True)
class EngineInfo:
    """What the record says about the engine run: enough to run the same evaluation again."""

    name: str
    version: str
    query: str
    sample_query: str | None
    where: str | None
    sample_rows: int
    seed: int
    snapshot: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The record's ``artifacts.data.engine``."""
        return {
            "name": self.name,
            "version": self.version,
            "query": self.query,
            "sample_query": self.sample_query,
            "where": self.where,
            "sample": {"rows": self.sample_rows, "seed": self.seed},
            "snapshot": self.snapshot,
        }


class Engine(Protocol):
    """A SQL engine holding the data as the view :data:`~governance.data.engines.query.VIEW`."""

    name: str
    dialect: str

    @property
    def version(self) -> str:
        """The engine's version."""

    def columns(self) -> dict[str, str]:
        """Each column of the data and its type, as the engine names it."""

    def run(self, query: str) -> Any:
        """The query's result as a pyarrow table."""

    def snapshot(self) -> dict[str, Any]:
        """The data's identity: files with sizes and digests, or the table and its version."""

    def close(self) -> None:
        """Release the engine's resources."""


def source_of(manifest: Manifest) -> Source:
    """The manifest's data as a SQL engine reads it; files must exist (globs: at least one)."""
    from governance.data.source import suffix_format

    spec = manifest.spec.data
    name = engine_name(manifest)
    if spec.table is not None:
        return Source(name, table=spec.table, where=spec.where, shown=f"table {spec.table}")
    assert spec.path is not None  # the manifest has a path or a table
    listing = None
    if manifest.data_uri is not None:  # an object store, listed with its filesystem
        listing = list_uri(manifest.data_uri, engine=name, shown=spec.path)
        fmt = spec.format or suffix_format(Path(listing.paths[0]))
        if fmt is None:
            raise manifest.error(UNKNOWN_FORMAT.format(path=spec.path), "data", "path")
        return Source(name, format=fmt, where=spec.where, shown=spec.path, listing=listing)
    pattern = manifest.data_path
    if glob.has_magic(spec.path):
        files = tuple(sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file()))
    elif name == "spark" and pattern.is_dir():  # a table folder: Parquet, Delta, Iceberg
        files = (pattern,)
    elif name == "duckdb" and pattern.is_dir():  # an Arrow dataset: hive-partitioned files
        listing = list_folder(pattern)
        files = (pattern,) if listing.infos else ()
    else:
        files = (pattern,) if pattern.is_file() else ()
    if not files:
        raise manifest.error(NO_FILE.format(engine=name, path=spec.path), "data", "path")
    first = Path(listing.paths[0]) if listing is not None else files[0]
    fmt = spec.format or suffix_format(first)
    if fmt is None:
        raise manifest.error(UNKNOWN_FORMAT.format(path=spec.path), "data", "path")
    if name == "duckdb" and fmt == "csv" and any(f.name.endswith(PYARROW_ONLY) for f in files):
        listing = list_files(files)  # DuckDB cannot decompress it: pyarrow reads, DuckDB scans
    return Source(name, files=files, format=fmt, where=spec.where, shown=spec.path, listing=listing)


def folder_snapshot(manifest: Manifest, folder: Path) -> dict[str, Any]:
    """A table folder: its files' names and sizes, one digest over them, Delta/Iceberg versions.

    The files are listed, not read (a table folder may hold terabytes); a Delta table's version
    is its newest ``_delta_log`` commit, an Iceberg table's the current snapshot id of its
    newest metadata file.
    """
    import json

    listed = sorted(
        (str(path.relative_to(folder)), path.stat().st_size)
        for path in folder.rglob("*")
        if path.is_file()
    )
    overall = hashlib.sha256("".join(f"{n}\0{size}\n" for n, size in listed).encode())
    found: dict[str, Any] = {
        "path": manifest.name_of(folder),
        "files": len(listed),
        "bytes": sum(size for _, size in listed),
        "digest": "sha256:" + overall.hexdigest(),
    }
    commits = sorted((folder / "_delta_log").glob("*.json"))
    if commits and commits[-1].stem.isdigit():
        found["delta_version"] = int(commits[-1].stem)
    metadata = sorted((folder / "metadata").glob("*.metadata.json"))
    if metadata:
        try:
            current = json.loads(metadata[-1].read_text(encoding="utf-8"))
            found["iceberg_snapshot_id"] = current.get("current-snapshot-id")
        except (OSError, ValueError):
            pass
    return found


def file_snapshot(manifest: Manifest, files: tuple[Path, ...]) -> dict[str, Any]:
    """Each file's portable name, size and sha256, and one digest (one file: its own)."""
    if len(files) == 1 and files[0].is_dir():
        return folder_snapshot(manifest, files[0])
    listed = []
    overall = hashlib.sha256()
    for path in files:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(DIGEST_CHUNK):
                digest.update(chunk)
        entry = {
            "path": manifest.name_of(path),
            "size": path.stat().st_size,
            "digest": "sha256:" + digest.hexdigest(),
        }
        overall.update(f"{entry['path']}\0{entry['digest']}\n".encode())
        listed.append(entry)
    if len(listed) == 1:  # one file: its own digest, as the arrow path records it
        return {"files": listed, "digest": listed[0]["digest"]}
    return {"files": listed, "digest": "sha256:" + overall.hexdigest()}


def open_engine(manifest: Manifest, settings: Settings | None = None) -> Engine:
    """Start the manifest's SQL engine with its data registered as a view (filter applied)."""
    source = source_of(manifest)
    if source.engine == "duckdb":
        from governance.data.engines.duckdb import DuckDBEngine

        return DuckDBEngine(manifest, source)
    if source.engine == "spark":
        from governance.data.engines.spark import SparkEngine

        return SparkEngine(manifest, source, settings)
    raise EngineError(f"{source.engine}: not a SQL engine")


def is_numeric(kind: str) -> bool:
    """Whether an engine's column type holds numbers (DuckDB and Spark names)."""
    base = kind.upper().split("(")[0].strip()
    return base in NUMERIC_TYPES or base.startswith("DECIMAL")
