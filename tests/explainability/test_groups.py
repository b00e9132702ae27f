"""Per-group importance groups the explained rows as pandas would, from a shared factorization."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from governance.evaluators.association import factorize
from governance.evaluators.explainability import _groups


def _columns(rows: int, rng: np.random.Generator) -> dict[str, pd.Series]:
    words = np.array(["wife", "husband", "child", "Ünmarried", "other"], dtype=object)
    return {
        "str with missing": pd.Series(rng.choice(np.append(words, None), size=rows), dtype="str"),
        "object with None and NaN": pd.Series(
            rng.choice(np.array(["b", "a", None, np.nan, "c"], dtype=object), size=rows)
        ),
        "ints": pd.Series(rng.integers(-3, 40, size=rows)),
        "floats with NaN": pd.Series(rng.choice([2.5, -1.0, np.nan, 0.0, 7.25], size=rows)),
        "bool": pd.Series(rng.random(rows) < 0.3),
        "nullable ints": pd.Series(
            pd.array(np.where(rng.random(rows) < 0.2, None, rng.integers(0, 4, rows)), "Int64")
        ),
        "category, declared order": pd.Series(
            pd.Categorical(
                rng.choice(["low", "high", "mid"], size=rows),
                categories=["low", "mid", "high", "x"],
            )
        ),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_groups_of_a_row_sample_equal_pandas_factorize_of_the_sample(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for name, column in _columns(2000, rng).items():
        for size in (1, 7, 300):  # small samples miss some groups, which must not appear
            positions = np.sort(rng.choice(len(column), size=size, replace=False))
            codes, groups = _groups(factorize(column), positions)
            expected_codes, expected = pd.factorize(
                column.iloc[positions], sort=True, use_na_sentinel=False
            )
            assert codes.tolist() == expected_codes.tolist(), name
            assert [str(g) for g in groups] == [str(g) for g in expected], name
