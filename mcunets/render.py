"""Render a PlatformIO firmware project that benchmarks a model on a board (templates/platformio/).

All decisions are made here: the operator list and resolver size, the arena size and its margin,
which cycle-counter header and framework port the firmware uses, the build flags and dependencies.
The templates only loop over what this module computes. See docs/firmware.md.

Rendering is deterministic (the same inputs give byte-identical files) and goes into a folder the
caller makes atomic (:func:`mcunets.build.build_firmware` uses :func:`mcunets._io.atomic_directory`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from mcunets import __version__
from mcunets.boards import RUNTIMES, Board, load_board
from mcunets.errors import McunetsError, UnsupportedOpError
from mcunets.fit import ARENA_MARGIN, ARENA_SLACK_BYTES, Fit, ModelInfo, check_fit, model_info
from mcunets.resources import resource_dir, template_env

# ---- the TFLM runtime -------------------------------------------------------------------------------

# TFLite builtin operator → MicroMutableOpResolver method. Only operators listed here can be rendered
# for the tflm runtime (every one exists in both TFLM libraries the boards use, docs/firmware.md).
TFLM_OP_METHODS = {
    "ABS": "AddAbs", "ADD": "AddAdd", "ADD_N": "AddAddN", "ARG_MAX": "AddArgMax", "ARG_MIN": "AddArgMin",
    "AVERAGE_POOL_2D": "AddAveragePool2D", "BATCH_TO_SPACE_ND": "AddBatchToSpaceNd",
    "BROADCAST_TO": "AddBroadcastTo", "CAST": "AddCast", "CONCATENATION": "AddConcatenation",
    "CONV_2D": "AddConv2D", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D", "DEPTH_TO_SPACE": "AddDepthToSpace",
    "DEQUANTIZE": "AddDequantize", "DIV": "AddDiv", "ELU": "AddElu", "EXP": "AddExp",
    "EXPAND_DIMS": "AddExpandDims", "FILL": "AddFill", "FLOOR": "AddFloor",
    "FULLY_CONNECTED": "AddFullyConnected", "GATHER": "AddGather", "GATHER_ND": "AddGatherNd",
    "HARD_SWISH": "AddHardSwish", "L2_NORMALIZATION": "AddL2Normalization", "LEAKY_RELU": "AddLeakyRelu",
    "LOG": "AddLog", "LOGISTIC": "AddLogistic", "LOG_SOFTMAX": "AddLogSoftmax", "MAXIMUM": "AddMaximum",
    "MAX_POOL_2D": "AddMaxPool2D", "MEAN": "AddMean", "MINIMUM": "AddMinimum", "MIRROR_PAD": "AddMirrorPad",
    "MUL": "AddMul", "NEG": "AddNeg", "PACK": "AddPack", "PAD": "AddPad", "PADV2": "AddPadV2",
    "PRELU": "AddPrelu", "QUANTIZE": "AddQuantize", "REDUCE_MAX": "AddReduceMax", "RELU": "AddRelu",
    "RELU6": "AddRelu6", "RESHAPE": "AddReshape", "RESIZE_BILINEAR": "AddResizeBilinear",
    "RESIZE_NEAREST_NEIGHBOR": "AddResizeNearestNeighbor", "RSQRT": "AddRsqrt", "SELECT_V2": "AddSelectV2",
    "SHAPE": "AddShape", "SLICE": "AddSlice", "SOFTMAX": "AddSoftmax", "SPACE_TO_BATCH_ND": "AddSpaceToBatchNd",
    "SPACE_TO_DEPTH": "AddSpaceToDepth", "SPLIT": "AddSplit", "SPLIT_V": "AddSplitV", "SQRT": "AddSqrt",
    "SQUARE": "AddSquare", "SQUARED_DIFFERENCE": "AddSquaredDifference", "SQUEEZE": "AddSqueeze",
    "STRIDED_SLICE": "AddStridedSlice", "SUB": "AddSub", "SUM": "AddSum", "TANH": "AddTanh",
    "TRANSPOSE": "AddTranspose", "TRANSPOSE_CONV": "AddTransposeConv", "UNPACK": "AddUnpack",
    "ZEROS_LIKE": "AddZerosLike",
    "EQUAL": "AddEqual", "NOT_EQUAL": "AddNotEqual", "GREATER": "AddGreater", "GREATER_EQUAL": "AddGreaterEqual",
    "LESS": "AddLess", "LESS_EQUAL": "AddLessEqual", "LOGICAL_AND": "AddLogicalAnd", "LOGICAL_OR": "AddLogicalOr",
    "LOGICAL_NOT": "AddLogicalNot",
}

# The shared driver's files copied verbatim into src/ (mcu_config.h is rendered beside them).
DRIVER_FILES = ("mcu_driver.c", "mcu_driver.h", "mcu_port.h", "mcu_runtime.h")
# Width of each cycle counter (templates/platformio/counters/): the driver subtracts readings modulo it.
COUNTER_BITS = {"dwt": 32, "ccount": 32, "esp-pccr": 32, "mcycle": 32}

DEFAULT_RUNS = 10
DEFAULT_WARMUP = 2
DEFAULT_SEED = 1


# ---- rendering ----------------------------------------------------------------------------------


def model_c_name(name: str) -> str:
    """A model name safe for the report protocol (no spaces) and for C strings."""
    clean = re.sub(r"[^A-Za-z0-9_.\-]", "_", name).strip("_")
    return clean or "model"


def _hex_lines(data: bytes, per_line: int = 16) -> list[str]:
    return [", ".join(f"0x{b:02x}" for b in data[i:i + per_line]) + ","
            for i in range(0, len(data), per_line)]


@dataclass(frozen=True)
class Rendered:
    """What :func:`render_firmware` wrote, and the numbers behind it (for report.json)."""

    board: str
    runtime: str
    model_name: str
    files: tuple[str, ...]
    fit: Fit
    ops: tuple[str, ...]
    layer_ops: tuple[str, ...]
    input_bytes: tuple[int, ...]
    output_bytes: tuple[int, ...]
    runs: int
    warmup: int
    seed: int
    validate: bool = False
    schedule: dict | None = None  # the engine's schedule (Schedule.as_dict() and its description)

    def as_dict(self) -> dict:
        return {
            "board": self.board, "runtime": self.runtime, "model": self.model_name,
            "files": list(self.files), "fit": self.fit.as_dict(), "ops": list(self.ops),
            "layer_ops": list(self.layer_ops), "input_bytes": list(self.input_bytes),
            "output_bytes": list(self.output_bytes), "runs": self.runs, "warmup": self.warmup,
            "seed": self.seed, "validate": self.validate,
            **({"schedule": self.schedule} if self.schedule is not None else {}),
        }


def _engine_sources(model: bytes, name: str, patches="auto",
                    max_extra_macs: float = 0.15, stream_input: bool = False) -> tuple[dict[str, bytes], int, int, dict]:
    """The mcunets engine's model.c/model.h plus its C kernels (src/engine/), its arena, its
    constant-data bytes and its schedule (docs/engine.md)."""
    try:
        from mcunets import engine
    except ImportError:
        raise McunetsError("the mcunets engine is not available in this installation; "
                           "use --runtime tflm") from None
    gen = engine.generate(model, name, patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    files = {f"src/{fname}": text.encode("utf-8") for fname, text in sorted(gen.files.items())}
    kernels = engine.kernel_dir()
    for p in sorted(kernels.rglob("*")):
        if p.is_file() and p.suffix in (".c", ".h"):
            files[f"src/engine/{p.relative_to(kernels).as_posix()}"] = p.read_bytes()
    if "src/model.h" not in files:
        raise McunetsError("the mcunets engine generated no model.h")
    schedule = {**gen.schedule.as_dict(), "description": gen.schedule.describe()}
    return files, int(gen.arena_bytes), int(gen.flash_bytes), schedule


def render_firmware(model: bytes, board: Board | str, runtime: str, dest: str | Path, *,
                    name: str = "model", runs: int = DEFAULT_RUNS, warmup: int = DEFAULT_WARMUP,
                    seed: int = DEFAULT_SEED, arena_measured: int | None = None,
                    alpha: float | None = None, resolution: int | None = None,
                    validate: bool = False, patches="auto", max_extra_macs: float = 0.15, stream_input: bool = False) -> Rendered:
    """Write the PlatformIO project for ``model`` on ``board`` with ``runtime`` into ``dest``.

    ``validate`` renders validation firmware: instead of the benchmark it answers the ``@mcu input``
    lines ``mcunets validate --port`` sends (docs/report-protocol.md).

    ``patches`` and ``max_extra_macs`` choose the engine's schedule (:func:`mcunets.engine.generate`).

    ``dest`` must not exist or be empty; callers wanting all-or-nothing output render into a
    temporary folder (see :func:`mcunets.build.build_firmware`). Raises :class:`FitError` before
    writing anything if the model does not fit the board.
    """
    if isinstance(board, str):
        board = load_board(board)
    if runtime not in RUNTIMES:
        raise McunetsError(f"unknown runtime {runtime!r}; choose from {', '.join(RUNTIMES)}")
    if not board.is_platformio:
        raise McunetsError(f"board {board.name!r} is built by kind {board.build_kind!r}, not PlatformIO; "
                           f"it has no firmware project to render")
    if runtime not in board.runtimes:
        raise McunetsError(f"board {board.name!r} does not support runtime {runtime!r} "
                           f"(it supports {', '.join(board.runtimes)})")
    if runs < 1 or warmup < 0:
        raise McunetsError("runs must be at least 1 and warm-up at least 0")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise McunetsError(f"{dest} is not empty; render into a new folder")
    info = model_info(model)
    name = model_c_name(name)

    files: dict[str, bytes] = {}
    schedule = None
    if runtime == "tflm":
        missing = [op for op in info.ops if op not in TFLM_OP_METHODS]
        if missing:
            raise UnsupportedOpError(f"the tflm runtime has no kernel registered for {missing[0]}; "
                                     f"supported: {', '.join(sorted(TFLM_OP_METHODS))}")
        if arena_measured is None:
            from mcunets.tflm import arena_bytes
            arena_measured = arena_bytes(model)
        fit = check_fit(board, runtime, info, arena_measured, alpha=alpha, resolution=resolution)
        arena = fit.arena_bytes
    else:
        files, engine_arena, engine_flash, schedule = _engine_sources(model, name, patches, max_extra_macs, stream_input)
        # The engine keeps its own constant data, not the flatbuffer: size the flash check on that.
        info = ModelInfo(info.layer_ops, info.ops, info.input_bytes, info.output_bytes,
                         engine_flash, info.sha256)
        fit = check_fit(board, runtime, info, engine_arena, arena_bytes=engine_arena,
                        alpha=alpha, resolution=resolution)
        arena = 0

    from mcunets.targets import io_specs

    pio = board.platformio
    ctx = dict(
        version=__version__, board=board, pio=pio, runtime=runtime, model_name=name,
        runtime_is_tflm=1 if runtime == "tflm" else 0, warmup=warmup, runs=runs, seed=seed,
        board_name=board.name, cpu_hz=board.cpu_hz, counter=board.report_counter,
        counter_bits=COUNTER_BITS[board.cycle_counter], serial_baud=board.serial_baud,
        validate=1 if validate else 0, output_dtypes=[t.dtype for t in io_specs(model)[1]],
        model_bytes=info.model_bytes, model_sha256=info.sha256, arena_bytes=arena,
        layer_ops=info.layer_ops, input_bytes=info.input_bytes, output_bytes=info.output_bytes,
        ops=[{"name": op, "method": TFLM_OP_METHODS.get(op, "")} for op in info.ops],
        arena_comment=(f"Host-measured TFLM arena {fit.arena_measured} B + {int(ARENA_MARGIN * 100)}% "
                       f"+ {ARENA_SLACK_BYTES} B, rounded up to 16 B = {arena} B."),
    )
    env = template_env()
    tpl_root = resource_dir("templates") / "platformio"
    runner_root = resource_dir("templates") / "runner"

    def render(template: str) -> bytes:
        return env.get_template(template).render(**ctx).encode("utf-8")

    # The driver every board shares (templates/runner/, docs/targets.md), configured for this board.
    for static in DRIVER_FILES:
        files[f"src/{static}"] = (runner_root / static).read_bytes()
    files["src/mcu_config.h"] = render("runner/mcu_config.h.j2")
    files["src/mcu_counter.h"] = (tpl_root / "counters" / f"{board.cycle_counter}.h").read_bytes()
    files["src/mcu_port.cpp"] = (tpl_root / "ports" / f"{pio.framework}.cpp").read_bytes()
    if runtime == "tflm":
        files["src/model_data.h"] = (tpl_root / "src/model_data.h").read_bytes()
        ctx["model_lines"] = _hex_lines(model)
        files["src/model_data.cc"] = render("platformio/src/model_data.cc.j2")
        files["src/runtime_tflm.cpp"] = render("platformio/runtimes/runtime_tflm.cpp.j2")
    else:
        files["src/runtime_mcunets.c"] = (runner_root / "runtime_mcunets.c").read_bytes()

    # Build settings: the board's flags, the runtime's, and the engine's profiling switch.
    flags = list(pio.build_flags)
    lib_deps = list(pio.lib_deps)
    defines: list[str] = []
    components: list[tuple[str, str]] = []
    if runtime == "tflm":
        flags += list(board.tflm.build_flags)
        lib_deps += list(board.tflm.lib_deps)
        components = sorted(board.tflm.idf_components.items())
    else:
        flags += ["-DMCUNETS_PROFILE", "-Isrc/engine"]
        defines.append("MCUNETS_PROFILE")
    defines += [f[2:] for f in flags if f.startswith("-D")]
    extra_options: list[tuple[str, str]] = []
    if pio.framework == "espidf":
        files["CMakeLists.txt"] = (tpl_root / "espidf/CMakeLists.txt").read_bytes()
        ctx["include_dirs"] = ["."] + (["engine"] if runtime == "mcunets" else [])
        ctx["defines"] = sorted(dict.fromkeys(defines))
        files["src/CMakeLists.txt"] = render("platformio/espidf/src_CMakeLists.txt.j2")
        ctx["cpu_mhz"] = board.cpu_hz // 1_000_000
        files["sdkconfig.defaults"] = render("platformio/espidf/sdkconfig.defaults.j2")
        if components:
            ctx["components"] = components
            files["src/idf_component.yml"] = render("platformio/espidf/idf_component.yml.j2")
    ctx.update(env_name=board.name, build_flags=flags, lib_deps=lib_deps, extra_options=extra_options)
    files["platformio.ini"] = render("platformio/platformio.ini.j2")
    counter_text = {"dwt": "DWT CYCCNT register", "ccount": "Xtensa CCOUNT register",
                    "esp-pccr": "machine performance counter (CSR 0x7e2)",
                    "mcycle": "RISC-V mcycle CSR"}[board.cycle_counter]
    deps = [*lib_deps, *(f"{c} {v} (ESP component registry)" for c, v in components)]
    ctx.update(
        counter_text=counter_text,
        dependency_text=("its libraries: " + ", ".join(f"`{d}`" for d in deps)) if deps
        else "its framework",
        fit={"flash_needed": f"{fit.flash_needed:,}", "flash_available": f"{fit.flash_available:,}",
             "ram_needed": f"{fit.ram_needed:,}", "ram_available": f"{fit.ram_available:,}",
             "arena_text": "tensor arena" if runtime == "tflm" else "engine arena"},
    )
    files["README.md"] = render("platformio/README.md.j2")

    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in sorted(files.items()):
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    manifest = {
        "mcunets_version": __version__,
        "board": board.name, "runtime": runtime, "model": name,
        "inputs": {
            "model.tflite": info.sha256,
            f"boards/{board.name}.toml": hashlib.sha256(board.path.read_bytes()).hexdigest()
            if board.path else None,
            "templates/platformio": _tree_hash(tpl_root),
            "templates/runner": _tree_hash(runner_root),
        },
        "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())},
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return Rendered(board.name, runtime, name, tuple(sorted(files)) + ("manifest.json",), fit,
                    info.ops, info.layer_ops, info.input_bytes, info.output_bytes, runs, warmup, seed,
                    validate, schedule)


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def render_all(model: bytes, dest: str | Path, boards: Sequence[str] | None = None, **kw) -> list[Rendered]:
    """Render every PlatformIO board × runtime into ``dest/<board>-<runtime>`` (used by the tests)."""
    from mcunets.boards import load_boards

    out = []
    for b in load_boards():
        if not b.is_platformio or (boards and b.name not in boards):
            continue
        for rt in b.runtimes:
            out.append(render_firmware(model, b, rt, Path(dest) / f"{b.name}-{rt}", **kw))
    return out
