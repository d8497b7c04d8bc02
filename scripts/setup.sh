#!/usr/bin/env bash
# Install everything mcunets needs on a Debian machine with Python 3.11: the Arm and RISC-V toolchains and
# QEMU for the simulated boards, clang-22 (its Xtensa back end checks the C rendered for the ESP32), and a
# virtual environment with mcunets and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

need=()
for pkg in gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm \
           gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc clang-22; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test]"
touch "$VENV/.installed"
