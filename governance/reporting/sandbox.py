"""The Jinja2 environment report templates run in: sandboxed, and bounded in time and size.

A template folder given with ``--templates`` may come from anyone. Jinja2's sandbox keeps a
template away from Python's internals, but not from the machine's time and memory:
``{{ 'x' * 10**10 }}`` asks for 10 GB, two nested ``range(100000)`` loops run 10^10 times, a
macro may call itself without end, and WeasyPrint lays out whatever HTML comes out, a page
every few tens of milliseconds. :class:`BoundedEnvironment` adds, within one
:class:`RenderBudget` shared by rendering and layout:

- a **deadline** (``report_max_seconds``, default 120 s), checked at every loop step, call,
  operator, filter and piece of output, and at every page WeasyPrint lays out;
- a **size** check before every operation whose result size a number in the template decides
  (``*``, ``**``, ``%`` and ``str.format`` widths, ``center``/``ljust``/``zfill``,
  ``replace``, ``join``, ``indent``, ``wordwrap``, ``batch``, ``slice``, ``int.to_bytes``,
  ``lipsum``), and after every other one: no value larger than ``max_value_chars``;
- a **total** of text written or computed (``max_produced_chars``), so that loops filling
  buffers (macros, ``{% set %}`` blocks) stop too;
- a cap on the **HTML** (characters and elements), on **pages**, and on **macro depth**;
- no mutation of lists and dicts (:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`).

Loops and output are guarded by rewriting each template's syntax tree before it is compiled:
``{% for x in items %}`` iterates ``__governance_iter(items)``, each piece of output passes
through ``__governance_out``, each ``~`` through ``__governance_value``. A template may not
use names starting with ``__governance_``. Going past a limit raises
:class:`RenderLimitError` where it happens, so the error names the template file and line.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from governance.config import DEFAULT_REPORT_MAX_SECONDS as DEFAULT_MAX_SECONDS

MiB = 1024 * 1024

GUARD_PREFIX = "__governance_"
GUARD_ITER = GUARD_PREFIX + "iter"
GUARD_OUT = GUARD_PREFIX + "out"
GUARD_TEXT = GUARD_PREFIX + "text"
GUARD_VALUE = GUARD_PREFIX + "value"
GUARD_TEXT_OF = GUARD_PREFIX + "printable"
MAX_INT_BITS = 10_000
"""Bits of an integer a template may compute (Python prints at most 4,300 digits anyway)."""
MAX_JSON_INDENT = 16

TOO_SLOW = "rendering and layout took longer than {seconds:g} s (report_max_seconds)"
VALUE_TOO_LARGE = (
    "a value of at least {size:,} characters or items, more than the {limit:,} allowed"
)
TOO_MUCH_PRODUCED = "the template wrote or computed more than {limit:,} characters in all"
NUMBER_TOO_LARGE = "a number of more than {limit:,} bits"
STAR_WIDTH = "a '*' width or precision in a % format"
NESTED_FORMAT = "a replacement field inside a format specification"
JSON_INDENT = "a tojson indent larger than {limit}"
HTML_TOO_LARGE = "the report HTML is longer than {limit:,} characters"
TOO_MANY_ELEMENTS = "the report HTML has more than {limit:,} elements"
TOO_MANY_PAGES = "the report is longer than {limit:,} pages"
TOO_DEEP = "macros nested (or calling themselves) more than {limit} deep"
TEMPLATE_TOO_LARGE = "the template is larger than {limit:,} characters"
RESERVED_NAME = f"names starting with {GUARD_PREFIX} are reserved"

PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")
ELEMENT = re.compile(r"<[A-Za-z]")
LAYOUT_LOGGER = "weasyprint.progress"
"""WeasyPrint logs each step, and each page it lays out, on this logger."""


class RenderLimitError(SecurityError):
    """Rendering a report went past one of its :class:`RenderLimits`."""


@dataclass(frozen=True)
class RenderLimits:
    """How much rendering and laying out one report may cost.

    Parameters
    ----------
    max_seconds
        Wall-clock seconds for rendering the templates and laying out the PDF.
    max_html_chars
        Characters of the HTML document.
    max_elements
        HTML elements (start tags): what WeasyPrint's time and memory grow with.
    max_pages
        Pages of the laid-out report.
    max_value_chars
        Characters (or items) of any one value a template computes.
    max_produced_chars
        Characters a template writes or computes in all, buffers of macros included.
    max_macro_depth
        Macros (and recursive loops) nested in one another.
    max_template_chars
        Characters of one template file.
    """

    max_seconds: float = DEFAULT_MAX_SECONDS
    max_html_chars: int = 10 * MiB
    max_elements: int = 50_000
    max_pages: int = 1_000
    max_value_chars: int = 10 * MiB
    max_produced_chars: int = 100 * MiB
    max_macro_depth: int = 64
    max_template_chars: int = MiB


def _size(value: Any, limit: int) -> int:
    """Characters ``str(value)`` takes at least: text, items and digits, counted to ``limit``.

    A container is counted through: a list holding the same 10 MB string a thousand times is
    10 GB once printed, joined or serialised. Counting stops soon after ``limit``, so a value
    that loops back on itself ends too.
    """
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, Mapping):
            total += 1 + len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1 + len(item)
            pending.extend(item)
        elif isinstance(item, range):
            total += len(item)
        elif _is_int(item):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
    return total


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class RenderBudget:
    """What one report has spent of its :class:`RenderLimits`; the clock starts at creation."""

    def __init__(self, limits: RenderLimits | None = None) -> None:
        self.limits = limits or RenderLimits()
        self.deadline = time.monotonic() + self.limits.max_seconds
        self.produced = 0
        self.depth = 0
        self.html_chars = 0
        self.elements = 0

    def tick(self) -> None:
        """Fail if the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise RenderLimitError(TOO_SLOW.format(seconds=self.limits.max_seconds))

    def expect(self, size: int) -> None:
        """Fail before making a value of ``size`` characters or items, if that is too many."""
        if size > self.limits.max_value_chars:
            raise RenderLimitError(
                VALUE_TOO_LARGE.format(size=size, limit=self.limits.max_value_chars)
            )

    def charge(self, size: int) -> None:
        """Count ``size`` characters written or computed against the total."""
        self.produced += size
        if self.produced > self.limits.max_produced_chars:
            raise RenderLimitError(TOO_MUCH_PRODUCED.format(limit=self.limits.max_produced_chars))

    def size(self, value: Any) -> int:
        """What ``str(value)`` would take at least, counted up to just past the value limit."""
        return _size(value, self.limits.max_value_chars)

    def checked(self, value: Any) -> Any:
        """Return ``value`` after counting it; fail if it is too large."""
        self.tick()
        size = self.size(value)
        self.expect(size)
        self.charge(size)
        return value

    def printable(self, value: Any) -> Any:
        """Return ``value`` after checking that it can be turned into text (before ``str()``)."""
        self.tick()
        if not isinstance(value, str):
            self.expect(self.size(value))
        return value

    def add_html(self, chunk: str) -> None:
        """Count a piece of the finished HTML against its caps."""
        self.tick()
        self.html_chars += len(chunk)
        self.elements += len(ELEMENT.findall(chunk))
        if self.html_chars > self.limits.max_html_chars:
            raise RenderLimitError(HTML_TOO_LARGE.format(limit=self.limits.max_html_chars))
        if self.elements > self.limits.max_elements:
            raise RenderLimitError(TOO_MANY_ELEMENTS.format(limit=self.limits.max_elements))

    def check_pages(self, pages: int) -> None:
        """Fail if the layout has more than ``max_pages`` pages (or the deadline passed)."""
        self.tick()
        if pages > self.limits.max_pages:
            raise RenderLimitError(TOO_MANY_PAGES.format(limit=self.limits.max_pages))

    # -- size checks before an operation ---------------------------------------------------

    def check_int(self, bits: int) -> None:
        """Fail before computing an integer of ``bits`` bits, if that is too many."""
        if bits > MAX_INT_BITS:
            raise RenderLimitError(NUMBER_TOO_LARGE.format(limit=MAX_INT_BITS))

    def check_percent_format(self, text: str, args: Any = ()) -> None:
        """Fail before ``text % args`` if a width or precision is too large or a ``*``."""
        self.expect(len(text) + self.size(args))
        for width, precision in PERCENT_FIELD.findall(text):
            for number in (width, precision):
                if number == "*":
                    raise RenderLimitError(STAR_WIDTH)
                if number:
                    self.expect(int(number))

    def check_format_string(self, text: str, args: Any = ()) -> None:
        """Fail before ``text.format(*args)`` if a width is too large or comes from a field."""
        self.expect(len(text) + self.size(args))
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError:
            return  # the call itself reports the malformed format
        for _, _, spec, _ in fields:
            if not spec:
                continue
            if "{" in spec:
                raise RenderLimitError(NESTED_FORMAT)
            for number in re.findall(r"\d+", spec):
                self.expect(int(number))

    def check_replace(self, text: Any, old: Any, new: Any, count: Any = -1) -> None:
        """Fail before ``text.replace(old, new, count)`` would be too large."""
        if not isinstance(text, str | bytes) or not isinstance(old, str | bytes):
            return
        occurrences = len(text) + 1 if not old else text.count(old)  # type: ignore[arg-type]
        if _is_int(count) and count >= 0:
            occurrences = min(occurrences, count)
        grow = max(self.size(new) - len(old), 0)
        self.expect(len(text) + occurrences * grow)

    def check_join(self, separator: Any, items: list[Any]) -> None:
        """Fail before joining ``items`` with ``separator`` would be too large."""
        self.expect(self.size(items) + self.size(separator) * max(len(items) - 1, 0))


# -- the syntax tree rewrite -----------------------------------------------------------------


def _guard(name: str, argument: nodes.Node) -> nodes.Call:
    lineno = argument.lineno
    return nodes.Call(
        nodes.Name(name, "load", lineno=lineno), [argument], [], None, None, lineno=lineno
    )


class _Guards(NodeTransformer):
    """Route loops, output, ``~`` and literal lists of a template through the budget's guards."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _guard(GUARD_ITER, node.iter)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        guarded: list[nodes.Expr] = []
        static = 0
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                static += len(child.data)
                guarded.append(child)
            else:
                guarded.append(_guard(GUARD_OUT, child))
        if static:
            guarded.append(_guard(GUARD_TEXT, nodes.Const(static, lineno=node.lineno)))
        node.nodes = guarded
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_guard(GUARD_TEXT_OF, child) for child in node.nodes]
        return _guard(GUARD_VALUE, node)

    def _literal(self, node: nodes.Node) -> nodes.Node:
        self.generic_visit(node)
        if getattr(node, "ctx", "load") != "load":  # an assignment target: a, b = ...
            return node
        return _guard(GUARD_VALUE, node)

    visit_List = visit_Tuple = visit_Dict = _literal


class _Ticking:
    """An iterable that checks the deadline before each item; sized if the original is."""

    def __init__(self, iterable: Iterable[Any], budget: RenderBudget) -> None:
        self._iterable = iterable
        self._budget = budget

    def __iter__(self) -> Iterator[Any]:
        for item in self._iterable:
            self._budget.tick()
            yield item

    def __len__(self) -> int:
        return len(self._iterable)  # type: ignore[arg-type]  # TypeError when not sized


# -- the environment -------------------------------------------------------------------------


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """An immutable sandbox whose templates spend a :class:`RenderBudget`.

    Parameters
    ----------
    budget
        The budget every template of this environment spends.
    **options
        Passed to :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`.
    """

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, budget: RenderBudget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self._guards: dict[str, Callable[..., Any]] = {
            GUARD_ITER: lambda iterable: _Ticking(iterable, budget),
            GUARD_OUT: self._out,
            GUARD_TEXT: self._text,
            GUARD_VALUE: budget.checked,
            GUARD_TEXT_OF: budget.printable,
        }
        self.globals.update(self._guards)
        lipsum = self.globals.get("lipsum")
        if callable(lipsum):
            self.globals["lipsum"] = self._bounded_lipsum(lipsum)

    # Filters are bounded as they are registered, so the ones added after construction are too.
    def bound_filters(self) -> None:
        """Wrap every registered filter in the budget's checks (call after adding filters)."""
        for name, function in list(self.filters.items()):
            if not getattr(function, "_governance_bounded", False):
                self.filters[name] = self._bounded_filter(name, function)

    def _out(self, value: Any) -> Any:
        self.budget.printable(value)
        self.budget.charge(len(value) if isinstance(value, str) else len(str(value)))
        return value

    def _text(self, size: int) -> str:
        self.budget.tick()
        self.budget.charge(size)
        return ""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if len(source) > self.budget.limits.max_template_chars:
            raise TemplateSyntaxError(
                TEMPLATE_TOO_LARGE.format(limit=self.budget.limits.max_template_chars),
                1,
                name,
                filename,
            )
        if GUARD_PREFIX in source:
            line = source[: source.index(GUARD_PREFIX)].count("\n") + 1
            raise TemplateSyntaxError(RESERVED_NAME, line, name, filename)
        tree = _Guards().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree  # type: ignore[no-any-return]

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Check the size of ``left operator right`` before computing it, and after."""
        budget = self.budget
        budget.tick()
        sequences = (str, bytes, list, tuple)
        if operator == "*":
            if isinstance(left, sequences) and _is_int(right):
                budget.expect(budget.size(left) * right)
            elif isinstance(right, sequences) and _is_int(left):
                budget.expect(budget.size(right) * left)
            elif _is_int(left) and _is_int(right):
                budget.check_int(left.bit_length() + right.bit_length())
        elif operator == "**" and _is_int(left) and _is_int(right) and abs(left) > 1:
            budget.check_int(left.bit_length() * max(right, 0))
        elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
            budget.expect(budget.size(left) + budget.size(right))
        elif operator == "%" and isinstance(left, str):
            budget.check_percent_format(left, right)
        return budget.checked(self.binop_table[operator](left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj`` from a template: checked before, nested calls counted, result checked."""
        budget = self.budget
        budget.tick()
        if any(obj is guard for guard in self._guards.values()):
            return obj(*args)  # without the _loop_vars and _block_vars Jinja2 adds
        args = self._check_method(obj, args, kwargs)
        nested = isinstance(obj, Macro | LoopContext)
        if nested:
            budget.depth += 1
            if budget.depth > budget.limits.max_macro_depth:
                budget.depth -= 1
                raise RenderLimitError(TOO_DEEP.format(limit=budget.limits.max_macro_depth))
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            if nested:
                budget.depth -= 1
        return budget.checked(result)

    def _check_method(
        self, obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        """Check a call to a text or integer method whose result size its arguments decide.

        Returns the arguments to call with (``join``'s iterable is read into a list first).
        """
        budget = self.budget
        target = getattr(obj, "__wrapped__", obj)  # Jinja2 wraps str.format for the sandbox
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str | bytes | bytearray):
            if name in ("center", "ljust", "rjust", "zfill"):
                width = _argument(args, kwargs, 0, "width")
                if _is_int(width):
                    budget.expect(width)
            elif name == "expandtabs":
                tabsize = _argument(args, kwargs, 0, "tabsize")
                tabs = owner.count("\t" if isinstance(owner, str) else b"\t")  # type: ignore[arg-type]
                budget.expect(len(owner) + tabs * (tabsize if _is_int(tabsize) else 8))
            elif name == "replace" and len(args) >= 2:
                count = _argument(args, kwargs, 2, "count")
                budget.check_replace(owner, args[0], args[1], -1 if count is None else count)
            elif name == "join" and args:
                items = list(args[0])
                budget.check_join(owner, items)
                args = (items, *args[1:])
            elif name == "translate" and args and isinstance(args[0], Mapping):
                longest = max((budget.size(value) for value in args[0].values()), default=1)
                budget.expect(len(owner) * max(longest, 1))
            elif name in ("format", "format_map") and isinstance(owner, str):
                budget.check_format_string(owner, (args, kwargs))
        elif _is_int(owner) and name == "to_bytes":
            length = _argument(args, kwargs, 0, "length")
            if _is_int(length):
                budget.expect(length)
        return args

    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` checked before (for the filters that can amplify) and after."""
        budget = self.budget
        # a filter marked @pass_context (or eval_context, environment) gets that first
        skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

        @functools.wraps(function)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            value, params = (args[skip], args[skip + 1 :]) if len(args) > skip else (None, ())
            budget.printable(value)  # most filters start with str(value)
            if name == "center":
                width = _argument(params, kwargs, 0, "width")
                budget.expect(width if _is_int(width) else 80)
            elif name == "indent":
                width = _argument(params, kwargs, 0, "width")
                step = width if _is_int(width) else budget.size(width) if width is not None else 4
                text = str(value)
                budget.expect(len(text) + (text.count("\n") + 1) * step)
            elif name == "replace":
                count = _argument(params, kwargs, 2, "count")
                old, new = _argument(params, kwargs, 0, "old"), _argument(params, kwargs, 1, "new")
                budget.check_replace(str(value), str(old), str(new), -1 if count is None else count)
            elif name == "join" and value is not None:
                items = list(value)
                separator = _argument(params, kwargs, 0, "d") or ""
                budget.check_join(separator, items)
                args = (*args[:skip], items, *args[skip + 1 :])
            elif name == "format" and isinstance(value, str):
                budget.check_percent_format(value, (params, kwargs))
            elif name in ("batch", "slice"):
                count = _argument(params, kwargs, 0, "linecount" if name == "batch" else "slices")
                if _is_int(count):
                    budget.expect(count)
            elif name == "wordwrap":
                width = _argument(params, kwargs, 0, "width")
                wrap = _argument(params, kwargs, 2, "wrapstring")
                lines = len(str(value)) // max(width if _is_int(width) else 79, 1) + 1
                budget.expect(len(str(value)) + lines * max(budget.size(wrap), 1))
            elif name == "tojson":
                indent = _argument(params, kwargs, 0, "indent")
                if budget.size(indent) > MAX_JSON_INDENT or (
                    _is_int(indent) and indent > MAX_JSON_INDENT
                ):
                    raise RenderLimitError(JSON_INDENT.format(limit=MAX_JSON_INDENT))
            return budget.checked(function(*args, **kwargs))

        bounded._governance_bounded = True  # type: ignore[attr-defined]
        return bounded

    def _bounded_lipsum(self, lipsum: Callable[..., Any]) -> Callable[..., Any]:
        budget = self.budget

        @functools.wraps(lipsum)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            paragraphs = _argument(args, kwargs, 0, "n")
            words = _argument(args, kwargs, 3, "max")
            paragraphs = paragraphs if _is_int(paragraphs) else 5
            words = words if _is_int(words) else 100
            budget.expect(paragraphs * words * 12)  # words of at most 11 letters, a space
            return lipsum(*args, **kwargs)

        return bounded


# -- WeasyPrint's layout ---------------------------------------------------------------------

_LAYOUT_BUDGET: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "governance_layout_budget", default=None
)
_WATCH_LOCK = threading.Lock()
_WATCHERS = 0
_SAVED_LEVELS = (logging.NOTSET, logging.WARNING)
"""The progress logger's own level and effective level before the first watch began."""


class _LayoutWatch(logging.Filter):
    """Checks the budget at each step and page WeasyPrint logs; drops the records it enabled.

    A logger's filters run before its handlers, and an exception raised in one reaches the
    code that logged: WeasyPrint's layout stops at the page that went past the limit.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        budget = _LAYOUT_BUDGET.get()
        if budget is not None:
            page = record.args[0] if isinstance(record.args, tuple) and record.args else None
            if str(record.msg).startswith("Step 5") and isinstance(page, int):
                budget.check_pages(page)
            else:
                budget.tick()
        return record.levelno >= _SAVED_LEVELS[1]


_WATCH = _LayoutWatch()


@contextmanager
def layout_watched(budget: RenderBudget) -> Iterator[None]:
    """Check ``budget`` (deadline and pages) while WeasyPrint lays out in this block."""
    global _WATCHERS, _SAVED_LEVELS
    logger = logging.getLogger(LAYOUT_LOGGER)
    with _WATCH_LOCK:
        if _WATCHERS == 0:
            _SAVED_LEVELS = (logger.level, logger.getEffectiveLevel())
            logger.addFilter(_WATCH)
            logger.setLevel(min(logging.INFO, _SAVED_LEVELS[1]))
        _WATCHERS += 1
    token = _LAYOUT_BUDGET.set(budget)
    try:
        yield
    finally:
        _LAYOUT_BUDGET.reset(token)
        with _WATCH_LOCK:
            _WATCHERS -= 1
            if _WATCHERS == 0:
                logger.removeFilter(_WATCH)
                logger.setLevel(_SAVED_LEVELS[0])
