"""Patch-based inference (mcunets.engine.patches): randomized chains of convolutions, depthwise
convolutions, pools and elementwise layers (odd sizes, stride 2 at tile borders, SAME/VALID padding,
dilation) run patch by patch on forced grids and prefixes, compared byte for byte with TFLite's
reference kernels on the host; the schedule search, the memory plan of the patch stage, and one
patched model with the Cortex-M DSP paths on qemu-m4."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from mcunets.engine import generate, patches
from mcunets.engine.lower import lower
from mcunets.engine.reader import read_model
from mcunets.engine.testing import make_case, random_buffers, reference, with_kernel_objects

MODELS = 6


@pytest.fixture(scope="module")
def chains():
    return [make_case("PATCH_CHAIN", np.random.default_rng(8000 + seed), runs=2) for seed in range(MODELS)]


def _exact(lib, prefix, case) -> bool:
    for inputs in case.inputs:
        got, want = lib.run(prefix, inputs), reference(case.model, inputs)
        if [g.tobytes() for g in got] != [w.tobytes() for w in want]:
            return False
    return True


def _inexact(models, cases) -> list[str]:
    """The models (each with its case) whose host outputs differ from the reference kernels'."""
    from mcunets.engine.host import HostLibrary

    lib = HostLibrary(models)
    try:
        return [m.prefix + " " + m.schedule.describe() + " " + c.name
                for m, c in zip(models, cases) if not _exact(lib, m.prefix, c)]
    finally:
        lib.close()


def test_random_chains_are_bit_exact_on_forced_grids(chains):
    rng = np.random.default_rng(8100)
    models, which = [], []
    for i, case in enumerate(chains):
        g = read_model(case.model)
        layers = lower(g)
        chain = patches.chain_length(g, layers)
        assert chain >= 3, case.name  # every generated step is patchable; MEAN ends the chain
        out = g.tensors[layers[chain - 1].outputs[0]].shape
        a = int(rng.integers(1, chain))  # a stage that starts inside the network
        picks = {(int(rng.integers(2, 6)), chain, 0), (int(rng.integers(2, 4)), int(rng.integers(1, chain + 1)), 0),
                 (2, 1, 0), (int(rng.integers(2, 4)), int(rng.integers(1, chain - a + 1)), a)}
        picks.add((6, chain, 0))  # a fine grid: runs of middle tiles as loops over tables
        for n, k, a in sorted(picks):
            n = min(n, int(out[1]), int(out[2])) if k + a == chain else n
            try:
                m = generate(case.model, "p", prefix=f"c{i}_{n}_{k}_{a}", patches=(n, k, a))
            except Exception as e:  # a grid finer than the stage's output
                assert "grid" in str(e), e
                continue
            assert m.schedule.grid == n and m.schedule.prefix == k
            assert m.schedule.stages[0][0] == layers[a].index
            models.append(m)
            which.append(case)
        models.append(generate(case.model, "a", prefix=f"c{i}_auto", max_extra_macs=1e9))
        which.append(case)
    bad = _inexact(models, which)
    looped = sum(bool(re.search(r"const l\d+_tile\w* \*t = &", m.files["model.c"])) for m in models)  # tile tables
    assert len(models) >= 3 * MODELS and looped >= MODELS // 2
    assert not bad, bad


def test_residual_blocks_are_bit_exact_on_forced_grids():
    """Stages holding whole residual blocks (ADD / MUL of a block's input and output, chained blocks,
    expansion and projection inside): the skip branch's tile covers the sum's tile and is read through
    its row stride; stages from the image and from inside the network, grids up to 5x5."""
    from mcunets.engine.ops import Binary

    rng = np.random.default_rng(8700)
    models, which, strided = [], [], 0
    for i in range(4):
        case = make_case("PATCH_RESIDUAL", np.random.default_rng(8600 + i), runs=2)
        g = read_model(case.model)
        layers = lower(g)
        spans = [(a, k) for a in range(len(layers)) for k in patches.stage_lengths(g, layers, a)
                 if any(isinstance(l, Binary) for l in layers[a:a + k])]
        assert spans, case.name
        picks = {spans[int(j)] for j in rng.choice(len(spans), size=min(3, len(spans)), replace=False)}
        picks.add(max(spans, key=lambda s: s[1]))  # the longest stage: chained blocks
        for a, k in sorted(picks):
            out = g.tensors[layers[a + k - 1].outputs[0]].shape
            n = min(int(rng.integers(2, 6)), int(out[1]), int(out[2]))
            stage = patches.make_stage(g, layers, k, n, a)
            assert stage is not None and any(len(r) == 2 for r in stage.reads)
            for (rs, *_), (cs, *_) in ((r, c) for r in stage.rows for c in stage.cols):
                for j, reads in enumerate(stage.reads):  # every operand's tile covers the sum's tile
                    for t in reads if len(reads) == 2 else ():
                        assert rs[t][0] <= rs[j + 1][0] and rs[j + 1][1] <= rs[t][1]
                        assert cs[t][0] <= cs[j + 1][0] and cs[j + 1][1] <= cs[t][1]
            m = generate(case.model, "p", prefix=f"r{i}_{n}_{k}_{a}", patches=(n, k, a))
            assert m.schedule.stages[0][:3] == (layers[a].index, layers[a + k - 1].index, n)
            strided += any(isinstance(c, patches.BinaryTile) and any(map(any, c.offsets)) for _, _, calls, *_ in
                           stage.tile_calls("in", "out", "scratch") for c in calls)
            models.append(m)
            which.append(case)
        models.append(generate(case.model, "a", prefix=f"r{i}_auto", max_extra_macs=1e9))
        which.append(case)
    bad = _inexact(models, which)
    assert strided >= 4
    assert not bad, bad


def test_tiles_cover_each_map_once_and_reach_back_through_the_window():
    rng = np.random.default_rng(8200)
    for _ in range(200):
        windows, sizes, size = [], [], int(rng.integers(5, 40))
        for _ in range(int(rng.integers(1, 5))):
            sizes.append(size)
            if rng.random() < 0.2:
                windows.append(None)
                continue
            ext, stride = int(rng.integers(1, 6)), int(rng.integers(1, 3))
            same = rng.random() < 0.5 or size < ext
            out = -(-size // stride) if same else (size - ext) // stride + 1
            pad = max((out - 1) * stride + ext - size, 0) // 2 if same else 0
            windows.append((ext, stride, pad))
            size = out
        n = int(rng.integers(1, min(size, 8) + 1))
        tiles = [tuple(reg[j] + reg[j + 1] + (pads[j],) for j in range(len(windows)))
                 for reg, pads, _ in patches._axis_regions(tuple((j,) for j in range(len(windows))), windows,
                                                        sizes + [size], patches._uniform(size, n))]
        ends = [t[-1][2:4] for t in tiles]
        assert ends[0][0] == 0 and ends[-1][1] == size
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(ends, ends[1:]))
        for t in tiles:
            for j, (r0, r1, o0, o1, pad) in enumerate(t):
                if j:
                    assert (r0, r1) == t[j - 1][2:4]
                assert 0 <= r0 < r1 <= sizes[j]
                if windows[j] is not None:
                    ext, stride, p = windows[j]
                    assert r0 == max(0, o0 * stride - p) and pad == r0 - (o0 * stride - p)
                    assert r1 == min(sizes[j], (o1 - 1) * stride - p + ext)


def test_row_bands_cover_the_rows_and_give_the_input_back_no_later():
    rng = np.random.default_rng(8900)
    for _ in range(300):
        size, stride, pad = int(rng.integers(2, 60)), int(rng.choice([1, 2, 4])), int(rng.integers(0, 3))
        first_in = [max(0, y * stride - pad) for y in range(size)]
        row_in, row_out = int(rng.integers(1, 400)), int(rng.integers(1, 400))
        n = int(rng.integers(1, min(size, 8) + 1))
        most = -(-size // n) + int(rng.integers(0, 4))
        bands = patches._bands(first_in, row_in, row_out, n, most)
        assert len(bands) == n and bands[0][0] == 0 and bands[-1][1] == size
        assert all(a[1] == b[0] for a, b in zip(bands, bands[1:]))
        assert all(1 <= e - y <= most for y, e in bands)

        def d(bs):
            return max(e * row_out - first_in[y] * row_in for y, e in bs)
        assert d(bands) <= d(patches._uniform(size, n))


def test_row_bands_are_bit_exact(chains):
    """Stages whose row bands are not even (thin where the output waits for the input's rows)."""
    from mcunets.engine.host import HostLibrary

    models, which = [], []
    for i, case in enumerate(chains):
        g = read_model(case.model)
        layers = lower(g)
        chain = patches.chain_length(g, layers)
        out = g.tensors[layers[chain - 1].outputs[0]].shape
        for n, k, a, band in ((min(4, int(out[1]), int(out[2])), chain, 0, 2), (3, 1, 0, 1), (2, chain - 1, 1, 3)):
            stage = patches.make_stage(g, layers, k, n, a, band)
            if stage is None:  # even bands are already the best, or the grid does not fit
                continue
            heights = [reg[-1][1] - reg[-1][0] for reg, *_ in stage.rows]
            assert max(heights) <= -(-int(g.tensors[layers[a + k - 1].outputs[0]].shape[1]) // n) + band
            assert stage.overlap(stage.inputs[0]) <= patches.make_stage(g, layers, k, n, a).overlap(stage.inputs[0])
            models.append(generate(case.model, "b", prefix=f"b{i}_{n}_{k}_{a}", patches=(n, k, a, band)))
            assert "row bands of" in models[-1].files["model.c"]
            which.append(case)
    lib = HostLibrary(models)
    try:
        bad = [m.prefix + " " + c.name for m, c in zip(models, which) if not _exact(lib, m.prefix, c)]
    finally:
        lib.close()
    assert len(models) >= MODELS
    assert not bad, bad


def test_auto_takes_the_smallest_arena_within_the_limit(chains):
    for case in chains[:3]:
        g = read_model(case.model)
        layers = lower(g)
        off = generate(case.model, "m", patches="off")
        assert off.schedule.grid == 0 and off.schedule.layer_arena_bytes == off.arena_bytes
        auto = generate(case.model, "m", max_extra_macs=1e9)
        assert auto.arena_bytes <= off.arena_bytes
        if not auto.schedule.patched:
            continue
        # the first stage contains the layer-by-layer peak and no single stage around it does better
        live = [l.live_bytes for l in off.layers]
        peak = max(range(len(live)), key=lambda i: live[i])
        first, last, grid, _ = auto.schedule.stages[0] if len(auto.schedule.stages) == 1 else (0, 0, 0, 0)
        if grid:
            assert first <= peak <= last
            best = min(generate(case.model, "m", patches=(n, k, a)).arena_bytes
                       for a in range(peak + 1)
                       for k in range(peak - a + 1, patches.chain_length(g, layers, a) + 1)
                       for n in range(2, 9) if patches.make_stage(g, layers, k, n, a) is not None)
            assert auto.arena_bytes == best
        strict = generate(case.model, "m", max_extra_macs=0.0)
        assert strict.schedule.extra_macs == 0 and not strict.schedule.patched
        again = generate(case.model, "m", max_extra_macs=1e9)
        assert again.files == auto.files


def test_the_limit_bounds_extra_macs_and_estimated_instructions_each(chains, monkeypatch):
    """``max_extra_macs`` bounds the extra MACs against the model's MACs, and apart from them the
    estimated extra instructions (halo, calls) against the model's estimated instructions."""
    checked = 0
    for case in chains:
        free = generate(case.model, "m", max_extra_macs=1e9).schedule
        if not free.patched or not free.extra_macs:
            continue
        checked += 1
        assert free.instructions > 0 and free.extra_instructions > 0
        limit = free.extra_macs_ratio / 2
        # the MACs alone: tiles, calls and halo cost no instructions, so only the extra MACs can refuse a stage
        with monkeypatch.context() as mp:
            mp.setattr(patches, "layer_instructions", lambda graph, layer: (0.0, 1.0))
            mp.setattr(patches, "TILE_INSTRUCTIONS", 0)
            mp.setattr(patches, "CALL_INSTRUCTIONS", 0)
            mp.setattr(patches, "TABLE_INSTRUCTIONS", 0)
            mp.setattr(patches, "ODD_INSTRUCTIONS", 0)
            mp.setattr(patches, "TAIL_INSTRUCTIONS", 0)
            macs_only = generate(case.model, "m", max_extra_macs=limit).schedule
        assert macs_only.extra_instructions == 0
        assert macs_only.extra_macs <= limit * macs_only.macs
        assert macs_only.arena_bytes >= free.arena_bytes
        # the instructions alone: the limit allows twice the free schedule's extra MACs and
        # instructions, but each call costs more than the limit allows (the search takes no stage)
        loose = 2 * max(free.extra_macs_ratio, free.extra_instructions_ratio)
        with monkeypatch.context() as mp:
            mp.setattr(patches, "CALL_INSTRUCTIONS", int(loose * free.instructions) + 1)
            calls_cost = generate(case.model, "m", max_extra_macs=loose).schedule
        assert not calls_cost.patched
        cheap = generate(case.model, "m", max_extra_macs=loose).schedule
        assert cheap.patched and cheap.extra_instructions <= loose * cheap.instructions
        assert cheap.extra_macs <= loose * cheap.macs
    assert checked >= 2


def test_look_ahead_searches_on_from_each_tied_first_stage(monkeypatch):
    """A 24x24 image, a 3x3 convolution to 48 channels (the peak), a stride-2 1x1 convolution and a
    bottleneck (1x1 to 32, to 8, back to 32), a 3x3 depthwise convolution and a stride-2 1x1
    convolution: the first stages over layers 0-1, 0-2 and 0-3 all leave the depthwise layer the peak,
    a tie. The least work (0-2) ends the stage on the 32-channel map, so the second stage (from there
    or later) holds it whole; from 0-3 it starts at the 8-channel map, and the arena is smaller. (The
    depthwise layer runs unchunked on the ring rows: chunks or four channels per word would lower its
    scratch, the peak of this setting.)"""
    import tensorflow as tf

    from mcunets.engine import ops
    from mcunets.engine.ops import DepthwiseConv2D
    from mcunets.engine.testing import Case, convert, random_input

    monkeypatch.setattr(DepthwiseConv2D, "chunk_choices", lambda self: [])
    monkeypatch.setattr(ops, "S1_WORDS_PIXELS", 0)

    rng = np.random.default_rng(8950)

    def w(*shape):
        return tf.constant(rng.normal(size=shape).astype(np.float32) * 0.3)

    conv, dw = tf.nn.conv2d, tf.nn.depthwise_conv2d
    steps = [(conv, w(3, 3, 3, 48), 1), (conv, w(1, 1, 48, 32), 2), (conv, w(1, 1, 32, 32), 1),
             (conv, w(1, 1, 32, 8), 1), (conv, w(1, 1, 8, 32), 1), (dw, w(3, 3, 32, 1), 1),
             (conv, w(1, 1, 32, 48), 2)]

    def fn(x):
        for op, wt, s in steps:
            x = tf.nn.relu6(op(x, wt, strides=[1, s, s, 1], padding="SAME"))
        return tf.reduce_mean(x, axis=[1, 2])

    model = convert(fn, [(1, 24, 24, 3)], rng)
    g = read_model(model)
    layers = lower(g)
    plan = patches.plan_memory(g, layers)
    base = patches.choose(g, layers, "off")[2]
    tied = patches._steps(g, layers, plan, list(range(2, 9)), (0.3 * base.macs, 0.3 * base.instructions), False)
    assert len(tied) >= 2 and len({p.arena_bytes for _, p, _ in tied}) == 1  # the first step ties
    work = [instructions for *_, (_, instructions) in tied]
    assert work == sorted(work)  # the greedy choice first: the fewest extra instructions
    ahead = generate(model, "m", prefix="ahead", max_extra_macs=0.3)
    with monkeypatch.context() as mp:
        mp.setattr(patches, "BEAM", 1)  # the greedy search alone: the least work at each tie
        revisited = generate(model, "m", prefix="greedy", max_extra_macs=0.3)
        mp.setattr(patches, "REVISITS", 0)  # and nothing chosen again after it
        greedy = generate(model, "m", prefix="greedy", max_extra_macs=0.3)
    assert greedy.schedule.stages[0][:2] == (0, 2) and ahead.schedule.stages[0][:2] == (0, 3)
    assert ahead.arena_bytes < greedy.arena_bytes < greedy.schedule.layer_arena_bytes
    # the revisit step alone moves the greedy search's first stage's end to where the look-ahead has it
    assert revisited.schedule.stages[0][:2] == (0, 3) and revisited.arena_bytes < greedy.arena_bytes
    assert ahead.schedule.extra_macs_ratio <= 0.3 and ahead.schedule.extra_instructions_ratio <= 0.3
    x = [[random_input(np.random.default_rng(8951 + i), "int8", (1, 24, 24, 3))] for i in range(2)]
    case = Case("ahead", model, x)
    assert not _inexact([ahead, greedy], [case, case])


def test_promotions_from_every_order_never_plan_larger():
    """The final plans (``plan_memory`` with PROMOTIONS) repeat the promotions from each of the four
    orders too: never a larger arena than from the birth order alone, sometimes a smaller one, and
    every plan valid."""
    from mcunets.engine import planner

    rng = np.random.default_rng(9400)
    smaller = 0
    for _ in range(150):
        bufs, pairs = random_buffers(rng)
        one = planner.place([planner.Buffer(b.id, b.size, b.first, b.last, scratch_of=b.scratch_of) for b in bufs],
                            pairs)
        wide = planner.place(bufs, pairs, restarts=True)
        planner.check_plan(planner.MemoryPlan(wide, {}, {}, tuple(bufs), pairs))
        assert wide <= one
        smaller += wide < one
    assert smaller >= 2


def test_revisit_lowers_the_final_arena_within_the_limit(chains, monkeypatch):
    """After the search, each stage's grid, row bands and span are chosen again on the final plans
    (``patches._revisit``): never a larger arena than the search's. Chain 5 (a 3x3 stage over its
    first convolution) gets a smaller one with the stage taking the depthwise layer after it, where
    the limit allows that (1.0) and not where it does not (0.25: the 3x3 stage over the convolution is
    estimated at 21 % extra instructions, with the depthwise layer at 28 %); bit-exact on the host. (One
    search, from the layer-by-layer chunks: the search from the other starts, ``patches._starts``, finds
    chain 5's smaller arena without the revisit. The depthwise layers on the ring rows at every map size:
    their scratch makes these peaks.)"""
    from mcunets.engine import ops

    monkeypatch.setattr(patches, "_starts", lambda layers: [list(layers)])
    monkeypatch.setattr(ops, "S1_WORDS_PIXELS", 0)

    def both(case, limit, name, after=""):
        with monkeypatch.context() as mp:
            mp.setattr(patches, "REVISITS", 0)
            before = generate(case.model, "m", prefix=name, max_extra_macs=limit)
        return before, generate(case.model, "m", prefix=name + after, max_extra_macs=limit)

    for i, case in enumerate(chains[:5]):
        before, after = both(case, 1e9, f"v{i}")
        assert after.arena_bytes <= before.arena_bytes
    before, after = both(chains[5], 1.0, "v5", "_a")
    assert after.arena_bytes < before.arena_bytes
    assert (before.schedule.stages[0][:2], after.schedule.stages[0][:2]) == ((0, 0), (0, 1))
    assert after.schedule.extra_macs_ratio <= 1.0 and after.schedule.extra_instructions_ratio <= 1.0
    assert generate(chains[5].model, "m", prefix="v5_a", max_extra_macs=1.0).files == after.files  # determinism
    tight = both(chains[5], 0.25, "t5")
    assert tight[0].schedule.patched and tight[0].files == tight[1].files
    assert tight[1].schedule.extra_instructions_ratio <= 0.25
    assert not _inexact([before, after], [chains[5], chains[5]])


def test_extra_macs_count_outputs_computed_again_not_outputs_skipped():
    """Seed 8010: a 3x3 stride-2 VALID convolution to 11x9, elementwise layers, then a 1x1 stride-2
    convolution to 6x5, which reads only the even rows and columns. On a 3x3 grid the tiles' windows
    leave out two unread rows of the 11 (between tiles) that layer by layer computes, and compute 8 %
    of the model's MACs again elsewhere: the extra MACs count what is computed again (the halo, never
    negative), the skipped outputs apart; bit-exact on the host."""
    case = make_case("PATCH_CHAIN", np.random.default_rng(8010), runs=2)
    g = read_model(case.model)
    layers = lower(g)
    stage = patches.make_stage(g, layers, 5, 3, 0)
    conv = stage.layers[0]
    assert conv.out_shape[1:3] == (11, 9) and stage.layers[-1].out_shape[1:3] == (6, 5)
    rows = [reg[1] for reg, *_ in stage.rows]
    assert sum(b - a for a, b in rows) == 9 and patches._covered(stage.rows, 1) == 9  # rows 3 and 7 skipped
    per_pixel = conv.macs // (11 * 9)
    assert stage.layer_macs[0] == per_pixel * 9 * sum(c[1][1] - c[1][0] for c, *_ in stage.cols)
    assert stage.macs < sum(l.macs for l in stage.layers)  # fewer MACs than layer by layer ...
    assert patches._work(stage)[0] == per_pixel * 9 * 1  # ... yet one column computed twice: the halo
    assert patches._skipped(stage) == per_pixel * 2 * 9
    m = generate(case.model, "m", prefix="skip", patches=(3, 5, 0))
    off = generate(case.model, "m", prefix="skip_off", patches="off")
    s = m.schedule
    assert (s.extra_macs, s.skipped_macs) == (patches._work(stage)[0], patches._skipped(stage))
    assert 0 < s.extra_macs_ratio < 0.1 and s.extra_instructions > 0
    assert m.macs == off.macs + s.extra_macs - s.skipped_macs
    assert not _inexact([m], [case])


def test_patched_layers_report_live_arena_and_executed_macs(chains):
    staged = 0
    for case in chains:
        m = generate(case.model, "m", max_extra_macs=1e9)
        off = generate(case.model, "m", patches="off")
        assert len(m.layers) == len(off.layers)
        assert [l.op for l in m.layers] == [l.op for l in off.layers]
        assert 0 < max(l.live_bytes for l in m.layers) <= m.arena_bytes
        assert max(l.live_bytes for l in off.layers) <= off.arena_bytes
        assert m.macs == off.macs + m.schedule.extra_macs - m.schedule.skipped_macs
        assert m.schedule.extra_macs >= 0 and m.schedule.skipped_macs >= 0
        for first, last, grid, _ in m.schedule.stages:
            staged += 1
            assert len({l.live_bytes for l in m.layers if first <= l.index <= last}) == 1
            assert f"{grid}x{grid} over layers {first}-{last}" in m.files["model.c"]
    assert staged >= MODELS // 2


@pytest.fixture(scope="module")
def stem():
    """A MobileNet-like stem on a 48x48x3 image, then MEAN."""
    import tensorflow as tf

    from mcunets.engine.testing import convert

    rng = np.random.default_rng(8300)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32) * 0.3)
    w2 = tf.constant(rng.normal(size=(3, 3, 8, 1)).astype(np.float32) * 0.3)
    w3 = tf.constant(rng.normal(size=(1, 1, 8, 16)).astype(np.float32) * 0.3)
    w4 = tf.constant(rng.normal(size=(1, 1, 16, 32)).astype(np.float32) * 0.3)

    def fn(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w1, strides=[1, 2, 2, 1], padding="SAME"))
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, w2, strides=[1, 1, 1, 1], padding="SAME"))
        y = tf.nn.relu6(tf.nn.conv2d(y, w3, strides=[1, 1, 1, 1], padding="VALID"))
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, tf.tile(w2, [1, 1, 2, 1]), strides=[1, 2, 2, 1],
                                               padding="SAME"))
        y = tf.nn.relu6(tf.nn.conv2d(y, w4, strides=[1, 1, 1, 1], padding="VALID"))
        return tf.reduce_mean(y, axis=[1, 2])

    return convert(fn, [(1, 48, 48, 3)], rng)


def test_stage_output_takes_the_image_rows_no_tile_reads_any_more(stem):
    """The patch stage's output map is placed over the image rows the later tile rows no longer read,
    the plan stays valid and the result exact."""
    from mcunets.engine.host import HostLibrary
    from mcunets.engine.planner import check_plan
    from mcunets.engine.testing import Case, random_input

    model, rng = stem, np.random.default_rng(8301)
    g = read_model(model)
    staged, plan, schedule = patches.choose(g, lower(g), (4, 5))
    check_plan(plan)
    image, out = g.inputs[0], staged[0].outputs[0]
    lo, hi = plan.offset(image), plan.offset(image) + 48 * 48 * 3
    assert plan.offset(out) < lo < plan.offset(out) + 12 * 12 * 32 <= hi  # the output's tail lies in the image
    assert plan.offset(image) - plan.offset(out) == staged[0].overlap(image)
    assert schedule.arena_bytes < schedule.layer_arena_bytes
    for k in (2, 5):  # scratch is keyed by layer index, not by position in the staged list
        part, part_plan, _ = patches.choose(g, lower(g), (2, k))
        sizes = {b.scratch_of: b.size for b in part_plan.buffers if b.scratch_of >= 0}
        assert sizes == {l.index: l.scratch_bytes for l in part if l.scratch_bytes}
        assert len(sizes) == len(part) - 1  # every layer but the MEAN has scratch
    m = generate(model, "m", prefix="stem", patches=(4, 5))
    assert m.arena_bytes == plan.arena_bytes
    case = Case("stem", model, [[random_input(rng, "int8", (1, 48, 48, 3))] for _ in range(3)])
    lib = HostLibrary([m])
    try:
        assert _exact(lib, "stem", case)
    finally:
        lib.close()


def test_fit_check_says_when_only_patches_fit(stem):
    import dataclasses

    from mcunets import fit
    from mcunets.boards import load_board

    gen = generate(stem, "m", patches=(4, 5))
    needs = fit.engine_needs(fit.model_info(stem), gen)
    base = load_board("stm32f401")
    fixed = fit.fit_of(base, needs).ram_needed - gen.arena_bytes
    board = dataclasses.replace(base, sram_bytes=fixed + (gen.arena_bytes + gen.schedule.layer_arena_bytes) // 2)
    reason = fit.choose_runtime(board, {"mcunets": needs}, "mcunets").reason
    assert "patches 4x4" in reason and "only patch by patch" in reason, reason
    roomy = fit.choose_runtime(base, {"mcunets": needs}, "mcunets").reason
    assert "patches 4x4" in roomy and "only patch by patch" not in roomy
    off = fit.engine_needs(fit.model_info(stem), generate(stem, "m", patches="off"))
    with pytest.raises(fit.FitError):
        fit.choose_runtime(board, {"mcunets": off}, "mcunets")


def test_cli_profile_and_validate_say_which_schedule_ran(tmp_path):
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from mcunets.cli import cli

    tiny = str(Path(__file__).parent / "data" / "tiny_int8.tflite")
    res = CliRunner().invoke(cli, ["profile", "--board", "host", "--model", tiny, "--runs", "1", "--warmup", "0",
                                   "--patches", "2", "--max-extra-macs", "100", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "p" / "profile.json").read_text())
    assert data["schedule"]["grid"] == 2 and data["outputs_match_reference"] is True
    first, last = data["schedule"]["stages"][0]["first"], data["schedule"]["stages"][0]["last"]
    # the stage's layers are named in the table and each is given its own calls' counts
    assert [r["i"] for r in data["layers"] if r["stage"]] == list(range(first, last + 1))
    assert all(r["stage"] == f"2x2 {first}-{last}" for r in data["layers"] if r["stage"])
    assert sum(r["count"] for r in data["layers"] if r["stage"]) > 0
    assert "patches" in res.output.split("\n", 2)[1] and f"2x2 {first}-{last}" in res.output
    assert all(r["live_bytes"] for r in data["layers"][:-1])
    assert max(r["live_bytes"] for r in data["layers"]) <= data["memory"]["arena_used"]
    assert "schedule: patches 2x2" in res.output
    res = CliRunner().invoke(cli, ["validate", "--board", "host", "--model", tiny, "--samples", "2",
                                   "--patches", "off", "--out", str(tmp_path / "v")])
    assert res.exit_code == 0, res.output
    assert "engine schedule: layer by layer" in res.output and "2 of 2 samples bit-exact" in res.output
    res = CliRunner().invoke(cli, ["validate", "--board", "host", "--model", tiny, "--patches", "x"])
    assert res.exit_code != 0 and "--patches" in res.output


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
@pytest.mark.parametrize("seed", range(3))
def test_patched_dsp_chain_is_bit_exact_on_qemu(seed, tmp_path):
    from mcunets import targets

    case = make_case("PATCH_CHAIN_DSP", np.random.default_rng(8400 + seed), runs=2)
    g = read_model(case.model)
    layers = lower(g)
    chain = patches.chain_length(g, layers)
    # the whole chain; its first half (DSP layers with scratch after the stage); a stage inside it
    a = 1 if seed == 2 else 0
    k = chain if seed == 0 else max(1, chain // 2)
    out = g.tensors[layers[a + k - 1].outputs[0]].shape
    n = min(3, int(out[1]), int(out[2]))
    assert n >= 2, case.name
    src = targets.engine_sources(case.model, "patched", tmp_path / "model", "qemu-m4", patches=(n, k, a))
    got = targets.validate_model(case.model, "qemu-m4", case.inputs, tmp_path,
                                 sources=with_kernel_objects(src, "qemu-m4"))
    assert f"patches {n}x{n}" in (tmp_path / "model" / "model.c").read_text()
    for inputs, outs in zip(case.inputs, got):
        assert outs == [w.tobytes() for w in reference(case.model, inputs)], case.name


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_patched_pools_are_bit_exact_on_qemu(tmp_path):
    """Max and average pools (the DSP pooling paths: channels in fours) on tiles that see part of the
    SAME padding, odd map sizes."""
    import tensorflow as tf

    from mcunets import targets
    from mcunets.engine.testing import convert, random_input

    rng = np.random.default_rng(8500)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32) * 0.3)
    w2 = tf.constant(rng.normal(size=(1, 1, 8, 12)).astype(np.float32) * 0.3)

    def fn(x):
        y = tf.nn.relu(tf.nn.conv2d(x, w1, strides=[1, 1, 1, 1], padding="SAME"))
        y = tf.nn.max_pool2d(y, ksize=3, strides=2, padding="SAME")
        y = tf.nn.avg_pool2d(y, ksize=3, strides=1, padding="SAME")
        y = tf.nn.conv2d(y, w2, strides=[1, 1, 1, 1], padding="VALID")
        return tf.reduce_mean(y, axis=[1, 2])

    model = convert(fn, [(1, 23, 21, 3)], rng)
    inputs = [[random_input(rng, "int8", (1, 23, 21, 3))] for _ in range(2)]
    src = targets.engine_sources(model, "pools", tmp_path / "model", "qemu-m4", patches=(3, 4))
    got = targets.validate_model(model, "qemu-m4", inputs, tmp_path,
                                 sources=with_kernel_objects(src, "qemu-m4"))
    for x, outs in zip(inputs, got):
        assert outs == [w.tobytes() for w in reference(model, x)]


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_patched_residual_blocks_are_bit_exact_on_qemu(tmp_path):
    """Residual blocks inside a stage with the DSP paths (3x3 depthwise over multiples of 4 channels,
    1x1 expansion and projection, the ADD sum table and MUL four elements per word on strided rows)."""
    from mcunets import targets
    from mcunets.engine.ops import Binary

    case = make_case("PATCH_RESIDUAL_DSP", np.random.default_rng(8800), runs=2)
    g = read_model(case.model)
    layers = lower(g)
    a, k = max(((a, k) for a in range(len(layers)) for k in patches.stage_lengths(g, layers, a)),
               key=lambda s: (sum(isinstance(l, Binary) for l in layers[s[0]:s[0] + s[1]]), s[1]))
    assert sum(isinstance(l, Binary) for l in layers[a:a + k]) >= 2, case.name
    out = g.tensors[layers[a + k - 1].outputs[0]].shape
    n = min(3, int(out[1]), int(out[2]))
    src = targets.engine_sources(case.model, "residual", tmp_path / "model", "qemu-m4", patches=(n, k, a))
    got = targets.validate_model(case.model, "qemu-m4", case.inputs, tmp_path,
                                 sources=with_kernel_objects(src, "qemu-m4"))
    assert f"patches {n}x{n}" in (tmp_path / "model" / "model.c").read_text()
    for inputs, outs in zip(case.inputs, got):
        assert outs == [w.tobytes() for w in reference(case.model, inputs)], case.name


CHANNEL_OPS = ("CONCATENATION", "SPLIT", "SPLIT_V", "TRANSPOSE")


def test_channel_operators_are_bit_exact_on_forced_grids():
    """Stages holding CONCATENATION along the channels (fire modules, dense blocks, ShuffleNet's
    strided unit), SPLIT / SPLIT_V along the channels (mixed depthwise convolutions) and channel
    shuffles (RESHAPE, TRANSPOSE, RESHAPE), with layers that need only part of a map's tile reading a
    copy of it; stages from the image and from inside the network, grids up to 5x5, and the search."""
    rng = np.random.default_rng(9100)
    models, which, seen, crops = [], [], set(), 0
    for i in range(4):
        case = make_case("PATCH_CHANNELS", np.random.default_rng(9000 + i), runs=2)
        g = read_model(case.model)
        layers = lower(g)
        spans = [(a, k) for a in range(len(layers)) for k in patches.stage_lengths(g, layers, a)
                 if any(l.op in CHANNEL_OPS for l in layers[a:a + k])]
        assert spans, case.name
        picks = {spans[int(j)] for j in rng.choice(len(spans), size=min(3, len(spans)), replace=False)}
        longest = max(spans, key=lambda s: (s[1], -s[0]))
        picks.add(longest)
        for a, k in sorted(picks):
            out = g.tensors[layers[a + k - 1].outputs[0]].shape
            n = min(int(rng.integers(2, 6)), int(out[1]), int(out[2]))
            stage = patches.make_stage(g, layers, k, n, a)
            assert stage is not None, (case.name, a, k, n)
            seen.update(l.op for l in stage.layers)
            crops += any(size for _, size in stage.crops)
            m = generate(case.model, "p", prefix=f"h{i}_{n}_{k}_{a}", patches=(n, k, a))
            assert m.schedule.stages[0][:3] == (layers[a].index, layers[a + k - 1].index, n)
            models.append(m)
            which.append(case)
            if (a, k) == longest and patches.make_stage(g, layers, k, n, a, 2) is not None:  # uneven row bands
                models.append(generate(case.model, "p", prefix=f"h{i}_{n}_{k}_{a}_b", patches=(n, k, a, 2)))
                which.append(case)
        models.append(generate(case.model, "a", prefix=f"h{i}_auto", max_extra_macs=1e9))
        which.append(case)
    bad = _inexact(models, which)
    assert set(CHANNEL_OPS) - {"SPLIT"} <= seen and "RESHAPE" in seen, seen
    assert crops >= 1
    assert not bad, bad


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_patched_channel_operators_are_bit_exact_on_qemu(tmp_path):
    """A dense block, a channel shuffle, a mixed depthwise block (SPLIT_V, 3x3 and 5x5 depthwise) and
    ShuffleNet's strided unit in one stage with the DSP paths (depths in multiples of 4)."""
    from mcunets import targets

    case = make_case("PATCH_CHANNELS_DSP", np.random.default_rng(18201), runs=2)
    g = read_model(case.model)
    layers = lower(g)
    k = patches.chain_length(g, layers)
    assert set(CHANNEL_OPS) - {"SPLIT"} <= {l.op for l in layers[:k]}, case.name
    out = g.tensors[layers[k - 1].outputs[0]].shape
    n = min(3, int(out[1]), int(out[2]))
    src = targets.engine_sources(case.model, "channels", tmp_path / "model", "qemu-m4", patches=(n, k))
    got = targets.validate_model(case.model, "qemu-m4", case.inputs, tmp_path,
                                 sources=with_kernel_objects(src, "qemu-m4"))
    assert f"patches {n}x{n}" in (tmp_path / "model" / "model.c").read_text()
    for inputs, outs in zip(case.inputs, got):
        assert outs == [w.tobytes() for w in reference(case.model, inputs)], case.name


def _canonical(arg: str):
    """A C argument as (its non-integer terms, the sum of its integer terms): (ARENA + 8) + 4 and
    ARENA + 12 are the same pointer."""
    terms = [t.strip().strip("()").strip() for t in arg.replace("(", " ( ").replace(")", " ) ").split("+")]
    ints = [int(t) for t in terms if t.lstrip("-").isdigit()]
    return tuple(t for t in terms if not t.lstrip("-").isdigit()), sum(ints)


def _calls(lines):
    """Each line as (its function, its canonical arguments), or its text."""
    out = []
    for line in lines:
        m = re.match(r"^(\w+)\((.*)\);$", line)
        out.append((m.group(1), tuple(_canonical(a) for a in patches._args(m.group(2)))) if m else line)
    return out


def _unrolled(decls, body) -> list:
    """The calls a stage's emitted code makes, in order: loops (also nested) and blocks run, each
    ``const T *t = &Ts[i];`` taking the table row i (every t->field replaced by its value)."""
    tables, i = {}, 0
    while i < len(decls):
        if decls[i] == "typedef struct {":
            fields, j = [], i + 1
            while decls[j].startswith("    "):
                fields.append(decls[j].split()[-1].rstrip(";"))
                j += 1
            e = decls.index("};", j)
            rows = [re.match(r"^    \{(.*)\}, /\*", d).group(1).split(", ") for d in decls[j + 2:e]]
            assert all(v.lstrip("-").isdigit() for r in rows for v in r), rows  # integers only
            tables[decls[j][2:-1] + "s"] = [dict(zip(fields, r)) for r in rows]
            i = e
        i += 1
    lines = [b.strip() for b in body if not b.strip().startswith("/*")]

    def block(k):  # the statements from lines[k] to the closing brace: (tree, index after it)
        out = []
        while k < len(lines) and lines[k] != "}":
            m = re.match(r"^for \(int (\w) = 0; \w < (\d+); \w\+\+\) \{$", lines[k])
            if m or lines[k] == "{":
                inner, k = block(k + 1)
                out.append((m.group(1), int(m.group(2))) if m else ("", 1))
                out[-1] = (*out[-1], inner)
            else:
                out.append(lines[k])
            k += 1
        return out, k

    calls = []

    def run(tree, env, row):
        for st in tree:
            if isinstance(st, tuple):
                var, count, inner = st
                for v in range(count):
                    run(inner, {**env, var: v} if var else env, row)
                continue
            m = re.match(r"^const \w+ \*t = &(\w+)\[(.*)\];$", st)
            if m:
                row = tables[m.group(1)][eval(m.group(2), {}, dict(env))]
                continue
            calls.extend(_calls([re.sub(r"t->(n\d+)", lambda f: row[f.group(1)], st)]))

    tree, end = block(0)
    assert end == len(lines)
    run(tree, {}, {})
    return calls


def test_tiles_run_as_loops_over_tables_of_what_differs(chains):
    """Runs of tiles that differ only in integers and arena offsets are one loop over a table, and grid
    rows alike a loop over rows: unrolled, the loops make the same calls with the same arguments in the
    same order as the straight-line tiles, and the tables hold only integers (every parameter struct
    and dims stays a literal: the kernels' dispatch is decided at compile time)."""
    from mcunets.engine.ops import EmitContext

    ctx = EmitContext(lambda t: f"(ARENA + {64 * t})", lambda k: f"(ARENA + {10000 + k})", lambda t: f"t{t}_data")
    cases = list(chains) + [make_case("PATCH_RESIDUAL", np.random.default_rng(8600 + i), runs=1) for i in range(2)]
    loops = nested = tiles_in_loops = 0
    for case in cases:
        g = read_model(case.model)
        layers = lower(g)
        for a in range(min(3, len(layers))):
            for k in patches.stage_lengths(g, layers, a)[-2:]:
                for n in (4, 6):
                    stage = patches.make_stage(g, layers, k, n, a)
                    if stage is None:
                        continue
                    decls, comments, lines = stage.tile_lines(ctx)
                    d, body = stage.emit(ctx)
                    assert d[:len(decls)] == decls
                    assert _unrolled(d[len(decls):], body) == [c for t in lines for c in _calls(t)], case.name
                    loops += sum(b.startswith("for (") for b in body)
                    nested += sum(b.startswith("for (int r = 0;") for b in body)
                    tiles_in_loops += len(comments) - sum(b.startswith("/* tile (") for b in body)
    assert loops >= 40 and nested >= 10 and tiles_in_loops >= 400, (loops, nested, tiles_in_loops)


def test_tile_tables_take_the_smallest_types_and_keep_what_is_equal_literal():
    lines = [[f"mcu_copy_2d_s8({h}, 39, (ARENA + 10) + {36 * j}, 288, (ARENA + 5000), 39);",
              f"mcu_conv_s8(&l0_params, &l0_in_v0, (ARENA + 5000), (ARENA + 7000) + {300 * j - 200 * (j > 3)});",
              f"mcu_relu_s8({-j}, (ARENA + 5000));"] for j, h in enumerate([7, 7, 7, 7, 7, 9])]
    lines.append([lines[0][0], lines[0][1].replace("&l0_in_v0", "&l0_in_v1"), lines[0][2]])
    comments = [f"/* tile (0, {j}): output rows 0-2 */" for j in range(len(lines))]
    decls, body = patches.tile_loops("l0_", "patches 7x1 over layers 0-0", comments, lines)
    assert decls == [
        "/* patches 7x1 over layers 0-0, tiles (0, 0) to (0, 5): per tile what differs between them */",
        "typedef struct {", "    uint16_t n0;", "    uint8_t n1;", "    uint8_t n2;", "    int8_t n3;",
        "} l0_tile;", "static const l0_tile l0_tiles[6] = {",
        *(f"    {{{7000 + 300 * j - 200 * (j > 3)}, {h}, {10 + 36 * j}, {-j}}}, {comments[j]}"
          for j, h in enumerate([7, 7, 7, 7, 7, 9])), "};"]
    assert body == [
        "/* patches 7x1 over layers 0-0, tiles (0, 0) to (0, 5): one row of l0_tiles each */",
        "for (int k = 0; k < 6; k++) {", "    const l0_tile *t = &l0_tiles[k];",
        "    mcu_copy_2d_s8(t->n1, 39, ARENA + t->n2, 288, (ARENA + 5000), 39);",
        "    mcu_conv_s8(&l0_params, &l0_in_v0, (ARENA + 5000), ARENA + t->n0);",
        "    mcu_relu_s8(t->n3, (ARENA + 5000));", "}", comments[6], *lines[6]]


def _first_convs(rng, count):
    """Models whose first layer is a 3x3 convolution on 1-3 channels (the 3x3 row path), stride 1 or 2,
    SAME or VALID, odd sizes, then a 1x1 convolution and MEAN."""
    import tensorflow as tf

    from mcunets.engine.testing import convert

    models = []
    for i in range(count):
        c, stride = (3, 2) if i == 0 else (int(rng.integers(1, 4)), int(rng.choice([1, 2])))
        pad = "SAME" if i < 2 else str(rng.choice(["SAME", "VALID"]))
        h, w = int(rng.integers(15, 30)), int(rng.integers(15, 30))
        w1 = tf.constant(rng.normal(size=(3, 3, c, int(rng.choice([4, 8, 5])))).astype(np.float32) * 0.4)
        w2 = tf.constant(rng.normal(size=(1, 1, w1.shape[3], 8)).astype(np.float32) * 0.3)

        def make(w1, w2, stride, pad):
            def fn(x):
                y = tf.nn.relu6(tf.nn.conv2d(x, w1, strides=[1, stride, stride, 1], padding=pad))
                y = tf.nn.relu(tf.nn.conv2d(y, w2, strides=[1, 1, 1, 1], padding="VALID"))
                return tf.reduce_mean(y, axis=[1, 2])
            return fn

        models.append((convert(make(w1, w2, stride, pad), [(1, h, w, c)], rng), (1, h, w, c)))
    return models


def test_first_convolution_reads_the_image_and_writes_the_map_through_their_rows():
    """A stage whose first layer takes the 3x3 row path reads its tiles straight from the image and, as
    the stage's last layer, writes straight into the output map (mcu_conv_params.in_row, out_row): no
    tile copies, no tile buffers; bit-exact on the host (im2col through the rows) on even and banded grids."""
    from mcunets.engine.testing import Case, random_input

    rng = np.random.default_rng(9100)
    models, cases = [], []
    for i, (model, shape) in enumerate(_first_convs(rng, 4)):
        g = read_model(model)
        layers = lower(g)
        case = Case(f"first{i}", model, [[random_input(rng, "int8", shape)] for _ in range(2)])
        for n, k, band in ((3, 1, 0), (4, 1, 2), (2, 2, 0)):
            stage = patches.make_stage(g, layers, k, n, 0, band)
            if stage is None:
                continue
            assert stage.direct == (True, k == 1 or layers[k - 1].strided)
            assert stage.buffers[0][1] == 0 and (k > 1 or stage.scratch == stage.kernel_scratch[0][1])
            m = generate(model, "f", prefix=f"f{i}_{n}_{k}_{band}", patches=(n, k, 0, band))
            text = m.files["model.c"]
            rows = shape[2] * shape[3]
            assert re.search(rf"mcu_conv_params l{layers[0].index}_params\w* = {{.*, {rows}, "
                             rf"{g.tensors[layers[0].outputs[0]].shape[2] * layers[0].out_shape[3] if k == 1 else 0}}};",
                             text), text
            tiles = stage.tile_calls("in", "out", "scratch")
            assert all(t[1] is None and (t[3] is None) == stage.direct[1] for t in tiles)
            assert all(t[2][0].src.startswith("in") and t[2][-1].dst.startswith("out" if stage.direct[1] else "scratch")
                       for t in tiles)
            assert k > 1 or "mcu_copy_2d_s8" not in text
            models.append(m)
            cases.append(case)
    assert len(models) >= 8
    bad = _inexact(models, cases)
    assert not bad, bad


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_first_convolution_through_the_rows_is_bit_exact_on_qemu(tmp_path):
    """The 3x3 row path reading the image and writing the output map through their rows, on tiles of a
    banded grid (stride 1 on 3 channels: the ring's shifted copy; stride 2 on 2 channels)."""
    import tensorflow as tf

    from mcunets import targets
    from mcunets.engine.testing import convert, random_input

    rng = np.random.default_rng(9200)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 6)).astype(np.float32) * 0.4)
    w2 = tf.constant(rng.normal(size=(3, 3, 6, 2)).astype(np.float32) * 0.4)
    w3 = tf.constant(rng.normal(size=(3, 3, 2, 8)).astype(np.float32) * 0.4)

    def fn(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w1, strides=[1, 1, 1, 1], padding="SAME"))
        y = tf.nn.relu6(tf.nn.conv2d(y, w2, strides=[1, 1, 1, 1], padding="SAME"))
        y = tf.nn.relu6(tf.nn.conv2d(y, w3, strides=[1, 2, 2, 1], padding="SAME"))
        return tf.reduce_mean(y, axis=[1, 2])

    model = convert(fn, [(1, 27, 25, 3)], rng)
    inputs = [[random_input(rng, "int8", (1, 27, 25, 3))] for _ in range(2)]
    src = targets.engine_sources(model, "first", tmp_path / "model", "qemu-m4", patches=(4, 3, 0, 1))
    text = (tmp_path / "model" / "model.c").read_text()
    assert "patches 4x4" in text and ", 75, 0};" in text and ", 0, 104};" in text  # in_row 25 * 3, out_row 13 * 8
    got = targets.validate_model(model, "qemu-m4", inputs, tmp_path,
                                 sources=with_kernel_objects(src, "qemu-m4"))
    for ins, outs in zip(inputs, got):
        assert outs == [w.tobytes() for w in reference(model, ins)]


def test_a_model_of_one_layer_is_searched_and_bit_exact():
    """A stage that spans the whole model (one 3x3 convolution) is revisited with no later layer to
    move its end to; the default schedule is bit-exact on the host."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(17)
    w = tf.constant(rng.normal(size=(3, 3, 2, 16)).astype(np.float32) * 0.3)
    model = convert(lambda x: tf.nn.relu(tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")),
                    [(1, 32, 32, 2)], rng)
    gen = generate(model, "m", prefix="one")
    inputs = [[random_input(rng, "int8", (1, 32, 32, 2))] for _ in range(2)]
    assert not _inexact([gen], [Case("one", model, inputs)])


def _one_by_one_ends(rng, count: int):
    """Models of a 1x1 convolution on 1-3 channels (the narrow path), a 3x3 depthwise layer or a 2x1 max
    pool (stride 1 or 2, SAME or VALID) and a 1x1 convolution on 4-12 channels (the small path, depths not
    multiples of 4 among them) at stride 1, (1, 2) or 2, on odd sizes: (model, input shape)."""
    import tensorflow as tf

    from mcunets.engine.testing import convert

    models = []
    for i in range(count):
        c, mid, out = int(rng.integers(1, 4)), int(rng.choice([5, 6, 8, 12])), int(rng.choice([4, 8, 10, 16]))
        h, w = int(rng.integers(11, 20)), int(rng.integers(11, 22))
        w1 = tf.constant(rng.normal(size=(1, 1, c, mid)).astype(np.float32) * 0.5)
        dw = tf.constant(rng.normal(size=(3, 3, mid, 1)).astype(np.float32) * 0.4)
        w2 = tf.constant(rng.normal(size=(1, 1, mid, out)).astype(np.float32) * 0.4)
        s, pad, pool = int(rng.integers(1, 3)), str(rng.choice(["SAME", "VALID"])), i % 3 == 2
        last = [(1, 1), (1, 2), (2, 2)][i % 3]

        def make(w1, dw, w2, s, pad, pool, last):
            def fn(x):
                y = tf.nn.relu(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "VALID"))
                y = (tf.nn.max_pool2d(y, (2, 1), (2, 1), pad) if pool
                     else tf.nn.relu(tf.nn.depthwise_conv2d(y, dw, [1, s, s, 1], pad)))
                return tf.nn.relu(tf.nn.conv2d(y, w2, [1, *last, 1], "VALID"))
            return fn

        models.append((convert(make(w1, dw, w2, s, pad, pool, last), [(1, h, w, c)], rng), (1, h, w, c)))
    return models


def test_one_by_one_ends_read_and_write_the_maps_through_their_rows():
    """A stage whose first layer is a 1x1 convolution on 1-3 channels reads its tiles straight from the
    image, and whose last is a 1x1 convolution on 4-32 channels writes straight into the output map
    (mcu_conv_params.in_row, out_row: ``PatchStage.direct``): no tile copies, no tile buffers for them;
    bit-exact on the host on even and banded grids."""
    from mcunets.engine.testing import Case, random_input

    rng = np.random.default_rng(9300)
    models, cases, direct = [], [], 0
    for i, (model, shape) in enumerate(_one_by_one_ends(rng, 6)):
        g = read_model(model)
        layers = lower(g)
        case = Case(f"ends{i}", model, [[random_input(rng, "int8", shape)] for _ in range(2)])
        for n, band in ((2, 0), (3, 1), (4, 0)):
            stage = patches.make_stage(g, layers, len(layers), n, 0, band)
            if stage is None:
                continue
            assert stage.direct == (layers[0].strided, layers[-1].strided)
            if all(stage.direct):
                direct += 1
                assert stage.buffers[0][1] == stage.buffers[-1][1] == 0
                tiles = stage.tile_calls("in", "out", "scratch")
                assert all(t[1] is None and t[3] is None for t in tiles)
            m = generate(model, "e", prefix=f"e{i}_{n}_{band}", patches=(n, len(layers), 0, band))
            assert ("mcu_copy_2d_s8" in m.files["model.c"]) == (not all(stage.direct))
            models.append(m)
            cases.append(case)
    assert direct >= 8
    bad = _inexact(models, cases)
    assert not bad, bad


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_one_by_one_ends_through_the_rows_are_bit_exact_on_qemu(tmp_path):
    """The narrow and small 1x1 paths reading the image and writing the output map through their rows on
    qemu-m4 (the DSP paths; middle depths 5-12, strides (1, 2) and 2, a banded grid)."""
    from mcunets import targets
    from mcunets.engine.testing import random_input

    rng = np.random.default_rng(9400)
    for i, (model, shape) in enumerate(_one_by_one_ends(rng, 3)):
        inputs = [[random_input(rng, "int8", shape)] for _ in range(2)]
        src = targets.engine_sources(model, "ends", tmp_path / f"model{i}", "qemu-m4", patches=(3, 3, 0, i % 2))
        text = (tmp_path / f"model{i}" / "model.c").read_text()
        assert "patches 3x3" in text and "mcu_copy_2d_s8" not in text
        got = targets.validate_model(model, "qemu-m4", inputs, tmp_path / f"fw{i}",
                                     sources=with_kernel_objects(src, "qemu-m4"))
        for ins, outs in zip(inputs, got):
            assert outs == [w.tobytes() for w in reference(model, ins)]


def _elementwise_chain(seed: int):
    """CONV_2D -> LEAKY_RELU -> DEPTHWISE_CONV_2D -> PRELU (per channel) -> CONV_2D 1x1 -> SUB of the
    LEAKY_RELU's output -> MAXIMUM with the PRELU's output -> MINIMUM with the first convolution's output:
    the operators from elsewhere inside one patch stage (elementwise layers, binary layers of two maps)."""
    import tensorflow as tf
    import tf_keras as keras

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(seed)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32))
    wd = tf.constant(rng.normal(size=(3, 3, 8, 1)).astype(np.float32))
    w2 = tf.constant((rng.normal(size=(1, 1, 8, 8)) * 0.4).astype(np.float32))
    prelu = keras.layers.PReLU(shared_axes=[1, 2])
    prelu.build((None, 11, 13, 8))
    prelu.set_weights([rng.uniform(-1.5, 2.0, size=(1, 1, 8)).astype(np.float32)])

    def fn(x):
        c = tf.nn.conv2d(x, w1, 1, "SAME")
        y = tf.nn.leaky_relu(c, alpha=0.15)
        z = prelu(tf.nn.depthwise_conv2d(y, wd, [1, 1, 1, 1], "SAME"))
        s = tf.nn.conv2d(z, w2, 1, "VALID") - y
        return tf.minimum(tf.maximum(s, z), c)

    model = convert(fn, [(1, 11, 13, 3)], rng)
    inputs = [[random_input(rng, "int8", (1, 11, 13, 3))] for _ in range(2)]
    return Case("elementwise chain", model, inputs, {})


def test_operators_from_elsewhere_run_inside_a_patch_stage():
    case = _elementwise_chain(8900)
    g = read_model(case.model)
    layers = lower(g)
    assert [l.op for l in layers] == ["CONV_2D", "LEAKY_RELU", "DEPTHWISE_CONV_2D", "PRELU", "CONV_2D", "SUB",
                                      "MAXIMUM", "MINIMUM"]
    assert patches.chain_length(g, layers) == len(layers)
    models = [generate(case.model, "p", prefix=f"e{n}_{k}", patches=(n, k, 0)) for n, k in ((2, 8), (3, 8), (4, 8))]
    models.append(generate(case.model, "a", prefix="e_auto", max_extra_macs=1e9))
    assert all(m.schedule.patched for m in models[:3])
    bad = _inexact(models, [case] * len(models))
    assert not bad, bad


def _table_and_square_chain(seed: int):
    """CONV_2D -> GELU -> DEPTHWISE_CONV_2D -> ABS -> CONV_2D 1x1 -> SQUARED_DIFFERENCE with the GELU's
    output: table-driven layers and a squared difference of two maps inside one patch stage."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(seed)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32))
    wd = tf.constant(rng.normal(size=(3, 3, 8, 1)).astype(np.float32))
    w2 = tf.constant((rng.normal(size=(1, 1, 8, 8)) * 0.4).astype(np.float32))

    def fn(x):
        y = tf.nn.gelu(tf.nn.conv2d(x, w1, 1, "SAME"), approximate=True)
        z = tf.abs(tf.nn.depthwise_conv2d(y, wd, [1, 1, 1, 1], "SAME"))
        return tf.math.squared_difference(tf.nn.conv2d(z, w2, 1, "VALID"), y)

    model = convert(fn, [(1, 11, 13, 3)], rng)
    inputs = [[random_input(rng, "int8", (1, 11, 13, 3))] for _ in range(2)]
    return Case("table and square chain", model, inputs, {})


def test_abs_gelu_squared_difference_run_inside_a_patch_stage():
    case = _table_and_square_chain(8910)
    g = read_model(case.model)
    layers = lower(g)
    assert [l.op for l in layers] == ["CONV_2D", "GELU", "DEPTHWISE_CONV_2D", "ABS", "CONV_2D", "SQUARED_DIFFERENCE"]
    assert patches.chain_length(g, layers) == len(layers)
    models = [generate(case.model, "p", prefix=f"q{n}_{k}", patches=(n, k, 0)) for n, k in ((2, 6), (3, 6))]
    assert all(m.schedule.patched for m in models)
    bad = _inexact(models, [case] * len(models))
    assert not bad, bad


def _norm_table_chain(seed: int):
    """CONV_2D (ReLU) -> SQRT -> DEPTHWISE_CONV_2D -> EXP -> CONV_2D 1x1 -> LOGISTIC -> RSQRT -> LOG: the
    table operators of normalization layers inside one patch stage (each operator's input at or above its
    zero point, where the reference defines SQRT and RSQRT)."""
    import tensorflow as tf

    from mcunets.engine.testing import Case, convert, random_input

    rng = np.random.default_rng(seed)
    w1 = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32))
    wd = tf.constant((rng.normal(size=(3, 3, 8, 1)) * 0.2).astype(np.float32))
    w2 = tf.constant((rng.normal(size=(1, 1, 8, 8)) * 0.4).astype(np.float32))

    def fn(x):
        y = tf.math.sqrt(tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME")))
        z = tf.math.exp(tf.nn.depthwise_conv2d(y, wd, [1, 1, 1, 1], "SAME"))
        return tf.math.log(tf.math.rsqrt(tf.sigmoid(tf.nn.conv2d(z, w2, 1, "VALID"))))

    model = convert(fn, [(1, 11, 13, 3)], rng)
    inputs = [[random_input(rng, "int8", (1, 11, 13, 3))] for _ in range(2)]
    return Case("norm table chain", model, inputs, {})


def test_rsqrt_sqrt_exp_log_run_inside_a_patch_stage():
    case = _norm_table_chain(8920)
    g = read_model(case.model)
    layers = lower(g)
    assert [l.op for l in layers] == ["CONV_2D", "SQRT", "DEPTHWISE_CONV_2D", "EXP", "CONV_2D", "LOGISTIC", "RSQRT",
                                      "LOG"]
    assert patches.chain_length(g, layers) == len(layers)
    models = [generate(case.model, "p", prefix=f"n{n}_{k}", patches=(n, k, 0)) for n, k in ((2, 8), (3, 8))]
    assert all(m.schedule.patched for m in models)
    bad = _inexact(models, [case] * len(models))
    assert not bad, bad


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_rsqrt_sqrt_exp_log_in_a_patch_stage_on_qemu(tmp_path):
    from mcunets.engine.testing import validate_on_board

    case = _norm_table_chain(8920)
    got = validate_on_board(case.model, "qemu-m4", case.inputs, tmp_path, patches=(3, 8, 0))
    assert got == [[w.tobytes() for w in reference(case.model, inputs)] for inputs in case.inputs]


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_abs_gelu_squared_difference_in_a_patch_stage_on_qemu(tmp_path):
    from mcunets.engine.testing import validate_on_board

    case = _table_and_square_chain(8910)
    got = validate_on_board(case.model, "qemu-m4", case.inputs, tmp_path, patches=(3, 6, 0))
    assert got == [[w.tobytes() for w in reference(case.model, inputs)] for inputs in case.inputs]


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="needs gcc-arm-none-eabi and qemu-system-arm")
def test_operators_from_elsewhere_in_a_patch_stage_on_qemu(tmp_path):
    from mcunets.engine.testing import validate_on_board

    case = _elementwise_chain(8900)
    got = validate_on_board(case.model, "qemu-m4", case.inputs, tmp_path, patches=(3, 8, 0))
    assert got == [[w.tobytes() for w in reference(case.model, inputs)] for inputs in case.inputs]
