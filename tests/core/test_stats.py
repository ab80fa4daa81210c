"""t quantiles against published values (R: qt(0.975, df); NIST/SEMATECH t table)."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.stats import incomplete_beta, mean_ci, median, t_cdf, t_quantile


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706204736174698),
        (0.975, 2, 4.302652729749464),
        (0.975, 3, 3.182446305284263),
        (0.975, 5, 2.570581835636314),
        (0.975, 10, 2.228138851986274),
        (0.975, 29, 2.045229642132703),
        (0.975, 30, 2.042272456301238),
        (0.975, 100, 1.983971518523552),
        (0.95, 4, 2.131846786326649),
        (0.995, 7, 3.499483297350470),
        (0.9, 1, 3.077683537175253),
    ],
)
def test_t_quantile_matches_published_values(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, rel=1e-11)


def test_t_quantile_tends_to_the_normal_quantile():
    z = statistics.NormalDist().inv_cdf(0.975)
    assert t_quantile(0.975, 1e7) == pytest.approx(z, rel=1e-6)


def test_t_quantile_is_symmetric_and_zero_at_the_median():
    assert t_quantile(0.5, 3) == 0.0
    assert t_quantile(0.025, 9) == pytest.approx(-t_quantile(0.975, 9), rel=1e-14)


def test_incomplete_beta_edges_and_a_known_value():
    assert incomplete_beta(2, 3, 0.0) == 0.0 and incomplete_beta(2, 3, 1.0) == 1.0
    # I_0.5(2, 3) = 11/16
    assert incomplete_beta(2, 3, 0.5) == pytest.approx(11 / 16, rel=1e-13)


@given(p=st.floats(0.001, 0.999), df=st.integers(1, 500))
def test_t_cdf_inverts_t_quantile(p, df):
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


@given(df=st.integers(1, 300))
def test_t_quantile_shrinks_with_more_degrees_of_freedom(df):
    assert t_quantile(0.975, df) > t_quantile(0.975, df + 1)


def test_mean_ci_by_hand():
    # values -2, -4, -3, -5: mean -3.5, sd sqrt(5/3), t(0.975, 3) = 3.182446305284263
    ci = mean_ci([-2, -4, -3, -5])
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2
    assert ci.mean == -3.5
    assert ci.low == pytest.approx(-3.5 - half, rel=1e-12)
    assert ci.high == pytest.approx(-3.5 + half, rel=1e-12)
    assert mean_ci([]) is None
    single = mean_ci([2])
    assert single.mean == 2 and single.low is None


def test_median():
    assert median([]) is None
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
