"""MobileNet v1.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
2017, https://arxiv.org/abs/1704.04861.  A 3×3 stem convolution, then thirteen depthwise separable
blocks (3×3 depthwise → 1×1 pointwise, each with BatchNorm and ReLU6).  At α=0.25 the stem has 8
filters, as in MLPerf Tiny's visual-wake-words model.
"""

from __future__ import annotations

import tf_keras as keras

from mcunets.zoo import blocks

# (pointwise filters at α=1, depthwise stride)
BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)
MIN_RESOLUTION = 32


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          dropout: float = 1e-3) -> keras.Model:
    """Build MobileNet v1.

    Args:
        alpha: width multiplier α applied to every layer's filters (rounded to multiples of 8).
        resolution: input height and width, ≥ 32.
        channels: input channels, 1 (grayscale) or 3 (RGB).
        classes: number of output classes, ≥ 2.
        dropout: dropout rate before the classifier (training only).
    """
    blocks.check_common("mobilenet", alpha, resolution, channels, classes, MIN_RESOLUTION)
    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(32 * alpha), 3, strides=2, name="conv1")
    for i, (filters, stride) in enumerate(BLOCKS, start=1):
        x = blocks.depthwise_bn(x, 3, stride, name=f"conv_dw_{i}")
        x = blocks.conv_bn(x, blocks.make_divisible(filters * alpha), 1, name=f"conv_pw_{i}")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"mobilenet_{alpha:0.2f}_{resolution}")
