"""Static memory plan: every activation tensor and scratch buffer gets a fixed arena offset.

Tensors joined by RESHAPE-like layers share one buffer.  A buffer lives from the layer that writes it
to the last layer that reads it (graph inputs from the start, graph outputs to the end).  Two buffers
whose lifetimes intersect must not overlap, except an input that dies at a layer and that layer's
output: the output may overlap it when ``input offset - output offset >= layer.overlap(input)``
(elementwise layers in place, convolutions and pools with the output trailing the input by the
rows they still need).  Buffers are placed one by one, each where it satisfies every constraint and
grows the arena least (offsets may go below the first buffer; the plan is shifted to start at 0), in
four orders (largest first, earliest or latest first among equals, by birth, by lifetime x size) and a
fifth, by birth with each layer's outputs before its scratch, repeated with the last buffer that grew
the arena moved before the first buffer alive with it (``PROMOTIONS`` times; in the final plans, those
with promotions, the same repeats start from each of the four orders too); the smallest arena wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from mcunets.engine.ops import Layer, Reshape
from mcunets.engine.reader import GraphInfo

ALIGN = 4
# repeats of the fifth order, each with the last buffer that grew the arena placed earlier (``place``), for
# the plans a schedule ends with (the search's trial plans take none)
PROMOTIONS = 8


def _align_up(x: int) -> int:
    return (x + ALIGN - 1) // ALIGN * ALIGN


def _align_down(x: int) -> int:
    return x // ALIGN * ALIGN


@dataclass
class Buffer:
    id: int
    size: int
    first: int  # first layer index using it (-1: before the first layer)
    last: int   # last layer index using it
    tensors: list = field(default_factory=list)
    scratch_of: int = -1
    offset: int = -1


@dataclass(frozen=True)
class MemoryPlan:
    arena_bytes: int
    tensor_offsets: dict  # tensor id -> arena offset
    scratch_offsets: dict  # layer index -> arena offset
    buffers: tuple
    pairs: dict = field(default_factory=dict)  # (input buffer, output buffer) -> allowed distance

    def offset(self, tensor: int) -> int:
        return self.tensor_offsets[tensor]


def plan_memory(graph: GraphInfo, layers: list[Layer], promotions: int = 0, stream: bool = False) -> MemoryPlan:
    """The plan of ``layers``: the smallest of ``place``'s orders, the fifth repeated ``promotions`` times
    (-1: not at all; the schedule search's many trial plans take 0, its final plans PROMOTIONS, and
    with any promotions the repeats start from each of the four orders too).

    ``stream``: the graph's one input is read by rows (``stream_input``): it is alive from its first
    reader (which reads it), and when that reader alone reads it and is a patch stage holding only a
    strip of its rows (``strip``), its buffer is the strip."""
    n_layers = len(layers)
    parent: dict[int, int] = {}

    def find(t):
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    for layer in layers:
        if isinstance(layer, Reshape):
            parent[find(layer.outputs[0])] = find(layer.inputs[0])

    activations: set[int] = set(graph.inputs) | set(graph.outputs)
    for layer in layers:
        activations.update(layer.inputs)
        activations.update(layer.outputs)
    activations = {t for t in activations if not graph.tensors[t].is_const}

    groups: dict[int, Buffer] = {}
    for t in sorted(activations):
        root = find(t)
        buf = groups.get(root)
        if buf is None:
            buf = groups[root] = Buffer(id=len(groups), size=0, first=n_layers, last=-1)
        buf.tensors.append(t)
        buf.size = max(buf.size, graph.tensors[t].nbytes)
    for k, layer in enumerate(layers):
        for t in layer.outputs:
            b = groups[find(t)]
            b.first = min(b.first, k)
            b.last = max(b.last, k)
        for t in layer.inputs:
            b = groups[find(t)]
            b.first = min(b.first, k)
            b.last = max(b.last, k)
    for t in graph.inputs:
        if t in activations and not stream:
            groups[find(t)].first = -1
    if stream:
        for t in graph.inputs:
            b = groups.get(find(t)) if t in activations else None
            readers = [layer for layer in layers if b is not None and any(find(u) == find(t) for u in layer.inputs)]
            if len(readers) == 1 and getattr(readers[0], "strip", 0):
                b.size = readers[0].strip
    for t in graph.outputs:
        if t in activations:
            groups[find(t)].last = n_layers
    buffers = list(groups.values())
    for b in buffers:
        if b.first > b.last:  # unused tensor
            b.first = b.last = -1

    # Overlap permissions: (input buffer, output buffer) -> minimum input_offset - output_offset.
    pairs: dict[tuple[int, int], int] = {}
    for k, layer in enumerate(layers):
        if isinstance(layer, Reshape):
            continue
        for t_in in set(layer.inputs):
            bi = groups[find(t_in)]
            if bi.last != k:
                continue
            d = layer.overlap(t_in)
            if d is None:
                continue
            for t_out in layer.outputs:
                bo = groups[find(t_out)]
                if bo is bi or bo.first != k:
                    continue
                key = (bi.id, bo.id)
                pairs[key] = max(pairs.get(key, d), d)
        # A layer with several outputs: an output may not overlap an input used by a later output.
        if len(layer.outputs) > 1:
            for t_in in set(layer.inputs):
                bi = groups[find(t_in)]
                for t_out in layer.outputs:
                    pairs.pop((bi.id, groups[find(t_out)].id), None)

    for k, layer in enumerate(layers):
        if layer.scratch_bytes > 0:
            buffers.append(Buffer(id=len(buffers), size=layer.scratch_bytes, first=k, last=k,
                                  scratch_of=layer.index))

    arena = place(buffers, pairs, promotions, restarts=promotions > 0)
    tensor_offsets = {}
    for root, b in groups.items():
        for t in b.tensors:
            tensor_offsets[t] = b.offset
    scratch = {b.scratch_of: b.offset for b in buffers if b.scratch_of >= 0}
    return MemoryPlan(arena, tensor_offsets, scratch, tuple(buffers), dict(pairs))


def place(buffers: list[Buffer], pairs: dict, promotions: int = PROMOTIONS, restarts: bool = False) -> int:
    """Give every buffer its offset: placed one by one in four orders (largest first, earliest or
    latest first among equals, by birth, by lifetime x size), then by birth with each layer's outputs
    before its scratch, again and again with the last buffer that grew the arena moved before the first
    buffer alive with it, in that order (a buffer that had to go outside the others gets its place
    before they take theirs; up to ``promotions`` times), and with ``restarts`` the same from each of
    the four orders, and every order again with ties in growth going to the lowest offset (not the one
    nearest 0); the smallest arena wins. Returns the arena's bytes."""
    # the buffers each one is alive with, once for all orders (a sweep over the buffers by birth)
    together: dict = {b.id: [] for b in buffers}
    spans = sorted((b for b in buffers if b.size and not (b.first < 0 and b.last < 0)), key=lambda b: b.first)
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            if b.first > a.last:
                break
            together[a.id].append(b)
            together[b.id].append(a)
    best = _orders(buffers, pairs, promotions, restarts, together, _floor_bytes(spans, pairs))
    for b, off in zip(buffers, best[1]):
        b.offset = off
    return best[0]


def _floor_bytes(spans: list, pairs: dict) -> int:
    """A lower bound of any plan's arena: at each layer, the bytes of the buffers alive then less the most
    each allowed pair (input, output) of them can share (at most the smaller of the input and the output
    less the distance, the others being disjoint). ``spans``: the buffers that take a place."""
    if not spans:
        return 0
    first = min(b.first for b in spans)
    used = [0] * (max(b.last for b in spans) - first + 1)
    byid = {}
    for b in spans:
        byid[b.id] = b
        for k in range(b.first - first, b.last - first + 1):
            used[k] += b.size
    for (i, o), d in pairs.items():
        a, b = byid.get(i), byid.get(o)
        if a is None or b is None:
            continue
        share = max(0, min(a.size, b.size - max(d, 0)))
        for k in range(max(a.first, b.first) - first, min(a.last, b.last) - first + 1):
            used[k] -= share
    floor = max(used)
    return _align_up(floor)


def _orders(buffers: list[Buffer], pairs: dict, promotions: int, restarts: bool, together: dict,
            floor: int) -> tuple:
    """``place``'s orders in turn: (the smallest arena, its offsets); the first plan whose arena is
    ``floor`` (no order can go below it) ends the search."""
    best = None
    keys = (lambda b: (-b.size, b.first, b.id), lambda b: (-b.size, -b.first, b.id),
            lambda b: (b.first, -b.size, b.id), lambda b: (-(b.last - b.first + 1) * b.size, b.first, b.id))
    for low in ((False, True) if restarts else (False,)):
        for key in keys:
            _place(buffers, pairs, key, together, low)
            arena = _align_up(max((b.offset + b.size for b in buffers), default=0))
            if best is None or arena < best[0]:
                best = (arena, [b.offset for b in buffers])
                if arena <= floor:
                    return best
    starts = [sorted(buffers, key=lambda b: (b.first, b.scratch_of >= 0, -b.size, b.id))]
    if restarts:
        starts += [sorted(buffers, key=key) for key in keys]
    for order, low in [(o, False) for o in starts] + ([(list(o), True) for o in starts] if restarts else []):
        for _ in range(promotions + 1):
            grew = _place(buffers, pairs, order, together, low)
            arena = _align_up(max((b.offset + b.size for b in buffers), default=0))
            if arena < best[0]:
                best = (arena, [b.offset for b in buffers])
                if arena <= floor:
                    return best
            if grew is None:
                break
            order.remove(grew)
            at = {id(b): i for i, b in enumerate(order)}
            order.insert(min(at[id(p)] for p in together[grew.id]), grew)
    return best


def _place(buffers: list[Buffer], pairs: dict, key, together: dict, low: bool = False) -> Optional[Buffer]:
    """Place the buffers one by one in ``key`` order (or in the order of the list ``key``), each where it
    satisfies every constraint and grows the arena least (among those, nearest 0, or with ``low`` the
    lowest); offsets start at 0. ``together``: per buffer id, the buffers alive with it. Returns the last buffer placed that grew the arena, alive with a
    buffer placed before it (None: none did)."""
    placed: list[Buffer] = []
    placed_ids: set = set()
    lo = hi = 0  # current extent of the placed buffers (offsets may go negative until the end)
    order = sorted(buffers, key=key) if callable(key) else key
    grew = None
    for buf in order:
        if buf.size == 0 or buf.first < 0 and buf.last < 0:
            buf.offset = 0
            continue
        conflicts = [p for p in together[buf.id] if p.id in placed_ids]
        size = buf.size
        candidates = {0}
        # per conflict: (its offset, its end, the least distance it may lie above buf as buf's input,
        # the least distance buf may lie above it as its input; None: no overlap allowed)
        spans = []
        for p in conflicts:
            start, end = p.offset, p.offset + p.size
            candidates.add(_align_up(end))
            candidates.add(_align_down(start - size))
            d_in = pairs.get((p.id, buf.id))
            if d_in is not None:  # buf is the output of p
                candidates.add(_align_down(start - d_in))
            d_out = pairs.get((buf.id, p.id))
            if d_out is not None:  # buf is the input of p
                candidates.add(_align_up(start + d_out))
            spans.append((start, end, d_in, d_out))

        def ok(off: int) -> bool:
            top = off + size
            for start, end, d_in, d_out in spans:
                if top <= start or end <= off:
                    continue
                if d_in is not None and start - off >= d_in:
                    continue
                if d_out is not None and off - start >= d_out:
                    continue
                return False
            return True

        if not placed:
            buf.offset = 0
        else:
            # the allowed offset that grows the arena least (then nearest 0, then lowest): candidates in
            # that order, the first allowed one
            buf.offset = next(off for _, _, off in sorted(
                (max(hi, off + size) - min(lo, off), off if low else abs(off), off) for off in candidates) if ok(off))
        if conflicts and (buf.offset < lo or buf.offset + buf.size > hi):
            grew = buf
        lo, hi = min(lo, buf.offset), max(hi, buf.offset + buf.size)
        placed.append(buf)
        placed_ids.add(buf.id)

    base = min((b.offset for b in placed), default=0)
    for b in buffers:
        b.offset = b.offset - base if b.id in placed_ids else 0
    return grew


def check_plan(plan: MemoryPlan) -> None:
    """Raise AssertionError if two buffers alive at the same time overlap without permission."""
    bufs = [b for b in plan.buffers if b.size > 0 and not (b.first < 0 and b.last < 0)]
    for i, a in enumerate(bufs):
        if a.offset < 0 or a.offset + a.size > plan.arena_bytes:
            raise AssertionError(f"buffer {a.id} lies outside the arena")
        for b in bufs[i + 1:]:
            if not (a.first <= b.last and b.first <= a.last):
                continue
            if a.offset + a.size <= b.offset or b.offset + b.size <= a.offset:
                continue
            d = plan.pairs.get((a.id, b.id))
            if d is not None and a.offset - b.offset >= d:
                continue
            d = plan.pairs.get((b.id, a.id))
            if d is not None and b.offset - a.offset >= d:
                continue
            raise AssertionError(f"buffers {a.id} and {b.id} overlap while both are live")
