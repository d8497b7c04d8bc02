"""The engine's instruction model (mcunets/latency.py): kinds, the fit, and the estimate against the
emulated board it stands for."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mcunets import convert, latency, targets
from mcunets.boards import load_board
from mcunets.engine.testing import with_kernel_objects
from mcunets.errors import McunetsError
from mcunets.report import parse_report


@pytest.fixture(scope="module")
def mobilenet():
    model, _ = convert.untrained_int8("mobilenet", alpha=0.25, resolution=32, classes=4)
    return model


def test_layers_are_told_apart_by_kernel_kind(mobilenet):
    costs = latency.layer_costs(mobilenet)
    kinds = [c.kind for c in costs]
    assert kinds[0] == "conv_first"  # 3 input channels
    assert kinds[1:3] == ["depthwise_3x3", "conv_1x1"]
    assert "fully_connected" in kinds or "conv_1x1" in kinds[-4:]
    assert kinds[-1] == "softmax"
    first = costs[0]
    assert first.outputs == 16 * 16 * 8 and first.macs == first.outputs * 27


def test_the_fit_recovers_a_linear_cost_and_keeps_coefficients_non_negative():
    rng = np.random.default_rng(0)
    truth = {"conv_1x1": (1.1, 6.0, 300.0), "add": (0.0, 9.0, 50.0)}
    samples = []
    for kind, (a, b, c) in truth.items():
        for _ in range(12):
            macs, outs = int(rng.integers(1e3, 1e6)), int(rng.integers(100, 1e4))
            samples.append((latency.LayerCost(0, kind.upper(), kind, macs, outs), round(a * macs + b * outs + c)))
    # A kind whose best least-squares intercept is negative: it is dropped and the rest refitted.
    samples += [(latency.LayerCost(0, "PAD", "pad", m, m), 3 * m - 40) for m in (100, 200, 400, 800)]
    coef = latency.fit(samples)
    for kind, values in truth.items():
        assert coef[kind] == pytest.approx(values, rel=1e-3, abs=0.5)
    assert min(coef["pad"]) >= 0 and coef["pad"][2] == 0
    assert set(coef) == {"conv_1x1", "add", "pad", latency.OTHER}


def test_a_core_without_an_instruction_model_is_refused():
    with pytest.raises(McunetsError, match=r"latency is unavailable for esp32 \(xtensa-lx6\).*drop --latency-ms"):
        latency.coefficients(load_board("esp32"))


@pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc") or not shutil.which("qemu-system-arm"),
                    reason="needs the Cortex-M toolchain and QEMU")
@pytest.mark.parametrize("arch, emulator, board", [("shufflenet", "qemu-m4", "stm32f401"),
                                                   ("mobilenet", "qemu-m7", "stm32f746")])
def test_the_estimate_is_close_to_the_emulated_boards_count(tmp_path, arch, emulator, board):
    """The stored qemu-m4 model against the count of an emulated core of the family (the Cortex-M7
    runs the same kernels) for models it was not fitted on (48 px); a kernel change that moves a
    model's cost by more than this needs `benchmarks/latency.py --write`."""
    model, _ = convert.untrained_int8(arch, alpha=0.35, resolution=48, classes=4)
    board = load_board(board)
    src = targets.engine_sources(model, "estimate", tmp_path / "model", emulator)
    text, _ = targets.profile_model(model, emulator, tmp_path, runs=1, warmup=0,
                                    sources=with_kernel_objects(src, emulator))
    measured = parse_report(text).median
    estimated = latency.estimate_ms(model, board) * board.cpu_hz / 1e3
    assert estimated == pytest.approx(measured, rel=0.25)
