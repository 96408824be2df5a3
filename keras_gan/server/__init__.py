"""`keras-gan serve PATH`: an HTTP server for an exported generator.

Built on FastAPI (request validation that names the offending field) and
uvicorn. It reads the SavedModel written by `GAN.export_generator` with
`tf.saved_model.load` and never needs the training code.

Endpoints:

- `POST /v1/generate` `{"n": 4, "seed": 1, "labels": [..], "format": "json"}`:
  samples as JSON (`{"samples": [...], "shape": [...]}`), a PNG grid
  (`"png"`) or `.npy` bytes (`"npy"`); without `format`, the `Accept` header
  chooses (`image/png`, `application/x-npy`; JSON for none or `*/*`).
- `POST /v1/models/{name}:predict`: TensorFlow Serving's REST predict API,
  `{"instances": [z, ...]}` (or `[{"z": [...], "labels": k}, ...]` for a
  conditional generator) in, `{"predictions": [sample, ...]}` out, as
  `serving_default` computes them; or its columnar format, `{"inputs": [z,
  ...]}` (`{"inputs": {"z": [...], "labels": [...]}}`) in, `{"outputs": [...]}`
  out.
- `POST /v1/interpolate` `{"seed_a", "seed_b", "steps", "labels"}`: a PNG strip
  of samples along the straight line between two seeds' latent vectors.
- `GET /healthz`, and `GET /`: a page to browse the generator.

Every request body is a pydantic model that FastAPI checks once, and
`/openapi.json` documents every body and every answer. Bad input gets a 4xx,
`{"error": "<field>: <message>", "field": "<field>"}`, naming the field and
the value received. At most `max_n` samples are made per request, bodies are
at most `max_body` bytes (413 beyond it, before they are read in full) and at
most `max_concurrency` requests run the model at once, so a burst cannot
exhaust memory.
"""

from keras_gan.server.app import create_app, serve
from keras_gan.server.service import BadRequest, GeneratorService

__all__ = ["BadRequest", "GeneratorService", "create_app", "serve"]
