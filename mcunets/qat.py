"""Quantization-aware training with tensorflow-model-optimization.

``quantize_model`` wraps a float zoo model for QAT.  tfmot's default 8-bit scheme folds BatchNorm
into the preceding convolution and knows the common layers; the layers it lacks get a QuantizeConfig
here:

- ``Multiply`` (squeeze-and-excitation) and :class:`~mcunets.zoo.blocks.HardSwish` quantize their
  output, as TFLite's int8 MUL and HARD_SWISH kernels requantize theirs;
- :class:`~mcunets.zoo.blocks.ChannelSplit` passes its input's quantization through, as SPLIT does.
"""

from __future__ import annotations

import numpy as np

import tensorflow_model_optimization as tfmot
import tf_keras as keras
from tf_keras import layers

from mcunets.zoo.blocks import ChannelSplit, HardSwish

_quantizers = tfmot.quantization.keras.quantizers


class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
    """No weights to quantize; fake-quantize the layer's output with a moving-average range."""

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return [_quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False,
                                                   narrow_range=False)]

    def get_config(self):
        return {}


class PassThroughQuantizeConfig(OutputQuantizeConfig):
    """Leave the layer's outputs with its input's quantization (layers that only move data)."""

    def get_output_quantizers(self, layer):
        return []


_CUSTOM_CONFIGS = {
    layers.Multiply: OutputQuantizeConfig,
    HardSwish: OutputQuantizeConfig,
    ChannelSplit: PassThroughQuantizeConfig,
}


def scope():
    """The custom objects a QAT model needs to be cloned, saved or loaded."""
    return tfmot.quantization.keras.quantize_scope({
        "OutputQuantizeConfig": OutputQuantizeConfig,
        "PassThroughQuantizeConfig": PassThroughQuantizeConfig,
        "HardSwish": HardSwish,
        "ChannelSplit": ChannelSplit,
    })


def quantize_model(model: keras.Model) -> keras.Model:
    """Return ``model`` wrapped for quantization-aware training (weights are kept)."""
    annotate = tfmot.quantization.keras.quantize_annotate_layer

    def annotate_layer(layer):
        if isinstance(layer, layers.InputLayer):
            return layer
        config = _CUSTOM_CONFIGS.get(type(layer))
        return annotate(layer, config() if config else None)

    annotated = keras.models.clone_model(model, clone_function=annotate_layer)
    with scope():
        return tfmot.quantization.keras.quantize_apply(annotated)


# tfmot's moving-average quantizers keep an activation's range in variables named ``<kind>_min`` and
# ``<kind>_max``; they start at -6 and 6 and follow each batch's range with decay 0.999 (no debiasing).
_EMA_RANGE_KINDS = ("output", "pre_activation", "post_activation", "activation")
_EMA_DECAY = 0.999
_RESTORED_STATE = ("moving_mean", "moving_variance", "optimizer_step")


def _short_name(variable) -> str:
    return variable.name.rsplit("/", 1)[-1].split(":")[0]


def calibrate(qat_model, images: np.ndarray, batch_size: int = 64) -> int:
    """Start QAT from measured activation ranges instead of tfmot's initial [-6, 6].

    Runs ``images`` through the QAT model in training mode (which updates every moving-average range
    ``r ← d·r + (1-d)·batch``), then removes the initial value's share from each range:
    ``(r_K − d^K·r_0) / (1 − d^K)``, the mean batch range.  BatchNorm statistics and step counters are
    restored, so only the quantization ranges change.  Returns the number of ranges set.
    """
    variables = qat_model.non_trainable_variables
    ranges = [v for v in variables
              if _short_name(v).rsplit("_", 1)[0] in _EMA_RANGE_KINDS and _short_name(v).endswith(("_min", "_max"))]
    state = [v for v in variables if _short_name(v) in _RESTORED_STATE]
    if not ranges or len(images) == 0:
        return 0
    initial = [v.numpy() for v in ranges]
    saved = [v.numpy() for v in state]
    steps = 0
    for start in range(0, len(images), batch_size):
        qat_model(images[start:start + batch_size], training=True)
        steps += 1
    share = _EMA_DECAY ** steps
    for v, r0 in zip(ranges, initial):
        v.assign((v.numpy() - share * r0) / (1.0 - share))
    for v, value in zip(state, saved):
        v.assign(value)
    return len(ranges)
