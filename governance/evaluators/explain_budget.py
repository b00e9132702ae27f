"""How much explaining a rule may cost: rows, background rows, seconds, and a progress line.

A rule's params win; otherwise the global settings ``explain_rows``, ``explain_background`` and
``explain_max_seconds`` (``GOVERNANCE_EXPLAIN_*`` or governance.yml); otherwise the defaults
below, which depend on the explainer because the model-agnostic one costs ``background x
evaluations`` model calls per explained row.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from governance.config import Settings

DEFAULT_ROWS = {"linear": 500, "tree": 500, "permutation": 100}
# The tree explainer needs no background sample: the trees record their training data.
DEFAULT_BACKGROUND = {"linear": 100, "tree": 0, "permutation": 50}
DEFAULT_MAX_SECONDS = 60.0
# Show the progress line only for runs that take a while.
PROGRESS_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class Budget:
    """Rows to explain, background rows, the time limit and the seed of both samples.

    ``rows`` and ``background`` left ``None`` take the explainer's default.
    """

    rows: int | None = None
    background: int | None = None
    max_seconds: float = DEFAULT_MAX_SECONDS
    seed: int = 0

    def rows_for(self, explainer: str) -> int:
        """Rows to explain with ``explainer`` (``linear``, ``tree`` or ``permutation``)."""
        return self.rows if self.rows is not None else DEFAULT_ROWS[explainer]

    def background_for(self, explainer: str) -> int:
        """Background rows for ``explainer`` (0 for the tree explainer, which uses none)."""
        if explainer == "tree":
            return 0
        return self.background if self.background is not None else DEFAULT_BACKGROUND[explainer]


def resolve_budget(
    *,
    rows: int | None,
    background: int | None,
    max_seconds: float | None,
    seed: int,
    settings: Settings,
) -> Budget:
    """The budget of a rule: its params, else the settings, else the defaults.

    ``settings`` are the command's resolved settings (checked when they loaded), which reach
    the evaluator through its context.
    """
    return Budget(
        rows=rows if rows is not None else settings.explain_rows,
        background=background if background is not None else settings.explain_background,
        max_seconds=(
            max_seconds
            if max_seconds is not None
            else (settings.explain_max_seconds or DEFAULT_MAX_SECONDS)
        ),
        seed=seed,
    )


class Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal.

    Nothing is written for runs shorter than ``PROGRESS_AFTER_SECONDS`` or when the stream is
    not a TTY (CI logs stay clean).
    """

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.shown = False
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, done: int) -> None:
        """Report ``done`` of ``total`` rows explained."""
        if not self.enabled or time.perf_counter() - self.started < PROGRESS_AFTER_SECONDS:
            return
        width = 20
        filled = width * done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} rows")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the line if it was shown."""
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
