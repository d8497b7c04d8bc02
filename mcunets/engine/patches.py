"""Patch-based inference: runs of layers computed tile by tile (as in MCUNetV2).

A patch stage is a run of spatial layers (convolutions, depthwise convolutions, pools and elementwise
layers, batch 1) from any int8 activation, each feeding only the next.  The run's last output map is cut
into an n x n grid of tiles.  Walking back through the run, each tile needs a window of every earlier
map: output rows [o0, o1) of a layer read input rows [o0 * stride - pad, (o1 - 1) * stride - pad +
(kernel - 1) * dilation + 1), clipped to the map.  A kernel computes output position o from input
position o * stride - padding and skips taps outside its input, so running it on a tile only changes
its dims and its padding: the part of the layer's padding the tile still sees (the clipped amount,
non-zero only at the map border).  The result is exact: every tile computes the same sums as the whole
layer.  Overlapping windows (the halo) are recomputed: the extra MACs.

Per tile, the generated C copies the window of the run's input into a small buffer, runs every layer of
the run on its tile, and copies the last tile into the run's output map.  For the memory plan the run
is one layer, PatchStage: its input is the run's input map, its output the run's output map, its
scratch the tile buffers (two alternating ends of one region, each layer's kernel scratch between), and
its output may overlap the input rows no later tile reads (``overlap``), so the input's space is given
back row band by row band.

``choose`` finds stages greedily around the peak layer, the smallest arena within a limit on extra work:
the extra MACs plus CALL_MACS for every kernel call beyond one per layer (each call on a tile repeats
the kernels' setup, e.g. the DSP paths widen their weights and fill requantization tables, and adds the
tile copies).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from mcunets.engine.ops import Layer, TileCall, Windowed
from mcunets.engine.planner import MemoryPlan, _align_up, plan_memory
from mcunets.engine.reader import GraphInfo
from mcunets.errors import McunetsError

MAX_GRID = 8
# The cost of one more kernel call on a tile, in MACs: MobileNetV1 0.25/96's five-layer stage costs
# about 22,000 instructions per tile on qemu-m4 beyond its MACs (~4,400 per call, ~1.45 instructions
# per MAC in that model).
CALL_MACS = 4000


MAX_STAGES = 3


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


def chain_length(graph: GraphInfo, layers: list[Layer], start: int = 0) -> int:
    """How many layers from position ``start`` form a patchable chain (from any int8 activation)."""
    consumers: dict[int, int] = {}
    for layer in layers:
        for t in layer.inputs:
            consumers[t] = consumers.get(t, 0) + 1
    k = 0
    prev: Optional[int] = None
    for layer in layers[start:]:
        if len(layer.inputs) != 1 or len(layer.outputs) != 1:
            break
        t_in, t_out = layer.inputs[0], layer.outputs[0]
        if prev is None:
            if graph.tensors[t_in].is_const or graph.tensors[t_in].dtype != "int8":
                break
        elif t_in != prev or consumers.get(prev, 0) != 1 or prev in graph.outputs:
            break
        s_in, s_out = _shape(graph, t_in), _shape(graph, t_out)
        if len(s_in) != 4 or len(s_out) != 4 or s_in[0] != 1 or graph.tensors[t_out].dtype != "int8":
            break
        if isinstance(layer, Windowed):
            if tuple(layer.in_shape) != s_in or tuple(layer.out_shape) != s_out:
                break
        elif not (layer.elementwise and s_in == s_out):
            break
        k += 1
        prev = t_out
    return k


def _axis_tiles(windows: list, sizes: list, out_size: int, n: int) -> list[tuple]:
    """Per tile along one axis (n parts of the last output), per layer: (in_lo, in_hi, out_lo, out_hi,
    pad). ``windows[j]`` is (extent, stride, pad) or None (elementwise); ``sizes[j]`` the input size."""
    tiles = []
    for i in range(n):
        o0, o1 = i * out_size // n, (i + 1) * out_size // n
        spans = []
        for win, size in zip(reversed(windows), reversed(sizes)):
            if win is None:
                r0, r1, pad = o0, o1, 0
            else:
                ext, stride, p = win
                lo, hi = o0 * stride - p, (o1 - 1) * stride - p + ext
                r0, r1 = max(0, lo), min(size, hi)
                pad = r0 - lo
            spans.append((r0, r1, o0, o1, pad))
            o0, o1 = r0, r1
        tiles.append(tuple(reversed(spans)))
    return tiles


@dataclass(frozen=True, eq=False)
class PatchStage(Layer):
    """A run of layers computed tile by tile, as one layer for the memory plan and the code."""
    layers: tuple = ()
    shapes: tuple = ()       # per layer: (input shape, output shape)
    grid: int = 0
    rows: tuple = ()         # per tile row: per layer (in_lo, in_hi, out_lo, out_hi, pad)
    cols: tuple = ()
    buffers: tuple = ()      # (offset, size) in the scratch of each tile buffer: layer j reads j, writes j + 1
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
        (_, w0, c0), (_, wm, cm) = self.shapes[0][0][1:], self.shapes[-1][1][1:]
        return max(r[-1][3] * wm * cm - r[0][0] * w0 * c0 for r in self.rows)

    def describe(self):
        return (f"patches {self.grid}x{self.grid} over layers {self.layers[0].index}-{self.layers[-1].index}: "
                f"{'x'.join(map(str, self.shapes[0][0]))} -> {'x'.join(map(str, self.shapes[-1][1]))}")

    def tile_calls(self, image: str, output: str, scratch: str):
        """Per tile: (comment, copy in, [TileCall per layer], copy out) as C text."""
        def at(base: str, off: int) -> str:
            return base if off == 0 else f"{base} + {off}"

        m = len(self.layers)
        (_, w0, c0), (_, wm, cm) = self.shapes[0][0][1:], self.shapes[-1][1][1:]
        tiles = []
        for ti, rs in enumerate(self.rows):
            for tj, cs in enumerate(self.cols):
                bufs = [at(scratch, off) for off, _ in self.buffers]
                r0, r1 = rs[0][0], rs[0][1]
                x0, x1 = cs[0][0], cs[0][1]
                copy_in = (f"mcu_copy_2d_s8({r1 - r0}, {(x1 - x0) * c0}, {at(image, (r0 * w0 + x0) * c0)}, "
                           f"{w0 * c0}, {bufs[0]}, {(x1 - x0) * c0});")
                calls = []
                for j in range(m):
                    (a0, a1, o0, o1, pr), (b0, b1, q0, q1, pc) = rs[j], cs[j]
                    ci, co = self.shapes[j][0][3], self.shapes[j][1][3]
                    off, size = self.kernel_scratch[j]
                    calls.append(TileCall((1, a1 - a0, b1 - b0, ci), (1, o1 - o0, q1 - q0, co), (pr, pc),
                                          bufs[j], bufs[j + 1], at(scratch, off) if size else "NULL"))
                o0, o1, q0, q1 = rs[-1][2], rs[-1][3], cs[-1][2], cs[-1][3]
                copy_out = (f"mcu_copy_2d_s8({o1 - o0}, {(q1 - q0) * cm}, {bufs[m]}, {(q1 - q0) * cm}, "
                            f"{at(output, (o0 * wm + q0) * cm)}, {wm * cm});")
                comment = f"/* tile ({ti}, {tj}): output rows {o0}-{o1 - 1}, columns {q0}-{q1 - 1} */"
                tiles.append((comment, copy_in, calls, copy_out))
        return tiles

    def emit(self, ctx):
        tiles = self.tile_calls(ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0]), ctx.scratch(self.index))
        decls, per_layer = [], []
        for j, layer in enumerate(self.layers):
            d, b = layer.emit_tiles(ctx, [t[2][j] for t in tiles])
            if len(b) != len(tiles):
                raise McunetsError(f"{layer.op} emitted {len(b)} calls for {len(tiles)} tiles")
            decls += d
            per_layer.append(b)
        body = []
        for k, (comment, copy_in, _, copy_out) in enumerate(tiles):
            body += [comment, copy_in, *(calls[k] for calls in per_layer), copy_out]
        return decls, body


def make_stage(graph: GraphInfo, layers: list[Layer], k: int, n: int, start: int = 0) -> Optional[PatchStage]:
    """The k layers from position ``start`` on an n x n grid, or None when the last output has fewer
    than n rows or columns."""
    prefix = layers[start:start + k]
    shapes = tuple((_shape(graph, l.inputs[0]), _shape(graph, l.outputs[0])) for l in prefix)
    out = shapes[-1][1]
    if out[1] < n or out[2] < n:
        return None
    axes = []
    for axis in (0, 1):
        windows = [l.window(axis) if isinstance(l, Windowed) else None for l in prefix]
        sizes = [s[0][1 + axis] for s in shapes]
        axes.append(_axis_tiles(windows, sizes, out[1 + axis], n))
    rows, cols = axes

    def most(tiles, j, what):  # largest input (what 0) or output (what 1) extent of layer j
        return max((t[j][1] - t[j][0]) if what == 0 else (t[j][3] - t[j][2]) for t in tiles)

    sizes, kscratch, macs = [], [], []
    for j, layer in enumerate(prefix):
        (_, ih, iw, ic), (_, oh, ow, oc) = shapes[j]
        th, tw = most(rows, j, 0), most(cols, j, 0)
        sizes.append(th * tw * ic)
        kscratch.append(replace(layer, in_shape=(1, th, tw, ic)).scratch_bytes if isinstance(layer, Windowed) else 0)
        rows_done = sum(t[j][3] - t[j][2] for t in rows)
        cols_done = sum(t[j][3] - t[j][2] for t in cols)
        macs.append(layer.macs * rows_done * cols_done // (oh * ow))
    sizes.append(most(rows, k - 1, 1) * most(cols, k - 1, 1) * shapes[-1][1][3])
    a = [_align_up(s) for s in sizes]
    ks = [_align_up(s) for s in kscratch]
    total = max(a[j] + ks[j] + a[j + 1] for j in range(k))
    buffers = tuple((0 if j % 2 == 0 else total - a[j], sizes[j]) for j in range(k + 1))
    kernel = tuple(((a[j] if j % 2 == 0 else a[j + 1]), kscratch[j]) for j in range(k))
    return PatchStage(prefix[0].index, "PATCHES", (prefix[0].inputs[0],), (prefix[-1].outputs[0],),
                      layers=tuple(prefix), shapes=shapes, grid=n, rows=tuple(rows), cols=tuple(cols),
                      buffers=buffers, kernel_scratch=kernel, scratch=total, layer_macs=tuple(macs))


def choose(graph: GraphInfo, layers: list[Layer], patches="auto", max_extra_macs: float = 0.15):
    """The schedule: (layers to plan and emit, memory plan, Schedule).

    ``patches``: "auto" finds patch stages greedily: the run of patchable layers containing the peak
    layer of the current plan, and its grid, with the smallest arena whose extra work (extra MACs and
    CALL_MACS per extra kernel call, all stages together) stays within ``max_extra_macs`` of the
    whole model's MACs (ties go to less work), as long as the arena shrinks (at most MAX_STAGES
    stages); "off" plans layer by layer; an int n does the same with n x n grids only, its first stage
    taken even when it does not lower the arena; a (n, k) or
    (n, k, start) tuple forces one stage of k layers from position ``start`` (default 0), no limit.
    """
    base_plan = plan_memory(graph, layers)
    total = sum(l.macs for l in layers)
    base = Schedule(macs=total, layer_arena_bytes=base_plan.arena_bytes, arena_bytes=base_plan.arena_bytes)
    if patches in (None, "off", 0):
        return layers, base_plan, base
    if isinstance(patches, tuple):
        n, k, start = (tuple(int(v) for v in patches) + (0,))[:3]
        chain = chain_length(graph, layers, start)
        if not 1 <= k <= chain:
            raise McunetsError(f"{k} layers from position {start} cannot run patch by patch: the patchable "
                               f"chain there has {chain}")
        stage = make_stage(graph, layers, k, n, start)
        if stage is None:
            raise McunetsError(f"a {n}x{n} grid does not fit the {k}-layer stage's output")
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
            chain = chain_length(graph, current, start)
            for k in range(peak - start + 1, chain + 1):
                for n in grids:
                    stage = make_stage(graph, current, k, n, start)
                    if stage is None:
                        continue
                    extra = stage.macs - sum(l.macs for l in current[start:start + k])
                    calls = (n * n - 1) * k * CALL_MACS
                    if extra_all + calls_all + extra + calls > budget:
                        continue
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
    stages.sort()
    return current, plan, Schedule(tuple(stages), extra_all, calls_all, total, base_plan.arena_bytes,
                                   plan.arena_bytes)


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
