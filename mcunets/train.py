"""Training: float training, quantization-aware fine-tuning, int8 conversion and the training report.

``train(arch, data, ..., out=DIR)`` runs the three phases and writes ``DIR/model.tflite`` and
``DIR/train_report.json``; weights are checkpointed to ``DIR/checkpoints/`` after every epoch.  Outputs are
written atomically at the end, so an interrupted run leaves the last good checkpoint and no partial output.
See docs/training.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mcunets import data as data_lib
from mcunets._io import atomic_write_bytes, atomic_write_text
from mcunets.errors import McunetsError

TFLITE_NAME = "model.tflite"
REPORT_NAME = "train_report.json"
CHECKPOINTS = "checkpoints"

Log = Callable[[str], None]

# α multiplies every layer's width: 4 is four times the papers' full-size models, already far beyond any
# microcontroller, while larger values (or inf) would have the builders allocate gigabytes or fail.
MAX_ALPHA = 4.0


@dataclass
class TrainResult:
    """What ``train`` produced: the int8 model, where it was written, and the report."""

    out: Path
    tflite_path: Path
    report_path: Path
    tflite: bytes
    report: dict
    model: object = field(default=None, repr=False)  # the trained (QAT) tf_keras model

    def table(self) -> str:
        return format_report(self.report)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow ops deterministic."""
    import tensorflow as tf
    import tf_keras as keras

    keras.backend.clear_session()  # fresh layer names, so the same run gives the same .tflite bytes
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build_model(arch, *, alpha: float, resolution: int, channels: int, classes: int):
    """A tf_keras model from a zoo architecture name, or from a callable ``f(resolution, channels, classes)``."""
    if callable(arch):
        return arch(resolution=resolution, channels=channels, classes=classes)
    from mcunets import zoo

    if arch not in zoo.ARCHITECTURES:
        raise McunetsError(f"unknown architecture {arch!r}; choose from {', '.join(zoo.ARCHITECTURES)}")
    try:
        if alpha > MAX_ALPHA:  # the builders check α > 0 themselves
            raise ValueError(f"alpha must be at most {MAX_ALPHA:g}. Received alpha={alpha}")
        return zoo.build(arch, alpha=alpha, resolution=resolution, channels=channels, classes=classes)
    except McunetsError:
        raise
    except ValueError as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else "invalid configuration"
        raise McunetsError(
            f"{arch} cannot be built at {resolution}×{resolution}×{channels}, α={alpha}: {detail}"
        ) from None


def _arch_name(arch) -> str:
    return arch if isinstance(arch, str) else getattr(arch, "__name__", "custom")


def _callbacks(checkpoint: Path):
    """Keras callbacks: save weights atomically after every epoch; time the training steps of every
    epoch (validation excluded) in ``.train_seconds``."""
    import tf_keras as keras

    class Checkpoint(keras.callbacks.Callback):
        train_seconds = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_test_begin(self, logs=None):  # validation starts: the epoch's training steps are done
            self.train_seconds += time.perf_counter() - self._start

        def on_epoch_end(self, epoch, logs=None):
            tmp = checkpoint.with_name(f".{checkpoint.stem}.tmp{checkpoint.suffix}")
            self.model.save_weights(str(tmp))
            os.replace(tmp, checkpoint)

    return Checkpoint()


def _fit(model, dataset: data_lib.Dataset, *, epochs, steps, lr, label_smoothing, batch_size, seed,
         checkpoint: Path, verbose: int, callbacks=()) -> float:
    """Compile with Adam on a cosine schedule and fit; returns the images/s of the training steps."""
    import tf_keras as keras

    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, epochs * steps), alpha=0.01)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=["accuracy"],
    )
    callback = _callbacks(checkpoint)
    # Keras prints its progress to stdout; it goes to stderr, so stdout carries only results (--json).
    with contextlib.redirect_stdout(sys.stderr):
        model.fit(
            dataset.train_pipeline(batch_size, seed=seed),
            epochs=epochs,
            steps_per_epoch=steps,
            validation_data=dataset.val_pipeline(batch_size),
            callbacks=[callback, *callbacks],
            verbose=verbose,
        )
    return epochs * steps * batch_size / max(1e-9, callback.train_seconds)


def _val_accuracy(model, dataset: data_lib.Dataset, batch_size: int) -> float:
    _, accuracy = model.evaluate(dataset.val_pipeline(batch_size), verbose=0)
    return float(accuracy)


def _check_args(epochs, qat_epochs, batch_size, lr, label_smoothing, out) -> None:
    if epochs < 1:
        raise McunetsError(f"--epochs must be at least 1, got {epochs}")
    if qat_epochs < 0:
        raise McunetsError(f"--qat-epochs must be 0 or more, got {qat_epochs}")
    if batch_size < 1:
        raise McunetsError(f"--batch-size must be at least 1, got {batch_size}")
    if not lr > 0:
        raise McunetsError(f"--lr must be positive, got {lr}")
    if not 0 <= label_smoothing < 1:
        raise McunetsError(f"label smoothing must be in [0, 1), got {label_smoothing}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise McunetsError(f"output path {str(out)!r} exists and is not a folder")


def train(
    arch,
    data: str | os.PathLike | data_lib.Dataset | None = None,
    val_data: str | os.PathLike | None = None,
    *,
    out: str | os.PathLike,
    alpha: float = 0.25,
    resolution: int = 96,
    channels: int = 3,
    epochs: int = 20,
    qat_epochs: int = 3,
    batch_size: int = 32,
    lr: float = 0.01,
    label_smoothing: float = 0.1,
    seed: int = 0,
    steps_per_epoch: int | None = None,
    representative_count: int = 200,
    calibration_count: int = 1024,
    verbose: int = 1,
    log: Log | None = None,
    callbacks=(),
) -> TrainResult:
    """Train ``arch`` float, fine-tune it quantization-aware, convert it to int8 and report.

    ``data`` is an image folder, a :class:`mcunets.data.Dataset`, or None for the built-in shapes
    dataset.  ``qat_epochs=0`` skips QAT (post-training quantization of the float model).  Keras prints
    its progress (``verbose``: 0 silent, 1 progress bar, 2 a line per epoch) to stderr.
    Writes ``out/model.tflite`` and ``out/train_report.json``; returns a :class:`TrainResult`.
    ``callbacks``: more Keras callbacks for the float training (``mcunets search`` stops bad trials).
    """
    say = log or (lambda message: None)
    _check_args(epochs, qat_epochs, batch_size, lr, label_smoothing, out)
    out = Path(out)
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()

    # Everything that can reject the input happens before anything is written.
    t = time.perf_counter()
    if isinstance(data, data_lib.Dataset):
        dataset = data
        resolution, channels = dataset.resolution, dataset.channels
    else:
        dataset = data_lib.load(data, val_data, resolution=resolution, channels=channels, seed=seed)
    seconds["data"] = time.perf_counter() - t

    import tensorflow as tf  # noqa: F401  (after mcunets has selected tf-keras)

    seed_everything(seed)
    model = build_model(arch, alpha=alpha, resolution=resolution, channels=channels, classes=dataset.num_classes)
    steps = steps_per_epoch or dataset.steps_per_epoch(batch_size)
    checkpoints = out / CHECKPOINTS
    try:
        checkpoints.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise McunetsError(f"cannot create output folder {str(out)!r}: {e.strerror or e}") from None
    if dataset.skipped:
        say(f"skipped {len(dataset.skipped)} unreadable image file(s), e.g. {dataset.skipped[0]}")
    say(
        f"data: {dataset.source}: {len(dataset.train)} train / {len(dataset.val)} val images, "
        f"{dataset.num_classes} classes, {resolution}×{resolution}×{channels}"
    )

    say(f"float training: {epochs} epochs × {steps} steps")
    t = time.perf_counter()
    float_ips = _fit(model, dataset, epochs=epochs, steps=steps, lr=lr, label_smoothing=label_smoothing,
                     batch_size=batch_size, seed=seed, checkpoint=checkpoints / "float.h5", verbose=verbose,
                     callbacks=callbacks)
    float_acc = _val_accuracy(model, dataset, batch_size)
    seconds["float"] = time.perf_counter() - t

    qat_acc = qat_ips = None
    final = model
    if qat_epochs:
        from mcunets import qat

        say(f"quantization-aware training: {qat_epochs} epochs × {steps} steps")
        t = time.perf_counter()
        final = qat.quantize_model(model)
        order = np.random.default_rng(seed).permutation(len(dataset.train))[:calibration_count]
        qat.calibrate(final, data_lib.to_float(dataset.train.images[order]), batch_size)
        qat_ips = _fit(final, dataset, epochs=qat_epochs, steps=steps, lr=lr * 0.1,
                       label_smoothing=label_smoothing, batch_size=batch_size, seed=seed + 1,
                       checkpoint=checkpoints / "qat.h5", verbose=verbose)
        qat_acc = _val_accuracy(final, dataset, batch_size)
        seconds["qat"] = time.perf_counter() - t

    from mcunets.convert import to_int8_tflite

    say("converting to int8")
    t = time.perf_counter()
    tflite = to_int8_tflite(final, dataset.representative(representative_count, seed=seed))
    seconds["convert"] = time.perf_counter() - t

    from mcunets.evaluate import predict, score

    t = time.perf_counter()
    int8 = score(dataset.val.labels, predict(tflite, dataset.val.images), dataset.class_names)
    seconds["evaluate"] = time.perf_counter() - t

    from mcunets import tflm
    from mcunets.zoo import count_macs

    try:
        arena = tflm.arena_bytes(tflite)
    except McunetsError as e:
        say(f"TFLM arena not measured: {e}")
        arena = None
    seconds["total"] = time.perf_counter() - t_all

    report = {
        "arch": _arch_name(arch),
        "alpha": alpha,
        "resolution": resolution,
        "channels": channels,
        "classes": dataset.class_names,
        "data": dataset.source,
        "train_images": len(dataset.train),
        "val_images": len(dataset.val),
        "skipped_images": len(dataset.skipped),
        "epochs": epochs,
        "qat_epochs": qat_epochs,
        "steps_per_epoch": steps,
        "batch_size": batch_size,
        "lr": lr,
        "label_smoothing": label_smoothing,
        "seed": seed,
        "accuracy": {
            "float": float_acc,
            "qat": qat_acc,
            "int8": int8.accuracy,
            "int8_minus_float_points": round(100 * (int8.accuracy - float_acc), 4) + 0.0,  # no -0.0
        },
        "per_class_accuracy": dict(zip(dataset.class_names, int8.per_class)),
        "confusion": int8.confusion,
        "params": int(model.count_params()),
        "macs": count_macs(model),
        "model_bytes": len(tflite),
        "tflm_arena_bytes": arena,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "images_per_second": {
            "float": round(float_ips, 1),
            "qat": None if qat_ips is None else round(qat_ips, 1),
        },
        "tflite": TFLITE_NAME,
        "tflite_sha256": hashlib.sha256(tflite).hexdigest(),
    }
    tflite_path = atomic_write_bytes(out / TFLITE_NAME, tflite)
    report_path = atomic_write_text(out / REPORT_NAME, json.dumps(report, indent=2) + "\n")
    return TrainResult(out, tflite_path, report_path, tflite, report, final)


def format_report(report: dict) -> str:
    """The training report as terminal tables: summary, then per-class accuracy and confusion matrix."""
    from mcunets.evaluate import format_per_class, percent
    from mcunets.report import format_table

    acc, sec = report["accuracy"], report["seconds"]
    rows = [
        ["float val accuracy", percent(acc["float"])],
        ["QAT val accuracy", percent(acc["qat"])],
        ["int8 val accuracy (TFLite)", percent(acc["int8"])],
        ["int8 - float", f"{acc['int8_minus_float_points']:+.2f} points"],
        ["params", f"{report['params']:,}"],
        ["MACs (conv, depthwise, dense)", "-" if report["macs"] is None else f"{report['macs']:,}"],
        ["model bytes", f"{report['model_bytes']:,}"],
        ["TFLM arena bytes", "-" if report["tflm_arena_bytes"] is None else f"{report['tflm_arena_bytes']:,}"],
    ]
    for phase in ("data", "float", "qat", "convert", "evaluate", "total"):
        if phase in sec:
            rows.append([f"time {phase}", f"{sec[phase]:.1f} s"])
    summary = format_table(
        [f"{report['arch']} α={report['alpha']} {report['resolution']}px", "value"], rows
    )
    notes = (
        "MACs: convolution, depthwise and dense layers (a board profile also counts pooling and MEAN).\n"
        "TFLM arena: the TensorFlow Lite Micro runtime's; the mcunets engine's is smaller (see profile)."
    )
    names = report["classes"]
    per_class = format_per_class(names, [report["per_class_accuracy"][n] for n in names], report["confusion"])
    return f"{summary}\n{notes}\n\nint8 per class (rows: true class, columns: predicted class #)\n{per_class}"
