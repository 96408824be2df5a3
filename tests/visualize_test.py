import numpy as np
import pytest
from PIL import Image

from keras_gan import visualize


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 2), -1.0), np.full((2, 2), 1.0), np.zeros((2, 2))])
    grid = visualize.image_grid(images, columns=2, padding=1)
    assert grid.shape == (2 * 3 + 1, 2 * 3 + 1) and grid.dtype == np.uint8
    assert (grid[1:3, 1:3] == 0).all() and (grid[1:3, 4:6] == 255).all()
    assert (grid[4:6, 1:3] == 128).all()
    with pytest.raises(ValueError, match="columns=0"):
        visualize.image_grid(images, columns=0)


def test_png_writers(tmp_path):
    path = visualize.save_image_grid(tmp_path / "g.png", np.zeros((4, 8, 8, 1)), scale=3)
    assert Image.open(path).size == ((2 * 9 + 1) * 3, (2 * 9 + 1) * 3)
    pts = np.random.default_rng(0).normal(size=(50, 2))
    assert Image.open(visualize.save_points(tmp_path / "p.png", pts, real=pts)).size[0] > 100
    history = {"d_loss": [1.0, 0.5], "g_loss": [0.7, 0.8]}
    assert Image.open(visualize.save_history(tmp_path / "h.png", {"run": history})).size[0] > 100


def test_drawable_shapes():
    for shape in [(5, 2), (5, 8, 8), (5, 8, 8, 1), (5, 28, 28, 3)]:
        assert visualize.drawable(shape), shape
    for shape in [(), (5,), (5, 3), (0, 2), (5, 8, 8, 4), (5, 2, 8, 8, 1)]:
        assert not visualize.drawable(shape), shape
