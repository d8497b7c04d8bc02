"""The mcunets engine: an int8 .tflite model as straight-line C with a static memory plan.

``generate(model_bytes, name)`` reads the model (``reader``), lowers each operator to a layer
(``lower``/``ops``), plans one static arena (``planner``) and renders model.c / model.h from
templates/engine.  The C kernels live in firmware/engine (``kernel_dir()``); ``host`` compiles and runs
the result on this machine.  The C API of the generated files is documented in docs/engine.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mcunets.engine.lower import SUPPORTED_OPS, lower
from mcunets.engine.ops import EmitContext, Layer, c_array, c_float_array
from mcunets.engine.patches import PatchStage, Schedule, choose, live_bytes
from mcunets.engine.planner import MemoryPlan, check_plan
from mcunets.engine.quant import c_float
from mcunets.engine.reader import GraphInfo, read_model
from mcunets.errors import McunetsError

__all__ = ["generate", "EngineModel", "LayerInfo", "Schedule", "kernel_dir", "kernel_sources", "SUPPORTED_OPS"]


def kernel_dir() -> Path:
    from mcunets.resources import resource_dir

    return resource_dir("firmware") / "engine"


def kernel_sources() -> list[Path]:
    return sorted(kernel_dir().glob("*.c"))


@dataclass(frozen=True)
class LayerInfo:
    index: int
    op: str
    description: str
    macs: int
    weight_bytes: int
    scratch_bytes: int
    live_bytes: int = 0  # arena bytes in use while the layer runs (the whole patch stage's for its layers)
    stage: str = ""      # the patch stage the layer runs in ("8x8 0-3": grid, first and last layer), or ""


@dataclass(frozen=True)
class EngineModel:
    name: str
    prefix: str
    files: dict  # file name -> text (model.c, model.h)
    arena_bytes: int
    flash_bytes: int  # constant data a DSP core links (weights, biases, multipliers, tables; layer.weight_bytes)
    layers: tuple
    inputs: tuple   # (dtype, shape, scale, zero_point) per graph input
    outputs: tuple
    schedule: Schedule = Schedule()

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def generate(model: bytes, name: str = "model", *, prefix: str = "mcunets", header: str = "model.h",
             patches="auto", max_extra_macs: float = 0.15, stream_input: bool = False) -> EngineModel:
    """Generate model.c / model.h for an int8 .tflite model.

    ``prefix`` names the exported C symbols (``<prefix>_invoke`` and ``<PREFIX>_*`` macros), so several
    generated models can be linked into one program.  ``patches`` picks the schedule (``patches.choose``):
    "auto" runs the first layers patch by patch when that lowers the arena within ``max_extra_macs``:
    extra MACs at most that fraction of the model's, and estimated extra instructions (the halo's, the
    extra calls') at most that fraction of its estimated instructions layer by layer; "off" runs layer by
    layer, an int n forces an n x n grid.
    ``stream_input``: the model reads its one image input by rows through a function the application
    supplies, ``void <prefix>_read_input(int8_t *dst, int first_row, int rows)``, each row once and in
    order; a patch stage reading the image holds only the rows its tiles still need (a strip), layer by
    layer the whole image is read before its first reader. The arena counts the strip, not the image.
    Raises UnsupportedOpError naming the operator and its node index for anything the engine cannot run.
    """
    if not _IDENT.match(prefix):
        raise McunetsError(f"C prefix {prefix!r} is not a C identifier")
    graph = read_model(bytes(model))
    if stream_input:
        _check_streamable(graph)
    layers, plan, schedule = choose(graph, lower(graph), patches, max_extra_macs, bool(stream_input))
    check_plan(plan)
    return _render(graph, layers, plan, schedule, name, prefix, header)


def _check_streamable(graph: GraphInfo) -> None:
    """Stream mode reads one int8 image (1, H, W, C) by rows; anything else raises McunetsError."""
    if len(graph.inputs) != 1:
        raise McunetsError(f"stream mode needs one image input; this model has {len(graph.inputs)} inputs")
    ti = graph.tensors[graph.inputs[0]]
    shape = tuple(int(d) for d in ti.shape)
    if len(shape) != 4 or shape[0] != 1 or ti.dtype != "int8" or ti.is_const:
        raise McunetsError(f"stream mode needs one image input, an int8 (1, H, W, C) tensor; this model's input "
                           f"is {ti.dtype} {shape}")
    if graph.inputs[0] in graph.outputs:
        raise McunetsError("stream mode needs one image input that is not also an output")


def _render(graph: GraphInfo, layers: list[Layer], plan: MemoryPlan, schedule: Schedule, name: str,
            prefix: str, header: str) -> EngineModel:
    import jinja2
    import numpy as np

    from mcunets.resources import resource_dir

    consts: dict[int, str] = {}
    flash = [0]

    def const_name(t: int) -> str:
        if t not in consts:
            ti = graph.tensors[t]
            data = np.asarray(ti.data)
            if ti.dtype == "float32":
                consts[t] = c_float_array(f"t{t}_data", data.reshape(-1))
            else:
                ctype = {"int8": "int8_t", "int32": "int32_t", "uint8": "uint8_t", "int16": "int16_t",
                         "bool": "uint8_t"}.get(ti.dtype)
                if ctype is None:
                    raise McunetsError(f"constant tensor {t} has unsupported type {ti.dtype}")
                consts[t] = c_array(ctype, f"t{t}_data", data.reshape(-1))
            flash[0] += ti.nbytes
        return f"t{t}_data"

    def ptr(t: int) -> str:
        if graph.tensors[t].is_const:
            return const_name(t)
        return f"(ARENA + {plan.offset(t)})"

    def scratch(k: int) -> str:
        return f"(ARENA + {plan.scratch_offsets[k]})" if k in plan.scratch_offsets else "NULL"

    ctx = EmitContext(ptr, scratch, const_name)
    rendered = []
    infos = []
    live = live_bytes(plan, len(layers))
    stream = None
    if schedule.stream:  # the image: rows, bytes per row, the strip's rows; read whole before its first reader
        image = graph.inputs[0]
        _, height, width, chans = (int(d) for d in graph.tensors[image].shape)
        streamed = [l for l in layers if isinstance(l, PatchStage) and l.strip]
        rows = max((b - a for a, b in streamed[0].stream), default=height) if streamed else height
        reader = next((k for k, l in enumerate(layers) if image in l.inputs), 0)
        stream = {"rows": height, "row_bytes": width * chans, "strip_rows": rows, "strip_bytes": rows * width * chans,
                  "whole": not streamed}
    for k, layer in enumerate(layers):
        decls, body = layer.emit(ctx)
        if stream and stream["whole"] and k == reader:
            body = [f"{prefix}_read_input({ptr(image)}, 0, {height});"] + list(body)
        flash[0] += layer.weight_bytes
        if isinstance(layer, PatchStage):
            stage = f"{layer.grid}x{layer.grid} {layer.layers[0].index}-{layer.layers[-1].index}"
            for j, inner in enumerate(layer.layers):
                comment = layer.describe() if j == 0 else f"{inner.describe()}: in the patch stage above"
                rendered.append({"index": inner.index, "op": inner.op, "comment": comment.replace("*/", "* /"),
                                 "decls": decls if j == 0 else [], "body": body if j == 0 else [],
                                 "hooks": False})
                infos.append(LayerInfo(inner.index, inner.op, inner.describe(), layer.layer_macs[j],
                                       inner.weight_bytes, layer.kernel_scratch[j][1], live[k], stage))
            continue
        rendered.append({"index": layer.index, "op": layer.op, "comment": layer.describe().replace("*/", "* /"),
                         "decls": decls, "body": body, "hooks": True})
        infos.append(LayerInfo(layer.index, layer.op, layer.describe(), layer.macs, layer.weight_bytes,
                               layer.scratch_bytes, live[k]))

    def io(t: int) -> dict:
        ti = graph.tensors[t]
        return {"offset": plan.offset(t), "nbytes": ti.nbytes, "dtype": ti.dtype, "zero_point": ti.zero_point,
                "scale_c": c_float(ti.scale) if ti.scales else "0.0f"}

    for t in list(graph.inputs) + list(graph.outputs):
        if graph.tensors[t].is_const:
            raise McunetsError("a graph input or output is a constant; the engine cannot run this model")
    inputs = [io(t) for t in graph.inputs]
    outputs = [io(t) for t in graph.outputs]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(resource_dir("templates") / "engine")),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    values = {
        "name": name, "p": prefix, "P": prefix.upper(), "header": header, "num_layers": len(rendered),
        "arena_bytes": plan.arena_bytes, "arena_alloc": max(plan.arena_bytes, 4), "weight_bytes": flash[0],
        "macs": sum(i.macs for i in infos), "inputs": inputs, "outputs": outputs, "layers": rendered,
        "consts": [consts[k] for k in sorted(consts)], "schedule": schedule.describe(), "stream": stream,
    }
    model_c = env.get_template("model.c.j2").render(**values)
    model_h = env.get_template("model.h.j2").render(**values)

    def sig(t):
        ti = graph.tensors[t]
        return (ti.dtype, tuple(ti.shape), ti.scale, ti.zero_point)

    return EngineModel(name=name, prefix=prefix, files={header: model_h, "model.c": model_c},
                       arena_bytes=plan.arena_bytes, flash_bytes=flash[0], layers=tuple(infos),
                       inputs=tuple(sig(t) for t in graph.inputs), outputs=tuple(sig(t) for t in graph.outputs),
                       schedule=schedule)
