"""Policies, rules, findings and verdicts."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

RuleId = Annotated[str, AfterValidator(lambda value: _name(value))]
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _semver(value: str) -> str:
    if not SEMVER.match(value):
        raise ValueError(f"{value!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)")
    return value


def _name(value: str) -> str:
    if not NAME.match(value) or len(value) > 200:
        raise ValueError(
            f"{value!r} is not a valid id: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


SemVer = Annotated[str, AfterValidator(_semver)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """Bounds the measured value must stay within (inclusive)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
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
    """One rule as written in a policy file (params not yet checked)."""

    id: RuleId
    title: NonEmpty
    severity: SeverityName
    check: NonEmpty
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: Threshold | None = None
    controls: list[NonEmpty] = Field(default_factory=list)
    remediation: str | None = None
    description: str | None = None


class PolicyMetadata(_Strict):
    """Name, version and references of a policy."""

    name: RuleId
    version: SemVer
    description: str | None = None
    references: list[NonEmpty] = Field(default_factory=list)


class PolicySpec(_Strict):
    """A whole ``kind: Policy`` document."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    api_version: Literal["governance/v1"] = Field(alias="apiVersion")
    kind: Literal["Policy"]
    metadata: PolicyMetadata
    rules: Annotated[list[RuleSpec], Field(min_length=1)]


@dataclass(frozen=True)
class Rule:
    """A loaded rule: its spec, its validated params, and where it was written."""

    spec: RuleSpec
    params: BaseModel
    policy: str
    path: Path
    line: int | None
    column: int | None = None

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

    @property
    def name(self) -> str:
        """The policy's name."""
        return self.spec.metadata.name

    @property
    def version(self) -> str:
        """The policy's semver version."""
        return self.spec.metadata.version

    def summary(self) -> dict[str, str]:
        """Name, version, path and digest, as recorded with every verdict."""
        return {
            "name": self.name,
            "version": self.version,
            "path": str(self.path),
            "digest": self.digest,
        }


@dataclass(frozen=True)
class Measurement:
    """What a check measured: a value to compare, evidence, or why it could not tell."""

    value: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    insufficient: str | None = None
    error: str | None = None
    charts: list[dict[str, str]] = field(default_factory=list)  # [{"title": ..., "svg": ...}]


@dataclass(frozen=True)
class Finding:
    """The result of evaluating one rule."""

    rule: Rule
    outcome: Outcome
    measured: float | None
    message: str
    blocking: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    charts: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The finding as in the evaluation record."""
        spec = self.rule.spec
        return {
            "rule_id": spec.id,
            "policy": self.rule.policy,
            "title": spec.title,
            "severity": spec.severity,
            "check": spec.check,
            "params": self.rule.params.model_dump(mode="json"),
            "threshold": spec.threshold.as_dict() if spec.threshold else None,
            "outcome": self.outcome.value,
            "blocking": self.blocking,
            "measured": self.measured,
            "message": self.message,
            "controls": list(spec.controls),
            "remediation": spec.remediation,
            "location": {
                "path": str(self.rule.path),
                "line": self.rule.line,
                "column": self.rule.column,
            },
            "evidence": self.evidence,
            "charts": self.charts,
        }
