"""Profiles: a board's report joined with the model's layers (output shapes, MACs), as a table,
profile.json and a bar chart; and reading reports from a serial port.

Layer ``i`` of a report is operator ``i`` of the model's subgraph (docs/report-protocol.md), so shapes and
MACs come from the .tflite itself.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from mcunets._io import atomic_write_bytes, atomic_write_text
from mcunets.errors import McunetsError
from mcunets.report import Report, ReportParser, format_table


@dataclass(frozen=True)
class LayerInfo:
    index: int
    op: str
    output_shape: tuple[int, ...]
    macs: int
    live_bytes: int | None = None  # the engine's arena in use while the layer runs
    stage: str = ""  # the engine's patch stage the layer runs in ("8x8 0-3": grid, first-last layer)


def layer_info(model: bytes, use_engine: bool = True, generated=None) -> list[LayerInfo]:
    """Every operator of the model's main subgraph: name, output shape and multiply-accumulates.

    MACs are the mcunets engine's count when it can lower the model (``use_engine``; it also counts
    element-wise work such as ADD and MEAN), else computed here from the flatbuffer, one per weight use:
    CONV_2D out_elems·kh·kw·in_c/groups, DEPTHWISE_CONV_2D out_elems·kh·kw, FULLY_CONNECTED
    out_elems·in_features, TRANSPOSE_CONV in_elems·kh·kw·out_c, other operators 0. With the engine,
    also the arena in use at each layer (of ``generated``, the engine's model, or its default schedule).
    """
    layers = _schema_layer_info(model)
    if use_engine:
        generated = generated or engine_model(model)
        engine_layers = list(generated.layers) if generated is not None else None
        if engine_layers is not None and [l.op for l in engine_layers] == [l.op for l in layers]:
            layers = [LayerInfo(l.index, l.op, l.output_shape, int(e.macs), int(e.live_bytes), e.stage)
                      for l, e in zip(layers, engine_layers)]
    return layers


def engine_model(model: bytes, patches="auto", max_extra_macs: float = 0.15, stream_input: bool = False):
    """The engine's generated model (its schedule and layers), or None when it cannot run ``model``."""
    try:
        from mcunets import engine

        return engine.generate(model, "profile", patches=patches, max_extra_macs=max_extra_macs, stream_input=stream_input)
    except ImportError:
        return None
    except McunetsError:  # an operator the engine cannot run: fall back to the schema's count
        return None


def _schema_layer_info(model: bytes) -> list[LayerInfo]:
    from mcunets.engine.reader import read_model

    graph = read_model(model)

    def shape(t: int) -> tuple[int, ...]:
        return graph.tensors[t].shape if t >= 0 else ()

    layers = []
    for op in graph.operators:
        ins = op.inputs
        out = shape(op.outputs[0]) if op.outputs else ()
        elems = int(np.prod(out, dtype=np.int64)) if out else 0
        macs = 0
        if op.op == "CONV_2D" and len(ins) > 1:
            f = shape(ins[1])  # [out_c, kh, kw, in_c / groups]
            macs = elems * f[1] * f[2] * f[3]
        elif op.op == "DEPTHWISE_CONV_2D" and len(ins) > 1:
            f = shape(ins[1])  # [1, kh, kw, out_c]
            macs = elems * f[1] * f[2]
        elif op.op == "FULLY_CONNECTED" and len(ins) > 1:
            f = shape(ins[1])  # [out_features, in_features]
            macs = elems * f[-1]
        elif op.op == "TRANSPOSE_CONV" and len(ins) > 2:
            f = shape(ins[1])  # [out_c, kh, kw, in_c]; input is ins[2]
            macs = int(np.prod(shape(ins[2]), dtype=np.int64)) * f[0] * f[1] * f[2]
        layers.append(LayerInfo(op.index, op.op, out, int(macs)))
    return layers


# ---- the profile ------------------------------------------------------------------------------------


def count_ms(count: float, counter: str, cpu_hz: int) -> float | None:
    """A count in milliseconds: ns directly, cycles and instructions at the board clock (for
    instructions that assumes one instruction per cycle); None when the clock is unknown."""
    if counter == "ns":
        return count / 1e6
    if counter in ("cycles", "instructions") and cpu_hz > 0:
        return count / cpu_hz * 1e3
    return None


def build_profile(report: Report, layers: Sequence[LayerInfo] | None = None,
                  firmware: dict | None = None, schedule=None) -> dict:
    """The profile as data (what profile.json holds): report fields, per-layer rows (with the live
    arena of the engine's plan), totals, and the engine's ``schedule`` when given."""
    notes = []
    if layers is not None and len(layers) != len(report.layers):
        notes.append(f"the model has {len(layers)} operators but the report {len(report.layers)} "
                     "layers; shapes and MACs are not shown")
        layers = None
    if layers is not None:
        for rec, info in zip(report.layers, layers):
            if rec.op != info.op:
                notes.append(f"layer {rec.index} is {rec.op} on the board but {info.op} in the model; "
                             "shapes and MACs are not shown")
                layers = None
                break
    layer_total = sum(l.count for l in report.layers)
    rows = []
    for k, rec in enumerate(report.layers):
        info = layers[k] if layers is not None else None
        macs = info.macs if info else None
        rows.append({
            "i": rec.index, "op": rec.op,
            "output_shape": list(info.output_shape) if info else None,
            "macs": macs, "count": rec.count,
            "percent": 100.0 * rec.count / layer_total if layer_total else 0.0,
            "count_per_mac": rec.count / macs if macs else None,
            "ms": count_ms(rec.count, report.counter, report.cpu_hz),
            "live_bytes": info.live_bytes if info else None,
            "stage": info.stage if info else "",
        })
    total_macs = sum(l.macs for l in layers) if layers is not None else None
    return {
        "model": report.model, "runtime": report.runtime, "board": report.board,
        "counter": report.counter, "cpu_hz": report.cpu_hz,
        "layers": rows,
        "total": {
            "layers_count": layer_total, "macs": total_macs,
            "min": report.min, "median": report.median, "max": report.max, "runs": list(report.runs),
            "count_per_mac": report.median / total_macs if total_macs else None,
            "median_ms": count_ms(report.median, report.counter, report.cpu_hz),
        },
        "memory": {"arena_used": report.arena_used, "arena_size": report.arena_size,
                   "model_bytes": report.model_bytes, **({"firmware": firmware} if firmware else {})},
        "outputs": [{"i": o.index, "dtype": o.dtype, "hex": o.data.hex()} for o in report.outputs],
        "notes": notes,
        **({"schedule": {**schedule.as_dict(), "description": schedule.describe()}} if schedule else {}),
    }


def check_model(report: Report, model: bytes, source: str) -> None:
    """Refuse a report made with another model than ``model``: by the model hash of its ``meta``
    line, or (reports without one) by its layers' operators."""
    import hashlib

    sha = hashlib.sha256(model).hexdigest()[:16]
    fix = "give --model the .tflite the firmware was built from"
    if report.sha256 is not None:
        if report.sha256 != sha:
            raise McunetsError(f"{source} reports model {report.model} (sha256 {report.sha256}), not this "
                               f"--model (sha256 {sha}); {fix}")
        return
    ops = [layer.op for layer in layer_info(model, use_engine=False)]
    if [layer.op for layer in report.layers] != ops:
        raise McunetsError(f"{source} reports {len(report.layers)} layers that are not this --model's "
                           f"{len(ops)} operators; {fix}")


def outputs_match_reference(report: Report, model: bytes) -> bool | None:
    """Whether the report's outputs equal TFLite's reference kernels on the inputs the board generated
    (meta seed=); None when the report does not say its seed."""
    if report.seed is None:
        return None
    from mcunets import targets
    from mcunets.tflm import run_reference

    inputs = targets.runner_inputs(targets.io_specs(model)[0], report.seed)
    expected = run_reference(model, inputs)
    return [o.data for o in report.outputs] == [np.ascontiguousarray(e).tobytes() for e in expected]


def _num(v, fmt="{:,}") -> str:
    return "-" if v is None else fmt.format(v)


def format_profile(p: dict) -> str:
    unit = p["counter"]
    staged = any(r.get("stage") for r in p["layers"])
    rows = [
        [r["i"], r["op"], "x".join(map(str, r["output_shape"])) if r["output_shape"] else "-",
         _num(r["macs"]), f"{r['count']:,}", f"{r['percent']:.1f}%", _num(r["count_per_mac"], "{:.2f}"),
         _num(r["ms"], "{:.3f}"), _num(r.get("live_bytes"))] + ([r.get("stage") or "-"] if staged else [])
        for r in p["layers"]
    ]
    t = p["total"]
    rows.append(["", "total", "", _num(t["macs"]), f"{t['layers_count']:,}", "100.0%" if rows else "-",
                 _num(t["macs"] and t["layers_count"] / t["macs"], "{:.2f}"),
                 _num(count_ms(t["layers_count"], p["counter"], p["cpu_hz"]), "{:.3f}"),
                 _num(max((r["live_bytes"] for r in p["layers"] if r.get("live_bytes")), default=None))]
                + ([""] if staged else []))
    clock = f"{p['cpu_hz'] / 1e6:g} MHz" if p["cpu_hz"] else "no clock"
    lines = [
        f"{p['model']} on {p['board']} ({p['runtime']} runtime), counter: {unit}, {clock}",
        format_table(["#", "op", "output", "MACs", unit, "share", f"{unit}/MAC", "ms", "live B"]
                     + (["patches"] if staged else []), rows),
        "",
        f"inference ({len(t['runs'])} runs): min {t['min']:,}  median {t['median']:,}  max {t['max']:,} "
        f"{unit}" + (f"  = {t['median_ms']:.3f} ms" if t["median_ms"] is not None else "")
        + (f", {t['count_per_mac']:.2f} {unit}/MAC" if t["count_per_mac"] else ""),
    ]
    m = p["memory"]
    from mcunets.fit import ARENA_NAMES

    arena = ARENA_NAMES.get(p["runtime"], "arena")
    mem = (f"memory: {arena} {m['arena_used']:,} B used of {m['arena_size']:,} B, "
           f"model {m['model_bytes']:,} B")
    fw = m.get("firmware")
    if fw:
        mem += f"; firmware flash {fw['flash']:,} B (text {fw['text']:,} + data {fw['data']:,}), " \
               f"static RAM {fw['ram']:,} B (data + bss {fw['bss']:,}, arena included)"
    lines.append(mem)
    match = p.get("outputs_match_reference")
    if match is not None:
        lines.append("outputs: " + ("bit-exact with the TFLite reference kernels" if match else
                                    "DIFFER from the TFLite reference kernels on the same inputs"))
    if t["macs"]:
        lines.append("MACs: multiply-accumulates of convolutions and dense layers, plus the window "
                     "reads of pooling and MEAN and the element-wise work of ADD/MUL (the training "
                     "report counts convolutions and dense layers only)")
    if p.get("schedule"):
        lines.append(f"schedule: {p['schedule']['description']}")
    if any(r.get("live_bytes") for r in p["layers"]):
        lines.append("live B: the engine's arena in use while the layer runs (at most the arena; "
                     "layers run patch by patch share their stage's)")
    if staged:
        lines.append("patches: the stage (grid, first-last layer) a layer runs in, tile by tile; its count "
                     "sums its calls over the tiles (MACs include the halos), the tile copies counted at "
                     "the stage's first and last layer")
    lines += [f"note: {n}" for n in p["notes"]]
    return "\n".join(lines)


def write_chart(p: dict, path: Path) -> Path:
    """A horizontal bar chart of per-layer time (ms when the clock is known, else counts) as PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = p["layers"]
    use_ms = bool(rows) and all(r["ms"] is not None for r in rows)
    values = [r["ms"] if use_ms else r["count"] for r in rows]
    labels = [f"{r['i']} {r['op']}" + (f" [{r['stage']}]" if r.get("stage") else "") for r in rows]
    live = [r.get("live_bytes") for r in rows]
    has_live = bool(rows) and all(v is not None for v in live)
    height = max(2.5, 0.28 * len(rows) + 1.2)
    if has_live:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, height), sharey=True,
                                      gridspec_kw={"width_ratios": [3, 2]})
    else:
        fig, ax = plt.subplots(figsize=(8, height))
    ax.barh(range(len(rows)), values, color=["#7f9fc7" if r.get("stage") else "#3b75af" for r in rows])
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ms" if use_ms else p["counter"])
    ax.set_title(f"{p['model']} on {p['board']}: time per layer", fontsize=10)
    if has_live:
        peak = max(live)
        ax2.barh(range(len(rows)), [v / 1024 for v in live],
                 color=["#c0504d" if v == peak else "#9bbb59" for v in live])
        ax2.set_xlabel("KiB")
        sched = p.get("schedule", {}).get("grid")
        ax2.set_title("live arena" + (f" ({sched}x{sched} patches)" if sched else ""), fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def write_profile(p: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    j = atomic_write_text(out_dir / "profile.json", json.dumps(p, indent=2) + "\n")
    png = write_chart(p, out_dir / "profile.png")
    return j, png


# ---- serial ----------------------------------------------------------------------------------------


def open_serial(port: str, baud: int):
    """A pyserial port with a short read timeout; a port that cannot open is a one-line error."""
    try:
        import serial
    except ImportError:
        raise McunetsError("reading a board needs pyserial: pip install pyserial") from None
    try:
        return serial.Serial(port, baud, timeout=0.2)
    except (serial.SerialException, OSError, ValueError) as e:
        raise McunetsError(f"cannot open serial port {port}: {e}") from None


def read_serial_report(port: str, baud: int = 115200, timeout: float = 60.0,
                       log: Callable[[str], None] | None = None) -> tuple[Report, str]:
    """Read lines from a serial port until a report ends; (report, raw text). Reset the board (or
    press its reset button) after opening if it already printed its report."""
    import serial

    parser = ReportParser()
    raw: list[str] = []
    deadline = time.monotonic() + timeout
    pending = b""
    with open_serial(port, baud) as ser:
        while time.monotonic() < deadline:
            try:
                chunk = ser.read(4096)
            except (serial.SerialException, OSError) as e:
                raise McunetsError(f"serial port {port} failed: {e}") from None
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                raw.append(text)
                if log:
                    log(text)
                report = parser.feed(text)
                if report is not None:
                    return report, "\n".join(raw) + "\n"
                if not parser.in_report and parser.error:
                    raise McunetsError(f"invalid report from {port}: {parser.error}")
    if pending:
        raw.append(pending.decode("utf-8", "replace"))
    if parser.in_report:
        raise McunetsError(
            f"timed out after {timeout:g} s in the middle of a report from {port} "
            f"({parser.line_no} lines read); raise --timeout or check the baud rate"
        )
    raise McunetsError(
        f"no report from {port} within {timeout:g} s ({len(raw)} lines, none a report); "
        "reset the board after starting mcunets, and check --baud"
    )


def validate_serial(port: str, baud: int, samples: Sequence[Sequence[np.ndarray]],
                    timeout: float = 60.0) -> list[list[bytes]]:
    """Send each sample to validation firmware over serial; the output bytes of every answer."""
    from mcunets.report import parse_validation
    from mcunets.targets import input_lines

    answers: list[list[bytes]] = []
    with open_serial(port, baud) as ser:
        # A board that resets when the port opens prints "@mcu ready" once it is up; one that was
        # already running printed it before, so after a short wait the samples go anyway.
        try:
            text = _read_until(ser, b"@mcu ready", min(timeout, READY_WAIT_S), port)
        except _NoMarker:
            text = ""
        for k, sample in enumerate(samples):
            ser.write(input_lines(sample).encode())
            ser.flush()
            chunk = _read_until(ser, b"@mcu done", timeout, port)
            text += chunk
            session = parse_validation("@mcu begin v=1\n" + chunk)
            if len(session) != 1:
                raise McunetsError(f"{port}: no answer to sample {k}")
            answers.append([o.data for o in session[0]])
        ser.write(b"@mcu quit\n")
    return answers


READY_WAIT_S = 3.0


class _NoMarker(McunetsError):
    pass


def _read_until(ser, marker: bytes, timeout: float, port: str) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        buf += ser.read(4096)
        for line in buf.split(b"\n")[:-1]:
            if line.rstrip(b"\r").endswith(marker) or (b"@mcu error" in line):
                if b"@mcu error" in line:
                    raise McunetsError(f"{port}: the board rejected its input: "
                                       f"{line.decode('utf-8', 'replace').strip()}")
                return buf.decode("utf-8", "replace")
    raise _NoMarker(f"{port}: no '{marker.decode()}' within {timeout:g} s; is validation firmware "
                       "flashed, and --baud right?")
