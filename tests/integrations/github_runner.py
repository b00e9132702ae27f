"""Run a composite action's steps as the GitHub runner would, as far as a test can.

``run:`` steps run for real in bash (GitHub's ``shell: bash``), with their ``env`` and ``if``
evaluated; ``uses:`` steps are recorded with their evaluated ``with:`` (a test checks what
they would receive). The expression language is the small part of GitHub's that the action
and docs/ci.md use: contexts (``inputs.x``, ``steps.id.outputs.y``, ``github.x``,
``secrets.x``, ``strategy.x``), string literals, ``==``, ``!=``, ``&&``, ``||``, ``!``,
parentheses, ``always()``, ``success()``, ``failure()`` and ``hashFiles(path)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integrations.conftest import run_shell

GITHUB_BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")  # GitHub's `shell: bash`
STATUS_FUNCTIONS = ("always()", "success()", "failure()", "cancelled()")

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<number>\d+)|(?P<name>[A-Za-z_][\w.-]*))"
)
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read expression {text!r} at {position}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _text(value: Any) -> str:
    """A YAML value as the runner passes it on: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truthy(value: Any) -> bool:
    return value not in ("", None, False, 0)


@dataclass
class Expressions:
    """Contexts and the evaluation of ``${{ }}`` expressions over them."""

    contexts: dict[str, Any]
    workdir: Path
    failed: bool = False

    def lookup(self, name: str) -> Any:
        value: Any = self.contexts
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return ""
            value = value[part]
        return value

    def evaluate(self, text: str) -> Any:
        tokens = _tokens(text)
        value, rest = self._or(tokens)
        if rest:
            raise ValueError(f"unexpected {rest[0][1]!r} in {text!r}")
        return value

    def _or(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._and(tokens)
        while tokens and tokens[0] == ("op", "||"):
            right, tokens = self._and(tokens[1:])
            value = value if _truthy(value) else right
        return value, tokens

    def _and(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._compare(tokens)
        while tokens and tokens[0] == ("op", "&&"):
            right, tokens = self._compare(tokens[1:])
            value = right if _truthy(value) else value
        return value, tokens

    def _compare(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._unary(tokens)
        while tokens and tokens[0][1] in ("==", "!="):
            op = tokens[0][1]
            right, tokens = self._unary(tokens[1:])
            equal = str(value).lower() == str(right).lower()  # GitHub ignores case
            value = equal if op == "==" else not equal
        return value, tokens

    def _unary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        if tokens and tokens[0] == ("op", "!"):
            value, tokens = self._unary(tokens[1:])
            return not _truthy(value), tokens
        return self._primary(tokens)

    def _primary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        kind, text = tokens[0]
        tokens = tokens[1:]
        if kind == "string":
            return text[1:-1].replace("''", "'"), tokens
        if kind == "number":
            return int(text), tokens
        if (kind, text) == ("op", "("):
            value, tokens = self._or(tokens)
            return value, tokens[1:]
        if tokens and tokens[0] == ("op", "("):
            arguments = []
            tokens = tokens[1:]
            while tokens[0] != ("op", ")"):
                argument, tokens = self._or(tokens)
                arguments.append(argument)
                if tokens[0] == ("op", ","):
                    tokens = tokens[1:]
            return self._call(text, arguments), tokens[1:]
        return self.lookup(text), tokens

    def _call(self, name: str, arguments: list[Any]) -> Any:
        if name == "always":
            return True
        if name == "success":
            return not self.failed
        if name == "failure":
            return self.failed
        if name == "cancelled":
            return False
        if name == "hashFiles":
            found = [p for pattern in arguments for p in sorted(self.workdir.glob(str(pattern)))]
            return "sha256-of-" + ",".join(p.name for p in found) if found else ""
        raise ValueError(f"function {name} is not known to this test runner")

    def substitute(self, text: str) -> str:
        """``text`` with every ``${{ expression }}`` replaced by its value."""

        def value(match: re.Match[str]) -> str:
            return _text(self.evaluate(match.group(1)))

        return _EXPRESSION.sub(value, text)

    def condition(self, text: str | None) -> bool:
        """A step's ``if:``: implicitly ``success() && (...)`` without a status function."""
        if text is None:
            return not self.failed
        text = text.strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        result = _truthy(self.evaluate(text))
        if any(function in text for function in STATUS_FUNCTIONS):
            return result
        return result and not self.failed


def parse_outputs(text: str) -> dict[str, str]:
    """A ``$GITHUB_OUTPUT`` file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@dataclass
class StepResult:
    """What one step did."""

    name: str
    ran: bool
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class JobRun:
    """Every step of a run, and the outputs of those with an id."""

    steps: list[StepResult]
    outputs: dict[str, dict[str, str]]
    failed: bool

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def uses(self, action: str) -> StepResult:
        return next(s for s in self.steps if s.uses and s.uses.startswith(action))

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(s.stderr for s in self.steps)


def run_steps(
    steps: list[dict[str, Any]],
    workdir: Path,
    contexts: dict[str, Any],
    env: Mapping[str, str],
    *,
    first_on_path: Sequence[Path] = (),
) -> JobRun:
    """Run ``steps`` in order in ``workdir``; ``env`` is the runner's environment."""
    expressions = Expressions(contexts={**contexts, "steps": {}}, workdir=workdir)
    results: list[StepResult] = []
    outputs: dict[str, dict[str, str]] = {}
    runner_temp = workdir / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    for index, step in enumerate(steps):
        name = step.get("name") or step.get("id") or step.get("uses") or f"step {index}"
        if not expressions.condition(step.get("if")):
            results.append(StepResult(name=name, ran=False, uses=step.get("uses")))
            continue
        if "uses" in step:
            with_ = {
                k: expressions.substitute(_text(v)) for k, v in (step.get("with") or {}).items()
            }
            results.append(StepResult(name=name, ran=True, uses=step["uses"], with_=with_))
            continue
        step_env = {k: expressions.substitute(_text(v)) for k, v in (step.get("env") or {}).items()}
        output = runner_temp / f"output-{index}"
        output.write_text("", encoding="utf-8")
        environ = {
            **env,
            **step_env,
            "GITHUB_OUTPUT": str(output),
            "RUNNER_TEMP": str(runner_temp),
        }
        script = expressions.substitute(step["run"])
        done = run_shell(script, workdir, environ, GITHUB_BASH, first_on_path=first_on_path)
        results.append(
            StepResult(
                name=name,
                ran=True,
                returncode=done.returncode,
                stdout=done.stdout,
                stderr=done.stderr,
                env=step_env,
            )
        )
        if step.get("id"):
            outputs[step["id"]] = parse_outputs(output.read_text(encoding="utf-8"))
            expressions.contexts["steps"][step["id"]] = {"outputs": outputs[step["id"]]}
        if done.returncode != 0:
            expressions.failed = True
    return JobRun(steps=results, outputs=outputs, failed=expressions.failed)
