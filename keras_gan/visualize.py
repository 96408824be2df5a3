"""Pictures of samples and training curves (PNG files, no display needed)."""

import contextlib
import os

import numpy as np

from keras_gan import _checks, _files


def drawable(shape):
    """Whether `save_samples` can draw samples of `shape`: 2-D points
    `(n, 2)` or images `(n, height, width[, 1 or 3])`, n > 0."""
    shape = tuple(shape)
    if not shape or shape[0] == 0:
        return False
    return (
        (len(shape) == 2 and shape[1] == 2)
        or len(shape) == 3
        or (len(shape) == 4 and shape[-1] in (1, 3))
    )


def image_grid(images, columns=None, padding=1, value_range=(-1.0, 1.0)):
    """Tiles images into one uint8 picture.

    Args:
        images: `(n, height, width)` or `(n, height, width, channels)` with 1
            or 3 channels, values in `value_range`.
        columns: tiles per row; default the smallest square that fits.
        padding: pixels of background between tiles.
        value_range: the data's range, mapped to 0..255.

    Returns:
        A `uint8` array `(H, W)` for grey images or `(H, W, 3)` for colour.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim not in (3, 4) or not drawable(images.shape):  # images, not points
        raise ValueError(
            "Expected one or more images of shape (n, height, width[, 1 or 3]). "
            f"Received: shape={images.shape}"
        )
    if images.ndim == 3:
        images = images[..., None]
    low, high = _checks.value_range(value_range)
    padding = _checks.integer(padding, "padding", minimum=0)
    images = np.clip((images - low) / (high - low), 0.0, 1.0)
    n, h, w, c = images.shape
    columns = int(np.ceil(np.sqrt(n))) if columns is None else _checks.integer(columns, "columns")
    rows = int(np.ceil(n / columns))
    canvas = np.ones(
        (rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.float32
    )
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        canvas[top : top + h, left : left + w] = image
    canvas = (canvas * 255).round().astype(np.uint8)
    return canvas[..., 0] if c == 1 else canvas


def save_image_grid(path, images, columns=None, scale=4, value_range=(-1.0, 1.0)):
    """Writes `image_grid(images)` to a PNG, each pixel enlarged `scale` times."""
    Image = _checks.require("PIL.Image")

    scale = _checks.integer(scale, "scale")
    grid = image_grid(images, columns=columns, value_range=value_range)
    picture = Image.fromarray(grid)
    if scale > 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )
    with _written(path) as target:
        picture.save(target, format="PNG")
    return path


def save_points(path, samples, real=None, title=None, limits=None):
    """Scatter plot of generated 2-D points over the real ones."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=4, c="tab:blue", alpha=0.3, label="real")
    ax.scatter(samples[:, 0], samples[:, 1], s=4, c="tab:red", alpha=0.5, label="generated")
    if limits is not None:
        ax.set_xlim(*limits)
        ax.set_ylim(*limits)
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return save_figure(path, fig, bbox_inches="tight")


def save_samples(path, samples, title=None, scale=4, value_range=(-1.0, 1.0), columns=None):
    """Writes generated samples as a PNG: 2-D points as a scatter plot,
    anything else as a tiled image grid (`columns` wide, square by default)."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        return save_points(path, samples, title=title)
    return save_image_grid(path, samples, columns=columns, scale=scale, value_range=value_range)


def save_history(path, histories, keys=("d_loss", "g_loss", "d_accuracy")):
    """Plots training curves, one panel per run.

    Args:
        path: the PNG to write.
        histories: `{title: history_dict}` (`keras.callbacks.History.history`).
        keys: the logs to draw when present.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(histories), figsize=(5 * len(histories), 3.5), squeeze=False)
    for ax, (title, history) in zip(axes[0], histories.items(), strict=True):
        for key in keys:
            if key in history:
                ax.plot(np.arange(1, len(history[key]) + 1), history[key], label=key)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return save_figure(path, fig)


def save_figure(path, figure, dpi=100, **kwargs):
    """Writes a matplotlib `figure` as a PNG (atomically to a file path) and
    closes it.

    Args:
        path: the PNG to write, or a binary file object.
        figure: the figure.
        dpi: its resolution.
        **kwargs: more options of `figure.savefig`.

    Returns:
        `path`.
    """
    with _written(path) as target:
        figure.savefig(target, dpi=dpi, format="png", **kwargs)
    _pyplot().close(figure)
    return path


def _pyplot():
    matplotlib = _checks.require("matplotlib")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def _written(path):
    """Where to write the picture `path`: a temporary file moved over it
    when written (`_files.atomic_path`); a file object as it is."""
    if not isinstance(path, (str, os.PathLike)):
        yield path
        return
    with _files.atomic_path(path) as temporary:
        yield temporary
