"""The Cortex-M DSP kernel paths (firmware/engine/*_dsp_s8.c) on qemu-m4 against TFLite's reference
kernels, byte for byte: randomized chains of 1x1 convolutions, 3x3 depthwise convolutions (stride 1
and 2) and k x k convolutions (im2col), built for the emulated Cortex-M4F where __ARM_FEATURE_DSP is
defined. The host runs of tests/test_engine_ops.py cover the portable paths of the same kernels.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mcunets.engine.testing import make_case, reference

pytestmark = pytest.mark.skipif(
    not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
    reason="needs gcc-arm-none-eabi and qemu-system-arm",
)

MODELS = 3
RUNS = 3


def check_on_qemu(case, build_dir) -> list:
    from mcunets import targets

    got = targets.validate_model(case.model, "qemu-m4", case.inputs, build_dir)
    bad = []
    for inputs, outs in zip(case.inputs, got):
        want = [w.tobytes() for w in reference(case.model, inputs)]
        if outs != want:
            bad.append(case.name)
    return bad


@pytest.mark.parametrize("seed", range(MODELS))
def test_dsp_paths_are_bit_exact_on_qemu(seed, tmp_path):
    case = make_case("DSP_CHAIN", np.random.default_rng(7000 + seed), runs=RUNS)
    assert not check_on_qemu(case, tmp_path), case.name


def test_dsp_paths_are_taken(tmp_path):
    """The generated layers carry fast_requant = 1 and DSP scratch, so the chains exercise the DSP code."""
    from mcunets.engine import generate

    case = make_case("DSP_CHAIN", np.random.default_rng(7000), runs=1)
    gen = generate(case.model, "m")
    assert any(l.scratch_bytes > 0 for l in gen.layers)
    import re

    flags = re.findall(r"mcu_(?:dw_)?conv_params l\d+_params = \{.*, (\d)\};", gen.files["model.c"])
    assert flags and all(f == "1" for f in flags)
