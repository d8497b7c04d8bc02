"""Compile generated models with the host C compiler and run them through ctypes.

The kernel library (firmware/engine) is compiled once per set of sources and flags and cached; any
number of generated models (each with its own C prefix) are linked with it into one shared library,
so a test session pays for one compile per batch of models, not per model.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from mcunets.engine import EngineModel, kernel_dir, kernel_sources
from mcunets.errors import McunetsError

CFLAGS = ("-O3", "-std=c99", "-Wall", "-Werror", "-ffp-contract=off", "-fPIC")
_NP = {"int8": np.int8, "uint8": np.uint8, "float32": np.float32, "int32": np.int32, "int64": np.int64,
       "bool": np.bool_}

# A streamed model's input (generate(stream_input=True)): <prefix>_read_input copies rows from an image
# set before each invoke and checks that each row is requested once, in order; <prefix>_stream_rows()
# gives the rows read since the last reset, -1 after a request out of order or out of range.
_STREAM_C = """#include <string.h>
#include "model.h"

static int8_t image[{P}_INPUT0_ROWS * {P}_INPUT0_ROW_BYTES];
static int32_t next_row, bad;

int8_t *{p}_stream_image(void) {{ next_row = 0; bad = 0; return image; }}
int32_t {p}_stream_rows(void) {{ return bad ? -1 : next_row; }}

void {p}_read_input(int8_t *dst, int first_row, int rows)
{{
    if (first_row != next_row || rows <= 0 || first_row + rows > {P}_INPUT0_ROWS) {{
        bad = 1;
        return;
    }}
    memcpy(dst, image + (size_t)first_row * {P}_INPUT0_ROW_BYTES, (size_t)rows * {P}_INPUT0_ROW_BYTES);
    next_row = first_row + rows;
}}
"""


def compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise McunetsError("no C compiler found; install gcc or set CC")
    return cc


def _cache_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"mcunets-engine-{os.getuid() if hasattr(os, 'getuid') else 0}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _run(cmd: list[str], cwd: Path | None = None):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise McunetsError(f"compiling failed: {' '.join(cmd[:3])} ...\n{res.stderr[-4000:]}")


def _parallel(cmds: list[list[str]], jobs: int = 2):
    pending = list(cmds)
    running: list[tuple[subprocess.Popen, list[str]]] = []
    errors = []
    while pending or running:
        while pending and len(running) < jobs:
            cmd = pending.pop(0)
            running.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), cmd))
        proc, cmd = running.pop(0)
        _, err = proc.communicate()
        if proc.returncode != 0:
            errors.append(f"{' '.join(cmd)}\n{err[-4000:]}")
    if errors:
        raise McunetsError("compiling failed:\n" + "\n".join(errors[:3]))


def kernel_objects(cflags: Sequence[str] = CFLAGS, cc: str | None = None, tag: str = "kernels") -> list[Path]:
    """Object files of the kernel library (firmware/engine/*.c, in :func:`kernel_sources` order) compiled
    with ``cc`` (default: :func:`compiler`) and ``cflags``, once per compiler, flags and source content
    (cached below a folder named ``tag``)."""
    cc = cc or compiler()
    h = hashlib.sha256(" ".join([cc, *cflags]).encode())
    for p in sorted(kernel_dir().glob("*")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    out = _cache_root() / f"{tag}-{h.hexdigest()[:16]}"
    if not (out / "done").exists():
        tmp = Path(tempfile.mkdtemp(dir=_cache_root(), prefix=f".{tag}-"))
        _parallel([[cc, *cflags, "-I", str(kernel_dir()), "-c", str(s), "-o", str(tmp / (s.stem + ".o"))]
                   for s in kernel_sources()])
        (tmp / "done").write_text("ok")
        try:
            os.replace(tmp, out)
        except OSError:  # another process got there first
            shutil.rmtree(tmp, ignore_errors=True)
    return [out / (s.stem + ".o") for s in kernel_sources()]


class HostLibrary:
    """Generated models compiled and linked into one shared library."""

    def __init__(self, models: Iterable[EngineModel], workdir: str | os.PathLike | None = None,
                 cflags: Sequence[str] = CFLAGS, jobs: int = 2):
        self.models = {m.prefix: m for m in models}
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mcunets-host-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        cc = compiler()
        cmds, objs = [], []
        for prefix, m in self.models.items():
            d = self.workdir / prefix
            d.mkdir(parents=True, exist_ok=True)
            for fname, text in m.files.items():
                (d / fname).write_text(text)
            obj = d / "model.o"
            cmds.append([cc, *cflags, "-I", str(kernel_dir()), "-I", str(d), "-c", str(d / "model.c"), "-o", str(obj)])
            objs.append(obj)
            if m.schedule.stream:
                (d / "stream.c").write_text(_STREAM_C.format(p=prefix, P=prefix.upper()))
                cmds.append([cc, *cflags, "-I", str(d), "-c", str(d / "stream.c"), "-o", str(d / "stream.o")])
                objs.append(d / "stream.o")
        _parallel(cmds, jobs)
        lib = self.workdir / "libmodels.so"
        _run([cc, "-shared", "-o", str(lib), *map(str, objs), *map(str, kernel_objects(cflags)), "-lm"])
        self.lib = ctypes.CDLL(str(lib))
        self._fns = {}
        for prefix in self.models:
            f_in = getattr(self.lib, f"{prefix}_input")
            f_out = getattr(self.lib, f"{prefix}_output")
            f_in.restype = f_out.restype = ctypes.c_void_p
            f_in.argtypes = f_out.argtypes = [ctypes.c_int]
            inv = getattr(self.lib, f"{prefix}_invoke")
            inv.restype = None
            self._fns[prefix] = (f_in, f_out, inv)
            if self.models[prefix].schedule.stream:
                image, rows = getattr(self.lib, f"{prefix}_stream_image"), getattr(self.lib, f"{prefix}_stream_rows")
                image.restype, image.argtypes = ctypes.c_void_p, []
                rows.restype, rows.argtypes = ctypes.c_int32, []
                self._fns[prefix] = (lambda i, image=image: image() if i == 0 else None, f_out, inv, rows)

    def run(self, prefix: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One inference of model ``prefix``: copy inputs in, invoke, copy outputs out."""
        m = self.models[prefix]
        f_in, f_out, inv = self._fns[prefix][:3]
        if len(inputs) != len(m.inputs):
            raise ValueError(f"{prefix} takes {len(m.inputs)} inputs, got {len(inputs)}")
        for i, (x, (dtype, shape, _, _)) in enumerate(zip(inputs, m.inputs)):
            arr = np.ascontiguousarray(np.asarray(x, dtype=_NP[dtype]).reshape(shape))
            ctypes.memmove(f_in(i), arr.ctypes.data, arr.nbytes)
        inv()
        if m.schedule.stream:  # every row read once, in order
            rows, height = self._fns[prefix][3](), m.inputs[0][1][1]
            if rows != height:
                raise McunetsError(f"{prefix}: the streamed input's rows were not each read once in order "
                                   f"({'a request out of order' if rows < 0 else f'{rows} of {height} rows read'})")
        outs = []
        for i, (dtype, shape, _, _) in enumerate(m.outputs):
            arr = np.empty(shape, dtype=_NP[dtype])
            ctypes.memmove(arr.ctypes.data, f_out(i), arr.nbytes)
            outs.append(arr)
        return outs

    def time_invoke(self, prefix: str, runs: int = 20) -> float:
        """Median seconds of one invoke (inputs as left by the last run)."""
        inv = self._fns[prefix][2]
        inv()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            inv()
            times.append(time.perf_counter() - t0)
        return float(np.median(times))

    def close(self):
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def run_engine(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Generate, compile and run one model once (convenient, not fast: use HostLibrary for many)."""
    from mcunets.engine import generate

    lib = HostLibrary([generate(model, "model", prefix="m0")])
    try:
        return lib.run("m0", inputs)
    finally:
        lib.close()
