"""Latency of the engine's inference without running it: an instruction model of its kernels.

A layer of kind ``k`` (:func:`layer_kind`: 1×1, grouped, k×k or first convolution, 3×3 or other
depthwise, fully connected, ADD, MUL, pools, MEAN, and every other operator by its name) costs
``a_k·MACs + b_k·outputs + c_k`` instructions, where MACs counts the window positions for pools and
the elements for ADD and MUL, and outputs the output elements. The coefficients of each emulated
board (the instructions of one core family, docs/targets.md) are fitted by ``benchmarks/latency.py``
on that board's per-layer instruction counts of the kernel shape sweep (``benchmarks/kernels.py``'s
one-operator models) and of zoo models, and stored in ``mcunets/latency.json`` with the commit of
the kernels they describe. A patch-based schedule adds the extra instructions the patch search
estimated for its tiles.

At one instruction per cycle (no wait states, caches or dual issue), instructions ÷ the board's
clock is the estimate :func:`estimate_ms` gives; ``benchmarks/latency.py`` prints how far it is from
the emulated board's count on models it was not fitted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from mcunets.boards import Board
from mcunets.errors import McunetsError

# The emulated board whose fitted instruction model stands for each core family's. The Cortex-M7 runs
# the Cortex-M4's Thumb-2 DSP kernels: qemu-m4's model, checked against qemu-m7's counts (docs/search.md).
EMULATORS = {"cortex-m4f": "qemu-m4", "cortex-m7": "qemu-m4", "rv32imc": "qemu-rv32"}
KINDS = ("conv_1x1", "conv_1x1_odd", "conv_grouped", "conv_kxk", "conv_first", "depthwise_3x3",
         "depthwise_kxk", "depthwise_odd", "fully_connected", "add", "mul", "max_pool", "average_pool", "mean")
OTHER = "other"  # the coefficients of every operator not in KINDS together, for one the fit has not seen
COEFFICIENTS = Path(__file__).resolve().parent / "latency.json"


@dataclass(frozen=True)
class LayerCost:
    index: int
    op: str
    kind: str
    macs: int
    outputs: int


def layer_kind(layer) -> str:
    """The kind of kernel an engine layer runs, told apart by the properties the kernels dispatch on
    (kernel size, grouping, depth a multiple of 4), never by exact depths."""
    from mcunets.engine import ops

    if isinstance(layer, ops.Conv2D):
        _, kh, kw, depth = layer.filter.shape
        if depth <= 3:
            return "conv_first"
        if depth < layer.in_shape[3]:
            return "conv_grouped"
        if kh == kw == 1:
            return "conv_1x1" if depth % 4 == 0 else "conv_1x1_odd"
        return "conv_kxk"
    if isinstance(layer, ops.DepthwiseConv2D):
        _, kh, kw, channels = layer.filter.shape
        if channels % 4:
            return "depthwise_odd"
        return "depthwise_3x3" if (kh, kw) == (3, 3) else "depthwise_kxk"
    if isinstance(layer, ops.FullyConnected):
        return "fully_connected"
    if isinstance(layer, ops.BatchMatMul):  # FULLY_CONNECTED with activation weights runs this kernel too
        return "batch_matmul"
    if isinstance(layer, ops.Binary):
        return {"ADD": "add", "SUB": "add", "MUL": "mul"}.get(layer.op, layer.op.lower())
    if isinstance(layer, ops.Pool2D):
        return "max_pool" if layer.kind == "max" else "average_pool"
    if isinstance(layer, ops.Mean):
        return "mean"
    return layer.op.lower()


def layer_costs(model: bytes) -> list[LayerCost]:
    """Kind, MACs and output elements of every layer the engine runs for ``model``, layer by layer."""
    from mcunets.engine.lower import lower
    from mcunets.engine.reader import read_model

    graph = read_model(bytes(model))
    return [layer_cost(graph, layer) for layer in lower(graph)]


def layer_cost(graph, layer) -> LayerCost:
    """Kind, MACs (the output elements for a layer without MACs) and output elements of one engine
    ``layer`` of ``graph`` (:class:`mcunets.engine.reader.GraphInfo`)."""
    outputs = sum(int(np.prod(graph.tensors[t].shape)) for t in layer.outputs)
    macs = int(layer.macs) if layer.macs else outputs
    return LayerCost(layer.index, layer.op, layer_kind(layer), macs, outputs)


def layer_instructions(graph, layer, emulator: str = "qemu-m4") -> tuple[float, float]:
    """The instructions of one engine ``layer`` of ``graph`` (:class:`mcunets.engine.reader.GraphInfo`)
    by ``emulator``'s stored model, as (the part that grows with its MACs and outputs, the part each
    call costs): what the patch search (:func:`mcunets.engine.patches.choose`) counts a model's
    instructions with."""
    cost = layer_cost(graph, layer)
    coef = _stored()["boards"][emulator]["coefficients"]
    a, b, c = coef.get(cost.kind) or coef[OTHER]
    return a * cost.macs + b * cost.outputs, c


def features(cost: LayerCost) -> np.ndarray:
    return np.array([cost.macs, cost.outputs, 1.0])


def fit(samples: list[tuple[LayerCost, int]], constants: dict | None = None) -> dict:
    """Coefficients ``{kind: [a, b, c]}`` from (layer, instructions) samples: per kind, least squares
    with each sample weighted by 1/sqrt(instructions) (between relative and absolute error: the large
    layers, most of a model's count, weigh more than in a relative fit), coefficients kept non-negative; the
    outputs term is left out where it equals the MACs (elementwise layers). The kinds outside KINDS
    are also fitted together, as ``other``, on absolute error: a cheap RESHAPE should not decide what
    an unseen large operator costs. ``constants`` (``{kind: [a, b, c]}``, e.g. an earlier fit's): each
    kind's per-call ``c`` is kept from it (its ``other`` for a kind it lacks) and only ``a`` and ``b``
    are fitted, for samples of one shape per layer (a model at one resolution), which cannot tell a
    per-call cost from one that grows with the layer (a patch schedule pays ``c`` once per tile)."""
    out = {}
    kinds = sorted({c.kind for c, _ in samples}, key=lambda k: (k not in KINDS, k))
    for kind in kinds + [OTHER]:
        rows = [(features(c), n) for c, n in samples
                if (c.kind == kind or kind == OTHER and c.kind not in KINDS) and n > 0]
        if not rows:
            continue
        x = np.array([r[0] for r in rows])
        y = np.array([float(r[1]) for r in rows])
        w = np.ones_like(y) if kind == OTHER else 1.0 / np.sqrt(y)
        c0 = (constants.get(kind) or constants[OTHER])[2] if constants else 0.0
        y = y - c0
        active = [j for j in range(3) if (j == 2 and not constants) or j < 2 and np.any(x[:, j] != x[0, j])]
        if constants and not active:
            active = [0]
        if 0 in active and 1 in active and np.array_equal(x[:, 0], x[:, 1]):
            active.remove(1)
        coef = np.zeros(3)
        while active:  # drop a feature whose coefficient comes out negative, and solve again
            sol, *_ = np.linalg.lstsq(x[:, active] * w[:, None], y * w, rcond=None)
            if np.all(sol >= 0):
                coef[:] = 0
                coef[active] = sol
                coef[2] += c0
                break
            active.pop(int(np.argmin(sol)))
        out[kind] = [round(float(v), 4) for v in coef]
    return out


@lru_cache(maxsize=None)
def _stored() -> dict:
    try:
        return json.loads(COEFFICIENTS.read_text())
    except (OSError, ValueError) as e:
        raise McunetsError(f"the latency model {COEFFICIENTS} cannot be read ({e}); reinstall mcunets") from None


def coefficients(board: Board) -> dict:
    """The stored instruction model for ``board``'s core, or a McunetsError saying there is none."""
    emulator = EMULATORS.get(board.core)
    entry = _stored().get("boards", {}).get(emulator) if emulator else None
    if entry is None:
        fitted = ", ".join(sorted(k for k, v in EMULATORS.items() if v in _stored().get("boards", {})))
        raise McunetsError(f"latency is unavailable for {board.name} ({board.core}): the instruction model "
                           f"covers {fitted or 'no core'}; drop --latency-ms")
    return entry


def estimate_instructions(model: bytes, coef: dict, schedule=None) -> int:
    """Instructions of one inference of ``model`` by the engine, from the coefficients ``coef``
    (``{kind: [a, b, c]}``). With a patch-based ``schedule`` (:class:`mcunets.engine.patches.Schedule`),
    the layer-by-layer count grows by the share the patch search estimated for its tiles
    (``schedule.extra_instructions_ratio``: the extra MACs and the per-tile and per-call costs of
    the extra tiles), so the estimate and the search's limit agree."""
    total = 0.0
    for c in layer_costs(model):
        a, b, k = coef.get(c.kind) or coef[OTHER]
        total += a * c.macs + b * c.outputs + k
    return int(round(total * (1 + (schedule.extra_instructions_ratio if schedule else 0.0))))


def estimate_ms(model: bytes, board: Board, schedule=None) -> float:
    """Milliseconds of one inference with the engine at ``board``'s clock, at one instruction per cycle,
    with ``schedule``, by default the one the engine takes for the model (patches or not)."""
    from mcunets.engine import generate

    coef = coefficients(board)["coefficients"]
    if not board.cpu_hz:
        raise McunetsError(f"latency is unavailable for {board.name}: its board file gives no clock")
    schedule = schedule or generate(bytes(model), "model").schedule
    return estimate_instructions(model, coef, schedule) / board.cpu_hz * 1e3
