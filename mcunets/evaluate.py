"""Accuracy of a quantized .tflite classifier on labelled images, with the TFLite interpreter.

The model's input tensor fixes the resolution, the channel count and the input quantization; images are
scaled by the mcunets input convention (:func:`mcunets.data.to_float`, pixels to [-1, 1]) and then
quantized with the input tensor's own scale and zero point.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from mcunets import data as data_lib
from mcunets.errors import McunetsError


@dataclass
class InputSpec:
    resolution: int
    channels: int
    dtype: str
    scale: float
    zero_point: int
    num_classes: int


@dataclass
class Evaluation:
    """Accuracy (0–1), per-class accuracy (None for a class with no images), confusion[true][predicted]."""

    accuracy: float
    count: int
    class_names: list[str]
    per_class: list[float | None]
    confusion: list[list[int]]
    skipped: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _interpreter(model: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    try:
        # LiteRT's builtin kernels without the XNNPACK delegate: int8 results as TFLM computes them.
        interp = Interpreter(model_content=model,
                             experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise McunetsError(f"not a loadable TFLite model: {first}") from None
    return interp


def input_spec(model: bytes) -> InputSpec:
    """Resolution, channels, input type and quantization, and class count of a TFLite classifier."""
    interp = _interpreter(model)
    return _spec(interp)


def _spec(interp) -> InputSpec:
    inputs, outputs = interp.get_input_details(), interp.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise McunetsError(
            f"expected a classifier with one input and one output, got {len(inputs)} and {len(outputs)}"
        )
    shape = list(inputs[0]["shape"])
    if len(shape) != 4 or shape[1] != shape[2] or shape[3] not in (1, 3):
        raise McunetsError(f"expected a square image input of shape 1×H×H×(1 or 3), got {'×'.join(map(str, shape))}")
    out_shape = list(outputs[0]["shape"])
    if len(out_shape) != 2 or out_shape[1] < 2:
        raise McunetsError(f"expected class scores of shape 1×K, got {'×'.join(map(str, out_shape))}")
    dtype = np.dtype(inputs[0]["dtype"]).name
    if dtype not in ("int8", "uint8", "float32"):
        raise McunetsError(f"unsupported model input type {dtype}")
    scale, zero_point = inputs[0]["quantization"]
    if dtype != "float32" and not scale:
        raise McunetsError(f"the model's {dtype} input has no quantization parameters")
    return InputSpec(int(shape[1]), int(shape[3]), dtype, float(scale), int(zero_point), int(out_shape[1]))


def _quantize(images: np.ndarray, spec: InputSpec) -> np.ndarray:
    if spec.dtype == "float32":
        return data_lib.to_float(images)
    return data_lib.to_quantized(images, spec.dtype, spec.scale, spec.zero_point)


def predict(model: bytes, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Predicted class index for each uint8 image (``N×H×W×C``) through the TFLite interpreter."""
    interp = _interpreter(model)
    spec = _spec(interp)
    if images.shape[1:] != (spec.resolution, spec.resolution, spec.channels):
        raise McunetsError(
            f"images are {'×'.join(map(str, images.shape[1:]))} but the model takes "
            f"{spec.resolution}×{spec.resolution}×{spec.channels}"
        )
    x = _quantize(images, spec)
    in_index = interp.get_input_details()[0]["index"]
    out_index = interp.get_output_details()[0]["index"]
    preds = np.empty(len(x), dtype=np.int64)
    batch = batch_size
    try:  # most models run batched; fall back to one image at a time if this one does not
        interp.resize_tensor_input(in_index, [batch, spec.resolution, spec.resolution, spec.channels])
        interp.allocate_tensors()
    except (ValueError, RuntimeError):
        interp, batch = _interpreter(model), 1
    for start in range(0, len(x), batch):
        chunk = x[start:start + batch]
        n = len(chunk)
        if n < batch:
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch - n, axis=0)])
        interp.set_tensor(in_index, chunk)
        interp.invoke()
        preds[start:start + n] = np.argmax(interp.get_tensor(out_index)[:n].reshape(n, -1), axis=1)
    return preds


def score(labels: np.ndarray, preds: np.ndarray, class_names: Sequence[str], skipped: int = 0) -> Evaluation:
    """Accuracy, per-class accuracy and the confusion matrix of predictions against labels."""
    k = len(class_names)
    confusion = np.zeros((k, k), dtype=np.int64)
    # A prediction outside the labelled classes counts as wrong and has no column in the matrix.
    inside = preds < k
    np.add.at(confusion, (labels[inside], preds[inside]), 1)
    correct = int(np.sum(labels == preds))
    totals = np.bincount(labels, minlength=k)
    per_class = [(float(confusion[c, c] / totals[c]) if totals[c] else None) for c in range(k)]
    return Evaluation(
        accuracy=correct / max(1, len(labels)),
        count=int(len(labels)),
        class_names=list(class_names),
        per_class=per_class,
        confusion=confusion.tolist(),
        skipped=skipped,
    )


def _report_classes(model_path: Path) -> list[str] | None:
    """Class names from a ``train_report.json`` written next to the model by ``mcunets train``."""
    report = model_path.parent / "train_report.json"
    try:
        names = json.loads(report.read_text())["classes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return [str(n) for n in names] if isinstance(names, list) else None


def evaluate(model: str | os.PathLike | bytes, data: str | os.PathLike | None = None) -> Evaluation:
    """Accuracy of a .tflite classifier on an image folder (or the built-in dataset's validation set).

    Class ``i`` of the model is the ``i``-th class name in the ``train_report.json`` beside the model
    if there is one, else the ``i``-th subfolder in sorted order.
    """
    class_names = None
    if isinstance(model, (bytes, bytearray)):
        blob = bytes(model)
    else:
        path = Path(model)
        if not path.is_file():
            raise McunetsError(f"model file {str(path)!r} does not exist")
        blob = path.read_bytes()
        class_names = _report_classes(path)
    spec = input_spec(blob)
    if data is None or str(data) == data_lib.BUILTIN_NAME:
        images = data_lib.builtin(spec.resolution, spec.channels).val
    else:
        if class_names is not None and len(class_names) != spec.num_classes:
            class_names = None
        images = data_lib.read_folder(data, spec.resolution, spec.channels, class_names=class_names)
        if class_names is None and len(images.class_names) != spec.num_classes:
            raise McunetsError(
                f"{str(data)!r} has {len(images.class_names)} classes but the model outputs {spec.num_classes}"
            )
    if len(images.class_names) > spec.num_classes:
        raise McunetsError(
            f"the data has {len(images.class_names)} classes but the model outputs {spec.num_classes}"
        )
    preds = predict(blob, images.images)
    return score(images.labels, preds, images.class_names, skipped=len(images.skipped))


def percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def format_per_class(class_names: Sequence[str], per_class: Sequence[float | None],
                     confusion: Sequence[Sequence[int]]) -> str:
    """Per-class accuracy and the confusion matrix as one table: a row per true class (number and whole
    name), a column per predicted class number, so long class names neither widen nor get cut."""
    from mcunets.report import format_table

    return format_table(
        ["#", "class", "accuracy"] + [str(i) for i in range(len(class_names))],
        [[i, name, percent(a)] + list(row)
         for i, (name, a, row) in enumerate(zip(class_names, per_class, confusion))],
    )


def format_evaluation(result: Evaluation) -> str:
    """Overall accuracy, then per-class accuracy and the confusion matrix, as terminal tables."""
    return (f"accuracy {percent(result.accuracy)} on {result.count} images\n\n"
            f"per class (rows: true class, columns: predicted class #)\n"
            f"{format_per_class(result.class_names, result.per_class, result.confusion)}")
