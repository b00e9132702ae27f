"""mask_url and sqlite_url_for."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import StoreError
from governance.store.url import mask_url, sqlite_url_for


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://user:secret@host:5432/db",
            "postgresql+psycopg://user:***@host:5432/db",
        ),
        ("postgresql://user:p%40ss@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:a:b@host/db", "postgresql://user:***@host/db"),
        ("postgresql://:secret@host/db", "postgresql://:***@host/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://host:5432/db", "postgresql://host:5432/db"),
        (
            "postgresql://u@h/db?password=secret&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
        ),
        ("sqlite:////tmp/audit.db", "sqlite:////tmp/audit.db"),
        ("sqlite:///relative/audit.db", "sqlite:///relative/audit.db"),
        ("sqlite://", "sqlite://"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_sqlite_url_for_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_url_for("audit.db") == f"sqlite:///{tmp_path}/audit.db"
    assert sqlite_url_for(tmp_path / "x" / "a b.db") == f"sqlite:///{tmp_path}/x/a b.db"


def test_sqlite_url_for_refuses_a_question_mark() -> None:
    with pytest.raises(StoreError, match="contains '\\?'"):
        sqlite_url_for("/tmp/what?.db")
