"""Policy expressions (CEL) come from policy packs, which are untrusted: their cost is bounded.

Static limits refuse a too costly expression when the policy loads (exit 2, nothing evaluated);
a time and size budget stops an evaluation that would run too long or build too much, and the
rule's finding is an ``error``, which blocks the gate like a failure.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from governance.policy.budget import MAX_BUILT, MAX_NESTING, MAX_WALKED
from governance.policy.expr import Expression, ExpressionError, _environment
from tests.conftest import MANIFEST, CliRun, synthetic_frame

Write = Callable[[str, str], Path]

HEAD = """\
apiVersion: governance/v1
kind: Policy
metadata: {name: costly, version: 1.0.0}
rules:
  - id: costly
    title: Costly
    severity: high
    check: performance.metric
    params: {metric: accuracy}
"""
ASSERT_LINE = 10
ASSERT_COLUMN = 13  # where the expression starts: "    assert: " is 12 characters


def nested(depth: int, over: str = "evidence.items") -> str:
    """``depth`` comprehensions, each in the body of the one around it."""
    names = [f"v{level}" for level in range(depth)]
    text = " && ".join(f"{name} == {name}" for name in names)
    for name in reversed(names):
        text = f"{over}.all({name}, {text})"
    return text


def load_error(run_cli: CliRun, write: Write, expression: str) -> str:
    path = write("costly.yaml", HEAD + f"    assert: '{expression}'\n")
    result = run_cli("policy", "lint", path)
    assert result.exit_code == 2, result.stdout + result.stderr
    first = result.stderr.splitlines()[0]
    return first.removeprefix(f"Error: {path}:")


@pytest.mark.parametrize("depth", [5, 7])
def test_deeply_nested_comprehensions_are_refused_at_load(
    run_cli: CliRun, write: Write, depth: int
) -> None:
    # before: five nested comprehensions over 10 items ran for 64 s, seven for more than 60 s
    found = load_error(run_cli, write, nested(depth))
    column = ASSERT_COLUMN + 1 + nested(depth).index(f"all(v{depth - 1},")  # the deepest
    assert found == (
        f"{ASSERT_LINE}:{column}: rules[0].assert: comprehensions nested {depth} deep in "
        f"assert; at most {MAX_NESTING}"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 == " + " + ".join(["1"] * 1300), "assert is 5,202 characters long; at most 5,000"),
        ("[" + ", ".join(["1"] * 101) + "] != []", "a list literal of 101 items in assert"),
        ("{" + ", ".join(f"{i}: 1" for i in range(101)) + "} != {}", "a map literal of 101"),
        (" && ".join(["evidence.a.b.c == 1"] * 100), "parse-tree nodes; at most 2,000"),
    ],
    ids=["long", "list-literal", "map-literal", "big-tree"],
)
def test_expressions_past_the_static_limits_are_refused_at_load(
    run_cli: CliRun, write: Write, expression: str, message: str
) -> None:
    found = load_error(run_cli, write, expression)
    assert found.startswith(f"{ASSERT_LINE}:"), found
    assert message in found


def unchecked(text: str) -> Expression:
    """An Expression compiled without the static limits: the run-time budget must still hold."""
    ast = _environment().compile(text)
    return Expression(text=text, kind="assert", path=Path("p.yaml"), line=1, column=1, ast=ast)


def test_seven_nested_comprehensions_stop_at_the_time_budget_and_stop_working() -> None:
    expression = unchecked(nested(7))
    threads = threading.active_count()
    started = time.monotonic()
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({"evidence": {"items": list(range(10))}}, seconds=0.5)
    elapsed = time.monotonic() - started
    assert str(caught.value) == "CEL evaluation exceeded its time budget of 0.5 s"
    assert 0.5 <= elapsed < 1.5
    # the work stopped: no thread left behind, no CPU burnt afterwards
    assert threading.active_count() == threads
    cpu = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - cpu < 0.1


SHARED = "[evidence].map(a, [a, a])" + "".join(f".map(x{i}, [x{i}, x{i}])" for i in range(30))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a string or a list that doubles at every step: 2**40 characters
        (
            "evidence.reduce(r, i, 'ab', r + r) == ''",
            f"it built more than {MAX_BUILT:,} list elements, map entries and characters",
        ),
        ("evidence.reduce(r, i, [1], r + r) == []", f"it built more than {MAX_BUILT:,}"),
        # 31 steps of [x, x]: small in memory, 2**31 elements when compared or written out
        (f"{SHARED} == [1]", f"== on values of more than {MAX_WALKED:,} elements"),
        (f"[1] in {SHARED}", f"in on values of more than {MAX_WALKED:,} elements"),
        (f"string({SHARED}) == ''", f"string() on values of more than {MAX_WALKED:,}"),
        (SHARED, "assert must be true or false, it gave [[[[…], […]], [[…], […]]]]"),
    ],
    ids=["string-doubling", "list-doubling", "equal", "in", "string", "result"],
)
def test_values_that_grow_exponentially_stop_at_the_size_budget(text: str, message: str) -> None:
    expression = unchecked(text)
    started = time.monotonic()
    with pytest.raises(ExpressionError) as caught:
        expression.evaluate({"evidence": list(range(40))}, seconds=30)
    assert message in str(caught.value)
    assert time.monotonic() - started < 10  # well within the time budget: stopped by size


def test_an_assert_slow_on_big_evidence_is_an_error_finding_that_blocks_the_gate(
    run_cli: CliRun, write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = synthetic_frame()
    frame["zip"] = [f"z{index % 120:03d}" for index in range(len(frame))]  # 120 groups
    frame.to_csv(tmp_path / "data.csv", index=False)
    manifest = write("manifest.yaml", MANIFEST.replace("[sex, group]", "[sex, group, zip]"))
    # within the static limits: two comprehensions deep, over every pair of 120 groups
    pairs = "evidence.tables.all(t, t.groups.all(a, t.groups.all(b, a.count + b.count > 1)))"
    policy = write(
        "policy.yaml",
        HEAD.replace("performance.metric", "fairness.demographic_parity_ratio").replace(
            "{metric: accuracy}", "{sensitive_features: [zip], min_group_size: 1, n_boot: 0}"
        )
        + f"    assert: '{pairs}'\n",
    )
    monkeypatch.setenv("GOVERNANCE_CEL_BUDGET_SECONDS", "0.3")
    db = tmp_path / "audit.db"
    started = time.monotonic()
    result = run_cli(
        "check", manifest, "-p", policy, "--store", f"sqlite:///{db}", "--format", "json"
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.stderr
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["outcome"] == "error"
    assert finding["message"] == (
        "assert could not be evaluated: CEL evaluation exceeded its time budget of 0.3 s"
    )
    assert finding["blocking"] is True
    assert elapsed < 30  # before: the pairs took minutes


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "1e400", "abc"])
def test_a_time_budget_that_is_not_a_positive_number_of_seconds_is_refused(
    run_cli: CliRun,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    monkeypatch.setenv("GOVERNANCE_CEL_BUDGET_SECONDS", value)
    db = tmp_path / "audit.db"
    result = run_cli("check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"Error: cel_budget_seconds must be a positive number of seconds, found {value!r} "
        "(from GOVERNANCE_CEL_BUDGET_SECONDS)"
    )
    assert not db.exists() or _entries(db) == 0


def _entries(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        return int(conn.execute("select count(*) from audit_log").fetchone()[0])


def test_the_shipped_packs_are_well_within_the_limits() -> None:
    """The limits leave room: every shipped expression nests at most one level less."""
    from governance.checks import default_registry
    from governance.policy.budget import cost_problem
    from governance.policy.loader import expand_policy_paths, load_policies
    from tests.conftest import REPO

    paths = expand_policy_paths([REPO / "policies"])
    expressions = [
        expression
        for policy in load_policies(paths, default_registry())
        for rule in policy.rules
        for expression in (rule.assertion, rule.condition)
        if expression is not None
    ]
    assert expressions
    for expression in expressions:
        deeper = unchecked(f"[1].all(z, {expression.text})").ast
        assert cost_problem(deeper, "assert") is None, expression.text
