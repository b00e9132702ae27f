"""The web view in a real browser: headless Chromium renders each page, readable without JS.

The pages carry no script (their Content-Security-Policy would block any), so what Chromium
renders is what a reader without JavaScript gets. Each page's DOM (after rendering) must hold
what an auditor came for, and its screenshot must not be blank. Set GOVERNANCE_SCREENSHOTS=DIR
to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.serve.conftest import Seeded, config_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]


def chromium(profile: Path, *args: str) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def pixel_spread(path: Path) -> tuple[float, float]:
    """Standard deviation of grey levels, and the share of pixels that are not background."""
    from PIL import Image

    with Image.open(path) as image:
        counts = image.convert("L").histogram()
    total = sum(counts)
    mean = sum(level * n for level, n in enumerate(counts)) / total
    spread = (sum(n * (level - mean) ** 2 for level, n in enumerate(counts)) / total) ** 0.5
    background = max(range(256), key=lambda level: counts[level])
    ink = sum(n for level, n in enumerate(counts) if abs(level - background) > 16) / total
    return spread, ink


def shoot(profile: Path, url: str, target: Path) -> str:
    """Render ``url``: return its DOM and write its screenshot to ``target``."""
    dom = chromium(profile, "--dump-dom", url)
    assert "<script" not in dom  # readable without JavaScript: there is none
    chromium(profile, f"--screenshot={target}", url)
    assert target.is_file()
    spread, ink = pixel_spread(target)
    assert spread > 10, f"{target.name} looks blank (grey level spread {spread:.1f})"
    assert ink > 0.01, f"{target.name} has almost nothing drawn ({ink:.2%} of pixels)"
    return dom


@pytest.mark.slow
def test_auditor_pages_render_in_chromium(live_server: Any, seeded: Seeded, tmp_path: Path) -> None:
    server = live_server(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    shots = Path(os.environ.get("GOVERNANCE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    profile = tmp_path / "profile"
    record = seeded.record
    evaluation = record["evaluation_id"]

    models = shoot(profile, f"{server.url}/", shots / "models.png")
    assert "adult-income" in models
    assert "✖ failed" in models or "✔ passed" in models

    page = shoot(profile, f"{server.url}/evaluations/{evaluation}", shots / "evaluation.png")
    for finding in record["findings"]:
        assert finding["rule_id"] in page
    assert "Evidence by sex" in page
    assert 'alt="Chart: four-fifths-sex: measured 0.313' in page  # drawn from the evidence
    assert f"/reports/{seeded.report_seq}/download" in page

    node = quote("dataset:warehouse:features.adult", safe="")
    lineage = shoot(profile, f"{server.url}/lineage?node={node}&depth=3", shots / "lineage.png")
    assert "<svg" in lineage
    assert "job:warehouse:etl.features" in lineage
    assert "SELECTED DATASET" in lineage

    audit = shoot(profile, f"{server.url}/audit", shots / "audit.png")
    assert "Chain intact" in audit
    assert "all 10 entries" in audit


def test_pages_have_labels_and_say_status_in_words(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    lineage = client.get("/lineage").text
    assert '<label for="node">' in lineage and 'id="node"' in lineage
    assert '<label for="depth">' in lineage and 'id="depth"' in lineage
    assert '<html lang="en">' in lineage
    evaluation = client.get(f"/evaluations/{seeded.record['evaluation_id']}").text
    assert "Verdict: ✖ failed" in evaluation  # a word and a symbol, not colour alone
    assert "<caption>" in evaluation and 'scope="col"' in evaluation
    response = client.get("/audit")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    chart = client.get(f"/evaluations/{seeded.record['evaluation_id']}/charts/0/0.svg")
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in chart.headers["content-security-policy"]


def test_report_downloads_from_the_web_view(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    response = client.get(f"/reports/{seeded.report_seq}/download")
    assert response.status_code == 200
    assert response.content == seeded.report_bytes
    assert "attachment" in response.headers["content-disposition"]
    missing = client.get("/reports/1/download", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert "no report at audit entry 1" in missing.text


def test_tampered_log_is_shown_in_the_audit_page(client_for: Any, seeded: Seeded) -> None:
    import sqlite3

    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE audit_log SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 5")
    conn.commit()
    conn.close()
    client = client_for(config_for(seeded.url))
    page = client.get("/audit").text
    assert "Integrity check FAILED</strong> at entry 5" in page
    assert "(first bad entry)" in page
