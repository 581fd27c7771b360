"""Distance -> probability and verdict."""

import math

import numpy as np
import pytest

from model.verdict import Calibration, fit_calibration


def test_probability_falls_with_distance() -> None:
    cal = Calibration(threshold=0.8, slope=10.0, midpoint=0.8)
    ps = [cal.probability(d) for d in (0.0, 0.5, 0.8, 1.2, 2.0)]
    assert ps == sorted(ps, reverse=True)
    assert cal.probability(0.8) == pytest.approx(0.5)
    assert cal.probability(math.inf) == 0.0
    assert cal.is_cover(0.8) and not cal.is_cover(0.81) and not cal.is_cover(math.nan)


def test_fit_separates_two_clusters() -> None:
    rng = np.random.default_rng(0)
    covers = rng.normal(0.5, 0.1, 200)
    others = rng.normal(1.2, 0.1, 2000)
    cal = fit_calibration([*covers, *others, math.inf], [1] * 200 + [0] * 2001)
    assert 0.6 < cal.threshold < 1.1
    assert cal.probability(0.4) > 0.9 and cal.probability(1.4) < 0.1
    assert Calibration.from_dict(cal.to_dict()) == cal


def test_fit_needs_both_classes() -> None:
    with pytest.raises(ValueError):
        fit_calibration([0.1, 0.2], [1, 1])
