"""Conversion to a full-int8 TFLite model that TensorFlow Lite Micro runs.

The model is traced at batch 1 with a static input shape, so reshapes stay static (no SHAPE, PACK or
STRIDED_SLICE computing shapes at run time), and converted with int8 input and output, int8
activations and per-channel int8 weights.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import tensorflow as tf

from mcunets import tflm
from mcunets._io import captured_stderr
from mcunets.errors import McunetsError

# Operators that only appear when a shape is computed at run time.
DYNAMIC_SHAPE_OPS = frozenset({"SHAPE", "PACK", "UNPACK", "FILL", "GATHER", "CAST", "RANGE"})


def to_int8_tflite(model, representative: Iterable[np.ndarray] | np.ndarray) -> bytes:
    """Convert a (QAT or float) tf-keras model to full-int8 TFLite bytes.

    ``representative`` holds float input images (shape H×W×C, the scaling the model was trained on);
    the converter calibrates the input and any range QAT did not record from them.
    """
    shape = (1,) + tuple(model.input_shape[1:])
    images = [np.asarray(x, np.float32).reshape(shape) for x in representative]
    if not images:
        raise McunetsError("no representative images for int8 conversion; pass at least one image")

    @tf.function
    def forward(x):
        return model(x, training=False)

    concrete = forward.get_concrete_function(tf.TensorSpec(shape, tf.float32))
    # The converter saves what it is given; a bare module holding the variables saves in seconds,
    # where the whole Keras model would have every layer's functions traced again.  Only the variables
    # inference reads: a QAT model's others (step counters, unused ranges) would only slow the save.
    read = {id(t) for t in concrete.captured_inputs}
    holder = tf.Module()
    holder.weights = [v for v in model.variables if id(v.handle) in read]
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], holder)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x] for x in images)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with captured_stderr():  # the converter's C++ prints its settings ("fully_quantize: 0, ...")
        model_bytes = bytes(converter.convert())
    check_int8_model(model_bytes)
    return model_bytes


def check_int8_model(model_bytes: bytes) -> None:
    """Refuse a model with run-time shape computation, which TFLM cannot plan statically."""
    dynamic = sorted(set(tflm.model_ops(model_bytes)) & DYNAMIC_SHAPE_OPS)
    if dynamic:
        raise McunetsError(
            f"the converted model computes shapes at run time ({', '.join(dynamic)}); "
            "build it with static shapes (no Lambda layers or dynamic reshapes)"
        )


def untrained_int8(arch: str, seed: int = 0, calibration_images: int = 16, **kwargs):
    """Build ``arch``, take BatchNorm statistics and quantization ranges from random images, wrap it
    for QAT and convert it to int8.

    Returns ``(model_bytes, float_model)``: the sizes, operators and arena of a trained model of the
    same architecture, without training it (the folded biases are as varied as a trained model's, so
    the converter cannot share their buffers).
    """
    from tf_keras.utils import set_random_seed

    from mcunets import qat, zoo

    set_random_seed(seed)
    model = zoo.build(arch, **kwargs)
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (calibration_images,) + tuple(model.input_shape[1:])).astype(np.float32)
    for _ in range(4):
        model(images, training=True)  # BatchNorm moving statistics of these images
    qat_model = qat.quantize_model(model)
    qat.calibrate(qat_model, images)
    return to_int8_tflite(qat_model, images[:8]), model
