"""Patch-based inference: runs of layers computed tile by tile (as in MCUNetV2).

A patch stage is a run of spatial layers (convolutions, depthwise convolutions, pools, elementwise
layers and ADD / MUL of two maps of the output's shape, batch 1) reading one int8 activation from
outside and each other's outputs, every output but the last read only inside the run (so whole
residual blocks, or none).  The run's last output map is cut into an n x n grid of tiles (even
columns; even rows or uneven row bands, ``_bands``).  Walking back through the run, each tile needs a
window of every earlier map: output rows [o0, o1) of a layer read input rows [o0 * stride - pad,
(o1 - 1) * stride - pad + (kernel - 1) * dilation + 1), clipped to the map; a map read by several
layers gets the union of their windows (an ADD reads its part through the tile's row stride).  A
kernel computes output position o from input position o * stride - padding and skips taps outside its
input, so running it on a tile only changes its dims and its padding: the part of the layer's padding
the tile still sees (the clipped amount, non-zero only at the map border).  The result is exact: every
tile computes the same sums as the whole layer.  Overlapping windows (the halo) are recomputed: the
extra MACs.

Per tile, the generated C copies the window of the run's input into a small buffer, runs every layer of
the run on its tile, and copies the last tile into the run's output map; the profile hooks enclose each
layer's call (the copies in its first and last layer's), so a layer's count sums its calls.  For the
memory plan the run is one layer, PatchStage: its input is the run's input map, its output the run's
output map, its scratch the tile buffers (a chain: two alternating ends of one region, each layer's
kernel scratch between; with residual blocks placed by lifetime), and its output may overlap the input
rows no later tile reads (``overlap``), so the input's space is given back row band by row band.

``choose`` finds stages greedily around the peak layer, the smallest arena within a limit on extra work:
the extra MACs plus CALL_MACS for every kernel call beyond one per layer (each call on a tile repeats
the kernels' setup, e.g. the DSP paths widen their weights and fill requantization tables, and adds the
tile copies), then chooses each stage's grid and bands again with the others fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from mcunets.engine.ops import Binary, Layer, TileCall, Windowed, c_array, ints
from mcunets.engine.planner import Buffer, MemoryPlan, _align_up, place, plan_memory
from mcunets.engine.reader import GraphInfo
from mcunets.errors import McunetsError

MAX_GRID = 8
# The cost of one more kernel call on a tile, in MACs: MobileNetV1 0.25/96's five-layer stage costs
# about 22,000 instructions per tile on qemu-m4 beyond its MACs (~4,400 per call, ~1.45 instructions
# per MAC in that model).
CALL_MACS = 4000


MAX_STAGES = 3
BANDS = (0, 1, 2)   # row bands: even (0), or up to this many rows taller than even (make_stage)


@dataclass(frozen=True)
class Schedule:
    """How the engine runs a model: layer by layer (no stages), or some runs of layers patch by patch,
    each on a ``grid`` x ``grid`` grid of tiles of its last output."""
    stages: tuple = ()            # per patch stage: (first layer index, last layer index, grid, last op)
    extra_macs: int = 0
    call_macs: int = 0            # the extra calls' cost in MACs (CALL_MACS each)
    macs: int = 0                 # layer-by-layer MACs of the whole model
    layer_arena_bytes: int = 0    # arena of the layer-by-layer plan
    arena_bytes: int = 0          # arena of this schedule

    @property
    def patched(self) -> bool:
        return bool(self.stages)

    @property
    def grid(self) -> int:
        """The first stage's grid (0: layer by layer)."""
        return self.stages[0][2] if self.stages else 0

    @property
    def prefix(self) -> int:
        """Layers in the first stage."""
        return self.stages[0][1] - self.stages[0][0] + 1 if self.stages else 0

    @property
    def extra_macs_ratio(self) -> float:
        return self.extra_macs / self.macs if self.macs else 0.0

    @property
    def extra_work_ratio(self) -> float:
        """Extra MACs and calls: what ``max_extra_macs`` limits."""
        return (self.extra_macs + self.call_macs) / self.macs if self.macs else 0.0

    def describe(self) -> str:
        if not self.patched:
            return f"layer by layer (arena {self.arena_bytes:,} B)"
        runs = ", ".join(f"{n}x{n} over layers {a}-{b} (through {op})" for a, b, n, op in self.stages)
        return (f"patches {runs}, +{100 * self.extra_macs_ratio:.1f}% MACs "
                f"(+{100 * self.extra_work_ratio:.1f}% with the calls); arena {self.arena_bytes:,} B "
                f"against {self.layer_arena_bytes:,} B layer by layer")

    def as_dict(self) -> dict:
        return {"stages": [{"first": a, "last": b, "grid": n, "last_op": op} for a, b, n, op in self.stages],
                "grid": self.grid, "extra_macs": self.extra_macs,
                "extra_macs_ratio": round(self.extra_macs_ratio, 4),
                "extra_work_ratio": round(self.extra_work_ratio, 4),
                "arena_bytes": self.arena_bytes, "layer_arena_bytes": self.layer_arena_bytes}


def _shape(graph: GraphInfo, t: int) -> tuple:
    return tuple(int(d) for d in graph.tensors[t].shape)


def _operands(layer: Layer) -> tuple:
    """The activation tensors a layer reads, in its operand order."""
    return tuple(layer.operands) if isinstance(layer, Binary) else tuple(layer.inputs)


def _patchable(graph: GraphInfo, layer: Layer) -> bool:
    """Can ``layer`` run on a tile: a windowed layer, an elementwise one, or an ADD / MUL of two
    activations of its output's shape (no broadcasting), int8 maps of batch 1."""
    if len(layer.outputs) != 1 or graph.tensors[layer.outputs[0]].dtype != "int8":
        return False
    s_out = _shape(graph, layer.outputs[0])
    if len(s_out) != 4 or s_out[0] != 1:
        return False
    if isinstance(layer, Binary):
        return (layer.op in ("ADD", "MUL") and all(layer.full) and
                all(_shape(graph, t) == s_out and graph.tensors[t].dtype == "int8" for t in layer.operands))
    if len(layer.inputs) != 1:
        return False
    s_in = _shape(graph, layer.inputs[0])
    if isinstance(layer, Windowed):
        return tuple(layer.in_shape) == s_in and tuple(layer.out_shape) == s_out
    return layer.elementwise and s_in == s_out


def stage_lengths(graph: GraphInfo, layers: list[Layer], start: int = 0) -> list[int]:
    """The k for which the k layers from position ``start`` can run as one patch stage: patchable
    layers reading one int8 activation from outside (the stage's input) and each other's outputs,
    every output but the last read only inside the stage (so a residual block's ADD or MUL is inside
    with its branch, or the stage ends before the block)."""
    consumers: dict[int, int] = {}
    for layer in layers:
        for t in set(_operands(layer)):
            consumers[t] = consumers.get(t, 0) + 1
    ks, made, read, outside = [], set(), {}, set()
    for k, layer in enumerate(layers[start:], 1):
        if not _patchable(graph, layer):
            break
        for t in set(_operands(layer)):
            if t in made:
                read[t] = read.get(t, 0) + 1
            else:
                outside.add(t)
        if len(outside) != 1:
            break
        (t_in,) = outside
        if graph.tensors[t_in].is_const or graph.tensors[t_in].dtype != "int8" or len(_shape(graph, t_in)) != 4:
            break
        made.add(layer.outputs[0])
        last = layer.outputs[0]
        if all(read.get(t, 0) == consumers.get(t, 0) and t not in graph.outputs for t in made if t != last):
            ks.append(k)
    return ks


def chain_length(graph: GraphInfo, layers: list[Layer], start: int = 0) -> int:
    """The most layers from position ``start`` that can run as one patch stage (0: none)."""
    return max(stage_lengths(graph, layers, start), default=0)


def _axis_regions(reads: tuple, windows: list, sizes: list, bounds: list) -> Optional[list]:
    """Per tile along one axis (the parts ``bounds`` (o0, o1) of the stage's last output): (per tensor position: the part
    (lo, hi) of the map its tile buffer holds, per layer: the padding its window still sees).

    Position 0 is the stage's input, position j + 1 layer j's output; ``reads[j]`` the positions layer
    j reads, ``windows[j]`` its (extent, stride, padding before) or None (elementwise, ADD, MUL),
    ``sizes[p]`` the size of map p. A map's tile is the union of what its readers need: an ADD or MUL
    reads the part of it matching its output tile (the skip branch of a residual block), any other layer
    must need all of it; None when one needs less (not supported)."""
    m = len(reads)
    tiles = []
    for bound in bounds:
        reg: list = [None] * (m + 1)
        reg[m] = bound
        need = [None] * m
        for j in reversed(range(m)):
            o0, o1 = reg[j + 1]
            if windows[j] is None:
                lo, r = o0, (o0, o1)
            else:
                ext, stride, p = windows[j]
                lo = o0 * stride - p
                r = (max(0, lo), min(sizes[reads[j][0]], (o1 - 1) * stride - p + ext))
            need[j] = (lo, r)
            for t in reads[j]:
                reg[t] = r if reg[t] is None else (min(reg[t][0], r[0]), max(reg[t][1], r[1]))
        pads = []
        for j, (lo, r) in enumerate(need):
            if len(reads[j]) == 1 and reg[reads[j][0]] != r:
                return None
            pads.append(r[0] - lo)
        tiles.append((tuple(reg), tuple(pads)))
    return tiles


def _uniform(size: int, n: int) -> list:
    return [(i * size // n, (i + 1) * size // n) for i in range(n)]


def _bands(first_in: list, row_in: int, row_out: int, n: int, most: int) -> Optional[list]:
    """n row bands of the stage's output, each at most ``most`` rows, that let the output take the
    input's place soonest: the smallest D = max over bands of (end of its output rows) - (first input
    row it reads), in bytes (``first_in[y]``: the first input row output row y reads). For a given D
    the bands taken greedily from the top, each as tall as D allows, are the fewest; D is the smallest
    that needs at most n, and the tallest bands are halved until there are n (halving never raises D).
    """
    size = len(first_in)

    def cover(d):
        bands, y = [], 0
        while y < size:
            e = min(size, y + most, (d + first_in[y] * row_in) // row_out)
            if e <= y:
                return None
            bands.append((y, e))
            y = e
        return bands

    lo, hi = 0, size * row_out
    if cover(hi) is None or len(cover(hi)) > n:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        b = cover(mid)
        if b is not None and len(b) <= n:
            hi = mid
        else:
            lo = mid + 1
    bands = cover(lo)
    while len(bands) < n:
        i = max(range(len(bands)), key=lambda j: bands[j][1] - bands[j][0])
        y, e = bands[i]
        bands[i:i + 1] = [(y, (y + e) // 2), ((y + e) // 2, e)]
    return bands


@dataclass(frozen=True)
class BinaryTile:
    """One ADD / MUL call on a tile: its output tile's shape, each operand's tile buffer (C expression),
    the offset (rows, columns) of the output tile in it and its width, and the output's buffer."""
    shape: tuple
    srcs: tuple
    offsets: tuple
    widths: tuple
    dst: str


def _emit_binary_tiles(layer: Binary, calls) -> tuple[list[str], list[str]]:
    """ADD / MUL on tiles: the layer's table and parameters once, one broadcast shape per distinct tile
    layout (suffix _v<k>); an operand whose buffer is wider than the output tile is read through its
    row stride."""
    p = f"l{layer.index}_"
    ptype, fn = ("mcu_add_params", "mcu_add_s8") if layer.op == "ADD" else ("mcu_mul_params", "mcu_mul_s8")
    decls = [c_array("int32_t", p + "table", layer.table)] if layer.table else []
    decls.append(f"static const {ptype} {p}params = {layer.params[0]};")
    names: dict = {}
    body = []
    for c in calls:
        _, h, w, ch = c.shape
        strides = [(h * wb * ch, wb * ch, ch, 1) for wb in c.widths]
        d4, s1, s2 = replace(layer, dims4=(1, h, w, ch), stride1=strides[0], stride2=strides[1]).coalesced()
        key = (d4, s1, s2)
        if key not in names:
            names[key] = f"{p}shape_v{len(names)}"
            decls.append(f"static const mcu_broadcast {names[key]} = {{{ints(d4)}, {ints(s1)}, {ints(s2)}}};")
        a, b = (src if (dy, dx) == (0, 0) else f"{src} + {(dy * wb + dx) * ch}"
                for src, (dy, dx), wb in zip(c.srcs, c.offsets, c.widths))
        body.append(f"{fn}(&{p}params, &{names[key]}, {a}, {b}, {c.dst});")
    return decls, body


@dataclass(frozen=True, eq=False)
class PatchStage(Layer):
    """A run of layers computed tile by tile, as one layer for the memory plan and the code."""
    layers: tuple = ()
    shapes: tuple = ()       # per tensor position (0: the stage's input, j + 1: layer j's output): its shape
    reads: tuple = ()        # per layer: the tensor positions it reads
    grid: int = 0
    rows: tuple = ()         # per tile row: (per position (lo, hi), per layer its window's padding)
    cols: tuple = ()
    buffers: tuple = ()      # (offset, size) in the scratch of each position's tile buffer
    kernel_scratch: tuple = ()  # (offset, size) of each layer's kernel scratch (size 0: none)
    scratch: int = 0
    layer_macs: tuple = ()   # MACs each layer executes over all tiles

    @property
    def macs(self):
        return sum(self.layer_macs)

    @property
    def weight_bytes(self):
        return sum(layer.weight_bytes for layer in self.layers)

    @property
    def scratch_bytes(self):
        return self.scratch

    def overlap(self, tensor):
        """The input rows before a tile row's window are read by no later tile: the output map, row
        band by row band, may take their place."""
        (_, w0, c0), (_, wm, cm) = self.shapes[0][1:], self.shapes[-1][1:]
        return max(reg[-1][1] * wm * cm - reg[0][0] * w0 * c0 for reg, _ in self.rows)

    def describe(self):
        heights = [reg[-1][1] - reg[-1][0] for reg, _ in self.rows]
        even = [reg[-1] for reg, _ in self.rows] == _uniform(self.shapes[-1][1], self.grid)
        bands = "" if even else f" (row bands of {', '.join(map(str, heights))})"
        return (f"patches {self.grid}x{self.grid} over layers {self.layers[0].index}-{self.layers[-1].index}"
                f"{bands}: {'x'.join(map(str, self.shapes[0]))} -> {'x'.join(map(str, self.shapes[-1]))}")

    def tile_calls(self, image: str, output: str, scratch: str):
        """Per tile: (comment, copy in, [TileCall or BinaryTile per layer], copy out) as C text."""
        def at(base: str, off: int) -> str:
            return base if off == 0 else f"{base} + {off}"

        m = len(self.layers)
        (_, w0, c0), (_, wm, cm) = self.shapes[0][1:], self.shapes[-1][1:]
        tiles = []
        for ti, (rs, pr) in enumerate(self.rows):
            for tj, (cs, pc) in enumerate(self.cols):
                bufs = [at(scratch, off) for off, _ in self.buffers]
                (r0, r1), (x0, x1) = rs[0], cs[0]
                copy_in = (f"mcu_copy_2d_s8({r1 - r0}, {(x1 - x0) * c0}, {at(image, (r0 * w0 + x0) * c0)}, "
                           f"{w0 * c0}, {bufs[0]}, {(x1 - x0) * c0});")
                calls = []
                for j, layer in enumerate(self.layers):
                    (o0, o1), (q0, q1) = rs[j + 1], cs[j + 1]
                    out_shape = (1, o1 - o0, q1 - q0, self.shapes[j + 1][3])
                    if isinstance(layer, Binary):
                        calls.append(BinaryTile(out_shape, tuple(bufs[t] for t in self.reads[j]),
                                                tuple((o0 - rs[t][0], q0 - cs[t][0]) for t in self.reads[j]),
                                                tuple(cs[t][1] - cs[t][0] for t in self.reads[j]), bufs[j + 1]))
                        continue
                    t = self.reads[j][0]
                    off, size = self.kernel_scratch[j]
                    calls.append(TileCall((1, rs[t][1] - rs[t][0], cs[t][1] - cs[t][0], self.shapes[t][3]),
                                          out_shape, (pr[j], pc[j]), bufs[t], bufs[j + 1],
                                          at(scratch, off) if size else "NULL"))
                (o0, o1), (q0, q1) = rs[m], cs[m]
                copy_out = (f"mcu_copy_2d_s8({o1 - o0}, {(q1 - q0) * cm}, {bufs[m]}, {(q1 - q0) * cm}, "
                            f"{at(output, (o0 * wm + q0) * cm)}, {wm * cm});")
                comment = f"/* tile ({ti}, {tj}): output rows {o0}-{o1 - 1}, columns {q0}-{q1 - 1} */"
                tiles.append((comment, copy_in, calls, copy_out))
        return tiles

    def emit(self, ctx):
        tiles = self.tile_calls(ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0]), ctx.scratch(self.index))
        decls, per_layer = [], []
        for j, layer in enumerate(self.layers):
            calls = [t[2][j] for t in tiles]
            d, b = _emit_binary_tiles(layer, calls) if isinstance(layer, Binary) else layer.emit_tiles(ctx, calls)
            if len(b) != len(tiles):
                raise McunetsError(f"{layer.op} emitted {len(b)} calls for {len(tiles)} tiles")
            decls += d
            per_layer.append(b)
        body = []
        first, last = self.layers[0].index, self.layers[-1].index
        for k, (comment, copy_in, _, copy_out) in enumerate(tiles):
            # the profile hooks around each layer's call (its tile copies go to the first and last layer):
            # a layer's count sums its calls over the tiles
            body += [comment, f"LAYER_BEGIN({first});", copy_in]
            for j, (layer, calls) in enumerate(zip(self.layers, per_layer)):
                if j:
                    body.append(f"LAYER_BEGIN({layer.index});")
                body.append(calls[k])
                if j < len(self.layers) - 1:
                    body.append(f"LAYER_END({layer.index});")
            body += [copy_out, f"LAYER_END({last});"]
        return decls, body


def make_stage(graph: GraphInfo, layers: list[Layer], k: int, n: int, start: int = 0,
               band: int = 0, max_work: Optional[float] = None) -> Optional[PatchStage]:
    """The k layers from position ``start`` (a stage ``stage_lengths`` allows) on an n x n grid, or None
    when the last output has fewer than n rows or columns or a map's tile would hold more than one of
    its windowed readers reads. ``band`` > 0: the row bands are not even but those of ``_bands`` at
    most ``band`` rows over the even height (thin where the output would otherwise wait for the
    input's rows); columns are always even. None too when its extra work (``_work``) would exceed
    ``max_work``."""
    if max_work is not None and (n * n - 1) * k * CALL_MACS > max_work:
        return None
    prefix = layers[start:start + k]
    pos = {t: j + 1 for j, l in enumerate(prefix) for t in l.outputs}
    reads = tuple(tuple(pos.get(t, 0) for t in _operands(l)) for l in prefix)
    t_in = next(t for l in prefix for t in _operands(l) if t not in pos)
    shapes = (_shape(graph, t_in),) + tuple(_shape(graph, l.outputs[0]) for l in prefix)
    out = shapes[-1]
    if out[1] < n or out[2] < n:
        return None
    axes = []
    for axis in (0, 1):
        windows = [l.window(axis) if isinstance(l, Windowed) else None for l in prefix]
        sizes = [s[1 + axis] for s in shapes]
        bounds = _uniform(out[1 + axis], n)
        if band and axis == 0:
            unit = _axis_regions(reads, windows, sizes, [(y, y + 1) for y in range(out[1])])
            bounds = unit and _bands([reg[0][0] for reg, _ in unit], shapes[0][2] * shapes[0][3],
                                     out[2] * out[3], n, -(-out[1] // n) + band)
            if not bounds or bounds == _uniform(out[1], n):
                return None
        tiles = _axis_regions(reads, windows, sizes, bounds)
        if tiles is None:
            return None
        axes.append(tiles)
    rows, cols = axes

    def most(tiles, p):  # the largest extent of position p's tile
        return max(reg[p][1] - reg[p][0] for reg, _ in tiles)

    sizes = [most(rows, p) * most(cols, p) * shapes[p][3] for p in range(k + 1)]
    kscratch, macs = [], []
    for j, layer in enumerate(prefix):
        (_, oh, ow, _), t = shapes[j + 1], reads[j][0]
        kscratch.append(replace(layer, in_shape=(1, most(rows, t), most(cols, t), shapes[t][3])).scratch_bytes
                        if isinstance(layer, Windowed) else 0)
        done = sum(reg[j + 1][1] - reg[j + 1][0] for reg, _ in rows) * sum(reg[j + 1][1] - reg[j + 1][0]
                                                                           for reg, _ in cols)
        macs.append(layer.macs * done // (oh * ow))
    if max_work is not None and sum(macs) - sum(l.macs for l in prefix) + (n * n - 1) * k * CALL_MACS > max_work:
        return None
    a = [_align_up(s) for s in sizes]
    ks = [_align_up(s) for s in kscratch]
    if all(r == (j,) for j, r in enumerate(reads)):
        # a chain: layer j reads buffer j and writes j + 1, even buffers at the bottom, odd ones at the
        # top, each layer's kernel scratch between
        total = max(a[j] + ks[j] + a[j + 1] for j in range(k))
        buffers = tuple((0 if j % 2 == 0 else total - a[j], sizes[j]) for j in range(k + 1))
        kernel = tuple(((a[j] if j % 2 == 0 else a[j + 1]), kscratch[j]) for j in range(k))
    else:
        last = [max((j for j, r in enumerate(reads) if p in r), default=k) for p in range(k + 1)]
        bufs = [Buffer(p, a[p], p - 1, last[p]) for p in range(k + 1)]
        bufs += [Buffer(k + 1 + j, ks[j], j, j) for j in range(k)]
        pairs = {}
        for j, layer in enumerate(prefix):  # ADD, MUL and elementwise layers may write over an operand
            if (isinstance(layer, Binary) or layer.elementwise) and layer.overlap(layer.inputs[0]) == 0:
                for p in set(reads[j]):
                    if last[p] == j and all(reg[p] == reg[j + 1] for reg, _ in rows + cols):
                        pairs[(p, j + 1)] = 0
        total = place(bufs, pairs)
        buffers = tuple((b.offset, sizes[p]) for p, b in enumerate(bufs[:k + 1]))
        kernel = tuple((b.offset, kscratch[j]) for j, b in enumerate(bufs[k + 1:]))
    return PatchStage(prefix[0].index, "PATCHES", (t_in,), (prefix[-1].outputs[0],),
                      layers=tuple(prefix), shapes=shapes, reads=reads, grid=n, rows=tuple(rows),
                      cols=tuple(cols), buffers=buffers, kernel_scratch=kernel, scratch=total,
                      layer_macs=tuple(macs))


def choose(graph: GraphInfo, layers: list[Layer], patches="auto", max_extra_macs: float = 0.15):
    """The schedule: (layers to plan and emit, memory plan, Schedule).

    ``patches``: "auto" finds patch stages greedily: the run of patchable layers containing the peak
    layer of the current plan, and its grid, with the smallest arena whose extra work (extra MACs and
    CALL_MACS per extra kernel call, all stages together) stays within ``max_extra_macs`` of the
    whole model's MACs (ties go to less work), as long as the arena shrinks (at most MAX_STAGES
    stages); "off" plans layer by layer; an int n does the same with n x n grids only, its first stage
    taken even when it does not lower the arena; a (n, k), (n, k, start) or (n, k, start, band)
    tuple forces one stage of k layers from position ``start`` (default 0), no limit, its row bands
    even or (``band`` > 0) those of ``make_stage``. Every grid is tried with even row bands and with
    bands up to BANDS rows over even.
    """
    base_plan = plan_memory(graph, layers)
    total = sum(l.macs for l in layers)
    base = Schedule(macs=total, layer_arena_bytes=base_plan.arena_bytes, arena_bytes=base_plan.arena_bytes)
    if patches in (None, "off", 0):
        return layers, base_plan, base
    if isinstance(patches, tuple):
        n, k, start, band = (tuple(int(v) for v in patches) + (0, 0))[:4]
        ks = stage_lengths(graph, layers, start)
        if k not in ks:
            raise McunetsError(f"{k} layers from position {start} cannot run patch by patch: the stages "
                               f"there have {', '.join(map(str, ks)) or 'no'} layers")
        stage = make_stage(graph, layers, k, n, start, band)
        if stage is None:
            raise McunetsError(f"a {n}x{n} grid does not fit the {k}-layer stage's output or its maps' tiles"
                               + (f" with row bands up to {band} rows over even" if band else ""))
        staged = layers[:start] + [stage] + layers[start + k:]
        plan = plan_memory(graph, staged)
        extra = stage.macs - sum(l.macs for l in layers[start:start + k])
        return staged, plan, Schedule(((stage.layers[0].index, stage.layers[-1].index, n, stage.layers[-1].op),),
                                      extra, (n * n - 1) * k * CALL_MACS, total, base_plan.arena_bytes,
                                      plan.arena_bytes)
    if patches == "auto":
        grids = list(range(2, MAX_GRID + 1))
    elif isinstance(patches, int) and patches >= 1:
        grids = [patches]
    else:
        raise McunetsError(f"patches must be 'auto', 'off' or a grid size, got {patches!r}")
    budget = max_extra_macs * total
    current, plan, stages, extra_all, calls_all = list(layers), base_plan, [], 0, 0
    for _ in range(MAX_STAGES):
        live = live_bytes(plan, len(current))
        peak = max(range(len(current)), key=lambda i: live[i])
        best = None
        for start in range(peak + 1):
            for k in (k for k in stage_lengths(graph, current, start) if start + k > peak):
                for n, band in ((n, band) for n in grids for band in BANDS):
                    stage = make_stage(graph, current, k, n, start, band, budget - extra_all - calls_all)
                    if stage is None:
                        continue
                    extra, calls = _work(stage)
                    floor = _floor(stage)
                    if best is not None and (floor, extra + calls, n) >= best[0] or (
                            floor >= plan.arena_bytes and (stages or patches == "auto")):
                        continue  # cannot beat the best so far, or cannot be taken
                    staged = current[:start] + [stage] + current[start + k:]
                    p = plan_memory(graph, staged)
                    key = (p.arena_bytes, extra + calls, n)
                    if best is None or key < best[0]:
                        best = (key, staged, p, stage, extra, calls)
        if best is None or best[2].arena_bytes >= plan.arena_bytes and (stages or patches == "auto"):
            break  # a forced grid takes its best first stage even when it does not lower the arena
        _, current, plan, stage, extra, calls = best
        stages.append((stage.layers[0].index, stage.layers[-1].index, stage.grid, stage.layers[-1].op))
        extra_all, calls_all = extra_all + extra, calls_all + calls
    if not stages:
        if patches != "auto":
            raise McunetsError(f"no patch stage with a {grids[0]}x{grids[0]} grid fits around the peak layer "
                               f"within {100 * max_extra_macs:.0f}% extra work")
        return layers, base_plan, base
    current, plan = _refine(graph, current, plan, grids, budget)
    staged = [l for l in current if isinstance(l, PatchStage)]
    stages = tuple((s.layers[0].index, s.layers[-1].index, s.grid, s.layers[-1].op) for s in staged)
    return current, plan, Schedule(stages, sum(_work(s)[0] for s in staged), sum(_work(s)[1] for s in staged),
                                   total, base_plan.arena_bytes, plan.arena_bytes)


def _floor(stage: PatchStage) -> int:
    """A lower bound of the arena of any plan with ``stage``: its input and output (the output at best
    ``overlap`` bytes before the input) and its scratch, alive together."""
    size_in, size_out = (int(np.prod(stage.shapes[p])) for p in (0, -1))
    return _align_up(max(size_in + stage.overlap(stage.inputs[0]), size_out)) + stage.scratch


def _work(stage: PatchStage) -> tuple[int, int]:
    """A stage's extra MACs and its extra calls' cost in MACs."""
    k = len(stage.layers)
    return stage.macs - sum(l.macs for l in stage.layers), (stage.grid ** 2 - 1) * k * CALL_MACS


def _refine(graph: GraphInfo, current: list, plan: MemoryPlan, grids: list, budget: float):
    """Each stage the greedy search chose was the best for the plan of its time; once all are chosen,
    each is chosen again (grid and row bands, same layers) with the others fixed, the smallest arena
    within the budget, ties to less work (twice over the stages at most)."""
    for _ in range(2):
        changed = False
        for i, stage in enumerate(current):
            if not isinstance(stage, PatchStage):
                continue
            others = sum(sum(_work(s)) for s in current if isinstance(s, PatchStage) and s is not stage)
            unstaged = current[:i] + list(stage.layers) + current[i + 1:]
            best = ((plan.arena_bytes, sum(_work(stage)), stage.grid), None, None)
            for n, band in ((n, band) for n in grids for band in BANDS):
                alt = make_stage(graph, unstaged, len(stage.layers), n, i, band, budget - others)
                if alt is None or (_floor(alt), sum(_work(alt)), n) >= best[0]:
                    continue
                staged = current[:i] + [alt] + current[i + 1:]
                p = plan_memory(graph, staged)
                key = (p.arena_bytes, sum(_work(alt)), n)
                if key < best[0]:
                    best = (key, staged, p)
            if best[1] is not None:
                current, plan, changed = best[1], best[2], True
        if not changed:
            break
    return current, plan


def live_bytes(plan: MemoryPlan, count: int) -> list[int]:
    """Per planned layer: the bytes of the arena in use while it runs (union of the live buffers)."""
    out = []
    for k in range(count):
        spans = sorted((b.offset, b.offset + b.size) for b in plan.buffers
                       if b.size > 0 and b.first <= k <= b.last)
        used, end = 0, None
        for lo, hi in spans:
            if end is None or lo >= end:
                used += hi - lo
                end = hi
            elif hi > end:
                used += hi - end
                end = hi
        out.append(used)
    return out
