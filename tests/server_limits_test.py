"""The server's limits and its OpenAPI contract: bodies over `--max-body`,
JSON too deep or malformed, memory under a burst of maximal requests, and
schemathesis against a live `keras-gan serve`."""

import concurrent.futures
import http.client
import inspect
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests import server_test
from tests.server_test import Server, free_port

# The generators of tests/server_test.py, exported (its fixtures).
image_gan, image_export = server_test.image_gan, server_test.image_export
conditional_gan, conditional_export = server_test.conditional_gan, server_test.conditional_export

pytestmark = pytest.mark.tensorflow_only("serves a SavedModel exported on the TensorFlow backend")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BODY = 256 * 1024  # the in-process server's --max-body: room for 100,000 nested "["
POSTS = ("/v1/generate", "/v1/interpolate", "/v1/models/generator:predict")


def error_of(payload):
    """The error answer's JSON, checked to have the server's one shape."""
    answer = json.loads(payload)
    assert set(answer) == {"error", "field"}, answer
    assert answer["error"].startswith(answer["field"] + ": "), answer
    return answer


class Served(Server):
    """`keras-gan serve PATH OPTIONS...` in a subprocess on 127.0.0.1 and a
    free port; its output goes to `log`."""

    def __init__(self, path, log, *options):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "keras_gan.cli", "serve", str(path)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), *options]
        with open(log, "wb") as out:
            env = dict(os.environ, KERAS_BACKEND="tensorflow")
            self.process = subprocess.Popen(command, stdout=out, stderr=out, cwd=REPO, env=env)
        deadline = time.time() + 120
        while True:
            assert self.process.poll() is None, self.output()
            assert time.time() < deadline, "server did not start\n" + self.output()
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-3000:]

    def rss(self):
        """The server's resident memory in bytes (Linux' /proc)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            kilobytes = next(line.split()[1] for line in f if line.startswith("VmRSS:"))
        return int(kilobytes) * 1024

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def limited(image_export):
    srv = Server(image_export, max_n=64, max_body=MAX_BODY)
    yield srv
    srv.close()


def raw_post(port, headers, parts, path="/v1/generate"):
    """POSTs `parts` (bytes each) after `headers` on a bare socket, without
    waiting for the server to read them; returns `(status, payload)`."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
        sock.sendall("\r\n".join(head).encode())
        for part in parts:
            sock.sendall(part)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.read()


def chunked(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_a_body_over_the_limit_gets_413_before_it_is_read(limited):
    # Content-Length says too much: the answer comes before any of the body is sent.
    status, payload = raw_post(
        limited.port, ["Content-Type: application/json", f"Content-Length: {5 * 2**20}"], []
    )
    assert status == 413
    answer = error_of(payload)
    assert answer["field"] == "body" and str(MAX_BODY) in answer["error"]
    assert str(5 * 2**20) in answer["error"]
    # Chunked, with no Content-Length: the answer comes once the bytes received
    # pass the limit, the body still unfinished (no last chunk).
    half = b" " * (MAX_BODY // 2)
    status, payload = raw_post(
        limited.port,
        ["Content-Type: application/json", "Transfer-Encoding: chunked"],
        [chunked(half), chunked(half), chunked(b" ")],
    )
    assert status == 413
    answer = error_of(payload)
    assert answer["field"] == "body" and str(MAX_BODY) in answer["error"]
    # A body of exactly the limit, chunked or not, is read.
    body = json.dumps({"n": 2, "seed": 1}).encode()
    body += b" " * (MAX_BODY - len(body))
    status, _, payload = limited.request("POST", "/v1/generate", raw=body)
    assert status == 200 and json.loads(payload)["shape"] == [2, 8, 8, 1]
    status, payload = raw_post(
        limited.port,
        ["Content-Type: application/json", "Transfer-Encoding: chunked"],
        [chunked(body[: MAX_BODY // 2]), chunked(body[MAX_BODY // 2 :]), b"0\r\n\r\n"],
    )
    assert status == 200 and json.loads(payload)["seed"] == 1
    assert limited.request("GET", "/healthz")[0] == 200


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"[" * 100_000, "nests"),
        (b'{"n": ' * 30_000, "nests"),
        (b'{"n": 1', "not valid JSON"),
        (b'{"n": 1}}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "empty"),
    ],
)
def test_deep_or_malformed_json_gets_400_naming_the_body(limited, path, raw, problem):
    status, _, payload = limited.request("POST", path, raw=raw)
    assert status == 400, payload
    answer = error_of(payload)
    assert answer["field"] == "body" and problem in answer["error"]
    assert "Received:" in answer["error"]


def test_openapi_documents_every_body_and_error(limited):
    status, _, payload = limited.request("GET", "/openapi.json")
    assert status == 200
    spec = json.loads(payload)
    schemas = spec["components"]["schemas"]

    def resolve(schema):
        return schemas[schema["$ref"].split("/")[-1]] if "$ref" in schema else schema

    errors = {
        "/v1/generate": {400, 406, 413, 422},
        "/v1/interpolate": {400, 413, 422},
        "/v1/models/{name}:predict": {400, 404, 413, 422},
    }
    for path, statuses in errors.items():
        operation = spec["paths"][path]["post"]
        body = resolve(operation["requestBody"]["content"]["application/json"]["schema"])
        assert body["type"] == "object" and body["properties"], path
        assert body["additionalProperties"] is False, path
        answers = operation["responses"]
        assert {int(code) for code in answers} == {200} | statuses, path
        for code in statuses:
            schema = resolve(answers[str(code)]["content"]["application/json"]["schema"])
            assert schema["required"] == ["error", "field"], (path, code)
    for path in ("/healthz", "/"):
        assert set(spec["paths"][path]["get"]["responses"]) == {"200", "413"}
    # Answers of no operation: unknown paths and methods, in the same shape.
    assert "404 (field `path`)" in spec["info"]["description"]
    assert "405 (field `method`" in spec["info"]["description"]
    status, _, payload = limited.request("GET", "/v1/generate")
    assert status == 405 and error_of(payload)["field"] == "method"
    generate = spec["paths"]["/v1/generate"]["post"]["responses"]["200"]["content"]
    assert set(generate) == {"application/json", "image/png", "application/octet-stream"}
    request = schemas["GenerateRequest"]["properties"]
    assert (request["n"]["minimum"], request["n"]["maximum"]) == (1, 64)  # max_n
    assert request["seed"]["anyOf"][0]["exclusiveMaximum"] == 2**63  # exactly, an integer
    predict = schemas["PredictRequest"]
    assert predict["oneOf"] == [{"required": ["instances"]}, {"required": ["inputs"]}]
    latent = predict["properties"]["instances"]["items"]["anyOf"][0]
    assert latent["minItems"] == latent["maxItems"] == 8  # latent_dim


@pytest.fixture(scope="module")
def served(image_export, tmp_path_factory):
    """`keras-gan serve` of `image_export`, with the default limits."""
    srv = Served(image_export, tmp_path_factory.mktemp("served") / "serve.log")
    yield srv
    srv.close()


def test_resident_memory_stays_flat_under_maximal_requests(served):
    """Bursts of the largest requests (n = 256, a 4 MiB body) from 8 clients
    at once: the server's RSS after 4 more bursts is within 10% of its RSS
    after the first (the warm-up)."""
    max_n, max_body = 256, 4 * 2**20  # the defaults of `keras-gan serve`
    instances = json.dumps({"instances": [[0.5] * 8] * max_n}).encode()
    bodies = [
        ("/v1/generate", {"n": max_n, "seed": 1}),
        ("/v1/generate", {"n": max_n, "seed": 2, "format": "png"}),
        ("/v1/generate", {"n": max_n, "seed": 3, "format": "npy"}),
        ("/v1/interpolate", {"seed_a": 1, "seed_b": 2, "steps": max_n}),
        ("/v1/models/generator:predict", instances + b" " * (max_body - len(instances))),
        ("/v1/generate", b"[" * max_body),
    ]

    def send(request):
        path, body = request
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return served.request("POST", path, raw=raw)[0]

    def burst():
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert sorted(set(pool.map(send, bodies * 8))) == [200, 400]

    burst()
    warm = served.rss()
    for _ in range(4):
        burst()
    after = served.rss()
    assert after <= 1.1 * warm, (
        f"RSS {warm / 2**20:.0f} MiB after warm-up, then {after / 2**20:.0f}"
    )


def map_case(context, case):
    """A schemathesis hook: a positive case follows the rule its JSON
    Schema cannot state, one label per sample (`n` of them in
    /v1/generate, one per latent row of the columnar predict format)."""
    body = case.body
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    if not isinstance(body, dict):
        return case
    count, labels = body.get("n"), body.get("labels")
    if isinstance(body.get("inputs"), dict):
        count, labels = len(body["inputs"].get("z") or []), body["inputs"].get("labels")
    if isinstance(labels, list) and labels and isinstance(count, (int, float)) and count >= 1:
        labels[:] = (labels * int(count))[: int(count)]
    return case


# The predict API answers every invalid request with a 400 (as TF Serving
# does): a 422 there means only that the generator's output for a valid
# latent vector is not finite (z near float32's limits overflows it), which
# JSON cannot carry and the OpenAPI document declares.
SCHEMATHESIS_CONFIG = """\
hooks = "{hooks}"

[[operations]]
include-path = "/v1/models/{{name}}:predict"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]
"""


@pytest.mark.parametrize("which", ["image_export", "conditional_export"])
def test_schemathesis_finds_no_failure(which, request, tmp_path):
    """`schemathesis run --checks all` against a live `keras-gan serve`:
    positive and negative cases of every operation, from a fixed seed."""
    hooks = tmp_path / "hooks.py"
    hooks.write_text(f"import schemathesis\n\n\n@schemathesis.hook\n{inspect.getsource(map_case)}")
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG.format(hooks=hooks))
    srv = Served(request.getfixturevalue(which), tmp_path / "serve.log", "--max-n", "64")
    try:
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)]
        command += [
            "run",
            f"{srv.url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "0",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
        ]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    finally:
        srv.close()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "No issues found" in done.stdout, done.stdout[-3000:]
