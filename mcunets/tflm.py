"""The real TensorFlow Lite Micro interpreter on the host (the ``tflite-micro`` wheel), and the
TFLite reference kernels it is checked against.

``arena_bytes`` measures a model's tensor arena with TFLM's allocation recording, the figure a board's
arena is sized from; ``run_tflm`` and ``run_reference`` give int8 outputs to compare byte for byte.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from mcunets._io import captured_stderr
from mcunets.errors import McunetsError

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def model_ops(model: bytes) -> list[str]:
    """The builtin operator names a .tflite model uses, in order of first use."""
    from mcunets.engine.reader import read_model

    return list(dict.fromkeys(op.op for op in read_model(model).operators))


# Generous: the recording reports what was actually used, not this size.
_HOST_ARENA = 32 * 1024 * 1024


def _interpreter(model: bytes):
    from tflite_micro.python.tflite_micro import runtime

    try:
        return runtime.Interpreter.from_bytes(model, arena_size=_HOST_ARENA + 2 * len(model))
    except RuntimeError as e:
        raise McunetsError(f"TensorFlow Lite Micro cannot load this model: {e}") from None


def arena_bytes(model: bytes) -> int:
    """Tensor arena bytes TFLM allocates for ``model`` (head + tail), from its allocation recording."""
    interp = _interpreter(model)
    with captured_stderr() as out:
        interp.print_allocations()
    match = _TOTAL.search(out[0])
    if not match:
        raise RuntimeError("tflite-micro printed no arena allocation total")
    return int(match.group(1))


def run_tflm(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run one inference in the host TFLM interpreter."""
    interp = _interpreter(model)
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    from mcunets.engine.reader import read_model

    return [np.array(interp.get_output(i)) for i in range(len(read_model(model).outputs))]


# Operators LiteRT's reference kernels get wrong or lack for int8 inputs, run in TFLM instead: LiteRT's
# reference SUM reads int8 inputs as uint8 and clamps its outputs to 0..255 (LiteRT issue 4079), and its
# reference resolver has no int8 DEPTH_TO_SPACE (version 2).
_TFLM_OPS = ("SUM", "DEPTH_TO_SPACE")


def run_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run one inference with TFLite's reference kernels: the bit-exactness oracle.

    That is :func:`run_litert`, except for models with an int8 SUM or DEPTH_TO_SPACE (``_TFLM_OPS``):
    those operators run in TFLM, whose kernels for them are the same reference code, and every other
    operator in LiteRT's reference kernels, each run of consecutive operators of one interpreter as a
    model of its own fed the outputs of the earlier ones (:func:`run_split`). TFLM's other kernels are
    not LiteRT's reference: its int8 TANH and per-channel FULLY_CONNECTED (rounded twice) differ."""
    from mcunets.engine.reader import read_model

    g = read_model(model)
    tflm = [op.op in _TFLM_OPS and g.tensors[op.inputs[0]].dtype == "int8" for op in g.operators]
    if any(tflm):
        return run_split(model, inputs, ["tflm" if t else "litert" for t in tflm])
    return run_litert(model, inputs)


def run_split(model: bytes, inputs: Sequence[np.ndarray], where: Sequence[str]) -> list[np.ndarray]:
    """Run one inference operator by operator: ``where[i]`` ("litert" or "tflm") is the interpreter of
    operator i; each run of consecutive operators with one interpreter runs as a model of its own
    (:func:`segment_model`), fed the tensors the earlier ones computed."""
    from ai_edge_litert import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    if len(m.subgraphs) != 1 or len(where) != len(m.subgraphs[0].operators):
        raise McunetsError("the reference runs operators apart only in a model of one subgraph")
    sg = m.subgraphs[0]
    values = dict(zip(sg.inputs, inputs))
    start = 0
    for end in range(1, len(where) + 1):
        if end < len(where) and where[end] == where[start]:
            continue
        part, ins, outs = segment_model(m, range(start, end))
        run = run_tflm if where[start] == "tflm" else run_litert
        values.update(zip(outs, run(part, [values[t] for t in ins])))
        start = end
    return [values[t] for t in sg.outputs]


def segment_model(m, ops: Sequence[int]) -> tuple[bytes, list[int], list[int]]:
    """(model, inputs, outputs): operators ``ops`` of ``m`` (an ``ai_edge_litert.schema_py_generated``
    ModelT of one subgraph) as a model of their own, with the constants they read; its inputs are the
    other tensors they read, its outputs those they write that later operators read or the model outputs
    (both as tensor indices of ``m``)."""
    import copy

    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    sg, ops = m.subgraphs[0], list(ops)

    def data(t):
        b = sg.tensors[t].buffer
        return m.buffers[b] if b and m.buffers[b].data is not None and len(m.buffers[b].data) else None

    written = [t for i in ops for t in sg.operators[i].outputs if t >= 0]
    read = [t for i in ops for t in sg.operators[i].inputs if t >= 0]
    later = {t for i, op in enumerate(sg.operators) if i not in ops for t in op.inputs} | set(sg.outputs)
    ins = [t for t in dict.fromkeys(read) if t not in written and data(t) is None]
    outs = [t for t in dict.fromkeys(written) if t in later]
    index, tensors, buffers, codes, code_index = {}, [], [schema.BufferT()], [], {}

    def tensor(t):
        if t < 0:
            return t
        if t not in index:
            x = copy.copy(sg.tensors[t])
            x.buffer = 0
            if data(t) is not None:
                buffers.append(data(t))
                x.buffer = len(buffers) - 1
            index[t] = len(tensors)
            tensors.append(x)
        return index[t]

    operators = []
    for i in ops:
        op = copy.copy(sg.operators[i])
        if op.opcodeIndex not in code_index:
            code_index[op.opcodeIndex] = len(codes)
            codes.append(m.operatorCodes[op.opcodeIndex])
        op.opcodeIndex = code_index[op.opcodeIndex]
        op.inputs, op.outputs = [tensor(t) for t in op.inputs], [tensor(t) for t in op.outputs]
        operators.append(op)
    sub = schema.SubGraphT()
    sub.tensors, sub.operators = tensors, operators
    sub.inputs, sub.outputs = [tensor(t) for t in ins], [tensor(t) for t in outs]
    part = schema.ModelT()
    part.version, part.operatorCodes, part.subgraphs, part.buffers = m.version, codes, [sub], buffers
    builder = flatbuffers.Builder(0)
    builder.Finish(part.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), ins, outs


def run_litert(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run one inference with TFLite's reference kernels in the LiteRT interpreter (``ai-edge-litert``:
    the same kernels as the deprecated ``tf.lite.Interpreter``)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    for detail, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]
