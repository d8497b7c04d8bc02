"""ShuffleNet v1.

Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices",
2017, https://arxiv.org/abs/1707.01083.  Units of 1×1 group convolution → channel shuffle → 3×3
depthwise → 1×1 group convolution.  A stride-1 unit adds its input back; a stride-2 unit concatenates
a 3×3 average-pooled shortcut.  The first 1×1 convolution of the network is not grouped (its input
has few channels), as in the paper.
"""

from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from mcunets.zoo import blocks

# Output filters of stage 2 at α=1 per group count g (the paper's Table 1); stages 3 and 4 double it.
STAGE2_FILTERS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
REPEATS = (4, 8, 4)  # units per stage, the first of each with stride 2
MIN_RESOLUTION = 32


def shuffle_unit(x, filters: int, groups: int, stride: int, first_grouped: bool, name: str):
    in_filters = x.shape[-1]
    step = blocks.lcm(8, groups)
    out = filters - in_filters if stride == 2 else filters
    bottleneck = blocks.make_divisible(filters / 4, step)
    y = blocks.conv_bn(x, bottleneck, 1, act="relu", name=f"{name}_gconv1",
                       groups=groups if first_grouped else 1)
    if groups > 1:
        y = blocks.channel_shuffle(y, groups, f"{name}_shuffle")
    y = blocks.depthwise_bn(y, 3, stride, act=None, name=f"{name}_dw")
    if stride == 2:
        # ReLU on the branch before concatenation equals ReLU after it: the pooled shortcut averages
        # the previous unit's ReLU output and is never negative.
        y = blocks.conv_bn(y, out, 1, act="relu", name=f"{name}_gconv2", groups=groups)
        shortcut = layers.AveragePooling2D(3, 2, padding="same", name=f"{name}_pool")(x)
        return layers.Concatenate(name=f"{name}_concat")([shortcut, y])
    y = blocks.conv_bn(y, out, 1, act=None, name=f"{name}_gconv2", groups=groups)
    y = layers.Add(name=f"{name}_add")([x, y])
    return layers.ReLU(name=f"{name}_relu")(y)


def build(alpha: float = 0.25, resolution: int = 96, channels: int = 3, classes: int = 10,
          groups: int = 3, dropout: float = 0.0) -> keras.Model:
    """Build ShuffleNet v1.

    Args:
        alpha: width multiplier α; filters are rounded to multiples of lcm(8, groups).
        resolution: input height and width, ≥ 32.
        channels: input channels, 1 or 3.
        classes: number of output classes, ≥ 2.
        groups: groups g of the 1×1 group convolutions, one of 1, 2, 3, 4, 8.
        dropout: dropout rate before the classifier (training only).
    """
    blocks.check_common("shufflenet", alpha, resolution, channels, classes, MIN_RESOLUTION)
    if groups not in STAGE2_FILTERS:
        raise ValueError(f"shufflenet: groups must be one of 1, 2, 3, 4, 8. Received groups={groups}")
    step = blocks.lcm(8, groups)
    inputs = blocks.model_input(resolution, channels)
    x = blocks.conv_bn(inputs, blocks.make_divisible(24 * alpha, step), 3, strides=2, act="relu",
                       name="conv1")
    x = layers.MaxPooling2D(3, 2, padding="same", name="conv1_pool")(x)
    for stage, repeats in enumerate(REPEATS):
        filters = blocks.make_divisible(STAGE2_FILTERS[groups] * 2**stage * alpha, step)
        for i in range(repeats):
            x = shuffle_unit(x, filters, groups, 2 if i == 0 else 1,
                             first_grouped=not (stage == 0 and i == 0), name=f"stage{stage + 2}_unit{i + 1}")
    outputs = blocks.classifier(x, classes, dropout)
    return keras.Model(inputs, outputs, name=f"shufflenet_g{groups}_{alpha:0.2f}_{resolution}")
