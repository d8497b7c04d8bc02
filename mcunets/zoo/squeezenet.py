"""SqueezeNet v1.1.

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
2016, https://arxiv.org/abs/1602.07360 (v1.1 layout from the authors' release).  Fire modules squeeze
the channels with 1×1 convolutions, then expand them with 1×1 and 3×3 convolutions whose outputs are
concatenated.  The classifier is a 1×1 convolution followed by global average pooling.
"""

from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from mcunets.zoo import blocks

# (squeeze filters at α=1, expand filters of each branch at α=1, max-pool before this module)
FIRES = (
    (16, 64, False), (16, 64, False),
    (32, 128, True), (32, 128, False),
    (48, 192, True), (48, 192, False), (64, 256, False), (64, 256, False),
)
MIN_RESOLUTION = 16


def fire(x, squeeze: int, expand: int, name: str):
    s = blocks.conv_bn(x, squeeze, 1, act="relu", name=f"{name}_squeeze1x1")
    e1 = blocks.conv_bn(s, expand, 1, act="relu", name=f"{name}_expand1x1")
    e3 = blocks.conv_bn(s, expand, 3, act="relu", name=f"{name}_expand3x3")
    return layers.Concatenate(name=f"{name}_concat")([e1, e3])


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          dropout: float = 0.0) -> keras.Model:
    """Build SqueezeNet v1.1 (with BatchNorm after each convolution, folded by QAT).

    Args:
        alpha: width multiplier α (filters rounded to multiples of 8).
        resolution: input height and width, ≥ 16.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        dropout: dropout rate before the classifier convolution (training only).
    """
    blocks.check_common("squeezenet", alpha, resolution, channels, classes, MIN_RESOLUTION)
    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(64 * alpha), 3, strides=2, act="relu", name="conv1")
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
    for i, (squeeze, expand, pool) in enumerate(FIRES, start=2):
        if pool:
            x = layers.MaxPooling2D(3, 2, padding="same", name=f"pool{i}")(x)
        x = fire(x, blocks.make_divisible(squeeze * alpha), blocks.make_divisible(expand * alpha),
                 name=f"fire{i}")
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Conv2D(classes, 1, activation="relu", name="classifier_conv")(x)
    x = layers.GlobalAveragePooling2D(name="classifier_pool")(x)
    outputs = layers.Softmax(name="classifier_softmax")(x)
    return keras.Model(inputs, outputs, name=f"squeezenet_{alpha:0.2f}_{resolution}")
