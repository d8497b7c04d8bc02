"""Quantization-aware training with tensorflow-model-optimization.

``quantize_model`` wraps a float zoo model for QAT.  tfmot's default 8-bit scheme folds BatchNorm
into the preceding convolution and knows the common layers; the layers it lacks get a QuantizeConfig
here:

- ``Multiply`` (squeeze-and-excitation) and :class:`~mcunets.zoo.blocks.HardSwish` quantize their
  output, as TFLite's int8 MUL and HARD_SWISH kernels requantize theirs;
- :class:`~mcunets.zoo.blocks.ChannelSplit` passes its input's quantization through, as SPLIT does.
"""

from __future__ import annotations

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
