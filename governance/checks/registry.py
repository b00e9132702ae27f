"""An explicit registry of check types.

Built-in checks are registered by :func:`governance.checks.builtin.register_builtin_checks`,
the same way a plugin
registers its own: an entry point in the ``governance.checks`` group names a function that
takes the registry. Nothing is registered as a side effect of an import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from governance.errors import ConfigError, InternalError

if TYPE_CHECKING:
    from governance.evaluators.context import EvaluationContext
    from governance.policy.model import Measurement

ENTRY_POINT_GROUP = "governance.checks"

Runner = Callable[["EvaluationContext", Any], "Measurement"]


@dataclass(frozen=True)
class CheckType:
    """A kind of check a rule can name.

    Parameters
    ----------
    name
        The dotted name rules use, e.g. ``fairness.demographic_parity_ratio``.
    summary
        One line for docs and ``policy lint``.
    params
        A pydantic model of the rule's ``params``; unknown params are rejected at load time.
    runner
        ``"module:function"`` computing a :class:`~governance.policy.model.Measurement`;
        imported only when a rule runs, so loading policies stays light.
    measures
        What the measured value is, for humans (``"ratio of selection rates"``).
    """

    name: str
    summary: str
    params: type[BaseModel]
    runner: str
    measures: str = ""

    def run(self, context: EvaluationContext, params: BaseModel) -> Measurement:
        """Measure this check on ``context``."""
        module_name, _, function_name = self.runner.partition(":")
        function: Runner = getattr(importlib.import_module(module_name), function_name)
        return function(context, params)


class CheckRegistry:
    """Check types by name."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckType] = {}

    def register(self, check: CheckType) -> None:
        """Add ``check``; registering a name twice is a bug."""
        if check.name in self._checks:
            raise InternalError(f"check type {check.name!r} is registered twice")
        self._checks[check.name] = check

    def get(self, name: str) -> CheckType | None:
        """The check type called ``name``, if registered."""
        return self._checks.get(name)

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._checks)

    def __iter__(self) -> Iterator[CheckType]:
        return iter(self._checks[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._checks


def load_plugins(registry: CheckRegistry) -> None:
    """Let every installed ``governance.checks`` entry point register its checks."""
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            register = entry_point.load()
            register(registry)
        except Exception as exc:
            raise ConfigError(
                f"check plugin {entry_point.name!r} ({entry_point.value}) failed to load: {exc}"
            ) from exc
