"""Shared fixtures: synthetic tones and tunes from a seeded generator (see ``tests.signals``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.signals import tone, tune


@pytest.fixture
def make_tune() -> Callable[..., np.ndarray]:
    return tune


@pytest.fixture
def make_tone() -> Callable[..., np.ndarray]:
    return tone
