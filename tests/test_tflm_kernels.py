"""The limits of TFLM's optimized kernels (CMSIS-NN, ESP-NN) that the reference kernels lack, and the
zoo's channel shuffle staying within them.  Every zoo architecture's conversion is checked against the
table in tests/test_zoo.py (test_qat_convert_and_tflm_bit_exact), which converts them anyway."""

from __future__ import annotations

import numpy as np
import pytest

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import kernel_limits
from mcunets.engine.reader import GraphInfo, OperatorInfo, TensorInfo


def _t(index, shape, dtype="int8", scales=(0.1,), data=None, qdim=0):
    return TensorInfo(index, f"t{index}", tuple(shape), dtype, tuple(scales), (0,) * len(scales), qdim, data)


def _graph(op, tensors, inputs, outputs=(None,)):
    outs = tuple(len(tensors) - 1 if o is None else o for o in outputs)
    return GraphInfo(tuple(tensors), (OperatorInfo(0, op, tuple(inputs), outs, None),), (0,), outs)


def _transpose(rank, dtype="int8"):
    shape = (1, 2, 3, 4, 5, 6)[:rank]
    perm = np.arange(rank, dtype=np.int32)[::-1].copy()
    return _graph("TRANSPOSE", [_t(0, shape, dtype), _t(1, (rank,), "int32", (), perm),
                                _t(2, shape[::-1], dtype)], (0, 1))


def test_transpose_of_five_dimensions_breaks_cmsis_nn_only():
    (line,) = kernel_limits.violations(_transpose(5))
    assert line.startswith("0 TRANSPOSE: cmsis-nn needs int8 transpose of at most 4 dimensions")
    assert "cmsis_nn/transpose.cc:30" in line
    assert kernel_limits.violations(_transpose(5), kernels=(kernel_limits.ESP_NN,)) == []
    for rank in (2, 3, 4):
        assert kernel_limits.violations(_transpose(rank)) == []
    # The float32 path of the CMSIS-NN kernel is TFLM's reference transpose: no rank limit there.
    assert kernel_limits.violations(_transpose(5, "float32")) == []


def test_convolution_limits():
    def conv(op, x_shape, w_shape, out_shape, w_dtype="int8", bias_dtype="int32", w_scales=(0.1,) * 8):
        return _graph(op, [_t(0, x_shape), _t(1, w_shape, w_dtype, w_scales, qdim=3 if op != "CONV_2D" else 0),
                           _t(2, (8,), bias_dtype), _t(3, out_shape)], (0, 1, 2))

    assert kernel_limits.violations(conv("CONV_2D", (1, 8, 8, 4), (8, 3, 3, 4), (1, 8, 8, 8))) == []
    assert kernel_limits.violations(conv("DEPTHWISE_CONV_2D", (1, 8, 8, 8), (1, 3, 3, 8), (1, 8, 8, 8))) == []
    bad_bias = kernel_limits.violations(conv("CONV_2D", (1, 8, 8, 4), (8, 3, 3, 4), (1, 8, 8, 8),
                                             bias_dtype="int64"))
    assert len(bad_bias) == 1 and "cmsis-nn, esp-nn needs int8 input and output, int8 filter, int32 bias" in bad_bias[0]
    assert any("4-D input" in line for line in
               kernel_limits.violations(conv("CONV_2D", (8, 8, 4), (8, 3, 3, 4), (1, 8, 8, 8))))
    assert any("one filter scale" in line for line in kernel_limits.violations(
        conv("DEPTHWISE_CONV_2D", (1, 8, 8, 8), (1, 3, 3, 8), (1, 8, 8, 8), w_scales=(0.1,) * 3)))


def test_broadcast_and_type_limits():
    add = _graph("ADD", [_t(0, (1, 1, 2, 3, 4)), _t(1, (1, 1, 1, 1, 4)), _t(2, (1, 1, 2, 3, 4))], (0, 1))
    assert any("broadcasting over at most 4" in line for line in kernel_limits.violations(add))
    same = _graph("ADD", [_t(0, (1, 1, 2, 3, 4)), _t(1, (1, 1, 2, 3, 4)), _t(2, (1, 1, 2, 3, 4))], (0, 1))
    assert kernel_limits.violations(same) == []
    mixed = _graph("MUL", [_t(0, (1, 4)), _t(1, (1, 4), "int16"), _t(2, (1, 4))], (0, 1))
    assert any("of one type" in line for line in kernel_limits.violations(mixed))
    softmax = _graph("SOFTMAX", [_t(0, (1, 4)), _t(1, (1, 4), "float32")], (0,))
    (line,) = kernel_limits.violations(softmax)
    assert line.startswith("0 SOFTMAX: cmsis-nn, esp-nn needs int8 input gives int8 or int16 output")


def _old_channel_shuffle(x, groups):
    """The zoo's shuffle before it was kept to 4-D: [1, H, W, g, C/g] → [1, H, W, C/g, g]."""
    from tf_keras import layers

    h, w, c = x.shape[1:]
    x = layers.Reshape((h, w, groups, c // groups))(x)
    x = layers.Permute((1, 2, 4, 3))(x)
    return layers.Reshape((h, w, c))(x)


@pytest.mark.parametrize("groups", [2, 3, 4, 8])
def test_channel_shuffle_is_the_same_permutation_in_four_dimensions(groups):
    import tf_keras as keras
    from tf_keras import layers

    from mcunets.zoo import blocks

    c = 3 * 8 * groups
    inp = keras.Input((5, 4, c))
    new = keras.Model(inp, blocks.channel_shuffle(inp, groups, "s"))
    old = keras.Model(inp, _old_channel_shuffle(inp, groups))
    x = np.random.default_rng(groups).standard_normal((2, 5, 4, c)).astype(np.float32)
    np.testing.assert_array_equal(new(x).numpy(), old(x).numpy())
    # Channel j·g + i of the output is channel i·C/g + j of the input.
    np.testing.assert_array_equal(new(x).numpy()[..., 1], x[..., c // groups])
    permutes = [l for l in new.layers if isinstance(l, layers.Permute)]
    assert len(permutes) == 1 and len(permutes[0].output_shape) <= 4  # batch included


def test_old_shuffle_converts_to_a_five_dimensional_transpose_the_checker_catches():
    """The real converter on both shuffles: the table reads TRANSPOSE's rank from the .tflite."""
    import tf_keras as keras
    from tf_keras import layers

    from mcunets import convert
    from mcunets.zoo import blocks

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (4, 6, 6, 3)).astype(np.float32)
    found = {}
    for name, shuffle in (("old", _old_channel_shuffle), ("new", lambda y, g: blocks.channel_shuffle(y, g, "s"))):
        inp = keras.Input((6, 6, 3))
        x = layers.Conv2D(12, 1)(inp)
        x = shuffle(x, 3)
        x = layers.Conv2D(4, 1)(x)
        model = keras.Model(inp, x)
        found[name] = kernel_limits.violations(convert.to_int8_tflite(model, images))
    assert len(found["old"]) == 1 and "TRANSPOSE" in found["old"][0]
    assert found["new"] == []
