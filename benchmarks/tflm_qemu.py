"""Every zoo architecture's rendered TFLM project on the emulated Cortex-M4F, beside the mcunets engine.

For each architecture (α=0.25, 96×96×3, 2 classes, untrained and QAT-calibrated, int8 by
mcunets.convert, the same .tflite as benchmarks/qemu.py when --out is shared) this

1. renders the board firmware `mcunets build --model M --board stm32l4r5 --runtime tflm --no-build`
   (the project an STM32 board gets: runtime_tflm.cpp, mcu_driver.c, model_data.cc);
2. compiles those files unchanged against TFLM + CMSIS-NN and runs them on QEMU mps2-an386
   (-icount shift=0) with tflm-qemu-anchor.sh --mcunets-project, which swaps only the Arduino port and
   the DWT counter for a QEMU port; the firmware's report goes to a log;
3. reads the log back with `mcunets profile --log LOG --model M --json` (instructions per inference,
   profiled per layer as on a board; TFLM's arena_used; outputs == TFLite's reference kernels);
4. runs the same model once more through the tool's bare runner (`tflm-qemu-anchor.sh MODEL`: exact
   instructions inside Invoke(), no profiler);
5. profiles the mcunets engine on qemu-m4 (benchmarks/qemu.py's measure()).

    .venv/bin/python benchmarks/tflm_qemu.py --anchor ../shared/tools/tflm-qemu-anchor.sh \\
        --mirror /work/.mirror [--arch shufflenet ...] [--no-engine] [--out out/bench-tflm-qemu]

The sources TFLM is built from are the fetched git snapshots under --mirror (owner+name/repo); the
commits used are printed with the table. Exit status 1 if any TFLM project's outputs differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)

HERE = Path(__file__).resolve().parent
BOARD = "stm32l4r5"


def _mcunets_cli() -> list[str]:
    script = Path(sys.executable).parent / "mcunets"
    if script.is_file():
        return [str(script)]
    found = shutil.which("mcunets")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from mcunets.cli import cli; sys.exit(cli())"]


def _model(arch: str, alpha: float, resolution: int, classes: int, out: Path) -> Path:
    """The architecture's int8 model, cached as out/<arch>.tflite (benchmarks/qemu.py's cache name)."""
    from mcunets import convert

    path = out / f"{arch}.tflite"
    if not path.is_file():
        model, _ = convert.untrained_int8(arch, alpha=alpha, resolution=resolution, channels=3,
                                          classes=classes)
        out.mkdir(parents=True, exist_ok=True)
        path.write_bytes(model)
    return path


def _run(cmd: list, log: Path, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    log.write_text(f"$ {' '.join(map(str, cmd))}\n{r.stdout}{r.stderr}")
    if r.returncode != 0:
        raise RuntimeError(f"{Path(str(cmd[0])).name} failed (exit {r.returncode}; log: {log})\n"
                           f"{(r.stdout + r.stderr)[-2000:]}")
    return r


def anchor_args(args) -> list[str]:
    return [str(args.anchor), "--mirror", str(args.mirror), "--jobs", str(args.jobs)]


def measure_tflm(arch: str, model: Path, args) -> dict:
    work = args.out / "tflm" / arch
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    project = work / "project"
    _run(_mcunets_cli() + ["build", "--model", model, "--board", BOARD, "--runtime", "tflm", "--no-build",
                           "--out", project, "--runs", args.runs, "--warmup", 1], work / "render.log")
    report_log = work / "report.log"
    _run(anchor_args(args) + ["--mcunets-project", project / "firmware", "--log", report_log],
         work / "anchor-project.log")
    prof = _run(_mcunets_cli() + ["profile", "--log", report_log, "--model", model, "--json",
                                  "--out", work / "profile"], work / "profile.log")
    profile = json.loads(prof.stdout[prof.stdout.index("{"):])
    bare = _run(anchor_args(args) + [model], work / "anchor-bare.log")
    name, instr, arena = bare.stdout.split()[:3]
    return {
        "arch": arch,
        "project_instructions": profile["total"]["median"],
        "project_layers": len(profile["layers"]),
        "invoke_instructions": int(instr),
        "arena_used": profile["memory"]["arena_used"],
        "bit_exact": bool(profile.get("outputs_match_reference")),
    }


def commits(args) -> str:
    r = subprocess.run(anchor_args(args) + ["--print-flags"], capture_output=True, text=True, check=True)
    text = r.stdout
    return text[text.index("COMMITS:") + len("COMMITS:"):].strip() if "COMMITS:" in text else ""


def main(argv=None) -> int:
    from mcunets import zoo
    from mcunets.report import format_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--anchor", type=Path, required=True, help="path of tflm-qemu-anchor.sh")
    ap.add_argument("--mirror", type=Path, required=True,
                    help="folder of fetched git snapshots, owner+name/repo (the tool's --mirror)")
    ap.add_argument("--arch", action="append", help="only these architectures (repeatable)")
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--resolution", type=int, default=96)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timed inferences of the rendered firmware")
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                    help="compile jobs for the TFLM library (built once, then cached by the tool)")
    ap.add_argument("--no-engine", action="store_true", help="skip the mcunets engine on qemu-m4")
    ap.add_argument("--out", type=Path, default=Path("out/bench-tflm-qemu"))
    args = ap.parse_args(argv)
    args.anchor = args.anchor.resolve()
    args.mirror = args.mirror.resolve()
    args.out = args.out.resolve()

    sys.path.insert(0, str(HERE))
    import qemu as engine_bench  # benchmarks/qemu.py

    rows, results, ok = [], [], True
    for arch in args.arch or list(zoo.ARCHITECTURES):
        model = _model(arch, args.alpha, args.resolution, args.classes, args.out)
        try:
            r = measure_tflm(arch, model, args)
        except RuntimeError as e:
            print(f"  {arch}: {e}", file=sys.stderr)
            rows.append([arch, "-", "-", "-", "-", "-", "-", "-", "failed"])
            ok = False
            continue
        if not args.no_engine:
            e = engine_bench.measure(arch, args.alpha, args.resolution, args.classes, args.out)
            r.update(engine_instructions=e["instructions"], engine_arena=e["arena_bytes"],
                     engine_bit_exact=e["bit_exact"])
        ok &= r["bit_exact"]
        results.append(r)
        eng = r.get("engine_instructions")
        rows.append([arch, "yes" if r["bit_exact"] else "NO", f"{r['project_instructions'] / 1e6:.2f} M",
                     f"{r['invoke_instructions'] / 1e6:.2f} M",
                     f"{eng / 1e6:.2f} M" if eng else "-",
                     f"{eng / r['invoke_instructions']:.2f}" if eng else "-",
                     f"{r['arena_used']:,}", f"{r['engine_arena']:,}" if eng else "-",
                     ("yes" if r["engine_bit_exact"] else "NO") if eng else "-"])
        print(f"  {arch}: TFLM {r['project_instructions']:,} (project) {r['invoke_instructions']:,} (Invoke)"
              f"{f', engine {eng:,}' if eng else ''}", file=sys.stderr, flush=True)
    print(f"qemu-m4 (mps2-an386, -icount shift=0): rendered --runtime tflm --board {BOARD} projects, "
          f"TFLM + CMSIS-NN; α={args.alpha}, {args.resolution}×{args.resolution}×3, {args.classes} classes")
    print(format_table(["arch", "TFLM bit-exact", "TFLM project", "TFLM Invoke", "engine", "engine/TFLM",
                        "TFLM arena", "engine arena", "engine bit-exact"], rows))
    print(commits(args))
    (args.out / "tflm-results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
