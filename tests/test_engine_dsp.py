"""The Cortex-M DSP kernel paths (firmware/engine/*_dsp_s8.c) on qemu-m4 (and qemu-m7) against TFLite's
reference kernels, byte for byte: randomized chains of 1x1 convolutions, 3x3 depthwise convolutions (stride 1
and 2), k x k convolutions and 3x3 first convolutions, built for the emulated Cortex-M4F where
__ARM_FEATURE_DSP is defined. The host runs of tests/test_engine_ops.py cover the portable paths of the same kernels.
Depthwise chains run on qemu-m4 once each, as converted or trained-like in turn (their host twins run
both); `MCUNETS_FULL_QEMU=1 make test` runs both on qemu-m4 too.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
import shutil

import numpy as np
import pytest

from mcunets.engine.testing import make_case, reference

pytestmark = pytest.mark.skipif(
    not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
    reason="needs gcc-arm-none-eabi and qemu-system-arm",
)

MODELS = 6
RUNS = 3


@pytest.fixture(autouse=True)
def _keep_post_channels(monkeypatch):
    """Trained-like channels keep their post-shift zero point add (ops.POST_FREE off), so these tests reach
    the kernels' post variants; test_post_free_layers_are_bit_exact_on_qemu runs the rewrite."""
    from mcunets.engine import ops

    monkeypatch.setattr(ops, "POST_FREE", False)


@pytest.fixture
def ring_rows(monkeypatch):
    """Stride-1 3x3 depthwise layers on the ring rows at every map size (ops.S1_WORDS_PIXELS 0, else small
    maps run four channels per word): the tests of the rows on small maps, which the patch-stage tiles and
    the chunks of larger layers run."""
    from mcunets.engine import ops

    monkeypatch.setattr(ops, "S1_WORDS_PIXELS", 0)


def check_on_qemu(case, build_dir, board: str = "qemu-m4", oracle=reference) -> list:
    """The case's name per run whose outputs on ``board`` differ from the reference kernels' (or
    ``oracle``'s; the firmware linked with the kernels compiled once per session: :func:`validate_on_board`)."""
    from mcunets.engine.testing import validate_on_board

    got = validate_on_board(case.model, board, case.inputs, build_dir)
    bad = []
    for inputs, outs in zip(case.inputs, got):
        want = [w.tobytes() for w in oracle(case.model, inputs)]
        if outs != want:
            bad.append(case.name)
    return bad


def _alternating(cases) -> list:
    """``cases`` with each chain of :func:`_depthwise_chain_cases` (built as converted and as trained-like,
    adjacent) taken once, the two quantizations alternating over the chains; MCUNETS_FULL_QEMU=1 keeps
    both (the host twins of these tests always run both)."""
    if os.environ.get("MCUNETS_FULL_QEMU") == "1":
        return list(cases)
    out, i, k = [], 0, 0
    while i < len(cases):
        if i + 1 < len(cases) and cases[i + 1].name == cases[i].name + " trained-like":
            out.append(cases[i + k % 2])
            i, k = i + 2, k + 1
        else:
            out.append(cases[i])
            i += 1
    return out


def _bad_on_qemu(cases, tmp_path) -> list:
    """:func:`check_on_qemu` over ``cases`` (:func:`_alternating`), each built in its own folder."""
    return [name for i, case in enumerate(_alternating(cases)) for name in check_on_qemu(case, tmp_path / str(i))]


@pytest.mark.parametrize("seed", range(MODELS))
def test_dsp_paths_are_bit_exact_on_qemu(seed, tmp_path):
    case = make_case("DSP_CHAIN", np.random.default_rng(7000 + seed), runs=RUNS)
    assert not check_on_qemu(case, tmp_path), case.name


@pytest.mark.parametrize("seed", range(3))
def test_dsp_paths_are_bit_exact_on_the_cortex_m7(seed, tmp_path):
    """The same kernels built for the Cortex-M7 (qemu-m7: the stm32f746/h743 core)."""
    case = make_case("DSP_CHAIN", np.random.default_rng(7100 + seed), runs=RUNS)
    assert not check_on_qemu(case, tmp_path, "qemu-m7"), case.name


def _first_conv_cases(seed: int, count: int):
    """3x3 first convolutions on 1, 2 and 3 input channels (the 3x3 row path, every (depth, stride)
    assembly variant): one model with three inputs, each convolved with stride 1 or 2 (alternating over
    the models), a random padding, activation, odd or even output channel count and width, the 3-channel
    one followed by a 1x1 layer; each model also with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    cases = []
    for i in range(count):
        shapes, layers = [], []
        for c in (1, 2, 3):
            h, w = int(rng.integers(3, 12)), int(rng.integers(3, 12))
            o = int(rng.choice([3, 4, 5, 8, 16]))
            layers.append((tf.constant((rng.standard_normal((3, 3, c, o)) * 0.4).astype(np.float32)),
                           tf.constant(rng.standard_normal(o).astype(np.float32)), 1 + (i + c) % 2,
                           str(rng.choice(["SAME", "VALID"])), str(rng.choice(list(acts)))))
            shapes.append((1, h, w, c))
        pw = tf.constant((rng.standard_normal((1, 1, layers[2][0].shape[3], 5)) * 0.3).astype(np.float32))

        def make(layers, pw):
            def fn(*xs):
                ys = [acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], pad) + b)
                      for x, (wt, b, s, pad, act) in zip(xs, layers)]
                return ys[0], ys[1], tf.nn.conv2d(ys[2], pw, [1, 1, 1, 1], "VALID")
            return fn

        model = convert(make(layers, pw), shapes, rng)
        desc = [(sh[1:], int(l[0].shape[3]), l[2], l[3], l[4]) for sh, l in zip(shapes, layers)]
        for j, m in enumerate((model, trained_like_requant(model, rng))):
            from mcunets.engine.reader import read_model

            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
            cases.append(Case(f"first conv {desc}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def test_first_conv_row_path_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_first_conv_cases(7100, 2), tmp_path)
    assert not bad, bad


def test_first_conv_row_path_without_the_table_is_bit_exact_on_qemu(tmp_path, monkeypatch):
    """The 3x3 row path with mcu_conv_params.table NULL (a caller without the code generator's table):
    the kernel fills the doubled weights and requantization tables into its scratch."""
    from mcunets.engine import ops

    monkeypatch.setattr(ops.Conv2D, "rows3", property(lambda self: False))
    bad = _bad_on_qemu(_first_conv_cases(7120, 1), tmp_path)
    assert not bad, bad


def test_first_conv_row_path_is_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_first_conv_cases(7150, 4))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _first_conv_c1_cases(seed: int):
    """3x3 convolutions on one input channel (mcu_conv_3x3_c1_dsp_s8, odd output channel counts too): one
    model of twelve inputs, heights and widths 1 to 13 (odd and even), strides 1 and 2 along each axis, SAME and VALID, ReLU (every second one clamping above
    -128 after the zero point shift), ReLU6 and none, odd output channel counts beside even ones; each
    model also with trained-like quantization (zero points added after the shift)."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    specs = []
    for i in range(12):
        pad = str(rng.choice(["SAME", "VALID"]))
        lo = 3 if pad == "VALID" else 1
        h, w = int(rng.integers(lo, 14)), int(rng.integers(lo, 14))
        o = int(rng.choice([2, 4, 6, 8, 10, 16])) if i % 4 else int(rng.choice([3, 5]))
        s = (int(rng.integers(1, 3)), 1 + i % 2)
        specs.append((o, s, pad, "relu" if i % 3 else str(rng.choice(list(acts))), (h, w)))
    layers = [(tf.constant((rng.standard_normal((3, 3, 1, o)) * 0.4).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), s, pad, act)
              for o, s, pad, act, _ in specs]

    def fn(*xs):
        return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s[0], s[1], 1], pad) + b)
                     for x, (wt, b, s, pad, act) in zip(xs, layers))

    model = convert(fn, [(1, h, w, 1) for *_, (h, w) in specs], rng)
    model = _shift_zero_points(model, rng, "CONV_2D", every=2)
    cases = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        cases.append(Case(f"first conv c1 {specs}{'#rq' if j else ''}", m, inputs, {}))
    return cases


@pytest.mark.parametrize("seed", [7160, 7161])
def test_first_conv_one_channel_path_is_bit_exact_on_qemu(tmp_path, seed):
    bad = _bad_on_qemu(_first_conv_c1_cases(seed), tmp_path)
    assert not bad, bad


def test_first_conv_one_channel_path_in_a_patch_stage_is_bit_exact_on_qemu(tmp_path):
    """The one-channel 3x3 path on tiles read in place from the stage's input map (in_row, out_row): a
    grayscale image whose first layer (stride 1, 16 channels, ReLU6) the default schedule runs patch by
    patch; as converted and with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine import generate
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(7170)
    w1 = tf.constant((rng.standard_normal((3, 3, 1, 16)) * 0.4).astype(np.float32))
    dw = tf.constant((rng.standard_normal((3, 3, 16, 1)) * 0.4).astype(np.float32))
    w2 = tf.constant((rng.standard_normal((1, 1, 16, 16)) * 0.3).astype(np.float32))

    def fn(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"))
        y = tf.nn.relu(tf.nn.depthwise_conv2d(y, dw, [1, 2, 2, 1], "SAME"))
        return tf.reduce_mean(tf.nn.relu(tf.nn.conv2d(y, w2, [1, 1, 1, 1], "VALID")), axis=[1, 2])

    model = convert(fn, [(1, 97, 95, 1)], rng)
    bad = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        mc = generate(m, "m").files["model.c"]
        assert "over layers 0-" in mc and re.search(r"l0_rows3\[(\d+)\]", mc).group(1) == "145"
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        bad += check_on_qemu(Case(f"first conv c1 stage{'#rq' if j else ''}", m, inputs, {}), tmp_path / str(j))
    assert not bad, bad


def test_first_conv_one_channel_cases_are_bit_exact_on_host():
    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    cases = _first_conv_c1_cases(7160) + _first_conv_c1_cases(7161)
    # most layers carry the one-channel table (ops.rows3c1_table: 18 words per channel pair after the flag)
    sizes = [[int(n) for n in re.findall(r"l\d+_rows3\[(\d+)\]", generate(c.model, "m").files["model.c"])]
             for c in cases]
    assert all(sum(n % 18 == 1 for n in ns) >= 6 for ns in sizes), sizes
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _first_kxk_cases(seed: int):
    """k x k first convolutions other than those of the 3x3 row paths (mcu_conv_first_dsp_s8): one model of
    twelve inputs on 1, 2 and 3 channels, kernels 5x5, 3x1, 1x3, 10x4, 7x7, 3x2 and 2x2, strides 1 and 2
    along each axis (3 along the width once), SAME and VALID, odd and
    even sizes, output counts 2 to 16 (odd ones too), ReLU (every second one clamping above -128 after the
    zero point shift), ReLU6 and none; each model also with trained-like quantization (zero points after
    the shift, near-dead channels, shifts below -31)."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    kernels = [((5, 5), 1), ((3, 1), 1), ((1, 3), 1), ((10, 4), 1), ((7, 7), 1), ((3, 2), 1), ((2, 2), 1),
               ((5, 5), 3), ((7, 7), 3), ((5, 5), 2), ((1, 3), 3), ((3, 1), 2)]
    specs = []
    for i, ((kh, kw), c) in enumerate(kernels):
        pad = str(rng.choice(["SAME", "VALID"]))
        h, w = int(rng.integers(kh, kh + 9)), int(rng.integers(kw, kw + 9))
        o = int(rng.choice([3, 5, 7])) if i % 3 == 0 else int(rng.choice([2, 4, 8, 16]))
        s = (int(rng.integers(1, 3)), 3 if i == 4 else 1 + i % 2)
        specs.append(((kh, kw), c, o, s, pad, "relu" if i % 3 else str(rng.choice(list(acts))), (h, w)))
    layers = [(tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), s, pad, act)
              for (kh, kw), c, o, s, pad, act, _ in specs]

    def fn(*xs):
        return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s[0], s[1], 1], pad) + b)
                     for x, (wt, b, s, pad, act) in zip(xs, layers))

    model = convert(fn, [(1, h, w, c) for _, c, *_, (h, w) in specs], rng)
    model = _shift_zero_points(model, rng, "CONV_2D", every=2)
    cases = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        cases.append(Case(f"first kxk {specs}{'#rq' if j else ''}", m, inputs, {}))
    return cases


@pytest.mark.parametrize("seed", [7170, 7171])
def test_first_conv_kxk_path_is_bit_exact_on_qemu(tmp_path, seed):
    from mcunets.engine import generate

    cases = _first_kxk_cases(seed)
    assert len(re.findall(r"l\d+_first\[", generate(cases[0].model, "m").files["model.c"])) >= 10
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_first_conv_kxk_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_first_kxk_cases(7172))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_depthwise_row_kernels_are_bit_exact_on_qemu(tmp_path, ring_rows):
    """The 3x3 depthwise assembly loops: stride 1 and 2, odd and even output widths (pair loop and the
    single-output tail), SAME and VALID padding, every ring rotation (more than three output rows),
    clamp modes from relu / relu6 / none (relu+: act_min above -128), stride-1 widths of every remainder
    mod 4 (the four-output loop and its pair / single-output tails), and a 1x1 layer after each."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(7200)
    acts = {"relu": tf.nn.relu, "relu+": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    bad = []
    for h, w, c, stride, pad, act in [(9, 7, 8, 1, "SAME", "relu"), (10, 11, 12, 2, "SAME", "none"),
                                      (8, 9, 4, 2, "VALID", "relu6"), (7, 6, 16, 1, "VALID", "none"),
                                      (5, 5, 8, 2, "SAME", "relu"), (6, 5, 8, 1, "SAME", "relu+"),
                                      (5, 10, 4, 1, "SAME", "relu+"), (4, 3, 8, 1, "VALID", "relu+"),
                                      (6, 9, 8, 1, "SAME", "none")]:
        dw = tf.constant(rng.normal(size=(3, 3, c, 1)).astype(np.float32) * 0.5)
        b = tf.constant(rng.normal(size=(c,)).astype(np.float32))
        pw = tf.constant(rng.normal(size=(1, 1, c, 8)).astype(np.float32) * 0.3)

        def make(dw, b, pw, stride, pad, act):
            def fn(x):
                y = acts[act](tf.nn.depthwise_conv2d(x, dw, strides=[1, stride, stride, 1], padding=pad) + b)
                return tf.nn.conv2d(y, pw, strides=[1, 1, 1, 1], padding="VALID")
            return fn

        model = convert(make(dw, b, pw, stride, pad, act), [(1, h, w, c)], rng, float_io=False)
        if act == "relu+":
            model = _shift_zero_points(model, rng)
        inputs = [[random_input(rng, "int8", (1, h, w, c))] for _ in range(RUNS)]
        bad += check_on_qemu(Case(f"dw {h}x{w}x{c} s{stride} {pad} {act}", model, inputs, {}), tmp_path)
    assert not bad, bad


def test_dsp_paths_are_taken(tmp_path):
    """The generated layers carry fast_requant = 1 and DSP scratch, so the chains exercise the DSP code."""
    from mcunets.engine import generate

    case = make_case("DSP_CHAIN", np.random.default_rng(7000), runs=1)
    gen = generate(case.model, "m")
    assert any(l.scratch_bytes > 0 for l in gen.layers)
    import re

    flags = re.findall(r"mcu_(?:dw_)?conv_params l\d+_params = \{.*, (\d), (?:NULL|l\w+)(?:, -?\d+){0,2}\};", gen.files["model.c"])
    assert flags and all(f == "1" for f in flags)


def _requant_cases(seeds, variants=2):
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, random_input, trained_like_requant

    cases = []
    for seed in seeds:
        rng = np.random.default_rng(9000 + seed)
        base = make_case("DSP_CHAIN", rng, runs=1)
        for v in range(variants):
            model = trained_like_requant(base.model, rng, positive=0.05 if v else 0.0)
            g = read_model(model)
            inputs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs]
                      for _ in range(RUNS)]
            cases.append(Case(f"{base.name}#rq{v}", model, inputs))
    return cases


@pytest.mark.parametrize("seed", range(2))
def test_requantization_over_the_full_shift_range_on_qemu(seed, tmp_path):
    """Trained-like quantization (shifts -31 .. -1, near-dead channels with multiplier 0, a few positive
    shifts, biases sized so outputs vary): the DSP requantization must match for every channel, its
    large right shifts included (the zero point is then added after the shift)."""
    import re

    from mcunets.engine import generate

    cases = _requant_cases([seed])
    fast = [f for c in cases for f in re.findall(r"mcu_(?:dw_)?conv_params l\d+_params = \{.*, (\d), (?:NULL|l\w+)(?:, -?\d+){0,2}\};",
                                                   generate(c.model, "m").files["model.c"])]
    assert fast.count("1") >= len(fast) // 2  # the wide shifts stay on the DSP paths
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_requantization_over_the_full_shift_range_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_requant_cases(range(4)))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_fully_connected_dsp_path_is_bit_exact_on_qemu(tmp_path):
    """FULLY_CONNECTED on the DSP path (four rows per pass, row and depth tails, batches, the input
    offset folded into the bias, SMLAL single-rounding requantization), converted and trained-like."""
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, random_input, trained_like_requant

    bad = []
    for seed in range(3):
        rng = np.random.default_rng(500 + seed)
        base = make_case("FULLY_CONNECTED", rng, runs=2)
        model = trained_like_requant(base.model, rng)
        g = read_model(model)
        inputs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs]
                  for _ in range(2)]
        bad += check_on_qemu(base, tmp_path / f"b{seed}")
        bad += check_on_qemu(Case(base.name + "#rq", model, inputs), tmp_path / f"r{seed}")
    assert not bad, bad


def _at(level: str, monkeypatch) -> None:
    """qemu-m4 (its firmware and kernel library) compiled at ``level`` instead of -O2."""
    from mcunets import boards

    load = boards.load_board

    def board(name, directory=None):
        b = load(name, directory)
        if name != "qemu-m4":
            return b
        flags = tuple(x for f in b.toolchain.cflags for x in (level.split() if f == "-O2" else (f,)))
        return replace(b, toolchain=replace(b.toolchain, cflags=flags))

    monkeypatch.setattr(boards, "load_board", board)


@pytest.mark.parametrize("level", ["-O0", "-Os", "-O1", "-O3", "-O2 -Wall -Wextra -Werror"])
def test_kernels_compile_at_other_optimization_levels(level, monkeypatch):
    """Every kernel source compiles for qemu-m4's Cortex-M4F at the levels users set in their build flags
    (the register-heavy assembly blocks must leave GCC registers at each; at -O0 the DSP files raise
    their own level), and without a warning under -Wall -Wextra."""
    from mcunets.engine.testing import board_kernel_objects

    _at(level, monkeypatch)
    assert all(p.is_file() for p in board_kernel_objects("qemu-m4"))


@pytest.mark.parametrize("level", ["-Os", "-O0"])
def test_size_optimized_and_debug_builds_are_bit_exact_on_qemu(level, tmp_path, monkeypatch):
    """A DSP chain and a FULLY_CONNECTED layer with the firmware and kernels built at -Os and at -O0."""
    _at(level, monkeypatch)
    bad = check_on_qemu(make_case("DSP_CHAIN", np.random.default_rng(7000), runs=2), tmp_path / "chain")
    bad += check_on_qemu(make_case("FULLY_CONNECTED", np.random.default_rng(500), runs=2), tmp_path / "fc")
    assert not bad, bad


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_add_mul_tables_and_fast_requantization_on_qemu(op, tmp_path):
    """ADD and SUB (ADD's kernel, input 2's multiplier negated) through their per-input rescaling tables
    and the SMMLAR output requantization (every clamp mode), MUL through SMMULR; broadcasting and
    different input scales come from the random builder."""
    bad = []
    for seed in range(3):
        case = make_case(op, np.random.default_rng(800 + seed), runs=2)
        bad += check_on_qemu(case, tmp_path / str(seed))
    assert not bad, bad


@pytest.mark.parametrize("op", ["RESIZE_MODES", "RESIZE_BILINEAR_MODES", "TRANSPOSE_CONV_MODES", "MIRROR_PAD_MODES",
                                "REDUCE_MAX_MODES", "REDUCE_MIN_MODES", "PACK", "UNPACK", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
                                "GATHER_MODES", "SPACE_BATCH_MODES"])
def test_operators_from_elsewhere_on_qemu(op, tmp_path):
    """The one-model cases with a layer per mode (mcunets.engine.testing) on qemu-m4."""
    assert not check_on_qemu(make_case(op, np.random.default_rng(8800), runs=2), tmp_path)


def test_uint8_input_and_output_on_qemu(tmp_path):
    """QUANTIZE uint8 -> int8 and int8 -> uint8 (testing.uint8_io_case): the top bit flipped by words and
    bytes, and requantized after the scales were changed."""
    from mcunets.engine.testing import uint8_io_case

    cases = [uint8_io_case(np.random.default_rng(seed)) for seed in (1, 4)]
    assert ["'rescale': True" in c.name for c in cases] == [False, True]
    bad = []
    for k, case in enumerate(cases):
        bad += check_on_qemu(case, tmp_path / str(k))
    assert not bad, bad


@pytest.mark.parametrize("kind", ["ARG_MAX", "ARG_MIN"])
def test_arg_max_min_on_qemu(kind, tmp_path):
    """ARG_MAX / ARG_MIN on qemu-m4: a random single-operator model (testing.BUILDERS) and rows full of ties
    with int64 indices (testing.arg_ties)."""
    from mcunets.engine.testing import arg_ties

    rng = np.random.default_rng(8840)
    assert not check_on_qemu(make_case(kind, rng, runs=2), tmp_path / "random")
    assert not check_on_qemu(arg_ties(kind, rng, "int64"), tmp_path / "ties")


def test_softmax_over_long_rows_on_qemu(tmp_path):
    """SOFTMAX over 300 to 2000 values (testing.softmax_rows) on qemu-m4."""
    from mcunets.engine.testing import softmax_rows

    assert not check_on_qemu(softmax_rows(np.random.default_rng(8820)), tmp_path)


def test_l2_normalization_on_qemu(tmp_path):
    """L2_NORMALIZATION on qemu-m4: rows reaching every branch of the inverse square root
    (testing.l2_normalization_rows) and a random single-operator model."""
    from mcunets.engine.testing import l2_normalization_rows

    rng = np.random.default_rng(8830)
    cases = [l2_normalization_rows(rng, rows=16, runs=1), make_case("L2_NORMALIZATION", rng, runs=2)]
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_log_softmax_on_qemu(tmp_path):
    """LOG_SOFTMAX on qemu-m4: rows of 16 to 4095 values at input scales from 1/1000 to 2
    (testing.log_softmax_rows) and a random single-operator model."""
    from mcunets.engine.testing import log_softmax_rows

    rng = np.random.default_rng(8840)
    cases = [log_softmax_rows(rng, runs=1, specs=((2, 1000), (1, 4095), (4, 16), (64, 24))),
             make_case("LOG_SOFTMAX", rng, runs=2)]
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_sum_on_qemu_equals_tflm(tmp_path):
    """SUM on its MEAN kernels (the DSP paths) against TFLM's kernel (tests/test_engine_ops.py: LiteRT's
    reference reads int8 inputs as uint8)."""
    from mcunets.tflm import run_tflm

    assert not check_on_qemu(make_case("SUM_MODES", np.random.default_rng(8810), runs=2), tmp_path, oracle=run_tflm)


@pytest.mark.parametrize("op", ["LEAKY_RELU", "LOGISTIC", "PRELU", "ABS", "GELU", "RSQRT", "SQRT", "EXP", "LOG"])
def test_elementwise_ops_on_qemu(op, tmp_path):
    """LEAKY_RELU, LOGISTIC, ABS, GELU, RSQRT, SQRT, EXP and LOG through mcu_lut_s8 (four bytes per word, the rest
    one by one), PRELU through its table and the SMMLAR requantization of the alpha side."""
    bad = []
    for seed in range(2):
        bad += check_on_qemu(make_case(op, np.random.default_rng(950 + seed), runs=2), tmp_path / str(seed))
    assert not bad, bad


def test_batch_matmul_on_qemu(tmp_path):
    """BATCH_MATMUL on qemu-m4: random single-operator models (testing.BUILDERS: two activations or a constant
    rhs, adj_x / adj_y, broadcast batch axes) and an attention-like model (testing.batch_matmul_modes: the
    word path with a depth and column tail, a strided rhs, a constant rhs)."""
    rng = np.random.default_rng(8860)
    bad = check_on_qemu(make_case("BATCH_MATMUL_MODES", rng, runs=2), tmp_path / "modes")
    for k in range(4):
        bad += check_on_qemu(make_case("BATCH_MATMUL", rng, runs=2), tmp_path / str(k))
    assert not bad, bad


def test_fully_connected_activation_weights_on_qemu(tmp_path):
    """FULLY_CONNECTED whose weights are an activation on qemu-m4, through BATCH_MATMUL's word path with its
    bias and single rounding: random single-operator models (testing.BUILDERS: a @ b^T, einsum, tensordot,
    a @ a^T, depth 1, a flattened rank-3 input; bias, ReLU / ReLU6 at times) and a tiny two-head attention
    block (testing.fc_attention)."""
    rng = np.random.default_rng(8870)
    bad = check_on_qemu(make_case("FC_ATTENTION", rng, runs=2), tmp_path / "attention")
    for k in range(3):
        bad += check_on_qemu(make_case("FULLY_CONNECTED_ACTIVATIONS", rng, runs=2), tmp_path / str(k))
    assert not bad, bad


def _prelu_slow_cases(seed: int):
    """PRELU models whose alpha scale is raised 2^8 to 2^14 times in the flatbuffer, so the alpha side's
    shift is 0 or more (the portable mcu_requantize path, not fast_requant), on every input byte."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case

    rng = np.random.default_rng(seed)
    cases = []
    for i in range(3):
        case = make_case("PRELU", rng, runs=1)
        buf = bytearray(case.model)
        g = read_model(case.model)
        (op,) = [o for o in g.operators if o.op == "PRELU"]
        Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(op.inputs[1]).Quantization().ScaleAsNumpy()[0] *= \
            np.float32(2.0 ** (8 + 3 * i))
        shape = g.tensors[g.inputs[0]].shape
        every = np.resize(np.arange(-128, 128, dtype=np.int64), int(np.prod(shape))).astype(np.int8).reshape(shape)
        cases.append(Case(f"{case.name} slow", bytes(buf), [[every], *case.inputs], {}))
    return cases


def test_prelu_slow_requantization_on_qemu_and_host(tmp_path):
    import re

    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    cases = _prelu_slow_cases(9400)
    flags = [re.search(r"mcu_prelu_params l\d+_params = \{.*, (\d)\};", generate(c.model, "m").files["model.c"])
             .group(1) for c in cases]
    assert flags == ["0"] * 3, flags
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]
    bad = _bad_on_qemu(cases[:1], tmp_path)
    assert not bad, bad


def _narrow_cases(seed: int, count: int):
    """1x1 convolutions on 1, 2 and 3 input channels (EffNet's first layer; mcu_conv_1x1_narrow_dsp_s8): one
    model with three inputs, each convolved with stride 1 or 2 (alternating over the models), widths that
    are and are not multiples of 4 (rows joined into one span or not; the word loads at the input's end run
    in C), 3, 8, 12 and 17 output channels (every span variant), every clamp mode;
    each model also with trained-like quantization. The planner lets each output overlap its input."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    cases = []
    for i in range(count):
        shapes, layers = [], []
        for c in (1, 2, 3):
            h, w = int(rng.integers(3, 10)), int(rng.choice([4, 8, 9, 13]))
            o = (3, 8, 12, 17)[(3 * i + c) % 4]  # the span variants: 8, a multiple of 4, any
            layers.append((tf.constant(rng.standard_normal((1, 1, c, o)).astype(np.float32)),
                           tf.constant(rng.standard_normal(o).astype(np.float32)), 1 + (i + c) % 2,
                           str(rng.choice(["relu", "relu", "relu6", "none"]))))
            shapes.append((1, h, w, c))

        def make(layers):
            def fn(*xs):
                return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], "VALID") + b)
                             for x, (wt, b, s, act) in zip(xs, layers))
            return fn

        model = convert(make(layers), shapes, rng)
        desc = [(sh[1:], int(l[0].shape[3]), l[2], l[3]) for sh, l in zip(shapes, layers)]
        for j, m in enumerate((model, trained_like_requant(model, rng))):
            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
            cases.append(Case(f"narrow 1x1 {desc}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def test_narrow_1x1_dsp_path_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_narrow_cases(7300, 2), tmp_path)
    assert not bad, bad


def _pointwise_cases(rng, label: str, configs) -> list:
    """Per config (layers of (input depth, output channels, strides, width, activation)), one model of 1x1
    convolutions on 5-row inputs, as converted and with trained-like quantization, two random inputs each."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    cases = []
    for layers in configs:
        shapes = [(1, 5, w, c) for c, _, _, w, _ in layers]
        ws = [tf.constant(rng.standard_normal((1, 1, c, o)).astype(np.float32)) for c, o, *_ in layers]
        bs = [tf.constant(rng.standard_normal(o).astype(np.float32)) for _, o, *_ in layers]

        def make(layers, ws, bs):
            def fn(*xs):
                return tuple(acts[act](tf.nn.conv2d(x, wt, [1, *s, 1], "VALID") + b)
                             for x, wt, b, (_, _, s, _, act) in zip(xs, ws, bs, layers))
            return fn

        model = convert(make(layers, ws, bs), shapes, rng)
        for j, m in enumerate((model, trained_like_requant(model, rng))):
            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
            cases.append(Case(f"{label} 1x1 {layers}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def _small_1x1_cases(seed: int):
    """1x1 convolutions on 8, 16 and 32 input channels (the small 1x1 path, with the code generator's table
    for even output channel counts and act_max 127: its pixel-pair loop inside the assembly over rows and
    over rows joined into one span, a last single pixel of odd spans, the odd channel count on the general
    loop) and on the other multiples of 4 up to 32 (the table path only; depths up to 16 with the filter
    rows widened into scratch when the layer has 12 or more output pixels): models with three inputs, strides (1, 1), (1, 2), (2, 1) and (2, 2), odd and even widths (one
    pixel wide too), ReLU (lower clamp), none and ReLU6 (both bounds: the portable requantization); each
    model also with trained-like quantization (zero points added after the shift)."""
    configs = [
        [(8, 16, (1, 2), 12, "relu"), (16, 6, (1, 1), 7, "none"), (32, 17, (2, 2), 9, "relu")],
        [(8, 2, (2, 1), 9, "none"), (16, 32, (1, 2), 10, "relu"), (32, 8, (1, 1), 5, "relu6")],
        [(32, 10, (1, 1), 7, "relu"), (8, 4, (2, 2), 7, "none"), (16, 2, (1, 1), 1, "relu")],
        # the other depths up to 32 (table path only); depths 4, 8, 16 with the rows widened into
        # scratch from 12 output pixels (and on fewer without)
        [(12, 6, (1, 1), 7, "relu"), (24, 4, (1, 2), 9, "none"), (4, 2, (1, 1), 5, "relu"),
         (20, 8, (1, 1), 3, "none"), (28, 2, (2, 1), 6, "relu"), (8, 6, (2, 2), 3, "relu")],
    ]
    return _pointwise_cases(np.random.default_rng(seed), "small", configs)


def _small_1x1_padded_cases(seed: int):
    """1x1 convolutions on input depths 5 to 31 that are not multiples of 4 (the small path with the code
    generator's table, rows padded to the depth rounded up to 4; each pixel read as that many bytes, the
    input's last pixel from a padded copy when it is read: at stride 1, at stride 2 on odd widths and
    heights, in a pair, alone and in a span of one pixel), with the rows widened (12 or more output pixels,
    padded depth up to 16) and not, ReLU and none; also the model with trained-like quantization."""
    configs = [
        [(10, 6, (1, 1), 7, "relu"), (5, 4, (2, 2), 9, "none"), (14, 8, (1, 2), 6, "relu"),
         (30, 2, (1, 1), 5, "none"), (18, 10, (2, 1), 3, "relu"), (6, 12, (1, 1), 1, "relu")],
    ]
    return _pointwise_cases(np.random.default_rng(seed), "small padded", configs)


def _small_1x1_span_cases(seed: int):
    """1x1 convolutions at stride 1 on input depths 4 to 32 (the small path with the code generator's table
    run over the whole layer as one span of pixels: batches joined, the pixel pairs in one call, an odd last
    pixel alone; on depths that are not multiples of 4 the input's last pixel from its padded copy): one
    pixel, one pixel per batch, odd and even pixel counts, pairs that straddle two batches, batch sizes 1 to
    3, with the rows widened (12 or more pixels, depth up to 16) and not, ReLU and none; each model also with trained-like quantization (zero points added after the shift)
    and ReLU's output zero point above -128 (the lower clamp)."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "none": lambda v: v}
    configs = [  # per layer (batch, height, width, input depth, output channels, activation)
        [(1, 1, 1, 8, 4, "relu"), (1, 3, 5, 12, 6, "none"), (2, 3, 3, 16, 8, "relu"), (1, 4, 3, 4, 2, "relu"),
         (2, 1, 7, 8, 10, "none")],
        [(3, 1, 1, 20, 6, "none"), (1, 5, 5, 24, 4, "relu"), (1, 2, 1, 28, 2, "none"), (2, 2, 9, 32, 2, "relu"),
         (3, 1, 5, 16, 4, "none")],
        # depths that are not multiples of 4: the last pixel alone, after one pixel, after pairs, widened rows
        [(1, 1, 1, 10, 4, "relu"), (2, 1, 1, 6, 2, "none"), (1, 3, 3, 14, 8, "relu"), (2, 2, 3, 30, 2, "none"),
         (1, 4, 4, 5, 6, "relu")],
    ]
    cases = []
    for layers in configs:
        shapes = [(n, h, w, c) for n, h, w, c, _, _ in layers]
        ws = [tf.constant(rng.standard_normal((1, 1, c, o)).astype(np.float32)) for *_, c, o, _ in layers]
        bs = [tf.constant(rng.standard_normal(o).astype(np.float32)) for *_, o, _ in layers]

        def make(layers, ws, bs):
            def fn(*xs):
                return tuple(acts[l[5]](tf.nn.conv2d(x, wt, [1, 1, 1, 1], "VALID") + b)
                             for x, wt, b, l in zip(xs, ws, bs, layers))
            return fn

        model = convert(make(layers, ws, bs), shapes, rng)
        # trained-like: ReLU's zero point also above -128 (the lower clamp)
        rq = _shift_zero_points(trained_like_requant(model, rng), rng, "CONV_2D")
        for j, m in enumerate((model, rq)):
            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
            cases.append(Case(f"small span 1x1 {layers}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def _extreme_filters(model: bytes, rng, op_name: str = "CONV_2D") -> bytes:
    """A copy of ``model`` whose ``op_name`` int8 filters are redrawn from -128, -127, 127, 0 and small
    values (the limits of the encoded rows' halfwords and start values)."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    g = read_model(model)
    buf = bytearray(model)
    m = Model.GetRootAsModel(buf, 0)
    sub = m.Subgraphs(0)
    for op in g.operators:
        if op.op == op_name:
            data = m.Buffers(sub.Tensors(op.inputs[1]).Buffer()).DataAsNumpy()  # a writable view into buf
            data[:] = rng.choice(np.array([-128, -127, 127, 0, 1, -1, 64, -64], dtype=np.int8),
                                 size=data.size).view(np.uint8)
    return bytes(buf)


def _small_1x1_encoded_cases(seed: int):
    """1x1 convolutions on input depths 17 to 32 (the small path's encoded rows, MCU_E_FN: rows of 20 to 32
    bytes, bytes 0 and 2 XORed with 0x80, start values with the odd-position weight sums, the pixels' sums
    after the pair): depths that are multiples of 4 and padded ones, strides 1 and 2 (a single pixel as a
    pair of itself, the padded last pixel from its copy), odd widths, one pixel, ReLU and none; per config
    the model as converted, with trained-like quantization and ReLU's zero point above -128 (the lower
    clamp), and with filters of -128 / -127 / 127 (the halfwords' and sums' limits). qemu-m4 runs one of the
    three per config (the host all)."""
    from mcunets.engine.testing import Case

    rng = np.random.default_rng(seed)
    configs = [
        [(20, 6, (1, 1), 7, "relu"), (17, 4, (1, 1), 5, "none"), (31, 10, (2, 2), 9, "relu"),
         (25, 2, (1, 2), 3, "none")],
        [(24, 36, (1, 1), 6, "relu"), (29, 8, (2, 1), 7, "relu"), (32, 4, (1, 1), 1, "none"),
         (22, 12, (1, 1), 11, "none")],
        [(28, 14, (1, 1), 5, "relu"), (19, 6, (2, 2), 8, "none"), (32, 2, (1, 2), 9, "relu"),
         (26, 20, (1, 1), 4, "relu")],
    ]
    cases = []
    for i, layers in enumerate(configs):
        base, rq = _pointwise_cases(rng, "encoded", [layers])
        lo = Case(rq.name + " lo", _shift_zero_points(rq.model, rng, "CONV_2D"), rq.inputs, {})
        ext = Case(rq.name + " extreme", _extreme_filters(_shift_zero_points(rq.model, rng, "CONV_2D"), rng),
                   rq.inputs, {})
        cases.append([base, lo, ext][i % 3:] + [base, lo, ext][:i % 3])
    return cases


def _small_1x1_pixel_cases(seed: int):
    """1x1 convolutions on 5 to 18 input channels (the small path's one-pixel layout, smallx<r>: the pixel
    held in registers, every output channel's table words by LDM, the channel loop ended by the last
    channel's rz; depths not a multiple of 4 read as c4 bytes against zero weights, the input's last pixel
    from a copy): output channel counts 2 to 18 (even; 2 modulo 4 the _m2 kernels), strides 1 and 2, one
    pixel, odd and even pixel counts, batches joined; per config the model as converted, with trained-like
    quantization (zero points added after the shift, SXTAB of rz's byte 1), with filters of -128 / -127 /
    127 (doubled halfwords' limits), and with ReLU's and ReLU6's zero point above -128 (the lower clamp, the
    _lo kernels: words of four outputs, the _m2 kernels' first two as a halfword; ReLU6 below 127 too, _lh). qemu-m4 runs two of the four
    per config (the host all; the lower clamp on qemu in configs 1, 3, 5 and 7)."""
    from mcunets.engine.testing import Case

    rng = np.random.default_rng(seed)
    configs = [
        [(8, 2, (1, 1), 7, "relu"), (8, 16, (2, 2), 9, "none"), (8, 6, (1, 1), 1, "relu"),
         (8, 18, (1, 2), 6, "none")],
        [(8, 8, (1, 1), 12, "none"), (8, 4, (2, 1), 5, "relu6"), (8, 10, (1, 1), 3, "relu"),
         (8, 12, (2, 2), 1, "none")],
        [(12, 6, (1, 1), 7, "relu"), (16, 10, (2, 2), 9, "none"), (12, 4, (1, 2), 1, "none"),
         (16, 2, (1, 1), 5, "relu"), (14, 6, (1, 1), 5, "none")],
        [(16, 16, (1, 1), 12, "none"), (12, 14, (2, 1), 6, "relu6"), (16, 8, (1, 2), 3, "relu6"),
         (12, 2, (1, 1), 11, "none")],
        [(10, 6, (1, 1), 7, "relu"), (13, 10, (2, 2), 9, "none"), (9, 4, (1, 2), 1, "relu"),
         (15, 2, (1, 1), 5, "relu"), (6, 8, (2, 1), 5, "relu")],
        [(11, 14, (1, 1), 12, "relu"), (14, 8, (2, 1), 6, "relu6"), (5, 2, (1, 2), 3, "relu"),
         (7, 10, (1, 1), 11, "relu6"), (13, 4, (1, 1), 1, "relu")],
        [(17, 6, (1, 1), 7, "relu"), (18, 10, (2, 2), 9, "none"), (17, 4, (1, 2), 1, "relu"),
         (18, 2, (1, 1), 5, "relu")],
        [(18, 14, (1, 1), 12, "relu6"), (17, 8, (2, 1), 6, "relu6"), (18, 4, (1, 2), 3, "relu6"),
         (17, 2, (1, 1), 11, "relu6")],
    ]
    cases = []
    for i, layers in enumerate(configs):
        base, rq = _pointwise_cases(rng, "pixel", [layers])
        ext = Case(rq.name + " extreme", _extreme_filters(rq.model, rng), rq.inputs, {})
        lo = Case(rq.name + " lo", _shift_zero_points(rq.model, rng, "CONV_2D"), rq.inputs, {})
        cases.append([rq, ext, base, lo][2 * i % 4:] + [rq, ext, base, lo][:2 * i % 4])
    return cases


def test_small_1x1_pixel_layout_is_bit_exact_on_qemu(tmp_path):
    bad = [n for i, group in enumerate(_small_1x1_pixel_cases(7359))
           for j, case in enumerate(group[:2]) for n in check_on_qemu(case, tmp_path / f"{i}-{j}")]
    assert not bad, bad


def test_small_1x1_pixel_layout_is_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases([c for group in _small_1x1_pixel_cases(7360) for c in group])
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_post_free_layers_are_bit_exact_on_qemu(tmp_path, monkeypatch):
    """Trained-like 1x1, k x k and depthwise layers with ops.POST_FREE on (the channels that would add their
    zero point after the shift rewritten to an equivalent multiplier and shift): the tables' post flags
    drop and the outputs stay bit-exact on qemu-m4 and the host."""
    from mcunets.engine import generate, ops
    from mcunets.engine.testing import check_cases

    cases = [g[0] for g in _small_1x1_pixel_cases(7361)] + [_small_1x1_encoded_cases(7362)[0][1]]
    flags = lambda m: re.findall(r"l\d+_\w+\[\d*\] = \{\s*(-?\d+)", generate(m, "k").files["model.c"])  # noqa: E731
    before = [flags(c.model) for c in cases]
    monkeypatch.setattr(ops, "POST_FREE", True)
    after = [flags(c.model) for c in cases]
    assert sum(f.count("1") for f in before) > sum(f.count("1") for f in after)
    bad = [n for i, case in enumerate(cases) for n in check_on_qemu(case, tmp_path / str(i))]
    assert not bad, bad
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_small_1x1_encoded_rows_are_bit_exact_on_qemu(tmp_path):
    bad = [n for i, group in enumerate(_small_1x1_encoded_cases(7357))
           for n in check_on_qemu(group[0], tmp_path / str(i))]
    assert not bad, bad


def test_small_1x1_encoded_rows_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases([c for group in _small_1x1_encoded_cases(7358) for c in group])
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_small_1x1_spans_are_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_small_1x1_span_cases(7355), tmp_path)
    assert not bad, bad


def test_small_1x1_spans_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_small_1x1_span_cases(7356))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_small_1x1_padded_rows_are_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_small_1x1_padded_cases(7353), tmp_path)
    assert not bad, bad


def test_small_1x1_padded_rows_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_small_1x1_padded_cases(7354))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_small_1x1_dsp_path_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_small_1x1_cases(7350), tmp_path)
    assert not bad, bad


def test_small_1x1_dsp_path_without_the_table_is_bit_exact_on_qemu(tmp_path, monkeypatch):
    """The small 1x1 path as it runs without the code generator's table (filter rows and requantization
    table copied into scratch per call; kernels called by other code than the generated model's)."""
    from mcunets.engine import ops

    monkeypatch.setattr(ops.Conv2D, "small1x1", property(lambda self: False))
    bad = _bad_on_qemu(_small_1x1_cases(7351)[:4], tmp_path)
    assert not bad, bad


def test_small_1x1_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_small_1x1_cases(7352)[:2])
    assert not res.mismatches, res.mismatches


def test_depthwise_m1_path_is_bit_exact_on_qemu(tmp_path):
    """The per-tap depthwise path (1x3, 3x1, 5x5, dilated; interior columns with the group's constants
    held per row, border columns clipped), with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(7400)
    bad = []
    for (kh, kw), s, d, pad, c in [((1, 3), 1, 1, "SAME", 8), ((3, 1), 2, 1, "SAME", 12),
                                   ((5, 5), 1, 1, "VALID", 4), ((3, 3), 1, 2, "SAME", 8)]:
        wt = tf.constant(rng.normal(size=(kh, kw, c, 1)).astype(np.float32))

        def make(wt, s, d, pad):
            return lambda x: tf.nn.relu(tf.nn.depthwise_conv2d(x, wt, [1, s, s, 1], pad, dilations=[d, d]))

        model = trained_like_requant(convert(make(wt, s, d, pad), [(1, 9, 11, c)], rng), rng)
        g = read_model(model)
        inputs = [[random_input(rng, "int8", g.tensors[g.inputs[0]].shape)] for _ in range(2)]
        bad += check_on_qemu(Case(f"dw {kh}x{kw} s{s} d{d} {pad}", model, inputs, {}), tmp_path / f"{kh}{kw}{s}{d}")
    assert not bad, bad


def _quad_1x1_cases(seed: int):
    """1x1 convolutions on input depths that are multiples of 4 but not 8, 16 or 32 (the four-pixel pass of
    the general 1x1 path: group counts of every remainder mod 4, the group loop unrolled by 4 and entered
    mid-way, pixel counts of every remainder mod 4 run by the pixel-pair loop after the quads, strided
    inputs, odd output channel counts on the pair loop), no activation and ReLU (the [-128, 127] clamp) beside ReLU6, depths 8, 16, 32 with one or two output
    channels off the small path, and depths that are not multiples of 4; each model also with trained-like
    quantization (near-dead channels, zero points added after the shift)."""
    configs = [
        [(64, 64, (1, 1), 5, "relu"), (12, 6, (1, 1), 7, "none"), (20, 10, (2, 2), 9, "relu"),
         (40, 7, (1, 1), 6, "none")],
        [(4, 2, (1, 2), 11, "none"), (24, 16, (2, 1), 3, "relu"), (48, 8, (1, 1), 4, "relu6"),
         (36, 12, (1, 1), 13, "relu")],
        # depths 8, 16, 32 off the small path (one output channel; ReLU6): the two-pixel buffer of their scratch
        [(16, 1, (1, 1), 6, "none"), (8, 2, (1, 1), 7, "relu6"), (32, 1, (1, 1), 5, "relu"),
         (16, 2, (1, 1), 9, "relu6")],
        # depths that are not multiples of 4 (pixels read as the depth rounded up to 4 bytes, the filter
        # rows padded in scratch, the input's last pixel copied: in a quad, in a pair, alone)
        [(50, 10, (1, 1), 7, "relu"), (33, 7, (2, 2), 9, "none"), (10, 6, (1, 2), 5, "relu6"),
         (14, 8, (1, 1), 4, "relu"), (6, 5, (1, 1), 6, "none")],
    ]
    return _pointwise_cases(np.random.default_rng(seed), "quad", configs)


def test_quad_1x1_dsp_path_is_bit_exact_on_qemu(tmp_path, monkeypatch):
    # depths up to 32 with an even output channel count take the small path with the code generator's
    # table; without it (kernels called by other code than the generated model's) they run these passes
    from mcunets.engine import ops

    monkeypatch.setattr(ops.Conv2D, "small1x1", property(lambda self: False))
    bad = _bad_on_qemu(_quad_1x1_cases(7360), tmp_path)
    assert not bad, bad


def test_quad_1x1_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_quad_1x1_cases(7361))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _pointwise_entry_cases(seed: int):
    """1x1 convolutions on every entry point of the general DSP 1x1 path, on input depths that are not
    multiples of 4 (_padded_: pixels read as the depth rounded up to 4 bytes, the input's last pixel copied)
    and on the nearby multiples of 4: odd output counts (the pixel pairs alone, ReLU clamping above -128
    after the zero point shift, or none), ReLU6 (both bounds), even counts with pixel counts of 2 and 0
    modulo 4 (four-pixel passes, _quad_ and _quad1_), even counts under a lower clamp above -128; depths
    over 32 or odd output counts (the small path takes the others); each model also with trained-like
    quantization."""
    configs = [
        [(34, 6, (1, 1), 6, "none"), (37, 8, (1, 1), 4, "none"), (35, 5, (2, 2), 7, "relu"),
         (13, 6, (1, 1), 5, "relu6"), (41, 9, (1, 1), 3, "none"), (38, 10, (1, 2), 7, "relu")],
        [(36, 6, (1, 1), 6, "none"), (40, 8, (1, 1), 4, "none"), (44, 5, (2, 2), 7, "relu"),
         (12, 7, (1, 1), 5, "relu6"), (48, 9, (1, 1), 3, "none"), (36, 10, (1, 2), 7, "relu")],
    ]
    from mcunets.engine.testing import Case

    rng = np.random.default_rng(seed)
    return [Case(c.name, _shift_zero_points(c.model, rng, "CONV_2D", every=1), c.inputs, {})
            for c in _pointwise_cases(rng, "entries", configs)]


def test_pointwise_entry_points_are_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_pointwise_entry_cases(7365), tmp_path)
    assert not bad, bad


def test_pointwise_entry_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_pointwise_entry_cases(7366))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _shift_zero_points(model: bytes, rng, op_name: str = "DEPTHWISE_CONV_2D", every: int = 1) -> bytes:
    """mcunets.engine.testing.shift_zero_points: ReLU / ReLU6 outputs clamping above -128 (and below 127)."""
    from mcunets.engine.testing import shift_zero_points

    return shift_zero_points(model, rng, op_name, every)


def _three_tap_cases(seed: int):
    """Chains of 1x3 / 3x1 depthwise layers, every layer's output a model output (the three-tap path and its
    window variants at the borders): stride 1 and 2, SAME and VALID, dilation 2, ReLU with act_min above
    -128, none (one SSAT) and ReLU6 below 127 (both bounds: the per-tap path), widths and heights down to 3 (the
    shifted windows at both borders of one row) and 2 (no window of three taps: the per-tap path), 4, 8 and
    12 channels and 6 (the portable kernel); each as converted and with trained-like quantization (shifts
    -31 .. -1, near-dead channels, huge biases); asymmetric zero points."""
    chains = [
        ((9, 11, 8), [((1, 3), 1, 1, "SAME", "relu"), ((3, 1), 1, 1, "SAME", "relu"),
                      ((1, 3), 2, 1, "SAME", "none"), ((3, 1), 1, 2, "SAME", "relu"),
                      ((1, 3), 1, 2, "SAME", "relu")]),
        ((10, 7, 12), [((3, 1), 2, 1, "SAME", "relu"), ((1, 3), 1, 1, "VALID", "none"),
                       ((1, 3), 1, 2, "SAME", "relu6"), ((3, 1), 1, 1, "VALID", "relu")]),
        ((3, 3, 4), [((1, 3), 1, 1, "SAME", "relu"), ((3, 1), 1, 1, "SAME", "none"),
                     ((3, 1), 2, 1, "SAME", "relu")]),
        ((2, 5, 8), [((3, 1), 1, 1, "SAME", "relu"), ((1, 3), 2, 1, "SAME", "relu")]),
        ((6, 5, 6), [((1, 3), 1, 1, "SAME", "relu"), ((3, 1), 2, 1, "SAME", "none")]),
    ]
    return _depthwise_chain_cases(seed, "dw3", chains)


def _depthwise_chain_cases(seed: int, label: str, chains, weight_scale: float = 1.0, last_only: bool = False):
    """Cases of chained depthwise layers ((kh, kw), stride, dilation, padding, activation), every layer's
    output a model output (last_only: only the last layer's, so the planner may overlap a layer's output
    with its input), asymmetric zero points; each model as converted and with trained-like quantization,
    two random inputs each."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    cases = []
    for (h, w, c), layers in chains:
        ws = [tf.constant(rng.normal(size=(*k, c, 1)).astype(np.float32) * weight_scale) for k, *_ in layers]
        bs = [tf.constant(rng.normal(size=(c,)).astype(np.float32)) for _ in layers]

        def make(layers, ws, bs):
            def fn(x):
                outs = []
                for (_, s, d, pad, act), wt, b in zip(layers, ws, bs):
                    st = [1, *s, 1] if isinstance(s, tuple) else [1, s, s, 1]
                    x = acts[act](tf.nn.depthwise_conv2d(x, wt, st, pad, dilations=[d, d]) + b)
                    outs.append(x)
                return outs[-1:] if last_only else outs
            return fn

        model = _shift_zero_points(convert(make(layers, ws, bs), [(1, h, w, c)], rng), rng)
        for name, m in (("", model), (" trained-like", trained_like_requant(model, rng))):
            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[g.inputs[0]].shape)] for _ in range(2)]
            cases.append(Case(f"{label} {h}x{w}x{c}{name}", m, inputs, {}))
    return cases


def test_depthwise_three_tap_path_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_three_tap_cases(7450), tmp_path)
    assert not bad, bad


def test_depthwise_three_tap_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_three_tap_cases(7450))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _three_tap_pair_cases(seed: int):
    """Chains of 1x3 depthwise layers without a lower clamp (activation none: act_min -128), the three-tap
    path's pair passes (two outputs per step along the row, one lane pair of a group per pass). Stride 1:
    widths 12 and 10 (the pair loop leaving after its first and second step), 9, 7, 5 and 3 (pairs and
    the single-output tail), 4, 2 and 1; SAME (the first and last outputs with a tap in the padding,
    which reads the input zero point; at width 2 both in one pass of one output and its edge) and VALID.
    Stride 2: widths 13 and 3 (SAME with padding at both ends), 12 and 6 (only at the end), VALID 7;
    36 channels (two chunks of groups), 20, 12, 8 and 4; each as converted and with trained-like
    quantization (the post-shift zero point variant); asymmetric zero points; ReLU (act_min above -128)
    and ReLU6 layers in between (the span and per-tap paths)."""
    chains = [
        ((7, 12, 36), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "none"),
                       ((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "none")]),
        ((5, 9, 8), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "none"),
                     ((1, 3), 1, 1, "SAME", "relu"), ((1, 3), 1, 1, "VALID", "none")]),
        ((4, 4, 4), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "none"),
                     ((1, 3), 1, 1, "SAME", "none")]),
        ((3, 5, 12), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "relu6"),
                      ((1, 3), 1, 1, "VALID", "none")]),
        ((7, 13, 20), [((1, 3), 2, 1, "SAME", "none"), ((1, 3), 2, 1, "VALID", "none"),
                       ((1, 3), 2, 1, "SAME", "none")]),
        ((6, 12, 8), [((1, 3), 2, 1, "SAME", "none"), ((1, 3), 2, 1, "SAME", "none")]),
    ]
    return _depthwise_chain_cases(seed, "dw3 pairs", chains)


def test_depthwise_three_tap_pairs_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _three_tap_pair_cases(7610)
    assert all("_dw3[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_three_tap_pair_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_three_tap_pair_cases(7610))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _three_tap_pair_cases_in_place(seed: int):
    """The pair chains of _three_tap_pair_cases with only the last layer's output a model output: the
    planner may overlap a layer's output with its input, so the pair passes run row by row (dw3p_row);
    with every output kept (above) each map's passes run all its rows in one call per group and lane pair
    (dw3p_map)."""
    chains = [
        ((7, 12, 36), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "VALID", "none"),
                       ((1, 3), 1, 1, "SAME", "none")]),
        ((5, 9, 8), [((1, 3), 1, 1, "SAME", "none"), ((1, 3), 1, 1, "SAME", "none")]),
        ((7, 13, 20), [((1, 3), 2, 1, "SAME", "none"), ((1, 3), 1, 1, "SAME", "none")]),
    ]
    return _depthwise_chain_cases(seed, "dw3 pairs in place", chains, last_only=True)


def test_depthwise_three_tap_pairs_in_place_are_bit_exact_on_qemu_and_host(tmp_path):
    from mcunets.engine.testing import check_cases

    cases = _three_tap_pair_cases_in_place(7611)
    assert not check_cases(cases).mismatches
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def _three_tap_row_pair_cases(seed: int):
    """Chains of 3x1 depthwise layers at stride 1 and (2, 1) without a lower clamp (activation none), the
    three-tap path's two output rows per step (both windows inside the input; the border rows and an odd
    row left over run the span): heights 12, 10 and 4 (bands only between the SAME border rows), 9, 7, 5
    and 3 (one row left over), 2 and 1; stride (2, 1) from 13, 12 and 14 rows (SAME padding at both ends
    or at the end only) and VALID; a 1x3 layer at (1, 2); SAME and VALID; 32 channels (eight groups, the most that take it), 20,
    12, 8 and 4, 36 (the span); ReLU (act_min above -128) in between (the span); two chains with only the
    last layer's output a model output (each layer's output may overlap its input); each as converted and
    with trained-like quantization (the post-shift zero point variant); asymmetric zero points."""
    chains = [
        ((12, 5, 8), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "VALID", "none"),
                      ((3, 1), 1, 1, "SAME", "relu"), ((3, 1), 1, 1, "SAME", "none")]),
        ((9, 3, 32), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "VALID", "none"),
                      ((3, 1), 1, 1, "VALID", "none"), ((3, 1), 1, 1, "VALID", "none")]),
        ((4, 6, 4), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "VALID", "none"),
                     ((3, 1), 1, 1, "SAME", "none")]),
        ((6, 3, 36), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "VALID", "none")]),
        ((13, 5, 8), [((3, 1), (2, 1), 1, "SAME", "none"), ((3, 1), (2, 1), 1, "VALID", "none"),
                      ((3, 1), 1, 1, "SAME", "none")]),
        ((12, 3, 16), [((3, 1), (2, 1), 1, "SAME", "none"), ((3, 1), (2, 1), 1, "SAME", "none"),
                       ((1, 3), (1, 2), 1, "SAME", "none")]),
    ]
    overlapping = [
        ((11, 7, 12), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "SAME", "none"),
                       ((3, 1), 1, 1, "VALID", "none"), ((3, 1), 1, 1, "SAME", "none")]),
        ((10, 9, 20), [((3, 1), 1, 1, "VALID", "none"), ((3, 1), 1, 1, "SAME", "none"),
                       ((1, 3), 1, 1, "SAME", "none"), ((3, 1), 1, 1, "SAME", "none")]),
        ((14, 6, 12), [((3, 1), (2, 1), 1, "SAME", "none"), ((3, 1), 1, 1, "SAME", "none"),
                       ((3, 1), (2, 1), 1, "VALID", "none")]),
    ]
    return (_depthwise_chain_cases(seed, "dw3 rows", chains)
            + _depthwise_chain_cases(seed + 1, "dw3 rows overlapping", overlapping, last_only=True))


def test_depthwise_three_tap_row_pairs_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _three_tap_row_pair_cases(7630)
    assert all("_dw3[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_three_tap_row_pair_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_three_tap_row_pair_cases(7630))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _three_tap_any_cases(seed: int):
    """Chains of 3x1 / 1x3 depthwise layers on the three-tap path's two-row step at every stride and depth
    (dw3v_any: stride 2 along the rows, strides (2, 2) and (1, 2), chunks of eight groups, 40 and 68
    channels, the last chunk of one group), the SAME border pairs at strides 1 and 2 down the rows (odd
    and even heights: the padded row first or last) and the clamp pass after the steps: ReLU with act_min above
    -128, ReLU6 clamping both ways, none; odd and even heights and widths, SAME and VALID; one chain with
    only the last layer's output a model output (the planner may overlap each output with its input:
    the step's runtime check then takes the span); each as converted and with trained-like quantization;
    asymmetric zero points."""
    chains = [
        ((9, 7, 40), [((3, 1), 1, 1, "SAME", "relu"), ((3, 1), (1, 2), 1, "SAME", "relu6"),
                      ((3, 1), (2, 2), 1, "VALID", "none"), ((1, 3), 1, 1, "SAME", "relu6")]),
        ((12, 9, 20), [((3, 1), (2, 2), 1, "SAME", "none"), ((3, 1), (1, 2), 1, "VALID", "relu"),
                       ((1, 3), 2, 1, "SAME", "relu"), ((3, 1), 1, 1, "SAME", "relu6")]),
        ((10, 5, 68), [((3, 1), (2, 1), 1, "SAME", "relu"), ((3, 1), 1, 1, "VALID", "relu6"),
                       ((3, 1), (1, 2), 1, "SAME", "none")]),
    ]
    overlapping = [
        ((13, 6, 40), [((3, 1), 1, 1, "SAME", "none"), ((3, 1), (2, 2), 1, "SAME", "relu"),
                       ((3, 1), (1, 2), 1, "SAME", "none"), ((3, 1), 1, 1, "SAME", "relu6")]),
    ]
    return (_depthwise_chain_cases(seed, "dw3 any", chains)
            + _depthwise_chain_cases(seed + 1, "dw3 any overlapping", overlapping, last_only=True))


def test_depthwise_three_tap_any_stride_depth_clamp_is_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _three_tap_any_cases(7650)
    assert all("_dw3[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_three_tap_any_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_three_tap_any_cases(7650))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_cases(seed: int):
    """Chains of 3x3 depthwise layers, every layer's output a model output (the row path's loops: stride-1
    rows of four outputs with pair / single tails or ending with the five-output step at widths 5, 9, 13,
    stride-2 pairs with the odd tail), output widths 1 .. 7, 9 and 13, stride 1 and 2, SAME and VALID,
    ReLU with act_min above -128, none (one SSAT) and ReLU6 (both bounds), 4, 8, 12 and 16 channels; each
    as converted and with trained-like quantization (shifts -31 .. -1, near-dead channels, huge biases)."""
    chains = [
        ((7, 5, 8), [(1, "SAME", "relu"), (1, "SAME", "none"), (2, "SAME", "relu"), (1, "SAME", "relu")]),
        ((6, 9, 12), [(1, "SAME", "none"), (1, "VALID", "relu"), (2, "SAME", "relu")]),
        ((5, 13, 4), [(1, "SAME", "relu"), (2, "VALID", "none"), (1, "SAME", "relu")]),
        ((9, 1, 8), [(1, "SAME", "relu"), (2, "SAME", "none")]),
        ((8, 3, 4), [(1, "SAME", "relu6"), (1, "SAME", "relu"), (2, "SAME", "relu")]),
        ((11, 5, 16), [(1, "SAME", "relu"), (1, "SAME", "none"), (2, "VALID", "relu")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3", chains, weight_scale=0.5)


def test_depthwise_3x3_row_path_is_bit_exact_on_qemu(tmp_path, ring_rows):
    bad = _bad_on_qemu(_depthwise_3x3_cases(7480), tmp_path)
    assert not bad, bad


def test_depthwise_3x3_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_cases(7480))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_table_cases(seed: int):
    """Chains of 3x3 depthwise layers with output widths 4q + 3 (3, 7, 11: the pair and single-output steps
    after zero to two quads) and 4q + 1 (5, 9: at stride 1 the five-output step), stride 1 and 2, SAME and
    VALID, ReLU with act_min above -128, none and ReLU6, 4, 8 and 20 channels, the stride-1 constants from
    the code generator's table and the weights from the int8 filter; each as converted and with
    trained-like quantization."""
    chains = [
        ((5, 11, 8), [(1, "SAME", "relu"), (1, "SAME", "none"), (2, "VALID", "relu"), (1, "SAME", "none")]),
        ((4, 14, 20), [(2, "SAME", "none"), (1, "SAME", "relu"), (2, "SAME", "relu")]),
        ((7, 13, 4), [(2, "SAME", "relu"), (1, "VALID", "none"), (2, "SAME", "relu6")]),
        ((5, 22, 8), [(2, "SAME", "none"), (1, "VALID", "relu")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 table", chains, weight_scale=0.5)


def test_depthwise_3x3_s1_table_rows_are_bit_exact_on_qemu(tmp_path, ring_rows):
    from mcunets.engine import generate

    cases = _depthwise_3x3_table_cases(7495)
    assert all("_dw3s1[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_s1_table_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_table_cases(7495))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_s2_cases(seed: int):
    """Chains of stride-2 3x3 depthwise layers (the rows of four outputs per step with pair and single
    tails, constants from the code generator's table): output widths 3 .. 12 (every width mod 4 with one
    and two quads), odd and even input widths (left padding 1 and 0), SAME and VALID, ReLU and ReLU6 with
    act_min above -128 (the lower clamp), none (one SSAT; in trained-like models also with the zero point
    added after the shift), 4, 8, 12 and 16 channels; each as converted and with trained-like
    quantization."""
    chains = [
        ((5, 15, 8), [(2, "SAME", "relu"), (2, "SAME", "none")]),
        ((6, 18, 4), [(2, "SAME", "none"), (1, "SAME", "relu"), (2, "VALID", "relu")]),
        ((4, 21, 12), [(2, "SAME", "relu"), (2, "SAME", "none")]),
        ((7, 14, 16), [(2, "VALID", "none"), (2, "SAME", "relu")]),
        ((3, 20, 8), [(2, "SAME", "none"), (2, "SAME", "relu6")]),
        ((5, 13, 4), [(2, "SAME", "relu"), (2, "VALID", "none")]),
        ((4, 25, 8), [(2, "VALID", "none"), (2, "SAME", "none")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 s2", chains, weight_scale=0.5)


def test_depthwise_3x3_stride2_rows_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _depthwise_3x3_s2_cases(7490)
    assert all("_dw3s2[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_stride2_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_s2_cases(7490))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_s2_words_cases(seed: int):
    """Stride-2 3x3 depthwise layers on the four-channels-per-word path (no ring): small maps with many
    channels (6x6x36 -> 3x3 -> 2x2, the last with padding on both sides), input widths 1 and 2 (every
    output's window clipped), odd sizes, SAME and VALID, ReLU with act_min above -128 (the bytes clamped
    below), none (one SSAT) and ReLU6 (both bounds: the C rows); as converted and with trained-like
    quantization (shifts -31 .. -1, zero points added after the shift), asymmetric zero points."""
    chains = [
        ((6, 6, 36), [(2, "SAME", "relu"), (2, "SAME", "none"), (2, "SAME", "relu")]),
        ((7, 5, 20), [(2, "VALID", "none"), (2, "SAME", "relu")]),
        ((5, 1, 8), [(2, "SAME", "relu"), (2, "SAME", "none")]),
        ((9, 11, 12), [(2, "SAME", "none"), (2, "VALID", "relu"), (1, "SAME", "relu6")]),
        ((4, 4, 64), [(2, "SAME", "none"), (2, "SAME", "relu")]),
        ((13, 9, 4), [(2, "SAME", "relu"), (2, "SAME", "relu"), (2, "VALID", "none")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 s2 words", chains, weight_scale=0.5)


def _depthwise_3x3_s2_edge_cases(seed: int):
    """Stride-2 3x3 depthwise layers whose rows run in one call (mcu_depthwise_3x3_dsp_s2_*: the output
    clipped on the left by its first column, the outputs inside, the output clipped on the right by its
    third column; the rows with every window row inside the input together): input widths 2 .. 13 (rows of
    only a left and a right output, of only a right one, of inside outputs only), strides (2, 2), (1, 2) and
    (3, 2) (the rows' step), top and bottom padding rows, SAME and VALID, ReLU (the lower clamp) and none,
    4 .. 24 channels (multiples of 4 and of 8 and not of 8); as converted and with trained-like quantization,
    asymmetric zero points."""
    chains = [
        ((9, 2, 8), [((1, 2), "SAME", "relu"), (2, "SAME", "none")]),
        ((6, 3, 12), [(2, "SAME", "none"), ((1, 2), "SAME", "relu")]),
        ((5, 4, 4), [((1, 2), "SAME", "none"), ((2, 2), "SAME", "relu")]),
        ((8, 9, 20), [((3, 2), "SAME", "relu"), ((1, 2), "SAME", "none")]),
        ((7, 13, 24), [(2, "VALID", "none"), (2, "SAME", "relu")]),
        ((11, 6, 16), [(2, "SAME", "relu"), ((2, 2), "VALID", "none")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 s2 edges", chains, weight_scale=0.5)


def test_depthwise_3x3_stride2_edges_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _depthwise_3x3_s2_edge_cases(7560)
    assert all("_dw3s2[" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_stride2_edge_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_s2_edge_cases(7560))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _dw3s2_variants(model_c: str, table: str = "dw3s2", chunked: bool = False) -> set:
    """(lower clamp, zero point after the shift) of each stride-2 layer with the table in ``model_c`` (table
    "dw3w": each stride-1 layer on the four-channels-per-word path; chunked: those in channel chunks)."""
    out = set()
    for m in re.finditer(r"mcu_dw_conv_params (l\d+)_params = \{.*, (-?\d+), (-?\d+), \d, (l\d+_" + table
                         + (r"), [1-9]\d*\};" if chunked else r"), 0\};"), model_c):
        post = re.search(re.escape(m.group(4)) + r"\[\d*\] = \{\s*(-?\d+)", model_c)
        out.add((int(m.group(2)) > -128, post is not None and int(post.group(1)) & 1 == 1))
    return out


def test_depthwise_3x3_stride2_words_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _depthwise_3x3_s2_words_cases(7530)
    variants = set().union(*(_dw3s2_variants(generate(c.model, "m").files["model.c"]) for c in cases))
    assert variants == {(False, False), (False, True), (True, False), (True, True)}, variants
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_stride2_words_cases_are_bit_exact_on_host():
    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    cases = _depthwise_3x3_s2_words_cases(7530)
    # the path's scratch: widened weights, a patch and a row of zero points, less than the ring rows it replaced
    words = 0
    for case in cases:
        gen = generate(case.model, "m", patches="off")
        for info in gen.layers:
            if f"l{info.index}_dw3s2[" in gen.files["model.c"]:
                _, w, c = (int(v) for v in re.search(r": (\d+)x(\d+)x(\d+)x(\d+) ->", info.description).groups()[1:])
                assert info.scratch_bytes == (w + 31) * c < 6 * c * ((w + 5) & ~1), info.description
                words += 1
    assert words >= len(cases)
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_s1_words_cases(seed: int):
    """Stride-1 3x3 depthwise layers on small maps (ops.dw3x3_s1_words), four channels per word from the
    stride-2 path's table (mcu_depthwise_3x3_dsp_s1_*_w_s8): the output clipped on the left, those inside
    and the one clipped on the right in one call, the rows with every window row inside together; input
    widths 1 (every window clipped on both sides: the patch), 2 (only the two clipped outputs), 3, 6, 7, 8,
    heights 1 .. 8 (top and bottom padding rows), strides (1, 1) and (2, 1), SAME and VALID, ReLU (the lower
    clamp) and none, 4 .. 24 channels; as converted and with trained-like quantization (zero points added
    after the shift), asymmetric zero points."""
    chains = [
        ((6, 6, 8), [(1, "SAME", "relu"), (1, "SAME", "none"), (1, "VALID", "relu")]),
        ((5, 7, 12), [(1, "SAME", "none"), ((2, 1), "SAME", "relu")]),
        ((1, 6, 4), [(1, "SAME", "relu"), (1, "SAME", "none")]),
        ((4, 1, 8), [(1, "SAME", "none"), (1, "SAME", "relu")]),
        ((3, 2, 16), [(1, "SAME", "relu"), (1, "SAME", "none")]),
        ((7, 3, 20), [(1, "SAME", "none"), (1, "VALID", "relu")]),
        ((8, 8, 24), [(1, "SAME", "relu"), (2, "SAME", "none"), (1, "SAME", "relu")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 s1 words", chains, weight_scale=0.5)


def test_depthwise_3x3_s1_words_are_bit_exact_on_qemu(tmp_path, monkeypatch):
    from mcunets.engine import generate
    from mcunets.engine.ops import DepthwiseConv2D

    # no chunks (where the scratch is the arena's peak the schedule would run the chunked ring rows instead)
    monkeypatch.setattr(DepthwiseConv2D, "chunk_choices", lambda self: [])

    cases = _depthwise_3x3_s1_words_cases(7570)
    files = [generate(c.model, "m").files["model.c"] for c in _alternating(cases)]
    # the schedule may chunk a layer on the ring rows where that lowers the arena (7x3x20, the 4x4x24 after
    # the stride-2 layer); every other stride-1 layer runs four channels per word
    assert sum("_dw3w[" in f for f in files) >= 6, [f.count("_dw3w[") for f in files]
    variants = set().union(*(_dw3s2_variants(f, "dw3w") for f in files))
    assert variants == {(False, False), (False, True), (True, False), (True, True)}, variants
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_s1_words_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_s1_words_cases(7570))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _depthwise_3x3_s1_words_chunk_cases(seed: int):
    """One-layer models of stride-1 3x3 depthwise layers on small maps whose scratch is the arena's peak, so the
    schedule runs them in channel chunks, four channels per word (mcu_depthwise_3x3_dsp_s1_*_wc_s8): input
    widths 1 and 2 (the patch), 3, 6, 7, heights 1 (two window rows of zero points) .. 7, strides (1, 1) and
    (2, 1), SAME and VALID, ReLU and none, 12 .. 32 channels (chunks of 8, the last of 4, and of 4); as converted
    and with trained-like quantization."""
    chains = [
        ((6, 6, 20), [(1, "SAME", "relu")]),
        ((5, 7, 28), [(1, "SAME", "none")]),
        ((1, 6, 16), [(1, "SAME", "none")]),
        ((4, 1, 24), [(1, "SAME", "relu")]),
        ((3, 2, 16), [(1, "SAME", "relu")]),
        ((7, 3, 32), [((2, 1), "SAME", "relu")]),
        ((6, 6, 12), [(1, "VALID", "none")]),
    ]
    chains = [(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in chains]
    return _depthwise_chain_cases(seed, "dw3x3 s1 words chunks", chains, weight_scale=0.5, last_only=True)


def _chunks_of_8_or_4(monkeypatch):
    """The schedule's chunk choices cut to chunks of 8 channels where the depth is not a multiple of 8 (the last
    chunk smaller), else 4; no depthwise output overlapping its input, in chunks or not (a chunked layer's never
    does), so the chunks' smaller scratch lowers these one-layer arenas."""
    from mcunets.engine.ops import DepthwiseConv2D

    orig = DepthwiseConv2D.chunk_choices
    monkeypatch.setattr(DepthwiseConv2D, "chunk_choices",
                        lambda self: [x for x in orig(self) if x == 8] if self.in_shape[3] % 8 else orig(self)[-1:])
    monkeypatch.setattr(DepthwiseConv2D, "overlap", lambda self, tensor: None)


def test_depthwise_3x3_s1_words_chunks_are_bit_exact_on_qemu(tmp_path, monkeypatch):
    from mcunets.engine import generate

    _chunks_of_8_or_4(monkeypatch)
    cases = _depthwise_3x3_s1_words_chunk_cases(7580)
    files = [generate(c.model, "m").files["model.c"] for c in _alternating(cases)]
    assert all(len(_dw3s2_variants(f, "dw3w", chunked=True)) == 1 for f in files), files
    variants = set().union(*(_dw3s2_variants(f, "dw3w", chunked=True) for f in files))
    assert variants == {(False, False), (False, True), (True, False), (True, True)}, variants
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_s1_words_chunks_are_bit_exact_on_host(monkeypatch):
    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    _chunks_of_8_or_4(monkeypatch)
    cases = _depthwise_3x3_s1_words_chunk_cases(7580)
    for case in cases:
        gen = generate(case.model, "m")
        m = re.search(r"_dw3w, (\d+)\};", gen.files["model.c"])
        assert m and int(m.group(1)) in (4, 8), case.name
        c = int(re.search(r"x(\d+) ->", gen.layers[0].description).group(1))
        k = int(m.group(1))
        assert gen.layers[0].scratch_bytes == 35 * k + max(9 * k, 2 * c + k), case.name
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _extreme_weights(model: bytes) -> bytes:
    """A copy of ``model`` whose depthwise filters hold the int8 extremes: every 7th weight -128, every 11th
    127 (the widening of int8 weight words at run time: sign bits in every byte position)."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import _buffer_view

    g = read_model(model)
    buf = bytearray(model)
    m = Model.GetRootAsModel(buf, 0)
    sub = m.Subgraphs(0)
    for op in g.operators:
        if op.op == "DEPTHWISE_CONV_2D":
            w = _buffer_view(m, sub.Tensors(op.inputs[1]))
            if w is not None:
                w.view(np.int8)[::7] = -128
                w.view(np.int8)[3::11] = 127
    return bytes(buf)


def _dw_int8_weight_cases(seed: int):
    """The depthwise paths that widen int8 weights at run time: stride-2 3x3 rows (output widths 1, 2, 3: the
    tail without quads; 4 and 7: a quad without and with tails) and 1x3 / 3x1 three-tap rows (stride 1 and 2,
    clipped windows at both borders), 20 channels (five groups of four), ReLU (act_min above -128), none
    and ReLU6; as converted, with trained-like quantization (shifts -31 .. -1, near-dead channels beyond
    -31, huge biases), and as converted with the weights -128 and 127 in the filters; asymmetric zero
    points."""
    from mcunets.engine.testing import Case

    chains = [
        ((9, 13, 20), [((3, 3), 2, 1, "SAME", "relu"), ((3, 3), 2, 1, "SAME", "none"),
                       ((3, 3), 2, 1, "VALID", "relu6")]),
        ((6, 6, 20), [((3, 3), 2, 1, "SAME", "none"), ((3, 3), 1, 1, "SAME", "relu"),
                      ((3, 3), 2, 1, "SAME", "relu")]),
        ((7, 11, 20), [((1, 3), 1, 1, "SAME", "relu"), ((3, 1), 2, 1, "SAME", "none"),
                       ((1, 3), 2, 1, "SAME", "relu"), ((3, 1), 1, 1, "SAME", "relu")]),
    ]
    cases = _depthwise_chain_cases(seed, "dw int8", chains, weight_scale=0.5)
    return cases + [Case(c.name + " extreme weights", _extreme_weights(c.model), c.inputs, {})
                    for c in cases if "trained-like" not in c.name]


def test_depthwise_int8_weight_paths_are_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _dw_int8_weight_cases(7520)
    files = [generate(c.model, "m").files["model.c"] for c in cases]
    assert all("_dw3s2[" in f and "_dw3[" not in f for f in files[:4])
    assert all("_dw3[" in f for f in files[4:6])
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_int8_weight_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_dw_int8_weight_cases(7520))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _kxk_cases(seed: int, count: int):
    """Random chains of k x k convolutions without groups (mcu_conv_kxk_dsp_s8 on DSP cores): kernel
    sizes 1..5 and non-square, 1..16 input channels (odd counts, patch sizes not multiples of 4), odd
    output channel counts, strides 1 and 2, dilation 2, SAME and VALID padding, every clamp mode, the
    converter's asymmetric input zero points; each model also with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    cases = []
    for i in range(count):
        c = int(rng.choice([1, 2, 3, 5, 6, 8, 12, 16]))
        h, w = int(rng.integers(4, 12)), int(rng.integers(4, 12))
        size, layers = [h, w], []
        for _ in range(int(rng.integers(1, 4))):
            kh, kw = [(3, 3), (3, 3), (5, 5), (2, 2), (1, 3), (3, 1), (4, 2), (1, 1)][int(rng.integers(8))]
            if (kh, kw) == (1, 1) and c % 4 == 0:
                kh = 3
            o = int(rng.choice([1, 3, 4, 7, 8, 16]))
            s = int(rng.choice([1, 2]))
            d = 2 if s == 1 and rng.random() < 0.2 else 1
            span = (d * (kh - 1), d * (kw - 1))
            pad = str(rng.choice(["SAME", "VALID"])) if min(size[0] - span[0], size[1] - span[1]) >= 1 else "SAME"
            size = [-(-(n - (e if pad == "VALID" else 0)) // s) for n, e in zip(size, span)]
            wt = tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.4).astype(np.float32))
            b = tf.constant(rng.standard_normal(o).astype(np.float32))
            layers.append((wt, b, s, d, pad, str(rng.choice(list(acts)))))
            c = o

        def make(layers):
            def fn(x):
                for wt, b, s, d, pad, act in layers:
                    x = acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], pad, dilations=[d, d]) + b)
                return x
            return fn

        c0 = int(layers[0][0].shape[2])
        model = convert(make(layers), [(1, h, w, c0)], rng)
        desc = [(tuple(int(v) for v in l[0].shape), l[2], l[3], l[4], l[5]) for l in layers]
        for j, m in enumerate((model, trained_like_requant(model, rng))):
            g = read_model(m)
            inputs = [[random_input(rng, "int8", g.tensors[g.inputs[0]].shape)] for _ in range(2)]
            cases.append(Case(f"kxk {h}x{w} {desc}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def test_kxk_path_is_bit_exact_on_qemu(tmp_path):
    from mcunets.engine import generate

    cases = _kxk_cases(7500, 2)
    assert any("mcu_conv_s8" in generate(c.model, "m").files["model.c"] for c in cases)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def _conv_cases(rng, label: str, specs) -> list:
    """One model of CONV_2D layers, one per spec ((kh, kw), input depth, output channels, stride, dilation,
    padding, activation, (height, width)), as converted and with trained-like quantization, two random
    inputs each."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    layers = [(tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), s, d, pad, act)
              for (kh, kw), c, o, s, d, pad, act, _ in specs]

    def fn(*xs):
        return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], pad, dilations=[d, d]) + b)
                     for x, (wt, b, s, d, pad, act) in zip(xs, layers))

    model = convert(fn, [(1, h, w, sp[1]) for sp in specs for h, w in [sp[7]]], rng)
    cases = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        cases.append(Case(f"{label}{'#rq' if j else ''}", m, inputs, {}))
    return cases


def test_kxk_row_expansion_is_bit_exact_on_qemu(tmp_path):
    """k x k convolutions whose pixel pairs lie inside the input (expanded kernel row by kernel row; at
    stride 1 pixel B's taps copied from pixel A's) beside border pairs: 3x3 on 16 and 4 input channels (the
    group loop unrolled by 9), 5x5 and 1x3 at stride 1, 3x3 at stride 2 and with dilation 2, odd and even
    widths, every clamp mode; each model also with trained-like quantization."""
    specs = [((3, 3), 16, 8, 1, 1, "SAME", "relu", (9, 12)), ((3, 3), 4, 6, 1, 1, "VALID", "none", (7, 10)),
             ((5, 5), 8, 5, 1, 1, "SAME", "relu6", (8, 11)), ((1, 3), 12, 4, 1, 1, "VALID", "relu", (5, 9)),
             ((3, 3), 16, 8, 2, 1, "SAME", "relu", (9, 13)), ((3, 3), 8, 4, 1, 2, "SAME", "none", (8, 9))]
    bad = _bad_on_qemu(_conv_cases(np.random.default_rng(7700), "kxk rows", specs), tmp_path)
    assert not bad, bad


def test_kxk_triples_are_bit_exact_on_qemu(tmp_path):
    """The k x k path's three-pixel passes (input depth a multiple of 4, clamp modes SSAT and SSAT_LO):
    3x3 on 16, 8 and 32 channels (the group loop unrolled by 9 and 8), 1x3, 2x2 and 4x2 (by 4), 5x5 on 4
    and 3x1 on 8 channels (one group per step), stride 2, dilation 2, triples spanning output rows and
    at the borders, one or two pixels left after the last triple, fewer than three pixels, odd and single
    output channels; every second layer's ReLU clamps above -128; each model also with trained-like
    quantization (zero points added after the shift)."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(7800)
    acts = {"relu": tf.nn.relu, "none": lambda v: v}
    specs = [((3, 3), 16, 16, 1, 1, "SAME", "relu", (7, 10)), ((3, 3), 8, 5, 1, 1, "SAME", "relu", (6, 8)),
             ((3, 3), 32, 4, 2, 1, "SAME", "relu", (9, 9)), ((1, 3), 16, 3, 1, 1, "VALID", "relu", (5, 9)),
             ((5, 5), 4, 7, 1, 1, "SAME", "relu", (8, 7)), ((2, 2), 12, 1, 1, 1, "VALID", "relu", (5, 6)),
             ((3, 3), 4, 6, 1, 2, "SAME", "none", (8, 9)), ((3, 1), 8, 4, 1, 1, "SAME", "relu", (6, 5)),
             ((4, 2), 8, 2, 2, 1, "SAME", "relu", (9, 8)), ((3, 3), 8, 4, 1, 1, "VALID", "relu", (3, 4))]
    layers = [(tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), s, d, pad, act)
              for (kh, kw), c, o, s, d, pad, act, _ in specs]

    def fn(*xs):
        return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], pad, dilations=[d, d]) + b)
                     for x, (wt, b, s, d, pad, act) in zip(xs, layers))

    model = convert(fn, [(1, h, w, sp[1]) for sp in specs for h, w in [sp[7]]], rng)
    model = _shift_zero_points(model, rng, "CONV_2D", every=2)
    bad = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        bad += check_on_qemu(Case(f"kxk triples{'#rq' if j else ''}", m, inputs, {}), tmp_path / str(j))
    assert not bad, bad


def _kxk_triple_tail_cases(seed: int):
    """Random k x k layers of the three-pixel path (input depth a multiple of 4): output widths 1 to 12
    and heights such that one or two pixels are left after the last triple (computed as the triple ending
    at the last pixel) or none, widths below 3 (the pixel pair path), triples over two output rows whose
    two pixels of one row lie inside the input (expanded kernel row by kernel row) or touch the padding,
    stride 1 and 2, SAME and VALID; each model also with trained-like quantization and shifted zero points."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "none": lambda v: v}
    specs = []
    for _ in range(10):
        kh, kw = [(3, 3), (3, 3), (2, 2), (5, 5), (1, 3), (3, 2)][int(rng.integers(6))]
        c, o = int(rng.choice([4, 8, 12, 16, 32])), int(rng.integers(1, 20))
        s = 1 if rng.random() < 0.8 else 2
        pad = str(rng.choice(["SAME", "VALID"]))
        h, w = int(rng.integers(kh, 12)), int(rng.integers(kw, 13))
        specs.append(((kh, kw), c, o, s, pad, str(rng.choice(list(acts))), (h, w)))
    layers = [(tf.constant((rng.standard_normal((kh, kw, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), s, pad, act)
              for (kh, kw), c, o, s, pad, act, _ in specs]

    def fn(*xs):
        return tuple(acts[act](tf.nn.conv2d(x, wt, [1, s, s, 1], pad) + b)
                     for x, (wt, b, s, pad, act) in zip(xs, layers))

    model = convert(fn, [(1, h, w, sp[1]) for sp in specs for h, w in [sp[6]]], rng)
    model = _shift_zero_points(model, rng, "CONV_2D", every=2)
    cases = []
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        cases.append(Case(f"kxk triple tails {specs}{'#rq' if j else ''}", m, inputs, {}))
    return cases


@pytest.mark.parametrize("seed", [7810, 7811])
def test_kxk_triple_tails_are_bit_exact_on_qemu(tmp_path, seed):
    bad = _bad_on_qemu(_kxk_triple_tail_cases(seed), tmp_path)
    assert not bad, bad


def test_kxk_triple_tail_cases_are_bit_exact_on_host():
    import re

    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    cases = _kxk_triple_tail_cases(7810) + _kxk_triple_tail_cases(7811)
    # the layers carry the code generator's table (ops.kxk_table), so the qemu-m4 runs take it
    assert all(re.search(r"_kxk(?:, -?\d+, -?\d+)?\};", generate(c.model, "m").files["model.c"]) for c in cases)
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _kxk_gathered_cases(seed: int):
    """k x k convolutions on input depths that are not multiples of 4 (patches gathered kernel row by kernel
    row, four pixels per pass for even output channel counts in the [-128, 127] clamp): a 10x4 kernel on one
    channel at stride 2 with SAME padding (clipped rows at the top and bottom, clipped taps at both sides),
    5x3 on 3 channels VALID (the last row's word copy would pass the input's end), 4x2 on 2 channels, 3x3
    dilated by 2 on 1 channel (taps byte by byte), odd output channel counts and ReLU6 (the pair loop);
    each model also with trained-like quantization."""
    specs = [((10, 4), 1, 16, 2, 1, "SAME", "relu", (13, 10)), ((5, 3), 3, 8, 1, 1, "VALID", "none", (9, 7)),
             ((4, 2), 2, 6, 1, 1, "SAME", "relu", (7, 6)), ((3, 3), 1, 4, 1, 2, "SAME", "none", (8, 7)),
             ((10, 4), 1, 5, 2, 1, "SAME", "relu", (11, 9)), ((3, 5), 3, 8, 2, 1, "SAME", "relu6", (9, 10))]
    return _conv_cases(np.random.default_rng(seed), "kxk gathered", specs)


def _kxk_gathered_deep_cases(seed: int):
    """k x k convolutions on input depths of 5 and up that are not multiples of 4 (patches gathered kernel
    row by kernel row, the taps inside a row clipped at a border copied as words then bytes; four pixels
    per pass with the group loop entered mid-way): SAME borders at strides 1 and 2, 5x5 with two taps
    clipped, VALID with the last row read up to the input's end, odd output channel counts and ReLU6 (the
    pair loop); each model also with trained-like quantization."""
    specs = [((3, 3), 10, 8, 1, 1, "SAME", "relu", (6, 7)), ((3, 3), 5, 6, 2, 1, "SAME", "none", (7, 9)),
             ((5, 5), 6, 4, 1, 1, "SAME", "relu", (6, 6)), ((3, 3), 14, 7, 1, 1, "VALID", "none", (5, 6)),
             ((3, 3), 18, 4, 1, 1, "SAME", "relu6", (4, 5)), ((1, 3), 30, 10, 1, 1, "SAME", "relu", (3, 6)),
             ((3, 3), 33, 2, 2, 1, "SAME", "relu", (5, 5))]
    return _conv_cases(np.random.default_rng(seed), "kxk gathered deep", specs)


def test_kxk_gathered_deep_patches_are_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_kxk_gathered_deep_cases(7712), tmp_path)
    assert not bad, bad


def test_kxk_gathered_deep_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_kxk_gathered_deep_cases(7713))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_kxk_gathered_patches_are_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_kxk_gathered_cases(7710), tmp_path)
    assert not bad, bad


def test_kxk_gathered_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_kxk_gathered_cases(7711))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_kxk_path_is_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_kxk_cases(7600, 6))
    assert not res.mismatches, [m[0] for m in res.mismatches]


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
def test_pooling_dsp_paths_are_bit_exact_on_qemu(op, tmp_path):
    """Pooling on four channels per word (SSUB8 / SEL maxima, SXTAB16 halfword sums): per model several
    pools of one input with random windows, strides, SAME / VALID padding (clipped windows) and fused
    ReLU, channel counts with and without a tail, and a window beyond the tap table (9x9; a global 17x17
    pool over 289 taps, whose halfword sums are flushed every 256 taps); 8-channel inputs through the
    interior block's paths (2 x 2, 2 x 1, 1 x 2, other windows, stride 1 along the width, with and without
    a clamp; 2 x 2 and two-tap windows through the block made at the call site, mcu_pool_block_s8),
    clipped borders and windows of whole input rows; a lone pool whose output overlaps its input."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(8100)
    pool = tf.nn.max_pool2d if op == "MAX_POOL_2D" else tf.nn.avg_pool2d
    models = []
    for h, w, c in [(13, 11, 7), (17, 17, 12)]:
        configs = [((int(rng.integers(1, 5)), int(rng.integers(1, 5))), (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                    str(rng.choice(["SAME", "VALID"])), bool(rng.random() < 0.5)) for _ in range(5)]
        configs[0] = ((2, 2), (2, 2), "SAME", True)
        configs[1] = ((2, 1), (2, 1), "VALID", False)
        models.append(((h, w, c), configs))
    models[0][1].append(((9, 9), (2, 2), "SAME", False))  # beyond the tap table, with a channel tail
    models[1][1].append(((17, 17), (1, 1), "VALID", True))  # 289 taps: halfword sums flushed at 256
    models[1][1].append(((2, 1), (2, 1), "SAME", True))  # whole-word runs (an odd number of words) clamped
    # two-word pixels (8 channels): the interior in one block with and without a clamp, stride 1 along the
    # width (a row's windows as one run), windows of 2 x 2, 2 x 1, 1 x 2, 1 x 4 and others, borders clipped
    # by SAME padding, windows of whole input rows (global pooling), and random windows
    h, w = 10, 12
    configs = [((2, 2), (2, 2), "VALID", False), ((2, 2), (2, 2), "VALID", True), ((2, 1), (2, 1), "VALID", False),
               ((1, 2), (1, 2), "VALID", False), ((1, 4), (2, 2), "VALID", False), ((2, 2), (1, 1), "SAME", False),
               ((3, 3), (2, 2), "SAME", True), ((3, 2), (1, 3), "VALID", False), ((h, w), (1, 1), "VALID", False),
               ((h, 3), (1, 2), "VALID", False), ((2, 2), (1, 1), "VALID", True), ((1, 2), (1, 1), "VALID", False)]
    configs += [((int(rng.integers(1, 5)), int(rng.integers(1, 5))), (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                 str(rng.choice(["SAME", "VALID"])), bool(rng.random() < 0.5)) for _ in range(3)]
    models.append(((h, w, 8), configs))
    # 6-channel pixels: 2 x 2 and 2 x 1 windows at stride 1 (a row's six windows one block pixel of 36
    # channels, made at the call site) and at stride 2 (6 channels: the interior block with its tail)
    models.append(((7, 7, 6), [((2, 2), (1, 1), "VALID", False), ((2, 1), (1, 1), "VALID", True),
                               ((2, 2), (2, 2), "VALID", True)]))
    # one pool alone, so its output overlaps the input rows it no longer reads: clipped rows and columns
    # around one-word (4-channel) pixels, written row by row in order
    models.append(((13, 11, 4), [((3, 3), (2, 2), "SAME", False)]))
    # global pools of at most 256 taps: eight channels per pass then four (12 channels), an odd tap count,
    # with and without a clamp; inputs at -128 and 127 over 256 taps (the halfword sums' extremes)
    models.append(((16, 16, 12), [((16, 16), (1, 1), "VALID", True), ((16, 16), (1, 1), "VALID", False)]))
    models.append(((5, 5, 16), [((5, 5), (1, 1), "VALID", True), ((5, 5), (1, 1), "VALID", False)]))
    bad = []
    for (h, w, c), configs in models:
        def fn(x, configs=configs):
            return tuple(tf.nn.relu(pool(x, k, s, pad)) if relu else pool(x, k, s, pad)
                         for k, s, pad, relu in configs)

        model = convert(fn, [(1, h, w, c)], rng)
        inputs = [[random_input(rng, "int8", (1, h, w, c))] for _ in range(2)]
        if h * w == 256:
            inputs += [[np.full((1, h, w, c), v, dtype=np.int8)] for v in (-128, 127)]
        bad += check_on_qemu(Case(f"{op} {h}x{w}x{c} {configs}", model, inputs, {}), tmp_path / f"{h}{w}{c}")
    assert not bad, bad


def _planned_pool_cases(seed: int):
    """Pools the code generator plans (ops.Pool2D.plan: 2 x 2 windows or two-tap maxima inside the input,
    channels a multiple of 4): one model of several pools per operator on odd-sized inputs whose last
    row or column no window reads, channel counts 4, 8, 12 and 24 (odd and even word counts: the maxima
    run two words per step when even), strides 1 to 3 (spans of a whole row, pixels with skips, rows
    joined, one window per row on a 3-wide input: the rows are the spans), with and without a clamp (ReLU, ReLU6), random windows beside them; every planned pool
    checked to be planned in the generated C."""
    import tensorflow as tf

    from mcunets.engine import generate
    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(seed)
    cases = []
    for op, pool in (("MAX_POOL_2D", tf.nn.max_pool2d), ("AVERAGE_POOL_2D", tf.nn.avg_pool2d)):
        for (h, w, c) in ((7, 9, 12), (5, 6, 24), (9, 7, 4), (7, 3, 8)):
            configs = [((2, 2), (2, 2), "VALID", "none"), ((2, 2), (1, 1), "VALID", "relu"),
                       ((2, 2), (2, 3), "VALID", "relu6"), ((2, 2), (3, 2), "VALID", "none")]
            if op == "MAX_POOL_2D":
                configs += [((2, 1), (2, 1), "VALID", "none"), ((1, 2), (1, 2), "VALID", "relu"),
                            ((2, 1), (3, 1), "VALID", "relu6"), ((1, 2), (2, 3), "VALID", "none")]
            configs.append(((int(rng.integers(1, 4)), int(rng.integers(1, 4))), (2, 2), "SAME", "relu"))
            act = {"none": lambda t: t, "relu": tf.nn.relu, "relu6": tf.nn.relu6}

            def fn(x, configs=configs):
                return tuple(act[a](pool(x, k, s, pad)) for k, s, pad, a in configs)

            model = convert(fn, [(1, h, w, c)], rng)
            planned = generate(model, "k", patches="off").files["model.c"].count("mcu_pool_plan_")
            assert planned >= len(configs) - 1, (op, h, w, c, planned)
            inputs = [[random_input(rng, "int8", (1, h, w, c))] for _ in range(2)]
            cases.append(Case(f"{op} {h}x{w}x{c} {configs}", model, inputs, {}))
    return cases


def test_planned_pools_are_bit_exact_on_qemu(tmp_path):
    cases = _planned_pool_cases(8300)
    bad = _bad_on_qemu([cases[i] for i in (0, 1, 3, 4, 6, 7)], tmp_path)
    assert not bad, bad


def test_planned_pools_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_planned_pool_cases(8301))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _binary_cases(op: str, seed: int, count: int):
    """Models of several ADDs or SUBs (the sum-table path, fast_requant 2), MULs, MAXIMUMs or MINIMUMs (four
    elements per word) or SQUARED_DIFFERENCEs each:
    same-shape operands with an odd element count (word runs plus a tail), channel and pixel
    broadcasting, a constant operand, no activation, ReLU and ReLU6, input scales apart by up to 8x,
    calibration with random offsets (asymmetric zero points)."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    cases = []
    for i in range(count):
        rng = np.random.default_rng(seed + i)
        h, w, c = int(rng.integers(2, 7)), int(rng.integers(2, 8)), int(rng.integers(3, 19))
        k = float(2.0 ** rng.uniform(-3, 3))
        const = tf.constant(rng.normal(size=(1, h, w, c)).astype(np.float32))
        f = {"ADD": lambda a, b: a + b, "SUB": lambda a, b: a - b, "MUL": lambda a, b: a * b,
             "MAXIMUM": tf.maximum, "MINIMUM": tf.minimum, "SQUARED_DIFFERENCE": tf.math.squared_difference}[op]

        def make(k, const, f):
            return lambda x, y, z, v: (tf.nn.relu(f(x, y)), f(x * k, y), tf.nn.relu6(f(y, z)), f(v, x), f(x, const))

        specs = [(1, h, w, c), (1, h, w, c), (1, 1, 1, c), (1, h, w, 1)]
        model = convert(make(k, const, f), specs, rng)
        inputs = [[random_input(rng, "int8", s) for s in specs] for _ in range(RUNS)]
        cases.append(Case(f"{op} {h}x{w}x{c} k={k:.2f}", model, inputs, {}))
    return cases


@pytest.mark.parametrize("op, seed, count", [("ADD", 8300, 2), ("SUB", 8900, 1)])
def test_add_sum_table_path_is_bit_exact_on_qemu(op, seed, count, tmp_path):
    import re

    from mcunets.engine import generate

    cases = _binary_cases(op, seed, count)
    flags = [f for c in cases for f in re.findall(r"mcu_add_params l\d+_params = \{.*, (\d)\};",
                                                    generate(c.model, "m").files["model.c"])]
    assert len(flags) == 5 * count and flags.count("2") >= 4 * count, flags  # the sum tables are the rule
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_mul_word_path_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_binary_cases("MUL", 8500, 2), tmp_path)
    assert not bad, bad


@pytest.mark.parametrize("op, seed", [("MAXIMUM", 9000), ("MINIMUM", 9100)])
def test_minmax_word_path_is_bit_exact_on_qemu(op, seed, tmp_path):
    """MAXIMUM / MINIMUM four elements per word on contiguous runs and on a repeated byte (a pixel-broadcast
    operand), element by element on the tails."""
    bad = _bad_on_qemu(_binary_cases(op, seed, 1), tmp_path)
    assert not bad, bad


def test_squared_difference_is_bit_exact_on_qemu(tmp_path):
    """SQUARED_DIFFERENCE with broadcasting, a constant operand and ReLU6 after it (fast requantization),
    and on 24 x 256 pairs of inputs with output multipliers of shift 0 (portable requantization) and -1."""
    from mcunets.engine.testing import squared_difference_pairs

    cases = _binary_cases("SQUARED_DIFFERENCE", 9400, 1) + [squared_difference_pairs(np.random.default_rng(9401), 24)]
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_add_and_mul_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_binary_cases("ADD", 8400, 4) + _binary_cases("MUL", 8600, 4) + _binary_cases("SUB", 8800, 3)
                      + _binary_cases("MAXIMUM", 9200, 2) + _binary_cases("MINIMUM", 9300, 2)
                      + _binary_cases("SQUARED_DIFFERENCE", 9500, 2))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_mean_dsp_path_is_bit_exact_on_qemu(tmp_path):
    """MEAN on four inner channels per word: global averages over 289 pixels (halfword sums flushed
    every 256) with a channel tail, over 35 pixels (sums in registers, outputs a word at a time), over
    the rows, over the columns (one output row per input row), and over the channels (inner 1: the scalar
    path); eight channels per pass (inner a multiple of 8) and eight then four (12 channels over 256
    pixels, inputs at -128 and 127: the halfword sums' extremes)."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(8700)
    bad = []
    for h, w, c in [(17, 17, 13), (5, 7, 8), (16, 16, 12)]:
        def fn(x):
            return (tf.reduce_mean(x, axis=[1, 2], keepdims=True), tf.reduce_mean(x, axis=[1]),
                    tf.reduce_mean(x, axis=[2]), tf.reduce_mean(x, axis=[3], keepdims=True))

        model = convert(fn, [(1, h, w, c)], rng)
        inputs = [[random_input(rng, "int8", (1, h, w, c))] for _ in range(2)]
        if c == 12:
            inputs += [[np.full((1, h, w, c), v, dtype=np.int8)] for v in (-128, 127)]
        bad += check_on_qemu(Case(f"MEAN {h}x{w}x{c}", model, inputs, {}), tmp_path / f"{h}{w}{c}")
    assert not bad, bad


def _planned_mean_cases(seed: int):
    """MEAN the code generator plans (ops.Mean.plan: at most 256 elements, inner a multiple of 8): global
    averages over 256 pixels of 16 channels (inputs at -128 and 127 too: the halfword sums' extremes),
    over 9 x 7 pixels of 24 channels (a remainder of three elements), over the rows and over the columns
    (four outer rows of 40 pixels, inner 8), calibrated with random offsets (asymmetric zero points); each
    model has planned MEANs (those whose requantization shift is 0, over few elements, are not)."""
    import tensorflow as tf

    from mcunets.engine import generate
    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(seed)
    cases = []
    for h, w, c in [(16, 16, 16), (9, 7, 24), (4, 40, 8)]:
        def fn(x):
            return (tf.reduce_mean(x, axis=[1, 2], keepdims=True), tf.reduce_mean(x, axis=[1]),
                    tf.reduce_mean(x, axis=[2]))

        model = convert(fn, [(1, h, w, c)], rng)
        assert generate(model, "k").files["model.c"].count("mcu_mean_plan8_s8(") >= 1
        inputs = [[random_input(rng, "int8", (1, h, w, c))] for _ in range(2)]
        if h * w == 256:
            inputs += [[np.full((1, h, w, c), v, dtype=np.int8)] for v in (-128, 127)]
        cases.append(Case(f"MEAN {h}x{w}x{c}", model, inputs, {}))
    return cases


def test_planned_mean_is_bit_exact_on_qemu(tmp_path):
    bad = _bad_on_qemu(_planned_mean_cases(8750)[::2], tmp_path)
    assert not bad, bad


def test_planned_mean_is_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_planned_mean_cases(8751))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def _fc_block_cases(seed: int):
    """FULLY_CONNECTED with input depths that are multiples of 4, so the first rows are stored and run in
    blocks of six (rows tails of 0-5, batches of 2), converted and with trained-like quantization."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    rng = np.random.default_rng(seed)
    shapes = [(64, 13, 1), (64, 6, 2), (128, 12, 1), (68, 11, 1)]
    params = [(tf.constant(rng.normal(size=(i, o)).astype(np.float32) * 0.3),
               tf.constant(rng.normal(size=(o,)).astype(np.float32))) for i, o, _ in shapes]

    def fn(*xs):
        return tuple(tf.nn.relu(tf.matmul(x, wt) + b) for x, (wt, b) in zip(xs, params))

    model = convert(fn, [(n, i) for i, _, n in shapes], rng)
    cases = []
    for m in (model, trained_like_requant(model, rng)):
        g = read_model(m)
        inputs = [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
        cases.append(Case(f"fc row blocks {shapes}", m, inputs, {}))
    return cases


def test_fully_connected_row_blocks_are_bit_exact_on_qemu(tmp_path):
    case = _fc_block_cases(8800)[1]  # trained-like quantization (the converted one runs on the host)
    assert not check_on_qemu(case, tmp_path), case.name


def test_fully_connected_row_blocks_are_bit_exact_on_host():
    import re

    from mcunets.engine import generate
    from mcunets.engine.testing import check_cases

    cases = _fc_block_cases(8800)
    for c in cases:
        blocks = re.findall(r"mcu_fc_params l\d+_params = \{.*, (\d+), \d+, \w+\};",
                            generate(c.model, "m").files["model.c"])
        assert sorted(blocks) == ["12", "12", "6", "6"], blocks
    res = check_cases(cases)
    assert not res.mismatches, [m[0] for m in res.mismatches]


# (input depth, output depth, batches, activation): row remainders 0-5 beside the blocks of six (head
# blocks of 1 to 5 rows, whose loop sums the input, or none), fewer than six rows, one row, an odd and an
# even group count, a depth that is not a multiple of 4 (no blocks), every clamp mode, batches of 2 and 3
# with and without a head block, 257 groups with a head block and 258 without (the input's sum then in
# two chunks)
_FC_ENCODED = [(8, 13, 1, "relu"), (12, 6, 2, "none"), (64, 20, 1, "relu6"), (132, 7, 1, "none"),
               (30, 8, 1, "relu"), (100, 17, 2, "relu"), (4, 9, 1, "none"), (16, 5, 1, "relu6"),
               (1028, 10, 1, "relu6"), (20, 7, 3, "relu6"), (36, 1, 2, "relu"), (1032, 12, 1, "none")]


def _fc_encoded_cases(seed: int, shapes=None):
    """FULLY_CONNECTED layers whose blocks of six rows are stored encoded (mcu_fc_params.table, the even
    weight bytes XORed with 0x80): weights per output channel and per tensor, asymmetric input zero
    points (the converter's random calibration ranges), weights set to -128 and 127 (a whole row of
    -128 in each layer), inputs at -128 and 127, and trained-like quantization (shifts over -31 .. -1,
    near-dead channels with zero multipliers, huge biases). Returns {name: Case}."""
    import tensorflow as tf
    from tflite.Model import Model

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input, trained_like_requant

    shapes = _FC_ENCODED if shapes is None else shapes
    rng = np.random.default_rng(seed)
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "none": lambda v: v}
    params = [(tf.constant(rng.normal(size=(i, o)).astype(np.float32) * 0.3),
               tf.constant(rng.normal(size=(o,)).astype(np.float32))) for i, o, _, _ in shapes]

    def fn(*xs):
        return tuple(acts[a](tf.matmul(x, wt) + b) for x, (wt, b), (*_, a) in zip(xs, params, shapes))

    def extremes(model):
        """-128 and 127 at random weight positions, one whole row of -128 per layer."""
        buf = bytearray(model)
        m = Model.GetRootAsModel(buf, 0)
        sub = m.Subgraphs(0)
        for op in read_model(model).operators:
            t = sub.Tensors(op.inputs[1])
            w = m.Buffers(t.Buffer()).DataAsNumpy().view(np.int8)
            rows = w.reshape(t.ShapeAsNumpy()[0], -1)
            pick = rng.random(rows.shape)
            rows[pick < 0.05] = -128
            rows[pick > 0.95] = 127
            rows[int(rng.integers(rows.shape[0]))] = -128
        return bytes(buf)

    def inputs_for(model):
        g = read_model(model)
        runs = []
        for r in range(3):
            run = []
            for t in g.inputs:
                shape = g.tensors[t].shape
                if r == 0:
                    run.append(random_input(rng, "int8", shape))
                else:  # extremes: random -128 / 127, or all of one
                    pick = rng.integers(0, 2, size=shape) if r == 1 else np.full(shape, int(rng.integers(0, 2)))
                    run.append(np.where(pick == 1, 127, -128).astype(np.int8))
            runs.append(run)
        return runs

    specs = [(n, i) for i, _, n, _ in shapes]
    channel = extremes(convert(fn, specs, rng))
    tensor = extremes(convert(fn, specs, rng, dense_per_tensor=True))
    trained = trained_like_requant(channel, rng, int8_weights=False)
    models = {"per channel": channel, "per tensor": tensor, "trained-like": trained}
    # ReLU clamping above -128 and ReLU6 below 127 (the SSAT_LO and both-bounds entry points), with and
    # without zero points added after the shift
    models["clamped per tensor"] = _shift_zero_points(tensor, rng, "FULLY_CONNECTED")
    models["clamped trained-like"] = trained_like_requant(_shift_zero_points(channel, rng, "FULLY_CONNECTED"), rng,
                                                          int8_weights=False)
    return {k: Case(f"fc encoded {k}", m, inputs_for(m), {}) for k, m in models.items()}


def _fc_encoded_layout(model, clamps: bool = False):
    """(row blocks, head rows, table name or NULL, per channel) of each FULLY_CONNECTED layer as
    generated; with ``clamps`` the (act_min, act_max, post) of the layers with a table."""
    import re

    from mcunets.engine import generate

    code = generate(model, "m").files["model.c"]
    if clamps:
        return [(int(lo), int(hi), int(post)) for lo, hi, post, n in
                re.findall(r"mcu_fc_params l\d+_params = \{.*, (-?\d+), (-?\d+), (\d), \d, \d+, \d+, (\w+)\};",
                           code) if n != "NULL"]
    return [(int(b), int(t), n, int(pc)) for pc, b, t, n in
            re.findall(r"mcu_fc_params l\d+_params = \{.*, (\d), (\d+), (\d+), (\w+)\};", code)]


def test_fully_connected_encoded_blocks_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    cases = _fc_encoded_cases(8901)
    for name, case in cases.items():
        layout = _fc_encoded_layout(case.model)
        assert sorted((b, h) for b, h, _, _ in layout) == sorted(
            [(12, 1), (6, 0), (18, 2), (6, 1), (0, 0), (12, 5), (6, 3), (0, 5), (6, 4), (6, 1), (0, 1), (12, 0)]), \
            (name, layout)
        assert all((n != "NULL") == (b + h > 0) for b, h, n, _ in layout), (name, layout)
        # (the one-row layer has one multiplier either way)
        assert {pc for b, h, _, pc in layout if b + h != 1} == {0 if "per tensor" in name else 1}, (name, layout)
    # every encoded entry point: clamp [-128, 127], act_min above -128, both bounds; post-shift zero points
    clamps = [c for case in cases.values() for c in _fc_encoded_layout(case.model, clamps=True)]
    modes = {(lo <= -128, hi == 127, post) for lo, hi, post in clamps}
    assert modes >= {(True, True, 0), (True, True, 1), (False, True, 0), (False, True, 1), (False, False, 0),
                     (False, False, 1)}, modes
    res = check_cases(list(cases.values()))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_fully_connected_encoded_blocks_are_bit_exact_on_qemu(tmp_path):
    """The DSP path on qemu-m4 (per channel, trained-like and per tensor) and the portable 32-bit path,
    which decodes the encoded rows, on qemu-rv32."""
    cases = _fc_encoded_cases(8901)
    bad = _bad_on_qemu([cases["trained-like"], cases["per tensor"], cases["clamped per tensor"],
                        cases["clamped trained-like"]], tmp_path)
    if shutil.which("riscv64-unknown-elf-gcc"):
        bad += check_on_qemu(cases["per channel"], tmp_path / "rv32", "qemu-rv32")
    assert not bad, bad


# The encoded entry points per head block (0 .. 5 rows) enter their eight-group loops by TBH at the group
# count mod 8: with _FC_ENCODED every residue 0 .. 7, head blocks beside several blocks of six, no head
# block (the first block of six sums the input) with 1 to 4 blocks, odd group counts and batches of 2 and 3
_FC_SLIM = [(24, 12, 2, "relu"), (28, 11, 1, "relu6"), (56, 16, 1, "none"), (60, 24, 3, "relu"),
            (40, 9, 1, "relu6"), (92, 2, 2, "relu"), (32, 10, 1, "relu"), (8, 18, 2, "none"), (20, 6, 1, "relu6"),
            (44, 1, 3, "none")]


def test_fully_connected_encoded_loop_entries_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    residues = {(i // 4) % 8 for i, o, _, _ in _FC_ENCODED + _FC_SLIM if i % 4 == 0}
    assert residues == set(range(8)), residues
    cases = _fc_encoded_cases(8902, _FC_SLIM)
    for name, case in cases.items():
        layout = _fc_encoded_layout(case.model)
        assert sorted((b, h) for b, h, _, _ in layout) == sorted(
            [(12, 0), (6, 5), (12, 4), (24, 0), (6, 3), (0, 2), (6, 4), (18, 0), (6, 0), (0, 1)]), (name, layout)
    clamps = [c for case in cases.values() for c in _fc_encoded_layout(case.model, clamps=True)]
    modes = {(lo <= -128, hi == 127, post) for lo, hi, post in clamps}
    assert modes >= {(True, True, 0), (True, True, 1), (False, True, 0), (False, True, 1), (False, False, 0),
                     (False, False, 1)}, modes
    res = check_cases(list(cases.values()))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_fully_connected_encoded_loop_entries_are_bit_exact_on_qemu(tmp_path):
    """Every head block size, every loop entry (group count mod 8), the first block of six summing the
    input, batches of 2 and 3, every clamp and post-shift zero points, on qemu-m4."""
    cases = _fc_encoded_cases(8902, _FC_SLIM)
    bad = _bad_on_qemu([cases["trained-like"], cases["per tensor"], cases["clamped per tensor"],
                        cases["clamped trained-like"]], tmp_path)
    assert not bad, bad


# The widened-input path (mcu_fc_widened_fits: at most 128 inputs, at least three row passes): every head
# block size (0 .. 5) beside blocks of six, the buffer's largest input (32 groups) and one group, odd group
# counts (residues 1, 3, 5 mod 8), batches of 2 and 3; 132 inputs (one group over the buffer) and two passes
# (6 + 6 rows) stay on the encoded path.
_FC_WIDENED = [(48, 15, 1, "relu"), (128, 13, 1, "relu6"), (12, 24, 2, "none"), (76, 40, 1, "relu6"),
               (4, 14, 3, "relu"), (116, 29, 2, "none"), (132, 19, 1, "relu"), (20, 12, 1, "relu")]


def _fc_widened_expected(shapes) -> list:
    """The (row blocks, head rows) of _FC_WIDENED's layers and whether each takes the widened path."""
    return [(6 * (o // 6), o % 6, i <= 128 and o >= 13 and i % 4 == 0) for i, o, _, _ in shapes]


def test_fully_connected_widened_input_is_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    cases = _fc_widened_expected(_FC_WIDENED)
    assert {h for b, h, wide in cases if wide} == set(range(6)), cases
    assert [w for *_, w in cases].count(False) == 2, cases
    cases = _fc_encoded_cases(8903, _FC_WIDENED)
    for name, case in cases.items():
        layout = _fc_encoded_layout(case.model)
        assert sorted((b, h) for b, h, _, _ in layout) == sorted((b, h) for b, h, _ in _fc_widened_expected(
            _FC_WIDENED)), (name, layout)
    res = check_cases(list(cases.values()))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_fully_connected_widened_input_is_bit_exact_on_qemu(tmp_path):
    """The widened-input entry points on qemu-m4 (trained-like and per tensor, clamped both ways, with
    post-shift zero points), linked beside the encoded ones for the layers that do not fit."""
    from elftools.elf.elffile import ELFFile

    cases = _fc_encoded_cases(8903, _FC_WIDENED)
    picked = [cases["trained-like"], cases["per tensor"], cases["clamped per tensor"], cases["clamped trained-like"]]
    bad = _bad_on_qemu(picked, tmp_path)
    assert not bad, bad
    with open(tmp_path / "0" / "validate" / "firmware.elf", "rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    heads = {int(m.group(1)) for n in names for m in [re.match(r"mcu_fc_widened_h(\d)_", n)] if m}
    assert heads == set(range(6)), sorted(names)
    assert any(n.startswith("mcu_fc_encoded_h") for n in names), sorted(names)


# The head blocks of 1 to 3 rows on depths a multiple of 8 (mcu_fc_encoded_h<N>e_*: two groups per step,
# entered by TBH at the even group count mod 8): residues 0, 2, 4, 6, alone and beside blocks of six,
# batches of 2 and 3; 36 and 44 inputs (not multiples of 8) stay on the one-group loops.
_FC_HE = [(256, 2, 1, "relu"), (64, 8, 2, "relu6"), (136, 14, 1, "none"), (48, 2, 3, "relu"),
          (24, 8, 1, "relu6"), (36, 2, 1, "relu"), (256, 1, 1, "relu"), (40, 7, 2, "none"), (48, 9, 1, "none"),
          (24, 3, 3, "relu"), (56, 1, 1, "relu6"), (44, 3, 1, "relu"), (80, 7, 1, "relu"), (128, 3, 1, "none"),
          (72, 9, 2, "relu6")]


def test_fully_connected_small_head_is_bit_exact_on_host():
    from collections import Counter

    from mcunets.engine.testing import check_cases

    for n in (1, 2, 3):
        assert {(i // 4) % 8 for i, o, _, _ in _FC_HE if i % 8 == 0 and o % 6 == n} == {0, 2, 4, 6}, n
    cases = _fc_encoded_cases(8904, _FC_HE)
    for name, case in cases.items():
        layout = _fc_encoded_layout(case.model)
        # (a one-row layer's per-tensor shift may leave it unencoded)
        expected = Counter((6 * (o // 6), o % 6) for _, o, _, _ in _FC_HE)
        got = Counter((b, h) for b, h, n, _ in layout if n != "NULL")
        assert got == expected if "trained" in name else not got - expected, (name, layout)
    res = check_cases(list(cases.values()))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_fully_connected_small_head_is_bit_exact_on_qemu(tmp_path):
    """The two-group head loops on qemu-m4 (trained-like and per tensor, clamped both ways, with post-shift
    zero points), linked beside the one-group head loops."""
    from elftools.elf.elffile import ELFFile

    cases = _fc_encoded_cases(8904, _FC_HE)
    picked = [cases["trained-like"], cases["per tensor"], cases["clamped per tensor"], cases["clamped trained-like"]]
    bad = _bad_on_qemu(picked, tmp_path)
    assert not bad, bad
    with open(tmp_path / "0" / "validate" / "firmware.elf", "rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    heads = {m.group(1) for n in names for m in [re.match(r"mcu_fc_encoded_h(\de)_", n)] if m}
    assert heads == {"1e", "2e", "3e"}, sorted(names)


def _linked_kernels(fn, shape, rng, build_dir, edit=None) -> set:
    """The kernel functions linked into the qemu-m4 firmware of the one-layer model ``fn`` on an input of
    ``shape`` (after checking the firmware is bit-exact); ``edit`` changes the converted model first."""
    from elftools.elf.elffile import ELFFile

    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, convert, random_input

    model = convert(fn, [shape], rng)
    model = edit(model) if edit else model
    g = read_model(model)
    case = Case(f"link {shape}", model, [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs]])
    assert not check_on_qemu(case, build_dir), case.name
    with open(build_dir / "validate" / "firmware.elf", "rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    return {n for n in names if n.startswith(("mcu_conv", "mcu_depthwise", "conv_", "rows3_", "dw_", "depthwise_",
                                              "small", "expand_", "kxk_", "c1_")) and not n.endswith(".c")}


def test_a_firmware_links_only_the_kernel_variants_its_layers_run(tmp_path):
    """The dispatch is inline and decided at compile time from the model's constant parameters: a model
    of one 1x1 convolution on 16 channels with ReLU (output zero point -128: the plain SSAT clamp) links
    the small-path variant of the DSP 1x1 path for that depth and clamp mode and none of the other
    convolution or depthwise code (neither the four-pixel passes nor the pixel-pair assembly)."""
    import tensorflow as tf

    rng = np.random.default_rng(9100)
    wt = tf.constant((rng.standard_normal((1, 1, 16, 24)) * 0.3).astype(np.float32))
    b = tf.constant(rng.standard_normal(24).astype(np.float32))
    kernels = _linked_kernels(lambda x: tf.nn.relu(tf.nn.conv2d(x, wt, [1, 1, 1, 1], "VALID") + b),
                              (1, 6, 7, 16), rng, tmp_path)
    # one entry point of the small path with the code generator's table (its depth in the one-pixel layout,
    # clamp mode and post-add flag) and its assembly
    entries = [n for n in kernels if n.startswith("mcu_conv")]
    assert len(entries) == 1 and entries[0].startswith("mcu_conv_1x1_small_c16x_ssat_"), sorted(kernels)
    assert all(n.startswith(("mcu_conv_1x1_small_c16x_ssat_", "conv_1x1_small", "smallx16"))
               and "_lo" not in n for n in kernels), sorted(kernels)
    # a depth that is a multiple of 4: no copy of a padded last pixel
    assert not any(n.startswith("conv_1x1_small_rows_padded") for n in kernels), sorted(kernels)


def test_a_firmware_links_the_padded_and_odd_count_variants_only_where_its_layers_need_them(tmp_path):
    """Whether a 1x1 layer's input depth is a multiple of 4 and whether a one-channel 3x3 layer's output
    count is odd are decided at compile time: a 1x1 layer on 34 channels (four-pixel passes) links the
    _padded_ entry point and the 36-channel one of test_a_firmware_links_the_multi_pixel_passes... does not;
    a small-path layer on 14 channels links the padded rows loop (conv_1x1_small_rows_padded) and not the
    plain one; a 3x3 layer on one channel with 8 outputs links neither the odd-count entry point nor its row
    function, and one with 7 outputs links only those."""
    import tensorflow as tf

    rng = np.random.default_rng(9120)

    def conv(kh, c, o, pad):
        wt = tf.constant((rng.standard_normal((kh, kh, c, o)) * 0.3).astype(np.float32))
        return lambda x: tf.nn.conv2d(x, wt, [1, 1, 1, 1], pad)

    quad = _linked_kernels(conv(1, 34, 8, "VALID"), (1, 4, 5, 34), rng, tmp_path / "quad")
    assert [n for n in quad if n.startswith("mcu_conv")] == ["mcu_conv_1x1_dsp_padded_quad1_ssat_s8"], sorted(quad)

    small = _linked_kernels(conv(1, 14, 24, "VALID"), (1, 6, 7, 14), rng, tmp_path / "small")
    entries = [n for n in small if n.startswith("mcu_conv")]
    assert len(entries) == 1 and entries[0].startswith("mcu_conv_1x1_small_c16xp_ssat_"), sorted(small)
    assert any(n.startswith("conv_1x1_small_rows_padded") for n in small), sorted(small)
    assert not any(n.startswith("conv_1x1_small_rows") and "padded" not in n for n in small), sorted(small)

    even = _linked_kernels(conv(3, 1, 8, "SAME"), (1, 9, 11, 1), rng, tmp_path / "even")
    assert [n for n in even if n.startswith("mcu_conv")] == ["mcu_conv_3x3_c1_dsp_s8"], sorted(even)
    assert "c1_row" in even and not any("odd" in n for n in even), sorted(even)

    odd = _linked_kernels(conv(3, 1, 7, "SAME"), (1, 9, 11, 1), rng, tmp_path / "odd")
    assert [n for n in odd if n.startswith("mcu_conv")] == ["mcu_conv_3x3_c1_odd_dsp_s8"], sorted(odd)
    assert "c1_row_odd" in odd and "c1_row" not in odd, sorted(odd)



def _twice_the_output_scale(model: bytes) -> bytes:
    """A copy of ``model`` whose CONV_2D outputs have twice their scale: a fused ReLU6 (its output range
    [0, 6] calibrated to the whole int8 range) then clamps below 127 as well as at -128."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    buf = bytearray(model)
    sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    for op in read_model(model).operators:
        if op.op == "CONV_2D":
            sub.Tensors(op.outputs[0]).Quantization().ScaleAsNumpy()[0] *= np.float32(2)
    return bytes(buf)

def test_a_firmware_links_the_multi_pixel_passes_only_where_its_layers_take_them(tmp_path):
    """The four-pixel passes (1x1 off the small path, gathered k x k) and the k x k three-pixel passes are
    entry points of their own, picked at compile time: a 1x1 layer on 36 channels whose pixel count is a
    multiple of 4 links the four-pixel assembly and not the pixel-pair one, nor any k x k or three-pixel
    code; a 3x3 layer on 16 channels with a pixel count of 1 modulo 3 links the three-pixel assembly and
    not the four-pixel or pixel-pair assembly, nor the gathered patches; a 4x2 layer on 6 channels (patches
    gathered; on 1-3 channels it would be a first convolution) with a pixel count of 2 modulo 4 links the
    four-pixel and the pixel-pair assembly, not the three-pixel code; a 3x3 layer on 16 channels clamped at
    both ends (ReLU6, weights large enough that its outputs reach 6, on an output scale twice its range)
    links none of the multi-pixel passes."""
    import tensorflow as tf

    rng = np.random.default_rng(9110)

    def conv(kh, kw, c, o, act, pad, scale=0.3):
        wt = tf.constant((rng.standard_normal((kh, kw, c, o)) * scale).astype(np.float32))
        b = tf.constant(rng.standard_normal(o).astype(np.float32))
        return lambda x: act(tf.nn.conv2d(x, wt, [1, 1, 1, 1], pad) + b)

    none = lambda v: v  # noqa: E731
    quad = _linked_kernels(conv(1, 1, 36, 8, none, "VALID"), (1, 4, 5, 36), rng, tmp_path / "quad")
    assert {"mcu_conv_1x1_dsp_quad1_ssat_s8", "conv_1x1_quad_ssat", "expand_quad"} <= quad, sorted(quad)
    assert not any(n.startswith(("conv_1x1_pairs", "conv_triple", "small", "mcu_conv_kxk", "kxk_", "expand_triple"))
                   for n in quad), sorted(quad)
    assert [n for n in quad if n.startswith("mcu_conv")] == ["mcu_conv_1x1_dsp_quad1_ssat_s8"], sorted(quad)

    tri = _linked_kernels(conv(3, 3, 16, 8, none, "SAME"), (1, 4, 7, 16), rng, tmp_path / "tri")
    assert {"mcu_conv_kxk_dsp_tri1_ssat_s8", "conv_triple_ssat", "expand_triple_shift"} <= tri, sorted(tri)
    assert not any(n.startswith(("conv_1x1_pairs", "conv_1x1_quad", "expand_quad", "small", "kxk_patch"))
                   or "_lo" in n for n in tri), sorted(tri)
    assert [n for n in tri if n.startswith("mcu_conv")] == ["mcu_conv_kxk_dsp_tri1_ssat_s8"], sorted(tri)

    gathered = _linked_kernels(conv(4, 2, 6, 8, none, "SAME"), (1, 7, 6, 6), rng, tmp_path / "gathered")
    assert {"mcu_conv_kxk_gathered_dsp_quad_ssat_s8", "conv_1x1_quad_ssat", "conv_1x1_pairs_ssat",
            "kxk_patch"} <= gathered, sorted(gathered)
    assert not any(n.startswith(("conv_triple", "expand_triple", "small", "mcu_conv_1x1")) for n in gathered), \
        sorted(gathered)

    both = _linked_kernels(conv(3, 3, 16, 8, tf.nn.relu6, "SAME", scale=1.0), (1, 5, 7, 16), rng,
                           tmp_path / "both", _twice_the_output_scale)
    assert "mcu_conv_kxk_dsp_both_s8" in both, sorted(both)
    assert not any(n.startswith(("conv_triple", "expand_triple", "conv_1x1_quad", "expand_quad", "small",
                                 "conv_1x1_pairs", "kxk_patch")) for n in both), sorted(both)


def test_weight_bytes_are_the_model_data_a_dsp_firmware_links(tmp_path):
    """Conv2D.weight_bytes and DepthwiseConv2D.weight_bytes count what a Cortex-M4 firmware links
    (targets.model_data_bytes, from the linker map): only the table (also the stride-2 3x3 depthwise path) for the paths that read nothing else (k x k first convolutions, the one-channel 3x3
    path with an even and an odd output count, 1x1 on 3 channels, the small 1x1 path on 16, 14 and 8 channels),
    the int8 filter, bias and requantization arrays beside any table for the others (the 3x3 row path on 3
    channels, k x k three-pixel passes, the general 1x1 path); as converted and with trained-like
    quantization."""
    import tensorflow as tf

    from mcunets import targets
    from mcunets.engine import generate
    from mcunets.engine.testing import convert, trained_like_requant, with_kernel_objects

    rng = np.random.default_rng(9130)
    specs = [((5, 5), 1, 8, "SAME", (12, 11)), ((3, 3), 1, 8, "SAME", (9, 10)), ((3, 3), 1, 7, "SAME", (9, 10)),
             ((1, 1), 3, 8, "VALID", (6, 7)), ((1, 1), 16, 8, "VALID", (6, 7)), ((1, 1), 14, 8, "VALID", (6, 7)),
             ((1, 1), 36, 8, "VALID", (4, 5)), ((3, 3), 8, 8, "SAME", (6, 6)), ((3, 3), 3, 8, "SAME", (9, 10)),
             ((1, 1), 8, 6, "VALID", (5, 7))]
    layers = [(tf.constant((rng.standard_normal((*k, c, o)) * 0.3).astype(np.float32)),
               tf.constant(rng.standard_normal(o).astype(np.float32)), pad) for k, c, o, pad, _ in specs]

    # depthwise: 3x3 at stride 2 (the path from the code generator's table only) and 1 (table, filter), 1x3
    dws = [((3, 3), 2, (9, 10)), ((3, 3), 1, (6, 7)), ((1, 3), 1, (6, 7))]
    dw_w = [tf.constant(rng.standard_normal((*k, 8, 1)).astype(np.float32)) for k, _, _ in dws]

    def fn(*xs):
        convs = tuple(tf.nn.relu(tf.nn.conv2d(x, wt, [1, 1, 1, 1], pad) + b) for x, (wt, b, pad) in zip(xs, layers))
        return convs + tuple(tf.nn.relu(tf.nn.depthwise_conv2d(x, wt, [1, s, s, 1], "SAME"))
                             for x, wt, (_, s, _) in zip(xs[len(layers):], dw_w, dws))

    model = convert(fn, [(1, *hw, c) for _, c, _, _, hw in specs] + [(1, *hw, 8) for *_, hw in dws], rng)
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        gen = generate(m, "w")
        assert len(re.findall(r"l\d+_(?:first|rows3|narrow|pw)\[", gen.files["model.c"])) >= 8
        assert j or re.search(r"l\d+_dw3s2\[", gen.files["model.c"])
        src = targets.engine_sources(m, "w", tmp_path / f"model{j}", "qemu-m4")
        fw = targets.build(with_kernel_objects(src, "qemu-m4"), "qemu-m4", tmp_path / f"fw{j}", runs=1, warmup=0)
        model_c = next(p for p in fw.sources if p.name == "model.c")
        assert targets.model_data_bytes(fw, model_c) == gen.flash_bytes, j


def _depthwise_3x3_chunk_cases(seed: int):
    """Chains of 3x3 depthwise layers on small maps with many channels, where the DSP 3x3 path runs the
    channels in chunks (DepthwiseConv2D.dw_chunk: several chunks, the depth not a multiple of the chunk):
    stride 1 (rows of four outputs with pair / single tails, the five-output step at width 5), odd widths
    and heights, SAME and VALID, ReLU with act_min above -128 (the lower clamp), none and ReLU6 (both
    bounds: the C rows, chunked too, at stride 1 and 2; stride 2 with act_max 127 runs the path from the
    code generator's table, which keeps no rows and does not chunk), 52 .. 132 channels; each as converted
    and with trained-like quantization, asymmetric zero points."""
    chains = [
        ((3, 5, 52), [(1, "SAME", "relu"), (1, "VALID", "none"), (2, "SAME", "relu")]),
        ((3, 7, 100), [(2, "SAME", "relu"), (1, "SAME", "none"), (1, "SAME", "relu6")]),
        ((2, 5, 100), [(1, "SAME", "none"), (2, "SAME", "relu")]),
        ((4, 5, 132), [(2, "SAME", "none"), (1, "SAME", "relu"), (2, "SAME", "none")]),
        ((3, 9, 128), [(2, "VALID", "relu"), (1, "SAME", "none"), (2, "SAME", "relu")]),
    ]
    # ReLU6 at stride 2 with weights large enough that it clamps below 127 (the C rows)
    both = [((4, 5, 132), [(1, "SAME", "none"), (2, "SAME", "relu6")]),
            ((3, 9, 128), [(1, "VALID", "none"), (2, "SAME", "relu6")])]
    chains, both = ([(hwc, [((3, 3), s, 1, pad, act) for s, pad, act in layers]) for hwc, layers in cs]
                    for cs in (chains, both))
    return (_depthwise_chain_cases(seed, "dw3x3 chunk", chains, weight_scale=0.5)
            + _depthwise_chain_cases(seed + 1, "dw3x3 chunk both", both, weight_scale=3.0))


def _chunks(model: bytes) -> list:
    """(channels, chunk, width stride) of every 3x3 depthwise layer of ``model`` as the code generator lowers
    it."""
    from mcunets.engine.lower import lower
    from mcunets.engine.ops import DepthwiseConv2D
    from mcunets.engine.patches import PatchStage, choose
    from mcunets.engine.reader import read_model

    graph = read_model(model)
    layers = choose(graph, lower(graph))[0]
    inner = [i for layer in layers for i in (layer.layers if isinstance(layer, PatchStage) else [layer])]
    return [(layer.in_shape[3], layer.chunk, layer.stride[1]) for layer in inner if isinstance(layer, DepthwiseConv2D)]


def test_depthwise_3x3_chunks_are_bit_exact_on_qemu(tmp_path, ring_rows):
    cases = _depthwise_3x3_chunk_cases(7530)
    chunks = [ch for c in cases for ch in _chunks(c.model)]
    assert all(k % 4 == 0 for _, k, _ in chunks) and sum(1 for c, k, _ in chunks if k and c % k) >= 6, chunks
    assert sum(1 for c, k, _ in chunks if k and -(-c // k) >= 3) >= 2, chunks
    assert sum(1 for _, k, s in chunks if k and s == 2) >= 4, chunks  # (the C rows at stride 2)
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


def test_depthwise_3x3_chunk_cases_are_bit_exact_on_host():
    from mcunets.engine.testing import check_cases

    res = check_cases(_depthwise_3x3_chunk_cases(7530))
    assert not res.mismatches, [m[0] for m in res.mismatches]


def test_one_chunk_and_chunked_depthwise_layers_of_one_model_are_bit_exact_on_qemu(tmp_path, monkeypatch):
    """One model whose schedule leaves one stride-1 3x3 depthwise layer whole (16x13x8 after a 1x1 convolution
    whose maps are the peak there; rows of 13: the five-output step) and chunks another (4x4x96, the peak of the
    whole-depth plan; rows of four): its firmware links the whole-depth entry point (compiled without the chunk
    loop) and the chunked one of the stride-1 rows from the code generator's table, and both layers' outputs
    equal TFLite's reference kernels on qemu-m4 and the host; as converted (ReLU at -128: the plain clamp) and
    with trained-like quantization, two random inputs each. (Chunked layers on small maps run four channels per
    word, ops.S1_WORDS_CHUNK_PIXELS: here 0, so the 4x4x96 layer keeps the rows this test is about.)"""
    import tensorflow as tf
    from elftools.elf.elffile import ELFFile

    from mcunets.engine import ops
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import Case, check_cases, convert, random_input, trained_like_requant

    monkeypatch.setattr(ops, "S1_WORDS_CHUNK_PIXELS", 0)

    rng = np.random.default_rng(7533)
    pw1 = tf.constant(rng.normal(size=(1, 1, 16, 8)).astype(np.float32) * 0.3)
    dw1 = tf.constant(rng.normal(size=(3, 3, 8, 1)).astype(np.float32))
    pw2 = tf.constant(rng.normal(size=(1, 1, 8, 96)).astype(np.float32) * 0.3)
    dw2 = tf.constant(rng.normal(size=(3, 3, 96, 1)).astype(np.float32))
    b1, b2 = (tf.constant(rng.normal(size=(c,)).astype(np.float32)) for c in (8, 96))

    def fn(x):
        a = tf.nn.relu(tf.nn.depthwise_conv2d(tf.nn.conv2d(x, pw1, [1, 1, 1, 1], "VALID"), dw1, [1, 1, 1, 1], "SAME")
                       + b1)
        y = tf.nn.conv2d(a, pw2, [1, 4, 4, 1], "VALID")
        return a, tf.nn.relu(tf.nn.depthwise_conv2d(y, dw2, [1, 1, 1, 1], "SAME") + b2)

    model = convert(fn, [(1, 16, 13, 16)], rng)
    for j, m in enumerate((model, trained_like_requant(model, rng))):
        chunks = sorted(_chunks(m))
        assert [(c, bool(k), s) for c, k, s in chunks] == [(8, False, 1), (96, True, 1)], chunks
        g = read_model(m)
        case = Case(f"one chunk and chunks {j}", m,
                    [[random_input(rng, "int8", g.tensors[t].shape) for t in g.inputs] for _ in range(2)])
        assert not check_cases([case]).mismatches, case.name
        assert not check_on_qemu(case, tmp_path / str(j)), case.name
        with open(tmp_path / str(j) / "validate" / "firmware.elf", "rb") as f:
            names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
        dw = sorted(n for n in names if n.startswith("mcu_depthwise_3x3"))
        assert len(dw) == 2 and sum(n.endswith("_t_chunk_s8") for n in dw) == 1 and \
            sum(n.endswith("_t_s8") for n in dw) == 1, dw


def _random_depthwise(rng, chunked: bool):
    """A DepthwiseConv2D of random shape, stride, kernel (mostly 3x3) and upper clamp (127 or not), with
    random constants (shifts in and out of -31 .. -1) and, with ``chunked``, a random chunk of its
    chunk_choices."""
    from mcunets.engine.ops import DepthwiseConv2D

    h, w = (int(v) for v in rng.integers(1, 30, 2))
    c = 4 * int(rng.integers(1, 70))
    s = int(rng.integers(1, 3))
    k = (3, 3) if rng.random() < 0.8 else (1, 3)
    out = (1, -(-h // s), -(-w // s), c)
    mults = tuple(int(v) for v in rng.integers(2**30, 2**31 - 1, c))
    low, high = (-12, -1) if rng.random() < 0.8 else (-3, 3)
    shifts = tuple(int(v) for v in rng.integers(low, high, c))
    layer = DepthwiseConv2D(0, "DEPTHWISE_CONV_2D", (0,), (1,), in_shape=(1, h, w, c), out_shape=out,
                            stride=(s, s), padding=(1, 1), filter=rng.integers(-127, 128, (1, *k, c)).astype(np.int8),
                            bias=rng.integers(-500, 500, c).astype(np.int32), input_offset=int(rng.integers(-127, 128)),
                            output_offset=int(rng.integers(-128, 128)), act=(-128, 127 if rng.random() < 0.7 else 100),
                            multipliers=mults, shifts=shifts, s1_words=s == 1 and rng.random() < 0.3)
    choices = layer.chunk_choices()
    if chunked and choices:
        layer = replace(layer, chunk=int(rng.choice(choices)))
    return layer


def test_depthwise_buffer_size_is_the_scratch_reserved():
    """mcu_depthwise_conv_s8_buffer_size (host build) gives DepthwiseConv2D.scratch_bytes for the layer as it
    runs: one chunk's rows (and at stride 1 its table), the whole depth's when unchunked, the stride-2 path
    from the code generator's table (w + 31) * c, 0 for 1x3; chunk_choices are multiples of 4 below the
    depth, fewest chunks first, the layers without the rows having none."""
    import ctypes

    from mcunets.engine.host import compiler, kernel_objects

    lib_path = Path(tempfile.mkdtemp(prefix="mcunets-dwsize-")) / "libk.so"
    subprocess.run([compiler(), "-shared", "-o", str(lib_path), *map(str, kernel_objects()), "-lm"], check=True)
    lib = ctypes.CDLL(str(lib_path))
    fn = lib.mcu_depthwise_conv_s8_buffer_size
    fn.restype = ctypes.c_int32
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]

    class Params(ctypes.Structure):  # mcu_dw_conv_params
        _fields_ = [(n, ctypes.c_int32) for n in ("in_off", "out_off", "sh", "sw", "ph", "pw", "dh", "dw", "mult",
                                                   "lo", "hi", "fast")] + [("table", ctypes.c_void_p),
                                                                           ("chunk", ctypes.c_int32)]

    rng = np.random.default_rng(7531)
    table, words = (ctypes.c_int32 * 1)(0), (ctypes.c_int32 * 1)(2)  # word 0 bit 1: stride 1, four channels per word
    seen = set()
    for i in range(300):
        layer = _random_depthwise(rng, i % 3 != 0)
        _, kh, kw, c = layer.filter.shape
        choices = layer.chunk_choices()
        assert all(x % 4 == 0 and 4 <= x < c for x in choices) and choices == sorted(choices, reverse=True)
        assert not choices or -(-c // choices[0]) == 2, (c, choices)
        # the generator gives a table to the stride-2 path from its table (and to stride 1 and 1x3, which does
        # not change the size)
        has_table = layer.words or (layer.rows_table and layer.stride[1] == 1) or layer.three_tap
        p = Params(layer.input_offset, layer.output_offset, *layer.stride, *layer.padding, 1, 1, 1, *layer.act, 1,
                   ctypes.cast(words if layer.words else table, ctypes.c_void_p) if has_table else None, layer.chunk)
        dims = (ctypes.c_int32 * 4)(*layer.in_shape)
        fdims = (ctypes.c_int32 * 4)(1, kh, kw, c)
        assert fn(ctypes.byref(p), dims, fdims) == layer.scratch_bytes, (layer.in_shape, layer.stride, kh, kw,
                                                                        layer.chunk, layer.act)
        seen.add(("s1 words" if layer.stride[1] == 1 else "s2 table") if layer.words else "chunk" if layer.chunk
                 else "whole" if layer.scratch_bytes else "none")
    assert seen == {"s1 words", "s2 table", "chunk", "whole", "none"}, seen


def _plan_chunks(model: bytes, patches="off"):
    """(layers, plan) the schedule takes for ``model``, and the arena with every 3x3 depthwise layer
    unchunked (the same layers otherwise)."""
    from mcunets.engine.lower import lower
    from mcunets.engine.patches import choose
    from mcunets.engine.planner import PROMOTIONS, plan_memory
    from mcunets.engine.reader import read_model

    graph = read_model(model)
    layers, plan, _ = choose(graph, lower(graph), patches)
    whole = [replace(l, chunk=0) if getattr(l, "chunk", 0) else l for l in layers]
    return layers, plan, plan_memory(graph, whole, PROMOTIONS).arena_bytes


def test_depthwise_chunks_only_where_they_lower_the_arena():
    """The schedule runs a 3x3 depthwise layer's DSP rows in chunks only where that lowers the arena: a layer
    on a small map with many channels that is the model's peak gets the fewest chunks that give the
    smallest arena, one whose scratch the peak elsewhere (a large input before it) covers stays unchunked
    (its scratch more than half its maps: the fixed rule of e95dacc chunked both)."""
    import tensorflow as tf

    from mcunets.engine.ops import DepthwiseConv2D
    from mcunets.engine.testing import convert

    rng = np.random.default_rng(7532)
    wt = tf.constant(rng.normal(size=(3, 3, 96, 1)).astype(np.float32))
    pw = tf.constant(rng.normal(size=(1, 1, 24, 96)).astype(np.float32) * 0.2)
    peak = convert(lambda x: tf.nn.relu(tf.nn.depthwise_conv2d(x, wt, [1, 1, 1, 1], "SAME")), [(1, 4, 4, 96)], rng)
    layers, plan, whole = _plan_chunks(peak)
    (dw,) = [l for l in layers if isinstance(l, DepthwiseConv2D)]
    assert dw.chunk and dw.chunk in dw.chunk_choices() and plan.arena_bytes < whole, (dw.chunk, plan.arena_bytes)
    # fewer chunks would leave a larger arena
    from mcunets.engine.planner import PROMOTIONS, plan_memory
    from mcunets.engine.reader import read_model

    graph = read_model(peak)
    for c in (c for c in dw.chunk_choices() if c > dw.chunk):
        fewer = [replace(l, chunk=c) if l is dw else l for l in layers]
        assert plan_memory(graph, fewer, PROMOTIONS).arena_bytes > plan.arena_bytes, c

    def behind(x):  # a large input, strided down to 4x4x96 by a 1x1 convolution: that layer is the peak
        y = tf.nn.relu(tf.nn.conv2d(x, pw, [1, 8, 8, 1], "VALID"))
        return tf.nn.relu(tf.nn.depthwise_conv2d(y, wt, [1, 1, 1, 1], "SAME"))

    layers, plan, whole = _plan_chunks(convert(behind, [(1, 32, 32, 24)], rng))
    (dw,) = [l for l in layers if isinstance(l, DepthwiseConv2D)]
    assert dw.chunk == 0 and dw.chunk_choices() and plan.arena_bytes == whole, (dw.chunk, plan.arena_bytes)
    assert dw.scratch_bytes > (int(np.prod(dw.in_shape)) + int(np.prod(dw.out_shape))) // 2


def test_chunked_depthwise_output_never_overlaps_its_input(tmp_path):
    """A stride-1 3x3 depthwise layer the schedule runs in channel chunks (9x32x48, after a 2x2 patch stage,
    then MAXIMUM and RESIZE_NEAREST_NEIGHBOR) runs every row of a chunk before the next chunk's: its output
    placed 3,748 bytes below its input (allowed for rows in order) overwrote channels 44-47 of the input
    before the last chunk read them (qemu-m4; found by benchmarks/mixed_models.py, seed 4008). Such a layer's
    output no longer overlaps its input (DepthwiseConv2D.overlap)."""
    import tensorflow as tf

    from mcunets.engine.testing import _weights, convert, random_input, validate_on_board

    rng = np.random.default_rng(4008)
    f, b = tf.constant(_weights(rng, (3, 3, 8, 48))), tf.constant(_weights(rng, (48,)))
    g, d = tf.constant(_weights(rng, (3, 3, 48, 1))), tf.constant(_weights(rng, (48,)))

    def fn(x):
        y = tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)
        y = tf.nn.relu(tf.nn.depthwise_conv2d(y, g, [1, 1, 1, 1], "SAME") + d)
        return tf.compat.v1.image.resize_nearest_neighbor(tf.maximum(y, 0.5), (35, 4))

    model = convert(fn, [(1, 9, 32, 8)], rng)
    runs = [[random_input(rng, "int8", (1, 9, 32, 8))] for _ in range(2)]
    got = validate_on_board(model, "qemu-m4", runs, tmp_path, patches=2, max_extra_macs=3.0)
    assert got == [[w.tobytes() for w in reference(model, r)] for r in runs]


def test_transpose_conv_phase_dsp_path_is_bit_exact_on_qemu(tmp_path):
    """TRANSPOSE_CONV's DSP phase path (mcu_transpose_conv_dsp_s8): gathered and direct patches, odd channel
    and pixel counts, phases without taps, every clamp mode, per-channel and per-tensor weights."""
    from mcunets.engine import generate
    from mcunets.engine.testing import transpose_conv_cases

    cases = transpose_conv_cases(7700)
    for c in cases:  # fast_requant (the params' last field) and scratch in every layer
        text = generate(c.model, "m").files["model.c"]
        assert text.count("mcu_transpose_conv_s8(") == 10 and "NULL);" not in text.split("_invoke")[-1]
        assert len(re.findall(r"mcu_transpose_conv_params l\d+_params = \{.*, 1\};", text)) == 10
    bad = _bad_on_qemu(cases, tmp_path)
    assert not bad, bad


@pytest.mark.parametrize("seed", [8810, 8811])
def test_resize_bilinear_word_path_on_qemu(seed, tmp_path):
    """RESIZE_BILINEAR's four-channel SXTB16 / PKHBT / SMUAD pass on qemu-m4 (depths 4, 8, 12 whole, 5 with a
    tail of one channel, 1-3 by bytes; every mode), seeded models other than the operators' sweep's."""
    assert not check_on_qemu(make_case("RESIZE_BILINEAR_MODES", np.random.default_rng(seed), runs=2), tmp_path)


def test_chunked_depthwise_tiles_get_the_scratch_of_the_layers_path(tmp_path):
    """A stride-1 3x3 depthwise layer in channel chunks whose output map is over S1_WORDS_CHUNK_PIXELS (5x23)
    runs the ring rows from the layer's table in every tile of its 4x4 patch stage; each tile's scratch was
    sized for the four-channels-per-word path its own small map would take (1,288 B for 3,360 B of rows in
    chunks of 28 channels), so the rows' writes ran over the tile buffers into the table's output pointers:
    a hard fault on qemu-m4 (benchmarks/mixed_models.py seed 4009, hidden since behind a PACK refused). Tiles
    take their layer's path's scratch (DepthwiseConv2D.tile_scratch); arena 30,900 B either way."""
    import tensorflow as tf

    from mcunets.engine import generate
    from mcunets.engine.testing import _weights, convert, random_input, validate_on_board

    rng = np.random.default_rng(4009)
    f, b = tf.constant(_weights(rng, (3, 3, 3, 70))), tf.constant(_weights(rng, (70,)))
    g, d = tf.constant(_weights(rng, (3, 3, 70, 1))), tf.constant(_weights(rng, (70,)))
    p, q = tf.constant(_weights(rng, (1, 1, 70, 140))), tf.constant(_weights(rng, (140,)))
    h, e = tf.constant(_weights(rng, (3, 3, 140, 1))), tf.constant(_weights(rng, (140,)))

    def fn(x):
        y = tf.tanh(tf.nn.relu6(tf.nn.conv2d(x, f, 1, "VALID") + b))
        y = tf.maximum(y, tf.nn.depthwise_conv2d(y, g, [1] * 4, "SAME") + d)
        y = tf.nn.relu(tf.nn.conv2d(y, p, 1, "SAME") + q)
        return tf.maximum(y, tf.nn.depthwise_conv2d(y, h, [1] * 4, "SAME") + e)

    model = convert(fn, [(1, 7, 25, 3)], rng)
    assert generate(model).schedule.stages == ((6, 7, 4, "MAXIMUM"),)
    runs = [[random_input(rng, "int8", (1, 7, 25, 3))] for _ in range(2)]
    got = validate_on_board(model, "qemu-m4", runs, tmp_path)
    assert got == [[w.tobytes() for w in reference(model, r)] for r in runs]


@pytest.mark.parametrize("op, seed", [("COMPARE_MODES", 9400), ("CONV_WHERE", 9500), ("VALUES", 9600)])
def test_comparisons_logical_and_select_on_qemu(op, seed, tmp_path):
    """Comparisons, logical operators and SELECT / SELECT_V2 on qemu-m4: every path of their kernels
    (testing.compare_modes: byte comparisons and ranges four per word with SSUB8 / SEL, selects with USUB8 /
    SEL, broadcast rows element by element), x -> CONV_2D -> tf.where(y > t, y, other) (testing.conv_where),
    and comparisons of inputs of different scales near one another (testing.compare_values)."""
    from mcunets.engine.testing import compare_values

    rng = np.random.default_rng(seed)
    case = compare_values(rng) if op == "VALUES" else make_case(op, rng, runs=2)
    assert not check_on_qemu(case, tmp_path), case.name


def test_reduce_prod_on_qemu(tmp_path):
    """REDUCE_PROD's 64-bit rescaling on qemu-m4 (testing.reduce_prod_rows), total shifts below 32 and (a
    per-step multiplier near 2^-20) of 32 or more."""
    from mcunets.engine.testing import reduce_prod_rows

    assert not check_on_qemu(reduce_prod_rows(np.random.default_rng(9700)), tmp_path / "a")
    assert not check_on_qemu(reduce_prod_rows(np.random.default_rng(9701), small_multiplier=True), tmp_path / "b")
