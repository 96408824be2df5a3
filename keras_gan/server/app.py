"""The FastAPI application of `keras-gan serve` and the server's entry
point; the page it serves at `/` is `index.html`, beside this module.

FastAPI checks each request body once, with the pydantic models that
`service.request_models` builds for the loaded generator, so `/openapi.json`
documents every body and every error answer. Every error is
`{"error": "<field>: <message>", "field": "<field>"}`.
"""

import io
from importlib import resources

import numpy as np

from keras_gan import _checks, visualize
from keras_gan.server import service as service_lib
from keras_gan.server.service import PREDICT_ANSWERS, BadRequest, GeneratorService

MAX_BODY = 4 * 2**20  # 4 MiB: 256 latent vectors of 512 numbers take about 2.7 MB as JSON

# What `/v1/generate` answers for each media type a client may accept, when
# the body names no `format`.
_MEDIA_FORMATS = {
    "application/json": "json",
    "image/png": "png",
    "application/x-npy": "npy",
    "application/octet-stream": "npy",
}
_MEDIA_WILDCARDS = {"*/*": "json", "application/*": "json", "image/*": "png"}

# Why each error status is answered.
_ERRORS = {
    400: "The body is empty, is not JSON, or nests too deeply; for the predict API, "
    "any invalid field (as TensorFlow Serving answers).",
    404: "This server has no model of that name.",
    406: "The Accept header names no media type this endpoint answers.",
    413: "The body is larger than the server's --max-body.",
    422: "A field is invalid.",
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}

# The JSON parser's nesting limit: a deeper body gets a 400, not a
# RecursionError (a 500). The requests themselves nest at most 4 deep.
JSON_DEPTH = 200


def _page():
    return resources.files("keras_gan.server").joinpath("index.html").read_text("utf-8")


def _accepted_format(accept):
    """The `format` an `Accept` header asks for: the supported media type of
    highest quality (the earliest on a tie); JSON for none, `*/*` or
    `application/*`; `image/*` is PNG. A 406 naming `Accept` when it accepts
    none of them."""
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
    if best is None:
        raise BadRequest(
            "Accept",
            f"names no media type this endpoint answers ({', '.join(_MEDIA_FORMATS)}, or name "
            f'"format" in the body). Received: Accept={accept!r}',
            status=406,
        )
    return best


def _png(samples, columns=None):
    buffer = io.BytesIO()
    visualize.save_samples(buffer, samples, columns=columns)
    return buffer.getvalue()


def _parse_json(raw):
    """A request body as JSON, or a 400 naming `body`: empty, malformed, or
    nested deeper than `JSON_DEPTH` (where Python's `json` would raise a
    RecursionError). `NaN` and `Infinity` parse, as in Python's `json`; the
    request models refuse them where numbers must be finite.

    Raises:
        BadRequest: with status 400, naming `body`.
    """
    from pydantic_core import from_json

    received = f"Received: {len(raw)} bytes starting {raw[:40]!r}"
    if not raw.strip():
        raise BadRequest("body", f"is empty; send a JSON object. {received}", 400)
    try:
        return from_json(raw, allow_inf_nan=True)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            problem = f"nests arrays or objects more than {JSON_DEPTH} levels deep"
        else:
            problem = f"is not valid JSON ({exc})"
        raise BadRequest("body", f"{problem}. {received}", 400) from None


def _answer(error):
    """The JSON answer to a `BadRequest`."""
    from starlette.responses import JSONResponse

    content = {"error": f"{error.field}: {error.message}", "field": error.field}
    return JSONResponse(content, status_code=error.status)


class BodyLimit:
    """ASGI middleware: a request body over `max_body` bytes gets a 413
    naming `body` before it is read in full: at once when its Content-Length
    says so, else as soon as the bytes received pass the limit (a chunked
    body).

    Args:
        app: the ASGI application.
        max_body: most bytes of a request body.
    """

    def __init__(self, app, max_body):
        self.app, self.max_body = app, max_body

    def too_large(self, received):
        return BadRequest(
            "body", f"must be at most {self.max_body} bytes (--max-body). Received: {received}", 413
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body:
            answer = _answer(self.too_large(f"Content-Length: {int(length)}"))
            return await answer(scope, receive, send)
        received = 0

        async def receive_at_most():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:  # the route's exception handler answers
                raise self.too_large(f"more than {self.max_body} bytes")
            return message

        await self.app(scope, receive_at_most, send)


def _json_route(fields, invalid_status):
    """An `APIRoute` class reading bodies as JSON whatever their
    Content-Type (`curl -d` sends form-encoded) with `_parse_json`,
    and answering an invalid body with `invalid_status` and the field at
    fault (one of `fields`)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.routing import APIRoute
    from starlette.requests import Request

    class JSONRequest(Request):
        async def json(self):
            if not hasattr(self, "_parsed"):
                self._parsed = _parse_json(await self.body())
            return self._parsed

    class JSONRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()
            if self.body_field is None:
                return handler

            async def route(request):
                # FastAPI reads a body as JSON under a JSON Content-Type only.
                headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
                headers.append((b"content-type", b"application/json"))
                request = JSONRequest({**request.scope, "headers": headers}, request.receive)
                await request.json()
                try:
                    return await handler(request)
                except RequestValidationError as exc:
                    raise service_lib.invalid(exc.errors()[0], fields, invalid_status) from None

            return route

    return JSONRoute


def _responses(error_model, statuses, ok=None):
    """The OpenAPI answers of an endpoint: `ok` for 200, then `statuses`.
    `error_model` None: the error schema by reference (FastAPI files a
    model's schema under the media type of the endpoint's own answer)."""
    json_error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    answers = {
        status: {"description": _ERRORS[status]}
        | ({"model": error_model} if error_model else {"content": json_error})
        for status in statuses
    }
    return {200: ok, **answers} if ok else answers


def _integer_bounds(schema):
    """Writes the bounds of integer schemas as integers, in place: FastAPI's
    OpenAPI model holds them as floats, and a client comparing a seed with
    `9.223372036854776e+18` draws seeds the server refuses. Every bound the
    server states is exact in float64 (2**63 is a power of two)."""
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(schema.get(key), float):
                    schema[key] = int(schema[key])
        for value in schema.values():
            _integer_bounds(value)
    elif isinstance(schema, list):
        for value in schema:
            _integer_bounds(value)


def _first_non_finite(samples):
    """The index of the first sample holding NaN or inf, or None."""
    bad = np.flatnonzero(~np.isfinite(samples.reshape(len(samples), -1)).all(axis=1))
    return int(bad[0]) if bad.size else None


def _finite(samples, field, received):
    """A 422 naming `field` when the generator drew a non-finite sample
    (JSON has no NaN, and a picture of one says nothing)."""
    first = _first_non_finite(samples)
    if first is not None:
        raise BadRequest(
            field,
            f"the generator's output is not finite (NaN or inf) for sample {first} of "
            f"{len(samples)}. Received: {received}",
        )


def create_app(path, model_name="generator", max_n=256, max_concurrency=4, max_body=MAX_BODY):
    """The FastAPI application serving the SavedModel at `path`.

    Args:
        path: a SavedModel folder written by `GAN.export_generator`.
        model_name: the name of the predict API's model
            (`/v1/models/<model_name>:predict`).
        max_n: most samples per request.
        max_concurrency: most model calls running at once.
        max_body: most bytes of a request body (413 beyond it).

    Returns:
        A `fastapi.FastAPI` application; its `state.service` is the
        `GeneratorService`.
    """
    from typing import Annotated

    from fastapi import APIRouter, FastAPI, Path, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from pydantic import BaseModel
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    max_body = _checks.integer(max_body, "max_body")
    service = GeneratorService(path, max_n=max_n, max_concurrency=max_concurrency)
    models = service_lib.request_models(service)
    GenerateRequest = models["generate"]
    InterpolateRequest = models["interpolate"]
    PredictRequest = models["predict"]
    app = FastAPI(
        title="keras-gan generator",
        version="1",
        description=(
            "Samples of one exported generator. Every error answer is an `Error` "
            "(`error`, `field`), those of each operation listed with it; besides them, "
            "any path this server does not have answers 404 (field `path`), and a "
            "method a path does not take answers 405 (field `method`, with an `Allow` "
            "header)."
        ),
    )
    app.state.service = service
    app.add_middleware(BodyLimit, max_body=max_body)
    router = APIRouter(route_class=_json_route(models["fields"], 422))
    # TensorFlow Serving answers any invalid predict request with a 400.
    tf_serving = APIRouter(route_class=_json_route(models["fields"], 400))

    class Error(BaseModel):
        """Every error answer: `error` is `"<field>: <message>"`."""

        error: str
        field: str

    class Health(BaseModel):
        status: str
        model: str
        conditional: bool
        num_classes: int | None
        latent_dim: int

    class Samples(BaseModel):
        samples: list
        shape: list[int]
        seed: int

    class Predictions(BaseModel, extra="forbid"):
        predictions: list

    class Outputs(BaseModel, extra="forbid"):
        outputs: list

    @app.exception_handler(BadRequest)
    async def bad_request(_, exc):
        return _answer(exc)

    @app.exception_handler(HTTPException)
    async def http_error(http, exc):  # unknown paths (404) and methods (405)
        field, value = {404: ("path", http.url.path), 405: ("method", http.method)}.get(
            exc.status_code, ("request", f"{http.method} {http.url.path}")
        )
        message = f"{str(exc.detail).lower()}. Received: {field}={value!r}"
        answer = _answer(BadRequest(field, message, exc.status_code))
        answer.headers.update(exc.headers or {})  # the Allow header of a 405
        return answer

    @app.get("/healthz", response_model=Health, responses=_responses(Error, (413,)))
    def healthz():
        """The server is up; which generator it serves."""
        return {
            "status": "ok",
            "model": model_name,
            "conditional": service.conditional,
            "num_classes": service.num_classes,
            "latent_dim": service.latent_dim,
        }

    @router.post(
        "/v1/generate",
        responses=_responses(
            Error,
            (400, 406, 413, 422),
            ok={
                "model": Samples,
                "description": "The samples, as JSON, a PNG grid or `.npy` bytes.",
                "content": {"image/png": _BINARY, "application/octet-stream": _BINARY},
            },
        ),
    )
    async def generate(request: GenerateRequest, http: Request):
        """`n` samples of the generator, the same for the same seed."""
        form = request.format
        if "format" not in request.model_fields_set:  # the Accept header decides
            form = _accepted_format(http.headers.get("accept", ""))
        seed = request.seed if request.seed is not None else service.random_seed()
        samples = await run_in_threadpool(service.generate, request.n, seed, request._labels)
        _finite(samples, "seed", f"seed={seed}, n={request.n}")
        if form == "png":
            return Response(await run_in_threadpool(_png, samples), media_type="image/png")
        if form == "npy":
            buffer = io.BytesIO()
            np.save(buffer, samples)
            return Response(buffer.getvalue(), media_type="application/octet-stream")
        return JSONResponse(
            {"samples": samples.tolist(), "shape": list(samples.shape), "seed": seed}
        )

    @router.post(
        "/v1/interpolate",
        response_class=Response,
        responses=_responses(
            Error,
            (400, 413, 422),
            ok={"description": "A PNG strip, seed_a to seed_b.", "content": {"image/png": _BINARY}},
        ),
    )
    async def interpolate(request: InterpolateRequest):
        """A PNG strip of samples along the line between two seeds' latent vectors."""
        samples = await run_in_threadpool(
            service.interpolate, request.seed_a, request.seed_b, request.steps, request._labels
        )
        _finite(samples, "seed_a", f"seed_a={request.seed_a}, seed_b={request.seed_b}")
        # One row: the strip reads left (seed_a) to right (seed_b).
        png = await run_in_threadpool(_png, samples, request.steps)
        return Response(png, media_type="image/png")

    @tf_serving.post(
        "/v1/models/{name}:predict",
        responses=_responses(
            Error,
            (400, 404, 413, 422),
            ok={
                "description": "`predictions` for `instances`, `outputs` for `inputs`.",
                "model": Predictions | Outputs,
            },
        ),
    )
    async def predict(
        request: PredictRequest,
        name: Annotated[str, Path(json_schema_extra={"enum": [model_name]})],
    ):
        """TensorFlow Serving's REST predict API, as `serving_default` computes it."""
        if name != model_name:
            raise BadRequest(
                "model", f"this server has one model, {model_name!r}. Received: model={name!r}", 404
            )
        samples = await run_in_threadpool(service.predict, request._z, request._labels)
        first = _first_non_finite(samples)
        if first is not None:  # JSON has no NaN: name the sample rather than fail
            raise BadRequest(
                f"{request.key}[{first}]",
                "the generator's output for this latent vector is not finite (NaN or inf). "
                f"Received: z={service_lib.show(request._z[first].tolist())}",
            )
        return JSONResponse({PREDICT_ANSWERS[request.key]: samples.tolist()})

    app.include_router(router)
    app.include_router(tf_serving)

    @app.get("/", response_class=HTMLResponse, responses=_responses(None, (413,)))
    def index():
        """A page to browse the generator's samples."""
        return (
            _page()
            .replace("__CONDITIONAL__", "true" if service.conditional else "false")
            .replace("__CLASSES__", str(service.num_classes or 0))
        )

    def openapi():
        if app.openapi_schema is None:
            _integer_bounds(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi

    return app


def serve(path, host="127.0.0.1", port=8000, **options):
    """Runs the server on `host:port` until interrupted; `options` are
    `create_app`'s (`model_name`, `max_n`, `max_concurrency`, `max_body`)."""
    uvicorn = _checks.require("uvicorn")

    uvicorn.run(create_app(path, **options), host=host, port=port, log_level="info")
