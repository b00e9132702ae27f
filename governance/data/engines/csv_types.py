"""A CSV's column types as the arrow path reads them, so DuckDB reads the file the same way."""

from __future__ import annotations

from pathlib import Path

CSV_TYPES = {"string": "VARCHAR", "bool": "BOOLEAN", "int64": "BIGINT", "double": "DOUBLE"}


def csv_types(path: Path) -> dict[str, str]:
    """The CSV's column types as the file path infers them from its first chunk.

    DuckDB's own detection differs (``yes``/``no`` is a boolean to it, text to pyarrow), and a
    decision column read as another type would be compared with the wrong labels.
    """
    from governance.data import open_data_file

    source = open_data_file(path)
    first = next(iter(source.select(list(source.columns)).batches()), None)
    if first is None:
        return {}
    kinds = {
        name: CSV_TYPES.get(str(kind))
        for name, kind in zip(first.schema.names, first.schema.types, strict=True)
    }
    kinds.update(
        {
            name: "VARCHAR"
            for name in first.schema.names
            if str(first.schema.field(name).type) == "null"
        }
    )
    return {name: kind for name, kind in kinds.items() if kind is not None}
