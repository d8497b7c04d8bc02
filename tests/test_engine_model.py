"""The engine end to end on a multi-op model, the memory plan, determinism, profiling hooks and
errors for unsupported operators."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

import mcunets  # noqa: F401
from mcunets.engine import generate, kernel_dir
from mcunets.engine.host import HostLibrary, compiler, kernel_objects
from mcunets.engine.testing import convert, random_buffers
from mcunets.errors import UnsupportedOpError
from mcunets.tflm import arena_bytes, model_ops, run_reference


def _multi_op_model() -> bytes:
    import tf_keras as keras

    rng = np.random.default_rng(3)
    inp = keras.Input((16, 16, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    z = keras.layers.Add()([x, y])
    side = keras.layers.Conv2D(4, 1)(x)
    c = keras.layers.Concatenate()([z, side])
    m = keras.layers.GlobalAveragePooling2D()(c)
    d = keras.layers.Dense(10)(m)
    out = keras.layers.Softmax()(d)
    model = keras.Model(inp, out)
    for w in model.weights:
        w.assign(rng.standard_normal(w.shape).astype(np.float32) * 0.5)
    return convert(lambda t: model(t), [(1, 16, 16, 3)], rng, samples=8)


@pytest.fixture(scope="module")
def multi_op():
    model = _multi_op_model()
    gen = generate(model, "multi", prefix="multi")
    lib = HostLibrary([gen])
    yield model, gen, lib
    lib.close()


def test_multi_op_model_uses_the_expected_ops(multi_op):
    model, gen, _ = multi_op
    ops = model_ops(model)
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "CONCATENATION", "MEAN", "FULLY_CONNECTED", "SOFTMAX"):
        assert op in ops
    assert [layer.op for layer in gen.layers] == _operator_names(model)


def _operator_names(model: bytes) -> list[str]:
    from mcunets.engine.reader import read_model

    return [op.op for op in read_model(model).operators]


def test_multi_op_model_is_bit_exact(multi_op):
    model, _, lib = multi_op
    rng = np.random.default_rng(11)
    for _ in range(20):
        x = rng.integers(-128, 128, size=(1, 16, 16, 3), dtype=np.int64).astype(np.int8)
        got = lib.run("multi", [x])
        want = run_reference(model, [x])
        assert got[0].tobytes() == want[0].tobytes()


def test_repeated_invokes_give_the_same_bytes(multi_op):
    _, _, lib = multi_op
    x = np.arange(16 * 16 * 3, dtype=np.int64).reshape(1, 16, 16, 3).astype(np.int8)
    first = lib.run("multi", [x])[0].tobytes()
    for _ in range(3):
        assert lib.run("multi", [x])[0].tobytes() == first


def test_arena_is_smaller_than_tflm_and_the_naive_plan(multi_op):
    model, gen, _ = multi_op
    from mcunets.engine.reader import read_model

    g = read_model(model)
    activations = {t for op in g.operators for t in (*op.inputs, *op.outputs) if t >= 0 and not g.tensors[t].is_const}
    naive = sum(g.tensors[t].nbytes for t in activations)
    assert gen.arena_bytes < naive
    assert gen.arena_bytes < arena_bytes(model)


def test_placement_is_valid_and_no_larger_than_the_four_orders():
    """Random lifetimes, sizes, scratch and overlap permissions (an output trailing its dying input):
    every plan the placement gives passes check_plan, and it is never larger than the best of the four
    orders alone (the promoted fifth order only adds plans); over the cases it is smaller at times."""
    from mcunets.engine import planner

    rng = np.random.default_rng(9300)
    smaller = 0
    for _ in range(150):
        bufs, pairs = random_buffers(rng)
        arena = planner.place(bufs, pairs)
        planner.check_plan(planner.MemoryPlan(arena, {}, {}, tuple(bufs), pairs))
        four = planner.place([planner.Buffer(b.id, b.size, b.first, b.last, scratch_of=b.scratch_of)
                              for b in bufs], pairs, -1)  # the four orders only
        assert arena <= four
        smaller += arena < four
    assert smaller >= 5


def test_placement_stops_at_the_floor_with_the_same_plan(monkeypatch):
    """``place`` ends its orders at the first plan whose arena is the floor (``planner._floor_bytes``: at
    each layer the live bytes less what allowed pairs can share): the floor is never above an arena,
    and the offsets are those of trying every order (the floor taken as 0); many cases stop early."""
    from mcunets.engine import planner

    rng = np.random.default_rng(9500)
    early = 0
    for _ in range(150):
        bufs, pairs = random_buffers(rng, -16)
        copy = [planner.Buffer(b.id, b.size, b.first, b.last, scratch_of=b.scratch_of) for b in bufs]
        arena = planner.place(bufs, pairs, restarts=True)
        floor = planner._floor_bytes([b for b in bufs if b.size], pairs)
        with monkeypatch.context() as mp:
            mp.setattr(planner, "_floor_bytes", lambda spans, pairs: 0)
            every = planner.place(copy, pairs, restarts=True)
        assert floor <= arena == every
        assert [b.offset for b in bufs] == [b.offset for b in copy]
        early += floor == arena
    assert early >= 30


def test_generation_is_deterministic(multi_op):
    model, gen, _ = multi_op
    again = generate(model, "multi", prefix="multi")
    assert again.files == gen.files
    assert again.arena_bytes == gen.arena_bytes and again.flash_bytes == gen.flash_bytes


def test_header_api(multi_op):
    _, gen, _ = multi_op
    h = gen.files["model.h"]
    for token in ("MULTI_NUM_INPUTS 1", "MULTI_NUM_OUTPUTS 1", f"MULTI_NUM_LAYERS {len(gen.layers)}",
                  f"MULTI_ARENA_BYTES {gen.arena_bytes}", "int8_t *multi_input(int i);",
                  "int8_t *multi_output(int i);", "void multi_invoke(void);", "multi_layer_op[",
                  "void multi_layer_begin(int i);", "void multi_layer_end(int i);"):
        assert token in h


def _profiled(gen, tmp_path, hooks: str):
    """``gen`` built as a host library with MCUNETS_PROFILE and the layer hooks in C source ``hooks``."""
    for name, text in gen.files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "hooks.c").write_text(hooks)
    lib_path = tmp_path / "libprof.so"
    objs = [str(o) for o in kernel_objects()]
    subprocess.run([compiler(), "-O2", "-std=c99", "-Wall", "-Werror", "-fPIC", "-shared", "-DMCUNETS_PROFILE",
                    "-I", str(kernel_dir()), "-I", str(tmp_path), str(tmp_path / "model.c"),
                    str(tmp_path / "hooks.c"), *objs, "-lm", "-o", str(lib_path)], check=True)
    lib = ctypes.CDLL(str(lib_path))
    return lib


def test_profile_hooks_run_once_per_layer(multi_op, tmp_path):
    model, _, _ = multi_op
    gen = generate(model, "prof", patches="off")
    lib = _profiled(gen, tmp_path,
                    "int begins, ends, last = -1, ordered = 1;\n"
                    "void mcunets_layer_begin(int i) { begins++; if (i != last + 1) ordered = 0; }\n"
                    "void mcunets_layer_end(int i) { ends++; last = i; }\n")
    lib.mcunets_invoke()
    n = len(gen.layers)
    assert ctypes.c_int.in_dll(lib, "begins").value == n
    assert ctypes.c_int.in_dll(lib, "ends").value == n
    assert ctypes.c_int.in_dll(lib, "ordered").value == 1
    assert ctypes.c_int.in_dll(lib, "last").value == n - 1


def test_in_place_chain_shares_memory():
    """A pointwise expansion followed by an elementwise op: the planner overlaps input and output."""
    import tensorflow as tf

    rng = np.random.default_rng(5)
    w = tf.constant(rng.standard_normal((1, 1, 8, 16)).astype(np.float32))

    def fn(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w, 1, "VALID"))
        return tf.sigmoid(y)

    model = convert(fn, [(1, 12, 12, 8)], rng)
    gen = generate(model, "chain")
    separate = 12 * 12 * 8 + 12 * 12 * 16
    assert gen.arena_bytes < separate
    lib = HostLibrary([generate(model, "chain", prefix="chain")])
    try:
        x = rng.integers(-128, 128, size=(1, 12, 12, 8), dtype=np.int64).astype(np.int8)
        assert lib.run("chain", [x])[0].tobytes() == run_reference(model, [x])[0].tobytes()
    finally:
        lib.close()


def test_unsupported_op_names_op_and_node():
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def fn(x):
        return tf.tile(x, [1, 2, 1, 1])

    model = convert(fn, [(1, 4, 4, 2)], rng)
    index = _operator_names(model).index("TILE")
    with pytest.raises(UnsupportedOpError, match=rf"TILE \(node {index}\)"):
        generate(model)


def test_bad_prefix_is_refused(multi_op):
    from mcunets.errors import McunetsError

    model, _, _ = multi_op
    with pytest.raises(McunetsError):
        generate(model, prefix="not a name")


@pytest.mark.slow
def test_keras_applications_model_converted_by_tflite_is_bit_exact():
    """A model from outside the zoo, converted by the stock TFLiteConverter: Keras' MobileNetV2."""
    import tf_keras as keras

    from mcunets.engine.host import run_engine
    from mcunets.engine.testing import keras_int8
    from mcunets.tflm import run_tflm

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(input_shape=(48, 48, 3), alpha=0.35, weights=None, classes=10)
    rng = np.random.default_rng(0)
    tflite = keras_int8(model, rng.uniform(-1, 1, (16, 48, 48, 3)).astype(np.float32))
    assert set(model_ops(tflite)) >= {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED"}

    xs = [rng.integers(-128, 128, (1, 48, 48, 3), dtype=np.int8) for _ in range(3)]
    want = [run_reference(tflite, [x])[0] for x in xs]
    assert len({w.tobytes() for w in want}) == 3  # the inputs lead to different outputs
    for x, w in zip(xs, want):
        assert run_engine(tflite, [x])[0].tobytes() == w.tobytes()
        assert run_tflm(tflite, [x])[0].tobytes() == w.tobytes()


def test_a_reshape_whose_shape_is_computed_at_run_time_is_bit_exact():
    """Keras' Reshape in a squeeze-and-excitation block converts to SHAPE → STRIDED_SLICE → PACK →
    RESHAPE (the batch size is dynamic): the engine skips the int32 shape arithmetic."""
    import tensorflow as tf
    import tf_keras as keras

    from mcunets.engine.host import run_engine

    keras.utils.set_random_seed(1)
    inp = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    se = keras.layers.GlobalAveragePooling2D()(x)
    se = keras.layers.Reshape((1, 1, 8))(se)
    se = keras.layers.Conv2D(8, 1, activation="sigmoid")(se)
    out = keras.layers.Multiply()([x, se])
    model = keras.Model(inp, out)
    rng = np.random.default_rng(1)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 12, 12, 3)).astype(np.float32)]
                                                for _ in range(8))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    tflite = converter.convert()
    assert {"SHAPE", "PACK", "RESHAPE"} <= set(model_ops(tflite))
    for _ in range(3):
        x = rng.integers(-128, 128, (1, 12, 12, 3), dtype=np.int8)
        assert run_engine(tflite, [x])[0].tobytes() == run_reference(tflite, [x])[0].tobytes()


def test_softmax_rows_whose_sum_reaches_512_give_the_lowest_output():
    """Where TFLite's reference aborts (the row's sum of exponentials 512 or more: its output shift would
    exceed 31 bits) every output is below half a step: the engine gives -128 throughout; a sum just below
    (511 equal maxima) takes the reference's shift of 31."""
    import tensorflow as tf

    from mcunets.engine.host import run_engine
    from mcunets.tflm import run_reference

    model = convert(lambda x: tf.nn.softmax(x), [(3, 4096)], np.random.default_rng(0))
    x = np.full((3, 4096), -128, np.int8)
    x[0] = 7  # 4096 equal values: the sum would wrap int32 without the stop at 512
    x[1, :600] = 127
    x[2, :511] = 127
    got = run_engine(model, [x])[0]
    assert (got[:2] == -128).all()
    x[:2] = np.arange(4096) % 256 - 128  # rows the reference runs
    assert got[2].tobytes() == run_reference(model, [x])[0][2].tobytes()


def test_a_model_without_operators_is_refused_in_one_line():
    """The converter drops an identity (a zero pad, tf.identity): the output is the input itself."""
    import tensorflow as tf

    model = convert(lambda x: tf.pad(x, [[0, 0]] * 4), [(1, 6, 4, 8)], np.random.default_rng(0))
    assert model_ops(model) == []
    for patches in ("off", "auto"):
        with pytest.raises(UnsupportedOpError, match=r"^output tensor 0 is the model's input itself: no operator"):
            generate(model, patches=patches)


def test_a_float16_model_is_refused_naming_its_type():
    """A float16-quantized model (weights stored as float16, DEQUANTIZE first): one line naming float16."""
    import tensorflow as tf

    f = tf.constant(np.random.default_rng(0).standard_normal((3, 3, 3, 4)).astype(np.float32))
    fn = tf.function(lambda x: tf.nn.conv2d(x, f, 1, "SAME"), input_signature=[tf.TensorSpec((1, 6, 6, 3))])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    with pytest.raises(UnsupportedOpError, match=r"^DEQUANTIZE \(node 0\): input is float16; only int8 is supported$"):
        generate(converter.convert())


def test_profile_hooks_enclose_every_call_of_a_patch_stage(tmp_path):
    """Layers run patch by patch: every layer's hooks enclose its call on every tile (n x n pairs, in
    order inside each tile, never nested), the other layers' once."""
    from mcunets.engine.testing import make_case

    case = make_case("PATCH_CHAIN", np.random.default_rng(8000), runs=1)
    gen = generate(case.model, "prof", patches=(3, 3))
    first, last, n, _ = gen.schedule.stages[0]
    lib = _profiled(gen, tmp_path,
                    "int begins[64], ends[64], inside = -1, nested, order = 1, prev = -1;\n"
                    "void mcunets_layer_begin(int i) { if (inside >= 0) nested++; inside = i; begins[i]++;\n"
                    f"  if (!(i == prev + 1 || (i == {first} && prev == {last}))) order = 0; }}\n"
                    "void mcunets_layer_end(int i) { if (inside != i) nested++; inside = -1; ends[i]++; prev = i; }\n")
    lib.mcunets_invoke()
    begins = (ctypes.c_int * 64).in_dll(lib, "begins")
    ends = (ctypes.c_int * 64).in_dll(lib, "ends")
    for layer in gen.layers:
        want = n * n if first <= layer.index <= last else 1
        assert begins[layer.index] == ends[layer.index] == want, layer
        assert layer.stage == (f"{n}x{n} {first}-{last}" if first <= layer.index <= last else "")
    assert ctypes.c_int.in_dll(lib, "nested").value == 0
    assert ctypes.c_int.in_dll(lib, "order").value == 1
