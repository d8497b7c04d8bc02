"""EffNet.

Freeman, Roese-Koerner and Kummert, "EffNet: An Efficient Structure for Convolutional Neural
Networks", ICIP 2018, https://arxiv.org/abs/1801.06434.  Each block is a 1×1 bottleneck, a 1×3
depthwise convolution, a (2, 1) max-pool, a 3×1 depthwise convolution and a 1×1 convolution with
stride (1, 2): the spatial 3×3 filter is separated into two 1-D filters and the down-sampling into
two 1-D steps.  There is no plain first convolution: the first block reads the image.
"""

from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from mcunets.zoo import blocks

# Output filters of each block at α=1; the bottleneck has half of them (the paper's factor of 2).
BLOCKS = (64, 128, 256)


def effnet_block(x, bottleneck: int, filters: int, name: str):
    x = blocks.conv_bn(x, bottleneck, 1, act="relu", name=f"{name}_bottleneck")
    x = blocks.depthwise_bn(x, (1, 3), act="relu", name=f"{name}_dw1x3")
    x = layers.MaxPooling2D((2, 1), (2, 1), padding="same", name=f"{name}_pool")(x)
    x = blocks.depthwise_bn(x, (3, 1), act="relu", name=f"{name}_dw3x1")
    return blocks.conv_bn(x, filters, 1, strides=(1, 2), act="relu", name=f"{name}_project")


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          filters=BLOCKS, dropout: float = 0.0) -> keras.Model:
    """Build EffNet.

    Args:
        alpha: width multiplier α (filters rounded to multiples of 8).
        resolution: input height and width, ≥ 2^len(filters) so that every block has pixels to pool.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        filters: output filters of each block at α=1; each block halves the resolution.
        dropout: dropout rate before the classifier (training only).
    """
    filters = tuple(filters)
    if not filters or any(not isinstance(f, int) or f < 1 for f in filters):
        raise ValueError(f"effnet: filters must be positive integers. Received filters={filters}")
    blocks.check_common("effnet", alpha, resolution, channels, classes, 2 ** len(filters))
    inputs = blocks.model_input(resolution, channels)
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = effnet_block(x, blocks.make_divisible(f * alpha / 2), blocks.make_divisible(f * alpha),
                         name=f"block{i}")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"effnet_{alpha:0.2f}_{resolution}")
