"""Patch-based inference: runs of layers computed tile by tile (as in MCUNetV2).

A patch stage is a run of spatial layers (convolutions, depthwise convolutions, pools, elementwise
layers, ADD / MUL of two maps of the output's shape, CONCATENATION and SPLIT / SPLIT_V along the
channels, and channel shuffles: RESHAPE, TRANSPOSE, RESHAPE permuting each pixel's channels; batch 1)
reading one int8 activation from outside and each other's outputs, every output but the last read only
inside the run (so whole residual blocks, fire modules and mixed depthwise blocks, or none).  The run's
last output map is cut into an n x n grid of tiles (even columns; even rows or uneven row bands,
``_bands``).  Walking back through the run, each tile needs a window of every earlier map: output rows
[o0, o1) of a layer read input rows [o0 * stride - pad, (o1 - 1) * stride - pad + (kernel - 1) *
dilation + 1), clipped to the map; a map read by several layers gets the union of their windows (ADD,
MUL, CONCATENATION and SPLIT read their part through the tile's row stride, a convolution, pool,
elementwise layer or TRANSPOSE that needs less reads a copy of its part).  A kernel computes output
position o from input position o * stride - padding and skips taps outside its input, so running it on
a tile only changes its dims and its padding: the part of the layer's padding the tile still sees (the
clipped amount, non-zero only at the map border).  The channel operators work per pixel, so on a tile
they do what they do on the map.  The result is exact: every tile computes the same sums as the whole
layer.  Overlapping windows (the halo) are recomputed: the extra MACs.

Per tile, the generated C copies the window of the run's input into a small buffer, runs every layer of
the run on its tile, and copies the last tile into the run's output map; the profile hooks enclose each
layer's call (the copies in its first and last layer's), so a layer's count sums its calls.  The tiles
run in order as loops over tables of what differs between them (``tile_loops``).  For the
memory plan the run is one layer, PatchStage: its input is the run's input map, its output the run's
output map, its scratch the tile buffers (a chain: two alternating ends of one region, each layer's
kernel scratch between; otherwise placed by lifetime inside the tile, a RESHAPE's output in its input's
buffer), and its output may overlap the input
rows no later tile reads (``overlap``), so the input's space is given back row band by row band.

``choose`` finds stages greedily around the peak layer, the smallest arena within two limits on extra
work, both the same fraction (``max_extra_macs``): the extra MACs against the model's MACs, and the
estimated extra instructions against the model's estimated instructions layer by layer (the stored
instruction model of qemu-m4, ``mcunets.latency.layer_instructions``): the extra MACs at their layers'
instructions per MAC, TILE_INSTRUCTIONS for every tile beyond one (its loop step and copies),
CALL_INSTRUCTIONS for every kernel call beyond one per layer (each call on a tile repeats the kernels'
setup, e.g. the DSP paths fill requantization tables), TABLE_INSTRUCTIONS per channel and call of a
layer on the 3x3 depthwise DSP path (it fills its ring rows per call), and per MAC
ODD_INSTRUCTIONS of odd rows' last pixels on the 3x3 row path and TAIL_INSTRUCTIONS of the depthwise
rows' tail steps (the extra MACs are the outputs tiles compute more than once; outputs no later layer
reads that no tile computes are not counted as less work). It then chooses each stage's grid and bands
again with the others fixed, and after the search, on the final plans, each stage's grid, bands and
span again (``_revisit``), keeping a change only where the final arena falls. Where the best next
stages of a step tie on the arena (typically all leave the same later layer the peak, and the least work,
often the shortest stage, would be in the way of the next one), the search goes on from each of them (up
to BEAM) and takes the plan with the smallest final arena, then the least work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from mcunets.engine.ops import (BINARY_KERNELS, ROWS3_MAX_C, Binary, Concat, Conv2D, DepthwiseConv2D, Layer,
                                Reshape, Slice, TileCall, Transpose, Windowed, c_array, ints)
from mcunets.engine.planner import PROMOTIONS, Buffer, MemoryPlan, _align_up, place, plan_memory
from mcunets.engine.reader import GraphInfo
from mcunets.errors import McunetsError
from mcunets.latency import layer_instructions

MAX_GRID = 8
# What one more tile costs beyond its MACs, in instructions on qemu-m4: least squares over the 69 layers
# of the zoo's default stages (docs/engine.md, measured at 228534c; rms 1,100 per layer) gives
# TILE_INSTRUCTIONS per tile (its loop step, table entry and copies), CALL_INSTRUCTIONS per kernel call
# (the kernels' set-up, e.g. the DSP paths' requantization tables), TABLE_INSTRUCTIONS per channel and
# call of a 3x3 depthwise layer on the DSP path (its ring rows filled per call, at stride 1 and 2, and
# at stride 1 its 12-word table) and TAIL_INSTRUCTIONS per MAC of the stride-1 rows' tail steps.
TILE_INSTRUCTIONS = 1750
CALL_INSTRUCTIONS = 900
TABLE_INSTRUCTIONS = 185
# The stride-1 rows of that path compute outputs four at a time (five at the end of a row of 4q + 1 >= 5),
# the rest (out_w mod 4) in pair and single-output steps: TAIL_INSTRUCTIONS per MAC of such outputs beyond
# the whole layer's.
TAIL_INSTRUCTIONS = 0.4
# The 3x3 row path of first convolutions (mcu_conv_3x3_rows_dsp_s8: input depth <= ROWS3_MAX_C) computes
# output pixels in pairs; on a row of odd width the last pixel takes the kernel's C loop, about 6.9 more
# instructions per MAC on qemu-m4 (ShuffleNet's and SqueezeNet's 6x6 first stages, whose middle tiles
# are 9 pixels wide): ODD_INSTRUCTIONS per MAC of such a pixel beyond the whole layer's.
ODD_INSTRUCTIONS = 7


MAX_STAGES = 3
# look-ahead: where the greedy search's best next stages tie on the arena, up to BEAM of them are each
# searched on (and at most BEAM plans at each step), the smallest final arena taken
BEAM = 3
# rounds of ``_revisit`` over the stages, after the search
REVISITS = 3
BANDS = (0, 1, 2)   # row bands: even (0), or up to this many rows taller than even (make_stage)


@dataclass(frozen=True)
class Schedule:
    """How the engine runs a model: layer by layer (no stages), or some runs of layers patch by patch,
    each on a ``grid`` x ``grid`` grid of tiles of its last output."""
    stages: tuple = ()            # per patch stage: (first layer index, last layer index, grid, last op)
    extra_macs: int = 0
    extra_instructions: int = 0   # estimated: the extra MACs', the extra calls' and odd pixels' (_work)
    macs: int = 0                 # layer-by-layer MACs of the whole model
    instructions: int = 0         # estimated instructions of the whole model layer by layer (qemu-m4)
    layer_arena_bytes: int = 0    # arena of the layer-by-layer plan
    arena_bytes: int = 0          # arena of this schedule
    skipped_macs: int = 0         # MACs layer by layer spends on outputs no later layer reads and no tile
                                  # computes (``_covered``); extra_macs counts only outputs computed again
    stream: bool = False          # the input is read by rows (``generate(stream_input=True)``); the arenas
                                  # above are then the streamed ones
    strip_bytes: int = 0          # the input strip of the first stage (0: the whole image read at once)

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
    def extra_instructions_ratio(self) -> float:
        """Estimated extra instructions against layer by layer's (``max_extra_macs`` limits this too)."""
        return self.extra_instructions / self.instructions if self.instructions else 0.0

    def describe(self) -> str:
        if not self.patched:
            return f"layer by layer (arena {self.arena_bytes:,} B)" + self._streamed()
        runs = ", ".join(f"{n}x{n} over layers {a}-{b} (through {op})" for a, b, n, op in self.stages)
        return (f"patches {runs}, +{100 * self.extra_macs_ratio:.1f}% MACs "
                f"(+{100 * self.extra_instructions_ratio:.1f}% instructions estimated); arena {self.arena_bytes:,} B "
                f"against {self.layer_arena_bytes:,} B layer by layer" + self._streamed())

    def _streamed(self) -> str:
        if not self.stream:
            return ""
        if self.strip_bytes:
            return f"; input streamed by rows (strip {self.strip_bytes:,} B)"
        return "; input streamed (read whole)"

    def as_dict(self) -> dict:
        return {"stages": [{"first": a, "last": b, "grid": n, "last_op": op} for a, b, n, op in self.stages],
                "grid": self.grid, "extra_macs": self.extra_macs,
                "extra_macs_ratio": round(self.extra_macs_ratio, 4),
                "extra_instructions": self.extra_instructions,
                "extra_instructions_ratio": round(self.extra_instructions_ratio, 4),
                "arena_bytes": self.arena_bytes, "layer_arena_bytes": self.layer_arena_bytes,
                "skipped_macs": self.skipped_macs, "stream_input": self.stream, "strip_bytes": self.strip_bytes}


def _shape(graph: GraphInfo, t: int) -> tuple:
    return tuple(int(d) for d in graph.tensors[t].shape)


def _operands(layer: Layer) -> tuple:
    """The activation tensors a layer reads, in its operand order."""
    return tuple(layer.operands) if isinstance(layer, (Binary, Concat)) else tuple(layer.inputs)


def _native(graph: GraphInfo, t: int) -> Optional[tuple]:
    """The view (H, W, C, True) of an int8 activation map of batch 1, or None."""
    s, ti = _shape(graph, t), graph.tensors[t]
    if len(s) != 4 or s[0] != 1 or ti.dtype != "int8" or ti.is_const:
        return None
    return s[1], s[2], s[3], True


def _pixel_split(shape, pixels: int) -> Optional[int]:
    """The fewest leading axes of ``shape`` whose product is ``pixels`` (the map's pixels in raster order,
    the remaining axes a pixel's channels), or None."""
    prod = 1
    for s, d in enumerate(shape):
        if prod == pixels:
            return s
        prod *= int(d)
    return len(shape) if prod == pixels else None


def _out_views(graph: GraphInfo, layer: Layer, views: dict) -> Optional[list]:
    """Can ``layer`` run on a tile, given the views of the tensors it reads: the view of each of its
    outputs, else None. A view (H, W, C, native) says the tensor is an H x W map of C bytes per pixel,
    in raster order; native when its shape is (1, H, W, C). Windowed layers, ADD / MUL of two maps of
    the output's shape, CONCATENATION along channels and SPLIT / SPLIT_V along channels read and write
    native maps; elementwise layers keep the view; RESHAPE keeps the pixels when leading axes of its
    output hold them (a channel shuffle's (1, H * W, g, C / g)); TRANSPOSE when it permutes only the
    axes after the pixels (so RESHAPE, TRANSPOSE, RESHAPE permutes the channels of each pixel)."""
    ins = [views.get(t) for t in _operands(layer)]
    if not ins or any(v is None for v in ins) or any(graph.tensors[t].dtype != "int8" for t in layer.outputs):
        return None
    v = ins[0]
    if isinstance(layer, Slice):
        if layer.op not in ("SPLIT", "SPLIT_V") or not v[3] or tuple(layer.in_shape6) != (1, 1, 1) + v[:3]:
            return None
        if not all(tuple(b[:5]) == (0,) * 5 and tuple(st) == (1,) * 6 and tuple(sh[:5]) == tuple(layer.in_shape6[:5])
                   for b, st, sh in layer.boxes):
            return None
        outs = [_native(graph, t) for t in layer.outputs]
        return outs if all(outs) else None
    if len(layer.outputs) != 1:
        return None
    out_t = layer.outputs[0]
    out = _native(graph, out_t)
    if isinstance(layer, Windowed):
        ok = (v[3] and out is not None and tuple(layer.in_shape) == (1,) + v[:3]
              and tuple(layer.out_shape) == (1,) + out[:3])
        return [out] if ok else None
    if isinstance(layer, Binary):
        ok = layer.op in BINARY_KERNELS and all(layer.full) and out is not None and all(u == out for u in ins)
        return [out] if ok else None
    if isinstance(layer, Concat):  # along the channels: per pixel, each input's channels in turn
        ok = (out is not None and len(layer.operands) == len(layer.inputs)
              and all(u[3] and u[:2] == out[:2] for u in ins) and layer.outer == out[0] * out[1]
              and tuple(layer.copy_bytes) == tuple(u[2] for u in ins))
        return [out] if ok else None
    if isinstance(layer, Reshape):
        if _pixel_split(_shape(graph, out_t), v[0] * v[1]) is None:
            return None
        return [(v[0], v[1], v[2], out is not None and out[:3] == v[:3])]
    if isinstance(layer, Transpose):
        s = _pixel_split(layer.in_shape6, v[0] * v[1])
        if s is None or tuple(layer.perm6[:s]) != tuple(range(s)):
            return None
        return [(v[0], v[1], v[2], out is not None and out[:3] == v[:3])]
    if layer.elementwise and len(layer.inputs) == 1 and _shape(graph, layer.inputs[0]) == _shape(graph, out_t):
        return [v]
    return None


def stage_lengths(graph: GraphInfo, layers: list[Layer], start: int = 0) -> list[int]:
    """The k for which the k layers from position ``start`` can run as one patch stage: layers that run
    on tiles (``_out_views``) reading one int8 activation map from outside (the stage's input) and each
    other's outputs, every output but the last read only inside the stage (so a residual block's ADD or
    MUL, a SPLIT's readers and a CONCATENATION's producers are inside with their branches, or the stage
    ends before), the last one native."""
    consumers: dict[int, int] = {}
    for layer in layers:
        for t in set(_operands(layer)):
            consumers[t] = consumers.get(t, 0) + 1
    ks, made, read, outside, views = [], set(), {}, set(), {}
    for k, layer in enumerate(layers[start:], 1):
        for t in set(_operands(layer)):
            if t in made:
                read[t] = read.get(t, 0) + 1
            else:
                outside.add(t)
                views.setdefault(t, _native(graph, t))
        if len(outside) != 1:
            break
        outs = _out_views(graph, layer, views)
        if outs is None:
            break
        views.update(zip(layer.outputs, outs))
        made.update(layer.outputs)
        last = layer.outputs[0]
        if len(layer.outputs) == 1 and views[last][3] and all(
                read.get(t, 0) == consumers.get(t, 0) and t not in graph.outputs for t in made if t != last):
            ks.append(k)
    return ks


def chain_length(graph: GraphInfo, layers: list[Layer], start: int = 0) -> int:
    """The most layers from position ``start`` that can run as one patch stage (0: none)."""
    return max(stage_lengths(graph, layers, start), default=0)


def _axis_regions(reads: tuple, windows: list, sizes: list, bounds: list, writes: Optional[tuple] = None,
                  exact: Optional[tuple] = None, even: Optional[tuple] = None) -> Optional[list]:
    """Per tile along one axis (the parts ``bounds`` (o0, o1) of the stage's last output): (per tensor
    position: the part (lo, hi) of the map its tile buffer holds, per layer: the padding its window
    still sees, per layer: the part of its input it needs).

    Position 0 is the stage's input, then each layer's outputs in turn (``writes[j]``; default: layer j
    writes position j + 1); ``reads[j]`` the positions layer j reads, ``windows[j]`` its (extent,
    stride, padding before) or None (elementwise, ADD, MUL, CONCATENATION, SPLIT, RESHAPE, TRANSPOSE:
    it needs its outputs' part, the union of them for a SPLIT), ``sizes[p]`` the size of map p. A map's
    tile is the union of what its readers need; a reader that needs less reads its part at an offset
    (ADD, MUL, CONCATENATION and SPLIT through the tile's row stride, other layers from a copy of it);
    None when a layer in ``exact`` (RESHAPE: its output is its input's buffer) needs less, or an output
    is read by no layer. A layer in ``even`` computes an even part of its output where the map allows
    (one more at the end, else at the start), its readers reading theirs from it."""
    m = len(reads)
    writes = writes or tuple((j + 1,) for j in range(m))
    exact = exact or (False,) * m
    count = 1 + sum(len(w) for w in writes)
    tiles = []
    for bound in bounds:
        reg: list = [None] * count
        reg[count - 1] = bound
        need = [None] * m
        for j in reversed(range(m)):
            outs = [reg[p] for p in writes[j]]
            if any(o is None for o in outs):
                return None
            o0, o1 = min(o[0] for o in outs), max(o[1] for o in outs)
            if even and even[j] and (o1 - o0) % 2:
                o0, o1 = (o0, o1 + 1) if o1 < sizes[writes[j][0]] else (max(0, o0 - 1), o1)
                reg[writes[j][0]] = (o0, o1)
            if windows[j] is None:
                lo, r = o0, (o0, o1)
            else:
                ext, stride, p = windows[j]
                lo = o0 * stride - p
                r = (max(0, lo), min(sizes[reads[j][0]], (o1 - 1) * stride - p + ext))
            need[j] = (lo, r)
            for t in reads[j]:
                reg[t] = r if reg[t] is None else (min(reg[t][0], r[0]), max(reg[t][1], r[1]))
        if exact and any(exact[j] and reg[t] != r for j, (_, r) in enumerate(need) for t in reads[j]):
            return None
        tiles.append((tuple(reg), tuple(r[0] - lo for lo, r in need), tuple(r for _, r in need)))
    return tiles


def _covered(tiles, p: int) -> int:
    """How many positions of map p (along one axis) the tiles compute at least once: the size of the
    union of their parts (a grid's tiles are the products of its row and column parts)."""
    return len(set().union(*(range(*reg[p]) for reg, *_ in tiles)))


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
    ptype, fn = BINARY_KERNELS[layer.op]
    decls = [c_array(layer.table_ctype, p + "table", layer.table)] if layer.table else []
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


def _at(base: str, off: int) -> str:
    return base if off == 0 else f"{base} + {off}"


def _copy_box(src: str, src_off: int, src_wc: tuple, dst: str, dst_off: int, dst_wc: tuple,
              h: int, w: int, c: int) -> list[str]:
    """mcu_copy_2d_s8 calls copying h x w pixels of c bytes from a tile of (width, bytes per pixel)
    ``src_wc`` at byte ``src_off`` to one of ``dst_wc`` at ``dst_off``: one call of h rows when whole
    pixels move, one of h * w runs of c bytes when the rows are contiguous on both sides, else one per
    row."""
    (sw, sc), (dw, dc) = src_wc, dst_wc
    if c == sc == dc:
        return [f"mcu_copy_2d_s8({h}, {w * c}, {_at(src, src_off)}, {sw * sc}, {_at(dst, dst_off)}, {dw * dc});"]
    if h == 1 or w == sw == dw:
        return [f"mcu_copy_2d_s8({h * w}, {c}, {_at(src, src_off)}, {sc}, {_at(dst, dst_off)}, {dc});"]
    return [f"mcu_copy_2d_s8({w}, {c}, {_at(src, src_off + y * sw * sc)}, {sc}, {_at(dst, dst_off + y * dw * dc)}, "
            f"{dc});" for y in range(h)]


@dataclass(frozen=True)
class TransposeTile:
    """One TRANSPOSE call on a tile of ``pixels`` pixels (a permutation of each pixel's channels)."""
    pixels: int
    split: int        # the leading axes of the layer's 6-D input shape that hold the pixels
    src: str
    dst: str


def _emit_transpose_tiles(layer: Transpose, calls) -> tuple[list[str], list[str]]:
    """TRANSPOSE on tiles: the pixels axes of the input shape become one axis of the tile's pixels (the
    permutation leaves them in place); one parameter set per distinct tile size (suffix _v<k>)."""
    p = f"l{layer.index}_"
    decls, names, body = [], {}, []
    for c in calls:
        s = c.split
        shape = tuple(layer.in_shape6) if s == 0 else (1,) * (s - 1) + (c.pixels,) + tuple(layer.in_shape6[s:])
        if shape not in names:
            names[shape] = p + "params" + ("" if shape == tuple(layer.in_shape6) else f"_v{len(names)}")
            decls.append(f"static const mcu_transpose_params {names[shape]} = {{{ints(shape)}, {ints(layer.perm6)}}};")
        body.append(f"mcu_transpose_s8(&{names[shape]}, {c.src}, {c.dst});")
    return decls, body


@dataclass(frozen=True, eq=False)
class PatchStage(Layer):
    """A run of layers computed tile by tile, as one layer for the memory plan and the code."""
    layers: tuple = ()
    shapes: tuple = ()       # per tensor position (0: the stage's input, then each layer's outputs): its
                             # view (1, H, W, C) as a map of pixels
    reads: tuple = ()        # per layer: the tensor positions it reads
    writes: tuple = ()       # per layer: the tensor positions it writes
    grid: int = 0
    rows: tuple = ()         # per tile row: (per position (lo, hi), per layer its window's padding,
    cols: tuple = ()         #                per layer the part of its input it needs)
    buffers: tuple = ()      # (offset, size) in the scratch of each position's tile buffer
    kernel_scratch: tuple = ()  # (offset, size) of each layer's kernel scratch (size 0: none)
    crops: tuple = ()        # (offset, size) of each layer's copy of the part of its input it needs (0: none)
    scratch: int = 0
    layer_macs: tuple = ()   # MACs each layer executes over all tiles
    useful_macs: tuple = ()  # per layer the MACs of the outputs its tiles compute, each counted once (``_covered``)
    odd_macs: int = 0        # MACs of odd rows' last pixels on the 3x3 row path beyond the whole layers'
    direct: tuple = (False, False)  # the first layer reads the stage's input map, the last writes the output
                                    # map, through their rows (no copy, no tile buffer; ``_strided``)
    extra_instructions: int = 0  # estimated (``_work``)
    stream: tuple = ()       # the image streamed by rows (``make_stage(stream=True)``): per tile row the rows
                             # [a, b) of the image the strip holds while it runs
    strip: int = 0           # bytes of the strip (its input buffer: the most rows a tile row holds); 0: the
                             # whole input map
    band: int = 0            # make_stage's ``band``

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
        band by row band, may take their place (not the strip of a streamed input: its rows move)."""
        if self.strip:
            return None
        (_, w0, c0), (_, wm, cm) = self.shapes[0][1:], self.shapes[-1][1:]
        return max(reg[-1][1] * wm * cm - reg[0][0] * w0 * c0 for reg, *_ in self.rows)

    def describe(self):
        heights = [reg[-1][1] - reg[-1][0] for reg, *_ in self.rows]
        even = [reg[-1] for reg, *_ in self.rows] == _uniform(self.shapes[-1][1], self.grid)
        bands = "" if even else f" (row bands of {', '.join(map(str, heights))})"
        strip = (f" (the image streamed into a strip of {max(b - a for a, b in self.stream)} rows)"
                 if self.strip else "")
        return (f"patches {self.grid}x{self.grid} over layers {self.layers[0].index}-{self.layers[-1].index}"
                f"{bands}: {'x'.join(map(str, self.shapes[0]))} -> {'x'.join(map(str, self.shapes[-1]))}{strip}")

    def tile_calls(self, image: str, output: str, scratch: str):
        """Per tile: (comment, copy in, per layer its call (TileCall, BinaryTile, TransposeTile or a list
        of C lines), copy out, per layer the C lines before its call (the copy of the part of its input
        it needs)); no copy in or out (None) where the first or last layer reads or writes the map
        (``direct``)."""
        last = len(self.shapes) - 1
        (_, w0, c0), (_, wm, cm) = self.shapes[0][1:], self.shapes[-1][1:]
        tiles = []
        for ti, (rs, pr, nr) in enumerate(self.rows):
            top = self.stream[ti][0] if self.strip else 0  # the image row at the start of the strip (or map)
            for tj, (cs, pc, nc) in enumerate(self.cols):
                bufs = [_at(scratch, off) for off, _ in self.buffers]
                (r0, r1), (x0, x1) = rs[0], cs[0]
                copy_in = None if self.direct[0] else (
                    f"mcu_copy_2d_s8({r1 - r0}, {(x1 - x0) * c0}, {_at(image, ((r0 - top) * w0 + x0) * c0)}, "
                    f"{w0 * c0}, {bufs[0]}, {(x1 - x0) * c0});")

                def wc(p):  # a position's tile: (width, bytes per pixel)
                    return cs[p][1] - cs[p][0], self.shapes[p][3]

                def at_region(p, region_r, region_c):  # byte offset of a part of position p's tile
                    return ((region_r[0] - rs[p][0]) * wc(p)[0] + region_c[0] - cs[p][0]) * self.shapes[p][3]

                calls, pre = [], []
                for j, layer in enumerate(self.layers):
                    w = self.writes[j][0]
                    (o0, o1), (q0, q1) = rs[w], cs[w]
                    out_shape = (1, o1 - o0, q1 - q0, self.shapes[w][3])
                    pre.append([])
                    if isinstance(layer, Binary):
                        calls.append(BinaryTile(out_shape, tuple(bufs[t] for t in self.reads[j]),
                                                tuple((o0 - rs[t][0], q0 - cs[t][0]) for t in self.reads[j]),
                                                tuple(cs[t][1] - cs[t][0] for t in self.reads[j]), bufs[w]))
                        continue
                    if isinstance(layer, Reshape):
                        calls.append([])
                        continue
                    if isinstance(layer, Concat):
                        lines, d0 = [], 0
                        for t in self.reads[j]:
                            c = self.shapes[t][3]
                            lines += _copy_box(bufs[t], at_region(t, rs[w], cs[w]), wc(t), bufs[w], d0, wc(w),
                                               o1 - o0, q1 - q0, c)
                            d0 += c
                        calls.append(lines)
                        continue
                    t = self.reads[j][0]
                    if isinstance(layer, Slice):
                        lines = []
                        for p, (begin, _, shape) in zip(self.writes[j], layer.boxes):
                            lines += _copy_box(bufs[t], at_region(t, rs[p], cs[p]) + begin[5], wc(t), bufs[p], 0,
                                               wc(p), rs[p][1] - rs[p][0], cs[p][1] - cs[p][0], shape[5])
                        calls.append(lines)
                        continue
                    src, (n0, n1), (m0, m1) = bufs[t], nr[j], nc[j]
                    rows = (0, 0)
                    if j == 0 and self.direct[0]:  # its tile read in the stage's input map
                        src, rows = _at(image, ((n0 - top) * w0 + m0) * c0), (w0 * c0, 0)
                    elif ((n0, n1), (m0, m1)) != (rs[t], cs[t]):  # it needs part of its input's tile: a copy
                        off, _ = self.crops[j]
                        src = _at(scratch, off)
                        pre[j] = _copy_box(bufs[t], at_region(t, nr[j], nc[j]), wc(t), src, 0,
                                           (m1 - m0, self.shapes[t][3]), n1 - n0, m1 - m0, self.shapes[t][3])
                    if isinstance(layer, Transpose):
                        calls.append(TransposeTile((n1 - n0) * (m1 - m0),
                                                   _pixel_split(layer.in_shape6, self.shapes[t][1] * self.shapes[t][2]),
                                                   src, bufs[w]))
                        continue
                    off, size = self.kernel_scratch[j]
                    dst = bufs[w]
                    if w == last and self.direct[1]:  # its tile written in the stage's output map
                        dst, rows = _at(output, (o0 * wm + q0) * cm), (rows[0], wm * cm)
                    calls.append(TileCall((1, n1 - n0, m1 - m0, self.shapes[t][3]), out_shape, (pr[j], pc[j]), src,
                                          dst, _at(scratch, off) if size else "NULL", *rows))
                (o0, o1), (q0, q1) = rs[last], cs[last]
                copy_out = None if self.direct[1] else (
                    f"mcu_copy_2d_s8({o1 - o0}, {(q1 - q0) * cm}, {bufs[last]}, {(q1 - q0) * cm}, "
                    f"{_at(output, (o0 * wm + q0) * cm)}, {wm * cm});")
                comment = f"/* tile ({ti}, {tj}): output rows {o0}-{o1 - 1}, columns {q0}-{q1 - 1} */"
                tiles.append((comment, copy_in, calls, copy_out, pre))
        return tiles

    def tile_lines(self, ctx):
        """The stage's declarations and, per tile, its comment and its C lines (straight-line)."""
        tiles = self.tile_calls(ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0]), ctx.scratch(self.index))
        decls, per_layer = [], []
        for j, layer in enumerate(self.layers):
            calls = [t[2][j] for t in tiles]
            if isinstance(layer, Binary):
                d, b = _emit_binary_tiles(layer, calls)
            elif isinstance(layer, Transpose):
                d, b = _emit_transpose_tiles(layer, calls)
            elif isinstance(layer, (Reshape, Concat, Slice)):
                d, b = [], calls
            else:
                d, b = layer.emit_tiles(ctx, calls)
            if len(b) != len(tiles):
                raise McunetsError(f"{layer.op} emitted {len(b)} calls for {len(tiles)} tiles")
            decls += d
            per_layer.append(b)
        lines = []
        first, last = self.layers[0].index, self.layers[-1].index
        steps = self.stream_steps(ctx.ptr(self.inputs[0]))
        for k, (comment, copy_in, _, copy_out, pre) in enumerate(tiles):
            # the profile hooks around each layer's call (its tile copies go to the first and last layer):
            # a layer's count sums its calls over the tiles
            tile = [f"LAYER_BEGIN({first});"] + ([steps[k // len(self.cols)]] if k % len(self.cols) == 0 and steps
                                                 else []) + ([copy_in] if copy_in else [])
            for j, (layer, calls) in enumerate(zip(self.layers, per_layer)):
                if j:
                    tile.append(f"LAYER_BEGIN({layer.index});")
                tile += pre[j]
                tile += calls[k] if isinstance(calls[k], list) else [calls[k]]
                if j < len(self.layers) - 1:
                    tile.append(f"LAYER_END({layer.index});")
            end = [steps[-1]] if steps and k == len(tiles) - 1 and len(steps) > len(self.rows) else []
            lines.append(tile + ([copy_out] if copy_out else []) + end + [f"LAYER_END({last});"])
        return decls, [t[0] for t in tiles], lines

    def stream_steps(self, strip: str) -> list[str]:
        """A streamed input's steps: before each tile row, ``stream_input(strip, a, b, a2, b2)`` moves the
        rows [a2, b) the strip holds to its start and reads rows [b, b2) below them (rows before a2 that
        no tile reads are read and dropped); after the last tile row, the rows no tile reads are read and
        dropped. Each image row is read once, in order. None without a strip."""
        if not self.strip:
            return []
        height = self.shapes[0][1]
        held, steps = (0, 0), []
        for a, b in self.stream:
            steps.append(f"stream_input({strip}, {held[0]}, {held[1]}, {a}, {b});")
            held = (a, b)
        if held[1] < height:
            steps.append(f"stream_input({strip}, {held[0]}, {held[1]}, {height}, {height});")
        return steps

    def emit(self, ctx):
        """The tiles in order, runs of them as loops over tables (``tile_loops``)."""
        decls, comments, lines = self.tile_lines(ctx)
        first, last = self.layers[0].index, self.layers[-1].index
        d, body = tile_loops(f"l{first}_", f"patches {self.grid}x{self.grid} over layers {first}-{last}",
                             comments, lines, len(self.cols))
        return decls + d, body


# Tile loops: consecutive tiles whose calls differ only in integers and in byte offsets into the arena
# (or a constant array) run as one loop over a table of those values. The addresses of parameters and
# dims stay literals in each loop: the kernels' dispatchers (mcu_engine.h) pick a layer's path from
# their static const values at compile time, so a firmware links only the paths its layers take.
_CALL = re.compile(r"^(\w+)\((.*)\);$")
_INT = re.compile(r"^-?\d+$")
_PTR = re.compile(r"^(?:\((\w+) \+ (\d+)\)|(\w+))((?: \+ \d+)*)$")


def _args(text: str) -> list[str]:
    """A call's arguments: its text split at the commas outside parentheses and braces."""
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    args.append(text[start:].strip())
    return args


def _arg_class(arg: str) -> tuple:
    """What an argument may take from a tile table: an integer ("int"), or a byte offset from a base
    pointer ("ptr", base: an array or the arena; ``base``, ``(base + a)``, ``(base + a) + b``, ...);
    anything else (the address of a parameter struct or dims, NULL) only the same text."""
    if _INT.match(arg):
        return ("int",)
    m = _PTR.match(arg)
    if m and (m.group(1) or m.group(3)) != "NULL":
        return ("ptr", m.group(1) or m.group(3))
    return ("text", arg)


def _arg_value(arg: str) -> int:
    """An "int" or "ptr" argument's value: the integer, or the offset from its base."""
    if _INT.match(arg):
        return int(arg)
    m = _PTR.match(arg)
    return int(m.group(2) or 0) + sum(int(x) for x in re.findall(r"\d+", m.group(4)))


def _skeleton(lines: list[str]) -> tuple:
    """What the tiles of one loop share: per line its function and each argument's class."""
    key = []
    for line in lines:
        m = _CALL.match(line)
        key.append((m.group(1), tuple(_arg_class(a) for a in _args(m.group(2)))) if m else ("text", line))
    return tuple(key)


def _int_type(values) -> str:
    lo, hi = min(values), max(values)
    for ctype, a, b in (("uint8_t", 0, 255), ("int8_t", -128, 127), ("uint16_t", 0, 65535),
                        ("int16_t", -32768, 32767)):
        if a <= lo and hi <= b:
            return ctype
    return "int32_t"


_WIDTH = {"int32_t": 0, "uint16_t": 1, "int16_t": 1, "uint8_t": 2, "int8_t": 2}


def _table(name: str, what: str, comments: list[str], tiles: list[list[str]]) -> tuple[list[str], list[str], bool]:
    """Tiles of the same skeleton: a struct type ``name`` of the values that differ between them (one
    field per distinct column of values, the smallest integer type that holds it), the table ``name``s
    with one row per tile in order (its declarations), the tiles' lines reading a row through ``t``, and
    whether there is a table (tiles that do not differ need none)."""
    fields: dict = {}     # values over the tiles -> placeholder, named in the struct's order below
    lines = []
    for i, line in enumerate(tiles[0]):
        m = _CALL.match(line)
        if not m:
            lines.append(line)
            continue
        cols = [_args(_CALL.match(t[i]).group(2)) for t in tiles]
        out = []
        for a, arg in enumerate(cols[0]):
            texts = [c[a] for c in cols]
            if all(x == arg for x in texts):
                out.append(arg)
                continue
            values = tuple(_arg_value(x) for x in texts)
            f = "t->" + fields.setdefault(values, f"@{len(fields)}@")
            cls = _arg_class(arg)
            out.append(f if cls[0] == "int" else f"{cls[1]} + {f}")
        lines.append(f"{m.group(1)}({', '.join(out)});")
    if not fields:
        return [], lines, False
    # the widest fields first (no padding between them), named n0, n1, ... in that order
    typed = sorted(((_int_type(v), tmp, v) for v, tmp in fields.items()),
                   key=lambda f: (_WIDTH[f[0]], int(f[1].strip("@"))))
    names = {tmp: f"n{i}" for i, (_, tmp, _) in enumerate(typed)}
    lines = [re.sub(r"@\d+@", lambda m: names[m.group(0)], line) for line in lines]
    decls = [f"/* {what}, {_span(comments)}: per tile what differs between them */", "typedef struct {"]
    decls += [f"    {c} {names[tmp]};" for c, tmp, _ in typed]
    decls += [f"}} {name};", f"static const {name} {name}s[{len(tiles)}] = {{"]
    decls += [f"    {{{', '.join(str(v[k]) for _, _, v in typed)}}}, {c}" for k, c in enumerate(comments)]
    decls.append("};")
    return decls, lines, True


def _span(comments: list[str]) -> str:
    """ "tiles (a, b) to (c, d)" from the first and last tiles' comments."""
    ends = [re.search(r"tile (\(\d+, \d+\))", c) for c in (comments[0], comments[-1])]
    return f"tiles {ends[0].group(1)} to {ends[1].group(1)}" if all(ends) else f"{len(comments)} tiles"


def _runs(keys: list) -> list[tuple[int, int]]:
    """(start, end) of each run of equal consecutive keys."""
    runs, k = [], 0
    while k < len(keys):
        e = k + 1
        while e < len(keys) and keys[e] == keys[k]:
            e += 1
        runs.append((k, e))
        k = e
    return runs


def tile_loops(prefix: str, what: str, comments: list[str], tiles: list[list[str]],
               row: int = 0) -> tuple[list[str], list[str]]:
    """A stage's tiles (each a comment and its lines) in order, as loops over tables of what differs
    between tiles (``_table``; types ``<prefix>tile``, ``<prefix>tile_1``, ...). Tiles of the same
    skeleton (``_skeleton``) in a row take one loop. With ``row`` tiles per grid row, consecutive grid
    rows whose runs have the same skeletons and lengths (but are not one run) take one loop over rows
    holding a loop (or block) per run. A tile alone in its run outside such rows stays straight-line."""
    keys = [_skeleton(t) for t in tiles]
    decls, body, names = [], [], []

    def name():
        names.append(f"{prefix}tile" + (f"_{len(names)}" if names else ""))
        return names[-1]

    def flat(a, e):  # tiles a..e-1: a loop per run of two or more, else straight-line
        for s, f in _runs(keys[a:e]):
            s, f = s + a, f + a
            if f - s == 1:
                body.extend([comments[s]] + tiles[s])
                continue
            n = name()
            d, lines, table = _table(n, what, comments[s:f], tiles[s:f])
            decls.extend(d)
            body.append(f"/* {what}, {_span(comments[s:f])}" + (f": one row of {n}s each */" if table else " */"))
            body.append(f"for (int k = 0; k < {f - s}; k++) {{")
            body.extend([f"    const {n} *t = &{n}s[k];"] if table else [])
            body.extend("    " + x for x in lines)
            body.append("}")

    rows = len(tiles) // row if row and len(tiles) % row == 0 else 0
    sig = [tuple((keys[r * row + s], f - s) for s, f in _runs(keys[r * row:(r + 1) * row])) for r in range(rows)]
    done = 0
    for g0, g1 in _runs(sig):
        if g1 - g0 < 2 or len(sig[g0]) < 2:
            continue
        flat(done, g0 * row)
        a, e = g0 * row, g1 * row
        body.append(f"/* {what}, {_span(comments[a:e])}: rows of {row} tiles, {len(sig[g0])} runs in each */")
        body.append(f"for (int r = 0; r < {g1 - g0}; r++) {{")
        s = 0
        for _, length in sig[g0]:
            idx = [(g0 + r) * row + s + k for r in range(g1 - g0) for k in range(length)]
            n = name()
            d, lines, table = _table(n, what, [comments[i] for i in idx], [tiles[i] for i in idx])
            decls.extend(d)
            at = "r" if length == 1 else f"r * {length} + k"
            head = "    {" if length == 1 else f"    for (int k = 0; k < {length}; k++) {{"
            body.append(head)
            body.extend([f"        const {n} *t = &{n}s[{at}];"] if table else [])
            body.extend("        " + x for x in lines)
            body.append("    }")
            s += length
        body.append("}")
        done = e
    flat(done, len(tiles))
    return decls, body


def _rows3(layer: Layer) -> bool:
    """Whether a convolution takes the 3x3 row path (mcu_conv_s8's conditions but the accumulator bound)."""
    if not isinstance(layer, Conv2D):
        return False
    _, kh, kw, fc = layer.filter.shape
    return ((kh, kw) == (3, 3) and fc == layer.in_shape[3] and fc <= ROWS3_MAX_C
            and tuple(layer.dilation) == (1, 1) and layer.stride[1] in (1, 2))


def _odd_macs(layer: Layer, rows, cols, w: int) -> int:
    """The MACs of the last output pixel of every odd-width row of ``layer``'s tiles (output position
    ``w``) when it runs on the 3x3 row path, less those of the whole layer."""
    if not _rows3(layer):
        return 0
    o, _, _, fc = layer.filter.shape
    odd = sum((reg[w][1] - reg[w][0]) * sum((c[w][1] - c[w][0]) % 2 for c, *_ in cols) for reg, *_ in rows)
    return max(0, odd - layer.out_shape[1] * (layer.out_shape[2] % 2)) * o * 9 * fc


def _dw_rows_s1(layer: Layer) -> bool:
    """Whether a layer runs the stride-1 rows of the 3x3 depthwise DSP path (its table filled per call,
    its outputs past the four-output steps in tail steps)."""
    return isinstance(layer, DepthwiseConv2D) and bool(layer.scratch_bytes) and layer.stride[1] != 2 and not layer.words


def _dw_rows(layer: Layer) -> bool:
    """Whether a layer runs the 3x3 depthwise DSP path (its ring rows filled per call, at any stride)."""
    return isinstance(layer, DepthwiseConv2D) and bool(layer.scratch_bytes)


def _dw_tail(w: int) -> int:
    """The outputs of a stride-1 row of w outputs the 3x3 depthwise DSP path computes in its pair and
    single-output steps."""
    return 0 if w % 4 == 1 and w >= 5 else w % 4


def _tail_macs(layer: Layer, rows, cols, w: int) -> int:
    """The MACs of ``layer``'s tiles' outputs (position ``w``) in the tail steps of the stride-1 3x3
    depthwise rows (``_dw_tail``), less those of the whole layer."""
    if not _dw_rows_s1(layer):
        return 0
    tail = sum((reg[w][1] - reg[w][0]) * sum(_dw_tail(c[w][1] - c[w][0]) for c, *_ in cols) for reg, *_ in rows)
    return max(0, tail - layer.out_shape[1] * _dw_tail(layer.out_shape[2])) * layer.filter.shape[3] * 9


def _strided(layer: Layer) -> bool:
    """Whether a layer's tile may read and write the rows of the maps it lies in (``Conv2D.strided``)."""
    return isinstance(layer, Conv2D) and layer.strided


def _calls(layers) -> int:
    """The kernel calls one tile makes (RESHAPE makes none)."""
    return sum(not isinstance(l, Reshape) for l in layers)


def _call_instructions(layers) -> int:
    """The estimated instructions one more tile costs beyond its MACs: TILE_INSTRUCTIONS, CALL_INSTRUCTIONS
    per kernel call, TABLE_INSTRUCTIONS per channel of a layer on the 3x3 depthwise DSP path."""
    table = sum(l.filter.shape[3] for l in layers if _dw_rows(l))
    return TILE_INSTRUCTIONS + _calls(layers) * CALL_INSTRUCTIONS + table * TABLE_INSTRUCTIONS


def make_stage(graph: GraphInfo, layers: list[Layer], k: int, n: int, start: int = 0,
               band: int = 0, max_work: Optional[tuple] = None, stream: bool = False) -> Optional[PatchStage]:
    """The k layers from position ``start`` (a stage ``stage_lengths`` allows) on an n x n grid, or None
    when the last output has fewer than n rows or columns or a RESHAPE would need less than its input's
    tile. ``band`` > 0: the row bands are not even but those of ``_bands`` at most ``band`` rows over
    the even height (thin where the output would otherwise wait for the input's rows); columns are
    always even. None too when its extra MACs or estimated extra instructions (``_work``) would exceed
    ``max_work`` (extra MACs, extra instructions). ``stream``: when the stage's input is the graph's
    input and no other layer reads it, the image is read by rows (``stream_rows``) into a strip of the
    most rows a tile row reads, the stage's input buffer."""
    prefix = layers[start:start + k]
    calls = (n * n - 1) * _call_instructions(prefix)
    if max_work is not None and calls > max_work[1]:
        return None
    made = {t for l in prefix for t in l.outputs}
    t_in = next(t for l in prefix for t in _operands(l) if t not in made)
    pos, views, writes = {t_in: 0}, {t_in: _native(graph, t_in)}, []
    for l in prefix:
        views.update(zip(l.outputs, _out_views(graph, l, views)))
        base = len(pos)
        writes.append(tuple(range(base, base + len(l.outputs))))
        pos.update((t, base + i) for i, t in enumerate(l.outputs))
    writes = tuple(writes)
    reads = tuple(tuple(pos[t] for t in _operands(l)) for l in prefix)
    tensors = sorted(pos, key=pos.get)
    shapes = tuple((1,) + views[t][:3] for t in tensors)
    count = len(shapes)
    out = shapes[-1]
    if out[1] < n or out[2] < n:
        return None
    exact = tuple(isinstance(l, Reshape) for l in prefix)
    # the 3x3 row path computes output pixels in pairs (the last of an odd row in a slow loop): its
    # tiles get even widths, their readers reading their part (not the stage's output, nor a RESHAPE's)
    even = tuple(_rows3(l) and writes[j][0] != count - 1
                 and not any(exact[i] and writes[j][0] in reads[i] for i in range(len(prefix)))
                 for j, l in enumerate(prefix))
    axes = []
    for axis in (0, 1):
        windows = [l.window(axis) if isinstance(l, Windowed) else None for l in prefix]
        sizes = [s[1 + axis] for s in shapes]
        bounds = _uniform(out[1 + axis], n)
        if band and axis == 0:
            unit = _axis_regions(reads, windows, sizes, [(y, y + 1) for y in range(out[1])], writes, exact)
            bounds = unit and _bands([reg[0][0] for reg, *_ in unit], shapes[0][2] * shapes[0][3],
                                     out[2] * out[3], n, -(-out[1] // n) + band)
            if not bounds or bounds == _uniform(out[1], n):
                return None
        tiles = _axis_regions(reads, windows, sizes, bounds, writes, exact, even if axis else None)
        if tiles is None:
            return None
        axes.append(tiles)
    rows, cols = axes

    def most(tiles, p):  # the largest extent of position p's tile
        return max(reg[p][1] - reg[p][0] for reg, *_ in tiles)

    def most_need(tiles, j):  # the largest extent of the part of its input layer j needs
        return max(need[j][1] - need[j][0] for *_, need in tiles)

    # a convolution that takes the rows of its maps (Conv2D.strided) reads its tile straight from the
    # stage's input map when it alone reads it, and writes the stage's output map straight from its tile:
    # no copy, no tile buffer
    direct = (_strided(prefix[0]) and reads[0] == (0,) and all(0 not in r for r in reads[1:]),
              _strided(prefix[-1]) and writes[-1] == (count - 1,))
    sizes = [0 if (p == 0 and direct[0]) or (p == count - 1 and direct[1]) else
             most(rows, p) * most(cols, p) * shapes[p][3] for p in range(count)]
    kscratch, crops, macs, useful, halo = [], [], [], [], 0.0
    for j, layer in enumerate(prefix):
        t, w = reads[j][0], writes[j][0]
        h_in, w_in = most_need(rows, j), most_need(cols, j)
        tile = (1, most(rows, w), most(cols, w), shapes[w][3])
        kscratch.append(layer.tile_scratch((1, h_in, w_in, shapes[t][3]), tile)
                        if isinstance(layer, Windowed) else 0)
        cropped = not isinstance(layer, (Binary, Concat, Slice, Reshape)) and any(
            need[j] != reg[t] for reg, _, need in rows + cols)
        crops.append(h_in * w_in * shapes[t][3] if cropped else 0)
        done = sum(reg[w][1] - reg[w][0] for reg, *_ in rows) * sum(reg[w][1] - reg[w][0] for reg, *_ in cols)
        pixels, once = shapes[w][1] * shapes[w][2], _covered(rows, w) * _covered(cols, w)
        macs.append(layer.macs * done // pixels)
        useful.append(layer.macs * once // pixels)
        halo += layer_instructions(graph, layer)[0] * (done - once) / pixels
    odd = sum(_odd_macs(layer, rows, cols, writes[j][0]) for j, layer in enumerate(prefix))
    tail = sum(_tail_macs(layer, rows, cols, writes[j][0]) for j, layer in enumerate(prefix))
    instructions = int(round(halo + calls + ODD_INSTRUCTIONS * odd + TAIL_INSTRUCTIONS * tail))
    if max_work is not None and (sum(macs) - sum(useful) > max_work[0]
                                 or instructions > max_work[1]):
        return None
    a = [_align_up(s) for s in sizes]
    ks = [_align_up(s) for s in kscratch]
    if all(r == (j,) and w == (j + 1,) for j, (r, w) in enumerate(zip(reads, writes))) and not any(
            crops) and not any(exact):
        # a chain: layer j reads buffer j and writes j + 1, even buffers at the bottom, odd ones at the
        # top, each layer's kernel scratch between
        total = max(a[j] + ks[j] + a[j + 1] for j in range(k))
        buffers = tuple((0 if j % 2 == 0 else total - a[j], sizes[j]) for j in range(k + 1))
        kernel = tuple(((a[j] if j % 2 == 0 else a[j + 1]), kscratch[j]) for j in range(k))
        cropped = ((0, 0),) * k
    else:
        # a DAG: buffers placed like the arena, by lifetime inside the tile; a RESHAPE's output is its
        # input's buffer
        root = list(range(count))
        born = [-1] * count
        for j, l in enumerate(prefix):
            for p in writes[j]:
                born[p] = j
                if isinstance(l, Reshape):
                    root[p] = root[reads[j][0]]
        last = [k if p == count - 1 else max((j for j, r in enumerate(reads) if p in r), default=-1)
                for p in range(count)]
        groups = sorted(set(root))
        gid = {g: i for i, g in enumerate(groups)}
        bufs = [Buffer(i, max(a[p] for p in range(count) if root[p] == g),
                       min(born[p] for p in range(count) if root[p] == g),
                       max(last[p] for p in range(count) if root[p] == g)) for i, g in enumerate(groups)]
        bufs += [Buffer(len(groups) + j, ks[j], j, j) for j in range(k)]
        bufs += [Buffer(len(groups) + k + j, _align_up(crops[j]), j, j) for j in range(k)]
        pairs = {}
        for j, layer in enumerate(prefix):  # ADD, MUL and elementwise layers may write over an operand
            if ((isinstance(layer, Binary) or layer.elementwise) and not crops[j]
                    and layer.overlap(layer.inputs[0]) == 0):
                w = writes[j][0]
                for p in set(reads[j]):
                    g = root[p]
                    if (max(last[q] for q in range(count) if root[q] == g) == j
                            and all(reg[p] == reg[w] for reg, *_ in rows + cols)):
                        pairs[(gid[g], gid[root[w]])] = 0
        total = place(bufs, pairs)
        buffers = tuple((bufs[gid[root[p]]].offset, sizes[p]) for p in range(count))
        kernel = tuple((b.offset, kscratch[j]) for j, b in enumerate(bufs[len(groups):len(groups) + k]))
        cropped = tuple((b.offset, crops[j]) for j, b in enumerate(bufs[len(groups) + k:]))
    held = stream_rows(graph, layers, prefix, rows) if stream else None
    return PatchStage(prefix[0].index, "PATCHES", (t_in,), (prefix[-1].outputs[0],),
                      layers=tuple(prefix), shapes=shapes, reads=reads, writes=writes, grid=n, rows=tuple(rows),
                      cols=tuple(cols), buffers=buffers, kernel_scratch=kernel, crops=cropped, scratch=total,
                      layer_macs=tuple(macs), useful_macs=tuple(useful), odd_macs=odd, direct=direct,
                      extra_instructions=instructions, stream=held or (), band=band,
                      strip=max(b - a for a, b in held) * shapes[0][2] * shapes[0][3] if held else 0)


def stream_rows(graph: GraphInfo, layers: list[Layer], prefix: list[Layer], rows) -> Optional[tuple]:
    """Per tile row, the rows [a, b) of the image a streamed stage's strip holds (those its tiles read),
    when the stage reads the graph's one input and no other layer does, and the windows move down (each
    row is read once, in order), else None."""
    made = {t for l in prefix for t in l.outputs}
    t_in = next(t for l in prefix for t in _operands(l) if t not in made)
    if list(graph.inputs) != [t_in] or t_in in graph.outputs or any(
            t_in in l.inputs for l in layers if not any(l is p for p in prefix)):
        return None
    held = tuple(reg[0] for reg, *_ in rows)
    if any(a2 < a or b2 < b for (a, b), (a2, b2) in zip(held, held[1:])) or min(b - a for a, b in held) <= 0:
        return None
    return held


def choose(graph: GraphInfo, layers: list[Layer], patches="auto", max_extra_macs: float = 0.15,
           stream: bool = False):
    """The schedule: (layers to plan and emit, memory plan, Schedule); ``_choose`` searches it. With
    ``stream`` the greedy search can take a long first stage whose strip is small but that leaves no
    room for later ones: the schedule searched without streaming, its stage on the image streamed and
    revisited (``_revisit``) on the streamed plans, is taken instead when its arena is smaller (ties to
    fewer estimated extra instructions)."""
    result = _choose(graph, layers, patches, max_extra_macs, stream)
    if not stream or patches in (None, "off", 0) or isinstance(patches, tuple):
        return result
    try:
        current, _, plain = _choose(graph, layers, patches, max_extra_macs, False)
    except McunetsError:
        return result
    if not plain.patched:
        return result
    for i, stage in enumerate(current):  # its stages re-made streamed (only a stage on the image changes)
        if isinstance(stage, PatchStage):
            unstaged = current[:i] + list(stage.layers) + current[i + 1:]
            alt = make_stage(graph, unstaged, len(stage.layers), stage.grid, i, stage.band, None, True)
            if alt is None:
                return result
            current = unstaged[:i] + [alt] + unstaged[i + len(stage.layers):]
    grids = list(range(2, MAX_GRID + 1)) if patches == "auto" else [patches]
    budget = (max_extra_macs * plain.macs, max_extra_macs * plain.instructions)
    plan = plan_memory(graph, current, PROMOTIONS, True)
    current, plan = _revisit(graph, current, plan, grids, budget, True)
    current, plan = _chunked(graph, current, plan, True)
    staged = [l for l in current if isinstance(l, PatchStage)]
    work = sum(_work(s)[1] for s in staged)
    if (plan.arena_bytes, work) >= (result[2].arena_bytes, result[2].extra_instructions):
        return result
    stages = tuple((s.layers[0].index, s.layers[-1].index, s.grid, s.layers[-1].op) for s in staged)
    return current, plan, Schedule(stages, sum(_work(s)[0] for s in staged), work, plain.macs, plain.instructions,
                                   result[2].layer_arena_bytes, plan.arena_bytes, sum(map(_skipped, staged)), True,
                                   max((s.strip for s in staged), default=0))


def _choose(graph: GraphInfo, layers: list[Layer], patches="auto", max_extra_macs: float = 0.15,
            stream: bool = False):
    """The schedule: (layers to plan and emit, memory plan, Schedule).

    ``patches``: "auto" finds patch stages greedily: the run of patchable layers containing the peak
    layer of the current plan, and its grid, with the smallest arena whose extra work (all stages
    together) stays within ``max_extra_macs``: its extra MACs at most that fraction of the whole
    model's MACs, and its estimated extra instructions (``_work``: the extra MACs', the extra calls',
    tables', odd pixels' and depthwise tails') at most that fraction of the model's estimated
    instructions layer by layer (ties go to fewer extra instructions), as long as the arena shrinks (at most MAX_STAGES
    stages); where stages tie on the arena at a step, it goes on from each of them (``_steps``, at most
    BEAM plans at each step) and takes the smallest final arena, then the least work, whose stages
    ``_revisit`` then chooses again on the final plans where that lowers the arena; "off" plans
    layer by layer; an int n does the same with n x n grids only, its first stage taken even when it
    does not lower the arena; a (n, k), (n, k, start) or (n, k, start, band) tuple forces one stage
    of k layers from position ``start`` (default 0), no limit, its row bands even or (``band`` > 0)
    those of ``make_stage``. Every grid is tried with even row bands and with
    bands up to BANDS rows over even. ``stream``: the image is read by rows (``generate(stream_input=True)``):
    a stage reading it holds a strip of its rows, and every plan counts the strip, not the image.
    """
    base_plan = plan_memory(graph, layers, PROMOTIONS, stream)  # the search's trial plans below take no promotions
    layers, base_plan = _chunk_peaks(graph, list(layers), base_plan, stream, PROMOTIONS)
    total = sum(l.macs for l in layers)
    instructions = int(round(sum(sum(layer_instructions(graph, l)) for l in layers)))
    base = Schedule(macs=total, instructions=instructions, layer_arena_bytes=base_plan.arena_bytes,
                    arena_bytes=base_plan.arena_bytes, stream=stream)
    if patches in (None, "off", 0):
        return layers, base_plan, base
    if isinstance(patches, tuple):
        n, k, start, band = (tuple(int(v) for v in patches) + (0, 0))[:4]
        ks = stage_lengths(graph, layers, start)
        if k not in ks:
            raise McunetsError(f"{k} layers from position {start} cannot run patch by patch: the stages "
                               f"there have {', '.join(map(str, ks)) or 'no'} layers")
        stage = make_stage(graph, layers, k, n, start, band, stream=stream)
        if stage is None:
            raise McunetsError(f"a {n}x{n} grid does not fit the {k}-layer stage's output or its maps' tiles"
                               + (f" with row bands up to {band} rows over even" if band else ""))
        staged = layers[:start] + [stage] + layers[start + k:]
        staged, plan = _chunked(graph, staged, plan_memory(graph, staged, PROMOTIONS, stream), stream)
        return staged, plan, Schedule(((stage.layers[0].index, stage.layers[-1].index, n, stage.layers[-1].op),),
                                      *_work(stage), total, instructions, base_plan.arena_bytes,
                                      plan.arena_bytes, _skipped(stage), stream, stage.strip)
    if patches == "auto":
        grids = list(range(2, MAX_GRID + 1))
    elif isinstance(patches, int) and patches >= 1:
        grids = [patches]
    else:
        raise McunetsError(f"patches must be 'auto', 'off' or a grid size, got {patches!r}")
    budget = (max_extra_macs * total, max_extra_macs * instructions)
    forced = patches != "auto"  # a forced grid takes its best first stage even when it does not lower the arena
    # the search from each start of the 3x3 depthwise layers' chunks (_starts); the smallest final arena, then
    # the least estimated extra work
    best = None
    for start in _starts(layers):
        found = _search(graph, start, grids, budget, forced, stream)
        if found is None:
            continue
        current, plan = found
        plan = plan_memory(graph, current, PROMOTIONS, stream)  # never larger: the same orders and more
        current, plan = _revisit(graph, current, plan, grids, budget, stream)
        current, plan = _chunked(graph, current, plan, stream)
        key = (plan.arena_bytes, sum(_work(s)[1] for s in current if isinstance(s, PatchStage)))
        if best is None or key < best[0]:
            best = (key, current, plan)
    if best is None:
        if patches != "auto":
            raise McunetsError(f"no patch stage with a {grids[0]}x{grids[0]} grid fits around the peak layer "
                               f"within {100 * max_extra_macs:.0f}% extra MACs and instructions")
        return layers, base_plan, base
    _, current, plan = best
    staged = [l for l in current if isinstance(l, PatchStage)]
    stages = tuple((s.layers[0].index, s.layers[-1].index, s.grid, s.layers[-1].op) for s in staged)
    return current, plan, Schedule(stages, sum(_work(s)[0] for s in staged), sum(_work(s)[1] for s in staged),
                                   total, instructions, base_plan.arena_bytes, plan.arena_bytes,
                                   sum(map(_skipped, staged)), stream, max((s.strip for s in staged), default=0))


def _rule_chunk(layer: DepthwiseConv2D) -> int:
    """A fixed rule on the layer's own shapes (the code generator's until the schedule chose the chunks): the
    whole depth (0) while the rows' scratch stays within max((input + output bytes) / 2, 4096), else the
    fewest chunks whose scratch does."""
    choices, per = layer.chunk_choices(), layer._dw_channel_scratch()
    cap = max((int(np.prod(layer.in_shape)) + int(np.prod(layer.out_shape))) // 2, 4096)
    if not choices or replace(layer, chunk=0).scratch_bytes <= cap:
        return 0
    return next((c for c in choices if c * per <= cap), choices[-1])


def _starts(layers: list) -> list:
    """The layers the search starts from, distinct: as planned layer by layer (``_chunk_peaks``), every 3x3
    depthwise layer in its most chunks (the least scratch: no stage is judged against a peak chunks would
    lower) and in the chunks of a fixed rule on its shapes (``_rule_chunk``). The greedy search's choices
    depend on which peak it sees; the final plans take back the chunks they do not need (``_chunked``)."""
    most = [replace(l, chunk=l.chunk_choices()[-1]) if isinstance(l, DepthwiseConv2D) and l.chunk_choices() else l
            for l in layers]
    rule = [replace(l, chunk=_rule_chunk(l)) if isinstance(l, DepthwiseConv2D) and l.chunk_choices() else l
            for l in layers]
    out, seen = [], set()
    for start in (list(layers), most, rule):
        key = tuple(getattr(l, "chunk", 0) for l in start)
        if key not in seen:
            seen.add(key)
            out.append(start)
    return out


def _search(graph: GraphInfo, layers: list, grids: list, budget: tuple, forced: bool, stream: bool):
    """``_choose``'s greedy search with look-ahead from ``layers``: the (layers, trial plan) of the smallest
    arena, then the least work, its stages chosen again by ``_refine``; None when it takes no stage."""
    finals, frontier = [], [(layers, plan_memory(graph, layers, 0, stream), ())]
    for depth in range(MAX_STAGES + 1):
        following = []
        for current, plan, stages in frontier:
            steps = [] if depth == MAX_STAGES else _steps(graph, current, plan, grids, _less(budget, *stages),
                                                          forced and not stages, stream)
            if not steps:
                finals.append((current, plan))
            following += [(staged, p, stages + (work,)) for staged, p, work in steps]
        # the states reached twice (the same stages taken in another order) are searched once; at most
        # BEAM states go on, the smallest arenas first, ties to fewer extra instructions
        seen, frontier = set(), []
        for state in sorted(following, key=lambda st: (st[1].arena_bytes, sum(w[1] for w in st[2]))):
            sig = _signature(state[0])
            if sig not in seen and len(frontier) < BEAM:
                seen.add(sig)
                frontier.append(state)
        if not frontier:
            break
    best = None
    for current, plan in finals:
        if not any(isinstance(l, PatchStage) for l in current):
            continue
        current, plan = _refine(graph, current, plan, grids, budget, stream)
        key = (plan.arena_bytes, sum(_work(s)[1] for s in current if isinstance(s, PatchStage)))
        if best is None or key < best[0]:
            best = (key, current, plan)
    return None if best is None else best[1:]


def _with_chunk(graph: GraphInfo, current: list, i: int, j: Optional[int], chunk: int, stream: bool):
    """``current`` with the 3x3 depthwise layer at position i (j None), or layer j of the stage at i (the
    stage made again, its grid and row bands kept), running in chunks of ``chunk`` channels (0: the whole
    depth); None when the stage cannot be made again."""
    layer = current[i]
    if j is None:
        return current[:i] + [replace(layer, chunk=chunk)] + current[i + 1:]
    inner = list(layer.layers)
    inner[j] = replace(inner[j], chunk=chunk)
    unstaged = current[:i] + inner + current[i + 1:]
    alt = make_stage(graph, unstaged, len(inner), layer.grid, i, layer.band, None, stream)
    return None if alt is None else current[:i] + [alt] + current[i + 1:]


def _chunk_sites(current: list, positions) -> list:
    """(position, index in its stage or None, layer) of the 3x3 depthwise layers at ``positions`` that may
    run their DSP rows in chunks (``DepthwiseConv2D.chunk_choices``), inside patch stages too."""
    sites = []
    for i in positions:
        layer = current[i]
        inner = list(enumerate(layer.layers)) if isinstance(layer, PatchStage) else [(None, layer)]
        sites += [(i, j, l) for j, l in inner if isinstance(l, DepthwiseConv2D) and l.chunk_choices()]
    return sites


def _chunk_trial(graph: GraphInfo, current: list, i: int, j, stream: bool, promotions):
    """For layer j of stage i (j None: layer i itself) of ``current``: chunk -> (layers, plan) with the layer
    in that chunk, or None where it cannot take it; each chunk planned once."""
    tried: dict = {}

    def trial(chunk):
        if chunk not in tried:
            staged = _with_chunk(graph, current, i, j, chunk, stream)
            tried[chunk] = None if staged is None else (staged, plan_memory(graph, staged, promotions, stream))
        return tried[chunk]

    return trial


def _first(choices: list, fits) -> int:
    """The first index of ``choices`` (ordered by fewer chunks) for which ``fits`` holds, by bisection (the
    arena does not grow with more chunks), len(choices) when none does."""
    a, b = 0, len(choices)
    while a < b:
        m = (a + b) // 2
        if fits(choices[m]):
            b = m
        else:
            a = m + 1
    return a


def _chunk_peaks(graph: GraphInfo, current: list, plan: MemoryPlan, stream: bool, promotions: int):
    """Channel chunks where they lower the arena: while the peak layer of ``plan`` is a 3x3 depthwise layer on
    the DSP rows (or a patch stage holding one) and running it in more chunks lowers the arena, the fewest
    chunks that give the smallest arena its chunks can reach (plans with ``promotions``). Returns (layers,
    plan)."""
    while True:
        live = live_bytes(plan, len(current))
        peak = max(range(len(current)), key=lambda i: live[i])
        best = None
        for i, j, layer in _chunk_sites(current, [peak]):
            choices = [c for c in layer.chunk_choices() if not layer.chunk or c < layer.chunk]
            if not choices:
                continue
            trial = _chunk_trial(graph, current, i, j, stream, promotions)
            most = trial(choices[-1])
            if most is None or most[1].arena_bytes >= plan.arena_bytes:
                continue
            target = most[1].arena_bytes
            at = _first(choices, lambda c: trial(c) is not None and trial(c)[1].arena_bytes <= target)
            staged, p = trial(choices[at])
            key = (p.arena_bytes, at)
            if best is None or key < best[0]:
                best = (key, staged, p)
        if best is None:
            return current, plan
        _, current, plan = best


def _unchunk(graph: GraphInfo, current: list, plan: MemoryPlan, stream: bool):
    """Each chunked 3x3 depthwise layer (inside patch stages too) back to fewer chunks, the whole depth
    if it may, where the final arena (plans with PROMOTIONS) does not grow: chunks the search took for a
    plan of its time that the final one no longer needs. Returns (layers, plan)."""
    for i, j, layer in _chunk_sites(current, range(len(current))):
        layer = current[i].layers[j] if j is not None else current[i]
        if not layer.chunk:
            continue
        choices = [0] + [c for c in layer.chunk_choices() if c > layer.chunk]
        trial = _chunk_trial(graph, current, i, j, stream, PROMOTIONS)
        fits = lambda c: trial(c) is not None and trial(c)[1].arena_bytes <= plan.arena_bytes  # noqa: E731
        at = 0 if fits(0) else _first(choices, fits)
        if at < len(choices):
            current, plan = trial(choices[at])
    return current, plan


def _chunked(graph: GraphInfo, current: list, plan: MemoryPlan, stream: bool):
    """A final plan's chunks: more at its peak while that lowers the arena (``_chunk_peaks``), then fewer
    wherever the arena stays (``_unchunk``)."""
    current, plan = _chunk_peaks(graph, current, plan, stream, PROMOTIONS)
    return _unchunk(graph, current, plan, stream)


def _signature(current: list) -> tuple:
    """What identifies a plan's stages: each stage's layers, grid and row bands."""
    return tuple((s.layers[0].index, s.layers[-1].index, s.grid, tuple(reg[-1] for reg, *_ in s.rows))
                 for s in current if isinstance(s, PatchStage))


def _less(budget: tuple, *works) -> tuple:
    """What is left of ``budget`` (extra MACs, extra instructions) after the stages' ``works``."""
    return tuple(b - sum(w[i] for w in works) for i, b in enumerate(budget))


def _steps(graph: GraphInfo, current: list, plan: MemoryPlan, grids: list, budget: tuple, forced: bool,
           stream: bool = False) -> list:
    """The greedy search's next stages from ``current``: per run of layers containing the peak layer of
    ``plan``, its grid and row bands with the smallest arena within ``budget`` (extra MACs, extra
    instructions; ties to fewer extra instructions, then the smaller grid), if it lowers the arena (or
    ``forced``); of these the best, and with it those whose arena ties with the best (up to BEAM in
    all, ties to fewer extra instructions): each as (layers, plan, the stage's ``_work``)."""
    live = live_bytes(plan, len(current))
    peak = max(range(len(current)), key=lambda i: live[i])
    best: dict = {}   # (start, k) -> (key, staged, plan, work)
    top = None        # the smallest arena so far
    for start in range(peak + 1):
        for k in (k for k in stage_lengths(graph, current, start) if start + k > peak):
            for n, band in ((n, band) for n in grids for band in BANDS):
                stage = make_stage(graph, current, k, n, start, band, budget, stream)
                if stage is None:
                    continue
                work = _work(stage)
                floor = _floor(stage)
                own = best.get((start, k))
                if own is not None and (floor, work[1], n) >= own[0] or top is not None and floor > top or (
                        floor >= plan.arena_bytes and not forced):
                    continue  # cannot beat its run's best or tie the best so far, or cannot be taken
                staged = current[:start] + [stage] + current[start + k:]
                p = plan_memory(graph, staged, 0, stream)
                key = (p.arena_bytes, work[1], n)
                if own is None or key < own[0]:
                    best[(start, k)] = (key, staged, p, work)
                    top = p.arena_bytes if top is None else min(top, p.arena_bytes)
    ranked = sorted(best.values(), key=lambda b: b[0])
    if not ranked or ranked[0][0][0] >= plan.arena_bytes and not forced:
        return []
    return [(staged, p, work) for key, staged, p, work in ranked if key[0] == top][:BEAM]


def _floor(stage: PatchStage) -> int:
    """A lower bound of the arena of any plan with ``stage``: its input and output (the output at best
    ``overlap`` bytes before the input) and its scratch, alive together."""
    size_in, size_out = (int(np.prod(stage.shapes[p])) for p in (0, -1))
    if stage.strip:
        return _align_up(stage.strip) + _align_up(size_out) + stage.scratch
    return _align_up(max(size_in + stage.overlap(stage.inputs[0]), size_out)) + stage.scratch


def _work(stage: PatchStage) -> tuple[int, int]:
    """A stage's extra MACs and its estimated extra instructions: the MACs of the outputs its tiles
    compute more than once (``_covered``; outputs that no later layer reads and no tile computes, which
    layer by layer computes, are not counted as less work: ``_skipped``), and at each layer's
    instructions per MAC and output (``layer_instructions``), ``_call_instructions`` per extra tile,
    ODD_INSTRUCTIONS per MAC of the odd rows' last pixels on the 3x3 row path (``_odd_macs``) and
    TAIL_INSTRUCTIONS per MAC in the depthwise rows' tail steps (``_tail_macs``)."""
    return stage.macs - sum(stage.useful_macs), stage.extra_instructions


def _skipped(stage: PatchStage) -> int:
    """The MACs of the stage's layers' outputs that no tile computes (no later layer reads them; layer by
    layer computes them)."""
    return sum(l.macs for l in stage.layers) - sum(stage.useful_macs)


def _refine(graph: GraphInfo, current: list, plan: MemoryPlan, grids: list, budget: tuple, stream: bool = False):
    """Each stage the greedy search chose was the best for the plan of its time; once all are chosen,
    each is chosen again (grid and row bands, same layers) with the others fixed, the smallest arena
    within the budget, ties to fewer extra instructions (twice over the stages at most)."""
    for _ in range(2):
        changed = False
        for i, stage in enumerate(current):
            if not isinstance(stage, PatchStage):
                continue
            left = _less(budget, *(_work(s) for s in current if isinstance(s, PatchStage) and s is not stage))
            unstaged = current[:i] + list(stage.layers) + current[i + 1:]
            best = ((plan.arena_bytes, _work(stage)[1], stage.grid), None, None)
            for n, band in ((n, band) for n in grids for band in BANDS):
                alt = make_stage(graph, unstaged, len(stage.layers), n, i, band, left, stream)
                if alt is None or (_floor(alt), _work(alt)[1], n) >= best[0]:
                    continue
                staged = current[:i] + [alt] + current[i + 1:]
                p = plan_memory(graph, staged, 0, stream)
                key = (p.arena_bytes, _work(alt)[1], n)
                if key < best[0]:
                    best = (key, staged, p)
            if best[1] is not None:
                current, plan, changed = best[1], best[2], True
        if not changed:
            break
    return current, plan


def _revisit(graph: GraphInfo, current: list, plan: MemoryPlan, grids: list, budget: tuple, stream: bool = False):
    """After the search, on the final plans (``plan_memory`` with PROMOTIONS, which the search's trial
    plans do without): each stage, from the last to the first, chosen again with the others fixed, its
    grid, its row bands and its span (each end one layer earlier or later, as ``stage_lengths`` and
    the neighbouring stages allow) within what the other stages leave of ``budget``; a change is kept
    only where the final arena falls (ties to fewer extra instructions, then the smaller grid), so no
    arena grows. Up to REVISITS rounds, until no stage changes (a plan met again is not planned again)."""
    arenas: dict = {}   # _signature -> final arena
    for _ in range(REVISITS):
        changed = False
        for j in reversed(range(sum(isinstance(l, PatchStage) for l in current))):
            i = [p for p, l in enumerate(current) if isinstance(l, PatchStage)][j]
            stage = current[i]
            k = len(stage.layers)
            left = _less(budget, *(_work(s) for s in current if isinstance(s, PatchStage) and s is not stage))
            unstaged = current[:i] + list(stage.layers) + current[i + 1:]
            best = ((plan.arena_bytes,), None, None)
            for a in range(i - 1, i + 2):
                if not 0 <= a < len(unstaged) or isinstance(unstaged[a], PatchStage):
                    continue
                for kk in stage_lengths(graph, unstaged, a):
                    e = a + kk
                    if abs(e - (i + k)) > 1 or any(isinstance(l, PatchStage) for l in unstaged[a:e]):
                        continue
                    for n, band in ((n, band) for n in grids for band in BANDS):
                        alt = make_stage(graph, unstaged, kk, n, a, band, left, stream)
                        if alt is None or _floor(alt) >= best[0][0]:
                            continue
                        staged = unstaged[:a] + [alt] + unstaged[e:]
                        sig = _signature(staged)
                        if sig in arenas and (arenas[sig], _work(alt)[1], n) >= best[0]:
                            continue
                        p = plan_memory(graph, staged, PROMOTIONS, stream)
                        arenas[sig] = p.arena_bytes
                        key = (p.arena_bytes, _work(alt)[1], n)
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
