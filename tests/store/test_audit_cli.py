"""`governance audit verify|checkpoint|rebuild`: edits made behind the store's back are found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from governance.audit import AuditStore
from governance.reporting import SigningConfig, init_dev_keys
from governance.store.chain import entry_hash
from tests.conftest import CliResult as Result
from tests.store.conftest import raw_execute


@pytest.fixture
def cli(run_cli: Callable[..., Result]) -> Callable[..., Result]:
    return run_cli


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def checkpointed(
    store_url: str, cli: Callable[..., Result], keys: SigningConfig, tmp_path: Path
) -> Path:
    with AuditStore.open(store_url) as store:
        store.append_many([("note", {"i": i}) for i in range(1, 9)])
    path = tmp_path / "checkpoint.json"
    result = cli(
        "audit", "checkpoint", "--store", store_url, "-o", path,
        "--signing-key", keys.key, "--signing-cert", keys.cert,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Checkpoint: 8 entries" in result.stderr
    assert json.loads(path.read_text())["size"] == 8
    return path


def _forge(url: str, seq: int, payload: str) -> str:
    """SQL replacing entry ``seq``'s payload with its hash recomputed (the link then breaks)."""
    with AuditStore.open(url, create=False) as store:
        entry = next(store.entries(since_seq=seq - 1, limit=1))
    forged = entry_hash(seq, entry.kind, entry.created_at_text, payload, entry.prev_hash)
    return f"UPDATE audit_log SET payload = '{payload}', entry_hash = '{forged}' WHERE seq = {seq}"


TAMPERING: dict[str, Callable[[str], list[str]]] = {
    "payload changed": lambda url: ["UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3"],
    "payload changed, hash recomputed": lambda url: [_forge(url, 3, '{"i":99}')],
    "entry deleted": lambda url: ["DELETE FROM audit_log WHERE seq = 4"],
    "entries reordered": lambda url: [
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 1000",
    ],
    "tail truncated": lambda url: ["DELETE FROM audit_log WHERE seq >= 7"],
    "kind changed": lambda url: ["UPDATE audit_log SET kind = 'other' WHERE seq = 5"],
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_audit_verify_finds_every_edit_made_without_the_triggers(
    how: str, checkpointed: Path, store_url: str, cli: Callable[..., Result]
) -> None:
    assert cli("audit", "verify", "--store", store_url, "--checkpoint", checkpointed).exit_code == 0
    raw_execute(store_url, *TAMPERING[how](store_url), bypass_triggers=True)
    result = cli("audit", "verify", "--store", store_url, "--checkpoint", checkpointed)
    assert result.exit_code == 1, result.stdout
    assert "TAMPERED" in result.stdout


def test_verify_reports_a_good_checkpoint_and_rebuild_refuses_a_tampered_log(
    checkpointed: Path, store_url: str, cli: Callable[..., Result]
) -> None:
    result = cli("audit", "verify", "--store", store_url, "--checkpoint", checkpointed)
    assert result.stdout.splitlines()[0].startswith(
        "OK: 9 entries, chain intact, 1 signed checkpoint in the log, head "
    )
    assert f"OK: checkpoint {checkpointed}: entry 8 still has the signed hash" in result.stdout
    assert cli("audit", "rebuild", "--store", store_url).exit_code == 0
    raw_execute(store_url, "DELETE FROM audit_log WHERE seq = 2", bypass_triggers=True)
    result = cli("audit", "rebuild", "--store", store_url)
    assert result.exit_code == 1
    assert "Not rebuilt" in result.stderr


def test_a_file_that_is_not_a_checkpoint_is_bad_input(
    store_url: str, cli: Callable[..., Result], tmp_path: Path
) -> None:
    AuditStore.open(store_url).close()
    path = tmp_path / "nope.json"
    path.write_text("[]")
    result = cli("audit", "verify", "--store", store_url, "--checkpoint", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {path}: not a checkpoint: expected a JSON object"


def test_checkpoint_without_a_key_says_how_to_give_one(
    store_url: str, cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVERNANCE_SIGNING_PKCS12", raising=False)
    monkeypatch.chdir(tmp_path)  # no governance.yml of the developer's
    AuditStore.open(store_url).close()
    result = cli("audit", "checkpoint", "--store", store_url, "-o", tmp_path / "cp.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no signing key configured for the checkpoint (")
    assert "--no-sign" not in result.stderr  # audit checkpoint has no such option
    assert "--signing-key/--signing-cert" in result.stderr
    assert not (tmp_path / "cp.json").exists()


def test_checkpoint_to_a_missing_folder_appends_nothing(
    store_url: str, cli: Callable[..., Result], keys: SigningConfig, tmp_path: Path
) -> None:
    with AuditStore.open(store_url) as store:
        store.append("note", {"i": 1})
    missing = tmp_path / "missing"
    result = cli(
        "audit", "checkpoint", "--store", store_url, "-o", missing / "cp.json",
        "--signing-key", keys.key, "--signing-cert", keys.cert,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == f"Error: {missing}: the output folder does not exist\n"
    assert not missing.exists()
    with AuditStore.open(store_url, create=False) as store:
        assert [e.kind for e in store.entries()] == ["note"]


def test_log_help_names_every_kind_the_package_writes(cli: Callable[..., Result]) -> None:
    from governance.cli.audit import LOG_KINDS
    from governance.gate import EVALUATION_KIND, EVENT_KIND
    from governance.lineage.forward import FORWARD_FAILED_KIND
    from governance.lineage.ingest import INGEST_KIND
    from governance.reports import REPORT_KIND
    from governance.store.checkpoint import CHECKPOINT_KIND
    from governance.store.triggers import RESTORED_KIND

    written = {
        EVALUATION_KIND, EVENT_KIND, FORWARD_FAILED_KIND, INGEST_KIND, REPORT_KIND, CHECKPOINT_KIND,
        RESTORED_KIND,
    }  # fmt: skip
    assert set(LOG_KINDS) == written
    help_text = " ".join(cli("audit", "log", "--help").stdout.split())
    for kind in written:
        assert kind in help_text, kind


def test_log_of_an_unknown_kind_is_one_line_naming_the_known_ones(
    store_url: str, cli: Callable[..., Result]
) -> None:
    AuditStore.open(store_url).close()
    result = cli("audit", "log", "--store", store_url, "--kind", "bogus")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: --kind bogus: unknown entry kind (use evaluation, openlineage.event, "
        "openlineage.forward_failed, lineage.ingest, report, checkpoint, "
        "store.triggers_restored)\n"
    )


@pytest.mark.parametrize(
    "missing",
    [("process_cpu_count",), ("process_cpu_count", "sched_getaffinity")],
    ids=["linux-before-3.13", "macos-windows"],
)
def test_audit_verify_of_a_large_log_works_without_linux_only_cpu_calls(
    store_url: str,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    missing: tuple[str, ...],
) -> None:
    """``os.sched_getaffinity`` is Linux only: a large log must verify on macOS too."""
    import os

    from governance.store import verification

    with AuditStore.open(store_url) as store:
        store.append_many([("note", {"i": i}) for i in range(1, 41)])
    for name in missing:
        monkeypatch.delattr(os, name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(verification, "PARALLEL_MIN", 10)  # "large": verified in workers
    monkeypatch.setattr(verification, "PARALLEL_BATCH", 8)
    assert verification.usable_cpus() == 2
    result = cli("audit", "verify", "--store", store_url)
    assert result.exit_code == 0, result.stderr
    assert "40 entries" in result.stdout + result.stderr
