"""``governance policy lint``: load policies as a check would, then look for weaknesses.

Anything a check would refuse (schema, CEL, unknown checks or params, duplicate ids, extends
cycles, relaxing overrides) is an error raised while loading. What loads but deserves a
reviewer's attention is a :class:`LintWarning`: a rule without controls or remediation, a waiver
that names no loaded rule, has expired or expires soon, an override that relaxes a rule, a
``when`` or ``assert`` reading a manifest field that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from governance.checks.registry import CheckRegistry
from governance.policy.engine import MODEL_FIELDS
from governance.policy.expr import Expression, fields_read
from governance.policy.loader import load_policies, waiver_files_in
from governance.policy.model import Policy, Rule, Waiver
from governance.policy.waivers import check_unique, load_waiver_files, unique_files

DATA_FIELDS = (
    "target",
    "positive_label",
    "prediction",
    "score",
    "features",
    "sensitive_features",
    "rows",
)
EXPIRY_NOTICE = timedelta(days=30)


@dataclass(frozen=True)
class LintWarning:
    """Something that loads but deserves a look, and where it is."""

    path: Path
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line, self.column) if p is not None)
        return f"{where}: warning: {self.message}"


@dataclass(frozen=True)
class LintResult:
    """The policies loaded and the warnings found."""

    policies: tuple[Policy, ...]
    warnings: tuple[LintWarning, ...]
    waiver_files: tuple[Path, ...] = ()
    """The waivers files checked: those in the policy folders, then those given."""

    @property
    def rules(self) -> int:
        """How many rules were loaded."""
        return sum(len(policy.rules) for policy in self.policies)


def _rule_warnings(rule: Rule) -> list[LintWarning]:
    found = []
    where = (rule.path, rule.line, rule.column)
    if not rule.spec.controls:
        found.append(LintWarning(*where, f"rule {rule.id} names no controls"))
    if not (rule.spec.remediation or "").strip():
        found.append(LintWarning(*where, f"rule {rule.id} gives no remediation"))
    if rule.override is not None and rule.override.relaxed:
        found.append(
            LintWarning(
                rule.override.path,
                rule.override.line,
                None,
                f"override relaxes rule {rule.id}: {rule.override.justification}",
            )
        )
    for expression in (rule.condition, rule.assertion):
        if expression is not None:
            found.extend(_field_warnings(rule, expression))
    return found


def _field_warnings(rule: Rule, expression: Expression) -> list[LintWarning]:
    known = {"model": MODEL_FIELDS, "data": DATA_FIELDS}
    found = []
    for root, name, token in fields_read(expression, ("model", "data")):
        if name not in known[root]:
            line, column = expression.line, None
            cel_line, cel_column = getattr(token, "line", None), getattr(token, "column", None)
            if line is not None and cel_line is not None:
                line += cel_line - 1
                if cel_line == 1 and expression.column is not None and cel_column is not None:
                    column = expression.column + cel_column - 1
            found.append(
                LintWarning(
                    expression.path,
                    line,
                    column,
                    f"rule {rule.id}: {expression.kind} reads {root}.{name}, which the manifest "
                    f"does not have (known: {', '.join(known[root])})",
                )
            )
    return found


def _waiver_warnings(waiver: Waiver, rule_ids: set[str], today: datetime) -> list[LintWarning]:
    found = []
    where = (waiver.path, waiver.line, waiver.column)
    if waiver.rule_id not in rule_ids:
        found.append(
            LintWarning(*where, f"waiver names rule {waiver.rule_id}, which no policy has")
        )
    expires = waiver.spec.expires.isoformat()
    if waiver.spec.is_expired(today):
        found.append(LintWarning(*where, f"waiver of {waiver.rule_id} expired on {expires}"))
    elif waiver.spec.expires_at() - today <= EXPIRY_NOTICE:
        found.append(LintWarning(*where, f"waiver of {waiver.rule_id} expires on {expires}"))
    return found


def lint(
    paths: Sequence[str | Path],
    registry: CheckRegistry,
    *,
    waiver_files: Sequence[str | Path] = (),
    waivers: Sequence[Waiver] = (),
    now: datetime | None = None,
) -> LintResult:
    """Load ``paths`` as one set of policies (errors raise) and collect warnings.

    The waivers checked are those of the policies, of the ``kind: Waivers`` files in the
    directories among ``paths`` and in ``waiver_files`` (each file once), and ``waivers``.
    """
    policies = load_policies(paths, registry)
    files = unique_files([*waiver_files_in(paths), *waiver_files])
    today = now or datetime.now(UTC)
    rule_ids = {rule.id for policy in policies for rule in policy.rules}
    all_waivers = [w for policy in policies for w in policy.waivers]
    all_waivers += [*load_waiver_files(files), *waivers]
    check_unique(all_waivers)
    warnings: list[LintWarning] = []
    for policy in policies:
        for rule in policy.rules:
            warnings.extend(_rule_warnings(rule))
    for waiver in all_waivers:
        warnings.extend(_waiver_warnings(waiver, rule_ids, today))
    return LintResult(policies=tuple(policies), warnings=tuple(warnings), waiver_files=files)
