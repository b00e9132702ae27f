"""The store written by main before the typed record (tests/fixtures/v1-store), unpacked."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "v1-store" / "store.db.gz"


def v1_store(folder: Path) -> str:
    """Unpack the store into ``folder`` (it is opened read-write) and return its URL."""
    path = folder / "v1-store.db"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return f"sqlite:///{path}"


def v1_records(folder: Path) -> list[dict[str, Any]]:
    """The evaluation records of the store, as stored, oldest first."""
    url = v1_store(folder)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        rows = connection.execute(
            "SELECT payload FROM audit_log WHERE kind = 'evaluation' ORDER BY seq"
        ).fetchall()
    return [json.loads(payload) for (payload,) in rows]
