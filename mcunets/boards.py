"""Boards: one TOML file per board under boards/, validated into one frozen :class:`Board` type.

The schema is documented in docs/boards.md. Every board has an identity, a clock, memory figures with
their units in the key names, a ``[build] kind`` saying who builds and runs its firmware (``platformio``;
``host``: the host C compiler; ``qemu``: a cross compiler and a QEMU machine) and a ``[report] counter``
saying what the counts of the report protocol are. A ``platformio`` board also says how PlatformIO
builds it (``[platformio]``), which cycle counter its firmware reads (``cycle_counter``) and how it gets
TensorFlow Lite Micro (``[tflm]``). A ``host`` or ``qemu`` board names its compiler in ``[build]``
(:class:`Toolchain`), and a ``qemu`` board its machine, port templates and console in ``[qemu]``
(:class:`Emulator`): a new emulated board is a board file and templates, no Python.

A bad board file is reported as one line naming the file and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from mcunets.errors import McunetsError
from mcunets.resources import resource_dir

BUILD_KINDS = ("platformio", "host", "qemu")
RUNTIMES = ("tflm", "mcunets")
REPORT_COUNTERS = ("cycles", "instructions", "ns", "ticks")
# Where a board's firmware reads its cycle count (docs/boards.md):
#   dwt       Cortex-M3/M4/M7 DWT CYCCNT (32-bit)
#   ccount    Xtensa CCOUNT special register (32-bit)
#   esp-pccr  ESP32-C3/C6 machine performance counter, CSR 0x7e2 (32-bit), via esp_cpu_get_cycle_count()
#   mcycle    standard RISC-V mcycle CSR (low 32 bits read)
CYCLE_COUNTERS = ("dwt", "ccount", "esp-pccr", "mcycle")
FRAMEWORKS = ("arduino", "espidf")
# How an emulated board's firmware talks to the host: Arm/RISC-V semihosting, or its UART on a pty.
CONSOLES = ("semihosting", "serial")
ARCHES = ("arm", "xtensa", "riscv", "host")


class BoardError(McunetsError):
    """A board file is missing, malformed or fails the schema."""


@dataclass(frozen=True)
class PlatformIO:
    platform: str
    board: str
    framework: str
    build_flags: tuple[str, ...] = ()
    lib_deps: tuple[str, ...] = ()


@dataclass(frozen=True)
class TflmDependency:
    """How a PlatformIO board gets TensorFlow Lite Micro: PlatformIO libraries and/or ESP-IDF components."""

    lib_deps: tuple[str, ...] = ()
    build_flags: tuple[str, ...] = ()
    idf_components: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Toolchain:
    """How mcunets compiles a ``host`` or ``qemu`` board's firmware itself (its ``[build]`` table)."""

    cc: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...] = ()
    apt_package: str = ""
    flash_origin: int = 0
    ram_origin: int = 0


@dataclass(frozen=True)
class Emulator:
    """How QEMU runs a ``qemu`` board's firmware (its ``[qemu]`` table)."""

    binary: str
    machine: str
    apt_package: str
    # Folders under templates/ with the port, start-up and linker script; a later folder's file
    # replaces an earlier one's of the same name.
    templates: tuple[str, ...]
    args: tuple[str, ...] = ()          # beside -M machine, e.g. -cpu
    console: str = "semihosting"        # or "serial": report and inputs over the UART, on a pty
    counter_bits: int = 64              # width of the port's counter: readings subtract modulo 2^bits
    instructions_per_tick: int = 1      # SysTick-based ports: instructions per tick under -icount
    systick_reload: int = 0x00FFFFFF
    stands_for: tuple[str, ...] = ()     # the real boards whose core (and serial code) it runs
    # The whole table: keys beyond the above are settings of the board's own templates.
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    vendor: str
    mcu: str
    core: str
    arch: str
    cpu_hz: int
    sram_bytes: int
    flash_bytes: int
    stack_bytes: int
    system_flash_bytes: int
    build_kind: str
    report_counter: str
    runtimes: tuple[str, ...]
    serial_baud: int | None = None
    cycle_counter: str | None = None
    platformio: PlatformIO | None = None
    tflm: TflmDependency | None = None
    toolchain: Toolchain | None = None  # host and qemu boards
    emulator: Emulator | None = None    # qemu boards
    path: Path | None = field(default=None, compare=False)

    @property
    def is_platformio(self) -> bool:
        return self.build_kind == "platformio"

    def as_dict(self) -> dict:
        d = {
            "name": self.name, "description": self.description, "vendor": self.vendor, "mcu": self.mcu,
            "core": self.core, "arch": self.arch, "cpu_hz": self.cpu_hz, "sram_bytes": self.sram_bytes,
            "flash_bytes": self.flash_bytes, "stack_bytes": self.stack_bytes,
            "system_flash_bytes": self.system_flash_bytes, "build_kind": self.build_kind,
            "report_counter": self.report_counter, "runtimes": list(self.runtimes),
            "serial_baud": self.serial_baud, "cycle_counter": self.cycle_counter,
        }
        if self.platformio:
            p = self.platformio
            d["platformio"] = {"platform": p.platform, "board": p.board, "framework": p.framework,
                               "build_flags": list(p.build_flags), "lib_deps": list(p.lib_deps)}
        if self.tflm:
            d["tflm"] = {"lib_deps": list(self.tflm.lib_deps), "build_flags": list(self.tflm.build_flags),
                         "idf_components": dict(self.tflm.idf_components)}
        if self.toolchain:
            d["toolchain"] = {**asdict(self.toolchain), "cflags": list(self.toolchain.cflags),
                              "ldflags": list(self.toolchain.ldflags)}
        if self.emulator:
            e = self.emulator
            d["emulator"] = {"binary": e.binary, "machine": e.machine, "args": list(e.args),
                             "console": e.console, "templates": list(e.templates),
                             "stands_for": list(e.stands_for)}
        return d


class _Reader:
    """Typed access to one TOML table; every error names the file and the dotted field."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = ""):
        self.path, self.data, self.prefix = path, data, prefix

    def fail(self, key: str, why: str) -> BoardError:
        return BoardError(f"{self.path.name}: field '{self.prefix}{key}' {why}")

    def _get(self, key, required, default):
        if key not in self.data:
            if required:
                raise self.fail(key, "is missing")
            return default
        return self.data[key]

    def str(self, key, *, required=True, default=None, choices=None):
        v = self._get(key, required, default)
        if v is None:
            return v
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"must be a non-empty string, got {v!r}")
        if choices and v not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {v!r}")
        return v

    def int(self, key, *, required=True, default=None, minimum=0):
        v = self._get(key, required, default)
        if v is None:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be an integer, got {v!r}")
        if v < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {v}")
        return v

    def strs(self, key, *, required=True, default=(), choices=None):
        v = self._get(key, required, default)
        if not isinstance(v, (list, tuple)) or not all(isinstance(s, str) and s for s in v):
            raise self.fail(key, f"must be a list of strings, got {v!r}")
        if choices:
            bad = [s for s in v if s not in choices]
            if bad:
                raise self.fail(key, f"has {bad[0]!r}; allowed: {', '.join(choices)}")
        return tuple(v)

    def table(self, key, *, required=True):
        v = self._get(key, required, None)
        if v is None:
            return None
        if not isinstance(v, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.path, v, f"{self.prefix}{key}.")

    def unknown(self, allowed):
        extra = sorted(set(self.data) - set(allowed))
        if extra:
            raise self.fail(extra[0], "is not a known field (see docs/boards.md)")


_TOP = ("name", "description", "vendor", "mcu", "core", "arch", "cpu_hz", "sram_bytes", "ram_bytes",
        "flash_bytes", "stack_bytes", "system_flash_bytes", "cycle_counter", "serial_baud", "runtimes",
        "build", "report", "platformio", "tflm")
# The keys of a non-PlatformIO board's own table ([qemu], [host]) are its builder's business.


def parse_board(path: str | Path, text: str | None = None) -> Board:
    """Validate one board file (or ``text`` said to come from ``path``) into a :class:`Board`."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise BoardError(f"{path.name}: cannot read board file: {e.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BoardError(f"{path.name}: not valid TOML: {e}") from None
    r = _Reader(path, data)
    name = r.str("name")
    if name != path.stem:
        raise r.fail("name", f"must match the file name {path.stem!r}, got {name!r}")

    build = r.table("build")
    kind = build.str("kind", choices=BUILD_KINDS)
    report = r.table("report")
    report.unknown(("counter",))
    counter = report.str("counter", choices=REPORT_COUNTERS)
    pio = kind == "platformio"
    # A non-PlatformIO kind may keep its own settings in a table named after it (e.g. [qemu]).
    r.unknown(_TOP + (() if pio else (kind,)))

    # sram_bytes is the key; the simulated boards' older spelling ram_bytes is accepted for them.
    if "sram_bytes" in data or pio:
        sram = r.int("sram_bytes", minimum=1)
    else:
        sram = r.int("ram_bytes", minimum=1)
    stack_default = build.data.get("stack_bytes", 0) if not pio else None
    board = dict(
        name=name,
        description=r.str("description", required=pio, default=f"{name} ({kind})"),
        vendor=r.str("vendor"),
        mcu=r.str("mcu"),
        core=r.str("core"),
        arch=r.str("arch", required=pio, default="arm" if kind == "qemu" else "host", choices=ARCHES),
        cpu_hz=r.int("cpu_hz", minimum=1 if pio else 0),
        sram_bytes=sram,
        flash_bytes=r.int("flash_bytes", minimum=1),
        stack_bytes=r.int("stack_bytes", required=pio, default=stack_default),
        system_flash_bytes=r.int("system_flash_bytes", required=pio, default=0),
        build_kind=kind,
        report_counter=counter,
        runtimes=r.strs("runtimes", required=pio, default=("mcunets",), choices=RUNTIMES),
        serial_baud=r.int("serial_baud", required=pio, minimum=300),
        cycle_counter=r.str("cycle_counter", required=pio, choices=CYCLE_COUNTERS),
        path=path,
    )
    if not board["runtimes"]:
        raise r.fail("runtimes", "must name at least one runtime")
    if pio:
        build.unknown(("kind",))
        if counter != "cycles":
            raise report.fail("counter", f"must be 'cycles' for a platformio board, got {counter!r}")
        p = r.table("platformio")
        p.unknown(("platform", "board", "framework", "build_flags", "lib_deps"))
        board["platformio"] = PlatformIO(
            platform=p.str("platform"), board=p.str("board"),
            framework=p.str("framework", choices=FRAMEWORKS),
            build_flags=p.strs("build_flags", required=False),
            lib_deps=p.strs("lib_deps", required=False),
        )
        _check_counter(r, board)
        if "tflm" in board["runtimes"]:
            t = r.table("tflm")
            t.unknown(("lib_deps", "build_flags", "idf_components"))
            comps = t._get("idf_components", False, {})
            if not isinstance(comps, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in comps.items()
            ):
                raise t.fail("idf_components", f"must be a table of component = \"version\", got {comps!r}")
            if comps and board["platformio"].framework != "espidf":
                raise t.fail("idf_components", "needs framework = \"espidf\"")
            dep = TflmDependency(lib_deps=t.strs("lib_deps", required=False),
                                 build_flags=t.strs("build_flags", required=False),
                                 idf_components=MappingProxyType(dict(comps)))
            if not dep.lib_deps and not dep.idf_components:
                raise t.fail("lib_deps", "or 'tflm.idf_components' must say where TFLM comes from")
            board["tflm"] = dep
        elif "tflm" in data:
            r.table("tflm")  # type check only
    else:
        for key in ("platformio", "tflm"):
            if key in data:
                raise r.fail(key, f"is only for build kind 'platformio', not {kind!r}")
        build.unknown(("kind", "cc", "cflags", "ldflags", "apt_package", "flash_origin", "ram_origin",
                       "stack_bytes"))
        board["toolchain"] = Toolchain(
            cc=build.str("cc"), cflags=build.strs("cflags", required=False),
            ldflags=build.strs("ldflags", required=False),
            apt_package=build.str("apt_package", required=False) or "",
            flash_origin=build.int("flash_origin", required=False, default=0),
            ram_origin=build.int("ram_origin", required=False, default=0),
        )
        if kind == "qemu":
            q = r.table("qemu")
            board["emulator"] = Emulator(
                binary=q.str("binary"), machine=q.str("machine"), apt_package=q.str("apt_package"),
                templates=q.strs("templates"), args=q.strs("args", required=False),
                console=q.str("console", required=False, default="semihosting", choices=CONSOLES),
                counter_bits=q.int("counter_bits", required=False, default=64, minimum=16),
                instructions_per_tick=q.int("instructions_per_tick", required=False, default=1, minimum=1),
                systick_reload=q.int("systick_reload", required=False, default=0x00FFFFFF, minimum=1),
                stands_for=q.strs("stands_for", required=False),
                settings=MappingProxyType(dict(q.data)),
            )
            if board["emulator"].console == "serial" and not board["serial_baud"]:
                raise r.fail("serial_baud", "is needed by a board whose console is its UART")
    return Board(**board)


def _check_counter(r: _Reader, board: dict) -> None:
    expected = {"arm": ("dwt",), "xtensa": ("ccount",), "riscv": ("esp-pccr", "mcycle")}[board["arch"]] \
        if board["arch"] in ("arm", "xtensa", "riscv") else ()
    if board["cycle_counter"] not in expected:
        raise r.fail("cycle_counter",
                     f"{board['cycle_counter']!r} does not exist on arch {board['arch']!r}; "
                     f"use {' or '.join(expected) or 'another arch'}")
    if board["cycle_counter"] == "esp-pccr" and board["platformio"].framework != "espidf":
        raise r.fail("cycle_counter", "'esp-pccr' is read through ESP-IDF; needs framework = \"espidf\"")


def board_names(directory: Path | None = None) -> list[str]:
    directory = directory or resource_dir("boards")
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_board(name: str, directory: Path | None = None) -> Board:
    """The board ``name`` (boards/<name>.toml), validated."""
    directory = directory or resource_dir("boards")
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise BoardError(f"unknown board {name!r}; choose from {', '.join(board_names(directory))}")
    return parse_board(path)


def load_boards(directory: Path | None = None) -> list[Board]:
    """Every board, validated (the first bad file raises)."""
    directory = directory or resource_dir("boards")
    return [parse_board(directory / f"{n}.toml") for n in board_names(directory)]
