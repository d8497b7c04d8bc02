"""What TFLM's optimized kernels accept: the rank and type limits of CMSIS-NN (Arm Cortex-M) and ESP-NN
(Espressif) that TFLM's reference kernels do not have.

The boards build TFLM with these kernels (docs/firmware.md), while the host checks (``mcunets.tflm``)
run the tflite-micro wheel's reference kernels, so a model can be exact on the host and wrong or
refused on a board.  Some limits are enforced loudly (``AllocateTensors`` fails); some only by a
``TFLITE_DCHECK`` that release builds compile out; and one, TRANSPOSE with more than four dimensions
under CMSIS-NN, logs an error while ``Invoke()`` still returns success with the output never written.
:func:`violations` lists every operator of a model that breaks one of them.

Each limit cites the file it comes from, in TFLM at 90b983c (``tensorflow/lite/micro/kernels/cmsis_nn/``,
CMSIS-NN 4ab83cc) and in esp-tflite-micro v1.3.8 (``tensorflow/lite/micro/kernels/esp_nn/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mcunets.engine.reader import GraphInfo, OperatorInfo, TensorInfo, read_model

CMSIS_NN = "cmsis-nn"
ESP_NN = "esp-nn"


@dataclass(frozen=True)
class KernelLimit:
    op: str
    kernels: tuple[str, ...]
    rule: str
    source: str
    holds: Callable[[GraphInfo, OperatorInfo], bool]


def _ins(g: GraphInfo, op: OperatorInfo) -> list[TensorInfo | None]:
    return [g.tensors[i] if i >= 0 else None for i in op.inputs]


def _out(g: GraphInfo, op: OperatorInfo) -> TensorInfo:
    return g.tensors[op.outputs[0]]


def _rank(t: TensorInfo | None) -> int:
    return len(t.shape) if t is not None else 0


def _all_rank4(g: GraphInfo, op: OperatorInfo, n_inputs: int = 1) -> bool:
    return all(_rank(t) == 4 for t in _ins(g, op)[:n_inputs]) and _rank(_out(g, op)) == 4


def _int8_weights(g: GraphInfo, op: OperatorInfo) -> bool:
    x, w, *rest = _ins(g, op)
    bias = rest[0] if rest else None
    return (x.dtype == _out(g, op).dtype == "int8" and w.dtype == "int8"
            and (bias is None or bias.dtype == "int32"))


def _per_channel(g: GraphInfo, op: OperatorInfo) -> bool:
    w = _ins(g, op)[1]
    return len(w.scales) in (1, w.shape[w.quantized_dimension]) and len(w.scales) == len(w.zero_points)


def _same_int_type(g: GraphInfo, op: OperatorInfo) -> bool:
    a, b = _ins(g, op)[:2]
    return a.dtype == b.dtype == _out(g, op).dtype and a.dtype in ("int8", "int16")


def _broadcast_rank(g: GraphInfo, op: OperatorInfo) -> bool:
    a, b = _ins(g, op)[:2]
    return a.shape == b.shape or max(_rank(a), _rank(b), _rank(_out(g, op))) <= 4


def _transpose_rank(g: GraphInfo, op: OperatorInfo) -> bool:
    x, perm = _ins(g, op)[:2]
    return x.dtype != "int8" or (perm.shape[0] if perm.shape else 0) <= 4


def _transpose_type(g: GraphInfo, op: OperatorInfo) -> bool:
    return _ins(g, op)[0].dtype in ("int8", "int16", "float32")


def _softmax_types(g: GraphInfo, op: OperatorInfo) -> bool:
    return _ins(g, op)[0].dtype != "int8" or _out(g, op).dtype in ("int8", "int16")


def _pad_rank(g: GraphInfo, op: OperatorInfo) -> bool:
    return _ins(g, op)[0].dtype != "int8" or _rank(_ins(g, op)[0]) <= 4


def _fc_rank(g: GraphInfo, op: OperatorInfo) -> bool:
    return 2 <= _rank(_out(g, op)) <= 4


def _matmul_rank(g: GraphInfo, op: OperatorInfo) -> bool:
    return all(2 <= _rank(t) <= 4 for t in _ins(g, op)[:2])


BOTH = (CMSIS_NN, ESP_NN)
LIMITS: tuple[KernelLimit, ...] = (
    KernelLimit("TRANSPOSE", (CMSIS_NN,), "int8 transpose of at most 4 dimensions",
                # TF_LITE_ENSURE(size <= 4) inside Eval; TransposeEval drops its status, so Invoke()
                # succeeds with the output unwritten (the reference kernel takes 5).
                "cmsis_nn/transpose.cc:30", _transpose_rank),
    KernelLimit("TRANSPOSE", (CMSIS_NN,), "float32, int8 or int16 data",
                "cmsis_nn/transpose.cc:75-96", _transpose_type),
    KernelLimit("CONV_2D", BOTH, "4-D input, filter and output",
                "cmsis_nn/conv.cc:85-87 (ENSURE); esp_nn/conv.cc:211-213 (DCHECK)",
                lambda g, op: _all_rank4(g, op, 2)),
    KernelLimit("CONV_2D", BOTH, "int8 input and output, int8 filter, int32 bias",
                "cmsis_nn/conv.cc:69-81,446-460; esp_nn/conv.cc:77-83", _int8_weights),
    KernelLimit("CONV_2D", BOTH, "one filter scale, or one per output channel",
                "esp_nn/conv.cc:103-117; lite/kernels/kernel_util.cc:236-243", _per_channel),
    KernelLimit("DEPTHWISE_CONV_2D", BOTH, "4-D input, filter and output",
                "cmsis_nn/depthwise_conv.cc:144-146 (DCHECK); esp_nn/depthwise_conv.cc:184-186 (ENSURE)",
                lambda g, op: _all_rank4(g, op, 2) and _ins(g, op)[1].shape[0] == 1),
    KernelLimit("DEPTHWISE_CONV_2D", BOTH, "int8 input and output, int8 filter, int32 bias",
                "cmsis_nn/depthwise_conv.cc:78-90,405-420; esp_nn/depthwise_conv.cc:235-240", _int8_weights),
    KernelLimit("DEPTHWISE_CONV_2D", BOTH, "one filter scale, or one per output channel",
                "cmsis_nn/depthwise_conv.cc:113-121; esp_nn/depthwise_conv.cc:216-233", _per_channel),
    KernelLimit("MAX_POOL_2D", BOTH, "4-D int8 or int16 input and output",
                "cmsis_nn/pooling.cc:78-84,114-120 (DCHECK); esp_nn/pooling.cc:108-109 (DCHECK)",
                lambda g, op: _all_rank4(g, op) and _ins(g, op)[0].dtype in ("int8", "int16")),
    KernelLimit("AVERAGE_POOL_2D", BOTH, "4-D int8 or int16 input and output",
                "cmsis_nn/pooling.cc:78-84 (DCHECK); esp_nn/pooling.cc:52-53 (DCHECK)",
                lambda g, op: _all_rank4(g, op) and _ins(g, op)[0].dtype in ("int8", "int16")),
    KernelLimit("ADD", BOTH, "inputs and output of one type, int8 or int16",
                "cmsis_nn/add.cc:304-312; esp_nn/add.cc:115-187", _same_int_type),
    KernelLimit("ADD", BOTH, "broadcasting over at most 4 dimensions",
                "cmsis_nn/add.cc:132-137 and esp_nn/add.cc:115-122 (BroadcastAdd4DSlow)", _broadcast_rank),
    KernelLimit("MUL", BOTH, "inputs and output of one type, int8 or int16",
                "cmsis_nn/mul.cc:114-147; esp_nn/mul.cc:97-113", _same_int_type),
    KernelLimit("MUL", BOTH, "broadcasting over at most 4 dimensions",
                "cmsis_nn/mul.cc:46-60 and esp_nn/mul.cc:53-58 (BroadcastMul4DSlow)", _broadcast_rank),
    KernelLimit("SOFTMAX", BOTH, "int8 input gives int8 or int16 output",
                "cmsis_nn/softmax.cc:55-64,106-123; esp_nn/softmax.cc:56-57,152", _softmax_types),
    KernelLimit("FULLY_CONNECTED", (CMSIS_NN,), "output of 2 to 4 dimensions",
                "cmsis_nn/fully_connected.cc:94-95 (DCHECK)", _fc_rank),
    KernelLimit("PAD", (CMSIS_NN,), "int8 input of at most 4 dimensions",
                "cmsis_nn/pad.cc:52-66 (only the last four dimensions are padded)", _pad_rank),
    KernelLimit("BATCH_MATMUL", (CMSIS_NN,), "operands of 2 to 4 dimensions",
                "cmsis_nn/batch_matmul.cc:218-221", _matmul_rank),
)


def violations(model, kernels: tuple[str, ...] = BOTH) -> list[str]:
    """One line per operator of ``model`` (.tflite bytes or a read graph) that an optimized kernel of
    ``kernels`` rejects or mishandles: ``"<index> <OP>: <kernels> needs <rule> (<source>)"``."""
    g = model if isinstance(model, GraphInfo) else read_model(model)
    found = []
    for op in g.operators:
        for limit in LIMITS:
            which = [k for k in limit.kernels if k in kernels]
            if limit.op == op.op and which and not limit.holds(g, op):
                found.append(f"{op.index} {op.op}: {', '.join(which)} needs {limit.rule} ({limit.source})")
    return found
