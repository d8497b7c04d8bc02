"""The model zoo: one module per architecture, each with a validated ``build(...)``.

``build(arch, **kwargs)`` returns an untrained tf-keras model ending in a softmax; every model takes
images scaled to [-1, 1] (see :mod:`mcunets.data`).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from mcunets.zoo import (
    effnet,
    efficientnet,
    mixnet,
    mobilenet,
    mobilenet_v2,
    shufflenet,
    squeezenet,
    xception,
)

ARCHITECTURES: dict[str, Callable] = {
    "mobilenet": mobilenet.build,
    "mobilenet_v2": mobilenet_v2.build,
    "shufflenet": shufflenet.build,
    "effnet": effnet.build,
    "squeezenet": squeezenet.build,
    "xception": xception.build,
    "efficientnet": efficientnet.build,
    "mixnet": mixnet.build,
}


def build(arch: str, **kwargs):
    """Build architecture ``arch`` (a key of :data:`ARCHITECTURES`) with the builder's arguments."""
    try:
        builder = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(
            f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}"
        ) from None
    return builder(**kwargs)


def count_macs(model) -> int:
    """Multiply-accumulates of one inference: convolutions, depthwise convolutions and dense layers."""
    from tf_keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            _, h, w, c = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw * (layer.input_shape[-1] // layer.groups)
        elif isinstance(layer, layers.Dense):
            total += layer.input_shape[-1] * layer.units
    return total


@dataclasses.dataclass(frozen=True)
class ZooSummary:
    """A zoo table row; the int8 bytes, TFLM arena and ops are None when the model was not converted."""

    arch: str
    alpha: float
    resolution: int
    params: int
    macs: int
    tflite_bytes: int | None
    tflm_arena_bytes: int | None
    ops: tuple[str, ...] | None

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["ops"] = None if self.ops is None else list(self.ops)
        return d


def summarize(arch: str, alpha: float = 0.25, resolution: int = 96, channels: int = 3,
              classes: int = 10, seed: int = 0, **kwargs) -> ZooSummary:
    """Build ``arch``, quantize it (QAT wrappers, calibrated on random data), convert it to int8 and
    measure it: parameters, MACs, .tflite bytes, TFLM arena bytes and the operators it uses."""
    from mcunets import convert

    model_bytes, model = convert.untrained_int8(
        arch, alpha=alpha, resolution=resolution, channels=channels, classes=classes, seed=seed,
        **kwargs,
    )
    return describe(arch, alpha, model, model_bytes)


def describe(arch: str, alpha: float, model, model_bytes: bytes | None = None) -> ZooSummary:
    """The zoo table's row for a float model and its int8 conversion (params and MACs only without)."""
    from mcunets import tflm

    return ZooSummary(
        arch=arch,
        alpha=alpha,
        resolution=model.input_shape[1],
        params=model.count_params(),
        macs=count_macs(model),
        tflite_bytes=None if model_bytes is None else len(model_bytes),
        tflm_arena_bytes=None if model_bytes is None else tflm.arena_bytes(model_bytes),
        ops=None if model_bytes is None else tuple(tflm.model_ops(model_bytes)),
    )
