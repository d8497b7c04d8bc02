"""``mcunets build``: render a model's firmware project for a board, then build it with PlatformIO.

Output folder (default ``build/<model-stem>-<board>/``):

    model.tflite    the int8 model the firmware embeds
    report.json     the board, runtime, fit check, operators and build status
    firmware/       the PlatformIO project (rebuilds with ``pio run`` alone), rendered all at once

What else is in the folder (a training run's model, report and checkpoints) is kept; an earlier
build's files are replaced. The fit is checked before anything is written. If PlatformIO cannot
install the board's platform or toolchain (for example, offline) the rendered project is kept,
report.json says so, and :class:`PlatformUnavailableError` (exit code 3) is raised.
Simulated boards (``host``, ``qemu-*``) are compiled by mcunets itself with :func:`build_simulated`;
a failed compile keeps its log in ``firmware/build.log``.
Reading the board's report back (``--profile``) is done by the caller: by running a simulated board's
firmware, or from the serial port after an upload (see docs/firmware.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mcunets._io import atomic_directory, atomic_write_bytes, atomic_write_text
from mcunets.boards import Board, load_board
from mcunets.errors import McunetsError, PlatformUnavailableError
from mcunets.fit import Choice, Fit
from mcunets.render import DEFAULT_RUNS, DEFAULT_WARMUP, Rendered, render_firmware

# Seconds to wait for a TCP connection to PlatformIO's registry before calling the machine offline.
REGISTRY_PROBE_TIMEOUT_S = 3.0
# PlatformIO's own messages when it cannot download a platform, tool or library.
_OFFLINE_MARKERS = ("HTTPClientError", "InternetConnectionError", "Could not resolve host",
                    "Max retries exceeded", "Failed to establish a new connection",
                    "Temporary failure in name resolution", "Name or service not known")


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    firmware_dir: Path
    model_path: Path
    report_path: Path
    status: str            # "built", "uploaded" or "rendered" (build=False)
    fit: Fit
    rendered: Rendered | None = None  # what was rendered for a PlatformIO board
    firmware_file: Path | None = None
    port: str | None = None
    firmware: object = None  # an emulated board's mcunets.targets.Firmware, ready to run


def default_out_dir(model_stem: str, board: str) -> Path:
    return Path("build") / f"{model_stem}-{board}"


def pio_command() -> list[str]:
    """How to run PlatformIO: the ``pio`` next to this Python (the venv's), else on PATH."""
    here = Path(sys.executable).parent / "pio"
    if here.exists():
        return [str(here)]
    found = shutil.which("pio") or shutil.which("platformio")
    if found:
        return [found]
    return [sys.executable, "-m", "platformio"]


def platform_installed(spec: str) -> bool:
    """Whether PlatformIO already has a platform matching ``spec`` (no network needed)."""
    try:
        from platformio.package.manager.platform import PlatformPackageManager

        return PlatformPackageManager().get_package(spec) is not None
    except Exception:
        return False


def registry_reachable(timeout: float = REGISTRY_PROBE_TIMEOUT_S) -> bool:
    """A cheap offline check: can we open a TCP connection to one of PlatformIO's registry hosts?"""
    try:
        from platformio import __registry_mirror_hosts__ as hosts
    except ImportError:  # pragma: no cover - every PlatformIO 6 has it
        return True
    for host in hosts:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _unavailable(board: Board, why: str, out: Path) -> PlatformUnavailableError:
    return PlatformUnavailableError(
        f"PlatformIO cannot install platform {board.platformio.platform} for {board.name} ({why}); "
        f"the rendered project is kept in {out / 'firmware'}: run `pio run` there when online")


def build_firmware(model_bytes: bytes, board: Board | str, runtime: str = "tflm",
                   out: str | Path | None = None, upload: bool = False, port: str | None = None, *,
                   name: str = "model", build: bool = True, runs: int = DEFAULT_RUNS,
                   warmup: int = DEFAULT_WARMUP, alpha: float | None = None,
                   resolution: int | None = None, validate: bool = False,
                   arena_measured: int | None = None, log=None, patches="auto",
                   max_extra_macs: float = 0.15, stream_input: bool = False) -> BuildResult:
    """Render ``model_bytes`` for ``board``/``runtime`` into ``out`` and run ``pio run`` there.

    ``build=False`` stops after rendering. ``upload`` flashes the board (``port`` or auto-detect).
    ``alpha``/``resolution`` of the model, when known, make a :class:`FitError` name absolute values.
    ``validate`` builds firmware that answers ``mcunets validate --port`` instead of benchmarking.
    ``arena_measured``: TFLM's host-measured arena, when the caller has it already.
    Files of an earlier build in ``out`` are replaced; others (a training run's) are kept.
    """
    if isinstance(board, str):
        board = load_board(board)
    out = Path(out) if out is not None else default_out_dir(name, board.name)
    if port and not upload:
        raise McunetsError("--port is only used with --upload")
    log = log or (lambda msg: None)

    with _output_folder(out):
        with atomic_directory(out / "firmware") as tmp:
            rendered = render_firmware(model_bytes, board, runtime, tmp, name=name, runs=runs,
                                       warmup=warmup, alpha=alpha, resolution=resolution,
                                       validate=validate, arena_measured=arena_measured,
                                       patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    report = {"mcunets_build": 1, **rendered.as_dict(), "model_file": "model.tflite",
              "firmware_dir": "firmware", "build": {"status": "rendered"}}
    _write_outputs(out, model_bytes, report)
    fw = out / "firmware"
    result = BuildResult(out, fw, out / "model.tflite", out / "report.json", "rendered", rendered.fit,
                         rendered)
    if not build:
        return result

    def set_status(status: str, **extra) -> None:
        report["build"] = {"status": status, **extra}
        atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")

    if not platform_installed(board.platformio.platform) and not registry_reachable():
        set_status("platform-unavailable", reason="registry unreachable")
        raise _unavailable(board, "its registry is unreachable", out)

    cmd = pio_command() + ["run", "-d", str(fw)]
    if upload:
        cmd += ["-t", "upload"] + (["--upload-port", port] if port else [])
    log(f"running {' '.join(cmd)}")
    env = dict(os.environ, PLATFORMIO_NO_ANSI="true")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    atomic_write_text(out / "pio-run.log", proc.stdout)
    if proc.returncode != 0:
        if any(m in proc.stdout for m in _OFFLINE_MARKERS):
            set_status("platform-unavailable", reason="download failed", log="pio-run.log")
            raise _unavailable(board, "a download failed", out)
        last = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["no output"]
        set_status("failed", log="pio-run.log")
        raise McunetsError(f"pio run failed for {board.name} (see {out / 'pio-run.log'}): {last[0]}")
    firmware_file = next((p for p in sorted((fw / ".pio" / "build").glob(f"{board.name}/firmware.*"))
                          if p.suffix in (".bin", ".elf")), None)
    status = "uploaded" if upload else "built"
    set_status(status, firmware=str(firmware_file.relative_to(out)) if firmware_file else None)
    return BuildResult(out, fw, out / "model.tflite", out / "report.json", status, rendered.fit, rendered,
                       firmware_file, port)


def build_for_board(model_bytes: bytes, board: Board | str, runtime: str = "auto",
                    out: str | Path | None = None, *, compile: bool = True, upload: bool = False,
                    port: str | None = None, name: str = "model", runs: int = DEFAULT_RUNS,
                    warmup: int = DEFAULT_WARMUP, seed: int = 1, alpha: float | None = None,
                    resolution: int | None = None, validate: bool = False, log=None, patches="auto",
                    max_extra_macs: float = 0.15, stream_input: bool = False) -> BuildResult:
    """Build ``model_bytes`` for any board: check the fit and pick the runtime (``auto``: the first of
    the board's runtimes that fits, said in one line to ``log``), then hand over to whoever the board's
    ``[build] kind`` names: PlatformIO (:func:`build_firmware`), or mcunets itself with the host
    compiler or a cross compiler for a QEMU machine (:func:`build_simulated`). ``patches`` and
    ``max_extra_macs`` choose the engine's schedule (:func:`mcunets.engine.generate`)."""
    from mcunets import fit

    if isinstance(board, str):
        board = load_board(board)
    log = log or (lambda msg: None)
    if board.is_platformio:
        needs = fit.measure(model_bytes, board.runtimes, patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
        choice = fit.choose_runtime(board, needs, runtime, alpha=alpha, resolution=resolution)
        log(choice.reason)
        tflm = needs.get("tflm")
        return build_firmware(model_bytes, board, choice.runtime, out, upload, port, name=name,
                              build=compile, runs=runs, warmup=warmup, alpha=alpha, resolution=resolution,
                              validate=validate, arena_measured=tflm.arena_measured if tflm else None,
                              log=log, patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    # Host and QEMU boards run the engine only; build_simulated checks its fit from the one generation
    # of the engine's C it compiles.
    if runtime not in ("auto", *board.runtimes):
        raise McunetsError(f"board {board.name!r} does not support runtime {runtime!r} "
                           f"(it supports {', '.join(board.runtimes)})")
    if upload or validate:
        raise McunetsError(f"{board.name} is emulated: it is neither flashed nor given validation firmware; "
                           f"run `mcunets validate --board {board.name}`")
    return build_simulated(model_bytes, board.name, out, name=name, runs=runs, warmup=warmup, seed=seed,
                           log=log, patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)


def preflight(arch: str, board: Board | str, runtime: str = "auto", *, data=None, alpha: float = 0.25,
              resolution: int = 96, channels: int = 3, seed: int = 0, patches="auto",
              max_extra_macs: float = 0.15, stream_input: bool = False) -> Choice:
    """Check, before training, that ``arch`` at this α, resolution and the data's class count fits
    ``board``: its untrained int8 conversion has the trained model's tensors, so the arena and flash
    figures are the trained model's. Returns the runtime to use; raises :class:`FitError` naming
    what would fit. Takes seconds (one conversion), where training takes minutes."""
    from mcunets import convert, fit
    from mcunets.data import check_geometry, class_names
    from mcunets.train import build_model

    if isinstance(board, str):
        board = load_board(board)
    check_geometry(resolution, channels)
    classes = len(class_names(data))
    fit.lower_bound(board, build_model(arch, alpha=alpha, resolution=resolution, channels=channels,
                                       classes=classes), alpha, resolution, patches)
    model_bytes, _ = convert.untrained_int8(arch, seed=seed, alpha=alpha, resolution=resolution,
                                           channels=channels, classes=classes)
    needs = fit.measure(model_bytes, board.runtimes, patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    return fit.choose_runtime(board, needs, runtime, alpha=alpha, resolution=resolution)


def build_simulated(model_bytes: bytes, board: str, out: str | Path | None = None, *,
                    name: str = "model", runs: int = DEFAULT_RUNS, warmup: int = DEFAULT_WARMUP,
                    seed: int = 1, log=None, patches="auto", max_extra_macs: float = 0.15, stream_input: bool = False) -> BuildResult:
    """Check the fit, generate the engine's C for ``model_bytes`` into ``out/firmware`` (all at once)
    and compile it there for a simulated board; ``model.tflite`` and ``report.json`` beside it."""
    from mcunets import targets

    sim = targets.load_board(board)
    out = Path(out) if out is not None else default_out_dir(name, sim.name)
    log = log or (lambda msg: None)
    with _output_folder(out):
        with atomic_directory(out / "firmware") as tmp:
            made = targets.engine_sources(model_bytes, name, tmp / "model", sim.name, patches=patches,
                                          max_extra_macs=max_extra_macs, stream_input=stream_input)
    checked = made.fit
    report = {"mcunets_build": 1, "board": sim.name, "runtime": "mcunets", "model": name,
              "model_file": "model.tflite", "firmware_dir": "firmware", "runs": runs, "warmup": warmup,
              "seed": seed, "fit": checked.as_dict(), "schedule": made.schedule.as_dict(),
              "build": {"status": "rendered"}}
    _write_outputs(out, model_bytes, report)
    fw_dir = out / "firmware"
    src = targets.generated_sources(model_bytes, name, fw_dir / "model")
    log(f"runtime mcunets on {sim.name}: fits: {checked.summary()}"
        + (f"; {made.note}" if made.note else "") + "; compiling its firmware")
    try:
        fw = targets.build(src, sim, fw_dir, runs=runs, warmup=warmup, seed=seed)
    except McunetsError:
        report["build"] = {"status": "failed", "log": "firmware/build.log"}
        atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
        raise
    report["firmware_sections"] = fw.sections
    report["build"] = {"status": "built", "firmware": str(fw.path.relative_to(out))}
    atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    return BuildResult(out, fw_dir, out / "model.tflite", out / "report.json", "built", checked,
                       firmware_file=fw.path, firmware=fw)


# What a build writes beside firmware/; an earlier build's are removed when a new one is written.
_BUILD_FILES = ("model.tflite", "report.json", "pio-run.log", "report.log", "profile.json", "profile.png")


@contextlib.contextmanager
def _output_folder(out: Path):
    """``out`` for the duration of a render: removed again on failure if this created it."""
    created = not out.exists()
    try:
        yield
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise


def _write_outputs(out: Path, model_bytes: bytes, report: dict) -> None:
    """model.tflite and report.json beside a freshly rendered firmware/, older build files removed."""
    for stale in _BUILD_FILES:
        (out / stale).unlink(missing_ok=True)
    atomic_write_bytes(out / "model.tflite", model_bytes)
    atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
