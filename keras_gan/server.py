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

Bad input gets a 4xx whose message names the field; at most `max_n` samples
are made per request and at most `max_concurrency` requests run the model at
once, so a burst cannot exhaust memory.
"""

import io
import json
import os
import threading
from typing import Literal

import numpy as np

from keras_gan import serving, visualize


class BadRequest(ValueError):
    """Invalid input; `field` names the part of the request at fault."""

    def __init__(self, field, message, status=422):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


class GeneratorService:
    """A loaded SavedModel generator with validated, bounded entry points.

    Args:
        path: a SavedModel folder written by `GAN.export_generator`.
        max_n: most samples per request.
        max_concurrency: most model calls running at once.
    """

    def __init__(self, path, max_n=256, max_concurrency=4):
        import tensorflow as tf

        self.tf = tf
        self.path = str(path)
        if not os.path.isfile(os.path.join(self.path, "saved_model.pb")):
            raise ValueError(
                "Not a SavedModel folder (no saved_model.pb); export one with "
                f"gan.export_generator(path). Received: path={self.path!r}"
            )
        self.model = tf.saved_model.load(self.path)
        self.serve = self.model.signatures["serving_default"]
        self.sample = self.model.signatures.get("sample")
        inputs = self.serve.structured_input_signature[1]
        self.latent_dim = int(inputs["z"].shape[-1])
        self.conditional = "labels" in inputs
        metadata_path = os.path.join(self.path, serving.METADATA_FILE)
        metadata = {}
        if os.path.isfile(metadata_path):
            with open(metadata_path) as f:
                metadata = json.load(f)
        self.num_classes = metadata.get("num_classes")
        self.latent_distribution = metadata.get("latent_distribution", "normal")
        self.max_n = int(max_n)
        self._slots = threading.BoundedSemaphore(int(max_concurrency))

    # ----------------------------------------------------------- validation

    def check_n(self, n, field="n"):
        if isinstance(n, bool) or not isinstance(n, int):
            raise BadRequest(field, f"must be an integer. Received: {field}={n!r}")
        if n < 1:
            raise BadRequest(field, f"must be >= 1. Received: {field}={n}")
        if n > self.max_n:
            raise BadRequest(
                field, f"must be <= {self.max_n} (the server's --max-n). Received: {field}={n}"
            )
        return n

    def check_labels(self, labels, n, field="labels"):
        if not self.conditional:
            if labels is not None:
                raise BadRequest(field, "this generator is not conditional; omit labels")
            return None
        if labels is None:
            if self.num_classes is None:
                raise BadRequest(field, "required by this conditional generator")
            return np.arange(n, dtype="int32") % self.num_classes
        values = [labels] * n if isinstance(labels, int) else labels
        if not isinstance(values, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in values
        ):
            raise BadRequest(
                field, f"must be an integer or a list of integers. Received: {field}={labels!r}"
            )
        if len(values) != n:
            raise BadRequest(
                field, f"must hold {n} labels, one per sample. Received: {len(values)}"
            )
        high = self.num_classes
        bad = sorted({v for v in values if v < 0 or (high is not None and v >= high)})
        if bad:
            known = f"0..{high - 1}" if high is not None else ">= 0"
            raise BadRequest(field, f"unknown labels {bad}; known labels are {known}")
        return np.asarray(values, dtype="int32")

    def check_seed(self, seed, field="seed"):
        if seed is None:
            return int(np.random.randint(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise BadRequest(field, f"must be an integer in [0, 2**63). Received: {field}={seed!r}")
        return seed

    # -------------------------------------------------------------- compute

    def _run(self, fn, **inputs):
        tf = self.tf
        with self._slots:
            out = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        return out["samples"].numpy()

    def latent(self, n, seed):
        """The latent vectors that `sample(n, seed)` draws."""
        tf = self.tf
        z = serving._latent(self.latent_distribution, tf.constant([n, self.latent_dim]), seed)
        return z.numpy()

    def generate(self, n, seed, labels):
        if self.sample is None:
            return self.predict(self.latent(n, seed), labels)
        inputs = {"n": np.int32(n), "seed": np.int64(seed)}
        if labels is not None:
            inputs["labels"] = labels
        return self._run(self.sample, **inputs)

    def predict(self, z, labels):
        inputs = {"z": np.asarray(z, dtype="float32")}
        if labels is not None:
            inputs["labels"] = labels
        return self._run(self.serve, **inputs)

    def parse_predict(self, body):
        """A TensorFlow Serving predict body -> `(z, labels, request key)`.

        The row format, `{"instances": [z, ...]}` (each instance
        `{"z": [...], "labels": k}` for a conditional generator), is answered
        under "predictions"; the columnar format, `{"inputs": [z, ...]}` or
        `{"inputs": {"z": [...], "labels": [...]}}`, under "outputs", as TF
        Serving answers them (`_PREDICT_ANSWERS`).
        """
        if not isinstance(body, dict) or not ({"instances", "inputs"} & set(body)):
            keys = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise BadRequest(
                "instances",
                "is required: a JSON object with an 'instances' list (row format) or "
                f"'inputs' (columnar format). Received: {keys}",
                400,
            )
        extra = sorted(set(body) - {"instances", "inputs", "signature_name"})
        if "instances" in body and "inputs" in body or extra:
            raise BadRequest(
                "body",
                "must hold one of 'instances' or 'inputs' (and optionally "
                f"'signature_name'). Received keys: {sorted(body)}",
                400,
            )
        signature = body.get("signature_name", "serving_default")
        if signature != "serving_default":
            raise BadRequest(
                "signature_name",
                f"this server answers 'serving_default' only. Received: {signature!r}",
                400,
            )
        if "instances" in body:
            return (*self._parse_instances(body["instances"]), "instances")
        return (*self._parse_inputs(body["inputs"]), "inputs")

    def _parse_instances(self, instances):
        """The row format's instances -> `(z, labels)`."""
        if not isinstance(instances, list) or not instances:
            raise BadRequest("instances", "must be a non-empty list", 400)
        self.check_n(len(instances), field="instances (count)")
        rows, labels = [], []
        for i, row in enumerate(instances):
            if self.conditional:
                if not isinstance(row, dict) or set(row) != {"z", "labels"}:
                    raise BadRequest(
                        f"instances[{i}]", 'must be an object {"z": [...], "labels": k}', 400
                    )
                labels.append(row["labels"])
                row = row["z"]
            elif isinstance(row, dict):
                if set(row) != {"z"}:
                    raise BadRequest(f"instances[{i}]", 'must be a list or {"z": [...]}', 400)
                row = row["z"]
            rows.append(row)
        z = self._latent_rows(rows, "instances[{}]")
        labels = self.check_labels(labels, len(z), field="instances[].labels") if labels else None
        return z, labels

    def _parse_inputs(self, inputs):
        """The columnar format's inputs -> `(z, labels)`."""
        names = ["z", "labels"] if self.conditional else ["z"]
        if isinstance(inputs, dict):
            if set(inputs) != set(names):
                raise BadRequest(
                    "inputs",
                    f"must name this generator's inputs {names}. Received: {sorted(inputs)}",
                    400,
                )
            rows, labels, field = inputs["z"], inputs.get("labels"), "inputs.z"
        elif self.conditional:
            raise BadRequest(
                "inputs", 'must be an object {"z": [[...], ...], "labels": [...]}', 400
            )
        else:
            rows, labels, field = inputs, None, "inputs"
        if not isinstance(rows, list) or not rows:
            raise BadRequest(field, "must be a non-empty list of latent vectors", 400)
        self.check_n(len(rows), field=f"{field} (count)")
        z = self._latent_rows(rows, field + "[{}]")
        if self.conditional:
            labels = self.check_labels(labels, len(z), field="inputs.labels")
        return z, labels

    def _latent_rows(self, rows, field):
        """Each row checked to be `latent_dim` finite float32 numbers;
        `field.format(i)` names the row at fault. Returns the float32 batch."""
        for i, row in enumerate(rows):
            if (
                not isinstance(row, list)
                or len(row) != self.latent_dim
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in row)
            ):
                shown = row if not isinstance(row, list) or len(row) <= 8 else f"{len(row)} values"
                raise BadRequest(
                    field.format(i),
                    f"must be {self.latent_dim} numbers (the latent z). Received: {shown!r}",
                    400,
                )
        # Python's JSON reads NaN and Infinity, and 1e39 overflows float32:
        # the check below names the row, so the cast need not warn.
        with np.errstate(over="ignore"):
            z = np.asarray(rows, dtype="float32")
        bad = np.flatnonzero(~np.isfinite(z).all(axis=1))
        if bad.size:
            i = int(bad[0])
            raise BadRequest(
                field.format(i),
                f"must be finite float32 numbers (|v| < 3.4e38). Received: {rows[i]!r}",
                400,
            )
        return z


# TF Serving's answer key for each request format of the predict API.
_PREDICT_ANSWERS = {"instances": "predictions", "inputs": "outputs"}

# What `/v1/generate` answers for each media type a client may accept, when
# the body names no `format`.
_MEDIA_FORMATS = {
    "application/json": "json",
    "image/png": "png",
    "application/x-npy": "npy",
    "application/octet-stream": "npy",
}
_MEDIA_WILDCARDS = {"*/*": "json", "application/*": "json", "image/*": "png"}


def _accepted_format(accept):
    """The `format` an `Accept` header asks for: the supported media type of
    highest quality (the earliest on a tie); JSON for none, `*/*` or
    `application/*`; `image/*` is PNG. None when it accepts none of them."""
    if not accept or not accept.strip():
        return "json"
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        found = _MEDIA_FORMATS.get(media) or _MEDIA_WILDCARDS.get(media)
        if found and q > best_q:
            best, best_q = found, q
    return best


class _Invalid(Exception):
    """A request body that failed its schema (carries pydantic's error)."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _png(samples, columns=None):
    buffer = io.BytesIO()
    visualize.save_samples(buffer, samples, columns=columns)
    return buffer.getvalue()


def create_app(path, model_name="generator", max_n=256, max_concurrency=4):
    """The FastAPI application serving the SavedModel at `path`."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError
    from starlette.concurrency import run_in_threadpool

    service = GeneratorService(path, max_n=max_n, max_concurrency=max_concurrency)
    app = FastAPI(title="keras-gan generator", version="1")
    app.state.service = service

    class GenerateRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n: StrictInt
        seed: StrictInt | None = None
        labels: StrictInt | list[StrictInt] | None = None
        format: Literal["json", "png", "npy"] = "json"

    class InterpolateRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        seed_a: StrictInt
        seed_b: StrictInt
        steps: StrictInt = 8
        labels: StrictInt | None = None

    def error(status, field, message):
        return JSONResponse(
            status_code=status, content={"error": f"{field}: {message}", "field": field}
        )

    @app.exception_handler(BadRequest)
    async def bad_request(_, exc):
        return error(exc.status, exc.field, exc.message)

    def invalid(exc):
        first = exc.errors()[0]
        loc = [str(part) for part in first.get("loc", []) if part != "body"]
        field = ".".join(loc) or "body"
        received = first.get("input")
        message = first.get("msg", "invalid")
        if first.get("type") == "json_invalid":
            return error(400, "body", f"is not valid JSON ({message})")
        if first.get("type") == "missing":
            return error(422, field, f"is required. Received: {received!r}")
        return error(422, field, f"{message}. Received: {field}={received!r}")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_, exc):
        return invalid(exc)

    async def parse(request, schema):
        """The body as JSON whatever its Content-Type (`curl -d` sends
        form-encoded), validated by `schema`; errors name the field."""
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest("body", f"is not valid JSON ({exc})", status=400) from None
        try:
            return schema.model_validate(body)
        except ValidationError as exc:
            raise _Invalid(exc) from None

    @app.exception_handler(_Invalid)
    async def invalid_body(_, exc):
        return invalid(exc.error)

    @app.get("/healthz")
    def healthz():
        return {
            "status": "ok",
            "model": model_name,
            "conditional": service.conditional,
            "num_classes": service.num_classes,
            "latent_dim": service.latent_dim,
        }

    @app.post("/v1/generate")
    async def generate(http: Request):
        request = await parse(http, GenerateRequest)
        form = request.format
        if "format" not in request.model_fields_set:  # the Accept header decides
            accept = http.headers.get("accept", "")
            form = _accepted_format(accept)
            if form is None:
                supported = ", ".join(_MEDIA_FORMATS)
                raise BadRequest(
                    "Accept",
                    f"names no media type this endpoint answers ({supported}, or name "
                    f'"format" in the body). Received: Accept={accept!r}',
                    status=406,
                )
        return await run_in_threadpool(generate_sync, request, form)

    def generate_sync(request, form):
        n = service.check_n(request.n)
        seed = service.check_seed(request.seed)
        labels = service.check_labels(request.labels, n)
        samples = service.generate(n, seed, labels)
        if form == "png":
            return Response(_png(samples), media_type="image/png")
        if form == "npy":
            buffer = io.BytesIO()
            np.save(buffer, samples)
            return Response(buffer.getvalue(), media_type="application/octet-stream")
        return {"samples": samples.tolist(), "shape": list(samples.shape), "seed": seed}

    @app.post("/v1/interpolate")
    async def interpolate(http: Request):
        request = await parse(http, InterpolateRequest)
        return await run_in_threadpool(interpolate_sync, request)

    def interpolate_sync(request):
        steps = service.check_n(request.steps, field="steps")
        if steps < 2:
            raise BadRequest("steps", f"must be >= 2. Received: steps={steps}")
        a = service.latent(1, service.check_seed(request.seed_a, "seed_a"))[0]
        b = service.latent(1, service.check_seed(request.seed_b, "seed_b"))[0]
        t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        labels = service.check_labels(request.labels, steps)
        samples = service.predict((1 - t) * a + t * b, labels)
        # One row: the strip reads left (seed_a) to right (seed_b).
        return Response(_png(samples, columns=steps), media_type="image/png")

    @app.post("/v1/models/{name}:predict")
    async def predict(name: str, request: Request):
        if name != model_name:
            return error(404, "model", f"unknown model {name!r}; this server has {model_name!r}")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return error(400, "body", f"is not valid JSON ({exc})")
        z, labels, key = service.parse_predict(body)
        samples = await run_in_threadpool(service.predict, z, labels)
        bad = np.flatnonzero(~np.isfinite(samples.reshape(len(samples), -1)).all(axis=1))
        if bad.size:  # JSON has no NaN: name the instance rather than fail
            return error(
                422,
                f"{key}[{int(bad[0])}]",
                "the generator's output for this latent vector is not finite (NaN or inf)",
            )
        return {_PREDICT_ANSWERS[key]: samples.tolist()}

    @app.get("/", response_class=HTMLResponse)
    def index():
        return _PAGE.replace("__CONDITIONAL__", "true" if service.conditional else "false").replace(
            "__CLASSES__", str(service.num_classes or 0)
        )

    return app


def serve(path, host="127.0.0.1", port=8000, model_name="generator", max_n=256, max_concurrency=4):
    """Runs the server until interrupted."""
    import uvicorn

    app = create_app(path, model_name=model_name, max_n=max_n, max_concurrency=max_concurrency)
    uvicorn.run(app, host=host, port=port, log_level="info")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keras-gan generator</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 60em; }
label { margin-right: 1em; }
img { image-rendering: pixelated; border: 1px solid #ccc; margin-top: 1em; }
#strip { display: block; }
</style></head>
<body>
<h1>keras-gan generator</h1>
<p>
<label>seed <input id="seed" type="number" value="0" min="0"></label>
<label>samples <input id="n" type="number" value="64" min="1"></label>
<label id="label-box" hidden>label <select id="label"><option value="">all</option></select></label>
<button id="go">Generate</button>
</p>
<img id="grid" alt="sample grid" width="384">
<h2>Interpolation</h2>
<p>
<label>from seed <input id="seed_a" type="number" value="0" min="0"></label>
<label>to seed <input id="seed_b" type="number" value="1" min="0"></label>
<button id="lerp">Interpolate</button>
</p>
<img id="strip" alt="interpolation strip" width="768">
<p id="status"></p>
<script>
const conditional = __CONDITIONAL__, classes = __CLASSES__;
if (conditional) {
  document.getElementById("label-box").hidden = false;
  const select = document.getElementById("label");
  for (let k = 0; k < classes; k++) {
    const option = document.createElement("option"); option.value = k; option.textContent = k;
    select.appendChild(option);
  }
}
async function png(url, body, img) {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify(body)});
  // An error stays until a request to the same endpoint succeeds: the
  // interpolation strip loading after a bad grid request does not clear it.
  const status = document.getElementById("status");
  if (!response.ok) {
    status.textContent = (await response.json()).error; status.dataset.url = url; return;
  }
  if (status.dataset.url === url) { status.textContent = ""; delete status.dataset.url; }
  img.src = URL.createObjectURL(await response.blob());
  img.dataset.seed = body.seed ?? body.seed_a;
}
function label() {
  const v = document.getElementById("label").value;
  return v === "" ? null : Number(v);
}
function grid() {
  const body = {n: Number(document.getElementById("n").value),
                seed: Number(document.getElementById("seed").value), format: "png"};
  if (conditional && label() !== null) body.labels = label();
  return png("/v1/generate", body, document.getElementById("grid"));
}
function strip() {
  const body = {seed_a: Number(document.getElementById("seed_a").value),
                seed_b: Number(document.getElementById("seed_b").value), steps: 8};
  if (conditional) body.labels = label() ?? 0;
  return png("/v1/interpolate", body, document.getElementById("strip"));
}
document.getElementById("go").onclick = grid;
document.getElementById("seed").onchange = grid;
document.getElementById("lerp").onclick = strip;
grid(); strip();
</script>
</body></html>
"""
