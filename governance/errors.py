"""One error hierarchy for the whole package.

Every expected failure is a :class:`GovernanceError` subclass carrying the process exit code the
CLI uses and, where useful, a hint for the user. The CLI turns these into one ``Error: ...`` line
on stderr; anything else is an internal error (exit 3).

Exit codes (see ``docs/exit-codes.md``):

- 0: passed
- 1: gate failed, or verification found the artefact invalid or tampered
- 2: invalid input or usage; nothing was written
- 3: internal error
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class GovernanceError(Exception):
    """Base class of every error the package raises on purpose.

    Parameters
    ----------
    message
        What went wrong, in one line.
    path
        The file the problem is in, if any.
    line, column
        1-based position in ``path``, if known.
    field
        The dotted name of the offending field (``data.target``), if any.
    hint
        A suggestion on how to fix it, shown after the message.
    """

    exit_code: int = EXIT_INTERNAL
    http_status: int = 500
    """The HTTP status ``governance serve`` answers it with (one handler maps every error)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.field = field
        self.hint = hint

    @property
    def location(self) -> str:
        """``path:line:column`` as far as it is known, or an empty string."""
        if self.path is None:
            return ""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.field:
            text = f"{self.field}: {text}"
        if self.location:
            text = f"{self.location}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class InputError(GovernanceError):
    """Invalid input or usage: the command stops before writing anything."""

    exit_code = EXIT_USAGE
    http_status = 400


class NotFound(InputError):
    """What was asked for (an evaluation, a lineage node, a run) is not in the audit store."""

    http_status = 404


class ManifestError(InputError):
    """The model manifest is missing, malformed or inconsistent."""


class PolicyError(InputError):
    """A policy or waiver file is missing, malformed or inconsistent."""


class DataError(InputError):
    """The evaluation data cannot be used as the manifest describes it."""


class EngineError(DataError):
    """A data engine (DuckDB, Spark) cannot read or count the data: the message names both."""


class ModelError(InputError):
    """The model artifact cannot be loaded, is not trusted, or fails to predict."""


class ConfigError(InputError):
    """A setting (flag, environment variable or governance.yml) is invalid."""


class StoreError(InputError):
    """The audit store is unreachable, misconfigured, or refuses the operation."""

    http_status = 503


class StoreUnavailable(StoreError):
    """The audit store cannot be reached or read: a database down, a file gone or locked."""

    http_status = 503


class EvaluationNotFound(NotFound, StoreError):
    """No stored evaluation has that id (or none is stored, for ``latest``)."""

    http_status = 404


class LineageError(InputError):
    """An OpenLineage event is invalid, or a lineage sink is misconfigured."""


class LineageNotFound(NotFound, LineageError):
    """No recorded job, dataset or run has that name or id."""


class SigningError(InputError):
    """A signing key or certificate is missing or unusable."""


class SetupError(InputError):
    """A system library or optional dependency the command needs is missing."""


class VerificationFailed(GovernanceError):
    """An artefact (report, signature, audit chain) is invalid or was tampered with."""

    exit_code = EXIT_INVALID
    http_status = 409


class InternalError(GovernanceError):
    """A bug: something that should not happen did."""

    exit_code = EXIT_INTERNAL
