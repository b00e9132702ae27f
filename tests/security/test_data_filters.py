"""`data.where` selects rows and nothing else; the DuckDB engine reads only the data's files.

An attacker who can edit a manifest in a pull request would use the filter to read a file of the
CI runner (a subquery or a table function, its content leaked through a cast error) or to call
into the engine's host (Spark's ``reflect``). Every token of a filter is checked against an
allow-list before the engine parses it; and DuckDB is confined to the data's files, so a filter
that slipped through still could not read another one.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from governance.data.engines.where import check_where
from governance.errors import EngineError
from tests.conftest import CliRun, synthetic_frame
from tests.engines.test_check import check, entries, manifest

SECRET = "TOPSECRET-7f3c"
ATTACKS = [
    "age > (SELECT count(*) FROM read_csv('{secret}'))",
    "CAST((SELECT content FROM read_text('{secret}')) AS INT) > 0",
    "CAST((SELECT first(value) FROM text.`{secret}`) AS INT) > 0",
    "reflect('java.lang.System', 'getProperty', 'user.home') = 'x'",
    "age > 1 UNION SELECT 1",
    "read_text('{secret}') IS NOT NULL",
    "age.read_text() > 0",
    "getenv('HOME') = 'x'",
]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_filter_reaching_past_the_rows_is_refused_before_the_engine(
    run_cli: CliRun, tmp_path: Path, secret: Path, attack: str
) -> None:
    synthetic_frame(500, seed=3).to_parquet(tmp_path / "data.parquet")
    where = attack.format(secret=secret)
    extra = "  where: '" + where.replace("'", "''") + "'\n"
    code, record, err = check(run_cli, tmp_path, manifest("duckdb", "data.parquet", extra))
    assert code == 2 and record is None
    assert "duckdb: data.parquet: data.where must be one boolean expression" in err, err
    assert SECRET not in err
    assert entries(tmp_path) == 0


@pytest.mark.parametrize(
    "where",
    [
        "age >= 30 AND sex = 'female'",
        "\"age\" BETWEEN 20 AND 40 OR lower(sex) IN ('male')",
        "CAST(age AS DOUBLE) > 30.5 AND NOT (sex IS NULL)",
        "`age` > 1",
    ],
)
def test_an_ordinary_filter_is_allowed(where: str) -> None:
    source = SimpleNamespace(engine="duckdb", shown="data.parquet")
    check_where(where, source, ["age", "sex"])


def test_a_column_is_never_called_even_when_named_like_a_function() -> None:
    source = SimpleNamespace(engine="duckdb", shown="data.parquet")
    with pytest.raises(EngineError, match="function 'read_text'"):
        check_where("read_text('/etc/passwd') IS NULL", source, ["read_text"])


def test_duckdb_reads_only_the_data_files_even_past_the_filter_check(
    tmp_path: Path, secret: Path
) -> None:
    from governance.data.engines import Source
    from governance.data.engines.duckdb import DuckDBEngine

    data = tmp_path / "data.parquet"
    synthetic_frame(100, seed=1).to_parquet(data)
    source = Source(engine="duckdb", files=(data,), format="parquet", shown="data.parquet")
    engine = DuckDBEngine(SimpleNamespace(), source)  # type: ignore[arg-type]
    try:
        assert engine.run("SELECT count(*) AS n FROM governance_data").column("n")[0].as_py() == 100
        with pytest.raises(EngineError) as refused:
            engine.run(f"SELECT * FROM read_text('{secret}')")
        assert SECRET not in str(refused.value)
        with pytest.raises(EngineError):
            engine.run("SET enable_external_access = true")
    finally:
        engine.close()


def test_duckdb_over_an_arrow_dataset_reads_no_file_at_all(tmp_path: Path, secret: Path) -> None:
    from governance.data.engines import Source
    from governance.data.engines.duckdb import DuckDBEngine
    from governance.data.engines.object_store import list_folder

    folder = tmp_path / "decisions" / "month=1"
    folder.mkdir(parents=True)
    synthetic_frame(100, seed=1).to_parquet(folder / "part-0.parquet")
    listing = list_folder(tmp_path / "decisions")
    source = Source(engine="duckdb", format="parquet", shown="decisions", listing=listing)
    engine = DuckDBEngine(SimpleNamespace(), source)  # type: ignore[arg-type]
    try:
        counted = engine.run("SELECT count(*) AS n, max(month) AS m FROM governance_data")
        assert counted.to_pylist() == [{"n": 100, "m": 1}]  # the hive partition is a column
        for attack in (
            f"SELECT * FROM read_text('{secret}')",
            f"SELECT * FROM read_parquet('{folder / 'part-0.parquet'}')",  # not even the data's
        ):
            with pytest.raises(EngineError) as refused:
                engine.run(attack)
            assert SECRET not in str(refused.value)
    finally:
        engine.close()
