"""EfficientNet-B0 with compound scaling.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", 2019,
https://arxiv.org/abs/1905.11946.  MBConv blocks with squeeze-and-excitation, laid out by the B0 stage
table; compound scaling by φ multiplies depth by 1.2^φ, width by 1.1^φ and resolution by 1.15^φ,
on top of the width multiplier α.  The activation is ReLU6 by default (integer-friendly on
microcontrollers); ``activation="hard_swish"`` approximates the paper's swish.
"""

from __future__ import annotations

import math

import tf_keras as keras
from mcunets.zoo import blocks

# (kernel, repeats, filters in, filters out, expansion, first stride, SE ratio), B0's Table 1
STAGES = (
    (3, 1, 32, 16, 1, 1, 0.25),
    (3, 2, 16, 24, 6, 2, 0.25),
    (5, 2, 24, 40, 6, 2, 0.25),
    (3, 3, 40, 80, 6, 2, 0.25),
    (5, 3, 80, 112, 6, 1, 0.25),
    (5, 4, 112, 192, 6, 2, 0.25),
    (3, 1, 192, 320, 6, 1, 0.25),
)
MIN_RESOLUTION = 32


def scaled_resolution(resolution: int, phi: float) -> int:
    """Input resolution after compound scaling: resolution × 1.15^φ, rounded."""
    return int(round(resolution * 1.15**phi))


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          phi: float = 0.0, activation: str = "relu6", dropout: float = 0.2) -> keras.Model:
    """Build EfficientNet-B0 scaled by φ and α.

    Args:
        alpha: width multiplier α, applied on top of 1.1^φ (filters rounded to multiples of 8).
        resolution: base input height and width; the model's input is resolution × 1.15^φ, ≥ 32.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        phi: compound scaling coefficient φ ≥ 0 (B0 is φ = 0).
        activation: ``relu6`` (default) or ``hard_swish``.
        dropout: dropout rate before the classifier (training only).
    """
    if not isinstance(phi, (int, float)) or phi < 0:
        raise ValueError(f"efficientnet: phi must be ≥ 0. Received phi={phi}")
    blocks.check_activation("efficientnet", activation)
    rows = scaled_resolution(resolution, phi) if isinstance(resolution, int) else resolution
    blocks.check_common("efficientnet", alpha, rows, channels, classes, MIN_RESOLUTION)
    width = alpha * 1.1**phi
    depth = 1.2**phi

    inputs = blocks.model_input(rows, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(32 * width), 3, strides=2, act=activation,
                       name="stem")
    block_id = 0
    for kernel, repeats, _, filters, expansion, stride, se_ratio in STAGES:
        for i in range(int(math.ceil(repeats * depth))):
            x = blocks.mbconv(x, (kernel,), blocks.make_divisible(filters * width), expansion,
                              stride if i == 0 else 1, se_ratio, activation, f"block{block_id}")
            block_id += 1
    x = blocks.conv_bn(x, blocks.make_divisible(1280 * width), 1, act=activation, name="top")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"efficientnet_phi{phi:g}_{alpha:0.2f}_{rows}")
