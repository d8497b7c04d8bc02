"""Rendering PlatformIO projects: every board × runtime, accepted by PlatformIO, deterministic, atomic."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mcunets.boards import load_board, load_boards
from mcunets.errors import FitError, McunetsError
from mcunets.fit import check_fit, model_info, tflm_arena_size
from mcunets.render import TFLM_OP_METHODS, render_firmware
from mcunets.tflm import arena_bytes, model_ops


@functools.lru_cache(maxsize=None)
def make_tiny_model(channels: int = 8, resolution: int = 16) -> bytes:
    """A small int8 CNN: conv, depthwise conv, 1×1 conv, global pool, dense, softmax."""
    import mcunets  # noqa: F401  (selects tf-keras)
    import numpy as np
    import tensorflow as tf

    inp = tf.keras.Input((resolution, resolution, 3))
    x = tf.keras.layers.Conv2D(channels, 3, strides=2, padding="same", activation="relu")(inp)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = tf.keras.layers.Conv2D(channels * 2, 1, activation="relu")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    out = tf.keras.layers.Softmax()(tf.keras.layers.Dense(4)(x))
    conv = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, out))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: (
        [rng.random((1, resolution, resolution, 3), dtype=np.float32)] for _ in range(8))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    # Per-tensor dense weights, so the mcunets engine can run the model too.
    conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return conv.convert()


@pytest.fixture(scope="module")
def tiny():
    return make_tiny_model()


def _engine_available() -> bool:
    try:
        from mcunets import engine
    except ImportError:
        return False
    return hasattr(engine, "generate")


def _pairs():
    for b in load_boards():
        if b.is_platformio:
            for rt in b.runtimes:
                yield b.name, rt


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("board,runtime", list(_pairs()))
def test_render_every_board_and_runtime(tiny, tmp_path, board, runtime):
    if runtime == "mcunets" and not _engine_available():
        pytest.skip("the mcunets engine (mcunets.engine.generate) is not in this tree yet")
    dest = tmp_path / "fw"
    r = render_firmware(tiny, board, runtime, dest, name="tiny model!", runs=3, warmup=1)
    b = load_board(board)
    files = _tree(dest)
    assert {"platformio.ini", "README.md", "manifest.json", "src/mcu_driver.c", "src/mcu_config.h",
            "src/mcu_counter.h", "src/mcu_port.cpp"} <= set(files)
    config = (dest / "src/mcu_config.h").read_text()
    assert '#define MCU_MODEL_NAME "tiny_model"' in config  # no spaces in protocol values
    assert f'#define MCU_BOARD "{board}"' in config
    assert f"#define MCU_CPU_HZ {b.cpu_hz}ul" in config
    assert "#define MCU_RUNS 3" in config
    counter = (dest / "src/mcu_counter.h").read_text()
    assert {"dwt": "CYCCNT", "ccount": "rsr.ccount", "esp-pccr": "esp_cpu_get_cycle_count"}[
        b.cycle_counter] in counter
    port = (dest / "src/mcu_port.cpp").read_text()
    assert ("app_main" in port) == (b.platformio.framework == "espidf")
    ini = (dest / "platformio.ini").read_text()
    assert f"board = {b.platformio.board}" in ini and f"monitor_speed = {b.serial_baud}" in ini
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["inputs"]["model.tflite"] == hashlib.sha256(tiny).hexdigest()
    assert manifest["files"]["src/mcu_driver.c"] == files["src/mcu_driver.c"]
    if runtime == "tflm":
        ops = model_ops(tiny)
        src = (dest / "src/runtime_tflm.cpp").read_text()
        assert f"MicroMutableOpResolver<{len(ops)}>" in src
        assert re.findall(r"resolver\.(Add\w+)\(\)", src) == [TFLM_OP_METHODS[o] for o in ops]
        assert f"#define MCU_ARENA_BYTES {tflm_arena_size(arena_bytes(tiny))}u" in config
        data = (dest / "src/model_data.cc").read_text()
        assert "alignas(16) const unsigned char mcu_model_data[]" in data
        hex_bytes = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", data))
        assert hex_bytes == tiny
        if b.platformio.framework == "espidf":
            yml = (dest / "src/idf_component.yml").read_text()
            assert "espressif/esp-tflite-micro" in yml
            assert (dest / "CMakeLists.txt").exists() and (dest / "sdkconfig.defaults").exists()
        else:
            assert "Chirale_TensorFlowLite" in ini
    else:
        assert (dest / "src/model.h").exists()
        assert "-DMCUNETS_PROFILE" in ini
        # report.json records the engine's schedule, as the head of model.c says it
        schedule = r.as_dict()["schedule"]
        assert schedule["description"] in (dest / "src/model.c").read_text().split("*/")[0]
        assert {"stages", "grid", "arena_bytes", "layer_arena_bytes"} <= set(schedule)
    assert ("schedule" in r.as_dict()) == (runtime == "mcunets")
    assert r.fit.fits


@pytest.mark.skipif(not shutil.which("cc"), reason="needs a host C compiler")
def test_engine_project_driver_runs_on_the_host(tiny, tmp_path):
    """The rendered engine project's driver and runtime adapter are the simulated boards' own: built with
    the host port they print a report, and the validation build answers the same inputs alike."""
    if not _engine_available():
        pytest.skip("the mcunets engine (mcunets.engine.generate) is not in this tree yet")
    from mcunets import targets
    from mcunets.report import parse_report, parse_validation
    from mcunets.resources import resource_dir

    def build(dest: Path, validate: bool) -> Path:
        render_firmware(tiny, "stm32l4r5", "mcunets", dest, name="tiny", runs=3, warmup=1,
                        validate=validate)
        src = dest / "src"
        assert (f"#define MCU_VALIDATE {int(validate)}") in (src / "mcu_config.h").read_text()
        exe = dest / "firmware"
        sources = sorted(map(str, src.glob("*.c"))) + sorted(map(str, (src / "engine").glob("*.c")))
        proc = subprocess.run(["cc", "-O2", "-std=c99", "-DMCUNETS_PROFILE", f"-I{src}", f"-I{src / 'engine'}",
                               *sources, str(resource_dir("templates") / "host" / "port.c"), "-lm",
                               "-o", str(exe)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return exe

    report = parse_report(subprocess.run([build(tmp_path / "p", False)], capture_output=True, text=True,
                                         timeout=60, check=True).stdout)
    assert (report.board, report.counter, report.runtime, report.model) == (
        "stm32l4r5", "cycles", "mcunets", "tiny")
    assert [l.op for l in report.layers] == list(model_info(tiny).layer_ops)
    assert len(report.runs) == 3
    inputs = targets.runner_inputs(targets.io_specs(tiny)[0], 1)
    out = subprocess.run([build(tmp_path / "v", True)], input=targets.input_lines(inputs) + "@mcu quit\n",
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "@mcu ready inputs=1" in out
    (answer,) = parse_validation(out)
    assert [o.data for o in answer] == [o.data for o in report.outputs]


def test_pio_project_config_accepts_every_platformio_ini(tiny, tmp_path):
    from mcunets.build import pio_command

    for b in load_boards():
        if not b.is_platformio:
            continue
        dest = tmp_path / b.name
        render_firmware(tiny, b, "tflm", dest)
        proc = subprocess.run(pio_command() + ["project", "config", "-d", str(dest), "--json-output"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        sections = dict(json.loads(proc.stdout))
        env = dict(sections[f"env:{b.name}"])
        assert env["board"] == b.platformio.board
        assert env["framework"] == [b.platformio.framework]


def test_rendering_is_deterministic(tiny, tmp_path):
    for board in ("stm32l4r5", "esp32s3"):
        render_firmware(tiny, board, "tflm", tmp_path / f"a-{board}", name="tiny")
        render_firmware(tiny, board, "tflm", tmp_path / f"b-{board}", name="tiny")
        a, b = tmp_path / f"a-{board}", tmp_path / f"b-{board}"
        assert _tree(a) == _tree(b)
        for rel in _tree(a):
            assert (a / rel).read_bytes() == (b / rel).read_bytes()


def test_render_refuses_bad_requests(tiny, tmp_path):
    with pytest.raises(McunetsError, match="not PlatformIO"):
        render_firmware(tiny, "host", "tflm", tmp_path / "h")
    with pytest.raises(McunetsError, match="unknown runtime"):
        render_firmware(tiny, "esp32", "onnx", tmp_path / "o")
    with pytest.raises(McunetsError, match="not a TFLite model"):
        render_firmware(b"not a model", "esp32", "tflm", tmp_path / "m")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(McunetsError, match="not empty"):
        render_firmware(tiny, "esp32", "tflm", tmp_path / "full")
    assert not (tmp_path / "h").exists() and not (tmp_path / "o").exists() and not (tmp_path / "m").exists()


def test_fit_check_refuses_oversized_model_and_suggests_alpha(tiny):
    board = load_board("stm32f401")
    info = model_info(tiny)
    # A measured arena far above the board's 96 KiB: the suggestion must fit when applied.
    with pytest.raises(FitError) as e:
        check_fit(board, "tflm", info, 400_000, alpha=0.5, resolution=96)
    msg = str(e.value)
    assert "\n" not in msg and "SRAM needs" in msg and "98,304" in msg
    alpha = float(re.search(r"α ≤ ([0-9.]+)", msg).group(1))
    res = int(re.search(r"resolution ≤ (\d+)", msg).group(1))
    assert 0 < alpha < 0.5 and 0 < res < 96
    # Applying the estimate (activations ∝ α·ρ²) at the suggested α gives a fitting arena.
    arena = tflm_arena_size(400_000) * alpha / 0.5
    assert arena + 4_096 + board.stack_bytes <= board.sram_bytes
    # Flash: a model bigger than the flash is refused on flash, with α scaled by sqrt.
    big = info.__class__(info.layer_ops, info.ops, info.input_bytes, info.output_bytes, 600_000,
                         info.sha256)
    with pytest.raises(FitError, match="flash needs .* of 524,288"):
        check_fit(board, "tflm", big, 10_000)
    fit = check_fit(board, "tflm", info, arena_bytes(tiny))
    assert fit.fits and fit.alpha_scale > 1


def test_render_raises_fit_error_before_writing(tmp_path):
    big = make_tiny_model(channels=96, resolution=96)
    dest = tmp_path / "fw"
    with pytest.raises(FitError, match="does not fit stm32f401"):
        render_firmware(big, "stm32f401", "tflm", dest)
    assert not dest.exists()
