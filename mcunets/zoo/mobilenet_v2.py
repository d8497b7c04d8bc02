"""MobileNetV2: inverted residuals and linear bottlenecks (the MBConv block).

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018,
https://arxiv.org/abs/1801.04381.  Each block expands its input t× with a 1×1 convolution (ReLU6),
filters it with a 3×3 depthwise convolution (ReLU6) and projects it back with a linear 1×1
convolution; a residual connection joins blocks of equal shape.
"""

from __future__ import annotations

import tf_keras as keras
from mcunets.zoo import blocks

# (expansion t, filters c at α=1, repeats n, first stride s), the paper's Table 2
STAGES = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
MIN_RESOLUTION = 32


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          expansion: int = 6, dropout: float = 0.2) -> keras.Model:
    """Build MobileNetV2.

    Args:
        alpha: width multiplier α (filters rounded to multiples of 8; the 1280-filter head is kept
            at α < 1, as in the paper).
        resolution: input height and width, ≥ 32.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        expansion: expansion factor t of every block but the first (the paper uses 6).
        dropout: dropout rate before the classifier (training only).
    """
    blocks.check_common("mobilenet_v2", alpha, resolution, channels, classes, MIN_RESOLUTION)
    if not isinstance(expansion, int) or expansion < 1:
        raise ValueError(f"mobilenet_v2: expansion must be an integer ≥ 1. Received expansion={expansion}")
    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(32 * alpha), 3, strides=2, name="conv1")
    block_id = 0
    for t, c, n, s in STAGES:
        t = 1 if t == 1 else expansion
        for i in range(n):
            x = blocks.mbconv(x, (3,), blocks.make_divisible(c * alpha), t, s if i == 0 else 1, 0.0,
                              "relu6", f"block_{block_id}")
            block_id += 1
    x = blocks.conv_bn(x, blocks.make_divisible(1280 * max(1.0, alpha)), 1, name="conv_last")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"mobilenet_v2_{alpha:0.2f}_{resolution}")
