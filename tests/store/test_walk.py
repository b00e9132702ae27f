"""The canonical-JSON check of verify: a fast path that must agree with canonical_json."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.canonical import canonical_json
from governance.store.walk import is_canonical

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=5), JSON, max_size=5))
def test_canonical_text_is_recognised(value: dict) -> None:
    assert is_canonical(canonical_json(value))


@given(st.dictionaries(st.text(max_size=5), JSON, min_size=1, max_size=5))
def test_python_json_text_is_canonical_only_if_equal(value: dict) -> None:
    loose = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert is_canonical(loose) == (loose == canonical_json(value))


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1.0}',  # canonical: 1
        '{"a":1e-07}',  # canonical: 1e-7
        '{"a":1e+16}',  # canonical: 10000000000000000
        '{"a":-0}',
        '{"b":1,"a":2}',
        '{"a":1,"a":1}',
        '{"a": 1}',
        '{"\ufb01":2,"\U0001f600":1}',  # code-point order, not UTF-16 order
        '{"a":"\\u00e9"}',  # escaped where canonical JSON writes the character
        "[1]",
        '{"a":NaN}',
    ],
)
def test_non_canonical_forms_are_refused(text: str) -> None:
    assert not is_canonical(text)


def test_utf16_key_order_is_accepted() -> None:
    assert is_canonical('{"\U0001f600":1,"\ufb01":2}')  # surrogates sort before U+FB01


@given(st.dictionaries(st.text(max_size=5), JSON, max_size=5))
def test_canonical_from_text_equals_canonical_json(value: dict) -> None:
    from governance.canonical import Canonical

    for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=True)):
        made = Canonical.from_text(text)
        assert made.text == canonical_json(value)
        assert made.value == value
