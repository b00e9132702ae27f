"""CEL in policies: compile errors name the policy line and column; runtime errors are messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.expr import ExpressionError, Located, compile_expression
from governance.policy.loader import load_policy

Write = Callable[[str, str], Path]

HEAD = """
apiVersion: governance/v1
kind: Policy
metadata: {name: p, version: 1.0.0}
rules:
  - id: r
    title: t
    severity: high
    check: performance.metric
    params: {metric: accuracy}
"""


def load_error(write: Write, rule_tail: str) -> str:
    path = write("p.yaml", HEAD + rule_tail)
    with pytest.raises(PolicyError) as caught:
        load_policy(path, default_registry())
    message = str(caught.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}:")


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (
            "    assert: measured > 0.8 && evidnce.overall > 0\n",
            "10:31: rules[0].assert: unknown variable 'evidnce' in assert "
            "(available: measured, evidence, model, data)",
        ),
        (
            '    assert: "measured >"\n',
            "10:24: rules[0].assert: invalid CEL in assert: unexpected end of expression",
        ),
        (
            "    assert: |\n      measured > 0.5 &&\n        sizee(evidence) > 0\n",
            "12:9: rules[0].assert: unknown function 'sizee' in assert",
        ),
        (
            "    assert: >-\n      measured > 0.5 &&\n        evidence.overall >= && true\n",
            "12:29: rules[0].assert: invalid CEL in assert: unexpected '&&'",
        ),
        (
            "    threshold: {min: 0.5}\n    when: model.risk_tier == 'high' && measured > 1\n",
            "11:40: rules[0].when: unknown variable 'measured' in when (available: model, data)",
        ),
        (
            "    threshold: {min: 0.5}\n    when: model.risk_tier = 'high'\n",
            "11:27: rules[0].when: invalid CEL in when: unexpected character '='",
        ),
        (
            "    threshold: {min: 0.5}\n    assert: measured > 0.5\n",
            "5:5: rules[0]: give either threshold or assert, not both",
        ),
        (
            "    assert: '   '\n",
            "10:13: rules[0].assert: String should have at least 1 character",
        ),
    ],
)
def test_bad_expressions_fail_at_load_naming_line_and_column(
    write: Write, tail: str, expected: str
) -> None:
    assert load_error(write, tail) == expected


def test_macro_variables_are_bound_and_fields_are_not_variables(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + "    assert: >-\n"
        + "      evidence.tables.all(t, t.groups.all(g, g.count >= 30))\n"
        + "      && [1, 2].map(x, x * 2).exists(y, y == 4) && has(evidence.overall)\n"
        + "      && evidence.tables.reduce(acc, t, acc + 1, 0) >= 0\n",
    )
    rule = load_policy(path, default_registry()).rules[0]
    assert rule.assertion is not None
    assert (rule.assertion.line, rule.assertion.column) == (11, 7)


def compiled(text: str, kind: str = "assert") -> object:
    return compile_expression(Located(text, Path("p.yaml"), (1, 1)), kind, field="x")  # type: ignore[arg-type]


EVIDENCE = {
    "tables": [
        {
            "groups": [
                {"label": "a", "count": 40, "metrics": {"selection_rate": 0.3}},
                {"label": "b", "count": 12, "metrics": {"selection_rate": None}},
            ]
        }
    ]
}


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("measured >= 0.8", {"measured": 0.85}, True),
        ("measured >= 1", {"measured": 0.85}, False),  # int and double compare
        ("evidence.tables[0].groups.all(g, g.count >= 30)", {"evidence": EVIDENCE}, False),
        (
            "evidence.tables[0].groups.filter(g, g.count >= 30)"
            ".all(g, g.metrics.selection_rate >= 0.25)",
            {"evidence": EVIDENCE},
            True,
        ),
        ("measured == null", {"measured": None}, True),
        ("model.risk_tier in ['high', 'unacceptable']", {"model": {"risk_tier": "high"}}, True),
    ],
)
def test_expressions_evaluate_on_plain_values(
    text: str, variables: dict[str, object], expected: bool
) -> None:
    assert compiled(text).evaluate(variables) is expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "variables", "message"),
    [
        ("evidence.missing > 1", {"evidence": {}}, "no such key 'missing'"),
        ("measured > 0.5", {"measured": None}, "no operator > for (null, double)"),
        (
            "evidence.tables.all(t, true) && measured > 0.5",
            {"evidence": {}, "measured": 0.7},
            "no such key 'tables'",
        ),
        (
            "evidence.tables[3].x",
            {"evidence": EVIDENCE},
            "invalid argument: list index out of range",
        ),
        ("measured", {"measured": 0.5}, "assert must be true or false, it gave 0.5"),
    ],
)
def test_runtime_problems_are_short_messages(
    text: str, variables: dict[str, object], message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compiled(text).evaluate(variables)  # type: ignore[attr-defined]
    assert str(caught.value) == message
