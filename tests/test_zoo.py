"""The model zoo: argument validation, architecture facts, and every architecture through QAT and
int8 conversion to a model the real TFLM interpreter runs with exactly the reference output."""

import numpy as np
import pytest

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import convert, kernel_limits, qat, tflm, zoo
from mcunets.engine.reader import read_model
from mcunets.zoo import blocks

ARCHS = list(zoo.ARCHITECTURES)


def test_all_eight_architectures_are_registered():
    assert ARCHS == ["mobilenet", "mobilenet_v2", "shufflenet", "effnet", "squeezenet", "xception",
                     "efficientnet", "mixnet"]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0}, "alpha=0"),
    ({"alpha": -0.5}, "alpha=-0.5"),
    ({"resolution": 4}, "resolution=4"),
    ({"channels": 2}, "channels=2"),
    ({"classes": 1}, "classes=1"),
])
def test_bad_arguments_raise_value_error_naming_the_value(arch, kwargs, message):
    with pytest.raises(ValueError, match=message):
        zoo.build(arch, **kwargs)


@pytest.mark.parametrize("arch, kwargs, message", [
    ("shufflenet", {"groups": 5}, "groups=5"),
    ("efficientnet", {"phi": -1}, "phi=-1"),
    ("efficientnet", {"activation": "swish"}, "activation='swish'"),
    ("mixnet", {"activation": "gelu"}, "activation='gelu'"),
    ("mixnet", {"max_kernel": 9}, "max_kernel=9"),
    ("mobilenet_v2", {"expansion": 0}, "expansion=0"),
    ("xception", {"middle_blocks": -1}, "middle_blocks=-1"),
    ("effnet", {"filters": (64, 0)}, "filters="),
])
def test_arch_specific_arguments_are_validated(arch, kwargs, message):
    with pytest.raises(ValueError, match=message):
        zoo.build(arch, **kwargs)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture 'resnet'"):
        zoo.build("resnet")


@pytest.mark.parametrize("value, expected", [(8, 8), (6, 8), (10, 16), (16, 16), (60, 64), (182, 184), (2, 8)])
def test_make_divisible(value, expected):
    assert blocks.make_divisible(value) == expected


def _convs(model):
    from tf_keras import layers

    return [l for l in model.layers if isinstance(l, layers.Conv2D)]


def test_mobilenet_matches_mlperf_tiny_vww():
    """α=0.25, 96×96×3, 2 classes: 8-filter stem and 7.49 M MACs, as MLPerf Tiny's VWW model."""
    model = zoo.build("mobilenet", alpha=0.25, resolution=96, classes=2)
    assert _convs(model)[0].filters == 8
    assert zoo.count_macs(model) == 7_489_664
    assert model.output_shape == (None, 2)


@pytest.mark.parametrize("arch", ["mobilenet", "mobilenet_v2", "effnet", "squeezenet", "xception",
                                  "efficientnet", "mixnet"])
def test_channels_are_multiples_of_eight(arch):
    model = zoo.build(arch, alpha=0.35, resolution=64)
    convs = [l for l in _convs(model) if not l.name.startswith("classifier")]
    assert convs and all(l.filters % 8 == 0 for l in convs), [(l.name, l.filters) for l in convs]


def test_effnet_has_no_plain_first_convolution():
    model = zoo.build("effnet")
    first = _convs(model)[0]
    assert first.kernel_size == (1, 1)
    kinds = [(type(l).__name__, getattr(l, "kernel_size", getattr(l, "pool_size", None)),
              getattr(l, "strides", None)) for l in model.layers if "block1" in l.name and "_bn" not in l.name
             and "relu" not in l.name]
    assert kinds == [
        ("Conv2D", (1, 1), (1, 1)),
        ("DepthwiseConv2D", (1, 3), (1, 1)),
        ("MaxPooling2D", (2, 1), (2, 1)),
        ("DepthwiseConv2D", (3, 1), (1, 1)),
        ("Conv2D", (1, 1), (1, 2)),
    ]


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 8])
def test_shufflenet_groups(groups):
    from tf_keras import layers

    model = zoo.build("shufflenet", groups=groups, resolution=32)
    grouped = [l for l in _convs(model) if l.groups == groups]
    assert grouped, "group convolutions present"
    shuffles = [l for l in model.layers if isinstance(l, layers.Permute)]
    assert bool(shuffles) == (groups > 1)
    # 4-D with the batch: CMSIS-NN's TRANSPOSE handles no more (tests/test_tflm_kernels.py).
    assert all(len(l.output_shape) <= 4 for l in shuffles)
    pools = [l for l in model.layers if isinstance(l, layers.AveragePooling2D)]
    assert len(pools) == 3 and all(p.pool_size == (3, 3) for p in pools)


def test_efficientnet_compound_scaling():
    base = zoo.build("efficientnet", phi=0)
    scaled = zoo.build("efficientnet", phi=1)
    assert base.input_shape[1] == 96 and scaled.input_shape[1] == round(96 * 1.15)
    n_blocks = lambda m: len([l for l in m.layers if l.name.endswith("_project")])
    assert n_blocks(base) == 16 and n_blocks(scaled) == 16 + sum(
        int(np.ceil(r * 1.2)) - r for r in (1, 2, 2, 3, 3, 4, 1))
    assert any(l.name.endswith("_se_excite") for l in base.layers)


def test_mixnet_uses_mixed_kernels():
    from tf_keras import layers

    model = zoo.build("mixnet")
    kernels = {l.kernel_size for l in model.layers if isinstance(l, layers.DepthwiseConv2D)}
    assert {(3, 3), (5, 5), (7, 7)} <= kernels
    for cap in (3, 5):
        capped = zoo.build("mixnet", max_kernel=cap)
        kernels = {l.kernel_size for l in capped.layers if isinstance(l, layers.DepthwiseConv2D)}
        assert max(k for k, _ in kernels) == cap and len(kernels) == (cap - 1) // 2
        assert capped.count_params() < model.count_params()


def test_hard_swish_option_lowers_to_hard_swish():
    model_bytes, _ = convert.untrained_int8("efficientnet", resolution=32, classes=3,
                                           activation="hard_swish")
    assert "HARD_SWISH" in tflm.model_ops(model_bytes)
    _assert_tflm_matches_reference(model_bytes, samples=2)


def _io(model_bytes):
    graph = read_model(model_bytes)
    return graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]


def _assert_tflm_matches_reference(model_bytes, samples=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = _io(model_bytes)[0].shape
    for _ in range(samples):
        x = rng.integers(-128, 128, shape, dtype=np.int8)
        got = tflm.run_tflm(model_bytes, [x])
        want = tflm.run_reference(model_bytes, [x])
        assert [g.dtype for g in got] == [np.int8] * len(want)
        assert [g.tobytes() for g in got] == [w.tobytes() for w in want]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHS)
def test_qat_convert_and_tflm_bit_exact(arch):
    """Build at 32 px, train a few QAT steps, convert to int8 within the optimized kernels' limits, and run
    in TFLM == reference kernels."""
    import tf_keras as keras

    keras.utils.set_random_seed(1)
    model = zoo.build(arch, resolution=32, classes=3)
    q = qat.quantize_model(model)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (24, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 3, 24)
    q.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    before = [w.numpy().copy() for w in q.trainable_weights[:3]]
    q.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, q.trainable_weights[:3]))

    model_bytes = convert.to_int8_tflite(q, x[:4])
    ops = tflm.model_ops(model_bytes)
    assert not set(ops) & convert.DYNAMIC_SHAPE_OPS
    assert "CUSTOM" not in ops
    # Nothing the boards' optimized kernels (CMSIS-NN, ESP-NN) reject or mishandle, e.g. a 5-D TRANSPOSE.
    assert kernel_limits.violations(model_bytes) == []
    inp, out = _io(model_bytes)
    assert (inp.dtype, inp.shape) == ("int8", (1, 32, 32, 3))
    assert (out.dtype, out.shape) == ("int8", (1, 3))
    _assert_tflm_matches_reference(model_bytes)


def test_zoo_command_json_and_table():
    import json

    from click.testing import CliRunner

    from mcunets.cli import cli

    r = CliRunner().invoke(cli, ["zoo", "--arch", "effnet", "--resolution", "32", "--classes", "4", "--json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert row["arch"] == "effnet" and row["resolution"] == 32
    assert row["macs"] == zoo.count_macs(zoo.build("effnet", resolution=32, classes=4))
    assert row["tflite_bytes"] > row["params"] > 0 and row["tflm_arena_bytes"] > 32 * 32 * 3
    assert row["ops"][0] == "CONV_2D" and "SOFTMAX" in row["ops"]
    assert "[1/1] effnet" in r.stderr  # progress, one line per architecture
    r = CliRunner().invoke(cli, ["zoo", "--arch", "nope"])
    assert r.exit_code == 2 and "unknown architecture 'nope'" in r.output


def test_zoo_no_convert_gives_params_and_macs_of_every_architecture():
    import json

    from click.testing import CliRunner

    from mcunets.cli import cli

    r = CliRunner().invoke(cli, ["zoo", "--no-convert", "--resolution", "32", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [row["arch"] for row in rows] == ARCHS
    mobilenet = zoo.build("mobilenet", resolution=32)
    assert (rows[0]["params"], rows[0]["macs"]) == (mobilenet.count_params(), zoo.count_macs(mobilenet))
    assert all(row["tflite_bytes"] is row["tflm_arena_bytes"] is row["ops"] is None for row in rows)
    r = CliRunner().invoke(cli, ["zoo", "--no-convert", "--arch", "effnet", "--resolution", "32"])
    assert r.exit_code == 0 and r.stdout.splitlines()[-1].split()[3:] == ["-", "-", "-"], r.output


@pytest.mark.parametrize("args, fragment", [
    (["--alpha", "0"], "alpha=0"),
    (["--alpha", "-1"], "alpha=-1"),
    (["--alpha", "inf"], "at most 4"),
    (["--classes", "0"], "classes=0"),
    (["--resolution", "4"], "got 4"),
    (["--resolution", "100000"], "between 8 and 1024"),
    (["--resolution", "20", "--arch", "squeezenet", "--arch", "mobilenet"], "resolution=20"),
])
def test_zoo_rejects_bad_values_in_one_line_before_converting(args, fragment):
    from click.testing import CliRunner

    from mcunets.cli import cli

    r = CliRunner().invoke(cli, ["zoo", *args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit), repr(r.exception)
    errors = [line for line in r.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and fragment in errors[0], r.stderr
    assert "[1/" not in r.stderr  # nothing was converted
