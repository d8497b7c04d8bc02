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


def run_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run one inference with TFLite's reference kernels: the bit-exactness oracle.

    That is :func:`run_litert`, except for models with an int8 SUM or DEPTH_TO_SPACE, which run in TFLM,
    whose kernels are the same reference code: LiteRT's reference SUM reads int8 inputs as uint8 and
    clamps its outputs to 0..255 (LiteRT issue 4079), and its reference resolver has no int8
    DEPTH_TO_SPACE (version 2)."""
    from mcunets.engine.reader import read_model

    g = read_model(model)
    if any(op.op in ("SUM", "DEPTH_TO_SPACE") and g.tensors[op.inputs[0]].dtype == "int8"
           for op in g.operators):
        return run_tflm(model, inputs)
    return run_litert(model, inputs)


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
