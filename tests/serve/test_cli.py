"""``governance serve`` and ``governance serve keys``: what an operator types, what they see."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from governance.config import parse_size
from governance.serve.config import check_bind, is_loopback
from governance.serve.keys import KeyRing, load_keys
from tests.cli.conftest import Run
from tests.serve.conftest import event, free_port


def test_keys_add_prints_the_key_once_and_stores_its_hash(run: Run, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    added = run(
        "serve", "keys", "add", "--scope", "ingest", "--name", "airflow", "--keys-file", keys_file
    )
    assert added.exit_code == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("gov_") and len(key) > 40
    assert "only time it is shown" in added.stderr
    text = keys_file.read_text()
    assert key not in text
    stored = json.loads(text)["keys"][0]
    assert stored["scopes"] == ["ingest"] and stored["name"] == "airflow"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    ring = load_keys(keys_file)
    assert ring.match(key) is not None and ring.match(key + "x") is None

    listed = run("serve", "keys", "list", "--keys-file", keys_file)
    assert listed.stdout.startswith(stored["id"])
    assert "ingest" in listed.stdout and key not in listed.stdout

    revoked = run("serve", "keys", "revoke", stored["id"], "--keys-file", keys_file)
    assert revoked.exit_code == 0
    assert not load_keys(keys_file)
    again = run("serve", "keys", "revoke", stored["id"], "--keys-file", keys_file)
    assert again.exit_code == 2
    assert f"Error: no API key {stored['id']} in" in again.stderr


def test_a_key_needs_a_known_scope(run: Run, tmp_path: Path) -> None:
    result = run("serve", "keys", "add", "--scope", "admin", "--keys-file", tmp_path / "k.json")
    assert result.exit_code == 2
    assert not (tmp_path / "k.json").exists()


def test_no_key_means_loopback_only(run: Run, tmp_path: Path) -> None:
    result = run(
        "serve",
        "--store",
        f"sqlite:///{tmp_path}/a.db",
        "--host",
        "0.0.0.0",
        "--keys-file",
        tmp_path / "none.json",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: refusing to listen on 0.0.0.0 without API keys: anyone who can reach it could "
        "read the audit trail and write to it"
    )
    assert not (tmp_path / "a.db").exists()
    check_bind("127.0.0.1", KeyRing())
    check_bind("::1", KeyRing())
    assert is_loopback("localhost") and not is_loopback("192.168.1.10")


def test_bad_settings_are_usage_errors(run: Run, tmp_path: Path) -> None:
    bad_size = run(
        "serve",
        "--store",
        f"sqlite:///{tmp_path}/a.db",
        "--max-body",
        "lots",
        "--keys-file",
        tmp_path / "none.json",
    )
    assert bad_size.exit_code == 2
    assert bad_size.stderr == (
        "Error: serve_max_body must be a size in bytes (e.g. 8388608, 512k, 8M), found 'lots' "
        "(from flag)\n"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad_keys = run("serve", "--store", f"sqlite:///{tmp_path}/a.db", "--keys-file", broken)
    assert bad_keys.exit_code == 2
    assert f"Error: {broken}:1:2: not a keys file of governance serve" in bad_keys.stderr
    assert parse_size("512k") == 512 * 1024 and parse_size("8M") == 8 * 1024 * 1024
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?uri=true"):
        in_memory = run("serve", "--store", url, "--keys-file", tmp_path / "none.json")
        assert in_memory.exit_code == 2
        assert in_memory.stderr == (
            f"Error: the audit store {url} is in memory and would vanish when governance exits: "
            "use a file, sqlite:///path/to/audit.db, or PostgreSQL\n"
        )


def test_governance_serve_runs_until_stopped(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GOVERNANCE_SERVE_PORT": str(port)}
    env.pop("GOVERNANCE_STORE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "governance",
            "serve",
            "--store",
            f"sqlite:///{tmp_path}/a.db",
            "--keys-file",
            str(tmp_path / "none.json"),
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/api/v1/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("governance serve did not start")
                time.sleep(0.1)
        posted = requests.post(f"{base}/api/v1/lineage", json=event(), timeout=10)
        assert posted.status_code == 201
        rejected = requests.post(
            f"{base}/api/v1/lineage",
            data="{",
            timeout=10,
            headers={"Content-Type": "application/json"},
        )
        assert rejected.status_code == 400
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert "No API keys configured" in stderr
    assert "listening on loopback only" in stderr
    assert f"on http://127.0.0.1:{port}/" in stderr
    assert "rejected POST /api/v1/lineage from 127.0.0.1:" in stderr
    assert "400 line 1, column 2: malformed JSON" in stderr
