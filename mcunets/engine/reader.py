"""Read a .tflite flatbuffer into plain Python objects, through the ``tflite`` schema package."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcunets.errors import McunetsError

_DTYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool", 7: "int16",
           8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64", 15: "uint32", 16: "uint16",
           17: "int4"}
_NP = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "int64": np.int64,
       "int16": np.int16, "int8": np.int8, "float64": np.float64, "bool": np.bool_}


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int
    data: Any = field(default=None, compare=False, repr=False)  # numpy array for constants

    @property
    def scale(self) -> float:
        return self.scales[0] if self.scales else 0.0

    @property
    def zero_point(self) -> int:
        return self.zero_points[0] if self.zero_points else 0

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return math.prod(int(d) for d in self.shape) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(_NP.get(self.dtype, np.int8)).itemsize


@dataclass(frozen=True)
class OperatorInfo:
    index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Any = field(compare=False, repr=False)
    version: int = 1


@dataclass(frozen=True)
class GraphInfo:
    tensors: tuple[TensorInfo, ...]
    operators: tuple[OperatorInfo, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def _builtin_names() -> dict[int, str]:
    from tflite.BuiltinOperator import BuiltinOperator

    return {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}


def _options(op, name: str):
    """The operator's builtin options table as the matching tflite.*Options object, or None."""
    import importlib

    from tflite.BuiltinOptions import BuiltinOptions

    opt_type = op.BuiltinOptionsType()
    if opt_type == 0 or op.BuiltinOptions() is None:
        return None
    names = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
    cls_name = names.get(opt_type)
    if cls_name is None:
        return None
    module = importlib.import_module(f"tflite.{cls_name}")
    obj = getattr(module, cls_name)()
    table = op.BuiltinOptions()
    obj.Init(table.Bytes, table.Pos)
    return obj


def read_model(model: bytes) -> GraphInfo:
    """The graph of a .tflite model; a file that is not one, or is cut short, is a one-line error."""
    if len(model) < 8 or bytes(model[4:8]) != b"TFL3":
        raise McunetsError("not a TFLite model: a .tflite file is a flatbuffer with the identifier "
                           "'TFL3' at byte 4, and this one has none")
    try:
        return _read_graph(model)
    except McunetsError:
        raise
    except Exception as e:  # flatbuffers raises struct.error, IndexError, ... on a damaged buffer
        needed = re.search(r"at least (\d+) bytes", str(e))
        where = f" (its tables point to byte {int(needed.group(1)):,})" if needed else ""
        raise McunetsError(f"the .tflite model is truncated or damaged: it has {len(model):,} bytes"
                           f"{where}; convert or copy it again") from None


def _read_graph(model: bytes) -> GraphInfo:
    from tflite.Model import Model

    m = Model.GetRootAsModel(model, 0)
    if m.SubgraphsLength() < 1:
        raise McunetsError("not a readable .tflite model: it has no subgraph")
    if m.SubgraphsLength() != 1:
        raise McunetsError("the mcunets engine handles single-subgraph models only")
    names = _builtin_names()
    codes = []
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        codes.append((names.get(code, "CUSTOM"), oc.Version()))
    g = m.Subgraphs(0)

    tensors = []
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        dtype = _DTYPES.get(t.Type(), f"type{t.Type()}")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        q = t.Quantization()
        scales: tuple = ()
        zps: tuple = ()
        qdim = 0
        if q is not None and q.ScaleLength():
            scales = tuple(float(s) for s in q.ScaleAsNumpy())
            zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else (0,) * len(scales)
            qdim = int(q.QuantizedDimension())
        data = None
        buf = m.Buffers(t.Buffer()) if t.Buffer() < m.BuffersLength() else None
        if buf is not None:
            raw = None
            if buf.DataLength():
                raw = buf.DataAsNumpy().tobytes()
            elif hasattr(buf, "Offset") and buf.Offset() > 1:
                raw = bytes(model[buf.Offset(): buf.Offset() + buf.Size()])
            if raw is not None and dtype in _NP:
                data = np.frombuffer(raw, dtype=_NP[dtype]).reshape(shape if shape else ())
        name = t.Name().decode("utf-8", "replace") if t.Name() else f"t{i}"
        tensors.append(TensorInfo(i, name, shape, dtype, scales, zps, qdim, data))

    operators = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        name, version = codes[op.OpcodeIndex()]
        ins = tuple(int(x) for x in op.InputsAsNumpy()) if op.InputsLength() else ()
        outs = tuple(int(x) for x in op.OutputsAsNumpy()) if op.OutputsLength() else ()
        operators.append(OperatorInfo(i, name, ins, outs, _options(op, name), version))

    inputs = tuple(int(x) for x in g.InputsAsNumpy()) if g.InputsLength() else ()
    outputs = tuple(int(x) for x in g.OutputsAsNumpy()) if g.OutputsLength() else ()
    return GraphInfo(tuple(tensors), tuple(operators), inputs, outputs)
