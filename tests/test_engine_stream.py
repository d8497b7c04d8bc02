"""Streamed input (generate(stream_input=True)): the model reads its image by rows through
<prefix>_read_input, each row once and in order, into a strip of the rows its first patch stage still
needs. Randomized chains (odd sizes, stride 2 at tile borders, SAME/VALID), residual blocks and channel
operators on forced grids, uneven row bands, stages inside the network (the whole image read once) and
the search, compared byte for byte with TFLite's reference kernels on the host (whose read_input fails
the run unless every row is requested once, in order) and on qemu-m4; the strip in the plan; the errors;
the CLI."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from mcunets.engine import generate, patches
from mcunets.engine.lower import lower
from mcunets.engine.reader import read_model
from mcunets.engine.testing import Case, make_case, random_input, reference, with_kernel_objects
from mcunets.errors import McunetsError

QEMU = pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                          reason="needs gcc-arm-none-eabi and qemu-system-arm")


def _inexact(models, cases) -> list[str]:
    """The models whose host outputs differ from the reference kernels' (HostLibrary.run raises when a
    streamed model does not request every row once, in order)."""
    from mcunets.engine.host import HostLibrary

    lib = HostLibrary(models)
    try:
        bad = []
        for m, c in zip(models, cases):
            for inputs in c.inputs:
                got, want = lib.run(m.prefix, inputs), reference(c.model, inputs)
                if [g.tobytes() for g in got] != [w.tobytes() for w in want]:
                    bad.append(f"{m.prefix} {m.schedule.describe()} {c.name}")
                    break
        return bad
    finally:
        lib.close()


def _requests(stage: patches.PatchStage, height: int) -> list[tuple[int, int]]:
    """The (first_row, rows) requests of a streamed stage's steps, as model.c's stream_input makes them,
    checking that each tile row's strip holds the rows its tiles read."""
    cap = max(b - a for a, b in stage.stream)
    steps = [tuple(int(v) for v in re.findall(r"-?\d+", s)[1:]) for s in stage.stream_steps("(ARENA + 0)")]
    assert len(steps) in (len(stage.rows), len(stage.rows) + 1)
    out = []
    for i, (a, b, a2, b2) in enumerate(steps):
        r = b
        while r < a2:
            out.append((r, min(cap, a2 - r)))
            r += cap
        y = max(b, a2)
        if b2 > y:
            out.append((y, b2 - y))
        if i < len(stage.rows):
            assert stage.rows[i][0][0] == (a2, b2) and b2 - a2 <= cap
    rows = [r for first, n in out for r in range(first, first + n)]
    assert rows == list(range(height)), out
    return out


@pytest.fixture(scope="module")
def chains():
    return [make_case("PATCH_CHAIN", np.random.default_rng(8600 + seed), runs=2) for seed in range(4)]


def test_streamed_chains_are_bit_exact_and_read_each_row_once_in_order(chains):
    rng = np.random.default_rng(8610)
    models, which = [], []
    for i, case in enumerate(chains):
        g = read_model(case.model)
        layers = lower(g)
        chain = patches.chain_length(g, layers)
        out = g.tensors[layers[chain - 1].outputs[0]].shape
        n = min(int(rng.integers(2, 6)), int(out[1]), int(out[2]))
        picks = [(n, chain, 0), (2, 1, 0), (3, 1, 0, 1), (min(4, int(out[1]), int(out[2])), chain, 0, 2),
                 (2, max(1, chain - 1), 1), "off", "auto"]
        height, width, chans = (int(d) for d in g.tensors[g.inputs[0]].shape[1:])
        for spec in picks:
            try:
                m = generate(case.model, "s", prefix=f"s{i}_{len(models)}", patches=spec, stream_input=True,
                             max_extra_macs=1e9 if spec == "auto" else 0.15)
            except McunetsError as e:  # a grid finer than the stage's output, or even bands already best
                assert "grid" in str(e), e
                continue
            assert m.schedule.stream
            h = m.files["model.h"]
            assert f"#define {m.prefix.upper()}_STREAM_INPUT 1" in h
            stage = next((l for l in patches.choose(g, lower(g), spec, 1e9 if spec == "auto" else 0.15, True)[0]
                          if isinstance(l, patches.PatchStage) and l.strip), None)
            if stage is not None:  # the first stage reads the image: a strip of its rows
                rows = max(b - a for a, b in stage.stream)
                assert m.schedule.strip_bytes == stage.strip == rows * width * chans
                assert f"_STRIP_ROWS {rows}\n" in h and rows <= height
                _requests(stage, height)
                assert "stream_input((ARENA + " in m.files["model.c"]
            else:  # layer by layer, or a stage inside the network: the image read whole, once
                assert m.schedule.strip_bytes == 0
                assert len(re.findall(rf"{m.prefix}_read_input\(\(ARENA \+ \d+\), 0, {height}\);",
                                      m.files["model.c"])) == 1
            models.append(m)
            which.append(case)
    assert sum(m.schedule.strip_bytes > 0 for m in models) >= 2 * len(chains)
    bad = _inexact(models, which)
    assert not bad, bad


def _gapped(rng):
    """A 1x1 stride-2 VALID convolution first on an image of even height: the rows between tile rows'
    windows and the last row are read by no tile (still requested, in order), then 3x3 layers."""
    import tensorflow as tf

    from mcunets.engine.testing import convert

    w1 = tf.constant(rng.normal(size=(1, 1, 3, 6)).astype(np.float32) * 0.4)
    w2 = tf.constant(rng.normal(size=(3, 3, 6, 1)).astype(np.float32) * 0.4)
    w3 = tf.constant(rng.normal(size=(3, 3, 6, 5)).astype(np.float32) * 0.4)

    def fn(x):
        y = tf.nn.relu(tf.nn.conv2d(x, w1, strides=[1, 2, 2, 1], padding="VALID"))
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, w2, strides=[1, 2, 2, 1], padding="SAME"))
        y = tf.nn.conv2d(y, w3, strides=[1, 1, 1, 1], padding="VALID")
        return tf.reduce_mean(y, axis=[1, 2])

    return convert(fn, [(1, 26, 19, 3)], rng)


def test_rows_no_tile_reads_are_still_requested_once_in_order():
    rng = np.random.default_rng(8620)
    model = _gapped(rng)
    g = read_model(model)
    case = Case("gapped", model, [[random_input(rng, "int8", (1, 26, 19, 3))] for _ in range(2)])
    models = []
    for spec in ((3, 1, 0), (4, 1, 0), (2, 3, 0), (3, 2, 0, 1)):
        staged, _, _ = patches.choose(g, lower(g), spec, stream=True)
        stage = staged[0]
        reqs = _requests(stage, 26)
        held = [r for a, b in stage.stream for r in range(a, b)]
        assert len(set(held)) < 26 or spec[1] > 1  # some rows are read by no tile of the 1x1 stride-2 stage
        if spec[:2] == (3, 1):
            assert len(reqs) > len(stage.rows)   # rows dropped between tile rows or after the last
        models.append(generate(model, "g", prefix=f"g{len(models)}", patches=spec, stream_input=True))
    bad = _inexact(models, [case] * len(models))
    assert not bad, bad


def test_the_host_harness_fails_a_model_that_reads_a_row_twice(chains):
    from mcunets.engine import EngineModel
    from mcunets.engine.host import HostLibrary

    m = generate(chains[0].model, "s", prefix="twice", patches=(2, 1, 0), stream_input=True)
    text = m.files["model.c"].replace("int32_t y = b > a2 ? b : a2;", "int32_t y = (b > a2 ? b : a2) - (b > 0);")
    assert text != m.files["model.c"]
    broken = EngineModel(**{**m.__dict__, "files": {**m.files, "model.c": text}})
    lib = HostLibrary([broken])
    try:
        with pytest.raises(McunetsError, match="read once in order"):
            lib.run("twice", chains[0].inputs[0])
    finally:
        lib.close()


def test_streamed_residual_and_channel_models_are_bit_exact():
    models, which = [], []
    for op, seed in (("PATCH_RESIDUAL", 8630), ("PATCH_CHANNELS", 8631), ("PATCH_CHANNELS", 8632)):
        case = make_case(op, np.random.default_rng(seed), runs=2)
        g = read_model(case.model)
        layers = lower(g)
        ks = patches.stage_lengths(g, layers)
        out = g.tensors[layers[ks[-1] - 1].outputs[0]].shape
        for spec in ((min(3, int(out[1]), int(out[2])), ks[-1], 0), (2, ks[0], 0), "auto"):
            models.append(generate(case.model, "r", prefix=f"r{len(models)}", patches=spec, stream_input=True))
            which.append(case)
    assert sum(m.schedule.strip_bytes > 0 for m in models) >= 6
    bad = _inexact(models, which)
    assert not bad, bad


def test_the_plan_counts_the_strip_not_the_image():
    """A stem whose peak is the image and the first layer's output: streamed, the first stage holds a
    strip of the image; the search takes a smaller arena than without streaming."""
    import tensorflow as tf

    from mcunets.engine.planner import check_plan
    from mcunets.engine.testing import convert

    rng = np.random.default_rng(8640)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32) * 0.3)
    w2 = tf.constant(rng.normal(size=(1, 1, 8, 8)).astype(np.float32) * 0.3)

    def fn(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w1, strides=[1, 2, 2, 1], padding="SAME"))
        y = tf.nn.relu6(tf.nn.conv2d(y, w2, strides=[1, 2, 2, 1], padding="SAME"))
        return tf.reduce_mean(y, axis=[1, 2])

    model = convert(fn, [(1, 64, 64, 3)], rng)
    g = read_model(model)
    staged, plan, schedule = patches.choose(g, lower(g), (4, 1), stream=True)
    check_plan(plan)
    image = [b for b in plan.buffers if g.inputs[0] in b.tensors][0]
    assert image.size == staged[0].strip == schedule.strip_bytes < 64 * 64 * 3
    assert image.first == 0  # alive from its reader on
    plain = generate(model, "p", prefix="plain")
    streamed = generate(model, "s", prefix="streamed", stream_input=True)
    assert streamed.arena_bytes < plain.arena_bytes
    assert streamed.schedule.strip_bytes and "input streamed by rows" in streamed.schedule.describe()
    assert streamed.schedule.as_dict()["stream_input"] is True
    off = generate(model, "o", prefix="off", patches="off", stream_input=True)
    assert off.arena_bytes == generate(model, "o", patches="off").arena_bytes  # the whole image, read once
    assert streamed.files == generate(model, "s", prefix="streamed", stream_input=True).files
    case = Case("stem", model, [[random_input(rng, "int8", (1, 64, 64, 3))] for _ in range(2)])
    bad = _inexact([plain, streamed, off], [case] * 3)
    assert not bad, bad


def test_stream_mode_needs_one_int8_image_input():
    add = make_case("ADD", np.random.default_rng(8650), runs=1)
    if len(read_model(add.model).inputs) > 1:
        with pytest.raises(McunetsError, match="stream mode needs one image input; this model has 2 inputs"):
            generate(add.model, "a", stream_input=True)
    fl = make_case("DEQUANTIZE", np.random.default_rng(8651), runs=1)
    g = read_model(fl.model)
    ti = g.tensors[g.inputs[0]]
    if ti.dtype != "int8" or len(ti.shape) != 4:
        with pytest.raises(McunetsError, match=r"stream mode needs one image input, an int8 \(1, H, W, C\)"):
            generate(fl.model, "f", stream_input=True)


def test_cli_validate_and_profile_stream_the_input_on_the_host_board(tmp_path):
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from mcunets.cli import cli

    tiny = str(Path(__file__).parent / "data" / "tiny_int8.tflite")
    res = CliRunner().invoke(cli, ["validate", "--board", "host", "--model", tiny, "--samples", "2",
                                   "--patches", "off", "--stream-input", "--out", str(tmp_path / "v")])
    assert res.exit_code == 0, res.output
    assert "input streamed (read whole)" in res.output and "2 of 2 samples bit-exact" in res.output
    res = CliRunner().invoke(cli, ["profile", "--board", "host", "--model", tiny, "--runs", "1", "--warmup", "0",
                                   "--stream-input", "--patches", "2", "--max-extra-macs", "100",
                                   "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "p" / "profile.json").read_text())
    assert data["schedule"]["stream_input"] is True and data["outputs_match_reference"] is True
    assert "input streamed" in res.output


def test_host_firmware_streams_the_rows_of_a_stage_on_the_image(tmp_path):
    """The validation firmware on the host board (templates/runner/runtime_mcunets.c: its read_input
    fails the inference unless every row is requested once, in order)."""
    from pathlib import Path

    from mcunets import targets

    tiny = (Path(__file__).parent / "data" / "tiny_int8.tflite").read_bytes()
    rng = np.random.default_rng(8670)
    inputs = [[random_input(rng, "int8", (1, 16, 16, 3))] for _ in range(3)]
    src = targets.engine_sources(tiny, "tiny", tmp_path / "model", "host", patches=(2, 1, 0), stream_input=True)
    assert src.schedule.strip_bytes == 9 * 16 * 3  # a 2x2 grid of a 3x3 stride-2 layer: 4 output rows, 9 input rows
    got = targets.validate_model(tiny, "host", inputs, tmp_path, sources=src)
    for x, outs in zip(inputs, got):
        assert outs == [w.tobytes() for w in reference(tiny, x)]


@QEMU
def test_streamed_models_are_bit_exact_on_qemu(tmp_path):
    from mcunets import targets

    for seed, op in ((8660, "PATCH_CHAIN_DSP"), (8661, "PATCH_RESIDUAL_DSP")):
        case = make_case(op, np.random.default_rng(seed), runs=2)
        g = read_model(case.model)
        layers = lower(g)
        k = patches.chain_length(g, layers)
        out = g.tensors[layers[k - 1].outputs[0]].shape
        # the residual model on a 2x2 grid ending where the planner chooses (its auto plan reads the input whole)
        spec = (min(3, int(out[1]), int(out[2])), k, 0) if op == "PATCH_CHAIN_DSP" else 2
        d = tmp_path / op
        src = targets.engine_sources(case.model, "streamed", d / "model", "qemu-m4", patches=spec,
                                     stream_input=True, max_extra_macs=1e9)
        text = (d / "model" / "model.c").read_text()
        assert "stream_input((ARENA + " in text and "read_input" in (d / "model" / "model.h").read_text()
        # the firmware's read_input fails the inference unless every row is requested once, in order
        got = targets.validate_model(case.model, "qemu-m4", case.inputs, d,
                                     sources=with_kernel_objects(src, "qemu-m4"))
        for inputs, outs in zip(case.inputs, got):
            assert outs == [w.tobytes() for w in reference(case.model, inputs)], case.name
