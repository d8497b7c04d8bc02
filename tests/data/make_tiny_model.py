"""Regenerates tests/data/tiny_int8.tflite: a 16×16×3 int8 CNN with the ops the zoo uses most
(CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D/MEAN, FULLY_CONNECTED, SOFTMAX).

    .venv/bin/python tests/data/make_tiny_model.py
"""

from pathlib import Path

import mcunets  # noqa: F401  (selects tf-keras)
import numpy as np
import tensorflow as tf

OUT = Path(__file__).with_name("tiny_int8.tflite")


def build() -> bytes:
    tf.keras.utils.set_random_seed(7)
    L = tf.keras.layers
    x_in = L.Input((16, 16, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x_in)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    y = L.DepthwiseConv2D(3, padding="same")(x)
    y = L.ReLU()(y)
    y = L.Conv2D(8, 1)(y)
    x = L.Add()([x, y])
    x = L.Conv2D(16, 1, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(4)(x)
    out = L.Softmax()(x)
    model = tf.keras.Model(x_in, out, name="tiny")
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(32):
            yield [rng.uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    # Per-tensor FULLY_CONNECTED weights, as mcunets.convert produces and the engine runs.
    conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    return conv.convert()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(OUT, OUT.stat().st_size, "bytes")
