"""Simulated boards (mcunets.targets): host and qemu-m4 builds, the runner, counters and validation.

A hand-written model with the engine's C API (tests/data/fake_model) drives the toolchains, the runner,
semihosting and SysTick; tests/data/tiny_int8.tflite goes through the mcunets engine end to end.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from mcunets import targets
from mcunets.errors import McunetsError
from mcunets.report import parse_report, parse_validation

DATA = Path(__file__).parent / "data"
FAKE = DATA / "fake_model"
BOARDS = ["host", "qemu-m4", "qemu-m7", "qemu-rv32", "qemu-stm32f4"]

needs_arm = pytest.mark.skipif(
    not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
    reason="needs gcc-arm-none-eabi and qemu-system-arm",
)


def fake_sources(*defines: str) -> targets.ModelSources:
    return targets.ModelSources(
        name="fake", sources=(FAKE / "model.c",), include_dirs=(FAKE,),
        inputs=(targets.TensorSpec((1, 64), "int8"),), outputs=(targets.TensorSpec((1, 8), "int8"),),
        model_bytes=0, defines=defines,
    )


def fake_model(x: np.ndarray) -> bytes:
    """tests/data/fake_model/model.c in numpy."""
    wrap = lambda v: ((v & 0xFF) ^ 0x80).astype(np.int32) - 0x80  # noqa: E731  int8 wrap-around
    t = wrap(x.astype(np.int32).ravel() * 3 - 7)
    y = wrap(t + np.roll(t, -1))
    k = np.arange(64)
    return bytes(np.int8(np.clip((y * (k - j)).sum() >> 12, -128, 127)).tobytes()[0] for j in range(8))


def board_param(name):
    """The board, skipped where its compiler or emulator is not installed."""
    board = targets.load_board(name)
    tools = [board.toolchain.cc] + ([board.emulator.binary] if board.emulator else [])
    missing = [t for t in tools if not shutil.which(t)]
    return pytest.param(name, marks=pytest.mark.skipif(bool(missing), reason=f"needs {missing}"))


@pytest.mark.parametrize("board", [board_param(b) for b in BOARDS])
def test_profile_build_reports_the_model_it_ran(board, tmp_path):
    fw = targets.build(fake_sources(), board, tmp_path, runs=4, warmup=1, seed=12345)
    report = parse_report(targets.run(fw, timeout=60))
    b = targets.load_board(board)
    assert (report.board, report.counter, report.cpu_hz) == (board, b.report_counter, b.cpu_hz)
    assert [l.op for l in report.layers] == ["CONV_2D", "ADD", "FULLY_CONNECTED"]
    assert len(report.runs) == 4 and all(r > 0 for r in report.runs)
    assert sum(l.count for l in report.layers) <= max(report.runs)
    assert report.arena_used == 96
    (x,) = targets.runner_inputs(fake_sources().inputs, 12345)
    assert report.outputs[0].data == fake_model(x)


@needs_arm
def test_qemu_counts_are_deterministic_instructions(tmp_path):
    fw = targets.build(fake_sources(), "qemu-m4", tmp_path, runs=3)
    first, second = (parse_report(targets.run(fw, timeout=60)) for _ in range(2))
    assert max(first.runs) - min(first.runs) <= 40
    assert [l.count for l in first.layers] == [l.count for l in second.layers]
    assert first.runs == second.runs
    size = fw.sections
    assert size["text"] > 0 and size["bss"] >= 96 and size["flash"] == size["text"] + size["data"]


def _spin_count(tmp_path: Path, spin: int, board) -> tuple[int, int]:
    fw = targets.build(fake_sources(f"FAKE_SPIN={spin}"), board, tmp_path / str(spin), runs=1, warmup=0)
    return parse_report(targets.run(fw, timeout=60)).layers[0].count, board.emulator.systick_reload + 1


@needs_arm
@pytest.mark.parametrize("reload", [0x00FFFFFF, 0x0003FFFF])
def test_qemu_counter_counts_a_known_instruction_loop(tmp_path, reload):
    # FAKE_SPIN adds a loop of exactly two instructions per iteration (subs, bne) to layer 0.
    # With the small reload the 15 M iterations (30 M instructions) wrap SysTick twice; each wrap
    # also runs the few instructions of its interrupt handler.
    board = targets.load_board("qemu-m4")
    board = dataclasses.replace(board, emulator=dataclasses.replace(board.emulator, systick_reload=reload))
    base, _ = _spin_count(tmp_path, 0, board)
    spun, ticks_per_wrap = _spin_count(tmp_path, 15_000_000, board)
    per_tick = board.emulator.instructions_per_tick
    wraps = 30_000_000 // (ticks_per_wrap * per_tick)
    assert abs((spun - base) - 30_000_000) <= per_tick + 16 * wraps


@pytest.mark.parametrize("board", [board_param(b) for b in BOARDS])
def test_validation_firmware_answers_every_sample(board, tmp_path):
    rng = np.random.default_rng(3)
    samples = [[rng.integers(-128, 128, (1, 64), dtype=np.int8)] for _ in range(6)]
    got = targets.validate_model(b"", board, samples, tmp_path, sources=fake_sources(), timeout=60)
    assert [g[0] for g in got] == [fake_model(s[0]) for s in samples]


@pytest.mark.parametrize("board", [board_param(b) for b in BOARDS])
def test_validation_firmware_rejects_a_short_input(board, tmp_path):
    fw = targets.build(fake_sources(), board, tmp_path, validate=True)
    out = targets.run(fw, stdin_text="@mcu input i=0 hex=0102\n@mcu quit\n", timeout=60)
    assert "@mcu error msg=bad_input_length" in out
    with pytest.raises(McunetsError, match="bad_input_length"):
        parse_validation(out)
    out = targets.run(fw, stdin_text="@mcu input i=7 hex=00\n", timeout=60)
    assert "@mcu error msg=bad_input_index" in out


def test_missing_toolchain_names_the_debian_package(tmp_path):
    board = targets.load_board("qemu-m4")
    board = dataclasses.replace(board, toolchain=dataclasses.replace(board.toolchain, cc="no-such-arm-gcc"))
    with pytest.raises(McunetsError, match="apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"):
        targets.build(fake_sources(), board, tmp_path)


@needs_arm
def test_missing_qemu_names_the_debian_package(tmp_path):
    fw = targets.build(fake_sources(), "qemu-m4", tmp_path)
    emulator = dataclasses.replace(fw.board.emulator, binary="no-such-qemu")
    fw = dataclasses.replace(fw, board=dataclasses.replace(fw.board, emulator=emulator))
    with pytest.raises(McunetsError, match="apt-get install qemu-system-arm"):
        targets.run(fw)


@needs_arm
def test_a_firmware_that_hangs_times_out(tmp_path):
    fw = targets.build(fake_sources("FAKE_SPIN=2000000000"), "qemu-m4", tmp_path, runs=1, warmup=0)
    with pytest.raises(McunetsError, match="did not finish within 1 s") as info:
        targets.run(fw, timeout=1)
    assert "@mcu memory" in str(info.value)  # the last line it printed


@needs_arm
def test_a_hard_fault_is_reported_and_ends_emulation(tmp_path):
    fw = targets.build(fake_sources("FAKE_FAULT"), "qemu-m4", tmp_path, runs=1, warmup=0)
    with pytest.raises(McunetsError, match="qemu-m4: the firmware failed: @mcu error msg=hard_fault"):
        targets.run(fw, timeout=30)


def test_a_compile_error_is_one_line(tmp_path):
    with pytest.raises(McunetsError, match="building for host failed: .*error") as info:
        targets.build(fake_sources("FAKE_SPIN=)"), "host", tmp_path)
    assert "\n" not in str(info.value)


def test_platformio_boards_are_not_simulated():
    assert set(BOARDS) <= set(targets.simulated_boards())
    for name in targets.simulated_boards():
        assert targets.is_simulated(name)
    with pytest.raises(McunetsError, match="PlatformIO"):
        targets.load_board("stm32l4r5")


def test_runner_inputs_follow_the_xorshift_stream():
    spec = targets.TensorSpec((2, 3), "int8")
    a = targets.runner_inputs([spec, spec], 7)
    assert a[0].shape == (2, 3) and a[0].dtype == np.int8
    assert not np.array_equal(a[0], a[1])  # one stream across inputs, not restarted
    assert np.array_equal(targets.runner_inputs([spec], 7)[0], a[0])


# ---- the mcunets engine end to end ------------------------------------------------------------------

TINY = DATA / "tiny_int8.tflite"


@pytest.mark.parametrize("board", [board_param(b) for b in ["qemu-m4", "qemu-rv32"]])
def test_flash_by_source_adds_up_to_the_firmware_flash(board, tmp_path):
    fw = targets.build(fake_sources(), board, tmp_path, runs=1, warmup=0)
    by = targets.flash_by_source(fw)
    assert sum(by.values()) == fw.sections["flash"]
    assert {"model.c", "mcu_driver.c", "runtime_mcunets.c"} <= set(by) and min(by.values()) > 0
    # mcunets_invoke alone is in model.c's share
    assert by["model.c"] >= _symbol_size(fw.path, "mcunets_invoke") > 0


def _symbol_size(elf: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as f:
        return next(s["st_size"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name == name)



def test_model_data_bytes_counts_the_linked_arrays_of_model_c(tmp_path):
    """The constant model data a firmware links, from the linker map, is the total size of the generated
    arrays present in the ELF's symbol table; on a DSP core the kernels that read flash tables leave
    some of the generator's arrays unlinked, so it is at most what the generator emitted."""
    import re

    from elftools.elf.elffile import ELFFile

    from mcunets.engine import generate

    model = TINY.read_bytes()
    fw = targets.build(targets.engine_sources(model, "tiny", tmp_path / "model", "qemu-m4"), "qemu-m4", tmp_path / "fw",
                       runs=1, warmup=0)
    model_c = next(p for p in fw.sources if p.name == "model.c")
    arrays = set(re.findall(r"^static const (?:u?int(?:8|16|32)_t|float) (\w+)\[", model_c.read_text(), re.M))
    with open(fw.path, "rb") as f:
        linked = {s.name: s["st_size"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                  if s.name in arrays and s["st_size"]}
    data = targets.model_data_bytes(fw, model_c)
    assert data == sum(v for k, v in linked.items() if not k.endswith(("_offsets", "_sizes"))) > 0
    assert data <= generate(model, "tiny").flash_bytes

@pytest.mark.slow
@pytest.mark.parametrize("board", [board_param(b) for b in BOARDS])
def test_engine_model_profiles_with_reference_outputs(board, tmp_path):
    from mcunets.tflm import run_reference

    model = TINY.read_bytes()
    text, fw = targets.profile_model(model, board, tmp_path, name="tiny", runs=3, seed=99)
    report = parse_report(text)
    ops = [l.op for l in __import__("mcunets.profile", fromlist=["x"]).layer_info(model)]
    assert [l.op for l in report.layers] == ops
    assert report.model == "tiny" and report.model_bytes == len(model)
    expected = run_reference(model, targets.runner_inputs(targets.io_specs(model)[0], 99))
    assert [o.data for o in report.outputs] == [e.tobytes() for e in expected]
    if board.startswith("qemu-"):
        assert max(report.runs) - min(report.runs) <= 40
        assert fw.sections["bss"] >= report.arena_used


@pytest.mark.slow
@pytest.mark.parametrize("board", [board_param(b) for b in BOARDS])
def test_cli_validate_passes_bit_exact(board, tmp_path):
    from click.testing import CliRunner

    from mcunets.cli import cli

    res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--board", board, "--samples", "4",
                                   "--seed", "1", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "4 of 4 samples bit-exact" in res.output


@pytest.mark.slow
def test_cli_validate_with_images(tmp_path):
    """Images are resized and quantized, run on the board and compared; the verdict agrees with the
    engine's own host runner (an independent build through ctypes) against the reference."""
    from click.testing import CliRunner
    from PIL import Image

    from mcunets.cli import cli
    from mcunets.engine.host import run_engine
    from mcunets.tflm import run_reference

    rng = np.random.default_rng(0)
    for k in range(3):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(tmp_path / f"{k}.png")
    model = TINY.read_bytes()
    samples = targets.make_samples(model, 3, data_dir=tmp_path)
    assert samples[0][0].shape == (1, 16, 16, 3) and samples[0][0].dtype == np.int8
    differ = [k for k, s in enumerate(samples)
              if run_engine(model, s)[0].tobytes() != run_reference(model, s)[0].tobytes()]
    res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--board", "host", "--samples", "3",
                                   "--data", str(tmp_path), "--out", str(tmp_path / "b")])
    assert res.exit_code == (1 if differ else 0), res.output
    assert f"{3 - len(differ)} of 3 samples bit-exact" in res.output
    for k in differ:
        assert f"sample {k} output 0:" in res.output
    res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--board", "host", "--samples", "5",
                                   "--data", str(tmp_path), "--out", str(tmp_path / "b")])
    assert res.exit_code == 1 and "has 3 readable images" in res.output


def test_validate_data_quantizes_images_for_a_uint8_input(tmp_path):
    """--data on a model with uint8 input (a camera pipeline's): the images quantized to uint8 by the input's
    scale and zero point, as `mcunets evaluate` does, and the outputs bit-exact on the host board."""
    import tensorflow as tf
    from click.testing import CliRunner
    from PIL import Image

    from mcunets import data
    from mcunets.cli import cli
    from mcunets.engine.testing import convert

    rng = np.random.default_rng(1)
    f = tf.constant(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
    model = convert(lambda x: tf.nn.relu(tf.nn.conv2d(x, f, 2, "SAME")), [(1, 16, 16, 3)], rng, uint8_io=True)
    (tmp_path / "m.tflite").write_bytes(model)
    for k in range(2):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / f"{k}.png")
    samples = targets.make_samples(model, 2, data_dir=tmp_path)
    (scale, zero), = targets.input_quantization(model)
    first = data._decode(tmp_path / "0.png", 16, 3)
    assert samples[0][0].dtype == np.uint8
    assert np.array_equal(samples[0][0][0], data.to_quantized(first, "uint8", scale, zero))
    res = CliRunner().invoke(cli, ["validate", "--model", str(tmp_path / "m.tflite"), "--board", "host", "--samples", "2",
                                   "--data", str(tmp_path), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and "2 of 2 samples bit-exact" in res.output, res.output


def test_cli_validate_reports_mismatches_and_fails(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mcunets.cli import cli
    from mcunets.tflm import run_reference

    model = TINY.read_bytes()

    def off_by_some(model_bytes, board, samples, build_dir, **kw):
        outs = [[bytearray(o.tobytes()) for o in run_reference(model_bytes, s)] for s in samples]
        outs[1][0][2] = (outs[1][0][2] + 3) % 256  # one value of sample 1 off by 3
        return [[bytes(o) for o in s] for s in outs]

    monkeypatch.setattr(targets, "validate_model", off_by_some)
    res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--board", "host", "--samples", "3"])
    assert res.exit_code == 1
    assert "sample 1 output 0: 1 of 4 values differ, max abs diff" in res.output
    assert "2 of 3 samples bit-exact" in res.output
    assert len(model) > 0


def test_compare_outputs_is_byte_exact():
    spec = [targets.TensorSpec((3,), "int8")]
    exp = [[np.array([1, -128, 127], np.int8)]]
    assert targets.compare_outputs(exp, [[bytes(np.array([1, -128, 127], np.int8))]], spec) == []
    (m,) = targets.compare_outputs(exp, [[bytes(np.array([1, 127, 127], np.int8))]], spec)
    assert (m.sample, m.output, m.differing, m.total, m.max_abs_diff) == (0, 0, 1, 3, 255)


@pytest.mark.parametrize("args, code, message", [
    (["--board", "host", "--runtime", "tflm"], 2, "simulated boards run the mcunets engine"),
    (["--board", "stm32l4r5"], 2, "is a real board: flash its validation firmware and give --port"),
    (["--board", "nope"], 2, "unknown board 'nope'"),
    (["--board", "host", "--data", str(DATA / "fake_model")], 1, "no readable images"),
])
def test_cli_validate_usage_errors(tmp_path, args, code, message):
    from click.testing import CliRunner

    from mcunets.cli import cli

    res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--out", str(tmp_path), *args])
    assert res.exit_code == code, res.output
    assert message in res.output and "Traceback" not in res.output


# ---- the serial path: qemu-stm32f4's USART on a pseudo-terminal, read with pyserial -----------------

STM32F4 = board_param("qemu-stm32f4")


def _start_later(start, delay=1.0):
    """Start the emulated board once the command under test has opened the port (as a user resets a
    board after starting mcunets)."""
    import threading

    timer = threading.Timer(delay, start)
    timer.start()
    return timer


@pytest.mark.parametrize("board", [STM32F4])
def test_profile_reads_an_emulated_board_through_its_serial_port(board, tmp_path):
    from click.testing import CliRunner

    from mcunets.cli import cli

    model = TINY.read_bytes()
    src = targets.engine_sources(model, "tiny", tmp_path / "model")
    fw = targets.build(src, board, tmp_path / "fw", runs=3, warmup=1, seed=5)
    with targets.serial_board(fw) as (port, start):
        timer = _start_later(start)
        res = CliRunner().invoke(cli, ["profile", "--port", port, "--model", str(TINY), "--timeout", "30",
                                       "--out", str(tmp_path / "p")])
        timer.join()
    assert res.exit_code == 0, res.output
    assert "qemu-stm32f4" in res.output and "bit-exact with the TFLite reference" in res.output
    report = parse_report((tmp_path / "p" / "report.log").read_text())
    assert report.counter == "instructions" and len(report.runs) == 3
    assert max(report.runs) - min(report.runs) <= 8  # TIM2: one count per instruction


@pytest.mark.parametrize("board", [STM32F4])
def test_validate_drives_an_emulated_board_through_its_serial_port(board, tmp_path):
    from click.testing import CliRunner

    from mcunets.cli import cli

    src = targets.engine_sources(TINY.read_bytes(), "tiny", tmp_path / "model")
    fw = targets.build(src, board, tmp_path / "fw", validate=True)
    with targets.serial_board(fw) as (port, start):
        timer = _start_later(start)
        res = CliRunner().invoke(cli, ["validate", "--model", str(TINY), "--board", board, "--port", port,
                                       "--samples", "3", "--timeout", "30"])
        timer.join()
    assert res.exit_code == 0, res.output
    assert "3 of 3 samples bit-exact" in res.output


@pytest.mark.parametrize("board", [STM32F4])
def test_a_board_that_never_starts_times_out_in_one_line(board, tmp_path):
    from click.testing import CliRunner

    from mcunets.cli import cli

    fw = targets.build(fake_sources(), board, tmp_path / "fw", runs=1, warmup=0)
    with targets.serial_board(fw) as (port, _start):
        res = CliRunner().invoke(cli, ["profile", "--port", port, "--timeout", "2", "--out",
                                       str(tmp_path / "p")])
    assert res.exit_code == 1
    assert res.output.startswith("Error: no report from") and "reset the board" in res.output


@pytest.mark.slow
@pytest.mark.parametrize("board, arch", [
    pytest.param(board, arch, marks=board_param(board).marks)
    for board, arch in [("qemu-m7", "shufflenet"), ("qemu-rv32", "effnet"), ("qemu-stm32f4", "mixnet")]
])
def test_a_zoo_architecture_validates_bit_exact_on_each_emulated_board(board, arch, tmp_path):
    """One architecture per emulated board in CI (benchmarks/validate_zoo.py runs all of them)."""
    from click.testing import CliRunner

    from mcunets import convert
    from mcunets.cli import cli

    model, _ = convert.untrained_int8(arch, alpha=0.25, resolution=32, channels=3, classes=4)
    path = tmp_path / f"{arch}.tflite"
    path.write_bytes(model)
    res = CliRunner().invoke(cli, ["validate", "--model", str(path), "--board", board, "--samples", "2",
                                   "--out", str(tmp_path / "v")])
    assert res.exit_code == 0, res.output
    assert "2 of 2 samples bit-exact" in res.output
