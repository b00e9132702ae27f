"""The evaluation context of one check: the data read (arrow) or counted (SQL engine) once.

Every grouping the rules use is counted; a rule naming a column the data lacks is a PolicyError
at the rule, before anything is counted further.
"""

from __future__ import annotations

from collections.abc import Sequence
from glob import has_magic
from typing import TYPE_CHECKING, Any

from governance.data import open_table
from governance.data.engines import engine_name
from governance.errors import GovernanceError, PolicyError
from governance.evaluators.context import EvaluationContext
from governance.manifest import Manifest
from governance.policy.model import Policy

if TYPE_CHECKING:
    from governance.config import Settings

ROW_CHECKS = ("explainability.",)
"""Check types that read rows, not counts: a SQL engine draws a sample for them."""


def check_rule_columns(policies: Sequence[Policy], columns: set[str]) -> set[str]:
    """Columns the rules name; a missing one is a PolicyError at the rule."""
    needed: set[str] = set()
    for policy in policies:
        for rule in policy.rules:
            for column in getattr(rule.params, "sensitive_features", None) or []:
                if column not in columns:
                    raise PolicyError(
                        f"rule {rule.id}: sensitive feature {column!r} is not a column of the "
                        "evaluation data",
                        path=rule.path,
                        line=rule.line,
                        column=rule.column,
                        field="params.sensitive_features",
                    )
                needed.add(column)
    return needed


def _default_for_one_file(manifest: Manifest) -> bool:
    """Whether duckdb was chosen by default for one local file (which arrow can read too)."""
    spec = manifest.spec.data
    if spec.engine is not None or spec.where is not None or manifest.data_uri is not None:
        return False
    return spec.path is not None and not has_magic(spec.path) and manifest.data_path.is_file()


def load_context(
    manifest: Manifest,
    policies: Sequence[Policy],
    *,
    trust_model: bool,
    model: Any = None,
    settings: Settings | None = None,
    whole: bool = False,
) -> EvaluationContext:
    """Read the data once (in chunks), predict, and count every grouping the rules use.

    ``whole``: the rows themselves are needed (a champion predicts each one), so a manifest
    whose engine is not set is read by arrow rather than counted by its default SQL engine.
    """
    from governance.evaluators.fairness import check_reference_groups
    from governance.evaluators.stream import load_inputs, requirements
    from governance.evaluators.tasks import check_rule_classes, check_rule_tasks

    rules = [rule for policy in policies for rule in policy.rules]
    check_rule_tasks(manifest.spec.data.task, rules)
    needs = requirements(manifest, [rule.params for rule in rules])
    context = None
    defaulted = manifest.spec.data.engine is None
    counted = engine_name(manifest) in ("duckdb", "spark") and not (whole and defaulted)
    if counted:  # counted by a SQL engine
        from governance.evaluators.engine_inputs import load_engine_inputs

        one_file = _default_for_one_file(manifest)
        if one_file:  # the arrow reader's checks of the file's format and header first
            check_rule_columns(policies, set(open_table(manifest).columns))
        try:
            context = load_engine_inputs(
                manifest,
                needs,
                settings=settings,
                needs_rows=any(rule.spec.check.startswith(ROW_CHECKS) for rule in rules),
                check_columns=lambda columns: check_rule_columns(policies, columns),
            )[0]
        except GovernanceError:
            if not one_file:
                raise
            # DuckDB refused a file it was chosen for by default: the arrow path decides, so
            # a bad file gets arrow's message (naming the column and row) and a file DuckDB
            # reads differently (a binary column of text) is still evaluated, by arrow.
    if context is None:
        source = open_table(manifest)
        check_rule_columns(policies, set(source.columns))
        context = load_inputs(manifest, source, needs, trust_model=trust_model, model=model)
    check_reference_groups(context, rules)
    if manifest.spec.data.task == "multiclass":
        features = context.feature_sets(None)[0]
        check_rule_classes(context.group_counts(features), rules)
    return context
