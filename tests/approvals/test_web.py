"""The web view's evaluation page shows the evaluation's approvals, verified, and roles missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from governance.approvals import approve
from governance.audit import AuditStore
from governance.config import load_settings
from tests.approvals.conftest import configuration, write_key
from tests.serve.conftest import Seeded, client_for, config_for, seeded, store_url  # noqa: F401


def test_the_evaluation_page_lists_approvals_and_missing_roles(
    client_for: Any,  # noqa: F811
    seeded: Seeded,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = tmp_path / "governance.yml"
    config.write_text(configuration(tmp_path, seeded.url), encoding="utf-8")
    for name, kind in (("vera", "ed25519"), ("rick", "ec"), ("olivia", "ed25519")):
        write_key(tmp_path / f"{name}.pem", kind)
    settings = load_settings(config_file=config)
    evaluation_id = seeded.record["evaluation_id"]
    with AuditStore.open(seeded.url, create=False) as store:
        approve(
            store,
            evaluation_id,
            role="validator",
            key=tmp_path / "vera.pem",
            comment="<b>checked</b>",
            settings=settings,
        )
    page = client_for(config_for(seeded.url, approvals=settings)).get(
        f"/evaluations/{evaluation_id}"
    )
    assert page.status_code == 200
    assert "<h2>Approvals</h2>" in page.text
    assert "missing: <strong>risk_owner</strong>" in page.text
    assert "<td>validator</td><td>vera</td>" in page.text
    assert "&lt;b&gt;checked&lt;/b&gt;" in page.text  # escaped: comments are posted data
    plain = client_for(config_for(seeded.url)).get(f"/evaluations/{evaluation_id}")
    assert "<h2>Approvals</h2>" not in plain.text
