"""Xception, scaled down for microcontrollers.

Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", 2016,
https://arxiv.org/abs/1610.02357.  An entry flow of strided residual blocks, a middle flow of
identity-residual blocks and an exit flow, all built from depthwise separable convolutions
(depthwise 3×3 → pointwise 1×1).  Scaled down: the width follows α and the middle flow repeats
``middle_blocks`` times (the paper uses 8); each separable convolution is followed by BatchNorm and
ReLU, the last one of a residual block by BatchNorm only.
"""

from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from mcunets.zoo import blocks

ENTRY = (128, 256, 728)  # filters of the strided entry-flow blocks at α=1
MIDDLE = 728
EXIT = (1024, 1536, 2048)  # exit block filters, then the two final separable convolutions
MIN_RESOLUTION = 32


def separable(x, filters: int, act: str | None, name: str):
    x = blocks.depthwise_bn(x, 3, act=None, name=f"{name}_dw")
    return blocks.conv_bn(x, filters, 1, act=act, name=f"{name}_pw")


def strided_block(x, filters_a: int, filters_b: int, name: str):
    shortcut = blocks.conv_bn(x, filters_b, 1, strides=2, act=None, name=f"{name}_shortcut")
    y = separable(x, filters_a, "relu", f"{name}_sep1")
    y = separable(y, filters_b, None, f"{name}_sep2")
    y = layers.MaxPooling2D(3, 2, padding="same", name=f"{name}_pool")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_relu")(y)


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          middle_blocks: int = 4, dropout: float = 0.0) -> keras.Model:
    """Build a scaled-down Xception.

    Args:
        alpha: width multiplier α (filters rounded to multiples of 8).
        resolution: input height and width, ≥ 32.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        middle_blocks: repeats of the middle-flow block (8 in the paper), ≥ 0.
        dropout: dropout rate before the classifier (training only).
    """
    blocks.check_common("xception", alpha, resolution, channels, classes, MIN_RESOLUTION)
    if not isinstance(middle_blocks, int) or middle_blocks < 0:
        raise ValueError(f"xception: middle_blocks must be an integer ≥ 0. Received middle_blocks={middle_blocks}")

    def width(f):
        return blocks.make_divisible(f * alpha)

    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, width(32), 3, strides=2, act="relu", name="entry_conv1")
    x = blocks.conv_bn(x, width(64), 3, act="relu", name="entry_conv2")
    for i, f in enumerate(ENTRY, start=1):
        x = strided_block(x, width(f), width(f), f"entry_block{i}")
    for i in range(1, middle_blocks + 1):
        y = separable(x, width(MIDDLE), "relu", f"middle_block{i}_sep1")
        y = separable(y, width(MIDDLE), "relu", f"middle_block{i}_sep2")
        y = separable(y, width(MIDDLE), None, f"middle_block{i}_sep3")
        x = layers.Add(name=f"middle_block{i}_add")([x, y])
        x = layers.ReLU(name=f"middle_block{i}_relu")(x)
    x = strided_block(x, width(MIDDLE), width(EXIT[0]), "exit_block")
    x = separable(x, width(EXIT[1]), "relu", "exit_sep1")
    x = separable(x, width(EXIT[2]), "relu", "exit_sep2")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"xception_{alpha:0.2f}_{resolution}")
