"""Input files: what a manifest, policy or data file from an untrusted change can make the gate do.

A pull request controls its manifests, policies and data; the CI runner's own files (home, /etc,
credentials beside the checkout) and its memory are what these tests defend. Each test is an
attack that an earlier version let through: a data file too wide to hold, a path leading out of
the checkout, an error that printed a secret file's lines into the CI log, group values that
failed only when stored.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from governance.data import source as data_source
from tests.conftest import MANIFEST, POLICY, SAMPLE, CliRun, synthetic_frame

SECRETS = ("hunter2", "sk-live-4242")
ACCURACY = POLICY[: POLICY.index("  - id: dp-ratio")] + POLICY[POLICY.index("  - id: accuracy") :]
ENV_FILE = "DB_PASSWORD=hunter2\nAPI_KEY=sk-live-4242\n"


def store_entries(db: Path) -> int:
    """Entries in the audit log (0 when the store was never created)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        count: int = conn.execute("select count(*) from audit_log").fetchone()[0]
        return count


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def check(run: CliRun, manifest: Path, policy: Path, *extra: object) -> tuple[int, str, Path]:
    """``governance check``: exit code, stderr, and the store it was given."""
    db = manifest.parent / "audit.db"
    result = run("check", manifest, "-p", policy, "--store", f"sqlite:///{db}", *extra)
    return result.exit_code, result.stderr, db


def refused(code: int, stderr: str, db: Path, *expected: str) -> None:
    """Exit 2, one ``Error:`` line holding ``expected``, nothing in the store, no secret."""
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    for text in expected:
        assert text in lines[0], lines[0]
    for secret in SECRETS:
        assert secret not in stderr
    assert store_entries(db) == 0


# --- 1. a wide file is refused, and only the columns the checks use are read ------------------


def test_a_csv_wider_than_the_limit_is_refused_naming_the_file(
    run_cli: CliRun, tmp_path: Path
) -> None:
    frame = synthetic_frame(rows=40)
    extra = pd.DataFrame(
        np.zeros((len(frame), data_source.MAX_COLUMNS), dtype=np.int8),
        columns=[f"c{i}" for i in range(data_source.MAX_COLUMNS)],
    )
    pd.concat([frame, extra], axis=1).to_csv(tmp_path / "data.csv", index=False)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    width = len(frame.columns) + data_source.MAX_COLUMNS
    refused(code, stderr, db, "data.csv", f"the header has {width} columns; at most 10000")


def test_a_first_line_longer_than_any_header_is_refused(run_cli: CliRun, tmp_path: Path) -> None:
    frame = synthetic_frame(rows=40)
    frame["x" * (data_source.MAX_HEADER_BYTES + 1)] = 0  # one column name of 4 MiB and a byte
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.csv", "the first line is longer than 4 MiB")


def test_a_parquet_file_wider_than_the_limit_is_refused(run_cli: CliRun, tmp_path: Path) -> None:
    frame = synthetic_frame(rows=20)
    extra = pd.DataFrame(
        np.zeros((len(frame), data_source.MAX_COLUMNS), dtype=np.int8),
        columns=[f"c{i}" for i in range(data_source.MAX_COLUMNS)],
    )
    pd.concat([frame, extra], axis=1).to_parquet(tmp_path / "data.parquet", index=False)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST.replace("data.csv", "data.parquet"))
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.parquet", "columns; at most 10000")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_only_the_columns_the_checks_use_are_read(
    run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    frame = synthetic_frame(rows=3000)
    # A column no rule, model or manifest field uses; in CSV its type, inferred from the first
    # block, does not fit its last value: reading it would be an error.
    frame["unused"] = [str(i) for i in range(len(frame) - 1)] + ["not a number"]
    if suffix == "csv":
        frame.to_csv(tmp_path / "data.csv", index=False)
        monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    else:
        frame.to_parquet(tmp_path / "data.parquet", index=False)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST.replace("data.csv", f"data.{suffix}"))
    policy = put(tmp_path / "policy.yaml", POLICY)
    result = run_cli(
        "check", manifest, "-p", policy, "--store", f"sqlite:///{tmp_path / 'a.db'}",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    columns = json.loads(result.stdout)["artifacts"]["data"]["columns"]
    assert [column["name"] for column in columns] == list(frame.columns)  # the file's schema
    assert {"name": "unused", "type": "not read"} in columns
    assert {"name": "age", "type": "not read"} in columns  # no rule, model or field uses it
    assert next(c for c in columns if c["name"] == "sex")["type"] != "not read"


# --- 2. paths a manifest or policy names stay inside the checkout -----------------------------


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CI checkout as the working directory, with a secret beside it (a runner's file)."""
    root = tmp_path / "checkout"
    root.mkdir()
    put(tmp_path / "runner" / "secrets.env", ENV_FILE)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GOVERNANCE_ALLOWED_PATHS", raising=False)
    return root


def manifest_naming(folder: Path, data: str, model: str | None = None) -> Path:
    text = MANIFEST.replace("path: data.csv", f"path: {json.dumps(data)}")
    if model is not None:
        text = text.replace("  prediction: prediction\n", "").replace(
            "\ndata:\n", f"\nmodel:\n  path: {json.dumps(model)}\ndata:\n"
        )
    return put(folder / "manifest.yaml", text)


@pytest.mark.parametrize(
    "named",
    ["../runner/secrets.env", "{runner}/secrets.env", "/etc/passwd", "../../etc/passwd"],
)
def test_a_manifest_cannot_name_data_outside_the_checkout(
    run_cli: CliRun, checkout: Path, named: str
) -> None:
    named = named.format(runner=checkout.parent / "runner")
    manifest = manifest_naming(checkout, named)
    code, stderr, db = check(run_cli, manifest, put(checkout / "policy.yaml", POLICY))
    refused(code, stderr, db, "manifest.yaml:10:9: data.path: data path", "is outside the folders")
    assert "root:" not in stderr  # nothing of /etc/passwd


def test_a_link_in_the_checkout_cannot_lead_out_of_it(run_cli: CliRun, checkout: Path) -> None:
    (checkout / "data.csv").symlink_to(checkout.parent / "runner" / "secrets.env")
    manifest = manifest_naming(checkout, "data.csv")
    code, stderr, db = check(run_cli, manifest, put(checkout / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.path: data path 'data.csv' is outside the folders")


def test_a_manifest_cannot_name_a_model_outside_the_checkout(
    run_cli: CliRun, checkout: Path
) -> None:
    synthetic_frame().to_csv(checkout / "data.csv", index=False)
    manifest = manifest_naming(checkout, "data.csv", model="../runner/secrets.env")
    code, stderr, db = check(run_cli, manifest, put(checkout / "policy.yaml", POLICY))
    refused(code, stderr, db, "model.path: model path '../runner/secrets.env' is outside")


def test_a_policy_cannot_extend_a_file_outside_the_checkout(
    run_cli: CliRun, checkout: Path
) -> None:
    put(checkout.parent / "runner" / "base.yaml", POLICY)
    synthetic_frame().to_csv(checkout / "data.csv", index=False)
    manifest = manifest_naming(checkout, "data.csv")
    policy = put(
        checkout / "policies" / "team.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: team, version: 1.0.0}
        extends: [../../runner/base.yaml]
        """,
    )
    code, stderr, db = check(run_cli, manifest, policy)
    refused(code, stderr, db, "team.yaml:4:11: extends[0]: extended policy", "is outside")


def test_data_and_models_beside_the_manifests_folder_are_inside_the_checkout(
    run_cli: CliRun, checkout: Path
) -> None:
    synthetic_frame().to_csv(put(checkout / "data" / "eval.csv", ""), index=False)
    manifest = manifest_naming(checkout / "manifests", "../data/eval.csv")
    policy = put(checkout / "policies" / "base.yaml", POLICY)
    put(
        checkout / "policies" / "team.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: team, version: 1.0.0}
        extends: [base.yaml]
        """,
    )
    code, stderr, _ = check(run_cli, manifest, policy.parent / "team.yaml")
    assert code == 0, stderr


def test_a_folder_outside_is_allowed_only_through_the_environment(
    run_cli: CliRun, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume = checkout.parent / "volume"
    synthetic_frame().to_csv(put(volume / "eval.csv", ""), index=False)
    manifest = manifest_naming(checkout, str(volume / "eval.csv"))
    policy = put(checkout / "policy.yaml", POLICY)
    code, stderr, db = check(run_cli, manifest, policy)
    refused(code, stderr, db, "data.path: data path", "is outside the folders")
    put(checkout / "governance.yml", f"allowed_paths: {volume}\n")  # the change could add it
    code, stderr, _ = check(run_cli, manifest, policy)
    assert code == 2 and "unknown setting 'allowed_paths'" in stderr
    (checkout / "governance.yml").unlink()
    monkeypatch.setenv("GOVERNANCE_ALLOWED_PATHS", str(volume))
    code, stderr, _ = check(run_cli, manifest, policy)
    assert code == 0, stderr


# --- 3. errors do not print what a file holds ---------------------------------------------------


def test_a_secret_file_named_as_data_is_not_printed(run_cli: CliRun, tmp_path: Path) -> None:
    put(tmp_path / ".env", ENV_FILE)
    manifest = put(
        tmp_path / "manifest.yaml", MANIFEST.replace("path: data.csv", "path: .env\n  format: csv")
    )
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", ACCURACY))
    refused(code, stderr, db, "data.target: column 'label' is not in .env (its header has 1")


def test_a_row_that_does_not_parse_is_not_printed(run_cli: CliRun, tmp_path: Path) -> None:
    frame = synthetic_frame(rows=100)
    text = frame.to_csv(index=False) + "female,a,40,no,no,0.5,hunter2\n"  # one field too many
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.csv: cannot read csv data: a row has 7 fields where the head")


def test_values_of_a_named_column_are_not_printed(run_cli: CliRun, tmp_path: Path) -> None:
    # A file whose first line the attacker can guess (a key's BEGIN line, a known CSV header)
    # named as data with that line as the target: the values below it are the secret.
    (tmp_path / "credentials.csv").write_text(
        "user,password\nadmin,hunter2\nci,sk-live-4242\nroot,x\n", encoding="utf-8"
    )
    text = MANIFEST.replace("path: data.csv", "path: credentials.csv")
    text = text.replace("target: label", "target: password").replace(
        "prediction: prediction", "prediction: user"
    )
    text = text.replace("  score: score\n", "").replace("[sex, group]", "[user]")
    manifest = put(tmp_path / "manifest.yaml", text)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", ACCURACY))
    refused(code, stderr, db, "target column 'password' has 3 labels")


def test_a_bad_value_of_a_named_column_is_not_printed(
    run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = synthetic_frame(rows=3000)
    frame["score"] = frame["score"].astype(str)
    frame.loc[2999, "score"] = "hunter2"  # the first blocks say double
    frame.to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.csv: score: cannot read csv data: a value is not a valid")


def test_a_value_the_model_cannot_take_is_not_printed(run_cli: CliRun, tmp_path: Path) -> None:
    frame = pd.read_csv(SAMPLE / "data" / "adult-test.csv.gz", nrows=400)
    frame["age"] = frame["age"].astype(str)
    frame.loc[5, "age"] = "hunter2"  # the model standardises age: it must be a number
    frame.to_csv(tmp_path / "data.csv", index=False)
    text = (SAMPLE / "baseline.yaml").read_text(encoding="utf-8")
    text = text.replace("models/baseline.skops", str(SAMPLE / "models" / "baseline.skops"))
    manifest = put(tmp_path / "manifest.yaml", text.replace("data/adult-test.csv.gz", "data.csv"))
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", ACCURACY))
    refused(code, stderr, db, "baseline.skops: the model failed to predict: could not convert")


def test_a_secret_file_named_as_a_policy_is_not_printed(run_cli: CliRun, tmp_path: Path) -> None:
    put(tmp_path / "vault.yml", "user: ci\npassword: *hunter2\ntoken: sk-live-4242\n")
    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    policy = put(
        tmp_path / "policy.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: team, version: 1.0.0}
        extends: [vault.yml]
        """,
    )
    code, stderr, db = check(run_cli, manifest, policy)
    refused(code, stderr, db, "vault.yml:2:11: invalid YAML: found undefined alias")
    code, stderr, db = check(run_cli, manifest, tmp_path / "vault.yml")
    refused(code, stderr, db, "vault.yml:2:11: invalid YAML")


# --- 4. group values must be text, checked when read ------------------------------------------


def test_a_sensitive_value_that_is_not_utf8_is_refused_when_read(
    run_cli: CliRun, tmp_path: Path
) -> None:
    frame = synthetic_frame(rows=300)
    body = frame.to_csv(index=False).encode("utf-8").splitlines(keepends=True)
    body[151] = body[151].replace(b"male", b"m\xe9le", 1)  # Latin-1, not UTF-8: data row 151
    (tmp_path / "data.csv").write_bytes(b"".join(body))
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(
        code, stderr, db, "data.csv: sex: sensitive feature 'sex': the value in data row 151 is "
        "not UTF-8 text",
    )  # fmt: skip
    assert not db.exists()


def test_a_sensitive_value_that_is_not_utf8_after_the_first_block_names_its_row(
    run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first block says the column is text; the value that is not comes in a later block.
    frame = synthetic_frame(rows=3000)
    body = frame.to_csv(index=False).encode("utf-8").splitlines(keepends=True)
    body[2900] = body[2900].replace(b"male", b"m\xe9le", 1)  # data row 2900
    (tmp_path / "data.csv").write_bytes(b"".join(body))
    monkeypatch.setattr(data_source, "CSV_BLOCK_BYTES", 8 << 10)
    manifest = put(tmp_path / "manifest.yaml", MANIFEST)
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(
        code, stderr, db, "data.csv: sex: sensitive feature 'sex': the value in data row 2900 is "
        "not UTF-8 text",
    )  # fmt: skip
    assert not db.exists()


def test_a_parquet_binary_group_column_must_be_utf8(run_cli: CliRun, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = synthetic_frame(rows=300)
    groups = [value.encode("utf-8") for value in frame.group]
    groups[42] = b"\xff\xfe"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("group"), "group", pa.array(groups, pa.binary())
    )
    pq.write_table(table, tmp_path / "data.parquet")
    manifest = put(tmp_path / "manifest.yaml", MANIFEST.replace("data.csv", "data.parquet"))
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    refused(code, stderr, db, "data.parquet: group: sensitive feature 'group': the value in data")
    assert "row 43 " in stderr


def test_a_parquet_binary_group_column_of_text_is_read_as_text(
    run_cli: CliRun, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = synthetic_frame(rows=300)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("sex"),
        "sex",
        pa.array([value.encode("utf-8") for value in frame.sex], pa.binary()),
    )
    pq.write_table(table, tmp_path / "data.parquet")
    manifest = put(tmp_path / "manifest.yaml", MANIFEST.replace("data.csv", "data.parquet"))
    code, stderr, db = check(run_cli, manifest, put(tmp_path / "policy.yaml", POLICY))
    assert code == 0, stderr
    assert store_entries(db) == 3
