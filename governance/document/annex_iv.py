"""The EU AI Act Annex IV technical documentation of a model version, built from the store alone.

:func:`annex_iv_view` turns what the store holds about a model version (its gate evaluations,
the ``documentation`` section recorded with them, their reports, monitored windows, recorded
lineage) into the nine sections of Annex IV, each item naming where it comes from, and a list
of gaps: every point the store holds no evidence for, named by its Annex IV point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.document.changes import VersionChanges, changes_between
from governance.inventory.history import StoreHistory
from governance.inventory.rows import missing_required, verdict_under

__all__ = ["SECTION_TITLES", "Gap", "annex_iv_view"]

SECTION_TITLES = {
    1: "General description of the AI system",
    2: "Detailed description of the elements of the AI system and of its development",
    3: "Monitoring, functioning and control of the AI system",
    4: "Appropriateness of the performance metrics",
    5: "Risk management system (Article 9)",
    6: "Relevant changes made through the lifecycle",
    7: "Harmonised standards and other specifications applied",
    8: "EU declaration of conformity (Article 47)",
    9: "Post-market monitoring system (Article 72)",
}
FAIRNESS_PREFIX = "fairness."


@dataclass(frozen=True)
class Gap:
    """Evidence the store does not hold: the Annex IV point and what is missing."""

    point: str
    missing: str
    remedy: str

    @property
    def section(self) -> int:
        """The Annex IV section the point belongs to (``Annex IV 2(d)`` -> 2)."""
        return int(self.point.removeprefix("Annex IV ")[0])


# (Annex IV point, label, document, field): the manifest's documentation fields each section shows
DOCUMENTED: dict[int, tuple[tuple[str, str, str, str], ...]] = {
    1: (
        ("1(a)", "Intended purpose", "model_card", "intended_use"),
        ("1(a)", "Uses out of scope", "model_card", "out_of_scope_uses"),
        ("1(b)-(g)", "System description", "technical_documentation", "system_description"),
        ("1(c)", "Model details", "model_card", "model_details"),
        ("1(h)", "Instructions for use", "transparency", "instructions_for_use"),
        ("1(h)", "Provider contact", "transparency", "provider_contact"),
    ),
    2: (
        ("2(b)", "Design choices", "technical_documentation", "design_choices"),
        ("2(d)", "Data sources", "data_governance", "data_sources"),
        ("2(d)", "Collection process", "data_governance", "collection_process"),
        ("2(d)", "Data preparation", "data_governance", "preparation"),
        ("2(d)", "Examination for bias", "data_governance", "bias_examination"),
        ("2(e)", "Human oversight measures", "human_oversight", "oversight_measures"),
        (
            "2(g)",
            "Validation and testing procedure",
            "technical_documentation",
            "validation_procedure",
        ),
    ),
    3: (
        ("3", "Capabilities and limitations", "model_card", "limitations"),
        ("3", "Foreseeable unintended outcomes and risks", "risk_management", "residual_risks"),
        ("3", "Override procedure", "human_oversight", "override_procedure"),
        ("3", "Operator training", "human_oversight", "operator_training"),
    ),
    4: (("4", "Performance metrics and why they fit", "model_card", "performance_metrics"),),
    5: (
        ("5", "Risk assessment", "risk_management", "risk_assessment"),
        ("5", "Mitigations", "risk_management", "mitigations"),
        ("5", "Residual risks", "risk_management", "residual_risks"),
    ),
    7: (("7", "Harmonised standards applied", "conformity", "harmonised_standards"),),
    8: (("8", "EU declaration of conformity", "conformity", "declaration_of_conformity"),),
    9: (("9", "Post-market monitoring plan", "post_market_monitoring", "plan"),),
}
SOFT_GAPS = {"8"}
"""Points whose absence is always a gap: governance does not produce them."""


def _shown(value: Any) -> str | list[str] | None:
    """A documentation value as text, or a list of texts; None when empty."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, Mapping):
        return [f"{key}: {item}" for key, item in value.items()]
    return str(value)


def _documented(record: Mapping[str, Any], document: str, name: str) -> str | list[str] | None:
    documentation = record.get("documentation")
    part = documentation.get(document) if isinstance(documentation, Mapping) else None
    return _shown(part.get(name)) if isinstance(part, Mapping) else None


def _item(label: str, value: Any, source: str) -> dict[str, Any]:
    return {"label": label, "value": value, "source": source}


def _items(record: Mapping[str, Any], section: int, gaps: list[Gap]) -> list[dict[str, Any]]:
    items = []
    for point, label, document, name in DOCUMENTED.get(section, ()):
        value = _documented(record, document, name)
        if value is None:
            gaps.append(
                Gap(
                    point=f"Annex IV {point}",
                    missing=label,
                    remedy=f"write documentation.{document}.{name} in the manifest and check again",
                )
            )
            continue
        items.append(_item(label, value, f"documentation.{document}.{name}"))
    return items


def _test_logs(
    history: StoreHistory, gates: Sequence[Mapping[str, Any]], required: Any
) -> list[dict[str, Any]]:
    logs = []
    for record in gates:
        reports = [
            {
                "created_at": report.get("created_at"),
                "digest": report.get("digest"),
                "signed": report.get("signed") is True,
                "signer": report.get("signer"),
                "dev_key": report.get("dev_key") is True,
                "timestamped": report.get("timestamped") is True,
                "monitoring": isinstance(report.get("monitoring"), Mapping),
            }
            for report in history.reports.get(str(record["evaluation_id"]), ())
        ]
        summary = record.get("summary") or {}
        logs.append(
            {
                "evaluation_id": record["evaluation_id"],
                "started_at": record.get("started_at"),
                "finished_at": record.get("finished_at"),
                "verdict": verdict_under(record, required),
                "missing": list(missing_required(record, required)),
                "rules": summary.get("rules"),
                "failed": summary.get("fail"),
                "waived": summary.get("waived"),
                "policies": [
                    f"{policy.get('name')} {policy.get('version')}"
                    for policy in record.get("policies") or ()
                ],
                "reports": reports,
            }
        )
    return logs


def current_state(gates: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The version's state: the latest record, with each policy's findings from its latest run.

    A version may be checked with different policies in separate evaluations (fairness, then
    explainability); each policy's findings and reference are taken from the newest evaluation
    that applied it, and each finding names that evaluation (``evaluation_id``). The records
    themselves are not changed.
    """
    latest = gates[-1]
    policies: dict[str, Mapping[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    taken: set[str] = set()
    for record in reversed(gates):
        names = {str(item.get("name")) for item in record.get("policies") or ()}
        names |= {str(item.get("policy")) for item in record.get("findings") or ()}
        fresh = names - taken
        for item in record.get("policies") or ():
            if str(item.get("name")) in fresh:
                policies[str(item.get("name"))] = item
        findings.extend(
            {**finding, "evaluation_id": record["evaluation_id"]}
            for finding in record.get("findings") or ()
            if str(finding.get("policy")) in fresh
        )
        taken |= fresh
    return {**latest, "findings": findings, "policies": list(policies.values())}


def _findings(record: Mapping[str, Any], *, fairness: bool | None) -> list[dict[str, Any]]:
    rows = []
    for finding in record.get("findings") or ():
        check = str(finding.get("check", ""))
        if fairness is not None and check.startswith(FAIRNESS_PREFIX) != fairness:
            continue
        rows.append(
            {
                "rule": finding.get("rule_id"),
                "title": finding.get("title"),
                "check": check,
                "severity": finding.get("severity"),
                "measured": finding.get("measured"),
                "threshold": finding.get("threshold"),
                "outcome": finding.get("outcome"),
                "evaluation_id": finding.get("evaluation_id"),
            }
        )
    return rows


def _controls(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each control the policies map, with the rules mapping it and their outcomes."""
    controls: dict[str, list[str]] = {}
    for finding in record.get("findings") or ():
        for control in finding.get("controls") or ():
            controls.setdefault(str(control), []).append(
                f"{finding.get('rule_id')} ({finding.get('outcome')})"
            )
    return [{"control": name, "rules": rules} for name, rules in sorted(controls.items())]


def _lineage(record: Mapping[str, Any], recorded: Mapping[str, Any] | None) -> dict[str, Any]:
    lineage = record.get("lineage") or {}
    artifacts = record.get("artifacts") or {}
    run = (recorded or {}).get("training_run") if (recorded or {}).get("found") else None
    return {
        "training_datasets": [
            f"{item.get('namespace')}:{item.get('name')}"
            for item in lineage.get("training_datasets") or ()
        ],
        "training_run": lineage.get("training_run"),
        "code": lineage.get("code") or (recorded or {}).get("code"),
        "model": artifacts.get("model"),
        "data": artifacts.get("data") or {},
        "recorded_run": run,
        "recorded_nodes": len((recorded or {}).get("nodes") or ()),
    }


def _windows(windows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "evaluation_id": window.get("evaluation_id"),
            "start": window["monitoring"].get("window_start"),
            "end": window["monitoring"].get("window_end"),
            "rows": window["monitoring"].get("rows"),
            "rows_with_outcome": window["monitoring"].get("rows_with_outcome"),
            "verdict": window.get("verdict"),
            "failing": [
                str(finding.get("rule_id"))
                for finding in window.get("findings") or ()
                if finding.get("blocking")
            ],
        }
        for window in windows
    ]


def annex_iv_view(
    history: StoreHistory,
    model: str,
    version: str,
    *,
    required: Any,
    approvals: str,
    recorded_lineage: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Annex IV document of ``model`` ``version``: sections, test logs, changes, gaps.

    Parameters
    ----------
    history
        The store's hash-checked history (:func:`governance.inventory.history.read_history`).
    model, version
        The model version; it must have a gate evaluation in ``history``.
    required
        The ``required_policies`` setting (:class:`governance.config.RequiredPolicies`).
    approvals
        The approvals' status line.
    recorded_lineage
        The training lineage the store recorded (:func:`governance.reports.recorded_lineage`).

    Returns
    -------
    dict
        ``model``, ``version``, ``evaluation`` (the latest gate record), ``sections`` (by
        number: ``title``, ``items``), ``test_logs``, ``fairness``, ``findings``,
        ``mixed_evaluations`` (the findings come from more than one evaluation), ``controls``,
        ``policies``, ``lineage``, ``windows``, ``versions``, ``changes``
        (:class:`VersionChanges` or None), ``approvals`` and ``gaps``.
    """
    gates = history.gates[(model, version)]
    latest = gates[-1]
    gaps: list[Gap] = []
    sections: dict[int, dict[str, Any]] = {
        number: {"title": title, "items": _items(latest, number, gaps), "gaps": []}
        for number, title in SECTION_TITLES.items()
    }
    lineage = _lineage(latest, recorded_lineage)
    if not lineage["training_datasets"]:
        gaps.append(
            Gap(
                "Annex IV 2(d)",
                "Training data provenance",
                "declare lineage.training_datasets in the manifest",
            )
        )
    if not lineage["code"] and lineage["recorded_run"] is None:
        gaps.append(
            Gap(
                "Annex IV 2(a)",
                "Development: training code or a recorded training run",
                "declare lineage.code, or record the training run (governance lineage ingest)",
            )
        )
    logs = _test_logs(history, gates, required)
    newest = logs[-1]
    if not any(report["signed"] for report in newest["reports"]):
        gaps.append(
            Gap(
                "Annex IV 2(g)",
                "A signed test log (report) of the latest evaluation",
                f"governance report {newest['evaluation_id']} -o FILE.pdf",
            )
        )
    if newest["verdict"] == "incomplete":
        gaps.append(
            Gap(
                "Annex IV 2(g)",
                "Tests under the required policies: " + ", ".join(newest["missing"]),
                "check the model with the required policies",
            )
        )
    state = current_state(gates)
    controls = _controls(state)
    if not controls:
        gaps.append(
            Gap(
                "Annex IV 7",
                "Controls mapped by the policies applied",
                "apply a policy whose rules name controls (policies/eu-ai-act-high-risk.yaml)",
            )
        )
    windows = _windows(history.windows_of(list(gates)))
    if not windows:
        gaps.append(
            Gap(
                "Annex IV 9",
                "Post-market monitoring results",
                "run governance monitor against this version's gate evaluation",
            )
        )
    versions = history.versions_of(model)
    index = versions.index(version)
    previous = versions[index - 1] if index > 0 else None
    changes: VersionChanges | None = None
    if previous is not None:
        changes = changes_between(current_state(history.gates[(model, previous)]), state)
    gaps.sort(key=lambda gap: gap.section)  # stable: within a section, in the order found
    for gap in gaps:
        sections[gap.section]["gaps"].append(gap)
    return {
        "model": latest.get("model") or {},
        "version": version,
        "evaluation": latest,
        "sections": sections,
        "test_logs": logs,
        "fairness": _findings(state, fairness=True),
        "findings": _findings(state, fairness=None),
        "mixed_evaluations": len({item.get("evaluation_id") for item in state["findings"]}) > 1,
        "controls": controls,
        "policies": state["policies"],
        "lineage": lineage,
        "windows": windows,
        "versions": [
            {
                "version": name,
                "evaluations": len(history.gates[(model, name)]),
                "latest": history.gates[(model, name)][-1].get("evaluation_id"),
                "finished_at": history.gates[(model, name)][-1].get("finished_at"),
                "verdict": verdict_under(history.gates[(model, name)][-1], required),
            }
            for name in versions
        ],
        "previous_version": previous,
        "changes": changes,
        "approvals": approvals,
        "gaps": gaps,
    }
