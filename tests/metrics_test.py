import numpy as np
import pytest

from keras_gan import data, metrics


def test_mixture_scores_by_hand():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    samples = np.array(
        [
            [0.01, 0.0],
            [0.0, 0.02],
            [0.0, -0.01],
            [10.0, 0.01],  # 3 on mode 0, 1 on mode 1
            [5.0, 5.0],
            [10.5, 10.0],
        ]  # two misses (> 3 std = 0.03 away)
    )
    scores = metrics.mixture_scores(samples, centers, std=0.01)
    assert scores["modes"] == 2 and scores["num_modes"] == 4
    assert scores["high_quality"] == pytest.approx(4 / 6)
    p = np.array([0.75, 0.25])
    assert scores["reverse_kl"] == pytest.approx(np.sum(p * np.log(p * 4)))


def test_mixture_scores_on_real_data_are_perfect():
    scores = metrics.mixture_scores(data.ring(2500, seed=0), data.ring_modes(), std=0.01)
    assert scores["modes"] == 8
    assert scores["high_quality"] > 0.98  # 3 std in 2-D holds 98.9%
    assert scores["reverse_kl"] < 0.01


def test_mixture_scores_nothing_close():
    scores = metrics.mixture_scores(np.full((5, 2), 3.0), data.ring_modes(), std=0.01)
    assert scores["modes"] == 0 and scores["reverse_kl"] == float("inf")
    with pytest.raises(ValueError, match="dimension"):
        metrics.mixture_scores(np.zeros((5, 3)), data.ring_modes(), std=0.01)
