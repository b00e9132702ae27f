"""What :func:`governance.check` and :func:`governance.evaluate_model` return: typed results.

An :class:`Evaluation` is a read-only view of one evaluation record (docs/evaluation-record.md):
the verdict, the exit code the CLI would give, and one :class:`FindingResult` per rule. In a
notebook it shows as a compact table (``_repr_html_``); :meth:`Evaluation.to_dict` gives the
record itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import Any

from governance.reporting.formats.findings import (
    DRY_RUN_NOTE,
    gate_effect,
    measured_text,
    threshold_text,
)

Measured = float | int | bool | str | None


@dataclass(frozen=True)
class Bounds:
    """The inclusive bounds a measured value must stay within (``None``: unbounded)."""

    min: float | None = None
    max: float | None = None

    def __str__(self) -> str:
        return threshold_text({"min": self.min, "max": self.max})


@dataclass(frozen=True)
class FindingResult:
    """One rule's finding, as the record gives it.

    Attributes
    ----------
    rule_id, policy, title, check
        Which rule, of which policy, what it checks (a registered check type).
    outcome
        ``pass``, ``fail``, ``error``, ``insufficient``, ``waived`` or ``skipped``.
    severity
        ``critical``, ``high``, ``medium``, ``low`` or ``info``.
    measured, threshold
        The measured value (``None`` if it could not be measured) and its bounds.
    message
        Why the rule found what it found, in one line.
    blocking
        Whether this finding fails the gate.
    evidence
        What the measurement rests on (tables per group, intervals...), read-only.
    controls, remediation, waiver, skip_reason
        The regulatory references, how to fix it, the waiver applied, why it was skipped.
    """

    rule_id: str
    policy: str
    title: str
    check: str
    outcome: str
    severity: str
    measured: Measured
    threshold: Bounds | None
    message: str
    blocking: bool
    evidence: Mapping[str, Any] = field(default_factory=dict, repr=False)
    controls: tuple[str, ...] = field(default=(), repr=False)
    remediation: str | None = field(default=None, repr=False)
    waiver: Mapping[str, Any] | None = field(default=None, repr=False)
    skip_reason: str | None = field(default=None, repr=False)

    @classmethod
    def from_record(cls, finding: Mapping[str, Any]) -> FindingResult:
        """The view of one entry of a record's ``findings``."""
        threshold = finding.get("threshold")
        return cls(
            rule_id=str(finding["rule_id"]),
            policy=str(finding.get("policy") or ""),
            title=str(finding.get("title") or ""),
            check=str(finding.get("check") or ""),
            outcome=str(finding["outcome"]),
            severity=str(finding["severity"]),
            measured=finding.get("measured"),
            threshold=(
                Bounds(min=threshold.get("min"), max=threshold.get("max")) if threshold else None
            ),
            message=str(finding.get("message") or ""),
            blocking=bool(finding.get("blocking")),
            evidence=MappingProxyType(dict(finding.get("evidence") or {})),
            controls=tuple(finding.get("controls") or ()),
            remediation=finding.get("remediation"),
            waiver=finding.get("waiver"),
            skip_reason=finding.get("skip_reason"),
        )

    @property
    def effect(self) -> str:
        """``blocks``, ``warning`` or ``-``: what this finding does to the gate."""
        return gate_effect({"outcome": self.outcome, "blocking": self.blocking})


@dataclass(frozen=True, repr=False)
class Evaluation:
    """The result of one evaluation: verdict, exit code, findings, and whether it was recorded.

    Attributes
    ----------
    verdict
        ``passed`` or ``failed``.
    exit_code
        What ``governance check`` exits with: 0 passed, 1 blocked.
    findings
        One per rule, in the policies' order.
    evaluation_id
        The record's id (also the OpenLineage runId); in a dry run it names no stored record.
    recorded
        Whether the record was appended to the audit store (``False`` for a dry run).
    report
        The PDF report written, or ``None``.
    forward_failures
        OpenLineage transports that failed to take the events (the verdict stands).
    """

    verdict: str
    exit_code: int
    findings: tuple[FindingResult, ...]
    evaluation_id: str
    recorded: bool
    report: Path | None
    forward_failures: tuple[str, ...]
    _record: Mapping[str, Any] = field(compare=False)

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any],
        *,
        recorded: bool,
        report: Path | None = None,
        forward_failures: tuple[str, ...] = (),
    ) -> Evaluation:
        """The result of an evaluation record."""
        return cls(
            verdict=str(record["verdict"]),
            exit_code=int(record["exit_code"]),
            findings=tuple(FindingResult.from_record(f) for f in record["findings"]),
            evaluation_id=str(record["evaluation_id"]),
            recorded=recorded,
            report=report,
            forward_failures=forward_failures,
            _record=MappingProxyType(dict(record)),
        )

    @property
    def passed(self) -> bool:
        """Whether the gate passed (exit code 0)."""
        return self.verdict == "passed"

    @property
    def blocking(self) -> tuple[FindingResult, ...]:
        """The findings that fail the gate."""
        return tuple(f for f in self.findings if f.blocking)

    @property
    def model(self) -> str:
        """``name version`` of the model evaluated."""
        model = self._record["model"]
        return f"{model['name']} {model['version']}"

    def to_dict(self) -> dict[str, Any]:
        """The evaluation record (a deep copy: changing it changes nothing here)."""
        import copy

        return copy.deepcopy(dict(self._record))

    def __repr__(self) -> str:
        dry = "" if self.recorded else f", {DRY_RUN_NOTE}"
        return (
            f"<Evaluation {self.model}: {self.verdict.upper()} (exit {self.exit_code}), "
            f"{len(self.findings)} findings, {len(self.blocking)} blocking{dry}, "
            f"id {self.evaluation_id}>"
        )

    def _repr_html_(self) -> str:
        """A compact HTML table for notebooks: the verdict, then one row per finding."""
        colour = "#1a7f37" if self.passed else "#cf222e"
        note = "" if self.recorded else f" <em>({escape(DRY_RUN_NOTE)})</em>"
        head = "".join(
            f"<th style='text-align:left'>{name}</th>"
            for name in ("rule", "severity", "outcome", "measured", "threshold", "message")
        )
        rows = []
        for finding in self.findings:
            effect = finding.effect
            outcome = finding.outcome.upper() + ("" if effect == "-" else f" ({effect})")
            measured = finding.measured
            shown = (
                measured_text(float(measured))
                if isinstance(measured, float | int) and not isinstance(measured, bool)
                else measured
            )
            cells = (
                finding.rule_id,
                finding.severity,
                outcome,
                "-" if shown is None else str(shown),
                str(finding.threshold) if finding.threshold else "-",
                finding.message,
            )
            rows.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>")
        return (
            f"<div><p><strong style='color:{colour}'>{escape(self.verdict.upper())}</strong> "
            f"{escape(self.model)}, exit {self.exit_code}{note}<br>"
            f"<small>evaluation {escape(self.evaluation_id)}</small></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
