"""Peak memory with patch-based inference (mcunets.engine.patches) on every zoo architecture.

Each architecture is built at α=0.25 and 96×96×3 (MobileNetV1 also at 128×128×3; untrained,
QAT-calibrated on random images, converted to int8 by mcunets.convert, 2 classes). The table gives the
TFLM arena (mcunets.tflm.arena_bytes), the engine's layer-by-layer arena, the patched arena the
schedule search picks within the limit on extra work (and its ratio to layer by layer), the schedule, its
extra MACs and estimated extra instructions (the two the limit bounds), where the peak of each plan is
(layer by layer, patched and streamed: the layer with the most live bytes, its index and operator, and
the patch stage holding it), what sets the patched peak (its layers, the buffers alive there: the input image, layers' outputs, scratch, a stage's tiles; whether the input image is alive, and then its share of the layer-by-layer arena, a floor of the ratio), the
streamed arena (generate(stream_input=True): the image read by rows into a strip of the rows the first
stage still needs; its ratio, schedule and peak), and
with --qemu the instructions per inference on qemu-m4 (-icount shift=0) with
and without patches and streamed, and whether every build's outputs equal TFLite's reference kernels
byte for byte (the streamed firmware's read_input also fails the run unless each row is requested once,
in order).

    .venv/bin/python benchmarks/memory.py [--arch mobilenet ...] [--qemu] [--max-extra-macs 0.15]
                                          [--out out/bench-memory]

Targets: MobileNetV1 0.25/96 arena <= 40,000 B (stretch 35,000 B) with <= 15 % more instructions;
every architecture whose layer-by-layer peak is in its first stages: patched <= 0.6 x layer by layer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets.errors import McunetsError
from mcunets.report import format_table, parse_report

BOARD = "qemu-m4"


def _model(arch: str, alpha: float, resolution: int, classes: int, out: Path) -> bytes:
    from mcunets import convert

    cached = out / f"{arch}_{resolution}.tflite"
    if cached.is_file():
        return cached.read_bytes()
    model, _ = convert.untrained_int8(arch, alpha=alpha, resolution=resolution, channels=3, classes=classes)
    out.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(model)
    return model


def _peak(gen) -> dict:
    """Where a generated model's plan peaks: the layer with the most live bytes (its index and operator),
    and the patch stage holding it (first and last layer), if any."""
    k = max(range(len(gen.layers)), key=lambda i: gen.layers[i].live_bytes)
    layer = gen.layers[k]
    stage = next(((a, b) for a, b, _, _ in gen.schedule.stages if a <= layer.index <= b), None)
    return {"layer": layer.index, "op": layer.op, "live_bytes": layer.live_bytes, "in_stage": stage is not None,
            "stage": stage}


def _where(p: dict) -> str:
    """A peak (``_peak``) for the table: layer index and operator, and its stage."""
    return f"{p['layer']} {p['op']}" + (f" (stage {p['stage'][0]}-{p['stage'][1]})" if p["in_stage"] else "")


def _peak_buffers(model: bytes, max_extra: float, stream: bool = False) -> dict:
    """What sets the patched plan's peak: the buffers alive at its peak layer (the schedule ``generate``
    takes), each named (the input image, a layer's output, a layer's scratch, a stage's tiles), and
    whether the whole input image is among them."""
    from mcunets.engine.lower import lower
    from mcunets.engine.patches import PatchStage, choose, live_bytes
    from mcunets.engine.reader import read_model

    graph = read_model(model)
    layers, plan, _ = choose(graph, lower(graph), "auto", max_extra, stream)
    live = live_bytes(plan, len(layers))
    k = max(range(len(layers)), key=lambda i: live[i])
    made = {t: l for l in layers for t in l.outputs}
    parts, image = [], False
    for b in sorted(plan.buffers, key=lambda b: (b.offset, b.id)):
        if not b.size or not b.first <= k <= b.last:
            continue
        if b.scratch_of >= 0:
            name = "tiles" if isinstance(layers[k], PatchStage) and b.scratch_of == layers[k].index else \
                f"scratch {b.scratch_of}"
        elif any(t in graph.inputs for t in b.tensors):
            whole = b.size == sum(graph.tensors[t].nbytes for t in graph.inputs)
            name, image = ("input image", True) if whole else ("input strip", False)
        else:
            l = next(made[t] for t in b.tensors if t in made)
            name = f"output {l.layers[-1].index if isinstance(l, PatchStage) else l.index}"
        parts.append(f"{name} {b.size:,}")
    layer = layers[k]
    first, last = (layer.layers[0].index, layer.layers[-1].index) if isinstance(layer, PatchStage) else (layer.index,) * 2
    return {"first": first, "last": last, "stage": isinstance(layer, PatchStage), "op": layer.layers[-1].op if isinstance(layer, PatchStage) else layer.op,
            "live_bytes": live[k], "image_live": image, "buffers": parts,
            "image_bytes": sum(graph.tensors[t].nbytes for t in graph.inputs)}


def _qemu(model: bytes, name: str, patches, max_extra: float, build: Path, stream: bool = False) -> tuple[int, bool]:
    from mcunets import targets
    from mcunets.tflm import run_reference

    src = targets.engine_sources(model, name, build / "model", BOARD, patches=patches, max_extra_macs=max_extra,
                                 stream_input=stream)
    text, _ = targets.profile_model(model, BOARD, build, name=name, runs=1, warmup=0, timeout=1800, sources=src)
    report = parse_report(text)
    expected = run_reference(model, targets.runner_inputs(targets.io_specs(model)[0], 1))
    return report.median, [o.data for o in report.outputs] == [e.tobytes() for e in expected]


def measure(arch: str, resolution: int, args) -> dict:
    from mcunets import tflm
    from mcunets.engine import generate

    model = _model(arch, args.alpha, resolution, args.classes, args.out)
    off = generate(model, arch, patches="off")
    auto = generate(model, arch, max_extra_macs=args.max_extra_macs)
    streamed = generate(model, arch, max_extra_macs=args.max_extra_macs, stream_input=True)
    s = auto.schedule
    r = {"arch": arch, "resolution": resolution, "tflm_arena": tflm.arena_bytes(model),
         "layer_arena": off.arena_bytes, "patched_arena": auto.arena_bytes,
         "ratio": auto.arena_bytes / off.arena_bytes, "schedule": s.as_dict(), "macs": off.macs,
         "peak_layers": _peak(off), "peak_patched": _peak(auto),
         "peak_buffers": _peak_buffers(model, args.max_extra_macs),
         "streamed_arena": streamed.arena_bytes, "streamed_ratio": streamed.arena_bytes / off.arena_bytes,
         "streamed_schedule": streamed.schedule.as_dict(), "peak_streamed": _peak(streamed),
         "peak_streamed_buffers": _peak_buffers(model, args.max_extra_macs, True)}
    if args.qemu:
        build = args.out / "build" / f"{arch}_{resolution}"
        r["instructions_layers"], r["exact_layers"] = _qemu(model, arch, "off", args.max_extra_macs, build / "off")
        if s.patched:
            r["instructions_patched"], r["exact_patched"] = _qemu(model, arch, "auto", args.max_extra_macs,
                                                                  build / "patched")
        else:
            r["instructions_patched"], r["exact_patched"] = r["instructions_layers"], r["exact_layers"]
        r["instructions_streamed"], r["exact_streamed"] = _qemu(model, arch, "auto", args.max_extra_macs,
                                                                build / "streamed", True)
    return r


def _what_peaks(b: dict, layer_arena: int) -> str:
    """The patched peak's layers and operator, its buffers, and whether the input image is alive there
    (then the ratio to layer by layer is at least the image's share of the layer-by-layer arena)."""
    where = f"{b['first']}" if b["first"] == b["last"] else f"{b['first']}-{b['last']}"
    where += " (stage)" if b["stage"] else ""
    image = (f"image live, {b['image_bytes'] / layer_arena:.3f}" if b["image_live"] else "image not live")
    return f"{where} {b['op']}: {' + '.join(b['buffers'])} = {b['live_bytes']:,} live; {image}"


def main(argv=None) -> int:
    from mcunets import zoo

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", action="append", help="only these architectures (repeatable)")
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--max-extra-macs", type=float, default=0.15)
    ap.add_argument("--qemu", action="store_true", help=f"also count instructions on {BOARD}")
    ap.add_argument("--out", type=Path, default=Path("out/bench-memory"))
    args = ap.parse_args(argv)
    runs = [(a, 96) for a in (args.arch or list(zoo.ARCHITECTURES))]
    if "mobilenet" in (args.arch or ["mobilenet"]):
        runs.append(("mobilenet", 128))
    rows, results = [], []
    for arch, res in runs:
        try:
            r = measure(arch, res, args)
        except McunetsError as e:
            print(f"  {arch} {res}: {e}", file=sys.stderr)
            continue
        results.append(r)
        s, p, q, b = r["schedule"], r["peak_layers"], r["peak_patched"], r["peak_buffers"]
        sched = "; ".join(f"{t['grid']}x{t['grid']} layers {t['first']}-{t['last']}" for t in s["stages"]) or "layers"
        row = [f"{arch} {res}", f"{r['tflm_arena']:,}", f"{r['layer_arena']:,}", f"{r['patched_arena']:,}",
               f"{r['ratio']:.2f}", sched, f"{100 * s['extra_macs_ratio']:.1f}%",
               f"{100 * s['extra_instructions_ratio']:.1f}%",
               _where(p), _where(q), _what_peaks(b, r["layer_arena"])]
        t = r["streamed_schedule"]
        row += [f"{r['streamed_arena']:,}", f"{r['streamed_ratio']:.3f}",
                "; ".join(f"{x['grid']}x{x['grid']} layers {x['first']}-{x['last']}" for x in t["stages"]) or "layers",
                f"{t['strip_bytes']:,}", f"{100 * t['extra_instructions_ratio']:.1f}%", _where(r["peak_streamed"]),
                _what_peaks(r["peak_streamed_buffers"], r["layer_arena"])]
        if args.qemu:
            a, b, c = r["instructions_layers"], r["instructions_patched"], r["instructions_streamed"]
            row += [f"{a:,}", f"{b:,}", f"{b / a:.3f}", f"{c:,}", f"{c / a:.3f}",
                    "yes" if r["exact_layers"] and r["exact_patched"] and r["exact_streamed"] else "NO"]
        rows.append(row)
        print(f"  {arch} {res}: {r['patched_arena']:,} B patched, {r['layer_arena']:,} B layer by layer",
              file=sys.stderr)
    head = ["model", "TFLM arena", "layer arena", "patched arena", "ratio", "schedule", "extra MACs",
            "extra instr. (est.)", "peak (layer by layer)", "peak (patched)",
            "patched peak: layers, buffers alive (B); image live, image / layer arena",
            "streamed arena", "streamed ratio", "streamed schedule", "strip", "streamed extra instr. (est.)",
            "peak (streamed)", "streamed peak: layers, buffers alive (B)"]
    if args.qemu:
        head += ["instr layers", "instr patched", "instr ratio", "instr streamed", "instr ratio streamed",
                 "bit-exact"]
    print(f"mcunets engine arenas, α={args.alpha}, {args.classes} classes, extra MACs and estimated "
          f"instructions <= {100 * args.max_extra_macs:.0f}%")
    print(format_table(head, rows))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    ok = all(r.get("exact_layers", True) and r.get("exact_patched", True) and r.get("exact_streamed", True)
             for r in results)
    return 0 if ok and len(results) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
