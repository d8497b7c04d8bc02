"""The ESP32's instruction set (Xtensa LX6, windowed ABI) for the code mcunets renders for it.

No Xtensa emulator or Espressif compiler is available here, but LLVM 22 has an Xtensa back end with an
``esp32`` CPU: every C file of a rendered esp32 project (the engine's kernels, the generated model, the
driver and the runtime adapter) is compiled to Xtensa assembly with warnings as errors, so C that is not
portable to the ESP32 fails here before a user's ESP-IDF build. The ESP-IDF port (C++ against ESP-IDF's
headers) is not compiled: those headers are not available.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mcunets.render import render_firmware

CLANG = shutil.which("clang-22")
LLC = "/usr/lib/llvm-22/bin/llc"
# newlib's C headers (from the Arm toolchain's libnewlib) are target-neutral and know __XTENSA__.
LIBC_HEADERS = "/usr/lib/arm-none-eabi/include"
TINY = Path(__file__).parent / "data" / "tiny_int8.tflite"

pytestmark = pytest.mark.skipif(not (CLANG and Path(LLC).exists() and Path(LIBC_HEADERS).is_dir()),
                                reason="needs clang-22, llvm-22 and libnewlib-arm-none-eabi")


def to_xtensa_assembly(source: Path, include_dirs, out: Path) -> str:
    ir = out.with_suffix(".ll")
    subprocess.run([CLANG, "--target=xtensa", "-S", "-emit-llvm", "-O2", "-std=c99", "-Wall", "-Wextra",
                    "-Werror", "-DMCUNETS_PROFILE", "-isystem", LIBC_HEADERS,
                    *(f"-I{d}" for d in include_dirs), "-o", str(ir), str(source)],
                   check=True, capture_output=True, text=True)
    subprocess.run([LLC, "-mtriple=xtensa", "-mcpu=esp32", "-O2", str(ir), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out.read_text()


def test_rendered_esp32_project_compiles_to_xtensa_without_warnings(tmp_path):
    project = tmp_path / "fw"
    render_firmware(TINY.read_bytes(), "esp32", "mcunets", project, name="tiny")
    src = project / "src"
    sources = sorted(src.rglob("*.c"))
    assert {"mcu_driver.c", "runtime_mcunets.c", "model.c", "mcu_conv_s8.c"} <= {p.name for p in sources}
    for source in sources:
        try:
            asm = to_xtensa_assembly(source, [src, src / "engine"], tmp_path / f"{source.stem}.s")
        except subprocess.CalledProcessError as e:
            pytest.fail(f"{source.relative_to(project)} does not compile for the ESP32: {e.stderr.strip()}")
        if "\tentry\t" in asm:  # code with functions: the windowed ABI's frames and returns
            assert "retw" in asm
    model = (tmp_path / "model.s").read_text()
    assert "\tentry\ta1" in model and re.search(r"\tcallx?8\t", model)  # windowed calls into the kernels


def test_non_portable_c_is_caught(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("#include <stdint.h>\nint32_t f(int32_t *p) { int32_t x; return p[0] + x; }\n")
    with pytest.raises(subprocess.CalledProcessError) as e:
        to_xtensa_assembly(bad, [], tmp_path / "bad.s")
    assert "uninitialized" in e.value.stderr
