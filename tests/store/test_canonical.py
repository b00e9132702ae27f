"""Canonical JSON (RFC 8785 style), sha256 helpers and the entry hash encoding."""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import canonical
from governance.canonical import (
    Canonical,
    CanonicalJSONError,
    canonical_json,
    is_canonical,
    sha256_hex,
    sorted_json,
)
from governance.store.chain import GENESIS_HASH, entry_hash, format_time, parse_time

# Number serialisation examples from RFC 8785 appendix B (IEEE 754 bits -> text).
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_numbers_as_rfc8785(bits: str, expected: str) -> None:
    assert canonical_json(_double(bits)) == expected


def test_rfc8785_example_object() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": '€$\u000f\nA\'B"\\\\"/',
        "literals": [None, True, False],
    }
    assert canonical_json(value) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_keys_sort_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    value = {"\ufb33": 1, "\U0001f600": 2, "a": 3, "": 4}
    assert list(json.loads(canonical_json(value))) == ["", "a", "\U0001f600", "\ufb33"]


def test_layout() -> None:
    value = OrderedDict([("b", (1, 2)), ("a", {"y": None, "x": "é"})])
    assert canonical_json(value) == '{"a":{"x":"é","y":null},"b":[1,2]}'
    assert canonical_json(10**30) == "1" + "0" * 30
    assert canonical_json(-1.0) == "-1"
    assert canonical_json(True) == "true"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, r"NaN and Infinity have no JSON representation \(found nan at \$\)"),
        ({"a": [1, math.inf]}, r"found inf at \$\.a\[1\]"),
        ({"a": {1: 2}}, r"object keys must be strings \(found 1 at \$\.a\)"),
        ({"a": {1, 2}}, r"set is not a JSON type \(found at \$\.a\)"),
        ({"a": b"x"}, "bytes is not a JSON type"),
        ("\udc00", r"text is not valid Unicode \(lone surrogate at \$\)"),
    ],
)
def test_rejects(value: object, message: str) -> None:
    with pytest.raises(CanonicalJSONError, match=message):
        canonical_json(value)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_canonical_json_reads_back_and_is_stable(value: object) -> None:
    text = canonical_json(value)
    parsed = json.loads(text)
    assert canonical_json(parsed) == text
    # A JSON reader that takes numbers as doubles gets the same numbers back; -0 becomes 0.
    as_doubles = json.loads(text, parse_int=float)
    assert as_doubles == json.loads(json.dumps(value), parse_int=float) or _has_negative_zero(value)


def _has_negative_zero(value: object) -> bool:
    if isinstance(value, float):
        return value == 0 and math.copysign(1, value) < 0
    if isinstance(value, list):
        return any(_has_negative_zero(v) for v in value)
    if isinstance(value, dict):
        return any(_has_negative_zero(v) for v in value.values())
    return False


def test_sha256_hex() -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"") == empty
    assert sha256_hex("") == empty
    assert sha256_hex("é") == sha256_hex("é".encode())


def test_entry_hash_encoding_is_stable() -> None:
    """The documented encoding (docs/audit-store.md); changing it breaks every stored chain."""
    fields = (1, "evaluation", "2026-11-27T14:00:00.123456Z", '{"a":1}', GENESIS_HASH)
    # printf 'governance.audit.v1\n1\nevaluation\n2026-11-27T14:00:00.123456Z\n<64 zeros>\n{"a":1}'
    # | sha256sum
    expected = "8d248646f9f995e1a3a4d0ef10936ea40f359df44b6102880519f78829b2a4a9"
    assert entry_hash(*fields) == expected


def test_times() -> None:
    moment = parse_time("2026-11-27T15:00:00.5+01:00")
    assert format_time(moment) == "2026-11-27T14:00:00.500000Z"
    with pytest.raises(ValueError, match="no timezone"):
        parse_time("2026-11-27T14:00:00")
    with pytest.raises(ValueError, match="out of range in UTC"):  # not an OverflowError
        parse_time("0001-01-01T00:00:00+14:00")


# -- the fast writers must write the canonical text exactly -----------------------------------

INTEGRAL_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # also beyond 64 bits, which orjson refuses to write
    | st.text(),  # control characters, non-ASCII, beyond the BMP, lone surrogates
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(INTEGRAL_JSON)
def test_sorted_json_without_floats_is_the_standard_librarys_text(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert sorted_json(value, floats=False) == expected
    assert sorted_json(value) == expected


@pytest.mark.parametrize("writer", ["orjson", "standard library"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Floats written in a form canonical JSON writes otherwise (this once stored 1500.0).
        ('{"a": 1500.00}', '{"a":1500}'),
        ('{"a": 1E2, "b": 2.50}', '{"a":100,"b":2.5}'),
        ('{"a": 0.0000001}', '{"a":1e-7}'),
        ('{"a": 12345678901234567890.5}', '{"a":12345678901234567000}'),
        ('{"a": -0.0}', '{"a":0}'),
        ('{"n": 123456789012345678901234567890}', '{"n":123456789012345678901234567890}'),
        ('{"b": "\\u00e9\\n", "a": [true, null]}', '{"a":[true,null],"b":"é\\n"}'),
        ('{"\\ufb33": 1, "\\ud83d\\ude00": 2}', '{"\U0001f600":2,"\ufb33":1}'),  # UTF-16 order
    ],
)
def test_canonical_from_text(
    text: str, expected: str, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if writer != "orjson":
        monkeypatch.setattr(canonical, "_orjson", None)
    made = Canonical.from_text(text)
    assert made.text == expected == canonical_json(json.loads(text))
    assert made.floats == ("." in text or "E" in text)
    assert is_canonical(made.text)


@given(st.dictionaries(st.text(max_size=5), JSON_VALUES | INTEGRAL_JSON, max_size=5))
def test_canonical_from_text_with_either_writer(value: dict[str, object]) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=True)):
        try:
            expected = canonical_json(value)
        except CanonicalJSONError:  # a lone surrogate
            with pytest.raises(CanonicalJSONError):
                Canonical.from_text(text)
            continue
        with_orjson = Canonical.from_text(text)
        saved = canonical._orjson
        canonical._orjson = None
        try:
            without = Canonical.from_text(text)
            plain_check = is_canonical(expected)
        finally:
            canonical._orjson = saved
        assert with_orjson.text == without.text == expected
        assert is_canonical(expected) and plain_check
