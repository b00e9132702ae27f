"""What a reader of the report sees: golden HTML, extracted text, page images, pdfsig.

Page images are kept for review in out/test-artifacts/report-pages/ (ignored by git).
Regenerate the golden HTML with `UPDATE_GOLDEN=1 pytest tests/reporting/test_report_content.py`.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from governance.reporting import SignerInfo, render_html
from governance.reporting.attest import EVALUATION_SUBJECT
from governance.reporting.issue import record_json
from governance.reporting.view import Attachment

from .conftest import CHECKPOINT, pypdf_text

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "report.html"
ARTIFACTS = HERE.parents[1] / "out" / "test-artifacts" / "report-pages"


def golden_html(record) -> str:
    attachment = Attachment(
        name=EVALUATION_SUBJECT,
        description="The evaluation record this report renders (canonical JSON)",
        data=record_json(record),
        relationship="Source",
    )
    return render_html(
        record,
        signer=SignerInfo(subject="CN=Compliance Office,O=Example Bank", dev_key=False),
        checkpoint=CHECKPOINT,
        attachments=[attachment],
    )


def test_golden_html(full_record):
    html = golden_html(full_record)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8"), (
        "the report HTML changed: review the difference, then UPDATE_GOLDEN=1"
    )


def test_golden_html_is_stable(full_record):
    assert golden_html(full_record) == golden_html(full_record)


def test_every_section_is_in_the_contents(full_record):
    html = golden_html(full_record)
    anchors = re.findall(r'<a href="#([a-z]+)">', html)
    sections = re.findall(r'<section class="[^"]*" id="([a-z]+)">', html)
    assert anchors == sections  # every section listed, in order, and nothing else
    assert "explainability" in anchors and "documentation" in anchors


def test_pdf_text_has_the_verdict_every_rule_id_and_the_digests(full_report, full_record):
    text = pypdf_text(full_report.path)
    flat = re.sub(r"\s+", "", text)
    assert "FAILED" in text
    assert "2 blocking findings: the model must not be deployed." in text
    for finding in full_record["findings"]:
        assert finding["rule_id"] in flat, finding["rule_id"]
    digests = [
        full_record["manifest"]["digest"],
        full_record["artifacts"]["model"]["digest"],
        full_record["artifacts"]["data"]["digest"],
        *(policy["digest"] for policy in full_record["policies"]),
        CHECKPOINT["head_hash"],
    ]
    for digest in digests:
        assert digest in flat, digest
    for word in ("Contents", "Executive summary", "Regulatory coverage", "Signature"):
        assert word in text
    assert "Signed with a DEVELOPMENT key" in text
    pages = len(re.findall(r"Page \d+ of (\d+)", text))
    assert pages >= 9
    assert re.search(r"Page 1 of (\d+)", text).group(1) == str(pages)


def test_pdf_text_has_waivers_explainability_and_intervals(full_report):
    def flat(value: str) -> str:  # table cells wrap lines anywhere
        return re.sub(r"\s+", "", value)

    text = flat(pypdf_text(full_report.path))
    for phrase in (
        "Balanced accuracy is re-measured after the Q1 relabelling campaign.",
        "EXPIRED",
        "RISK-1234",
        "TreeExplainer",
        "relationship",
        "[0.0690, 0.0829]",
        'when: model.risk_tier == "critical" is false',
        "mlflow:runs/7f3c2a9e41b04c6f",
        "documentary evidence",
        "NOT MET",
    ):
        assert flat(phrase) in text, phrase


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_pages_render_and_none_is_blank(full_report):
    from PIL import Image

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    shutil.copy(full_report.path, ARTIFACTS / "report.pdf")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(full_report.path), str(ARTIFACTS / "page")],
        check=True,
    )
    images = sorted(ARTIFACTS.glob("page-*.png"))
    assert len(images) >= 9
    for path in images:
        with Image.open(path) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:200])
            share = dark / (grey.width * grey.height)
        # every page has text on it: more than 1% of non-white pixels, and not a solid fill
        assert 0.01 < share < 0.6, (path.name, share)


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) missing")
def test_pdfsig_reports_the_signature_valid(full_report):
    run = subprocess.run(
        ["pdfsig", str(full_report.path)], capture_output=True, text=True, check=False
    )
    assert "Signature Validation: Signature is Valid." in run.stdout, run.stdout
    assert "Total document signed" in run.stdout
    assert "ETSI.CAdES.detached" in run.stdout


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) missing")
def test_pdfsig_sees_a_flipped_byte(full_report, tmp_path):
    data = bytearray(full_report.path.read_bytes())
    data[len(data) // 4] ^= 0x01
    copy = tmp_path / "tampered.pdf"
    copy.write_bytes(bytes(data))
    run = subprocess.run(["pdfsig", str(copy)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." not in run.stdout
