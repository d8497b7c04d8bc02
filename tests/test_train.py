"""``mcunets train`` and ``mcunets evaluate``: bad input through the CLI, a tiny end-to-end run,
reproducibility and int8 evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import data, evaluate, train
from mcunets.cli import cli

COLOURS = {"blue": (20, 40, 220), "red": (220, 30, 30)}


def make_folder(root: Path, per_class: int = 5, size=(24, 24), classes=COLOURS):
    """One subfolder per class of noisy solid-colour PNG images."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, colour in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = np.clip(np.array(colour) + rng.integers(-30, 30, size=(size[1], size[0], 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8), "RGB").save(root / name / f"{i:03d}.png")
    return root


def tiny_model(resolution: int, channels: int, classes: int, alpha: float = 1.0):
    """A small conv net (stem, depthwise separable block, classifier) that QAT and TFLM handle."""
    import tf_keras as keras
    from tf_keras import layers

    inputs = keras.Input((resolution, resolution, channels))
    x = layers.Conv2D(max(8, int(8 * alpha)), 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    x = layers.Conv2D(16, 1, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(classes)(x)
    return keras.Model(inputs, layers.Softmax()(x), name="tiny")


def run_cli(*args):
    result = CliRunner().invoke(cli, list(map(str, args)))
    return result


def assert_one_line_error(result, *fragments):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _corrupt(root: Path):
    make_folder(root, per_class=3, classes=COLOURS)
    for p in root.rglob("*.png"):
        p.write_bytes(b"\x89PNG truncated")


@pytest.mark.parametrize(
    "setup, args, fragments",
    [
        (lambda d: None, [], ["does not exist"]),
        (lambda d: d.mkdir(), [], ["no class subfolders"]),
        (lambda d: (make_folder(d, 3, classes=COLOURS), (d / "green").mkdir()), [], ["'green'", "no images"]),
        (_corrupt, [], ["no readable images"]),
        (lambda d: make_folder(d, 3, classes={"red": (200, 0, 0)}), [], ["single class"]),
        (lambda d: make_folder(d, 3, classes=COLOURS), ["--epochs", "0"], ["--epochs"]),
        (lambda d: make_folder(d, 3, classes=COLOURS), ["--channels", "1", "--val-data", "missing"],
         ["missing", "does not exist"]),
    ],
    ids=["missing", "empty", "empty-class", "all-corrupt", "single-class", "epochs", "missing-val"],
)
def test_train_rejects_bad_input_in_one_line(tmp_path, monkeypatch, setup, args, fragments):
    monkeypatch.chdir(tmp_path)
    setup(tmp_path / "d")
    out = tmp_path / "out"
    base = {"--arch": "mobilenet", "--data": "d", "--resolution": "32", "--out": out}
    overrides = dict(zip(args[::2], args[1::2]))
    argv = [x for k, v in {**base, **overrides}.items() for x in (k, v)]
    result = run_cli("train", *argv)
    assert_one_line_error(result, *fragments)
    assert not out.exists()


@pytest.mark.parametrize("args, fragments", [
    (["--resolution", "16"], ["mobilenet", "16"]),
    (["--arch", "nonet"], ["unknown architecture 'nonet'"]),
], ids=["resolution", "arch"])
def test_train_refuses_bad_arguments_as_usage_errors(tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    make_folder(tmp_path / "d", 3, classes=COLOURS)
    out = tmp_path / "out"
    argv = dict(zip(["--arch", "--data", "--resolution", "--out"], ["mobilenet", "d", "32", str(out)]))
    argv.update(zip(args[::2], args[1::2]))
    result = run_cli("train", *[x for kv in argv.items() for x in kv])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and all(f in errors[0] for f in fragments), result.output
    assert not out.exists()


def test_evaluate_rejects_bad_input(tmp_path):
    make_folder(tmp_path / "d", 2, classes=COLOURS)
    assert_one_line_error(run_cli("evaluate", "--model", tmp_path / "none.tflite", "--data", tmp_path / "d"),
                          "does not exist")
    (tmp_path / "junk.tflite").write_bytes(b"not a flatbuffer at all")
    assert_one_line_error(run_cli("evaluate", "--model", tmp_path / "junk.tflite", "--data", tmp_path / "d"),
                          "TFLite")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    make_folder(root / "train", per_class=12, size=(40, 40), classes=COLOURS)
    make_folder(root / "val", per_class=4, size=(40, 40), classes=COLOURS)
    return root


@pytest.fixture
def tiny_arch(monkeypatch):
    """``tiny`` as a zoo architecture, so the CLI runs end to end in seconds (benchmarks/train.py
    trains the real architectures)."""
    from mcunets import zoo

    monkeypatch.setitem(zoo.ARCHITECTURES, "tiny", tiny_model)
    return "tiny"


@pytest.mark.slow
def test_train_cli_end_to_end_and_evaluate(folders, tmp_path, tiny_arch):
    out = tmp_path / "run"
    result = run_cli(
        "train", "--arch", tiny_arch, "--data", folders / "train", "--val-data", folders / "val",
        "--resolution", 32, "--epochs", 1, "--qat-epochs", 1, "--batch-size", 8, "--out", out,
    )
    assert result.exit_code == 0, result.output
    assert "int8 val accuracy" in result.output and "TFLM arena bytes" in result.output
    model = (out / "model.tflite").read_bytes()
    report = json.loads((out / "train_report.json").read_text())
    assert (out / "checkpoints" / "float.h5").is_file() and (out / "checkpoints" / "qat.h5").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left

    spec = evaluate.input_spec(model)
    assert (spec.resolution, spec.channels, spec.dtype, spec.num_classes) == (32, 3, "int8", 2)
    assert report["classes"] == ["blue", "red"] and report["val_images"] == 8 and report["train_images"] == 24
    acc = report["accuracy"]
    for key in ("float", "qat", "int8"):
        assert 0.0 <= acc[key] <= 1.0
    assert acc["int8_minus_float_points"] == pytest.approx(100 * (acc["int8"] - acc["float"]), abs=1e-3)
    assert np.sum(report["confusion"]) == 8
    assert report["model_bytes"] == len(model) and report["tflm_arena_bytes"] > 0
    assert report["params"] > 0 and report["macs"] > 0
    assert set(report["seconds"]) >= {"data", "float", "qat", "convert", "evaluate", "total"}

    # evaluate on the validation folder reproduces the report's int8 accuracy and confusion matrix.
    ev = run_cli("evaluate", "--model", out / "model.tflite", "--data", folders / "val", "--json")
    assert ev.exit_code == 0, ev.output
    got = json.loads(ev.output)
    assert got["accuracy"] == pytest.approx(acc["int8"]) and got["confusion"] == report["confusion"]
    assert got["count"] == 8

    # Without a train_report.json beside it, classes are the sorted subfolders; their count must match.
    alone = tmp_path / "alone" / "m.tflite"
    alone.parent.mkdir()
    alone.write_bytes(model)
    assert evaluate.evaluate(alone, folders / "val").confusion == report["confusion"]
    make_folder(tmp_path / "three", per_class=1, classes={**COLOURS, "green": (0, 200, 0)})
    assert_one_line_error(run_cli("evaluate", "--model", alone, "--data", tmp_path / "three"),
                          "3 classes", "outputs 2")


@pytest.mark.slow
def test_train_json_keeps_keras_progress_off_stdout(folders, tmp_path, tiny_arch):
    result = run_cli("train", "--arch", tiny_arch, "--data", folders / "train", "--val-data", folders / "val",
                     "--resolution", 16, "--epochs", 1, "--qat-epochs", 0, "--batch-size", 8,
                     "--out", tmp_path / "run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["arch"] == tiny_arch
    assert "3/3 - " in result.stderr and "val_loss" in result.stderr  # Keras' progress, on stderr


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    ds = data.builtin(resolution=16, channels=1, train_per_class=16, val_per_class=8)
    kwargs = dict(epochs=2, qat_epochs=1, batch_size=16, lr=0.01, verbose=0)
    a = train.train(tiny_model, ds, out=tmp_path / "a", seed=7, **kwargs)
    b = train.train(tiny_model, ds, out=tmp_path / "b", seed=7, **kwargs)
    assert a.tflite == b.tflite == (tmp_path / "b" / "model.tflite").read_bytes()
    assert a.report["accuracy"] == b.report["accuracy"]
    # The int8 model agrees with an independent run of the TFLite interpreter on the val images.
    preds = evaluate.predict(a.tflite, ds.val.images)
    assert a.report["accuracy"]["int8"] == pytest.approx(np.mean(preds == ds.val.labels))


@pytest.mark.slow
def test_post_training_quantization_when_no_qat_epochs(tmp_path):
    ds = data.builtin(resolution=16, channels=3, train_per_class=8, val_per_class=4)
    r = train.train(tiny_model, ds, out=tmp_path / "ptq", epochs=1, qat_epochs=0, batch_size=16, verbose=0)
    assert r.report["accuracy"]["qat"] is None and "qat" not in r.report["seconds"]
    assert evaluate.input_spec(r.tflite).dtype == "int8"
    assert not (tmp_path / "ptq" / "checkpoints" / "qat.h5").exists()


def test_score_counts_confusion_and_per_class():
    labels = np.array([0, 0, 1, 1, 2, 2])
    preds = np.array([0, 1, 1, 1, 2, 0])
    s = evaluate.score(labels, preds, ["a", "b", "c"])
    assert s.accuracy == pytest.approx(4 / 6)
    assert s.per_class == [0.5, 1.0, 0.5]
    assert s.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


@pytest.mark.slow
def test_interrupt_keeps_checkpoint_and_writes_no_model(tmp_path, tiny_arch, monkeypatch):
    """Ctrl-C after float training: exit 130, the float checkpoint kept, no model or report.
    A corrupt file is skipped, and the run says so."""
    make_folder(tmp_path / "d", per_class=6)
    (tmp_path / "d" / "red" / "zz.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_val_accuracy", interrupted)
    out = tmp_path / "run"
    result = run_cli("train", "--arch", tiny_arch, "--data", tmp_path / "d", "--resolution", 16,
                     "--epochs", 1, "--batch-size", 8, "--out", out)
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.output and "Traceback" not in result.output
    assert "skipped 1 unreadable image file(s)" in result.output and "zz.jpg" in result.output
    assert (out / "checkpoints" / "float.h5").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints"]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["float.h5"]


def test_calibrate_ranges_sets_activation_ranges_and_keeps_batchnorm():
    from mcunets import qat as qat_lib
    from mcunets.qat import quantize_model

    train.seed_everything(0)
    model = tiny_model(resolution=16, channels=3, classes=3)
    qat = quantize_model(model)
    names = {v.name: v for v in qat.non_trainable_variables}
    ranges = {n: v.numpy().copy() for n, v in names.items() if n.endswith(("output_min:0", "output_max:0"))}
    bn = {n: v.numpy().copy() for n, v in names.items() if "moving_" in n}
    assert ranges and bn and all(abs(abs(float(r)) - 6.0) < 1e-6 for r in ranges.values())
    images = data.to_float(data.builtin(16, 3, train_per_class=6, val_per_class=1).train.images)
    assert qat_lib.calibrate(qat, images, batch_size=8) >= len(ranges)
    # ReLU6 outputs: the range is [0, a batch maximum in (0, 6]], no longer [-6, 6].
    relu = [n for n in ranges if "re_lu" in n and n.endswith("output_max:0")]
    assert relu
    for n in relu:
        lo = float(names[n.replace("output_max", "output_min")].numpy())
        hi = float(names[n].numpy())
        assert abs(lo) < 1e-4 and 0 < hi <= 6.0 + 1e-4
    assert all(np.array_equal(names[n].numpy(), v) for n, v in bn.items())


def test_report_table_keeps_class_names_whole_and_says_what_it_counts():
    names = ["golden_retriever", "cat", "person_with_umbrella"]
    report = {
        "arch": "tiny", "alpha": 0.25, "resolution": 32, "params": 1234, "macs": 56789, "model_bytes": 4000,
        "tflm_arena_bytes": 5000, "seconds": {"total": 3.0},
        "accuracy": {"float": 0.9, "qat": 0.8, "int8": 0.8, "int8_minus_float_points": -10.0},
        "classes": names, "per_class_accuracy": dict(zip(names, [1.0, 0.5, None])),
        "confusion": [[4, 0, 0], [1, 1, 0], [0, 0, 0]],
    }
    text = train.format_report(report)
    for name in names:
        assert all(name in line for line in text.splitlines() if name[:6] in line), text
        assert sum(name in line for line in text.splitlines()) == 1, text
    assert "MACs (conv, depthwise, dense)" in text and "pooling and MEAN" in text
    assert "TensorFlow Lite Micro runtime" in text and "mcunets engine" in text
    last = text.splitlines()[-1].split()
    assert last == ["2", "person_with_umbrella", "-", "0", "0", "0"], text
    # evaluate's table is the same
    result = evaluate.Evaluation(0.5, 6, names, [1.0, 0.5, None], report["confusion"])
    assert evaluate.format_evaluation(result).endswith(text[text.index("(rows:"):]), text
