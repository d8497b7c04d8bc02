"""The ``mcunets`` command line: thin commands over the Python API.

Expected problems (bad input, a model that does not fit, no PlatformIO platform) are raised by the
library as :class:`mcunets.errors.McunetsError` and printed here as one line, with the error's exit code.
"""

from __future__ import annotations

import json
import sys

import click

from mcunets import __version__
from mcunets.errors import Interrupted, McunetsError, PlatformUnavailableError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing half-written was left behind", err=True)
            sys.exit(Interrupted.exit_code)
        except McunetsError as e:
            click.echo(f"{'Interrupted' if isinstance(e, Interrupted) else 'Error'}: {e}", err=True)
            sys.exit(e.exit_code)


def _board_param(name: str, option: str = "--board"):
    """The board called ``name``; an unknown name is a usage error (exit 2) listing the boards."""
    from mcunets.boards import board_names, load_board

    if name not in board_names():
        raise click.BadParameter(f"unknown board {name!r}; choose from {', '.join(board_names())}",
                                 param_hint=option)
    return load_board(name)


def _arch_param(name: str) -> str:
    from mcunets.zoo import ARCHITECTURES

    if name not in ARCHITECTURES:
        raise click.BadParameter(f"unknown architecture {name!r}; choose from {', '.join(ARCHITECTURES)}",
                                 param_hint="--arch")
    return name


def _arch_model(arch: str, alpha: float, resolution: int, channels: int, classes: int = 2):
    """The untrained Keras model of ``arch`` with these arguments: train's checks, and a value it cannot
    be built with is a usage error (exit 2), before anything else runs."""
    from mcunets.data import check_geometry
    from mcunets.train import build_model

    _arch_param(arch)
    try:
        check_geometry(resolution, channels)
        return build_model(arch, alpha=alpha, resolution=resolution, channels=channels, classes=classes)
    except McunetsError as e:
        raise click.UsageError(str(e)) from None


def _model_stem(path) -> str:
    """A name for a model file: its stem, or its folder's name for the generic ``model.tflite`` that
    every training run writes (so runs/effnet/model.tflite builds into build/effnet-<board>)."""
    from pathlib import Path

    path = Path(path).resolve()
    return path.parent.name if path.stem == "model" and path.parent.name else path.stem


def _patches(value: str):
    """--patches: auto, off or a grid size n (n x n tiles)."""
    if value in ("auto", "off"):
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= 16:
        raise click.BadParameter(f"{value!r}: give auto, off or a grid size 1..16", param_hint="--patches")
    return n


def _schedule_options(fn):
    """--patches, --max-extra-macs and --stream-input: the engine's schedule (docs/engine.md, patch-based
    inference)."""
    fn = click.option("--stream-input", is_flag=True,
                      help="The model reads its image by rows through mcunets_read_input() (the firmware "
                           "supplies it); the arena holds only the rows patches still need.")(fn)
    fn = click.option("--max-extra-macs", type=click.FloatRange(0), default=0.15, show_default=True,
                      help="Most extra work patches may cost: their extra MACs as a fraction of the "
                           "model's MACs, and (the same fraction) their estimated extra instructions, "
                           "per-call overhead included, of its estimated instructions layer by layer.")(fn)
    return click.option("--patches", default="auto", show_default=True, callback=lambda c, p, v: _patches(v),
                        help="Engine schedule: auto (patch by patch when that lowers the arena), off "
                             "(layer by layer) or N (force an N x N grid of tiles).")(fn)


def _read_model(path) -> bytes:
    """The bytes of a .tflite file, checked to be a readable TFLite model (one-line error if not)."""
    from pathlib import Path

    from mcunets.engine.reader import read_model

    data = Path(path).read_bytes()
    try:
        read_model(data)
    except McunetsError as e:
        raise McunetsError(f"{path}: {e}") from None
    return data


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcunets")
def cli():
    """Train tiny CNNs, quantize them to int8 and run them on microcontrollers."""


@cli.command(short_help="Every architecture: params, MACs, int8 bytes, arena, ops.")
@click.option("--alpha", type=float, default=0.25, show_default=True, help="Width multiplier α.")
@click.option("--resolution", type=int, default=96, show_default=True, help="Input height and width.")
@click.option("--channels", type=click.Choice(["1", "3"]), default="3", show_default=True)
@click.option("--classes", type=int, default=10, show_default=True)
@click.option("--arch", "archs", multiple=True, help="Only these architectures (repeatable).")
@click.option("--no-convert", is_flag=True,
              help="Params and MACs only, from the Keras models: seconds instead of minutes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def zoo(alpha, resolution, channels, classes, archs, no_convert, as_json):
    """Every architecture at the given α and resolution: params, MACs, int8 bytes, TFLM arena, ops.

    The int8 bytes, TFLM arena and ops come from quantizing and converting each architecture (untrained),
    several seconds each; --no-convert leaves them out.
    """
    from mcunets import zoo as zoo_lib
    from mcunets.report import format_table

    names = [_arch_param(a) for a in archs] or list(zoo_lib.ARCHITECTURES)
    channels = int(channels)
    # Every architecture is checked before any conversion.
    models = {name: _arch_model(name, alpha, resolution, channels, classes) for name in names}
    rows = []
    for i, name in enumerate(names, start=1):
        if no_convert:
            rows.append(zoo_lib.describe(name, alpha, models[name]))
            continue
        click.echo(f"[{i}/{len(names)}] {name}: quantizing and converting to int8", err=True)
        rows.append(zoo_lib.summarize(name, alpha=alpha, resolution=resolution, channels=channels,
                                      classes=classes))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    n = lambda value: "-" if value is None else f"{value:,}"  # noqa: E731
    click.echo(format_table(
        ["arch", "params", "MACs", "int8 bytes", "TFLM arena", "ops"],
        [[r.arch, n(r.params), n(r.macs), n(r.tflite_bytes), n(r.tflm_arena_bytes),
          "-" if r.ops is None else " ".join(r.ops)] for r in rows],
    ))


@cli.command(short_help="Per-layer counts and memory from a board's report.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="The .tflite model (needed with --board; adds output shapes and MACs otherwise).")
@click.option("--board", help="Build and run on a simulated board (host, qemu-m4, qemu-m7, qemu-rv32, "
                              "qemu-stm32f4).")
@click.option("--port", help="Read the report from this serial port (a flashed board).")
@click.option("--baud", type=int, default=115200, show_default=True)
@click.option("--log", "log_path", type=click.Path(exists=True, dir_okay=False),
              help="Read the report from a saved console log.")
@click.option("--timeout", type=float, default=None,
              help="Seconds to wait for the report [default: 60 on a port, 300 on a simulated board].")
@click.option("--runs", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Timed inferences (simulated boards).")
@click.option("--warmup", type=click.IntRange(0, 100), default=1, show_default=True,
              help="Untimed inferences first (simulated boards).")
@click.option("--seed", type=click.IntRange(1, 2**32 - 1), default=1, show_default=True,
              help="Seed of the inputs the firmware generates (simulated boards).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/profile",
              show_default=True, help="Where profile.json, profile.png and the build go.")
@click.option("--json", "as_json", is_flag=True, help="Print profile.json instead of a table.")
@_schedule_options
def profile(model_path, board, port, baud, log_path, timeout, runs, warmup, seed, out_dir, as_json, patches,
            max_extra_macs, stream_input):
    """Per-layer counts, totals and memory from a board's report (serial port, log or simulated board)."""
    from pathlib import Path

    from mcunets import profile as prof
    from mcunets import targets
    from mcunets.report import parse_report

    sources = [s for s in (board and "--board", port and "--port", log_path and "--log") if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of --board, --port or --log")
    if board:
        if not model_path:
            raise click.UsageError("--board needs --model")
        if _board_param(board).is_platformio:
            raise click.BadParameter(
                f"{board!r} is a real board: flash it (`mcunets build --upload`) and read it with --port; "
                f"--board runs the simulated ones ({', '.join(targets.simulated_boards())})",
                param_hint="--board",
            )
    model = _read_model(model_path) if model_path else None
    generated = prof.engine_model(model, patches, max_extra_macs, stream_input) if model is not None else None
    layers = prof.layer_info(model, generated=generated) if model is not None else None
    firmware = None
    out = Path(out_dir)
    if board:
        text, fw = targets.profile_model(
            model, board, out / "build" / board, name=Path(model_path).stem, runs=runs, warmup=warmup,
            seed=seed, timeout=timeout or targets.DEFAULT_TIMEOUT_S, patches=patches,
            max_extra_macs=max_extra_macs, stream_input=stream_input,
        )
        firmware = fw.sections or None
        report = parse_report(text)
    elif port:
        report, text = prof.read_serial_report(port, baud, timeout or 60.0)
    else:
        text = Path(log_path).read_bytes()
        report = parse_report(text)
    if model is not None:
        prof.check_model(report, model, log_path or port or board)
    from mcunets._io import atomic_write_text

    atomic_write_text(out / "report.log", text if isinstance(text, str) else text.decode("utf-8", "replace"))
    data = prof.build_profile(report, layers, firmware, generated.schedule if generated else None)
    if model is not None:
        data["outputs_match_reference"] = prof.outputs_match_reference(report, model)
    json_path, png_path = prof.write_profile(data, out)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(prof.format_profile(data))
        click.echo(f"wrote {json_path} and {png_path}", err=True)


@cli.command(short_help="Outputs on a board, byte for byte against TFLite.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--board", required=True,
              help="A board from `mcunets boards`: a simulated one is built and run here, unless --port.")
@click.option("--runtime", type=click.Choice(["mcunets", "tflm"]), default="mcunets", show_default=True)
@click.option("--samples", type=click.IntRange(1, 10000), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False),
              help="Use the first --samples images of this folder instead of random inputs.")
@click.option("--port", help="Serial port of a board running validation firmware (flashed, or emulated "
                             "with its UART on a pseudo-terminal).")
@click.option("--baud", type=int, default=115200, show_default=True)
@click.option("--timeout", type=float, default=None, help="Seconds per run [default: 60 / 300].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/validate",
              show_default=True, help="Where simulated boards are built.")
@_schedule_options
def validate(model_path, board, runtime, samples, seed, data_dir, port, baud, timeout, out_dir, patches,
             max_extra_macs, stream_input):
    """Run inputs on the board and compare every output byte with TFLite's reference kernels."""
    from pathlib import Path

    from mcunets import targets
    from mcunets.tflm import run_reference

    simulated = not _board_param(board).is_platformio
    if simulated and runtime != "mcunets":
        raise click.BadParameter(f"simulated boards run the mcunets engine; --runtime {runtime} needs a "
                                 "real board", param_hint="--runtime")
    if not simulated and not port:
        raise click.UsageError(f"{board!r} is a real board: flash its validation firmware and give --port")
    model = _read_model(model_path)
    specs_in, specs_out = targets.io_specs(model)
    inputs = targets.make_samples(model, samples, seed, data_dir)
    if not port:
        src = targets.engine_sources(model, Path(model_path).stem, Path(out_dir) / board / "model", board,
                                     patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
        click.echo(f"engine schedule: {src.schedule.describe()}", err=True)
        got = targets.validate_model(model, board, inputs, Path(out_dir) / board, name=Path(model_path).stem,
                                     timeout=timeout or targets.DEFAULT_TIMEOUT_S, sources=src)
    else:
        from mcunets.profile import validate_serial

        got = validate_serial(port, baud, inputs, timeout or 60.0)
    expected = [run_reference(model, sample) for sample in inputs]
    mismatches = targets.compare_outputs(expected, got, specs_out)
    worst = max((m.max_abs_diff for m in mismatches), default=0)
    for m in mismatches:
        if m.output < 0:
            click.echo(f"sample {m.sample}: the board returned the wrong number of outputs")
        else:
            click.echo(f"sample {m.sample} output {m.output}: {m.differing} of {m.total} values differ, "
                       f"max abs diff {m.max_abs_diff}")
    bad = len({m.sample for m in mismatches})
    click.echo(f"{board} ({runtime}): {len(inputs) - bad} of {len(inputs)} samples bit-exact with the "
               f"TFLite reference; max abs diff {worst}")
    if mismatches:
        sys.exit(1)


@cli.command("boards", short_help="The boards: core, clock, memory, counter, runtimes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def boards_cmd(as_json):
    """The boards mcunets knows: core, clock, SRAM, flash, cycle counter, runtimes."""
    from mcunets.boards import load_boards
    from mcunets.report import format_table

    boards = load_boards()
    if as_json:
        click.echo(json.dumps([b.as_dict() for b in boards], indent=2))
        return
    click.echo(format_table(
        ["board", "mcu", "core", "MHz", "SRAM KiB", "flash KiB", "counter", "build", "runtimes", "stands for"],
        [[b.name, b.mcu, b.core, f"{b.cpu_hz / 1e6:g}" if b.cpu_hz else "-",
          f"{b.sram_bytes // 1024:,}", f"{b.flash_bytes // 1024:,}",
          b.cycle_counter or b.report_counter, b.build_kind, ",".join(b.runtimes),
          ",".join(b.emulator.stands_for) if b.emulator else ""] for b in boards],
    ))


@cli.command("build", short_help="Train or take a model, fit-check, render, build, flash.")
@click.option("--arch", help="Train this architecture first (see `mcunets zoo`).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="Or build for an existing int8 .tflite model.")
@click.option("--board", required=True, help="A board from `mcunets boards`.")
@click.option("--runtime", type=click.Choice(["auto", "mcunets", "tflm"]), default="auto", show_default=True,
              help="Inference runtime; auto takes the first of the board's runtimes that fits.")
@click.option("--data", "data_dir", help="Training image folder [default: built-in shapes].")
@click.option("--alpha", type=float, default=0.25, show_default=True, help="Width multiplier α (with --arch).")
@click.option("--resolution", type=int, default=96, show_default=True, help="Input size (with --arch).")
@click.option("--channels", type=click.Choice(["1", "3"]), default="3", show_default=True)
@click.option("--epochs", type=int, default=5, show_default=True,
              help="Float training epochs: a quick budget that shows the whole pipeline; for accuracy "
                   "train with `mcunets train` (20 + 3) and build its model with --model.")
@click.option("--qat-epochs", type=int, default=1, show_default=True, help="QAT fine-tuning epochs.")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same model and project.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output folder [default: build/<arch or model>-<board>/].")
@click.option("--runs", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Timed inferences the firmware reports.")
@click.option("--warmup", type=click.IntRange(0, 100), default=2, show_default=True)
@click.option("--no-build", is_flag=True, help="Render the project only; do not compile it.")
@click.option("--upload", is_flag=True, help="Flash the board after building.")
@click.option("--port", help="Serial port: upload port with --upload, report port with --profile.")
@click.option("--profile", "do_profile", is_flag=True,
              help="Run the firmware (simulated boards) or read its report from --port, and show it.")
@click.option("--validate", "for_validation", is_flag=True,
              help="Firmware that answers `mcunets validate --port` instead of benchmarking (real boards).")
@click.option("--baud", type=int, default=115200, show_default=True)
@click.option("--timeout", type=float, default=None, help="Seconds to wait for the report.")
@_schedule_options
def build_cmd(arch, model_path, board, runtime, data_dir, alpha, resolution, channels, epochs, qat_epochs,
              batch_size, seed, out_dir, runs, warmup, no_build, upload, port, do_profile, for_validation,
              baud, timeout, patches, max_extra_macs, stream_input):
    """Train (or take --model), check the fit, convert, render the firmware, build, flash and profile it.

    With --arch the fit is checked before training, on the architecture's untrained int8 conversion
    (same tensors), so a model that cannot fit is refused in seconds. If a later step fails, the trained
    model stays in the output folder with its train_report.json.
    """
    from pathlib import Path

    from mcunets import build as build_lib

    if bool(arch) == bool(model_path):
        raise click.UsageError("give exactly one of --arch (train a model) or --model X.tflite")
    b = _board_param(board)
    if runtime != "auto" and runtime not in b.runtimes:
        raise click.BadParameter(f"{board} runs {' or '.join(b.runtimes)}, not {runtime}",
                                 param_hint="--runtime")
    simulated = not b.is_platformio
    if for_validation and (simulated or do_profile):
        raise click.UsageError("--validate builds validation firmware for a real board; simulated boards "
                               "are checked directly with `mcunets validate --board`, without --profile")
    if port and not (upload or do_profile):
        raise click.UsageError("--port is only used with --upload or --profile")
    if do_profile and not simulated and not port:
        raise click.UsageError(f"--profile on {board} reads the report from the board: give --port")
    if arch:
        _arch_model(arch, alpha, resolution, int(channels))
    name = arch or _model_stem(Path(model_path))
    out = Path(out_dir) if out_dir else build_lib.default_out_dir(name, board)
    log = lambda m: click.echo(m, err=True)  # noqa: E731

    train_report = None
    if arch:
        from mcunets import train as train_lib

        log(f"checking that {arch} (α={alpha}, {resolution}×{resolution}) fits {board} before training")
        choice = build_lib.preflight(arch, b, runtime, data=data_dir, alpha=alpha, resolution=resolution,
                                     channels=int(channels), seed=seed, patches=patches,
                                     max_extra_macs=max_extra_macs, stream_input=stream_input)
        log(choice.reason)
        try:
            result = train_lib.train(
                arch, data_dir, out=out, alpha=alpha, resolution=resolution, channels=int(channels),
                epochs=epochs, qat_epochs=qat_epochs, batch_size=batch_size, seed=seed,
                verbose=1 if sys.stderr.isatty() else 2, log=log,
            )
        except KeyboardInterrupt:
            raise Interrupted(f"no model written; checkpoints (if any) are in {out / 'checkpoints'}")
        model_bytes, train_report = result.tflite, result.report
        click.echo(result.table())
    else:
        model_bytes = _read_model(model_path)

    try:
        result = build_lib.build_for_board(
            model_bytes, b, runtime, out, compile=not no_build, upload=upload, port=port if upload else None,
            name=name, runs=runs, warmup=warmup, seed=max(seed, 1), alpha=alpha if arch else None,
            resolution=resolution if arch else None, validate=for_validation, log=log, patches=patches,
            max_extra_macs=max_extra_macs, stream_input=stream_input,
        )
        click.echo(f"{result.status}: {result.firmware_file or result.firmware_dir}  ({result.fit.summary()})")
    except McunetsError as e:
        if train_report is None or isinstance(e, PlatformUnavailableError):
            raise
        model_file = out / "model.tflite"
        raise type(e)(f"{e} — the trained model is kept in {model_file} (train_report.json beside it); "
                      f"continue with `mcunets build --model {model_file} --board {board} ...`") from None
    if do_profile and result.status != "rendered":
        _show_profile(model_bytes, result.firmware, port, baud, timeout, out, patches, max_extra_macs, stream_input)


def _show_profile(model_bytes, firmware, port, baud, timeout, out, patches="auto", max_extra_macs=0.15,
                  stream_input=False):
    from mcunets import profile as prof
    from mcunets import targets
    from mcunets.report import parse_report

    if firmware is not None:
        text = targets.run(firmware, timeout=timeout or targets.DEFAULT_TIMEOUT_S)
        report = parse_report(text)
        sections = firmware.sections or None
    else:
        report, text = prof.read_serial_report(port, baud, timeout or 60.0)
        sections = None
    from mcunets._io import atomic_write_text

    atomic_write_text(out / "report.log", text if isinstance(text, str) else text.decode("utf-8", "replace"))
    generated = prof.engine_model(model_bytes, patches, max_extra_macs, stream_input)
    data = prof.build_profile(report, prof.layer_info(model_bytes, generated=generated), sections,
                              generated.schedule if generated else None)
    data["outputs_match_reference"] = prof.outputs_match_reference(report, model_bytes)
    json_path, png_path = prof.write_profile(data, out)
    click.echo(prof.format_profile(data))
    click.echo(f"wrote {json_path} and {png_path}", err=True)


@cli.command("train", short_help="Train, fine-tune quantization-aware, convert to int8.")
@click.option("--arch", required=True, help="Architecture from `mcunets zoo` (e.g. mobilenet).")
@click.option("--data", "data_dir", help="Image folder, one subfolder per class [default: built-in shapes].")
@click.option("--val-data", "val_dir", help="Validation image folder [default: a seeded split of --data].")
@click.option("--alpha", type=float, default=0.25, show_default=True, help="Width multiplier α.")
@click.option("--resolution", type=int, default=96, show_default=True, help="Input height and width.")
@click.option("--channels", type=click.Choice(["1", "3"]), default="3", show_default=True)
@click.option("--epochs", type=int, default=20, show_default=True, help="Float training epochs.")
@click.option("--qat-epochs", type=int, default=3, show_default=True,
              help="Quantization-aware fine-tuning epochs (0: post-training quantization).")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=0.01, show_default=True, help="Peak learning rate (Adam, cosine).")
@click.option("--label-smoothing", type=float, default=0.1, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same .tflite bytes.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Output folder: model.tflite, train_report.json, checkpoints/.")
@click.option("--json", "as_json", is_flag=True, help="Print train_report.json instead of tables.")
def train_cmd(arch, data_dir, val_dir, alpha, resolution, channels, epochs, qat_epochs, batch_size, lr,
              label_smoothing, seed, out_dir, as_json):
    """Train float, fine-tune quantization-aware, convert to int8 and report accuracy and size."""
    from mcunets import train as train_lib

    _arch_model(arch, alpha, resolution, int(channels))
    try:
        result = train_lib.train(
            arch, data_dir, val_dir, out=out_dir, alpha=alpha, resolution=resolution,
            channels=int(channels), epochs=epochs, qat_epochs=qat_epochs, batch_size=batch_size, lr=lr,
            label_smoothing=label_smoothing, seed=seed, verbose=1 if sys.stderr.isatty() else 2,
            log=lambda message: click.echo(message, err=True),
        )
    except KeyboardInterrupt:
        click.echo(f"Interrupted: no model or report written; checkpoints (if any) are in "
                   f"{out_dir}/checkpoints", err=True)
        sys.exit(130)
    if as_json:
        click.echo(json.dumps(result.report, indent=2))
    else:
        click.echo(result.table())
    click.echo(f"wrote {result.tflite_path} and {result.report_path}", err=True)


@cli.command("evaluate", short_help="Accuracy of an int8 .tflite on an image folder.")
@click.option("--model", "model_path", required=True, help="An int8 .tflite classifier.")
@click.option("--data", "data_dir", help="Image folder, one subfolder per class [default: built-in shapes].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def evaluate_cmd(model_path, data_dir, as_json):
    """Accuracy of an int8 .tflite classifier on an image folder (TFLite interpreter)."""
    from mcunets.evaluate import evaluate, format_evaluation

    result = evaluate(model_path, data_dir)
    if result.skipped:
        click.echo(f"skipped {result.skipped} unreadable image file(s)", err=True)
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else format_evaluation(result))


@cli.command("search", short_help="Search the zoo for the most accurate model that fits a board.")
@click.option("--board", required=True, help="A board from `mcunets boards`.")
@click.option("--data", "data_dir", help="Training image folder [default: built-in shapes].")
@click.option("--latency-ms", type=float, help="Latency budget at the board's clock (the engine's instruction "
                                               "model of the board's core, see docs/search.md).")
@click.option("--trials", type=click.IntRange(1, 10000), default=20, show_default=True,
              help="Candidates to train; those pruned before training do not count, and a resumed "
                   "study counts its earlier ones.")
@click.option("--budget-epochs", type=click.IntRange(1, 1000), default=2, show_default=True,
              help="Float epochs per trial (plus one QAT epoch).")
@click.option("--steps-per-epoch", type=click.IntRange(1), help="Training steps per trial epoch [default: all].")
@click.option("--arch", "archs", multiple=True, help="Only these architectures (repeatable).")
@click.option("--alpha", "alphas", type=click.FloatRange(0, 4, min_open=True), multiple=True,
              help="Only these α values (repeatable) [default: 0.25, 0.35, 0.5, 0.75, 1.0].")
@click.option("--resolution", "resolutions", type=click.IntRange(8, 1024), multiple=True,
              help="Only these resolutions (repeatable) [default: 32–224 in steps of 16].")
@click.option("--final-epochs", type=click.IntRange(0, 1000), default=20, show_default=True,
              help="Float epochs of the winner's full-recipe training (0: skip it).")
@click.option("--final-qat-epochs", type=click.IntRange(0, 100), default=3, show_default=True)
@click.option("--storage", help="Optuna storage URL, to share the study between machines "
                                "[default: OUT/study.log].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/search", show_default=True,
              help="Output folder: study, trials/, best/, search.json, pareto.png.")
def search_cmd(board, data_dir, latency_ms, trials, budget_epochs, steps_per_epoch, archs, alphas, resolutions,
               final_epochs, final_qat_epochs, storage, seed, out_dir):
    """Try zoo architectures, α and resolutions: prune those that do not fit the board (or its latency
    budget) before training, train the rest briefly, rank them by int8 accuracy and train the best
    with the full recipe into OUT/best/ (for `mcunets build --model`). Run it again to resume."""
    from mcunets import search as search_lib

    b = _board_param(board)
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        result = search_lib.search(
            b, data_dir, out=out_dir, trials=trials, budget_epochs=budget_epochs,
            steps_per_epoch=steps_per_epoch, latency_ms=latency_ms,
            archs=[_arch_param(a) for a in archs] or None, alphas=alphas or search_lib.ALPHAS,
            resolutions=resolutions or None, final_epochs=final_epochs,
            final_qat_epochs=final_qat_epochs, storage=storage, seed=seed,
            progress=sys.stderr.isatty(), log=log)
    except KeyboardInterrupt:
        raise Interrupted(f"the study is kept in {out_dir}: run the same command again to resume")
    click.echo(result.table())
    pruned = sum(r["state"] == "pruned" for r in result.rows)
    click.echo(f"{pruned} of {len(result.rows)} candidates pruned before training; best: "
               f"{result.best['key']} ({result.best['accuracy']:.2%} int8 after the short budget)")
    if result.final is not None:
        model = result.final["model"]
        click.echo(f"the best with the full recipe: {result.final['accuracy']['int8']:.2%} int8; "
                   f"{model}: `mcunets build --model {model} --board {board}`", err=True)


def main():
    cli(prog_name="mcunets")


if __name__ == "__main__":
    main()
