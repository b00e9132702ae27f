"""Read a PDF someone else made with bounded work: size, objects, nesting, reads, decoding.

``governance verify`` is given files by people who may want it to fail. pyHanko's parser is a
recursive descent without limits of its own (besides the decoding limits of pyHanko 0.38):
10,000 nested arrays exhaust Python's recursion, an array of a million numbers takes seconds
and hundreds of megabytes, and a file without line breaks at its end is scanned byte by byte.
A report this tool writes is a few hundred kilobytes holding a few thousand objects nested six
deep; the limits here are far above that and far below what hurts:

- :data:`MAX_REPORT_BYTES`: larger files are refused before anything is parsed (the renderer
  refuses to write a larger report, so every report it writes can be verified);
- :func:`tail_problem`: the end of the file must hold ``startxref N %%EOF`` on short lines;
- :class:`ParseLimits`: every object pyHanko parses (from the file or from an object stream)
  and every read of the file is counted, and objects nest at most ``max_nesting`` deep;
- decoded streams are bounded by pyHanko's :class:`~pyhanko.pdf_utils.decode_limits.DecodeLimits`
  (tightened here where the installed pyHanko has them).

Within :func:`parse_limits`, exceeding a limit raises :class:`PdfLimitError` where it happens
and marks the budget, so a caller whose library code swallowed the error still sees it.
"""

from __future__ import annotations

import contextvars
import functools
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024
MAX_REPORT_BYTES = 32 * MiB
"""The largest report ``governance verify`` reads, and the largest the renderer writes."""
TAIL_BYTES = 1024
"""pyHanko looks for ``%%EOF`` in this many bytes at the end of the file."""
TAIL = re.compile(rb"(?:^|[\r\n])startxref[ \t]*[\r\n]+[ \t]*\d{1,20}[ \t]*[\r\n]+%%EOF")

TOO_LARGE = "it is larger than {limit} MiB"
NO_TAIL = "it does not end with 'startxref', an offset and '%%EOF' on their own lines"
TOO_MANY_OBJECTS = "it holds more than {limit:,} objects"
TOO_DEEP = "it nests objects more than {limit} deep"
TOO_MANY_READS = "reading it takes more than {limit:,} reads"
TOO_DEEP_FOR_PYTHON = "its objects nest or refer to one another too deeply to be parsed"
ERROR_TEXT_LIMIT = 200
"""Characters of a parser's error message quoted in a problem."""


class PdfLimitError(Exception):
    """Parsing a PDF went past one of the :class:`ParseLimits`."""


@dataclass(frozen=True)
class ParseLimits:
    """How much parsing one verification may cost.

    Parameters
    ----------
    max_objects
        Objects parsed in all (numbers, names, strings, arrays and dictionaries each count),
        across every reader opened while the limits apply.
    max_nesting
        Arrays and dictionaries nested inside one another.
    max_reads
        Read calls on the file's bytes (pyHanko reads most tokens byte by byte).
    """

    max_objects: int = 100_000
    max_nesting: int = 64
    max_reads: int = 500_000


class ParseBudget:
    """What has been spent of a :class:`ParseLimits`; ``exceeded`` says which limit broke."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.objects = 0
        self.depth = 0
        self.reads = 0
        self.exceeded: str | None = None

    def fail(self, reason: str) -> PdfLimitError:
        """Record ``reason`` (the first one wins) and return the error to raise."""
        if self.exceeded is None:
            self.exceeded = reason
        return PdfLimitError(self.exceeded)

    def enter_object(self) -> None:
        """Count one object about to be parsed, one level deeper."""
        self.objects += 1
        self.depth += 1
        if self.exceeded is not None:
            raise PdfLimitError(self.exceeded)
        if self.objects > self.limits.max_objects:
            raise self.fail(TOO_MANY_OBJECTS.format(limit=self.limits.max_objects))
        if self.depth > self.limits.max_nesting:
            raise self.fail(TOO_DEEP.format(limit=self.limits.max_nesting))

    def read(self) -> None:
        """Count one read of the file."""
        self.reads += 1
        if self.exceeded is not None:
            raise PdfLimitError(self.exceeded)
        if self.reads > self.limits.max_reads:
            raise self.fail(TOO_MANY_READS.format(limit=self.limits.max_reads))


_BUDGET: contextvars.ContextVar[ParseBudget | None] = contextvars.ContextVar(
    "governance_pdf_budget", default=None
)
_HOOK_LOCK = threading.Lock()
_HOOKED = False


def _hook_object_parser() -> None:
    """Route pyHanko's ``read_object`` through the current budget (once per process).

    Every object pyHanko parses, at any depth and from any stream (the file itself, or an
    object stream it decoded), goes through ``pyhanko.pdf_utils.generic.read_object``, which
    calls itself for the items of arrays and dictionaries. Outside :func:`parse_limits` the
    wrapper only calls through.
    """
    global _HOOKED
    with _HOOK_LOCK:
        if _HOOKED:
            return
        from pyhanko.pdf_utils import generic

        original = getattr(generic, "read_object", None)
        if callable(original):

            @functools.wraps(original)
            def read_object(*args: Any, **kwargs: Any) -> Any:
                budget = _BUDGET.get()
                if budget is None:
                    return original(*args, **kwargs)
                try:
                    budget.enter_object()
                    return original(*args, **kwargs)
                finally:
                    budget.depth -= 1

            generic.read_object = read_object
        _HOOKED = True


class _CountedBytes(io.BytesIO):
    """The file's bytes, each read counted against the current budget."""

    def read(self, size: int | None = -1, /) -> bytes:
        budget = _BUDGET.get()
        if budget is not None:
            budget.read()
        return super().read(size)


@contextmanager
def parse_limits(limits: ParseLimits | None = None) -> Iterator[ParseBudget]:
    """Apply ``limits`` to every PDF opened with :func:`open_pdf` in this block.

    Parameters
    ----------
    limits
        The limits; default :class:`ParseLimits`.

    Yields
    ------
    ParseBudget
        The spending, shared by every reader opened in the block; check ``exceeded`` after it.
    """
    _hook_object_parser()
    budget = ParseBudget(limits or ParseLimits())
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _decode_limits() -> Any:
    """PyHanko decoding limits at a report's scale; ``None`` before pyHanko 0.38."""
    try:
        from pyhanko.pdf_utils import decode_limits as limits
    except ImportError:  # pragma: no cover - pyHanko < 0.38 has no decoding limits
        return None
    per_purpose = dict(limits.DEFAULT_PURPOSE_LIMITS)
    per_purpose[limits.DecodePurpose.XREF_STREAM] = limits.StreamDecodeLimits(
        max_ratio=None, max_output_size=4 * MiB
    )
    per_purpose[limits.DecodePurpose.OBJECT_STREAM] = limits.StreamDecodeLimits(
        max_ratio=100, ratio_floor=MiB, max_output_size=8 * MiB
    )
    return limits.DecodeLimits(
        per_stream=limits.StreamDecodeLimits(max_output_size=MAX_REPORT_BYTES),
        per_purpose=per_purpose,
        document_budget=limits.DocumentDecodeBudget(base_allowance=64 * MiB, max_ratio=4),
    )


def open_pdf(data: bytes) -> Any:
    """A pyHanko reader of ``data`` whose parsing counts against the current budget.

    Parameters
    ----------
    data
        The PDF's bytes.

    Returns
    -------
    pyhanko.pdf_utils.reader.PdfFileReader
        The reader (not strict: a damaged file is read as far as it can be).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    decode_limits = _decode_limits()
    stream = _CountedBytes(data)
    if decode_limits is None:  # pragma: no cover - pyHanko < 0.38
        return PdfFileReader(stream, strict=False)
    return PdfFileReader(stream, strict=False, decode_limits=decode_limits)


def tail_problem(data: bytes) -> str | None:
    """Why the end of ``data`` is not the end of a PDF this tool reads, or ``None``.

    pyHanko reads the file backwards line by line, one byte at a time, to find ``%%EOF`` and
    the ``startxref`` offset before it; a last line of 30 MB takes it a minute. A report ends
    ``startxref``, the offset and ``%%EOF`` on short lines within its last kilobyte.
    """
    tail = data[-TAIL_BYTES:].rstrip(b"\x00\t\n\f\r ")
    if not TAIL.search(tail[-TAIL_BYTES:]):
        return NO_TAIL
    return None


def error_text(exc: BaseException) -> str:
    """A parser's error on one line and shortened: a hostile file chooses what it says.

    Parameters
    ----------
    exc
        The error.

    Returns
    -------
    str
        Its message (or its type's name), control characters escaped, at most
        :data:`ERROR_TEXT_LIMIT` characters.
    """
    from governance.escapes import visible

    text = visible(str(exc)) or type(exc).__name__
    if len(text) > ERROR_TEXT_LIMIT:
        text = text[: ERROR_TEXT_LIMIT - 3] + "..."
    return text
