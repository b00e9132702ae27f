"""A store with two recorded evaluations, approvers' keys, and a governance.yml naming them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.config import Settings, load_settings
from governance.store import sqlite_url_for
from tests.store.conftest import EVALUATION

FIRST = "019375a2-8a4e-7c3b-9f1e-000000000001"
SECOND = "019375a2-8a4e-7c3b-9f1e-000000000002"
OWNER = "olivia"


def record(evaluation_id: str, *, tier: str = "high") -> dict[str, Any]:
    """A stored evaluation of a model owned by ``olivia``."""
    made = copy.deepcopy(EVALUATION)
    made["evaluation_id"] = evaluation_id
    made["model"] = {"name": "credit", "version": "1.0.0", "risk_tier": tier, "owner": OWNER}
    return made


def write_key(path: Path, kind: str) -> Path:
    """An unencrypted PKCS#8 private key (``ed25519`` or ``ec``) and its public key beside it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    key = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.with_suffix(".pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@dataclass
class Setup:
    """The store, keys and configuration of one test."""

    url: str
    config: Path
    validator: Path
    risk_owner: Path
    owner: Path
    stranger: Path

    def settings(self, **changes: Any) -> Settings:
        base = load_settings(config_file=self.config)
        from dataclasses import replace

        return replace(base, **changes)

    def open(self) -> AuditStore:
        return AuditStore.open(self.url, create=False)

    def count(self) -> int:
        with self.open() as store:
            return store.entry_count()


def configuration(setup_dir: Path, url: str, *, owner_may_approve: bool = False) -> str:
    approvers = {
        "vera": {"key": str(setup_dir / "vera.pub"), "roles": ["validator"]},
        "rick": {"key": str(setup_dir / "rick.pub"), "roles": ["risk_owner"]},
        OWNER: {"key": str(setup_dir / "olivia.pub"), "roles": ["validator", "risk_owner"]},
    }
    return (
        f"store_url: {url}\n"
        f"approvers: {json.dumps(approvers)}\n"
        "approval_roles:\n  high: [validator, risk_owner]\n  minimal: [validator]\n"
        f"owner_may_approve: {'true' if owner_may_approve else 'false'}\n"
    )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    yield make_setup(tmp_path)


def make_setup(tmp_path: Path) -> Setup:
    """Two evaluations in a new store, four keys (three configured), a governance.yml."""
    url = sqlite_url_for(tmp_path / "audit.db")
    with AuditStore.open(url) as store:
        store.append("evaluation", record(FIRST))
        store.append("evaluation", record(SECOND))
    config = tmp_path / "governance.yml"
    config.write_text(configuration(tmp_path, url), encoding="utf-8")
    return Setup(
        url=url,
        config=config,
        validator=write_key(tmp_path / "vera.pem", "ed25519"),
        risk_owner=write_key(tmp_path / "rick.pem", "ec"),
        owner=write_key(tmp_path / "olivia.pem", "ed25519"),
        stranger=write_key(tmp_path / "stranger.pem", "ed25519"),
    )
