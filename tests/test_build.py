"""`mcunets build`: renders into the output folder, then fails fast and distinctly when PlatformIO
cannot install the board's platform (this machine has no route to PlatformIO's registry)."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from mcunets import build as build_mod
from mcunets import data, fit
from mcunets.build import build_firmware, platform_installed, registry_reachable
from mcunets.boards import load_board
from mcunets.cli import cli
from mcunets.errors import FitError, PlatformUnavailableError

from tests.test_render import make_tiny_model


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.tflite"
    path.write_bytes(make_tiny_model())
    return path


@pytest.fixture
def few_images(monkeypatch):
    """The built-in dataset with 20 training and 8 validation images per class (200 and 50 unless told):
    these tests check the pipeline around the training, not what it learns."""
    builtin = data.builtin
    monkeypatch.setattr(data, "builtin", lambda resolution=96, channels=3: builtin(resolution, channels, 20, 8))


def _offline() -> bool:
    return not registry_reachable() and not platform_installed(load_board("stm32f401").platformio.platform)


def test_build_exits_3_offline_and_keeps_the_project(tiny_path, tmp_path):
    if not _offline():
        pytest.skip("PlatformIO's registry is reachable here; the offline path cannot be exercised")
    out = tmp_path / "out"
    t0 = time.monotonic()
    r = CliRunner().invoke(cli, ["build", "--model", str(tiny_path), "--board", "stm32f401",
                                 "--out", str(out)])
    assert time.monotonic() - t0 < 30
    assert r.exit_code == 3, r.output
    lines = [line for line in r.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "PlatformIO cannot install platform" in lines[0]
    assert (out / "model.tflite").read_bytes() == tiny_path.read_bytes()
    assert (out / "firmware" / "platformio.ini").exists()
    report = json.loads((out / "report.json").read_text())
    assert report["build"]["status"] == "platform-unavailable"
    assert report["board"] == "stm32f401" and report["fit"]["fits"]


def test_default_out_dir_and_no_build(tiny_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["build", "--model", str(tiny_path), "--board", "esp32c3", "--no-build"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "build" / "tiny-esp32c3"
    assert {p.name for p in out.iterdir()} == {"model.tflite", "report.json", "firmware"}
    assert json.loads((out / "report.json").read_text())["build"]["status"] == "rendered"
    # A training run's model.tflite is named after its folder, so runs do not overwrite each other.
    trained = tmp_path / "runs" / "effnet" / "model.tflite"
    trained.parent.mkdir(parents=True)
    trained.write_bytes(tiny_path.read_bytes())
    r = CliRunner().invoke(cli, ["build", "--model", "runs/effnet/model.tflite", "--board", "esp32c3",
                                 "--no-build"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "build" / "effnet-esp32c3" / "firmware" / "platformio.ini").exists()


def test_download_failure_in_pio_output_is_platform_unavailable(tiny_path, tmp_path, monkeypatch):
    """When the platform is installed but a later download fails, pio's output decides."""
    monkeypatch.setattr(build_mod, "platform_installed", lambda spec: True)
    fake_pio = tmp_path / "pio"
    fake_pio.write_text("#!/bin/sh\necho 'Platform Manager: Installing ststm32'\necho 'HTTPClientError: '\nexit 1\n")
    fake_pio.chmod(0o755)
    monkeypatch.setattr(build_mod, "pio_command", lambda: [str(fake_pio)])
    with pytest.raises(PlatformUnavailableError) as e:
        build_firmware(tiny_path.read_bytes(), "stm32f746", "tflm", tmp_path / "o", name="tiny")
    assert e.value.exit_code == 3
    assert (tmp_path / "o" / "firmware" / "src" / "mcu_driver.c").exists()
    assert "HTTPClientError" in (tmp_path / "o" / "pio-run.log").read_text()


def test_oversized_model_is_refused_and_nothing_is_written(tmp_path):
    big = make_tiny_model(channels=96, resolution=96)
    path = tmp_path / "big.tflite"
    path.write_bytes(big)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", "--model", str(path), "--board", "stm32f401", "--out", str(out)])
    assert r.exit_code == FitError.exit_code == 1
    assert "does not fit stm32f401" in r.output and "largest fitting α" in r.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temp folder left


def test_failed_render_leaves_the_previous_output_untouched(tiny_path, tmp_path):
    out = tmp_path / "out"
    build_firmware(tiny_path.read_bytes(), "stm32l4r5", "tflm", out, name="tiny", build=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(Exception):
        build_firmware(b"garbage", "stm32l4r5", "tflm", out, name="tiny", build=False)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before == after


def test_bad_board_and_port_without_upload(tiny_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["build", "--model", str(tiny_path), "--board", "nope", "--no-build"])
    assert r.exit_code == 2 and "unknown board 'nope'" in r.output
    r = runner.invoke(cli, ["build", "--model", str(tiny_path), "--board", "esp32", "--port", "/dev/x"])
    assert r.exit_code == 2 and "--port is only used with --upload or --profile" in r.output


@pytest.mark.slow
def test_build_arch_trains_and_profiles_on_the_host_board(tmp_path, monkeypatch, few_images):
    """The whole pipeline on a simulated board: train → QAT → int8 → engine C → compile → run → report,
    into a relative output folder (the firmware runs from inside it)."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", "--arch", "effnet", "--board", "host", "--resolution", "32",
                                 "--epochs", "1", "--qat-epochs", "1", "--runs", "2", "--warmup", "0",
                                 "--profile", "--out", "out"])
    assert r.exit_code == 0, r.output
    assert "outputs: bit-exact with the TFLite reference kernels" in r.output
    assert {"model.tflite", "report.json", "train_report.json", "firmware", "profile.json",
            "profile.png"} <= {p.name for p in out.iterdir()}
    profile = json.loads((out / "profile.json").read_text())
    assert profile["counter"] == "ns" and profile["layers"][0]["op"] == "CONV_2D"
    assert json.loads((out / "train_report.json").read_text())["arch"] == "effnet"


@pytest.mark.slow
def test_build_arch_for_a_real_board_stops_at_platformio_offline(tmp_path, few_images):
    if not _offline():
        pytest.skip("PlatformIO's registry is reachable here; the offline path cannot be exercised")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", "--arch", "effnet", "--board", "esp32", "--resolution", "32",
                                 "--epochs", "1", "--qat-epochs", "0", "--out", str(out)])
    assert r.exit_code == 3, r.output
    assert r.output.strip().splitlines()[-1].startswith("Error: PlatformIO cannot install platform")
    assert (out / "firmware" / "platformio.ini").exists()
    assert (out / "train_report.json").exists()


def test_build_needs_exactly_one_of_arch_and_model(tiny_path):
    r = CliRunner().invoke(cli, ["build", "--board", "esp32"])
    assert r.exit_code == 2 and "exactly one of --arch" in r.output
    r = CliRunner().invoke(cli, ["build", "--board", "esp32", "--arch", "effnet", "--model", str(tiny_path)])
    assert r.exit_code == 2


def test_build_unknown_board_fails_before_training(tmp_path):
    r = CliRunner().invoke(cli, ["build", "--arch", "effnet", "--board", "nosuchboard", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "unknown board 'nosuchboard'" in r.output
    assert not (tmp_path / "o").exists()


def test_build_validate_renders_validation_firmware(tiny_path, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", "--model", str(tiny_path), "--board", "stm32f746", "--no-build",
                                 "--validate", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "report.json").read_text())["validate"] is True
    assert "MCU_VALIDATE 1" in (out / "firmware" / "src" / "mcu_config.h").read_text()
    r = CliRunner().invoke(cli, ["build", "--model", str(tiny_path), "--board", "host", "--validate"])
    assert r.exit_code == 2 and "mcunets validate --board" in r.output


# ---- the fit check before training, the runtime auto picks, kept work --------------------------------


@pytest.mark.slow
def test_readme_command_builds_with_the_runtime_that_fits(tmp_path, monkeypatch, few_images):
    """`mcunets build --arch effnet --board esp32`, as the README gives it (with a short epoch budget):
    TFLM's arena does not fit the ESP32's SRAM, so auto takes the engine; offline, PlatformIO stops it
    with exit 3 and the project is rendered for the engine, beside the trained model."""
    if not _offline():
        pytest.skip("PlatformIO's registry is reachable here; the offline path cannot be exercised")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["build", "--arch", "effnet", "--board", "esp32",
                                 "--epochs", "1", "--qat-epochs", "1"])
    assert r.exit_code == 3, r.output
    out = tmp_path / "build" / "effnet-esp32"
    assert "runtime mcunets on esp32: tflm does not fit" in r.output
    assert r.output.strip().splitlines()[-1].startswith("Error: PlatformIO cannot install platform")
    report = json.loads((out / "report.json").read_text())
    assert report["runtime"] == "mcunets" and report["fit"]["fits"]
    assert report["build"]["status"] == "platform-unavailable"
    assert (out / "firmware" / "src" / "runtime_mcunets.c").exists()
    assert (out / "model.tflite").read_bytes()[4:8] == b"TFL3"
    assert json.loads((out / "train_report.json").read_text())["arch"] == "effnet"


def test_architecture_that_cannot_fit_is_refused_in_seconds(tmp_path):
    out = tmp_path / "o"
    t0 = time.monotonic()
    r = CliRunner().invoke(cli, ["build", "--arch", "xception", "--alpha", "1.0", "--resolution", "224",
                                 "--board", "stm32f401", "--out", str(out)])
    assert time.monotonic() - t0 < 60
    assert r.exit_code == 1, r.output
    error = [line for line in r.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "cannot fit stm32f401 with any runtime" in error[0]
    assert "largest fitting α ≤ 0.1" in error[0]  # weights ∝ α²: 14.2 MB at α=1 against 512 KB
    assert "float training" not in r.output and not out.exists()


def test_the_quick_bound_does_not_refuse_what_patches_can_hold():
    """A layer output larger than the board's SRAM refuses a model only layer by layer: a patch-based
    schedule never holds it whole (EffNet α=0.35 at 80 px: its first output is 80×80×16)."""
    from mcunets.errors import FitError
    from mcunets.train import build_model

    board, model = load_board("stm32f401"), build_model("effnet", alpha=0.35, resolution=80, channels=3,
                                                             classes=10)
    fit.lower_bound(board, model, 0.35, 80)
    with pytest.raises(FitError, match=r"a 102,400 B layer output; SRAM needs at least"):
        fit.lower_bound(board, model, 0.35, 80, patches="off")


def test_an_input_larger_than_the_board_asks_for_a_lower_resolution_not_a_smaller_width():
    from mcunets.errors import FitError
    from mcunets.train import build_model

    board, model = load_board("stm32f401"), build_model("mobilenet", alpha=0.25, resolution=224, channels=3,
                                                             classes=2)
    with pytest.raises(FitError, match=r"a 150,528 B input or output; SRAM needs at least .*; no width "
                                       r"fits: the input or output does not shrink with α; try resolution ≤ "
                                       r"1[5-8]\d$"):
        fit.lower_bound(board, model, 0.25, 224)


def test_fit_is_checked_before_training_and_names_the_runtime_that_fits(tmp_path):
    """effnet at 96 px passes the quick bound on the ESP32, but its exact TFLM arena does not fit:
    refused on the untrained conversion, pointing at the engine, without training."""
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["build", "--arch", "effnet", "--board", "esp32", "--runtime", "tflm",
                                 "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert "model does not fit esp32 with tflm" in r.output and "--runtime mcunets fits" in r.output
    assert "stm32f746 (mcunets, tflm)" in r.output  # a larger board that fits both
    assert "float training" not in r.output and not out.exists()


def test_auto_takes_the_first_runtime_of_the_board_that_fits(tiny_path):
    needs = fit.measure(tiny_path.read_bytes())
    assert fit.choose_runtime(load_board("esp32"), needs).runtime == "tflm"       # ESP-NN first
    assert fit.choose_runtime(load_board("stm32f746"), needs).runtime == "mcunets"  # the engine first
    # TFLM's arena grown past the ESP32's SRAM: auto falls back to the engine and says why.
    big = fit.Needs("tflm", needs["tflm"].info, 400_000)
    choice = fit.choose_runtime(load_board("esp32"), {**needs, "tflm": big})
    assert choice.runtime == "mcunets" and "tflm does not fit (SRAM needs" in choice.reason
    with pytest.raises(FitError, match="--runtime mcunets fits"):
        fit.choose_runtime(load_board("esp32"), {**needs, "tflm": big}, "tflm")


@pytest.mark.slow
def test_trained_model_is_kept_when_a_later_step_fails(tmp_path, monkeypatch, few_images):
    def broken(*args, **kwargs):
        raise build_mod.McunetsError("building for host failed: cc: error: something")

    monkeypatch.setattr(build_mod, "build_simulated", broken)
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["build", "--arch", "mobilenet", "--board", "host", "--resolution", "32",
                                 "--epochs", "1", "--qat-epochs", "0", "--out", str(out)])
    assert r.exit_code == 1, r.output
    error = r.output.strip().splitlines()[-1]
    assert error.startswith("Error: building for host failed")
    assert f"the trained model is kept in {out / 'model.tflite'}" in error
    assert f"mcunets build --model {out / 'model.tflite'} --board host" in error
    assert (out / "model.tflite").exists() and (out / "train_report.json").exists()


def test_interrupt_exits_130(tiny_path, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "build_firmware", interrupted)
    r = CliRunner().invoke(cli, ["build", "--model", str(tiny_path), "--board", "esp32", "--out",
                                 str(tmp_path / "o")])
    assert r.exit_code == 130 and "Interrupted" in r.output


# ---- failures that say their cause ------------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 a zip file, not a model" * 4, "not a TFLite model"),
    ("truncated", "is truncated or damaged: it has"),
])
def test_unreadable_model_is_refused_before_anything_happens(tiny_path, tmp_path, content, message):
    path = tmp_path / "bad.tflite"
    path.write_bytes(tiny_path.read_bytes()[:600] if content == "truncated" else content)
    for board in ("qemu-m4", "esp32"):
        r = CliRunner().invoke(cli, ["build", "--model", str(path), "--board", board,
                                     "--out", str(tmp_path / "o")])
        assert r.exit_code == 1, r.output
        assert r.output.splitlines() == [f"Error: {path}: {r.output.split(': ', 2)[2].strip()}"]
        assert message in r.output and "compiling" not in r.output
        assert not (tmp_path / "o").exists()


def test_oversized_model_on_a_simulated_board_is_refused_before_compiling(tmp_path):
    big = tmp_path / "big.tflite"
    big.write_bytes(make_tiny_model(channels=1500, resolution=8))  # 4.5 MB of weights; qemu-m4 has 4 MiB
    r = CliRunner().invoke(cli, ["build", "--model", str(big), "--board", "qemu-m4",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 1, r.output
    assert "model does not fit qemu-m4" in r.output and "flash needs" in r.output
    assert "compiling" not in r.output and not (tmp_path / "o").exists()


def test_failed_compile_keeps_its_log_and_quotes_the_compiler(tiny_path, tmp_path, monkeypatch):
    """A board whose linker script leaves too little flash: the error quotes the linker's own line and
    points at a log that exists."""
    import dataclasses

    from mcunets import targets

    small = dataclasses.replace(targets.load_board("qemu-m4"), flash_bytes=4096)
    monkeypatch.setattr(targets, "load_board", lambda name: small)
    out = tmp_path / "o"
    with pytest.raises(build_mod.McunetsError) as e:
        build_mod.build_simulated(tiny_path.read_bytes(), "qemu-m4", out, name="tiny")
    msg = str(e.value)
    assert "overflowed by" in msg and "collect2" not in msg
    log = out / "firmware" / "build.log"
    assert f"(full log: {log})" in msg and "overflowed by" in log.read_text()
    assert json.loads((out / "report.json").read_text())["build"]["status"] == "failed"
