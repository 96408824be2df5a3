"""Random draws under data parallelism.

Every replica runs the same train step with the same seed-generator state; a
draw that must differ per replica (latent noise, penalty interpolation
coefficients) is made for the global batch and sliced by replica id. Each
replica then gets different numbers, and a step on R replicas draws exactly
what a single device draws for the global batch.
"""

from keras import ops

from keras_gan import backend


def per_replica_draw(draw, shape):
    """`draw(shape)` for this replica's part of a global batch.

    Args:
        draw: `shape -> tensor`, e.g. a `keras.random` call with the GAN's
            seed generator.
        shape: this replica's shape; its first axis is the local batch.
    """
    replica, count = backend.replicas()
    if count == 1:
        return draw(shape)
    local = shape[0]
    drawn = draw((local * count,) + tuple(shape[1:]))
    start = (replica * local,) + (0,) * (len(shape) - 1)
    return ops.slice(drawn, start, tuple(shape))
