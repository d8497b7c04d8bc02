"""The rendered framework ports against the TFLM their boards' libraries ship (docs/firmware.md): the
Arduino port's DebugLog takes whichever signature the installed TFLM declares, checked by compiling it
against stand-ins of both TFLM headers (the real libraries were checked outside the tests)."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from mcunets.render import render_firmware

OLD_DEBUG_LOG = """
    #ifndef TENSORFLOW_LITE_MICRO_DEBUG_LOG_H_
    #define TENSORFLOW_LITE_MICRO_DEBUG_LOG_H_
    #ifdef __cplusplus
    extern "C" {
    #endif
    void DebugLog(const char* s);
    #ifdef __cplusplus
    }
    #endif
    #endif
"""
NEW_DEBUG_LOG = """
    #ifndef TENSORFLOW_LITE_MICRO_DEBUG_LOG_H_
    #define TENSORFLOW_LITE_MICRO_DEBUG_LOG_H_
    #include <cstdarg>
    #include <cstddef>
    extern "C" {
    void DebugLog(const char* format, va_list args);
    int DebugVsnprintf(char* buffer, size_t buf_size, const char* format, va_list vlist);
    }
    #endif
"""
MICRO_STRING = """
    #ifndef TENSORFLOW_LITE_MICRO_MICRO_STRING_H_
    #define TENSORFLOW_LITE_MICRO_MICRO_STRING_H_
    #endif
"""
ARDUINO_H = """
    #pragma once
    #include <stddef.h>
    #include <stdint.h>
    struct SerialStub {
      void begin(unsigned long);
      size_t write(const uint8_t*, size_t);
      void flush();
      int available();
      int read();
      size_t print(const char*);
      explicit operator bool();
    };
    extern SerialStub Serial;
    unsigned long millis();
    void delay(unsigned long);
"""


@pytest.fixture(scope="module")
def tiny_model() -> bytes:
    import mcunets  # noqa: F401  (selects tf-keras)
    import numpy as np
    import tf_keras as keras

    from mcunets import convert

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    model = keras.Model(inp, keras.layers.Softmax()(keras.layers.Flatten()(x)))
    return convert.to_int8_tflite(model, np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 3)))


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def _compile_port(src: Path, lib: Path, stubs: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["g++", "-std=gnu++17", "-fsyntax-only", "-Wall", "-Werror", "-DTF_LITE_STATIC_MEMORY",
                           "-DARDUINO_EXCLUDE_CODE", f"-I{stubs}", f"-I{lib}", f"-I{src}", str(src / "mcu_port.cpp")],
                          capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs a host g++")
def test_arduino_port_defines_the_debuglog_its_tflm_declares(tiny_model, tmp_path):
    render_firmware(tiny_model, "stm32l4r5", "tflm", tmp_path / "fw")
    src = tmp_path / "fw" / "src"
    port = (src / "mcu_port.cpp").read_text()
    assert '#include "tensorflow/lite/micro/debug_log.h"' in port
    stubs = _tree(tmp_path / "stubs", {"Arduino.h": ARDUINO_H})
    debug_log = "tensorflow/lite/micro/debug_log.h"
    # Chirale_TensorFlowLite v2.0.0 and TFLM before July 2023: DebugLog(const char*), micro_string.h present.
    old = _tree(tmp_path / "old", {debug_log: OLD_DEBUG_LOG, "tensorflow/lite/micro/micro_string.h": MICRO_STRING})
    r = _compile_port(src, old, stubs)
    assert r.returncode == 0, r.stderr
    # TFLM since then (esp-tflite-micro, TFLM 90b983c): DebugLog(const char*, va_list), no micro_string.h.
    new = _tree(tmp_path / "new", {debug_log: NEW_DEBUG_LOG})
    r = _compile_port(src, new, stubs)
    assert r.returncode == 0, r.stderr
    # A library that fits neither rule is a compile error, not a call with the wrong arguments.
    odd = _tree(tmp_path / "odd", {debug_log: OLD_DEBUG_LOG})
    r = _compile_port(src, odd, stubs)
    assert r.returncode != 0 and "DebugLog" in r.stderr


def test_espidf_port_leaves_debuglog_to_esp_tflite_micro(tiny_model, tmp_path):
    """esp-tflite-micro compiles its own debug_log.cc (ESP-IDF console): a second DebugLog would clash."""
    render_firmware(tiny_model, "esp32s3", "tflm", tmp_path / "fw")
    port = (tmp_path / "fw" / "src" / "mcu_port.cpp").read_text()
    assert "DebugLog" not in port and "app_main" in port
