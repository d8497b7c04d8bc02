"""Does a model fit a board? Flash and SRAM per runtime, and the runtime ``auto`` picks.

The needs of a model come from its int8 flatbuffer alone: TFLM's arena as the host interpreter
allocates it, the mcunets engine's planned arena and constant data. An architecture's untrained
conversion has the same tensors as its trained one, so ``mcunets build --arch`` checks the fit before
training (:func:`mcunets.build.preflight`). See docs/firmware.md ("Fit check").
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, replace

from mcunets.boards import Board
from mcunets.errors import FitError, McunetsError

# Arena = host-measured TFLM arena × (1 + ARENA_MARGIN) + ARENA_SLACK_BYTES, rounded up to 16 bytes.
# The margin covers what differs on the board: optimized kernels (CMSIS-NN, ESP-NN) ask for scratch
# buffers the host's reference kernels do not, and the allocator's alignment padding differs.
ARENA_MARGIN = 0.10
ARENA_SLACK_BYTES = 1024

# Flash estimates (bytes) for the runtime code, beside the model and the board's system_flash_bytes.
# TFLM: interpreter, allocator, flatbuffer access and op resolver, plus one kernel per operator kind,
# measured as -O2 Cortex-M builds of the reference and CMSIS-NN kernels (rounded up).
TFLM_CORE_FLASH_BYTES = 48_000
TFLM_KERNEL_FLASH_BYTES = 10_000
# mcunets engine: a small runtime plus the generated per-layer code.
ENGINE_CORE_FLASH_BYTES = 4_000
ENGINE_KERNEL_FLASH_BYTES = 3_000
# Static RAM beside the arena: interpreter, resolver and profiler objects, driver buffers.
RUNTIME_RAM_BYTES = {"tflm": 4_096, "mcunets": 1_024}
# What each runtime's arena is called in messages and reports.
ARENA_NAMES = {"tflm": "TFLM tensor arena", "mcunets": "engine arena"}


def tflm_arena_size(measured: int) -> int:
    """The tensor arena the firmware declares for a host-measured TFLM arena of ``measured`` bytes."""
    return int(math.ceil((measured * (1 + ARENA_MARGIN) + ARENA_SLACK_BYTES) / 16.0)) * 16


@dataclass(frozen=True)
class ModelInfo:
    layer_ops: tuple[str, ...]  # one per operator, execution order
    ops: tuple[str, ...]        # distinct, in order of first use
    input_bytes: tuple[int, ...]
    output_bytes: tuple[int, ...]
    model_bytes: int
    sha256: str


def model_info(model: bytes) -> ModelInfo:
    """Operators and input/output sizes of a .tflite model, read from its flatbuffer."""
    from mcunets.engine.reader import read_model

    graph = read_model(model)
    layer_ops = tuple(op.op for op in graph.operators)
    if not layer_ops:
        raise McunetsError("the .tflite model has no operators")
    ops = tuple(dict.fromkeys(layer_ops))
    return ModelInfo(layer_ops, ops, tuple(graph.tensors[i].nbytes for i in graph.inputs),
                     tuple(graph.tensors[i].nbytes for i in graph.outputs), len(model),
                     hashlib.sha256(model).hexdigest())


@dataclass(frozen=True)
class Fit:
    board: str
    runtime: str
    model_bytes: int
    runtime_flash_bytes: int
    system_flash_bytes: int
    flash_needed: int
    flash_available: int
    arena_bytes: int
    arena_measured: int
    runtime_ram_bytes: int
    stack_bytes: int
    ram_needed: int
    ram_available: int
    # Largest scale of the width multiplier α (and, at this α, of the resolution ρ) that would fit,
    # from activations ∝ α·ρ² and weights ∝ α²; 1.0 or more when the model fits.
    alpha_scale: float
    resolution_scale: float

    @property
    def flash_alpha_scale(self) -> float:
        """Largest scale of α at which the weights (∝ α²) fit the flash left beside the fixed code."""
        room = self.flash_available - (self.flash_needed - self.model_bytes)
        return math.sqrt(room / self.model_bytes) if room > 0 and self.model_bytes else 0.0

    @property
    def fits(self) -> bool:
        return self.flash_needed <= self.flash_available and self.ram_needed <= self.ram_available

    def as_dict(self) -> dict:
        d = asdict(self)
        d["fits"] = self.fits
        d["arena_kind"] = ARENA_NAMES[self.runtime]
        return d

    def summary(self) -> str:
        """``SRAM 84,768/163,840 B, flash 190,144/1,048,576 B``"""
        return (f"SRAM {self.ram_needed:,}/{self.ram_available:,} B, "
                f"flash {self.flash_needed:,}/{self.flash_available:,} B")


def compute_fit(board: Board, runtime: str, info: ModelInfo, arena_measured: int, *,
                arena_bytes: int | None = None) -> Fit:
    """Compare the model with the board's memory (no error when it does not fit).

    Flash: model + runtime estimate + the board's system code ≤ ``flash_bytes``.
    SRAM: arena + runtime objects + stack ≤ ``sram_bytes``.
    """
    n = len(info.ops)
    if runtime == "tflm":
        runtime_flash = TFLM_CORE_FLASH_BYTES + TFLM_KERNEL_FLASH_BYTES * n
        arena = arena_bytes if arena_bytes is not None else tflm_arena_size(arena_measured)
    else:
        runtime_flash = ENGINE_CORE_FLASH_BYTES + ENGINE_KERNEL_FLASH_BYTES * n
        arena = arena_bytes if arena_bytes is not None else arena_measured
    fixed_flash = runtime_flash + board.system_flash_bytes
    fixed_ram = RUNTIME_RAM_BYTES[runtime] + board.stack_bytes
    # Weights (≈ the model's bytes) scale with α², activations (the arena) with α·ρ².
    room_ram = board.sram_bytes - fixed_ram
    s_ram = room_ram / arena if room_ram > 0 and arena else 0.0
    fit = Fit(board.name, runtime, info.model_bytes, runtime_flash, board.system_flash_bytes,
              info.model_bytes + fixed_flash, board.flash_bytes, arena, arena_measured,
              RUNTIME_RAM_BYTES[runtime], board.stack_bytes, arena + fixed_ram, board.sram_bytes,
              0.0, round(math.sqrt(s_ram) if s_ram > 0 else 0.0, 4))
    return replace(fit, alpha_scale=round(min(fit.flash_alpha_scale, s_ram), 4))


def check_fit(board: Board, runtime: str, info: ModelInfo, arena_measured: int, *,
              arena_bytes: int | None = None, alpha: float | None = None,
              resolution: int | None = None) -> Fit:
    """:func:`compute_fit`, raising :class:`FitError` if the model does not fit.

    ``alpha``/``resolution`` (when the model's are known) turn the scale factors into values.
    """
    fit = compute_fit(board, runtime, info, arena_measured, arena_bytes=arena_bytes)
    if not fit.fits:
        raise FitError(f"model does not fit {fit.board} ({fit.runtime}): {shortfall(fit)}; "
                       f"{scale_hint(fit, alpha, resolution)}")
    return fit


def shortfall(fit: Fit) -> str:
    """What does not fit, with the numbers: ``SRAM needs 183,440 B (arena … ) of 163,840``."""
    parts = []
    if fit.ram_needed > fit.ram_available:
        parts.append(f"SRAM needs {fit.ram_needed:,} B ({ARENA_NAMES[fit.runtime]} {fit.arena_bytes:,} "
                     f"+ runtime {fit.runtime_ram_bytes:,} + stack {fit.stack_bytes:,}) of "
                     f"{fit.ram_available:,}")
    if fit.flash_needed > fit.flash_available:
        parts.append(f"flash needs {fit.flash_needed:,} B (model {fit.model_bytes:,} + runtime "
                     f"~{fit.runtime_flash_bytes:,} + system ~{fit.system_flash_bytes:,}) of "
                     f"{fit.flash_available:,}")
    return "; ".join(parts)


def scale_hint(fit: Fit, alpha: float | None, resolution: int | None) -> str:
    """The largest α (and resolution at this α) that would fit, from the scaling estimate."""
    if fit.alpha_scale <= 0:
        return "no width fits: the runtime and stack alone exceed the board"
    a = f"α ≤ {alpha * fit.alpha_scale:.3f}" if alpha else f"α ≤ {fit.alpha_scale:.2f}× this model's α"
    hint = f"largest fitting {a}"
    if fit.flash_needed <= fit.flash_available and fit.resolution_scale > 0:
        r = (f"resolution ≤ {int(resolution * fit.resolution_scale)}" if resolution else
             f"resolution ≤ {fit.resolution_scale:.2f}× this model's")
        hint += f", or {r} at this α"
    return hint + " (estimate: activations ∝ α·ρ², weights ∝ α²)"


def lower_bound(board: Board, model, alpha: float | None = None,
                resolution: int | None = None, patches="auto") -> None:
    """Refuse a Keras model that cannot fit ``board`` however it is converted, without converting it.

    Its int8 weights take at least one byte per kernel parameter of flash. In SRAM, the input image is
    written whole before an inference and the outputs are read whole after it; layer by layer
    (``patches="off"``) every layer's whole output is held at some point too, while patch-based
    schedules never hold the layers inside a stage whole (int8 at batch 1). Checked with the smallest
    runtime costs (the engine's); a model that passes gets the exact check."""
    from tf_keras import layers

    weights = sum(int(v.shape.num_elements()) for layer in model.layers
                  if isinstance(layer, (layers.Conv2D, layers.Dense)) for v in layer.weights[:1])

    def size(shapes) -> int:
        shapes = shapes if isinstance(shapes, list) else [shapes]
        return sum(math.prod(d for d in s[1:] if d) for s in shapes)

    if patches == "off":
        activation = max(size(layer.output_shape) for layer in model.layers)
        what = "layer output"
    else:
        activation = max(size(model.input_shape), size(model.output_shape))
        what = "input or output"
    info = ModelInfo((), (), (), (), weights, "")
    bound = compute_fit(board, "mcunets", info, activation, arena_bytes=activation)
    if not bound.fits:
        hint = scale_hint(bound, alpha, resolution)
        if patches != "off" and bound.ram_needed > bound.ram_available and bound.resolution_scale > 0:
            # The input image and the outputs do not shrink with α, only with the resolution.
            hint = f"the {what} does not shrink with α; try " + (
                f"resolution ≤ {int(resolution * bound.resolution_scale)}" if resolution else
                f"resolution ≤ {bound.resolution_scale:.2f}× this model's")
            if bound.flash_needed > bound.flash_available:  # the weights need a smaller α as well
                a = bound.flash_alpha_scale
                hint = (f"largest fitting α ≤ {alpha * a:.3f}" if alpha else
                        f"largest fitting α ≤ {a:.2f}× this model's α") + f" for flash; {hint}"
            else:
                hint = f"no width fits: {hint}"
        raise FitError(f"model cannot fit {board.name} with any runtime: at least {weights:,} B of int8 "
                       f"weights and a {activation:,} B {what}; "
                       f"{shortfall(bound).replace(' needs ', ' needs at least ')}; {hint}")


# ---- every runtime at once, and the runtime `auto` picks ------------------------------------------


@dataclass(frozen=True)
class Needs:
    """What one runtime needs for a model, independent of the board (``why`` set: it cannot run it)."""

    runtime: str
    info: ModelInfo | None = None  # model_bytes: the flatbuffer (tflm) or the engine's constant data
    arena_measured: int = 0
    arena_bytes: int | None = None
    why: str = ""
    schedule: object = None  # the engine's mcunets.engine.Schedule


def measure(model: bytes, runtimes=("tflm", "mcunets"), *, patches="auto",
            max_extra_macs: float = 0.15, stream_input: bool = False) -> dict[str, Needs]:
    """Each runtime's needs for ``model``: TFLM's host-measured arena, the engine's plan (``patches``,
    ``max_extra_macs``: its schedule, :func:`mcunets.engine.generate`)."""
    from mcunets.errors import UnsupportedOpError

    info = model_info(model)
    out = {}
    for runtime in runtimes:
        try:
            if runtime == "tflm":
                from mcunets import tflm
                from mcunets.render import TFLM_OP_METHODS

                missing = [op for op in info.ops if op not in TFLM_OP_METHODS]
                if missing:
                    raise UnsupportedOpError(f"no TFLM kernel registered for {missing[0]}")
                out[runtime] = Needs(runtime, info, tflm.arena_bytes(model))
            else:
                from mcunets import engine

                out[runtime] = engine_needs(info, engine.generate(model, "model", patches=patches,
                                                                  max_extra_macs=max_extra_macs, stream_input=stream_input))
        except UnsupportedOpError as e:
            out[runtime] = Needs(runtime, why=str(e))
    return out


def engine_needs(info: ModelInfo, generated) -> Needs:
    """The engine's needs from its generated model: its arena, and its constant data for flash (it
    keeps no flatbuffer)."""
    engine_info = ModelInfo(info.layer_ops, info.ops, info.input_bytes, info.output_bytes,
                            int(generated.flash_bytes), info.sha256)
    return Needs("mcunets", engine_info, int(generated.arena_bytes), int(generated.arena_bytes),
                 schedule=generated.schedule)


def schedule_note(board: Board, needs: Needs) -> str:
    """How the engine runs the model (patch stages, the input streamed), and whether the board holds it
    only thanks to patches: "" for other runtimes and layer-by-layer schedules of a whole input."""
    s = needs.schedule
    if s is None or not (s.patched or s.stream):
        return ""
    layered = compute_fit(board, needs.runtime, needs.info, s.layer_arena_bytes, arena_bytes=s.layer_arena_bytes)
    note = f"engine schedule: {s.describe()}"
    if not layered.fits and fit_of(board, needs).fits:
        note += (f"; it fits {board.name} only patch by patch (layer by layer: {shortfall(layered)})")
    return note


def fit_of(board: Board, needs: Needs) -> Fit:
    return compute_fit(board, needs.runtime, needs.info, needs.arena_measured, arena_bytes=needs.arena_bytes)


@dataclass(frozen=True)
class Choice:
    runtime: str
    fit: Fit
    reason: str  # one line: which runtime and why


def choose_runtime(board: Board, needs: dict[str, Needs], runtime: str = "auto", *,
                   alpha: float | None = None, resolution: int | None = None) -> Choice:
    """The runtime to build with: ``runtime`` itself, or with ``auto`` the first of the board's
    runtimes (its order of preference, boards/<name>.toml) that fits. Raises :class:`FitError`
    naming what would fit (another runtime, a smaller α or resolution, a larger board)."""
    if runtime != "auto" and runtime not in board.runtimes:
        raise McunetsError(f"board {board.name!r} does not support runtime {runtime!r} "
                           f"(it supports {', '.join(board.runtimes)})")
    candidates = list(board.runtimes) if runtime == "auto" else [runtime]
    fits: dict[str, Fit] = {}
    problems = []
    for rt in candidates:
        n = needs.get(rt) or Needs(rt, why="not measured")
        if n.why:
            problems.append(f"{rt} cannot run the model ({n.why})")
            continue
        fits[rt] = fit_of(board, n)
        if fits[rt].fits:
            why = ("; ".join(problems) + f"; {rt} fits") if problems else (
                f"the first of {board.name}'s runtimes ({', '.join(board.runtimes)}) and it fits"
                if runtime == "auto" else "fits")
            note = schedule_note(board, n)
            return Choice(rt, fits[rt], f"runtime {rt} on {board.name}: {why}: {fits[rt].summary()}"
                          + (f"; {note}" if note else ""))
        problems.append(f"{rt} does not fit ({shortfall(fits[rt])})")
    # Nothing asked for fits: say what would.
    hints = []
    others = [rt for rt in board.runtimes if rt not in candidates and rt in needs and not needs[rt].why]
    for rt in others:
        other = fit_of(board, needs[rt])
        if other.fits:
            hints.append(f"--runtime {rt} fits ({other.summary()})")
    if fits:
        best = max(fits.values(), key=lambda f: f.alpha_scale)
        hints.append(scale_hint(best, alpha, resolution) + (f" with {best.runtime}" if len(fits) > 1 else ""))
    larger = boards_that_fit(needs, like=board)
    if larger:
        hints.append("it fits " + ", ".join(larger[:4]))
    what = "any of its runtimes" if runtime == "auto" else runtime
    raise FitError(f"model does not fit {board.name} with {what}: {'; '.join(problems)}; "
                   f"{'; '.join(hints) or 'no board here fits it'}")


def boards_that_fit(needs: dict[str, Needs], like: Board) -> list[str]:
    """``board (runtimes)`` for every other board of ``like``'s kind (real or simulated; the host
    aside) that the model fits, smallest SRAM first."""
    from mcunets.boards import load_boards

    found = []
    for b in sorted(load_boards(), key=lambda b: (b.sram_bytes, b.name)):
        if b.name in (like.name, "host") or b.is_platformio != like.is_platformio:
            continue
        ok = [rt for rt in b.runtimes if rt in needs and not needs[rt].why and fit_of(b, needs[rt]).fits]
        if ok:
            found.append(f"{b.name} ({', '.join(ok)})")
    return found
