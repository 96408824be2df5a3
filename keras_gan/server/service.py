"""The model behind `keras-gan serve`: a loaded SavedModel generator and
the pydantic models of its request bodies (no HTTP here: `app.py` serves
them).

Each request is checked once: by its model (types and bounds, which its JSON
Schema states), then by the model's validators for what a JSON Schema
cannot state (one label per sample, the library's label rule).
"""

import json
import os
import reprlib
import threading

import numpy as np

from keras_gan import _checks, serving
from keras_gan.gan.self_conditioned import draw_clusters

# The largest finite float32: latent values beyond it would overflow.
FLOAT32_MAX = float(np.finfo("float32").max)

# TF Serving's two predict request formats, and the key each is answered under.
PREDICT_ANSWERS = {"instances": "predictions", "inputs": "outputs"}

# How an error shows the value received: short, whatever its size.
_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxstring = 2, 8, 6, 60
_SHOWN.maxlong, _SHOWN.maxother = 40, 60

# pydantic's bound errors, in the words of the library's other checks.
_BOUNDS = {
    "greater_than_equal": ">=",
    "greater_than": ">",
    "less_than_equal": "<=",
    "less_than": "<",
}


def show(value):
    """`value` as an error shows it: short, whatever its size."""
    return _SHOWN.repr(value)


class BadRequest(ValueError):
    """Invalid input; `field` names the part of the request at fault.

    Args:
        field: the request field at fault (`"n"`, `"instances[1]"`, `"body"`).
        message: what was expected, ending with the value received.
        status: the HTTP status that answers it.
    """

    def __init__(self, field, message, status=422):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


class GeneratorService:
    """A loaded SavedModel generator with bounded entry points.

    The arguments of `generate`, `predict` and `interpolate` are those the
    server's request models have checked (sample counts in `1..max_n`, seeds
    in `[0, 2**63)`, latent rows of `latent_dim` finite float32 numbers);
    `labels_for` checks labels with the library's one label rule. At most
    `max_concurrency` model calls run at once, so a burst of requests queues
    instead of exhausting memory.

    Args:
        path: a SavedModel folder written by `GAN.export_generator`.
        max_n: most samples per request.
        max_concurrency: most model calls running at once.
    """

    def __init__(self, path, max_n=256, max_concurrency=4):
        tf = _checks.require("tensorflow", "the server (it loads a SavedModel)")

        self.tf = tf
        self.path = str(path)
        if not os.path.isfile(os.path.join(self.path, "saved_model.pb")):
            raise ValueError(
                "Not a SavedModel folder (no saved_model.pb); export one with "
                f"gan.export_generator(path). Received: path={self.path!r}"
            )
        self.max_n = _checks.integer(max_n, "max_n")
        slots = _checks.integer(max_concurrency, "max_concurrency")
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
        # A SelfConditionedGAN's export: samples asked for without labels
        # draw their clusters by these shares, as `gan.generate(n, seed)`.
        self.cluster_shares = metadata.get("cluster_shares")
        self.latent_distribution = metadata.get("latent_distribution", "normal")
        self._slots = threading.BoundedSemaphore(slots)

    # ---------------------------------------------------------------- labels

    @property
    def label_limit(self):
        """Labels are in `[0, label_limit)`: the model's classes, or int32's
        range when the export does not record them."""
        return self.num_classes if self.num_classes is not None else 2**31 - 1

    def labels_for(self, labels, count, field="labels"):
        """The int32 labels of `count` samples of a conditional generator.

        Args:
            labels: one integer label for every sample, a list of `count`
                integers (one per sample), or None for each class in turn.
            count: the number of samples.
            field: how errors name the labels; a `{}` in it is replaced by
                the index of the first bad label (`"instances[{}].labels"`).

        Returns:
            An int32 array of `count` labels.

        Raises:
            BadRequest: a count that is not one per sample, or labels that
                break the library's label rule (`_checks.invalid_label_values`).
        """
        if labels is None:
            if self.num_classes is None:
                raise BadRequest(field.format(0), "is required by this conditional generator")
            return np.arange(count, dtype="int32") % self.num_classes
        values = [labels] * count if isinstance(labels, int) else list(labels)
        if len(values) != count:
            raise BadRequest(
                field.format(0),
                f"must hold {count} labels, one per sample. Received: {len(values)} labels",
            )
        bad = _checks.invalid_label_values(values, self.label_limit)
        if bad:
            first = next(i for i, value in enumerate(values) if value in bad)
            known = f"0..{self.num_classes - 1}" if self.num_classes is not None else ">= 0"
            raise BadRequest(field.format(first), f"unknown labels {bad}; known labels are {known}")
        return np.asarray(values, dtype="int32")

    @staticmethod
    def random_seed():
        """A fresh seed, for a request that names none."""
        return int(np.random.randint(0, 2**31 - 1))

    # --------------------------------------------------------------- compute

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
        """`n` samples drawn from `seed` (the `sample` signature); `labels`
        from `labels_for` for a conditional generator, else None (for a
        `SelfConditionedGAN`'s export, None draws them by the clusters'
        shares)."""
        if labels is None and self.cluster_shares is not None:
            labels = draw_clusters(self.cluster_shares, n, seed)
        if self.sample is None:
            return self.predict(self.latent(n, seed), labels)
        inputs = {"n": np.int32(n), "seed": np.int64(seed)}
        if labels is not None:
            inputs["labels"] = labels
        return self._run(self.sample, **inputs)

    def predict(self, z, labels):
        """The generator on the latent batch `z` (`serving_default`)."""
        inputs = {"z": np.asarray(z, dtype="float32")}
        if labels is not None:
            inputs["labels"] = labels
        return self._run(self.serve, **inputs)

    def interpolate(self, seed_a, seed_b, steps, labels):
        """`steps` samples along the straight line from `seed_a`'s latent
        vector to `seed_b`'s, in order."""
        a = self.latent(1, seed_a)[0]
        b = self.latent(1, seed_b)[0]
        t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        return self.predict((1 - t) * a + t * b, labels)


# ------------------------------------------------------------------ bodies


def invalid(error, fields, status):
    """The `BadRequest` for pydantic's `error` on a request body.

    The field is the path to the request field or the sample at fault
    (`n`, `instances[1]`, `inputs.z[0]`: never a number inside a latent
    row); the message says what was expected and the value received, with
    its place inside the sample (`Received: instances[1][3]='a'`).

    Args:
        error: one of pydantic's errors, its `loc` starting with `"body"`.
        fields: the request models' field names; any other name in `loc`
            is a union member's, left out.
        status: the HTTP status of the answer.
    """
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, BadRequest):  # raised by a model's validator
        return BadRequest(cause.field, cause.message, status)
    kind, loc = error["type"], list(error["loc"])[1:]
    kept = [part for part in loc[:-1] if isinstance(part, int) or part in fields]
    if loc and (
        isinstance(loc[-1], int) or loc[-1] in fields or kind in ("extra_forbidden", "missing")
    ):
        kept.append(loc[-1])
    field, where, indexed = "", "", False
    for part in kept:
        step = f"[{part}]" if isinstance(part, int) else f".{part}"
        if indexed:
            where += step
        else:
            field += step
            indexed = isinstance(part, int)
    field = field.lstrip(".") or "body"
    shown = show(error.get("input"))
    if kind == "missing":  # the field missing inside a sample is named too
        return BadRequest(f"{field}{where}", f"is required. Received: {shown}", status)
    if kind == "extra_forbidden":
        message = "is not a field of this request"
    elif kind in _BOUNDS:  # the context holds the one bound
        message = f"must be {_BOUNDS[kind]} {next(iter(error['ctx'].values()))!r}"
    else:
        message = error["msg"][:1].lower() + error["msg"][1:]
    return BadRequest(field, f"{message}. Received: {field}{where}={shown}", status)


def _integral(value):
    """An integral float as an int; any other value as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def request_models(service):
    """The pydantic models of the request bodies `service` answers.

    Their bounds come from the loaded generator: sample counts in
    `1..max_n`, seeds in `[0, 2**63)`, labels in `[0, num_classes)`, latent
    rows of exactly `latent_dim` finite float32 numbers. Validators add what
    a JSON Schema cannot state: one label per sample, checked with the
    library's label rule (`labels_for`); the checked arrays are kept on the
    model (`_labels`, `_z`).

    Returns:
        A dict: `"generate"`, `"interpolate"` and `"predict"` (the request
        models), and `"fields"` (every field name of the models).
    """
    from typing import Annotated, Any, Literal

    from pydantic import (
        BaseModel,
        BeforeValidator,
        ConfigDict,
        Field,
        PrivateAttr,
        Strict,
        model_validator,
    )

    def integer(**field):
        # JSON Schema's integers include 1.0, as `_checks.integer` does: not
        # 1.5, true or "1".
        return Annotated[int, Strict(), Field(**field), BeforeValidator(_integral)]

    conditional, max_n, dim = service.conditional, service.max_n, service.latent_dim
    # Labels may be omitted where the export records the classes to cycle through.
    optional = service.num_classes is not None
    Count = integer(ge=1, le=max_n)
    Seed = integer(ge=0, lt=2**63)
    # The label rule's bounds, stated for the schema; `labels_for` checks them.
    Label = integer(json_schema_extra={"minimum": 0, "maximum": service.label_limit - 1})
    Labels = Label | Annotated[list[Label], Field(min_length=1, max_length=max_n)]
    LabelsOrNone, LabelOrNone = (Labels | None, Label | None) if optional else (Labels, Label)
    Number = Annotated[float, Strict(), Field(ge=-FLOAT32_MAX, le=FLOAT32_MAX, allow_inf_nan=False)]
    Latent = Annotated[
        list[Number], Field(min_length=dim, max_length=dim, description="a latent vector z")
    ]
    Latents = Annotated[list[Latent], Field(min_length=1, max_length=max_n)]

    class Request(BaseModel):
        model_config = ConfigDict(extra="forbid")
        _labels: Any = PrivateAttr(None)

    class GenerateRequest(Request):
        """`n` samples drawn from `seed` (fresh noise without it), as JSON,
        a PNG grid or `.npy` bytes (`format`; without it, the Accept header
        chooses)."""

        n: Count
        seed: Seed | None = None
        format: Literal["json", "png", "npy"] = "json"
        if conditional:
            labels: LabelsOrNone = None if optional else ...

            @model_validator(mode="after")
            def _one_label_per_sample(self):
                by_share = self.labels is None and service.cluster_shares is not None
                # Labels by the clusters' shares are drawn with the seed.
                self._labels = None if by_share else service.labels_for(self.labels, self.n)
                return self

    class InterpolateRequest(Request):
        """A PNG strip of `steps` samples between two seeds' latent vectors."""

        seed_a: Seed
        seed_b: Seed
        steps: integer(ge=2, le=max_n, validate_default=True) = min(8, max(2, max_n))
        if conditional:
            labels: LabelOrNone = None if optional else ...

            @model_validator(mode="after")
            def _one_label_per_sample(self):
                self._labels = service.labels_for(self.labels, self.steps)
                return self

    class ZRow(Request):
        z: Latent

    class LabeledRow(Request):
        z: Latent
        labels: Label

    class ZColumns(Request):
        z: Latents

    class LabeledColumns(Request):
        z: Latents
        labels: Labels

        @model_validator(mode="after")
        def _one_label_per_sample(self):
            self._labels = service.labels_for(self.labels, len(self.z), "inputs.labels")
            return self

    def one_format(schema):
        for key in PREDICT_ANSWERS:  # either may be left out, but not both
            schema["properties"][key].pop("default", None)
        schema["oneOf"] = [{"required": [key]} for key in PREDICT_ANSWERS]

    class PredictRequest(Request):
        """TensorFlow Serving's predict request: its row format
        (`instances`) or its columnar format (`inputs`)."""

        model_config = ConfigDict(extra="forbid", json_schema_extra=one_format)
        instances: Annotated[
            list[LabeledRow if conditional else Latent | ZRow],
            Field(min_length=1, max_length=max_n),
        ] = None
        inputs: LabeledColumns if conditional else Latents | ZColumns = None
        signature_name: Literal["serving_default"] = "serving_default"
        _z: Any = PrivateAttr(None)

        @model_validator(mode="before")
        @classmethod
        def _one_format(cls, body):
            found = [key for key in PREDICT_ANSWERS if isinstance(body, dict) and key in body]
            if not found:
                shown = sorted(body) if isinstance(body, dict) else show(body)
                raise BadRequest(
                    "instances",
                    "is required: a JSON object with an 'instances' list (row format) or "
                    f"'inputs' (columnar format). Received: {shown}",
                )
            if len(found) > 1:
                raise BadRequest(
                    "body", f"must hold one of 'instances' or 'inputs'. Received: {sorted(body)}"
                )
            return body

        @model_validator(mode="after")
        def _batch(self):
            if self.instances is not None:
                rows = self.instances
                z = [row if isinstance(row, list) else row.z for row in rows]
                if conditional:
                    labels = [row.labels for row in rows]
                    self._labels = service.labels_for(labels, len(z), "instances[{}].labels")
            elif isinstance(self.inputs, list):
                z = self.inputs
            else:
                z, self._labels = self.inputs.z, self.inputs._labels
            self._z = np.asarray(z, dtype="float32")
            return self

        @property
        def key(self):
            """The format of the request: `"instances"` or `"inputs"`."""
            return "instances" if self.instances is not None else "inputs"

    models = [GenerateRequest, InterpolateRequest, PredictRequest, ZRow, LabeledRow]
    models += [ZColumns, LabeledColumns]
    return {
        "generate": GenerateRequest,
        "interpolate": InterpolateRequest,
        "predict": PredictRequest,
        "fields": {name for model in models for name in model.model_fields},
    }
