"""The ``duckdb`` engine: CSV or Parquet files (a path, a glob, a folder or an object-store URI).

Files are read with ``read_parquet`` / ``read_csv`` through DuckDB's relation API (the paths
are never part of a query text); a URI's objects or a local folder are a pyarrow dataset that
DuckDB scans (:mod:`~governance.data.engines.object_store`). ``data.where`` is applied with
the relation's ``filter``, which parses it as one expression, and the result is registered as
the view :data:`~governance.data.engines.query.VIEW` that the counting and sample queries read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from governance.data.engines import Source, file_snapshot
from governance.data.engines.csv_types import csv_types
from governance.data.engines.object_store import listing_snapshot, open_dataset
from governance.data.engines.query import VIEW, quote
from governance.data.engines.where import check_where
from governance.errors import EngineError
from governance.manifest import Manifest
from governance.redact import without_quoted

CHUNK_ROWS = 1 << 16


def failure(source: Source, exc: BaseException) -> EngineError:
    """One line naming the engine, the data and what DuckDB says (quoted values left out)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EngineError(f"duckdb: {source.shown}: {without_quoted(text)}")


class DuckDBEngine:
    """An in-process DuckDB connection with the data as a view."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, manifest: Manifest, source: Source) -> None:
        try:
            import duckdb
        except ImportError:
            raise EngineError(
                "duckdb: the duckdb package is not installed (pip install 'governance[gate]')"
            ) from None
        self.manifest = manifest
        self.source = source
        self.module = duckdb
        self.connection = duckdb.connect(":memory:")
        files = [] if source.listing is not None else [str(path) for path in source.files]
        self._confine(files)  # a dataset is read by pyarrow: DuckDB may open no file at all
        try:
            if source.listing is not None:
                relation = self.connection.from_arrow(
                    open_dataset(source.listing, source.format or "parquet")
                )
            elif source.format == "parquet":
                relation = self.connection.read_parquet(files)
            else:
                # typed as the arrow path reads the file: DuckDB's own guess differs
                # (``yes``/``no`` is a boolean to it), and labels would not match
                relation = self.connection.read_csv(files, dtype=csv_types(source.files[0]))
            if source.where is not None:
                check_where(source.where, source, relation.columns)
                relation = relation.filter(source.where)
            self.connection.register(VIEW, relation)
            self._columns = {
                name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)
            }
        except (duckdb.Error, OSError, ValueError) as exc:  # pyarrow's errors are both
            self.close()
            raise failure(source, exc) from None

    def _confine(self, files: list[str]) -> None:
        """Only the data's files are readable, and nothing is installed or loaded at run time."""
        listed = ", ".join("'" + name.replace("'", "''") + "'" for name in files)
        for statement in (
            "SET enable_progress_bar = false",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            f"SET allowed_paths = [{listed}]",  # the data's own files, quoted as literals
            "SET enable_external_access = false",  # last: no setting can undo it
        ):
            self.connection.execute(statement)

    @property
    def version(self) -> str:
        """DuckDB's version."""
        return str(self.module.__version__)

    def columns(self) -> dict[str, str]:
        """Each column and its DuckDB type."""
        return dict(self._columns)

    def run(self, query: str) -> Any:
        """The query's result as a pyarrow table."""
        try:
            return self.connection.sql(query).to_arrow_table()
        except self.module.Error as exc:
            raise failure(self.source, exc) from None

    def in_order(self, column: str) -> Iterator[Any]:
        """One column's values in the data's order, in chunks (DuckDB keeps insertion order)."""
        query = f"SELECT {quote(column, self.dialect)} FROM {VIEW}"  # noqa: S608 - quoted name
        try:
            reader = self.connection.sql(query).fetch_record_batch(CHUNK_ROWS)
            for batch in reader:
                yield batch.column(0)
        except self.module.Error as exc:
            raise failure(self.source, exc) from None

    def snapshot(self) -> dict[str, Any]:
        """The files read: portable names, sizes, sha256 digests (objects: modification times)."""
        if self.manifest.data_uri is not None and self.source.listing is not None:
            return listing_snapshot(self.source.listing)
        return file_snapshot(self.manifest, self.source.files)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()
