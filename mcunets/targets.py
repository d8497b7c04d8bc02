"""Simulated boards: build the runner firmware for ``host`` and ``qemu-m4``, run it, return its output.

A firmware is a model with the engine's C API (``mcunets_input(i)``, ``mcunets_output(i)``,
``mcunets_invoke()``, ``mcunets_layer_op[]``, ``MCUNETS_NUM_LAYERS``, ``MCUNETS_ARENA_BYTES``, the
``mcunets_layer_begin/end`` profiling hooks) plus the driver every board uses (templates/runner/:
mcu_driver.c and the engine runtime adapter runtime_mcunets.c) and a board port (templates/host/,
templates/qemu-mps2/, ...). The driver prints docs/report-protocol.md; a validation build reads
``@mcu input`` lines instead (stdin on the host, a semihosting file under QEMU).

Boards are data (boards/host.toml, boards/qemu-m4.toml); their ``[build] kind`` says which recipe here
builds and runs them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from mcunets import __version__, boards
from mcunets.boards import Board
from mcunets.errors import McunetsError
from mcunets.resources import resource_dir, template_env

SIMULATED_KINDS = ("host", "qemu")
# The driver and the engine runtime adapter, shared with the PlatformIO boards (mcunets.render).
DRIVER_FILES = ("mcu_driver.c", "mcu_driver.h", "mcu_port.h", "mcu_runtime.h", "runtime_mcunets.c")
INPUT_FILE = "inputs.txt"  # what qemu-m4 validation firmware reads over semihosting (cwd-relative)
DEFAULT_TIMEOUT_S = 300.0


# ---- boards ---------------------------------------------------------------------------------------


def load_board(name: str) -> Board:
    """The board ``name`` (boards/<name>.toml), which must be one mcunets builds and runs itself."""
    b = boards.load_board(name)
    if b.build_kind not in SIMULATED_KINDS:
        raise McunetsError(
            f"board {name!r} is built with PlatformIO, not by mcunets itself; "
            f"simulated boards are {', '.join(simulated_boards())}"
        )
    return b


def simulated_boards() -> list[str]:
    names = []
    for name in boards.board_names():
        try:
            kind = tomllib.loads((resource_dir("boards") / f"{name}.toml").read_text())["build"]["kind"]
        except (tomllib.TOMLDecodeError, KeyError, TypeError):
            continue
        if kind in SIMULATED_KINDS:
            names.append(name)
    return names


def is_simulated(name: str) -> bool:
    return name in simulated_boards()


def _require(tool: str, apt: str, board: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise McunetsError(
            f"board {board!r} needs {tool}, which is not installed: sudo apt-get install {apt}"
        )
    return found


# ---- models as C sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorSpec:
    shape: tuple[int, ...]
    dtype: str  # numpy name: int8, uint8, int16, int32, float32

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class ModelSources:
    """A model as C: sources with the engine API, and what the runner must know about its tensors."""

    name: str
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    model_bytes: int
    runtime: str = "mcunets"
    defines: tuple[str, ...] = ()
    sha256: str = ""  # of the .tflite; the report's meta line names it
    fit: object = None  # the mcunets.fit.Fit checked for the board, when one was given
    schedule: object = None  # the engine's mcunets.engine.Schedule
    note: str = ""  # the engine's schedule, and whether the board holds the model only patched


def io_specs(model: bytes) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    """Input and output tensors of a .tflite model (shapes and dtypes), from the flatbuffer."""
    from mcunets.engine.reader import read_model

    graph = read_model(model)

    def spec(index: int) -> TensorSpec:
        t = graph.tensors[index]
        return TensorSpec(t.shape, t.dtype)

    return tuple(spec(i) for i in graph.inputs), tuple(spec(i) for i in graph.outputs)


def engine_sources(model: bytes, name: str, out_dir: Path, board: str | None = None, *,
                   patches="auto", max_extra_macs: float = 0.15, stream_input: bool = False) -> ModelSources:
    """Generate the model's C code with the mcunets engine into ``out_dir``; what to compile with it.

    With ``board``, first check that the model fits its memory (:class:`mcunets.errors.FitError`
    otherwise); the sources then carry the :class:`mcunets.fit.Fit`. Nothing is written for a model
    the engine cannot run or the board cannot hold. ``patches`` and ``max_extra_macs`` choose the
    engine's schedule (:func:`mcunets.engine.generate`)."""
    try:
        from mcunets import engine
    except ImportError:
        raise McunetsError("the mcunets engine is not available in this installation") from None
    from mcunets import fit

    generated = engine.generate(model, name=_c_word(name), patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    checked, note = None, ""
    if board is not None:
        needs = {"mcunets": fit.engine_needs(fit.model_info(model), generated)}
        checked = fit.choose_runtime(boards.load_board(board), needs, "mcunets").fit
        note = fit.schedule_note(boards.load_board(board), needs["mcunets"])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for fname, text in generated.files.items():
        (out_dir / fname).write_text(text)
    return dataclasses.replace(generated_sources(model, name, out_dir), fit=checked,
                               schedule=generated.schedule, note=note)


def generated_sources(model: bytes, name: str, out_dir: Path) -> ModelSources:
    """What to compile for a model whose engine C code :func:`engine_sources` wrote to ``out_dir``."""
    from mcunets import engine

    inputs, outputs = io_specs(model)
    return ModelSources(
        name=name, sources=(Path(out_dir) / "model.c", *engine.kernel_sources()),
        include_dirs=(Path(out_dir), engine.kernel_dir()), inputs=inputs, outputs=outputs,
        model_bytes=len(model), defines=("MCUNETS_PROFILE",), sha256=hashlib.sha256(model).hexdigest(),
    )


# ---- building ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firmware:
    board: Board
    path: Path  # the executable or ELF
    build_dir: Path
    validate: bool
    sections: dict = field(default_factory=dict)  # text/data/bss bytes (ELF boards)
    sources: tuple[Path, ...] = ()  # compiled, in command-line order


def _c_word(text: str) -> str:
    """A report value: no spaces or quotes, printable ASCII."""
    cleaned = "".join(c if c.isascii() and c.isprintable() and c not in ' "\\=' else "_" for c in text)
    return cleaned or "model"


def build(src: ModelSources, board: Board | str, build_dir: Path, *, validate: bool = False,
          runs: int = 5, warmup: int = 1, seed: int = 1, timeout: float = DEFAULT_TIMEOUT_S) -> Firmware:
    """Compile the driver, the engine runtime adapter, the board port and the model for ``board``."""
    if isinstance(board, str):
        board = load_board(board)
    if runs < 1 or warmup < 0:
        raise McunetsError(f"runs must be >= 1 and warmup >= 0 (got runs={runs}, warmup={warmup})")
    if not 0 < seed < 2**32:
        raise McunetsError(f"seed must be in 1..{2**32 - 1} (got {seed})")
    tools = board.toolchain
    cc = _require(tools.cc, tools.apt_package, board.name)
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    env = template_env()
    templates = resource_dir("templates")
    config = env.get_template("runner/mcu_config.h.j2").render(
        version=__version__, model_name=_c_word(src.name), runtime=_c_word(src.runtime),
        runtime_is_tflm=0, board_name=board.name, cpu_hz=board.cpu_hz, counter=board.report_counter,
        counter_bits=board.emulator.counter_bits if board.emulator else 64, serial_baud=0, warmup=warmup, runs=runs, seed=seed,
        validate=1 if validate else 0, model_bytes=src.model_bytes, model_sha256=src.sha256, arena_bytes=0,
        input_bytes=[t.nbytes for t in src.inputs], output_bytes=[t.nbytes for t in src.outputs],
        output_dtypes=[t.dtype for t in src.outputs],
    )
    (build_dir / "mcu_config.h").write_text(config)
    for name in DRIVER_FILES:
        shutil.copy(templates / "runner" / name, build_dir / name)
    sources = [build_dir / "mcu_driver.c", build_dir / "runtime_mcunets.c"]
    extra: list[str] = []
    if board.build_kind == "host":
        shutil.copy(templates / "host" / "port.c", build_dir / "port.c")
        sources.append(build_dir / "port.c")
        out = build_dir / "firmware"
        extra = ["-lm"]
    else:
        # The board's template folder: port, start-up and linker script; *.j2 files are rendered.
        emu = board.emulator
        ctx = dict(board=board.name, instructions_per_tick=emu.instructions_per_tick,
                   systick_reload=emu.systick_reload, input_file=INPUT_FILE,
                   flash_origin=tools.flash_origin, flash_bytes=board.flash_bytes,
                   ram_origin=tools.ram_origin, ram_bytes=board.sram_bytes, stack_bytes=board.stack_bytes,
                   serial_baud=board.serial_baud, qemu=emu.settings)
        files = {(p.stem if p.suffix == ".j2" else p.name): p
                 for folder in emu.templates for p in sorted((templates / folder).iterdir())}
        for name, path in sorted(files.items()):
            if path.suffix == ".j2":
                text = env.get_template(path.relative_to(templates).as_posix()).render(**ctx)
                (build_dir / name).write_text(text)
            else:
                shutil.copy(path, build_dir / name)
            if name.endswith((".c", ".S")):
                sources.append(build_dir / name)
        out = build_dir / "firmware.elf"
        extra = [f"-T{build_dir / 'linker.ld'}", f"-Wl,-Map={build_dir / 'firmware.map'}", "-lm"]
    cmd = [cc, *tools.cflags, *(f"-D{d}" for d in src.defines), f"-I{build_dir}",
           *(f"-I{d}" for d in src.include_dirs), *map(str, sources), *map(str, src.sources),
           "-o", str(out), *tools.ldflags, *extra]
    (build_dir / "build.sh").write_text(" ".join(shlex.quote(c) for c in cmd) + "\n")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise McunetsError(f"building for {board.name} took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        (build_dir / "build.log").write_text(proc.stderr)
        raise McunetsError(f"building for {board.name} failed: {compiler_error(proc.stderr)} "
                           f"(full log: {build_dir / 'build.log'})")
    sections = elf_sections(out) if board.build_kind == "qemu" else {}
    if sections and sections["data"] + sections["bss"] + board.stack_bytes > board.sram_bytes:
        raise McunetsError(f"the firmware needs more RAM than {board.name} has")
    return Firmware(board=board, path=out, build_dir=build_dir, validate=validate, sections=sections,
                    sources=tuple(Path(p) for p in [*sources, *src.sources] if Path(p).suffix in (".c", ".S")))


def compiler_error(log: str) -> str:
    """The line of a compiler's output that says what went wrong: the linker's region overflow or
    undefined reference, else the first ``error:`` other than collect2's summary, else the first line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for wanted in (lambda l: "overflowed by" in l or "undefined reference" in l,
                   lambda l: "error:" in l and not l.startswith("collect2"),
                   lambda l: "error" in l.lower()):
        found = next((line for line in lines if wanted(line)), None)
        if found:
            return found[:300]
    return lines[0][:300] if lines else "no compiler output"


def elf_sections(path: Path) -> dict:
    """Flash and RAM use of an ELF, like arm-none-eabi-size: text (code + read-only data), data, bss."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    text = data = bss = 0
    with open(path, "rb") as f:
        for s in ELFFile(f).iter_sections():
            flags = s["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or s["sh_size"] == 0:
                continue
            if s["sh_type"] == "SHT_NOBITS":
                bss += s["sh_size"]
            elif flags & SH_FLAGS.SHF_WRITE:
                data += s["sh_size"]
            else:
                text += s["sh_size"]
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss}


def _flash_sections(fw: Firmware) -> list[tuple[str, str, int]]:
    """(input section, where it comes from, bytes) of every input section in an ELF firmware's flash, from
    its linker map: where is the compiled source's file name, a library's (``libc_nano.a``, ...) or
    ``"fill"`` (alignment padding). Input sections name the objects the compiler driver made, one per
    source in command-line order; start files and libraries by file name."""
    import re

    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    with open(fw.path, "rb") as f:
        flash = {s.name for s in ELFFile(f).iter_sections()
                 if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_type"] != "SHT_NOBITS" and s["sh_size"]}
    text = (fw.build_dir / "firmware.map").read_text()
    text = text[text.index("Linker script and memory map"):]
    # the compiler driver's temporary objects (gone after linking), one per source; start files such as
    # crt0.o are still on disk
    objects = [o for o in re.findall(r"^LOAD (\S+\.o)$", text, re.M) if not Path(o).exists()]
    if len(objects) != len(fw.sources):
        raise McunetsError(f"{fw.build_dir / 'firmware.map'}: {len(objects)} objects for {len(fw.sources)} sources")
    names = {o: p.name for o, p in zip(objects, fw.sources)}
    out = []
    section = None
    # output sections start in column 0, input sections (possibly wrapped after a long name) in column 1
    entry = re.compile(r"^(\S+|  ?\S+)[ \t]*\n?[ \t]+0x[0-9a-f]+[ \t]+0x([0-9a-f]+)(?:[ \t]+(\S[^\n]*?))?[ \t]*$", re.M)
    for m in entry.finditer(text):
        name, size, origin = m.group(1), int(m.group(2), 16), (m.group(3) or "").strip()
        if not name.startswith(" "):
            section = name
            continue
        if section not in flash or size == 0:
            continue
        name = name.strip()
        if name == "*fill*":
            key = "fill"
        elif "(" in origin:  # archive(member)
            key = Path(origin[:origin.index("(")]).name
        else:
            key = names.get(origin, Path(origin).name)
        out.append((name, key, size))
    return out


def flash_by_source(fw: Firmware) -> dict[str, int]:
    """Flash bytes of an ELF firmware by where they come from (``_flash_sections``): each compiled source
    (by file name), each library and ``"fill"``. The values add up to ``fw.sections["flash"]``."""
    out: dict[str, int] = {}
    for _, key, size in _flash_sections(fw):
        out[key] = out.get(key, 0) + size
    return out


def model_data_bytes(fw: Firmware, model_c: Path) -> int:
    """Flash bytes of the constant model data an ELF firmware links from the engine's generated
    ``model_c``: its arrays of integers or floats (weights, biases, requantization multipliers and
    shifts, tables; each in its own ``.rodata.<name>`` section), without its parameter structs, dims,
    tile tables and input / output tables. Arrays no kernel the firmware runs reads are not linked."""
    import re

    arrays = set(re.findall(r"^(?:static )?const (?:u?int(?:8|16|32)_t|float) (\w+)\[", model_c.read_text(), re.M))
    arrays = {a for a in arrays if not re.search(r"_(?:in|out)put_(?:offsets|sizes)$", a)}
    return sum(size for name, key, size in _flash_sections(fw)
               if key == model_c.name and name.startswith(".rodata.") and name[len(".rodata."):] in arrays)


# ---- running -------------------------------------------------------------------------------------------


def _qemu_command(fw: Firmware, serial: str) -> list[str]:
    board = fw.board
    emu = board.emulator
    qemu = _require(emu.binary, emu.apt_package, board.name)
    return [qemu, "-M", emu.machine, *emu.args, "-nographic", "-monitor", "none",
            "-serial", serial, "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(fw.path.resolve())]


@contextlib.contextmanager
def serial_board(fw: Firmware, timeout: float = 10.0) -> Iterator[tuple[str, Callable[[], None]]]:
    """Start a serial-console board's firmware in QEMU with its UART on a new pseudo-terminal; yield
    the terminal's path (for pyserial, ``mcunets profile --port``, ``mcunets validate --port``) and a
    function that starts the board, like a reset button.

    QEMU waits paused until then, with the terminal held open in raw mode (so what the firmware prints
    is not dropped, nor echoed back into its receiver); open the port first, then start the board, as
    opening a port discards what it holds. The board parks when it is done, like a real one; QEMU is
    stopped on leaving the context."""
    import json
    import os
    import re
    import socket
    import tempfile
    import tty

    tmp = Path(tempfile.mkdtemp(prefix="mcunets-qmp-"))
    qmp_path = tmp / "qmp.sock"
    proc = subprocess.Popen(_qemu_command(fw, "pty") + ["-S", "-qmp", f"unix:{qmp_path},server=on,wait=off"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=fw.build_dir)
    holder = None
    try:
        line = proc.stdout.readline()
        found = re.search(r"char device redirected to (\S+)", line)
        if not found:
            proc.kill()
            raise McunetsError(f"{fw.board.name}: QEMU did not open a serial port: "
                               f"{(line + proc.stderr.read()).strip()[:200] or 'no output'}")
        port = found.group(1)
        holder = os.open(port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(holder)

        def start() -> None:
            with socket.socket(socket.AF_UNIX) as qmp:
                qmp.settimeout(timeout)
                qmp.connect(str(qmp_path))
                stream = qmp.makefile("rw")
                stream.readline()  # the greeting
                for command in ("qmp_capabilities", "cont"):
                    stream.write(json.dumps({"execute": command}) + "\n")
                    stream.flush()
                    stream.readline()

        yield port, start
    finally:
        proc.kill()
        proc.wait()
        if holder is not None:
            os.close(holder)
        shutil.rmtree(tmp, ignore_errors=True)


# Lines after which a board that talks over its UART has nothing more to say.
_LAST_LINES = ("@mcu end", "mcunets: error:", "@mcu error msg=hard_fault")


def _run_serial(fw: Firmware, stdin_text: str | None, timeout: float) -> str:
    """:func:`run` for a board whose console is its UART: read it with pyserial until the report ends.
    A UART has no end of input, so ``@mcu quit`` ends the inputs where a file would end."""
    import time

    from mcunets.profile import open_serial

    out = b""
    deadline = time.monotonic() + timeout
    with serial_board(fw) as (port, start), open_serial(port, fw.board.serial_baud) as ser:
        start()
        if stdin_text is not None:
            while b"@mcu ready" not in out and time.monotonic() < deadline:
                out += ser.read(4096)
            ser.write((stdin_text if stdin_text.endswith("@mcu quit\n") else
                       stdin_text + "@mcu quit\n").encode())
        while not any(line.startswith(_LAST_LINES) for line in out.decode("utf-8", "replace").splitlines()):
            if time.monotonic() > deadline:
                text = out.decode("utf-8", "replace")
                last = next((l for l in reversed(text.splitlines()) if l.startswith("@mcu")), "nothing")
                raise McunetsError(f"{fw.board.name}: the firmware did not finish within {timeout:.0f} s "
                                   f"(last report line: {last[:80]})")
            out += ser.read(4096)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    failed = next((line for line in text.splitlines() if line.startswith(_LAST_LINES[1:])), None)
    if failed:
        raise McunetsError(f"{fw.board.name}: the firmware failed: {failed}")
    return text


def run(fw: Firmware, *, stdin_text: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> str:
    """Run a firmware to its end; returns everything it printed (the report or validation answers)."""
    board = fw.board
    if board.emulator and board.emulator.console == "serial":
        return _run_serial(fw, stdin_text, timeout)
    if board.build_kind == "host":
        cmd = [str(fw.path.resolve())]
        feed = stdin_text if stdin_text is not None else ""
    else:
        if stdin_text is not None:
            (fw.build_dir / INPUT_FILE).write_text(stdin_text)
        else:
            (fw.build_dir / INPUT_FILE).unlink(missing_ok=True)
        cmd = _qemu_command(fw, "null")
        feed = ""
    try:
        proc = subprocess.run(cmd, input=feed.encode(), capture_output=True, timeout=timeout,
                              cwd=fw.build_dir)
    except subprocess.TimeoutExpired as e:
        partial = (e.stdout or b"").decode("utf-8", "replace")
        last = next((l for l in reversed(partial.splitlines()) if l.startswith("@mcu")), "nothing")
        raise McunetsError(
            f"{board.name}: the firmware did not finish within {timeout:.0f} s "
            f"(last report line: {last[:80]})"
        ) from None
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = "@mcu error" in out and out[out.index("@mcu error"):].splitlines()[0] or (
            err[-1] if err else f"exit status {proc.returncode}")
        raise McunetsError(f"{board.name}: the firmware failed: {why}")
    return out


def runner_inputs(specs: Sequence[TensorSpec], seed: int) -> list[np.ndarray]:
    """The inputs a profiling build fills in on the board (xorshift32, top byte of each step)."""
    x = seed or 1
    arrays = []
    for spec in specs:
        raw = bytearray(spec.nbytes)
        for k in range(len(raw)):
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            raw[k] = x >> 24
        arrays.append(np.frombuffer(bytes(raw), dtype=spec.dtype).reshape(spec.shape))
    return arrays


def input_lines(inputs: Sequence[np.ndarray]) -> str:
    """One sample as the ``@mcu input`` lines a validation firmware reads."""
    return "".join(
        f"@mcu input i={i} hex={np.ascontiguousarray(x).tobytes().hex()}\n" for i, x in enumerate(inputs)
    )


# ---- the operations the CLI uses ------------------------------------------------------------------------


def _model_name(model: bytes) -> str:
    return "model_" + hashlib.sha256(model).hexdigest()[:8]


def profile_model(model: bytes, board: str, build_dir: Path, *, name: str | None = None, runs: int = 5,
                  warmup: int = 1, seed: int = 1, timeout: float = DEFAULT_TIMEOUT_S,
                  sources: ModelSources | None = None, patches="auto",
                  max_extra_macs: float = 0.15, stream_input: bool = False) -> tuple[str, Firmware]:
    """Build the profiling firmware of ``model`` for a simulated board and run it: (report text, firmware)."""
    b = load_board(board)
    build_dir = Path(build_dir)
    src = sources or engine_sources(model, name or _model_name(model), build_dir / "model", board,
                                    patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    fw = build(src, b, build_dir / "firmware", runs=runs, warmup=warmup, seed=seed, timeout=timeout)
    return run(fw, timeout=timeout), fw


def validate_model(model: bytes, board: str, samples: Sequence[Sequence[np.ndarray]], build_dir: Path, *,
                   name: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                   sources: ModelSources | None = None, patches="auto",
                   max_extra_macs: float = 0.15, stream_input: bool = False) -> list[list[bytes]]:
    """Run every sample on a simulated board's validation firmware; the raw output bytes per sample."""
    from mcunets.report import parse_validation

    b = load_board(board)
    build_dir = Path(build_dir)
    src = sources or engine_sources(model, name or _model_name(model), build_dir / "model", board,
                                    patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    fw = build(src, b, build_dir / "validate", validate=True, timeout=timeout)
    text = "".join(input_lines(s) for s in samples) + "@mcu quit\n"
    out = run(fw, stdin_text=text, timeout=timeout)
    answers = parse_validation(out)
    if len(answers) != len(samples):
        raise McunetsError(
            f"{board}: the firmware answered {len(answers)} of {len(samples)} samples"
        )
    return [[o.data for o in a] for a in answers]



# ---- validation ---------------------------------------------------------------------------------------


def input_quantization(model: bytes) -> list[tuple[float, int]]:
    """(scale, zero point) of every input tensor."""
    from mcunets.engine.reader import read_model

    graph = read_model(model)
    return [(graph.tensors[i].scale, graph.tensors[i].zero_point) for i in graph.inputs]


def make_samples(model: bytes, count: int, seed: int = 0,
                 data_dir: str | Path | None = None) -> list[list[np.ndarray]]:
    """``count`` input sets: seeded random tensors, or the first images of ``data_dir`` (an image
    folder, class subfolders allowed) resized and quantized the way mcunets trains (p / 127.5 - 1)."""
    if count < 1:
        raise McunetsError(f"--samples must be at least 1 (got {count})")
    inputs, _ = io_specs(model)
    if data_dir is None:
        rng = np.random.default_rng(seed)
        samples = []
        for _ in range(count):
            sample = []
            for spec in inputs:
                dt = np.dtype(spec.dtype)
                if dt.kind in "iu":
                    info = np.iinfo(dt)
                    sample.append(rng.integers(info.min, info.max, spec.shape, dtype=dt, endpoint=True))
                else:
                    sample.append(rng.uniform(-1, 1, spec.shape).astype(dt))
            samples.append(sample)
        return samples
    from mcunets import data

    if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].dtype not in ("int8", "uint8"):
        raise McunetsError("--data needs a model with one int8 or uint8 image input (N×H×W×C)")
    _, h, w, c = inputs[0].shape
    if h != w:
        raise McunetsError(f"--data needs a square input; the model's is {h}×{w}")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise McunetsError(f"--data {str(folder)!r} is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
    images = []
    for path in files:
        arr = data._decode(path, h, c)
        if arr is not None:
            images.append(arr)
        if len(images) == count:
            break
    if not images:
        raise McunetsError(f"no readable images in {str(folder)!r}")
    if len(images) < count:
        raise McunetsError(f"{str(folder)!r} has {len(images)} readable images; --samples asks for {count}")
    scale, zero = input_quantization(model)[0]
    return [[data.to_quantized(img[None], inputs[0].dtype, scale, zero).reshape(inputs[0].shape)] for img in images]


@dataclass(frozen=True)
class Mismatch:
    sample: int
    output: int
    differing: int  # bytes that differ
    total: int
    max_abs_diff: int | float


def compare_outputs(expected: Sequence[Sequence[np.ndarray]], got: Sequence[Sequence[bytes]],
                    specs: Sequence[TensorSpec]) -> list[Mismatch]:
    """Byte-for-byte comparison of a board's outputs with the reference, per sample and output."""
    mismatches = []
    for k, (exp, out) in enumerate(zip(expected, got)):
        if len(out) != len(specs):
            mismatches.append(Mismatch(k, -1, len(specs), len(specs), 0))
            continue
        for i, (e, raw, spec) in enumerate(zip(exp, out, specs)):
            want = np.ascontiguousarray(e).tobytes()
            if raw == want:
                continue
            if len(raw) != len(want):
                mismatches.append(Mismatch(k, i, len(want), len(want), 0))
                continue
            wide = np.float64 if np.dtype(spec.dtype).kind == "f" else np.int64
            a = np.frombuffer(raw, dtype=spec.dtype).astype(wide)
            b = np.frombuffer(want, dtype=spec.dtype).astype(wide)
            diff = np.abs(a - b).max()
            mismatches.append(Mismatch(k, i, int((a != b).sum()), a.size,
                                       diff.item() if wide is np.float64 else int(diff)))
    return mismatches
