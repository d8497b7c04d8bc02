"""MixNet-S.

Tan and Le, "MixConv: Mixed Depthwise Convolutional Kernels", BMVC 2019,
https://arxiv.org/abs/1907.09595.  MBConv blocks whose depthwise convolution is a MixConv: the
channels are split into groups, each filtered with its own kernel size (3×3, 5×5, 7×7), and
concatenated.  Stage layout of MixNet-S, with two simplifications for microcontrollers: kernel sets
are capped at 7×7 (MixNet-S also uses 9×9 and 11×11), and the expand/project 1×1 convolutions are not
grouped.  ``max_kernel`` caps them further: 5 keeps {3×3, 5×5}, 3 gives plain 3×3 depthwise blocks
(the paper's MixConv ablation, and a cheaper mix for small boards).  Blocks that use swish in the paper use ``activation`` (ReLU6 by default, or hard-swish); the
others use ReLU.
"""

from __future__ import annotations

import tf_keras as keras
from mcunets.zoo import blocks

# (repeats, depthwise kernels, expansion, filters out at α=1, first stride, SE ratio, swish block)
STAGES = (
    (1, (3,), 1, 16, 1, 0.0, False),
    (1, (3,), 3, 24, 2, 0.0, False),
    (1, (3,), 3, 24, 1, 0.0, False),
    (1, (3, 5, 7), 6, 40, 2, 0.5, True),
    (3, (3, 5), 6, 40, 1, 0.5, True),
    (1, (3, 5, 7), 6, 80, 2, 0.25, True),
    (2, (3, 5), 6, 80, 1, 0.25, True),
    (1, (3, 5, 7), 6, 120, 1, 0.5, True),
    (2, (3, 5, 7), 3, 120, 1, 0.5, True),
    (1, (3, 5, 7), 6, 200, 2, 0.5, True),
    (2, (3, 5, 7), 6, 200, 1, 0.5, True),
)
MIN_RESOLUTION = 32
MAX_KERNELS = (3, 5, 7)


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          activation: str = "relu6", dropout: float = 0.2, max_kernel: int = 7) -> keras.Model:
    """Build MixNet-S.

    Args:
        alpha: width multiplier α (filters rounded to multiples of 8).
        resolution: input height and width, ≥ 32.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        activation: activation of the swish blocks, ``relu6`` (default) or ``hard_swish``.
        dropout: dropout rate before the classifier (training only).
        max_kernel: the kernel mix: the largest depthwise kernel of any block, 3, 5 or 7 (default).
    """
    blocks.check_common("mixnet", alpha, resolution, channels, classes, MIN_RESOLUTION)
    blocks.check_activation("mixnet", activation)
    if max_kernel not in MAX_KERNELS:
        raise ValueError(f"mixnet: max_kernel must be one of {', '.join(map(str, MAX_KERNELS))}. "
                         f"Received max_kernel={max_kernel!r}")
    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(16 * alpha), 3, strides=2, act="relu", name="stem")
    block_id = 0
    for repeats, kernels, expansion, filters, stride, se_ratio, swish in STAGES:
        kernels = tuple(k for k in kernels if k <= max_kernel)
        for i in range(repeats):
            x = blocks.mbconv(x, kernels, blocks.make_divisible(filters * alpha), expansion,
                              stride if i == 0 else 1, se_ratio, activation if swish else "relu",
                              f"block{block_id}")
            block_id += 1
    x = blocks.conv_bn(x, blocks.make_divisible(1536 * alpha), 1, act=activation, name="top")
    outputs = blocks.classifier(x, classes, dropout)
    mix = "" if max_kernel == 7 else f"_k{max_kernel}"
    return keras.Model(inputs, outputs, name=f"mixnet_s{mix}_{alpha:0.2f}_{resolution}")
