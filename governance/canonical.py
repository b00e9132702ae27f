"""Canonical JSON and sha256 helpers.

``canonical_json`` follows RFC 8785 (JSON Canonicalization Scheme): object keys sorted by their
UTF-16 code units, no insignificant whitespace, strings with the minimal escaping of JSON and no
escapes for non-ASCII text, numbers in the shortest form that reads back to the same IEEE
754 double, formatted as ECMAScript prints them (``1``, ``0.1``, ``1e+21``, ``1e-7``). One
deliberate difference: Python integers are written exactly, also beyond 2**53.

This module needs only the standard library, so policy digests can reuse it without importing
the database layer. When orjson is installed (a dependency of governance), it writes the text of
decoded JSON without floats, which is the same text, five times faster.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the standard library writes the same text
    _orjson = None  # type: ignore[assignment]

__all__ = [
    "Canonical",
    "CanonicalJSONError",
    "canonical_json",
    "is_canonical",
    "sha256_hex",
    "sorted_json",
]

NOT_FINITE = "NaN and Infinity have no JSON representation (found {value!r} at {where})"
OUT_OF_RANGE = (
    NOT_FINITE + ": a number beyond the range of a double (about 1.8e308), such as 1e999, "
    "reads as infinity"
)
BAD_KEY = "object keys must be strings (found {key!r} at {where})"
BAD_TYPE = "{type} is not a JSON type (found at {where})"
BAD_TEXT = "text is not valid Unicode (lone surrogate at {where})"

_encode_string = json.encoder.encode_basestring
# Beyond the BMP (key order differs between code points and UTF-16) or lone surrogates.
_NOT_BMP = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


class CanonicalJSONError(ValueError):
    """A value cannot be written as canonical JSON."""


def canonical_json(obj: Any) -> str:
    """Return the RFC 8785 canonical JSON text of ``obj``.

    Parameters
    ----------
    obj
        ``None``, ``bool``, ``int``, finite ``float``, ``str``, a list or tuple, or a mapping
        with string keys, nested to any depth.

    Returns
    -------
    str
        The canonical text; encode it as UTF-8 to hash it.

    Raises
    ------
    CanonicalJSONError
        For NaN or infinite floats, non-string keys, lone surrogates, or non-JSON types.
    """
    fast = _fast(obj)
    if fast is not None:
        return fast
    parts: list[str] = []
    _write(obj, parts, "$")
    return "".join(parts)


class _NotPlain(ValueError):
    """A float token that canonical JSON writes differently (exponent or ``.0`` form)."""


def _plain_float(token: str) -> float:
    if "e" in token or "E" in token or token.endswith(".0"):
        raise _NotPlain(token)
    return float(token)


def _no_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


class _Float(ValueError):
    """The text holds a float (any number with a fraction or an exponent)."""


def _no_float(token: str) -> float:
    raise _Float(token)


# Stateless, so shared: building them per call costs as much as a small payload's parse.
_DECODER = json.JSONDecoder(parse_float=_plain_float, parse_constant=_no_constant)
# Decoded JSON without floats is written the same by every writer below (see sorted_json).
_INTEGRAL_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_constant)
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)
_SORTED = _orjson.OPT_SORT_KEYS if _orjson is not None else 0


def sorted_json(value: Any, *, floats: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)``.

    Keys sorted by code point (not UTF-16), so this is the canonical form only for text in the
    Basic Multilingual Plane, and only without floats (which canonical JSON writes differently).

    Parameters
    ----------
    value
        Decoded JSON: dicts with string keys, lists, strings, integers, floats, booleans, None.
    floats
        Whether ``value`` may hold a float; ``False`` (known from the decoder) lets orjson
        write the text, which is identical for such values and several times faster.

    Returns
    -------
    str
        The text.
    """
    if not floats and _orjson is not None:
        try:
            return _orjson.dumps(value, option=_SORTED).decode()
        except _orjson.JSONEncodeError:  # integers beyond 64 bits, deep nesting, surrogates
            pass
    return _ENCODER.encode(value)


def _bmp_only(text: str) -> bool:
    return text.isascii() or not _NOT_BMP.search(text)


def _fast(obj: Any) -> str | None:
    """The C encoder's output when it is provably canonical, else ``None``.

    ``json.dumps`` with sorted keys and no whitespace writes the canonical form except for floats
    in exponent or ``.0`` form, keys beyond the BMP, and values it converts silently (non-string
    keys, tuples). Reading the text back catches all of them: a float token of those forms, or a
    value that no longer equals the original, sends the object to the exact writer.
    """
    if not isinstance(obj, dict | list):
        return None
    try:
        text = _ENCODER.encode(obj)
    except (TypeError, ValueError, RecursionError):
        return None
    if _NOT_BMP.search(text):
        return None
    try:
        back = _DECODER.decode(text)
    except (ValueError, RecursionError):  # _NotPlain included
        return None
    # Equal values give equal text here: a float equal to an int (1.0 == 1) was written as 1.0
    # and caught above, and True/1 are written differently by both writers alike.
    return text if back == obj else None


def is_canonical(text: str) -> bool:
    """Whether ``text`` is the canonical JSON (RFC 8785) of a JSON object.

    The common case is decided by the C JSON encoder: text without floats written in exponent
    or ``.0`` form and without characters beyond the BMP (whose key order differs between code
    points and UTF-16) is canonical exactly when the encoder writes it back unchanged. Anything
    else goes through :func:`canonical_json`.

    Parameters
    ----------
    text
        The stored text.

    Returns
    -------
    bool
        Whether it is exactly ``canonical_json`` of what it reads as.
    """
    try:
        value = _INTEGRAL_DECODER.decode(text)
        written = None if not isinstance(value, dict) else sorted_json(value, floats=False)
    except _Float:
        try:
            value = _DECODER.decode(text)
            written = None if not isinstance(value, dict) else _ENCODER.encode(value)
        except _NotPlain:
            written = None
        except (ValueError, RecursionError):
            return False
    except (ValueError, RecursionError):
        return False
    if written is not None and written == text and _bmp_only(text):
        return True
    try:
        value = json.loads(text, parse_constant=_no_constant)
        return isinstance(value, dict) and canonical_json(value) == text
    except (ValueError, RecursionError):
        return False


def sha256_hex(data: str | bytes) -> str:
    """Return the lowercase hex sha256 of ``data`` (text is hashed as UTF-8).

    Parameters
    ----------
    data
        Bytes, or text to encode as UTF-8.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _write(obj: Any, out: list[str], where: str) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(_string(obj, where))
    elif isinstance(obj, int):
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        out.append(_number(obj, where))
    elif isinstance(obj, Mapping):
        _write_object(obj, out, where)
    elif isinstance(obj, list | tuple):
        out.append("[")
        for index, item in enumerate(obj):
            if index:
                out.append(",")
            _write(item, out, f"{where}[{index}]")
        out.append("]")
    else:
        raise CanonicalJSONError(BAD_TYPE.format(type=type(obj).__name__, where=where))


def _write_object(obj: Mapping[Any, Any], out: list[str], where: str) -> None:
    for key in obj:
        if not isinstance(key, str):
            raise CanonicalJSONError(BAD_KEY.format(key=key, where=where))
    out.append("{")
    for index, key in enumerate(sorted(obj, key=_utf16_order)):
        if index:
            out.append(",")
        out.append(_string(key, where))
        out.append(":")
        _write(obj[key], out, f"{where}.{key}")
    out.append("}")


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str, where: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJSONError(BAD_TEXT.format(where=where)) from None
    encoded: str = _encode_string(text)
    return encoded


def _number(value: float, where: str) -> str:
    """Format a double as ECMAScript's Number.prototype.toString does."""
    if math.isinf(value):
        raise CanonicalJSONError(OUT_OF_RANGE.format(value=value, where=where))
    if math.isnan(value):
        raise CanonicalJSONError(NOT_FINITE.format(value=value, where=where))
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # position of the decimal point relative to the start of ``digits``
    point = len(whole) + (int(exp_text) if exp_text else 0)
    point -= len(whole + fraction) - len((whole + fraction).lstrip("0"))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * (-point) + digits
    else:
        exponent = point - 1
        exp_sign = "+" if exponent >= 0 else "-"
        head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{head}e{exp_sign}{abs(exponent)}"
    return sign + text


class Canonical:
    """A JSON object with its canonical text, computed once (:meth:`of`).

    Hand one to :meth:`AuditStore.append_events` (or ``append_many``) to skip computing the
    text again when the caller needed it already, for a size check for example.
    """

    __slots__ = ("floats", "text", "value")

    floats: bool
    """Whether the value may hold a float (``False`` when it was read from text without any)."""

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.value = value
        self.text = canonical_json(value)
        self.floats = True

    @classmethod
    def of(cls, value: Mapping[str, Any]) -> Canonical:
        """Canonicalise ``value``; raises :class:`CanonicalJSONError` like canonical_json."""
        return cls(value)

    @classmethod
    def from_text(cls, text: str) -> Canonical:
        """Read a JSON object from text and canonicalise it, sparing the usual checks.

        Decoded JSON has string keys, lists and finite numbers only, so unless it holds a float
        or a character beyond the BMP, its sorted compact text (:func:`sorted_json`) is
        canonical as is. Text with floats goes through :func:`canonical_json`.

        Raises
        ------
        json.JSONDecodeError
            For malformed text (with its position).
        ValueError
            For NaN or Infinity.
        CanonicalJSONError
            If the value cannot be canonical (a lone surrogate).
        """
        try:
            value = _INTEGRAL_DECODER.decode(text)
        except _Float:
            return cls(json.loads(text, parse_constant=_no_constant))
        if isinstance(value, dict):
            encoded = sorted_json(value, floats=False)
            if _bmp_only(encoded):
                return cls._made(value, encoded, floats=False)
        made = cls(value)
        made.floats = False
        return made

    def with_value(self, value: Mapping[str, Any]) -> Canonical:
        """The same text with another object equal to this one as JSON (a wrapper of it)."""
        return self._made(value, self.text, floats=self.floats)

    @classmethod
    def _made(cls, value: Mapping[str, Any], text: str, *, floats: bool) -> Canonical:
        made = cls.__new__(cls)
        made.value = value
        made.text = text
        made.floats = floats
        return made
