"""Drift statistics agree with scipy to 1e-9, and behave as distances and shares should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sp
from scipy.spatial.distance import jensenshannon

from governance.evaluators import drift_stats as d
from tests.evaluators.strategies import BOUNDED

TOL = 1e-9
samples = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=200,
)
categories = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=200)


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=1500), rng.normal(0.2, 1.3, size=900)


def test_ks_matches_scipy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    reference, current = pair
    statistic, p_value = d.ks_test(reference, current)
    expected = sp.ks_2samp(reference, current)
    assert statistic == pytest.approx(expected.statistic, abs=TOL)
    assert p_value == pytest.approx(expected.pvalue, abs=TOL)


def test_wasserstein_matches_scipy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    reference, current = pair
    expected = sp.wasserstein_distance(reference, current)
    assert d.wasserstein(reference, current) == pytest.approx(expected, abs=TOL)


def test_jensen_shannon_matches_scipy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    reference, current = pair
    edges = d.quantile_edges(reference)
    ref, cur = d.bin_counts(reference, edges), d.bin_counts(current, edges)
    expected = jensenshannon(ref, cur, base=2)
    assert d.js_distance(ref, cur) == pytest.approx(expected, abs=TOL)


def test_chi_square_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    reference = rng.choice(list("abc"), size=400, p=[0.5, 0.3, 0.2])
    current = rng.choice(list("abcd"), size=250, p=[0.4, 0.3, 0.2, 0.1])
    ref, cur = d.category_counts(reference, current)
    statistic, p_value, dof = d.chi_square(ref, cur)
    expected = sp.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert statistic == pytest.approx(expected.statistic, abs=TOL)
    assert p_value == pytest.approx(expected.pvalue, abs=TOL)
    assert dof == expected.dof == 3


def test_psi_by_hand() -> None:
    # shares 0.5/0.5 against 0.25/0.75: (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
    expected = -0.25 * np.log(0.5) + 0.25 * np.log(1.5)
    assert d.psi(np.array([50.0, 50.0]), np.array([25.0, 75.0])) == pytest.approx(expected)


def test_psi_empty_bin_uses_epsilon() -> None:
    value = d.psi(np.array([10.0, 0.0]), np.array([5.0, 5.0]), epsilon=1e-4)
    expected = (0.5 - 1.0) * np.log(0.5) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    assert value == pytest.approx(expected)


def test_quantile_bins_hold_equal_shares_of_the_reference() -> None:
    reference = np.arange(1000.0)
    counts = d.bin_counts(reference, d.quantile_edges(reference, 10))
    assert counts.tolist() == [100.0] * 10


def test_ties_merge_bins_and_outside_values_still_fall_in_one() -> None:
    reference = np.array([1.0] * 95 + [2.0] * 5)
    edges = d.quantile_edges(reference, 10)
    assert edges.tolist() == [1.0]
    assert d.bin_counts(np.array([-5.0, 1.0, 1.5, 99.0]), edges).tolist() == [2.0, 2.0]


def test_shares_of_missing_and_out_of_range() -> None:
    assert d.missing_share([1.0, None, float("nan"), 4.0]) == 0.5
    assert d.out_of_range_share(np.array([0.0, 10.0]), np.array([-1.0, 5.0, 10.0, 11.0])) == 0.5
    assert d.unseen_share(["a", "b"], ["a", "c", "c", "b"]) == 0.5


@BOUNDED
@given(samples, samples)
def test_ks_and_wasserstein_match_scipy_on_any_samples(ref: list[float], cur: list[float]) -> None:
    assert d.ks_statistic(ref, cur) == pytest.approx(sp.ks_2samp(ref, cur).statistic, abs=TOL)
    expected = sp.wasserstein_distance(ref, cur)
    assert d.wasserstein(ref, cur) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@BOUNDED
@given(samples)
def test_a_sample_has_no_drift_from_itself(values: list[float]) -> None:
    x = np.asarray(values)
    counts = d.bin_counts(x, d.quantile_edges(x))
    assert d.psi(counts, counts) == 0
    assert d.js_distance(counts, counts) == pytest.approx(0, abs=1e-7)
    assert d.ks_statistic(x, x) == 0
    assert d.wasserstein(x, x) == 0
    assert d.out_of_range_share(x, x) == 0


@BOUNDED
@given(categories, categories)
def test_categorical_statistics_are_bounded_and_symmetric(ref: list[str], cur: list[str]) -> None:
    a, b = d.category_counts(ref, cur)
    assert d.psi(a, b) >= 0
    assert d.psi(a, b) == pytest.approx(d.psi(b, a))
    distance = d.js_distance(a, b)
    assert 0 <= distance <= 1
    assert distance == pytest.approx(jensenshannon(a, b, base=2), abs=TOL)
    _, p_value, _ = d.chi_square(a, b)
    assert 0 <= p_value <= 1


@BOUNDED
@given(samples, st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_a_shift_moves_wasserstein_by_the_shift(values: list[float], shift: float) -> None:
    x = np.asarray(values)
    assert d.wasserstein(x, x + shift) == pytest.approx(abs(shift), rel=1e-6, abs=1e-6)
