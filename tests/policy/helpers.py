"""Build policies from YAML text and judge their rules on fixtures."""

from __future__ import annotations

import textwrap
from pathlib import Path

from governance.checks import default_registry
from governance.policy.loader import load_policies
from governance.policy.model import Policy, Rule


def policy_text(rules: str, *, name: str = "p", extra: str = "") -> str:
    head = f"apiVersion: governance/v1\nkind: Policy\nmetadata: {{name: {name}, version: 1.0.0}}\n"
    return (
        head + textwrap.dedent(extra) + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    )


def load(tmp_path: Path, text: str, name: str = "policy.yaml") -> list[Policy]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_policies([path], default_registry())


def rule_from(tmp_path: Path, rule_yaml: str) -> Rule:
    return load(tmp_path, policy_text(rule_yaml))[0].rules[0]
