"""Per-op differential tests: the engine against TFLite's reference kernels (BUILTIN_REF), byte for byte.

Every op in mcunets.engine.testing.BUILDERS gets randomized single-op models (shapes, strides,
paddings, dilations, groups, activations, and representative data of random range and offset so
quantization parameters vary), each run with random int8 inputs.  All cases are compiled into one
shared library, each with a variant holding new random weights and biases.  benchmarks/engine_ops.py runs the same check at 1,000+ runs per op.
"""

from __future__ import annotations

import numpy as np
import pytest

from mcunets.engine.testing import BUILDERS, check_cases, make_case, weight_variants
from mcunets.tflm import model_ops

MODELS_PER_OP = 4
RUNS_PER_MODEL = 3
OPS = sorted(BUILDERS)
# builders whose models may hold a sibling op instead of the one they are named after
ALSO = {"RELU": {"RELU6"}, "FULLY_CONNECTED_ACTIVATIONS": {"FULLY_CONNECTED"}}


@pytest.fixture(scope="module")
def checked():
    cases, by_op = [], {}
    for k, op in enumerate(OPS):
        rng = np.random.default_rng(1000 + k)
        by_op[op] = []
        for _ in range(MODELS_PER_OP):
            case = make_case(op, rng, runs=RUNS_PER_MODEL)
            by_op[op].append(case)
            cases += [case] + weight_variants(case, rng, 1, RUNS_PER_MODEL)  # + new weights, same model
    return by_op, check_cases(cases)


@pytest.mark.parametrize("op", OPS)
def test_models_contain_the_op(op, checked):
    by_op, _ = checked
    for case in by_op[op]:
        assert ({op} | ALSO.get(op, set())) & set(model_ops(case.model)), case.name


@pytest.mark.parametrize("op", OPS)
def test_op_is_bit_exact(op, checked):
    by_op, result = checked
    names = {c.name for c in by_op[op]}
    bad = [m for m in result.mismatches if m[0] in names]
    assert not bad, f"{len(bad)} mismatching runs, first: {bad[0][0]}"


def test_fully_connected_activation_weights_run_the_matmul_kernel(checked):
    """FULLY_CONNECTED whose weights are an activation lowers to BATCH_MATMUL's layer with both tensors as
    inputs, FULLY_CONNECTED's bias and single rounding, over the input flattened to [batches, depth]."""
    from mcunets.engine import ops
    from mcunets.engine.lower import lower
    from mcunets.engine.reader import read_model

    by_op, _ = checked
    for case in by_op["FULLY_CONNECTED_ACTIVATIONS"]:
        g = read_model(case.model)
        (op,) = [o for o in g.operators if o.op == "FULLY_CONNECTED"]
        x, w = (g.tensors[t] for t in op.inputs[:2])
        assert not w.is_const, case.name
        (layer,) = [la for la in lower(g) if la.index == op.index]
        assert isinstance(layer, ops.BatchMatMul) and layer.fully_connected, case.name
        assert layer.inputs == (x.index, w.index) and layer.rhs is None, case.name
        assert (layer.rows, layer.depth, layer.cols) == (x.size // w.shape[1], w.shape[1], w.shape[0]), case.name
        assert (layer.bias is not None) == case.params["bias"], case.name


def test_every_run_was_compared(checked):
    _, result = checked
    assert result.cases == 2 * len(OPS) * MODELS_PER_OP  # each model and its weight variant
    assert result.runs == 2 * len(OPS) * MODELS_PER_OP * RUNS_PER_MODEL


def test_weight_variants_change_weights_and_biases_but_not_axes():
    from mcunets.engine.reader import read_model

    rng = np.random.default_rng(5)
    for op in ("MEAN", "CONV_2D"):
        case = make_case(op, rng, runs=1)
        (variant,) = weight_variants(case, rng, 1, 1)
        g, v = read_model(case.model), read_model(variant.model)
        changed = {i for i, t in enumerate(g.tensors)
                   if t.data is not None and np.asarray(t.data).tobytes() != np.asarray(v.tensors[i].data).tobytes()}
        quantized_consts = {i for i, t in enumerate(g.tensors) if t.data is not None and len(t.scales)}
        assert changed == quantized_consts, op


def test_tanh_table_equals_the_reference_for_every_input():
    """TANH through its 256-entry table (quant.tanh_table): every int8 input on six input quantizations
    (random ranges and offsets), the table itself and the engine's outputs against the reference kernels."""
    import tensorflow as tf

    from mcunets.engine import quant
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, reference

    rng = np.random.default_rng(77)
    model = convert(lambda *xs: tuple(tf.math.tanh(x) for x in xs), [(1, 256)] * 6, rng)
    g = read_model(model)
    every = np.arange(-128, 128).astype(np.int8).reshape(1, 256)
    reference_outputs = reference(model, [every] * 6)
    tanh_ops = [op for op in g.operators if op.op == "TANH"]
    assert len(tanh_ops) == 6 and len(g.operators) == 6
    scales = set()
    for op in tanh_ops:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        scales.add((x.scale, x.zero_point))
        table = quant.tanh_table(x.scale, x.zero_point, y.scale, y.zero_point)
        want = reference_outputs[g.outputs.index(op.outputs[0])].reshape(-1)
        assert [table[v & 0xFF] for v in range(-128, 128)] == want.tolist()
    assert len(scales) == 6
    check = check_cases([Case("tanh every input", model, [[every] * 6, [every[:, ::-1].copy()] * 6])])
    assert check.runs == 2 and not check.mismatches



def test_leaky_relu_table_equals_the_reference_for_every_input():
    """LEAKY_RELU through its 256-entry table (quant.leaky_relu_table): every int8 input, slopes negative,
    small, near and above one (negative-side multipliers of both signs, shifts on both sides of zero),
    on random input ranges and offsets, against the reference kernels."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert

    rng = np.random.default_rng(78)
    alphas = [-1.7, -0.3, -0.01, 0.0, 0.02, 0.2, 0.99, 1.01, 2.5, 9.0]
    model = convert(lambda *xs: tuple(tf.nn.leaky_relu(x, alpha=a) for x, a in zip(xs, alphas)),
                    [(1, 256)] * len(alphas), rng)
    assert [op.op for op in read_model(model).operators] == ["LEAKY_RELU"] * len(alphas)
    every = np.arange(-128, 128).astype(np.int8).reshape(1, 256)
    check = check_cases([Case("leaky relu every input", model, [[every] * len(alphas)])])
    assert check.runs == 1 and not check.mismatches



def _every_input_tables(fn, count: int, seed: int, op_name: str, table, edit=None, rep_map=None, positive=False):
    """A model of ``count`` one-operator layers (fn per input, each its own random quantization), the
    engine's 256-entry table of each layer (``table(op, x, y)``) and the engine's outputs on every int8 input
    against the reference kernels; ``edit(sub, g)`` may rewrite quantization in the flatbuffer first.
    ``rep_map``: convert's map of the representative data; ``positive``: only the bytes at or above each
    input's zero point fed and compared (the reference stops on the others: RSQRT, SQRT)."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, reference

    rng = np.random.default_rng(seed)
    model = convert(lambda *xs: tuple(fn(i, x) for i, x in enumerate(xs)), [(1, 256)] * count, rng,
                    rep_map=rep_map)
    if edit is not None:
        buf = bytearray(model)
        edit(Model.GetRootAsModel(buf, 0).Subgraphs(0), read_model(model))
        model = bytes(buf)
    g = read_model(model)
    ops = [op for op in g.operators if op.op == op_name]
    assert len(ops) == count == len(g.operators)
    every = np.arange(-128, 128).astype(np.int8).reshape(1, 256)
    low = [g.tensors[g.inputs[k]].zero_point if positive else -128 for k in range(count)]
    feeds = [np.maximum(every, lo).astype(np.int8) for lo in low]  # in input order
    want = reference(model, feeds)
    quantizations = set()
    for op in ops:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        quantizations.add((x.scale, x.zero_point, y.scale, y.zero_point))
        t = table(op, x, y)
        lo = low[g.inputs.index(op.inputs[0])]
        got = want[g.outputs.index(op.outputs[0])].reshape(-1)[lo + 128:].tolist()
        assert [t[v & 0xFF] for v in range(lo, 128)] == got
    assert len(quantizations) == count
    check = check_cases([Case(f"{op_name} every input", model, [feeds, [f[:, ::-1].copy() for f in feeds]])])
    assert check.runs == 2 and not check.mismatches


def test_abs_table_equals_the_reference_for_every_input():
    """ABS through its 256-entry table (quant.abs_table): every int8 input on eight random quantizations,
    two of them rewritten so the output keeps the input's scale (the reference's no-rescale path) with a
    zero point that saturates, against the reference kernels."""
    import tensorflow as tf

    from mcunets.engine import quant

    def same_scale(sub, g):
        for k, op in enumerate(g.operators[:2]):
            qi, qo = sub.Tensors(op.inputs[0]).Quantization(), sub.Tensors(op.outputs[0]).Quantization()
            qo.ScaleAsNumpy()[0] = qi.ScaleAsNumpy()[0]
            qo.ZeroPointAsNumpy()[0] = (-128, -20)[k]

    _every_input_tables(lambda i, x: tf.abs(x), 8, 79, "ABS",
                        lambda op, x, y: quant.abs_table(x.scale, x.zero_point, y.scale, y.zero_point), same_scale)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_table_equals_the_reference_for_every_input(approximate):
    """GELU through its 256-entry table (quant.gelu_table, the erfc form or the tanh approximation): every
    int8 input on eight random quantizations, against the reference kernels."""
    import tensorflow as tf

    from mcunets.engine import quant

    _every_input_tables(lambda i, x: tf.nn.gelu(x, approximate=approximate), 8, 80 + approximate, "GELU",
                        lambda op, x, y: quant.gelu_table(bool(op.options.Approximate()), x.scale, x.zero_point,
                                                          y.scale, y.zero_point))


def _rewrite(zero_points=(), scales=()):
    """An ``edit`` for _every_input_tables: ``zero_points`` / ``scales`` as (layer, "input" or "output", value)."""
    def edit(sub, g):
        for items, field in ((zero_points, "ZeroPointAsNumpy"), (scales, "ScaleAsNumpy")):
            for k, which, value in items:
                op = g.operators[k]
                t = op.inputs[0] if which == "input" else op.outputs[0]
                getattr(sub.Tensors(t).Quantization(), field)()[0] = value

    return edit


def test_rsqrt_table_equals_the_reference_for_every_input():
    """RSQRT (layer norm's 1 / sqrt of the variance) through its table (quant.rsqrt_table, the reference's
    fixed-point inverse square root): every valid input byte (at or above the input zero point, the
    reference stops on the others) on eight random quantizations, two with input zero points rewritten and
    one with an output zero point that saturates."""
    import tensorflow as tf

    from mcunets.engine import quant
    from mcunets.engine.testing import positive

    _every_input_tables(lambda i, x: tf.math.rsqrt(x), 8, 83, "RSQRT",
                        lambda op, x, y: quant.rsqrt_table(x.scale, x.zero_point, y.scale, y.zero_point),
                        _rewrite([(0, "input", -1), (1, "input", 90), (2, "output", 100)]), positive, True)


def test_sqrt_table_equals_the_reference_for_every_input():
    """SQRT through its table (quant.sqrt_table: sqrtf, divided by the output scale and truncated): every
    valid input byte on eight random quantizations, two with input zero points rewritten."""
    import tensorflow as tf

    from mcunets.engine import quant
    from mcunets.engine.testing import positive

    _every_input_tables(lambda i, x: tf.math.sqrt(x), 8, 84, "SQRT",
                        lambda op, x, y: quant.sqrt_table(x.scale, x.zero_point, y.scale, y.zero_point),
                        _rewrite([(0, "input", 0), (1, "input", 64), (2, "output", -100)]), positive, True)


def test_exp_table_equals_the_reference_for_every_input():
    """EXP through its table (quant.exp_table, LUTPopulate of expf): every int8 input on eight random
    quantizations, one with an output scale a million times smaller and one with input scale 1, whose
    scaled exponentials leave int32 and reach expf's overflow to infinity (the reference saturates them
    to 127)."""
    import tensorflow as tf

    from mcunets.engine import quant
    from mcunets.engine.testing import bounded

    _every_input_tables(lambda i, x: tf.math.exp(x), 8, 85, "EXP",
                        lambda op, x, y: quant.exp_table(x.scale, x.zero_point, y.scale, y.zero_point),
                        _rewrite(scales=[(0, "output", 1e-9), (1, "input", 1.0)]), bounded)


def test_log_table_equals_the_reference_for_every_input():
    """LOG through its table (quant.log_table, LUTPopulate of logf, the output's lowest value for inputs of
    0 or less): every int8 input on eight random quantizations, two with input zero points rewritten so
    bytes below them take the lowest-value path."""
    import tensorflow as tf

    from mcunets.engine import quant
    from mcunets.engine.testing import positive

    _every_input_tables(lambda i, x: tf.math.log(x), 8, 86, "LOG",
                        lambda op, x, y: quant.log_table(x.scale, x.zero_point, y.scale, y.zero_point),
                        _rewrite([(0, "input", 0), (1, "input", 77), (1, "output", 20)]), positive)


def test_squared_difference_every_pair_is_bit_exact():
    """SQUARED_DIFFERENCE on every pair of int8 inputs (one broadcast 256 x 256 layer), with the converter's
    output scale (the fast requantization) and rewritten ones whose output multipliers take shift 0 (the
    portable requantization) and -1; an output scale so small that the multiplier reaches one is refused
    (TFLite's Prepare aborts on it)."""
    from tflite.Model import Model

    from mcunets.engine import generate
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import squared_difference_pairs
    from mcunets.errors import UnsupportedOpError

    case = squared_difference_pairs(np.random.default_rng(83))
    check = check_cases([case])
    assert check.runs == 1 and not check.mismatches
    g = read_model(case.model)
    buf = bytearray(case.model)
    t = Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(g.operators[1].outputs[0])
    t.Quantization().ScaleAsNumpy()[0] /= np.float32(1.5)  # multiplier 0.7 -> 1.05
    with pytest.raises(UnsupportedOpError, match="SQUARED_DIFFERENCE .*multiplier must be below one"):
        generate(bytes(buf), "m")


# one model per case with a layer per mode / flag (mcunets.engine.testing)
MODE_CASES = ["RESIZE_MODES", "RESIZE_BILINEAR_MODES", "TRANSPOSE_CONV_MODES", "MIRROR_PAD_MODES", "REDUCE_MAX_MODES",
              "GATHER_MODES", "REDUCE_MIN_MODES", "SPACE_BATCH_MODES", "BATCH_MATMUL_MODES",
              "FC_ATTENTION", "COMPARE_MODES", "CONV_WHERE"]


@pytest.mark.parametrize("op", MODE_CASES)
def test_every_mode_is_bit_exact(op):
    cases = [make_case(op, np.random.default_rng(2000 + seed), runs=2) for seed in range(2)]
    result = check_cases(cases)
    assert result.runs == 4 and not result.mismatches, [m[0] for m in result.mismatches]


def test_softmax_over_long_rows_is_bit_exact():
    """SOFTMAX over 300 to 2000 values (testing.softmax_rows): many equal maxima, narrow and wide scales."""
    from mcunets.engine.testing import softmax_rows

    result = check_cases([softmax_rows(np.random.default_rng(2200 + seed)) for seed in range(2)])
    assert result.runs == 4 and not result.mismatches, [m[0] for m in result.mismatches]


def test_uint8_input_and_output_are_bit_exact():
    """Models with uint8 input and output (QUANTIZE uint8 -> int8 and int8 -> uint8): the converter's own
    quantization (top bit flipped) and scales and zero points changed in the flatbuffer (requantized)."""
    from mcunets.engine.testing import uint8_io_case

    cases = [uint8_io_case(np.random.default_rng(seed)) for seed in range(6)]
    assert {"'rescale': True" in c.name for c in cases} == {True, False}
    result = check_cases(cases)
    assert result.runs == 12 and not result.mismatches, [m[0] for m in result.mismatches]


def test_uint8_to_uint8_quantize_is_refused():
    """A QUANTIZE between two uint8 tensors has no int8 side to run on: refused in one line."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    from mcunets.engine import generate
    from mcunets.engine.testing import uint8_io_case
    from mcunets.errors import McunetsError

    model = uint8_io_case(np.random.default_rng(0)).model
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    first = sg.operators[0]
    assert m.operatorCodes[first.opcodeIndex].builtinCode == schema.BuiltinOperator.QUANTIZE
    sg.tensors[first.outputs[0]].type = schema.TensorType.UINT8
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(McunetsError, match="uint8 to uint8 is not supported"):
        generate(bytes(b.Output()))


def test_depth_to_space_equals_tflm():
    """DEPTH_TO_SPACE (blocks 2-4, batches of 1 and 2) against TFLM's kernel (TFLite's reference_ops
    DepthToSpace): LiteRT's reference resolver has no int8 DEPTH_TO_SPACE, so the oracle of validate and
    profile (`run_reference`) runs such models in TFLM too."""
    from mcunets.tflm import run_reference, run_tflm

    rng = np.random.default_rng(2300)
    cases = [make_case("DEPTH_TO_SPACE", rng, runs=2) for _ in range(4)]
    assert all(model_ops(c.model) == ["DEPTH_TO_SPACE"] for c in cases)
    result = check_cases(cases, oracle=run_tflm)
    assert result.runs == 8 and not result.mismatches, [m[0] for m in result.mismatches]
    assert [a.tolist() for a in run_reference(cases[0].model, cases[0].inputs[0])] == \
        [a.tolist() for a in run_tflm(cases[0].model, cases[0].inputs[0])]


def test_softmax_exp_table_equals_the_reference_exponentials(tmp_path):
    """quant.softmax_exp_table (the table mcu_softmax_s8 reads) equals, for every difference 0 .. 255, the
    reference's per-value arithmetic in C (mcu_requantize to Q5.26, mcu_exp_on_negative_values_q5_26, 0
    below diff_min) over random input scales and betas, from narrow ones to ones whose diff_min cuts in."""
    import ctypes
    import subprocess

    from mcunets.engine import kernel_dir
    from mcunets.engine import quant as q
    from mcunets.engine.host import compiler

    src = tmp_path / "exp.c"
    src.write_text('#include "mcu_quant.h"\n'
                   "int32_t ref_exp(int32_t d, int32_t m, int32_t s, int32_t lo) {\n"
                   "    return -d < lo ? 0 : mcu_exp_on_negative_values_q5_26(mcu_requantize(-d, m, s));\n}\n")
    lib_path = tmp_path / "libexp.so"
    subprocess.run([compiler(), "-O2", "-std=c99", "-fPIC", "-shared", "-I", str(kernel_dir()), str(src), "-o",
                    str(lib_path)], check=True)
    ref = ctypes.CDLL(str(lib_path)).ref_exp
    ref.restype, ref.argtypes = ctypes.c_int32, [ctypes.c_int32] * 4
    rng = np.random.default_rng(2300)
    cut = 0
    for _ in range(300):
        scale = float(np.exp(rng.uniform(np.log(2e-4), np.log(50.0))))
        beta = float(rng.choice([1.0, rng.uniform(0.05, 8.0)]))
        p = q.softmax_params(scale, beta)
        if p["input_left_shift"] < 0:  # refused by the lowering
            continue
        cut += p["diff_min"] > -255
        want = [ref(d, p["input_multiplier"], p["input_left_shift"], p["diff_min"]) for d in range(256)]
        assert q.softmax_exp_table(**p) == want, (scale, beta, p)
    assert cut > 20


def test_sum_equals_tflm_and_the_reference_reading_int8_as_int8():
    """SUM (testing.reduce_modes) equals TFLite's reference QuantizedMeanOrSum (the int32 sum of x - input
    zero point requantized by input / output scale) with the int8 inputs read as int8, which is TFLM's
    kernel and the oracle `run_reference` uses for SUM models. LiteRT's reference kernel reads them as
    uint8 and clamps to 0..255 (LiteRT issue 4079, pending fix): pinned here, so a fixed LiteRT shows (then
    `run_reference` no longer needs TFLM for SUM)."""
    from mcunets.engine import quant
    from mcunets.engine.reader import read_model
    from mcunets.tflm import run_litert, run_reference, run_tflm

    cases = [make_case("SUM_MODES", np.random.default_rng(2100 + seed), runs=2) for seed in range(2)]
    result = check_cases(cases, oracle=run_tflm)
    assert result.runs == 4 and not result.mismatches, [m[0] for m in result.mismatches]

    g = read_model(cases[0].model)
    inputs = cases[0].inputs[0]
    assert [a.tolist() for a in run_reference(cases[0].model, inputs)] == \
        [a.tolist() for a in run_tflm(cases[0].model, inputs)]
    want = run_litert(cases[0].model, inputs)
    for op in g.operators:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        axes = tuple(sorted({int(a) % len(x.shape) for a in np.asarray(g.tensors[op.inputs[1]].data).reshape(-1)}))
        u = inputs[g.inputs.index(op.inputs[0])].view(np.uint8).astype(np.int64)
        sums = u.sum(axis=axes).reshape(-1)
        m, s = quant.ratio_multiplier(x.scale, y.scale)
        n = u.size // sums.size
        as_uint8 = [min(255, max(0, quant.requantize(int(v) - x.zero_point * n, m, s) + y.zero_point)) for v in sums]
        assert np.array(as_uint8, np.uint8).view(np.int8).tolist() == want[g.outputs.index(op.outputs[0])].reshape(-1).tolist()



def _engine_outputs(model: bytes, inputs) -> list:
    from mcunets.engine import generate
    from mcunets.engine.host import HostLibrary

    lib = HostLibrary([generate(model, "m", prefix="m")])
    try:
        return [lib.run("m", x) for x in inputs]
    finally:
        lib.close()


def test_reference_runs_only_sum_in_tflm():
    """A model with an int8 SUM runs its SUM in TFLM and its other operators in LiteRT's reference
    kernels (run_reference through run_split): TFLM's int8 TANH differs from LiteRT's reference at large
    input scales (here a ReLU convolution's output, scale 168.5), so the whole model in TFLM differs from
    the engine on every output (benchmarks/mixed_models.py seed 4036)."""
    import tensorflow as tf

    from mcunets.engine.testing import _weights, convert, random_input
    from mcunets.tflm import run_reference, run_split, run_tflm

    rng = np.random.default_rng(2401)
    f, b = tf.constant(_weights(rng, (3, 3, 4, 16)) * 300), tf.constant(_weights(rng, (16,)) * 300)
    model = convert(lambda x: tf.reduce_sum(tf.tanh(tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)), axis=[1, 2]),
                    [(1, 8, 8, 4)], rng)
    assert model_ops(model) == ["CONV_2D", "TANH", "SUM"]
    inputs = [[random_input(rng, "int8", (1, 8, 8, 4))] for _ in range(2)]
    for x, got in zip(inputs, _engine_outputs(model, inputs)):
        (want,) = run_reference(model, x)
        assert got[0].tobytes() == want.tobytes()
        assert (run_tflm(model, x)[0] != want).sum() == 16
        # the same as LiteRT's reference up to the TANH, then TFLM's SUM on its outputs
        assert run_split(model, x, ["litert", "litert", "tflm"])[0].tobytes() == want.tobytes()


def test_reference_runs_only_depth_to_space_in_tflm():
    """A model with an int8 DEPTH_TO_SPACE runs its per-channel FULLY_CONNECTED in LiteRT's reference
    kernels, which requantize with one rounding; TFLM's rounds twice (here -56 -> -57 on one output of one
    run), which the whole model in TFLM showed as a mismatch (benchmarks/mixed_models.py seed 3027)."""
    import tensorflow as tf

    from mcunets.engine.testing import _weights, convert, random_input, trained_like_requant
    from mcunets.tflm import run_reference, run_tflm

    rng = np.random.default_rng(2412)
    w = tf.constant(_weights(rng, (4, 64)))
    model = convert(lambda x: tf.matmul(tf.reduce_mean(tf.nn.depth_to_space(x, 2), axis=[1, 2]), w),
                    [(1, 4, 4, 16)], rng)
    model = trained_like_requant(model, rng)
    assert model_ops(model) == ["DEPTH_TO_SPACE", "MEAN", "FULLY_CONNECTED"]
    inputs = [[random_input(rng, "int8", (1, 4, 4, 16))] for _ in range(2)]
    differ = 0
    for x, got in zip(inputs, _engine_outputs(model, inputs)):
        (want,) = run_reference(model, x)
        assert got[0].tobytes() == want.tobytes()
        differ += int((run_tflm(model, x)[0] != want).sum())
    assert differ == 1


def _portable_cases(seed: int) -> list:
    """Convolutions through the gathered-patch kernel (mcu_conv_im2col_s8: patch lengths from 2 to over
    100, padded dot products reaching into the following filter rows, channel tails, SAME padding filled
    with the input zero point, dilation, strides), depthwise convolutions whose channels split into blocks
    of 32, 16, 8 and a tail, and FULLY_CONNECTED row blocks over several stack chunks with a head block (the
    64-bit host paths); each model converted and with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    # (kh, kw), in channels, out channels, stride, dilation, padding, input h x w
    convs = [((10, 4), 1, 16, 2, 1, "SAME", (13, 7)), ((3, 3), 3, 7, 1, 1, "SAME", (6, 5)),
             ((1, 2), 1, 16, 1, 1, "VALID", (5, 6)), ((3, 3), 5, 9, 2, 2, "SAME", (9, 8)),
             ((2, 3), 13, 5, 1, 1, "VALID", (4, 6)), ((3, 3), 16, 12, 1, 1, "SAME", (5, 7))]
    fcs = [(200, 14, 2), (516, 8, 1), (36, 13, 1)]  # input depth, output depth, batches
    # (kh, kw), channels, stride, dilation, padding, input h x w
    dws = [((3, 3), 61, 1, 1, "SAME", (5, 6)), ((3, 3), 40, 2, 1, "SAME", (7, 6)),
           ((5, 3), 24, 1, 2, "SAME", (9, 7)), ((3, 3), 8, 1, 1, "VALID", (6, 5))]
    conv_w = [(tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32))) for (kh, kw), c, o, *_ in convs]
    fc_w = [(tf.constant((rng.standard_normal((i, o)) * 0.3).astype(np.float32)),
             tf.constant(rng.standard_normal(o).astype(np.float32))) for i, o, _ in fcs]
    dw_w = [(tf.constant((rng.standard_normal((kh, kw, c, 1)) * 0.5).astype(np.float32)),
             tf.constant(rng.standard_normal(c).astype(np.float32))) for (kh, kw), c, *_ in dws]

    def fn(*xs):
        ys = [tf.nn.relu(tf.nn.conv2d(x, w, [1, s, s, 1], pad, dilations=[d, d]) + b)
              for x, (w, b), (_, _, _, s, d, pad, _) in zip(xs, conv_w, convs)]
        ys += [tf.matmul(x, w) + b for x, (w, b) in zip(xs[len(convs):], fc_w)]
        ys += [tf.nn.relu6(tf.nn.depthwise_conv2d(x, w, [1, s, s, 1], pad, dilations=[d, d]) + b)
               for x, (w, b), (_, _, s, d, pad, _) in zip(xs[len(convs) + len(fcs):], dw_w, dws)]
        return tuple(ys)

    specs = ([(1, h, w, c) for _, c, _, _, _, _, (h, w) in convs] + [(n, i) for i, _, n in fcs]
             + [(1, h, w, c) for _, c, _, _, _, (h, w) in dws])
    model = convert(fn, specs, rng)
    cases = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(3)]
        cases.append(Case(f"portable paths{'#rq' if j else ''}", m, inputs, {}))
    return cases


def test_portable_patch_conv_depthwise_and_wide_fc_paths_are_bit_exact():
    import re

    from mcunets.engine import generate

    cases = _portable_cases(9100)
    code = generate(cases[0].model, "m").files["model.c"]
    assert len(re.findall(r"mcu_conv_s8\(.*, \(ARENA \+ \d+\)[^,]*\);", code)) == 6  # each with scratch
    blocks = re.findall(r"mcu_fc_params l\d+_params = \{.*, (\d+), (\d+), (\w+)\};", code)
    # 200 -> 14, 516 -> 8, 36 -> 13: encoded (the host path decodes), head blocks of 2 rows and one row
    assert sorted((b, h) for b, h, _ in blocks) == [("12", "1"), ("12", "2"), ("6", "2")]
    assert all(n != "NULL" for *_, n in blocks)
    result = check_cases(cases)
    assert result.runs == 6
    assert not result.mismatches, [m[0] for m in result.mismatches]


@pytest.mark.parametrize("field", ["scale", "zeroPoint"])
def test_mirror_pad_with_another_output_quantization_is_refused(field):
    """MIRROR_PAD copies bytes: TFLite's reference refuses an int8 input whose quantization differs from the
    output's (mirror_pad.cc Prepare) and so does the engine, in one line (a shifted zero point's convolution
    before it gave such models; TFLM runs them)."""
    import flatbuffers
    import tensorflow as tf
    from ai_edge_litert import schema_py_generated as schema

    from mcunets.engine import generate
    from mcunets.engine.testing import _weights, convert, random_input
    from mcunets.errors import McunetsError
    from mcunets.tflm import run_litert

    rng = np.random.default_rng(4010)
    f, b = tf.constant(_weights(rng, (3, 3, 4, 8))), tf.constant(_weights(rng, (8,)))
    model = convert(lambda x: tf.pad(tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b), [[0, 0], [1, 1], [2, 0], [0, 0]],
                                     mode="REFLECT"), [(1, 5, 6, 4)], rng)
    generate(model)
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    (pad,) = [op for op in sg.operators if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.MIRROR_PAD]
    q = sg.tensors[pad.outputs[0]].quantization
    if field == "scale":
        q.scale = [float(np.float32(q.scale[0]) * np.float32(1.3))]
    else:
        q.zeroPoint = [int(q.zeroPoint[0]) + 5]
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    bad = bytes(builder.Output())
    with pytest.raises(RuntimeError, match="mirror_pad"):
        run_litert(bad, [random_input(rng, "int8", (1, 5, 6, 4))])
    with pytest.raises(McunetsError, match=r"^MIRROR_PAD \(node \d+\): the input must share the output's quantization$"):
        generate(bad)


def test_pack_of_inputs_with_other_quantizations_is_refused():
    """PACK copies bytes: TFLite's reference refuses int8 inputs whose quantization differs from the output's
    (pack.cc Prepare) and so does the engine, in one line (a ReLU convolution's output zero point shifted,
    stacked with its input: TFLM, the oracle of SUM models, ran such a model; the engine's copy crashed on
    qemu-m4, benchmarks/mixed_models.py seed 4009)."""
    import flatbuffers
    import tensorflow as tf
    from tensorflow.lite.python import schema_py_generated as schema

    from mcunets.engine import generate
    from mcunets.engine.testing import _weights, convert
    from mcunets.errors import McunetsError

    rng = np.random.default_rng(4009)
    f, b = tf.constant(_weights(rng, (1, 1, 4, 4))), tf.constant(_weights(rng, (4,)))
    model = convert(lambda x: tf.stack([x, tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)], 4), [(1, 3, 5, 4)], rng)
    generate(model)
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    conv = [op for op in sg.operators if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.CONV_2D]
    q = sg.tensors[conv[0].outputs[0]].quantization
    q.zeroPoint = [int(q.zeroPoint[0]) + 5]
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises(McunetsError, match=r"^PACK \(node \d+\): inputs must share the output's quantization$"):
        generate(bytes(builder.Output()))


def test_transpose_conv_phase_cases_are_bit_exact_on_host():
    """The cases of TRANSPOSE_CONV's phase paths (testing.transpose_conv_cases; the DSP path's on qemu-m4 in
    tests/test_engine_dsp.py) through the portable phase kernel."""
    from mcunets.engine.testing import transpose_conv_cases

    result = check_cases(transpose_conv_cases(7700))
    assert result.runs == 4 and not result.mismatches, [m[0] for m in result.mismatches]


def test_l2_normalization_rows_are_bit_exact():
    """L2_NORMALIZATION on rows reaching every branch of the reference's inverse square root (sums of
    squares 0, 1, 2, 3, small, random and the largest) at depths 1, 5 and 200; a fused activation or an
    output not in units of 1/128 is refused."""
    from tflite.Model import Model

    from mcunets.engine import generate
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import l2_normalization_rows
    from mcunets.errors import UnsupportedOpError

    case = l2_normalization_rows(np.random.default_rng(84))
    check = check_cases([case])
    assert check.runs == 2 and not check.mismatches, check.mismatches[:1]
    g = read_model(case.model)
    buf = bytearray(case.model)
    t = Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(g.operators[0].outputs[0])
    t.Quantization().ScaleAsNumpy()[0] = np.float32(1 / 64)
    with pytest.raises(UnsupportedOpError, match="L2_NORMALIZATION .*scale 1/128"):
        generate(bytes(buf), "m")


@pytest.mark.parametrize("kind", ["ARG_MAX", "ARG_MIN"])
def test_arg_max_min_keep_the_first_of_equal_values(kind):
    """ARG_MAX / ARG_MIN over rows of few distinct values (testing.arg_ties: every row has ties at its
    extreme, some rows are one value): the first index, as the reference's strict comparison keeps it (and
    numpy's); int32 and int64 outputs."""
    from mcunets.engine.testing import arg_ties, reference

    rng = np.random.default_rng(2400)
    cases = [arg_ties(kind, rng, out) for out in ("int32", "int64")]
    assert all(model_ops(c.model) == [kind] for c in cases)
    result = check_cases(cases)
    assert result.runs == 4 and not result.mismatches, [m[0] for m in result.mismatches]
    for c in cases:
        for (x,) in c.inputs:
            want = x.argmax(axis=-1) if kind == "ARG_MAX" else x.argmin(axis=-1)
            assert (reference(c.model, [x])[0] == want).all()


def test_log_softmax_rows_are_bit_exact():
    """LOG_SOFTMAX over 16 to 4095 values (testing.log_softmax_rows): input scales from 1/1000 to 2, rows with
    one to all values at the maximum; a row of 4096 values (the reference's Q12.19 sum may wrap) and an output
    not in units of 1/16 are refused."""
    from tflite.Model import Model

    from mcunets.engine import generate
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import log_softmax_rows, reference
    from mcunets.errors import UnsupportedOpError

    cases = [log_softmax_rows(np.random.default_rng(2300 + seed)) for seed in range(3)]
    result = check_cases(cases)
    assert result.runs == 6 and not result.mismatches, [m[0] for m in result.mismatches]
    # input scale 0.999 / 4: the input multiplier near 2^31, diff_min -124, whose Q5.26 value less the
    # logarithm of a sum of four maxima passes INT32_MIN: the reference's per-row bound gives -128
    edge = log_softmax_rows(np.random.default_rng(2310), runs=1, specs=((3, 64),), scales=(0.999 / 4,))
    row = np.array([127] * 4 + [3] * 30 + [4] * 30)
    edge.inputs = [[np.stack([row, np.roll(row, 7), np.minimum(row, 120)]).astype(np.int8)]]
    want = reference(edge.model, edge.inputs[0])[0]
    assert (want[0, 4:] == -128).all()  # far below the maximum; wrapped, the difference would give 127
    result = check_cases([edge])
    assert result.runs == 1 and not result.mismatches
    g = read_model(cases[0].model)
    buf = bytearray(cases[0].model)
    Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(g.operators[0].outputs[0]).Quantization() \
        .ScaleAsNumpy()[0] = np.float32(1 / 8)
    with pytest.raises(UnsupportedOpError, match="LOG_SOFTMAX .*scale 16/256"):
        generate(bytes(buf), "m")
    wide = log_softmax_rows(np.random.default_rng(2399), runs=1, specs=((1, 4096),))
    with pytest.raises(UnsupportedOpError, match="LOG_SOFTMAX .*4096 values"):
        generate(wide.model, "m")


@pytest.mark.parametrize("not_equal", [False, True])
def test_comparisons_rescale_each_input_as_the_reference(not_equal):
    """Every comparison of x and y * k (scales apart by up to 8x), of x and a constant scalar and of two inputs
    of scales below 2^-8 (neighbouring bytes compare equal), inputs near one another
    (testing.compare_values): both outcomes occur for every comparison over the runs (but perhaps x == t),
    and every byte
    equals the reference's; NOT_EQUAL as the EQUALs renamed."""
    from mcunets.engine.testing import compare_values, reference

    case = compare_values(np.random.default_rng(2500 + not_equal), runs=3, not_equal=not_equal)
    assert ("NOT_EQUAL" in model_ops(case.model)) == not_equal
    result = check_cases([case])
    assert result.runs == 3 and not result.mismatches, [m[0] for m in result.mismatches]
    outs = [reference(case.model, inputs) for inputs in case.inputs]
    mixed = [any(o[k].any() for o in outs) and not all(o[k].all() for o in outs) for k in range(len(outs[0]))]
    assert sum(mixed) >= len(mixed) - 1, mixed  # x == t may never hold: t's rescaled value between x's


def test_comparison_and_select_refusals_and_quantization():
    """An int8 comparison operand of scale 1 or more is refused in one line (the reference's rescaling
    shifts by a negative amount there); SELECT copies x's and y's bytes whatever the output's quantization,
    as the reference does (the engine's output equals it byte for byte with a moved output zero point)."""
    from tflite.Model import Model

    from mcunets.engine import generate
    from mcunets.engine.reader import read_model
    from mcunets.errors import UnsupportedOpError

    case = make_case("SELECT", np.random.default_rng(2600), runs=2)
    g = read_model(case.model)
    sel = next(op for op in g.operators if op.op == "SELECT")
    cmp = next(op for op in g.operators if op.op == "GREATER")
    buf = bytearray(case.model)
    tensors = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    tensors.Tensors(sel.outputs[0]).Quantization().ZeroPointAsNumpy()[0] += 5
    moved = bytes(buf)
    result = check_cases([replace_model(case, moved)])
    assert result.runs == 2 and not result.mismatches
    tensors.Tensors(cmp.inputs[0]).Quantization().ScaleAsNumpy()[0] = np.float32(1.5)
    with pytest.raises(UnsupportedOpError, match="GREATER .*scale 1.5 is 1 or more"):
        generate(bytes(buf), "m")


def replace_model(case, model):
    from dataclasses import replace

    return replace(case, model=model, name=case.name + " moved")


def test_reduce_prod_rows_are_bit_exact():
    """REDUCE_PROD of values of about unit spread (testing.reduce_prod_rows: rows of 3 over the last axis, 6
    and 5 values over a middle axis): outputs inside the int8 range, not only saturated, and every byte the
    reference's (its product rescaled after each multiplication, 64-bit MultiplyByQuantizedMultiplier); the
    same with a per-step multiplier near 2^-20 (total shifts of 32 or more)."""
    from mcunets.engine.testing import reduce_prod_rows, reference

    case = reduce_prod_rows(np.random.default_rng(2700))
    assert model_ops(case.model) == ["REDUCE_PROD"]
    result = check_cases([case])
    assert result.runs == 2 and not result.mismatches
    inside = [((o > -128) & (o < 127)).mean() for inputs in case.inputs for o in reference(case.model, inputs)]
    assert min(inside) > 0.5, inside
    from mcunets.engine.lower import lower
    from mcunets.engine.reader import read_model

    small = reduce_prod_rows(np.random.default_rng(2700), small_multiplier=True)
    assert max(layer.total_shift for layer in lower(read_model(small.model))) >= 32
    result = check_cases([small])
    assert result.runs == 2 and not result.mismatches


def test_bool_buffers_are_planned_in_bytes():
    """The comparisons' bool outputs are one byte per element in the memory plan (testing.compare_modes:
    bool buffers between comparisons, logical operators and selects, and as graph outputs), and the plan
    valid (planner.check_plan: no two live buffers overlap but where a layer allows it)."""
    from mcunets.engine.lower import lower
    from mcunets.engine.planner import check_plan, plan_memory
    from mcunets.engine.reader import read_model

    case = make_case("COMPARE_MODES", np.random.default_rng(2800), runs=1)
    g = read_model(case.model)
    layers = lower(g)
    plan = plan_memory(g, layers)
    check_plan(plan)
    bools = [t for t in range(len(g.tensors)) if g.tensors[t].dtype == "bool"]
    assert len(bools) >= 6
    sizes = {t: b.size for b in plan.buffers for t in b.tensors}
    assert all(sizes[t] == g.tensors[t].size for t in bools), [(sizes[t], g.tensors[t].size) for t in bools]
