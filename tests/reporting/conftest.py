"""Shared fixtures for the reporting tests, and a dependency-free PDF text extractor."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from governance.reporting import SigningConfig, init_dev_keys, render_pdf
from governance.reporting.issue import ReportResult

HERE = Path(__file__).parent
FIXTURE = HERE / "evaluation.json"


@pytest.fixture(scope="session")
def evaluation_record() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def evaluation(evaluation_record: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the fixture record, free to modify."""
    return copy.deepcopy(evaluation_record)


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def signed_report(
    tmp_path_factory: pytest.TempPathFactory,
    evaluation_record: dict[str, Any],
    dev_keys: SigningConfig,
) -> ReportResult:
    """The fixture rendered and signed once per session; copy it before changing it."""
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    return render_pdf(evaluation_record, out, signing=dev_keys)


# --- PDF text --------------------------------------------------------------------------------
# WeasyPrint writes text as hex glyph ids of Type0/Identity-H fonts, each font with a ToUnicode
# CMap. Mapping glyph ids back through that CMap is enough to find words in the tests' PDFs.

_CMAP_CHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_CMAP_RANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_CONTENT = re.compile(rb"/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|\bET\b")


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


def _to_unicode(font: Any) -> dict[int, str]:
    if "/ToUnicode" not in font:
        return {}
    cmap = font["/ToUnicode"].get_object().data
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, uni in _CMAP_CHAR.findall(block):
            mapping[int(code, 16)] = _utf16(uni)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in _CMAP_RANGE.findall(block):
            first = ord(_utf16(start)[0])
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _page_text(page: Any) -> str:
    resources = page["/Resources"]
    # [] dereferences indirect objects, .get() does not
    fonts = resources["/Font"] if "/Font" in resources else {}  # noqa: SIM401
    maps = {str(name)[1:]: _to_unicode(ref.get_object()) for name, ref in fonts.items()}
    contents = page["/Contents"]
    streams = contents if isinstance(contents, list) else [contents]
    data = b"".join(stream.get_object().data for stream in streams)
    current: dict[int, str] = {}
    out: list[str] = []
    for match in _CONTENT.finditer(data):
        font, hex_text = match.group(1), match.group(2)
        if font is not None:
            current = maps.get(font.decode(), {})
        elif hex_text is not None:
            raw = bytes.fromhex(hex_text.decode())
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            out.append("".join(current.get(code, "") for code in codes))
        else:
            out.append("\n")
    return "".join(out)


def _pages(node: Any) -> list[Any]:
    node = node.get_object()
    if node.get("/Type") == "/Pages":
        return [page for kid in node["/Kids"] for page in _pages(kid)]
    return [node]


def extract_text(pdf: bytes) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return "\n".join(_page_text(page) for page in _pages(reader.root["/Pages"]))


@pytest.fixture
def pdf_text() -> Callable[[Path], str]:
    return lambda path: extract_text(Path(path).read_bytes())


# --- a record with every optional part, and the PDF/A + signing helpers ---------------------

CHART = HERE / "chart.svg"
CHECKPOINT = {
    "size": 41,
    "head_hash": "9f2c6d0e4b7a81c35e6f0a9d2b4c8e1f7a3d5c9b0e2f4a6c8d1b3e5f7a9c0d2e",
    "time": "2026-11-27T14:05:00Z",
    "signature": "MEUCIQD...",
}


def _summary(findings: list[dict[str, Any]]) -> dict[str, int]:
    outcomes = ("pass", "fail", "error", "insufficient", "waived", "skipped")
    summary = {outcome: 0 for outcome in outcomes}
    for finding in findings:
        summary[finding["outcome"]] += 1
    return {
        "rules": len(findings),
        **summary,
        "blocking": sum(1 for f in findings if f.get("blocking")),
    }


def make_full_record(base: dict[str, Any]) -> dict[str, Any]:
    """The fixture plus charts, intervals, explainability, waivers, a skip and a training run."""
    record = copy.deepcopy(base)
    findings = record["findings"]
    fairness = findings[0]
    fairness["charts"] = [
        {"title": "Selection rate by sex", "svg": CHART.read_text(encoding="utf-8")}
    ]
    for group, (low, high) in zip(
        fairness["evidence"]["tables"][0]["groups"],
        ((0.0690, 0.0829), (0.2455, 0.2619)),
        strict=True,
    ):
        group["intervals"] = {"selection_rate": [low, high]}
    waived = next(f for f in findings if f["rule_id"] == "accuracy-floor")
    waived.update(outcome="waived", blocking=False)
    waiver = {
        "rule_id": "accuracy-floor",
        "subject": {"model": "adult-income", "version": "1.0.0"},
        "justification": "Balanced accuracy is re-measured after the Q1 relabelling campaign.",
        "approved_by": "cro@example.org",
        "ticket": "RISK-1234",
        "expires": "2027-03-31",
    }
    waived["waiver"] = waiver
    record["waivers"] = [
        {**waiver, "status": "applied"},
        {
            "rule_id": "four-fifths-sex",
            "subject": {"model": "adult-income"},
            "justification": "Temporary exception for the pilot.",
            "approved_by": "cro@example.org",
            "ticket": "RISK-1100",
            "expires": "2026-10-01",
            "status": "expired",
        },
    ]
    findings.append(
        {
            "rule_id": "no-sex-proxy-in-top-features",
            "policy": "fairness-baseline",
            "title": "No potential proxy of sex among the 5 most important features",
            "severity": "medium",
            "check": "explainability.proxy_features",
            "params": {"top_k": 5, "sensitive_features": ["sex"]},
            "threshold": {"min": None, "max": 0},
            "outcome": "fail",
            "blocking": False,
            "measured": 1,
            "message": "1 potential proxy among the top 5 features: relationship",
            "controls": ["EU AI Act Art. 10(2)(f)"],
            "remediation": "Drop or decorrelate the proxy feature.",
            "evidence": {
                "explanation": {
                    "additivity": {"max_abs_error": 3.1e-15, "passed": True, "tolerance": 1e-06},
                    "attribution": "sum over the preprocessed columns of each input feature",
                    "background_rows": 0,
                    "data_sampled": False,
                    "estimator": "HistGradientBoostingClassifier",
                    "explainer": "tree",
                    "feature_perturbation": "tree_path_dependent",
                    "feature_space": "original",
                    "model": "Pipeline",
                    "output": "log_odds",
                    "rows_available": 16281,
                    "rows_explained": 500,
                    "seed": 0,
                    "shap_explainer": "shap.TreeExplainer",
                },
                "features": [
                    {
                        "association": {"sex": {"measure": "cramers_v", "value": 0.6452}},
                        "feature": "relationship",
                        "in_top_k": True,
                        "max_association": 0.6452,
                        "potential_proxy": True,
                        "proxy_of": ["sex"],
                        "rank": 1,
                        "share": 0.4431,
                    },
                    {
                        "association": {"sex": {"measure": "correlation_ratio", "value": 0.0412}},
                        "feature": "capital-gain",
                        "in_top_k": True,
                        "max_association": 0.0412,
                        "potential_proxy": False,
                        "proxy_of": [],
                        "rank": 2,
                        "share": 0.3605,
                    },
                ],
                "min_association": 0.3,
                "min_attribution_share": 0.05,
                "proxies": ["relationship"],
                "sensitive_features": ["sex"],
                "top_k": 5,
            },
            "charts": [],
        }
    )
    findings.append(
        {
            "rule_id": "high-risk-documentation",
            "policy": "model-documentation",
            "title": "High-risk models document human oversight",
            "severity": "medium",
            "check": "documentation.field_present",
            "params": {"field": "human_oversight"},
            "threshold": None,
            "outcome": "skipped",
            "blocking": False,
            "measured": None,
            "message": "skipped",
            "skip_reason": 'when: model.risk_tier == "critical" is false',
            "controls": ["EU AI Act Art. 14"],
            "remediation": None,
            "evidence": {},
            "charts": [],
        }
    )
    record["lineage"]["training_run"] = "mlflow:runs/7f3c2a9e41b04c6f"
    record["summary"] = _summary(findings)
    return record


@pytest.fixture(scope="session")
def full_record(evaluation_record: dict[str, Any]) -> dict[str, Any]:
    return make_full_record(evaluation_record)


def pypdf_text(path: Path) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


@pytest.fixture(scope="session")
def full_report(
    tmp_path_factory: pytest.TempPathFactory,
    full_record: dict[str, Any],
    dev_keys: SigningConfig,
) -> ReportResult:
    """The full record rendered, signed and attested once per session; copy before changing."""
    out = tmp_path_factory.mktemp("full") / "report.pdf"
    return render_pdf(full_record, out, signing=dev_keys, checkpoint=CHECKPOINT)
