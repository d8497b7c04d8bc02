"""Building blocks shared by the architectures in :mod:`mcunets.zoo`.

Everything here is a plain tf-keras layer or a small layer subclass that TFLite lowers to builtin
operators (no Lambda layers), so every model quantizes with tensorflow-model-optimization and runs on
TensorFlow Lite Micro.  Layer names are predictable (``<block>_<part>``) so that an operator in the
converted model or a row of an on-board profile can be traced back to the layer that made it.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tf_keras as keras
from tf_keras import layers

ACTIVATIONS = ("relu", "relu6", "hard_swish")


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, never dropping more than 10%.

    The one channel-rounding rule of the zoo (MobileNetV2's ``_make_divisible``).
    """
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


@keras.utils.register_keras_serializable(package="mcunets")
class HardSwish(layers.Layer):
    """``x · relu6(x + 3) / 6`` (MobileNetV3); TFLite fuses the pattern into one HARD_SWISH op."""

    def call(self, inputs):
        return inputs * tf.nn.relu6(inputs + 3.0) * (1.0 / 6.0)


@keras.utils.register_keras_serializable(package="mcunets")
class ChannelSplit(layers.Layer):
    """Split the channel axis into parts of the given sizes (TFLite SPLIT / SPLIT_V)."""

    def __init__(self, sizes, **kwargs):
        super().__init__(**kwargs)
        self.sizes = [int(s) for s in sizes]

    def call(self, inputs):
        if len(set(self.sizes)) == 1:
            return tf.split(inputs, len(self.sizes), axis=-1)
        return tf.split(inputs, self.sizes, axis=-1)

    def compute_output_shape(self, input_shape):
        return [tuple(input_shape[:-1]) + (s,) for s in self.sizes]

    def get_config(self):
        return {**super().get_config(), "sizes": self.sizes}


def check_common(name: str, alpha: float, resolution: int, channels: int, classes: int,
                 min_resolution: int) -> None:
    """Validate the arguments every builder takes; errors name the bad value."""
    if not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"{name}: alpha must be > 0. Received alpha={alpha}")
    if not isinstance(resolution, int) or resolution < min_resolution:
        raise ValueError(
            f"{name}: resolution must be an integer ≥ {min_resolution} for this architecture. "
            f"Received resolution={resolution}"
        )
    if channels not in (1, 3):
        raise ValueError(f"{name}: channels must be 1 or 3. Received channels={channels}")
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"{name}: classes must be an integer ≥ 2. Received classes={classes}")


def check_activation(name: str, activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{name}: activation must be one of {', '.join(ACTIVATIONS)}. Received activation={activation!r}"
        )


def model_input(resolution: int, channels: int) -> keras.layers.Layer:
    return layers.Input(shape=(resolution, resolution, channels), name="input")


def activation(x, kind: str | None, name: str):
    """Apply ``relu``, ``relu6``, ``hard_swish`` or nothing (``None``)."""
    if kind is None:
        return x
    if kind == "relu":
        return layers.ReLU(name=f"{name}_relu")(x)
    if kind == "relu6":
        return layers.ReLU(6.0, name=f"{name}_relu6")(x)
    if kind == "hard_swish":
        return HardSwish(name=f"{name}_hswish")(x)
    raise ValueError(f"unknown activation {kind!r}")


def conv_bn(x, filters: int, kernel=1, strides=1, act: str | None = "relu6", name: str = "conv",
            groups: int = 1):
    """Conv2D (no bias) → BatchNorm (folded by QAT) → activation."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", groups=groups,
                      use_bias=False, name=name)(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, name=f"{name}_bn")(x)
    return activation(x, act, name)


def depthwise_bn(x, kernel=3, strides=1, act: str | None = "relu6", name: str = "dw",
                 depth_multiplier: int = 1):
    """DepthwiseConv2D (no bias) → BatchNorm (folded by QAT) → activation."""
    x = layers.DepthwiseConv2D(kernel, strides=strides, padding="same", use_bias=False,
                               depth_multiplier=depth_multiplier, name=name)(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, name=f"{name}_bn")(x)
    return activation(x, act, name)


def squeeze_excite(x, squeeze_filters: int, name: str):
    """Squeeze-and-excitation: global mean → 1×1 reduce (ReLU) → 1×1 expand → sigmoid → scale."""
    filters = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)
    s = layers.Conv2D(squeeze_filters, 1, activation="relu", name=f"{name}_reduce")(s)
    s = layers.Conv2D(filters, 1, name=f"{name}_expand")(s)
    s = layers.Activation("sigmoid", name=f"{name}_gate")(s)
    return layers.Multiply(name=f"{name}_excite")([x, s])


def channel_shuffle(x, groups: int, name: str):
    """ShuffleNet's channel shuffle as reshape → transpose → reshape, all with static shapes.

    The pixels are flattened into one axis, so the transpose is 4-D with the batch,
    ``[1, H·W, g, C/g] → [1, H·W, C/g, g]``: CMSIS-NN's TRANSPOSE in TFLM handles at most 4
    dimensions and leaves a 5-D layer's output unwritten while Invoke() still succeeds.
    """
    h, w, c = x.shape[1:]
    x = layers.Reshape((h * w, groups, c // groups), name=f"{name}_group")(x)
    x = layers.Permute((1, 3, 2), name=f"{name}_transpose")(x)
    return layers.Reshape((h, w, c), name=f"{name}_flatten")(x)


def mix_depthwise_bn(x, kernels, strides=1, act: str | None = "relu6", name: str = "mixdw"):
    """MixConv: channels split into groups, each with its own depthwise kernel size, concatenated."""
    if len(kernels) == 1:
        return depthwise_bn(x, kernels[0], strides, act, name)
    sizes = split_channels(x.shape[-1], len(kernels))
    parts = ChannelSplit(sizes, name=f"{name}_split")(x)
    outs = [depthwise_bn(p, k, strides, act, f"{name}_k{k}") for p, k in zip(parts, kernels)]
    return layers.Concatenate(name=f"{name}_concat")(outs)


def mbconv(x, kernels, filters: int, expansion: int, stride: int, se_ratio: float, act: str, name: str):
    """MBConv (MobileNetV2's inverted residual): 1×1 expand → depthwise (one kernel size, or a MixConv of
    several) → optional squeeze-excitation → linear 1×1 project, plus a residual when shapes match."""
    in_filters = x.shape[-1]
    y = x
    if expansion != 1:
        y = conv_bn(y, in_filters * expansion, 1, act=act, name=f"{name}_expand")
    y = mix_depthwise_bn(y, kernels, stride, act=act, name=f"{name}_dw")
    if se_ratio:
        y = squeeze_excite(y, make_divisible(in_filters * se_ratio), f"{name}_se")
    y = conv_bn(y, filters, 1, act=None, name=f"{name}_project")
    if stride == 1 and in_filters == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


def split_channels(total: int, parts: int) -> list[int]:
    """Split ``total`` channels into ``parts`` near-equal groups, the first taking the remainder."""
    sizes = [total // parts] * parts
    sizes[0] += total - sum(sizes)
    return sizes


def classifier(x, classes: int, dropout: float, name: str = "classifier"):
    """Global average pooling → dropout → 1×1 convolution → softmax.

    The dense layer is a 1×1 convolution on the pooled 1×1 map: TFLite lowers it to CONV_2D, whose
    int8 requantization TFLM shares with TFLite's reference kernels (their per-tensor FULLY_CONNECTED
    kernels round differently and can disagree by one).
    """
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    x = layers.Conv2D(classes, 1, name=f"{name}_dense")(x)
    x = layers.Reshape((classes,), name=f"{name}_flatten")(x)
    return layers.Softmax(name=f"{name}_softmax")(x)
