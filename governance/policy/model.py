"""Policies, rules, findings and verdicts."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from governance.validation import DocumentModel, SemVer

if TYPE_CHECKING:
    from governance.policy.expr import Expression

RuleId = Annotated[str, AfterValidator(lambda value: _name(value))]
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""An id or name, matched whole (``fullmatch``: ``$`` would let a trailing newline through)."""


def _name(value: str) -> str:
    if not NAME.fullmatch(value) or len(value) > 200:
        raise ValueError(
            f"{value!r} is not a valid id: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


WILDCARDS = frozenset("*?[]{}")


def _exact(value: str) -> str:
    """A name that matches exactly one thing: not empty, no wildcard."""
    if not value.strip():
        raise ValueError("is empty: a waiver names exactly one rule and one model")
    if WILDCARDS & set(value):
        raise ValueError(
            f"{value!r} is a wildcard: a waiver names exactly one rule and one model "
            "(write one waiver per rule)"
        )
    return _name(value)


def _iso_date(value: Any) -> Any:
    """Accept a date or ``YYYY-MM-DD`` text; refuse a timestamp (expiry is a whole UTC day)."""
    if isinstance(value, datetime) or (isinstance(value, str) and not ISO_DATE.fullmatch(value)):
        raise ValueError(
            f"{value!s} is not a date: write YYYY-MM-DD (a waiver ends with that day, UTC)"
        )
    if isinstance(value, str):  # quoted in YAML: models are strict, so parse it here
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a valid date ({value}: {exc})") from None
    return value


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
ExactName = Annotated[str, AfterValidator(_exact)]
RoleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Action = Literal["block", "warn"]


class Severity(enum.IntEnum):
    """How much a failing rule matters; higher blocks sooner."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in files and outputs."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` -> ``Severity.HIGH``."""
        return cls[text.upper()]


class Outcome(enum.StrEnum):
    """What evaluating one rule found."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    ERROR = "error"
    INSUFFICIENT = "insufficient"
    WAIVED = "waived"
    SKIPPED = "skipped"


SeverityName = Literal["critical", "high", "medium", "low", "info"]
FAILING_OUTCOMES = frozenset({Outcome.FAIL, Outcome.ERROR, Outcome.INSUFFICIENT})


class _Strict(DocumentModel):
    """Strict (see DocumentModel), unknown keys refused, frozen."""


class Threshold(_Strict):
    """Bounds the measured value must stay within (inclusive)."""

    min: Finite | None = None
    max: Finite | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is greater than max {self.max:g}")
        return self

    def admits(self, value: float) -> bool:
        """Whether ``value`` lies within the bounds."""
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def describe(self) -> str:
        """``>= 0.8``, ``<= 0.1`` or ``in [0.8, 1.25]``."""
        if self.min is not None and self.max is not None:
            return f"in [{self.min:g}, {self.max:g}]"
        if self.min is not None:
            return f">= {self.min:g}"
        return f"<= {self.max:g}"

    def as_dict(self) -> dict[str, float | None]:
        """``{"min": ..., "max": ...}``."""
        return {"min": self.min, "max": self.max}


class RuleSpec(_Strict):
    """One rule as written in a policy file (params and expressions not yet checked)."""

    model_config = ConfigDict(populate_by_name=True)

    id: RuleId
    title: NonEmpty
    severity: SeverityName
    check: NonEmpty
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: Threshold | None = None
    assertion: NonEmpty | None = Field(default=None, alias="assert")
    when: NonEmpty | None = None
    message: NonEmpty | None = None
    on_insufficient: Action = "block"
    on_error: Action = "block"
    controls: list[NonEmpty] = Field(default_factory=list)
    remediation: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> RuleSpec:
        if self.threshold is not None and self.assertion is not None:
            raise ValueError("give either threshold or assert, not both")
        return self


class SubjectSpec(_Strict):
    """The model a waiver is for: its name and, optionally, one version."""

    model: ExactName
    version: ExactName | None = None


class WaiverSpec(_Strict):
    """An accepted failure of one rule for one model, until a date."""

    rule_id: ExactName
    subject: SubjectSpec
    justification: NonEmpty
    approved_by: NonEmpty
    ticket: NonEmpty
    expires: IsoDate
    approval_role: RoleName | None = None
    """A role that must approve this waiver (``governance approve --waiver``) before it holds."""

    def expires_at(self) -> datetime:
        """The first instant the waiver no longer holds: midnight UTC after ``expires``."""
        return datetime.combine(self.expires + timedelta(days=1), time(), tzinfo=UTC)

    def is_expired(self, now: datetime) -> bool:
        """Whether the waiver has run out at ``now`` (it holds through its whole last day)."""
        return now >= self.expires_at()

    def as_dict(self) -> dict[str, Any]:
        """The waiver as in the evaluation record."""
        return {
            "rule_id": self.rule_id,
            "subject": self.subject.model_dump(mode="json"),
            "justification": self.justification,
            "approved_by": self.approved_by,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            **({"approval_role": self.approval_role} if self.approval_role else {}),
        }

    def digest(self) -> str:
        """``sha256:<hex>`` of the waiver's own fields (canonical JSON): what an approval names."""
        from governance.canonical import canonical_json, sha256_hex

        return "sha256:" + sha256_hex(canonical_json(self.as_dict()))


class OverrideSpec(_Strict):
    """Changes a policy makes to a rule of a policy it extends."""

    threshold: Threshold | None = None
    severity: SeverityName | None = None
    on_insufficient: Action | None = None
    on_error: Action | None = None
    controls: list[NonEmpty] | None = None
    remediation: str | None = None
    allow_relax: bool = False
    justification: NonEmpty | None = None

    @model_validator(mode="after")
    def _justified(self) -> OverrideSpec:
        if self.allow_relax and self.justification is None:
            raise ValueError("allow_relax needs a justification")
        return self


class PolicyMetadata(_Strict):
    """Name, version and references of a policy."""

    name: RuleId
    version: SemVer
    description: str | None = None
    references: list[NonEmpty] = Field(default_factory=list)


class PolicySpec(_Strict):
    """A whole ``kind: Policy`` document."""

    model_config = ConfigDict(populate_by_name=True)

    api_version: Literal["governance/v1"] = Field(alias="apiVersion")
    kind: Literal["Policy"]
    metadata: PolicyMetadata
    extends: list[NonEmpty] = Field(default_factory=list)
    overrides: dict[RuleId, OverrideSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    waivers: list[WaiverSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_rules(self) -> PolicySpec:
        if not self.rules and not self.extends:
            raise ValueError("a policy needs rules, or extends another policy")
        if self.overrides and not self.extends:
            raise ValueError("overrides change rules of extended policies: add extends")
        return self


class WaiversSpec(_Strict):
    """A whole ``kind: Waivers`` document."""

    model_config = ConfigDict(populate_by_name=True)

    api_version: Literal["governance/v1"] = Field(alias="apiVersion")
    kind: Literal["Waivers"]
    metadata: PolicyMetadata | None = None
    waivers: list[WaiverSpec]


@dataclass(frozen=True)
class Waiver:
    """A loaded waiver and where it is written."""

    spec: WaiverSpec
    path: Path
    line: int | None
    column: int | None = None

    @property
    def rule_id(self) -> str:
        """The rule it waives."""
        return self.spec.rule_id

    @property
    def source(self) -> str:
        """``path:line`` of the waiver, its path as evidence names it (never absolute)."""
        from governance.policy.packs import evidence_name

        path = evidence_name(self.path)
        return f"{path}:{self.line}" if self.line else path

    def matches(self, model: str, version: str) -> bool:
        """Whether the waiver's subject is this model (and version, if it names one)."""
        subject = self.spec.subject
        return subject.model == model and subject.version in (None, version)


@dataclass(frozen=True)
class AppliedOverride:
    """An override applied to a rule: by which policy, and whether it relaxed the rule."""

    policy: str
    relaxed: bool
    justification: str | None
    path: Path
    line: int | None

    def as_dict(self) -> dict[str, Any]:
        """As in the evaluation record."""
        return {
            "policy": self.policy,
            "relaxed": self.relaxed,
            "justification": self.justification,
        }


@dataclass(frozen=True)
class Rule:
    """A loaded rule: its spec, its validated params, and where it was written."""

    spec: RuleSpec
    params: BaseModel
    policy: str
    path: Path
    line: int | None
    column: int | None = None
    assertion: Expression | None = None
    condition: Expression | None = None
    override: AppliedOverride | None = None

    @property
    def id(self) -> str:
        """The rule's stable id."""
        return self.spec.id

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return Severity.parse(self.spec.severity)


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy file."""

    path: Path
    spec: PolicySpec
    rules: tuple[Rule, ...]
    digest: str
    waivers: tuple[Waiver, ...] = ()
    bases: tuple[str, ...] = ()  # names of the policies it extends
    document: Any = field(default=None, repr=False, compare=False)  # located YAML, for positions

    @property
    def name(self) -> str:
        """The policy's name."""
        return self.spec.metadata.name

    @property
    def version(self) -> str:
        """The policy's semver version."""
        return self.spec.metadata.version

    def summary(self) -> dict[str, Any]:
        """Name, version, path, digest and extended policies, as recorded with every verdict.

        The path is :func:`~governance.policy.packs.evidence_name`'s: never absolute.
        """
        from governance.policy.packs import evidence_name

        return {
            "name": self.name,
            "version": self.version,
            "path": evidence_name(self.path),
            "digest": self.digest,
            "extends": list(self.bases),
        }


@dataclass(frozen=True)
class Measurement:
    """What a check measured: a value to compare, evidence, or why it could not tell."""

    value: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    insufficient: str | None = None
    error: str | None = None
    detail: str | None = None  # appended to the finding's message, e.g. which fields are missing


@dataclass(frozen=True)
class GatedBound:
    """A rule gating on an interval bound: which bound, the point and the interval.

    ``measured`` stays the gated bound; this says what it is a bound of.
    """

    bound: Literal["ci_lower", "ci_upper"]
    confidence: float
    point: float
    interval: tuple[float, float]

    def as_dict(self) -> dict[str, Any]:
        """As in the evaluation record's ``gated``."""
        return {
            "bound": self.bound,
            "confidence": self.confidence,
            "point": self.point,
            "interval": list(self.interval),
        }


@dataclass(frozen=True)
class Finding:
    """The result of evaluating one rule."""

    rule: Rule
    outcome: Outcome
    measured: float | None
    message: str
    blocking: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    waiver: dict[str, Any] | None = None
    skip_reason: str | None = None
    bound: GatedBound | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as in the evaluation record (``gated`` only for a rule on a bound)."""
        spec = self.rule.spec
        gated = {} if self.bound is None else {"gated": self.bound.as_dict()}
        return {
            "rule_id": spec.id,
            "policy": self.rule.policy,
            "title": spec.title,
            "severity": spec.severity,
            "check": spec.check,
            "params": self.rule.params.model_dump(mode="json"),
            "threshold": spec.threshold.as_dict() if spec.threshold else None,
            "assert": spec.assertion,
            "when": spec.when,
            "outcome": self.outcome.value,
            "blocking": self.blocking,
            "measured": self.measured,
            **gated,
            "message": self.message,
            "waiver": self.waiver,
            "skip_reason": self.skip_reason,
            "override": self.rule.override.as_dict() if self.rule.override else None,
            "controls": list(spec.controls),
            "remediation": spec.remediation,
            "location": {
                "path": _evidence_name(self.rule.path),
                "line": self.rule.line,
                "column": self.rule.column,
            },
            "evidence": self.evidence,
        }


def _evidence_name(path: Path) -> str:
    from governance.policy.packs import evidence_name

    return evidence_name(path)
