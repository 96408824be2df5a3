"""The HTTP server over real HTTP on 127.0.0.1."""

import concurrent.futures
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

import keras_gan
from keras_gan.server import create_app
from tests.conditional_test import CLASSES, conditional_models

pytestmark = pytest.mark.tensorflow_only("serves a SavedModel exported on the TensorFlow backend")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, path, **kwargs):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            create_app(path, **kwargs), host="127.0.0.1", port=self.port, log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline, "server did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def request(
        self, method, path, body=None, raw=None, content_type="application/json", headers=None
    ):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.headers.get("Content-Type"), response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Content-Type"), err.read()

    def close(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def image_gan():
    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(latent_dim=8, image_size=8, width=8),
        keras_gan.models.dcgan_discriminator(image_size=8, width=8),
        seed=0,
    )
    return gan


@pytest.fixture(scope="module")
def image_export(image_gan, tmp_path_factory):
    """`image_gan`'s generator, exported: a SavedModel folder."""
    return image_gan.export_generator(tmp_path_factory.mktemp("export") / "generator")


@pytest.fixture(scope="module")
def server(image_export):
    srv = Server(image_export, max_n=64)
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def conditional_gan():
    return keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)


@pytest.fixture(scope="module")
def conditional_export(conditional_gan, tmp_path_factory):
    """`conditional_gan`'s generator, exported: a SavedModel folder."""
    return conditional_gan.export_generator(tmp_path_factory.mktemp("cexport") / "generator")


@pytest.fixture(scope="module")
def conditional(conditional_gan, conditional_export):
    srv = Server(conditional_export, max_n=64)
    yield conditional_gan, srv
    srv.close()


def test_healthz(server):
    status, _, body = server.request("GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_generate_json_matches_gan_generate(server, image_gan):
    status, _, body = server.request("POST", "/v1/generate", {"n": 4, "seed": 1})
    assert status == 200
    out = json.loads(body)
    assert out["shape"] == [4, 8, 8, 1]
    np.testing.assert_allclose(out["samples"], image_gan.generate(4, seed=1), atol=1e-5)


def test_generate_png_and_npy(server, image_gan):
    status, kind, body = server.request(
        "POST", "/v1/generate", {"n": 9, "seed": 1, "format": "png"}
    )
    assert status == 200 and kind == "image/png"
    assert Image.open(io.BytesIO(body)).size == ((3 * 9 + 1) * 4,) * 2
    status, kind, body = server.request(
        "POST", "/v1/generate", {"n": 2, "seed": 3, "format": "npy"}
    )
    assert status == 200
    np.testing.assert_allclose(np.load(io.BytesIO(body)), image_gan.generate(2, seed=3), atol=1e-5)


def test_json_body_without_a_json_content_type(server, image_gan):
    """`curl -d '{...}'` sends application/x-www-form-urlencoded: still JSON here."""
    form = "application/x-www-form-urlencoded"
    status, _, body = server.request("POST", "/v1/generate", {"n": 2, "seed": 1}, content_type=form)
    assert status == 200
    samples = json.loads(body)["samples"]
    np.testing.assert_allclose(samples, image_gan.generate(2, seed=1), atol=1e-5)
    status, _, body = server.request("POST", "/v1/generate", {"n": 0}, content_type=form)
    assert status == 422 and json.loads(body)["field"] == "n"
    status, _, body = server.request(
        "POST", "/v1/interpolate", {"seed_a": 0, "seed_b": 1}, content_type=form
    )
    assert status == 200


def test_tf_serving_predict(server, image_gan):
    z = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    status, _, body = server.request(
        "POST", "/v1/models/generator:predict", {"instances": z.tolist()}
    )
    assert status == 200
    predictions = np.asarray(json.loads(body)["predictions"])
    np.testing.assert_allclose(predictions, image_gan.generator(z, training=False), atol=1e-5)


def test_tf_serving_columnar_format(server, image_gan):
    """TF Serving's columnar request ("inputs") is answered under "outputs"."""
    z = np.random.default_rng(1).normal(size=(2, 8)).astype("float32")
    expected = image_gan.generator(z, training=False)
    for inputs in (z.tolist(), {"z": z.tolist()}):
        status, _, body = server.request(
            "POST",
            "/v1/models/generator:predict",
            {"inputs": inputs, "signature_name": "serving_default"},
        )
        assert status == 200, body
        assert set(json.loads(body)) == {"outputs"}
        np.testing.assert_allclose(json.loads(body)["outputs"], expected, atol=1e-5)


def test_generate_accept_header_chooses_the_format(server, image_gan):
    """Without `format` in the body, the Accept header chooses; `format` wins."""
    body = {"n": 4, "seed": 1}
    for accept in ("image/png", "application/json;q=0.5, image/png", "image/*"):
        status, kind, payload = server.request(
            "POST", "/v1/generate", body, headers={"Accept": accept}
        )
        assert status == 200 and kind == "image/png", accept
        assert Image.open(io.BytesIO(payload)).size == ((2 * 9 + 1) * 4,) * 2  # 2x2 grid
    status, kind, payload = server.request(
        "POST", "/v1/generate", body, headers={"Accept": "application/x-npy"}
    )
    assert status == 200
    np.testing.assert_allclose(
        np.load(io.BytesIO(payload)), image_gan.generate(4, seed=1), atol=1e-5
    )
    for accept in ("*/*", "application/json", "image/png;q=0.2, application/json;q=0.9"):
        status, kind, payload = server.request(
            "POST", "/v1/generate", body, headers={"Accept": accept}
        )
        assert status == 200 and kind == "application/json", accept
        assert json.loads(payload)["shape"] == [4, 8, 8, 1]
    status, kind, payload = server.request(
        "POST", "/v1/generate", {**body, "format": "json"}, headers={"Accept": "image/png"}
    )
    assert kind == "application/json"
    status, _, payload = server.request(
        "POST", "/v1/generate", body, headers={"Accept": "image/gif"}
    )
    assert status == 406
    message = json.loads(payload)
    assert message["field"] == "Accept" and "image/gif" in message["error"]


def test_interpolation_and_page(server):
    status, kind, body = server.request(
        "POST", "/v1/interpolate", {"seed_a": 0, "seed_b": 1, "steps": 5}
    )
    assert status == 200 and kind == "image/png"
    # One row of 5 tiles of 8x8 with 1-pixel gaps, scaled x4.
    assert Image.open(io.BytesIO(body)).size == ((5 * 9 + 1) * 4, 10 * 4)
    status, kind, body = server.request("GET", "/")
    assert status == 200 and b"keras-gan generator" in body


@pytest.mark.parametrize(
    "path, body, raw, status, field",
    [
        ("/v1/generate", None, b"{not json", 400, "body"),
        ("/v1/generate", {"n": "four"}, None, 422, "n"),
        ("/v1/generate", {"n": 0}, None, 422, "n"),
        ("/v1/generate", {"n": 65}, None, 422, "n"),
        ("/v1/generate", {"n": 2, "seed": -1}, None, 422, "seed"),
        ("/v1/generate", {"n": 2, "format": "gif"}, None, 422, "format"),
        ("/v1/generate", {"n": 2, "labels": [1, 2]}, None, 422, "labels"),
        ("/v1/generate", {"n": 2, "bogus": 1}, None, 422, "bogus"),
        ("/v1/generate", {"seed": 1}, None, 422, "n"),
        ("/v1/generate", [1, 2], None, 422, "body"),
        ("/v1/interpolate", {"seed_a": "x", "seed_b": 1}, None, 422, "seed_a"),
        ("/v1/interpolate", None, b"", 400, "body"),
        ("/v1/models/generator:predict", None, b"[[1", 400, "body"),
        ("/v1/models/generator:predict", {"instance": [[0.0] * 8]}, None, 400, "instances"),
        ("/v1/models/generator:predict", {"inputs": []}, None, 400, "inputs"),
        ("/v1/models/generator:predict", {"inputs": [[0.0] * 3]}, None, 400, "inputs[0]"),
        ("/v1/models/generator:predict", {"inputs": {"x": [[0.0] * 8]}}, None, 400, "inputs"),
        (
            "/v1/models/generator:predict",
            {"inputs": [[0.0] * 8], "instances": [[0.0] * 8]},
            None,
            400,
            "body",
        ),
        (
            "/v1/models/generator:predict",
            {"signature_name": "sample", "instances": [[0.0] * 8]},
            None,
            400,
            "signature_name",
        ),
        ("/v1/models/generator:predict", {"instances": [[0.0] * 3]}, None, 400, "instances[0]"),
        ("/v1/models/generator:predict", {"instances": [["a"] * 8]}, None, 400, "instances[0]"),
        # Strict JSON that overflows float32, and Python's NaN / Infinity.
        (
            "/v1/models/generator:predict",
            {"instances": [[0.0] * 8, [1e39] + [0.0] * 7]},
            None,
            400,
            "instances[1]",
        ),
        (
            "/v1/models/generator:predict",
            None,
            b'{"instances": [[NaN, 0, 0, 0, 0, 0, 0, 0]]}',
            400,
            "instances[0]",
        ),
        ("/v1/models/other:predict", {"instances": [[0.0] * 8]}, None, 404, "model"),
        ("/v1/interpolate", {"seed_a": 0, "seed_b": 1, "steps": 1}, None, 422, "steps"),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_field(server, path, body, raw, status, field):
    got, _, payload = server.request("POST", path, body, raw=raw)
    assert got == status, payload
    message = json.loads(payload)
    assert message["field"] == field and field in message["error"]
    # ...and the server keeps serving.
    assert server.request("GET", "/healthz")[0] == 200


def test_unknown_path_is_404(server):
    assert server.request("GET", "/v2/nothing")[0] == 404


def test_conditional_server(conditional):
    gan, srv = conditional
    status, _, body = srv.request("POST", "/v1/generate", {"n": 3, "seed": 2, "labels": [0, 2, 1]})
    assert status == 200
    np.testing.assert_allclose(
        json.loads(body)["samples"], gan.generate(3, labels=[0, 2, 1], seed=2), atol=1e-5
    )
    status, _, body = srv.request("POST", "/v1/generate", {"n": 2, "labels": [0, 3]})
    assert status == 422 and "unknown labels [3]" in json.loads(body)["error"]
    z = np.zeros((2, 4), "float32")
    status, _, body = srv.request(
        "POST",
        "/v1/models/generator:predict",
        {"instances": [{"z": z[0].tolist(), "labels": 1}, {"z": z[1].tolist(), "labels": 2}]},
    )
    assert status == 200
    expected = gan.generator([z, np.array([1, 2], "int32")], training=False)
    np.testing.assert_allclose(json.loads(body)["predictions"], expected, atol=1e-5)
    status, _, body = srv.request(
        "POST", "/v1/models/generator:predict", {"inputs": {"z": z.tolist(), "labels": [1, 2]}}
    )
    assert status == 200
    np.testing.assert_allclose(json.loads(body)["outputs"], expected, atol=1e-5)
    status, _, body = srv.request(
        "POST", "/v1/models/generator:predict", {"instances": [{"z": z[0].tolist()}]}
    )
    assert status == 400 and json.loads(body)["field"] == "instances[0].labels", body
    for inputs, field in (
        (z.tolist(), "inputs"),  # a conditional generator needs its labels
        ({"z": z.tolist(), "labels": [1, 9]}, "inputs.labels"),
    ):
        status, _, body = srv.request("POST", "/v1/models/generator:predict", {"inputs": inputs})
        assert 400 <= status < 500 and json.loads(body)["field"] == field, body


def test_a_generator_drawing_nan_gets_422_naming_the_request_not_500(tmp_path):
    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(latent_dim=8, image_size=8, width=8),
        keras_gan.models.dcgan_discriminator(image_size=8, width=8),
        seed=0,
    )
    last = gan.generator.trainable_variables[-1]
    last.assign(np.full(last.shape, np.nan, last.dtype))
    srv = Server(gan.export_generator(tmp_path / "generator"), max_n=8)
    try:
        for path, body, field in (
            ("/v1/generate", {"n": 2, "seed": 1}, "seed"),
            ("/v1/interpolate", {"seed_a": 1, "seed_b": 2, "steps": 3}, "seed_a"),
            ("/v1/models/generator:predict", {"instances": [[0.0] * 8]}, "instances[0]"),
        ):
            status, _, answer = srv.request("POST", path, body)
            error = json.loads(answer)
            assert status == 422 and error["field"] == field, answer
            assert "not finite" in error["error"] and "Received:" in error["error"], answer
        assert srv.request("GET", "/healthz")[0] == 200  # still serving
    finally:
        srv.close()


@pytest.mark.slow
def test_bounded_load(server, capsys):
    """32 concurrent clients x 25 requests: zero errors; prints requests/s and p99."""
    latencies = []

    def client(i):
        for j in range(25):
            start = time.perf_counter()
            status, _, _ = server.request("POST", "/v1/generate", {"n": 4, "seed": i * 100 + j})
            latencies.append((status, time.perf_counter() - start))

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(client, range(32)))
    elapsed = time.perf_counter() - start
    statuses = [s for s, _ in latencies]
    assert len(statuses) == 800 and set(statuses) == {200}
    p99 = np.percentile([t for _, t in latencies], 99)
    with capsys.disabled():
        print(
            f"\nload: 800 requests in {elapsed:.1f} s = {800 / elapsed:.0f} req/s, "
            f"p99 latency {1000 * p99:.0f} ms"
        )
