"""Datasets: image folders and the built-in ``shapes`` dataset, as in-memory uint8 arrays and tf.data pipelines.

Input convention (shared by training, conversion and evaluation): a model's float input is the image's
8-bit pixel value ``p`` scaled to ``[-1, 1]`` as ``x = p / 127.5 - 1``, channels last (``H×W×C``, C = 1 or 3).
With the usual int8 input quantization (scale 1/127.5, zero point -1 or 0) this is ``q ≈ p - 128``.
See docs/data.md.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from mcunets.errors import McunetsError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
BUILTIN_NAME = "builtin:shapes"
SHAPES_CLASSES = ("circle", "square", "triangle", "cross", "hstripes", "vstripes")


# --------------------------------------------------------------------------------------------------
# Scaling


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 pixels → float32 model input in [-1, 1] (the one input convention of mcunets)."""
    return images.astype(np.float32) / 127.5 - 1.0


def to_int8(images: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """uint8 pixels → an int8 model's quantized input, given the input tensor's scale and zero point."""
    return to_quantized(images, "int8", scale, zero_point)


def to_quantized(images: np.ndarray, dtype: str, scale: float, zero_point: int) -> np.ndarray:
    """uint8 pixels → a quantized model's int8 or uint8 input, given the input tensor's scale and zero point."""
    info = np.iinfo(dtype)
    q = np.round(to_float(images) / np.float32(scale)) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


# --------------------------------------------------------------------------------------------------
# In-memory image sets


@dataclass
class ImageSet:
    """Decoded images (``N×H×W×C`` uint8) with integer labels indexing ``class_names``."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(self.class_names)).tolist()

    def subset(self, index: np.ndarray) -> "ImageSet":
        return ImageSet(self.images[index], self.labels[index], list(self.class_names))


@dataclass
class Dataset:
    """A train/validation pair at one resolution and channel count."""

    train: ImageSet
    val: ImageSet
    resolution: int
    channels: int
    source: str
    skipped: list[str] = field(default_factory=list)

    @property
    def class_names(self) -> list[str]:
        return self.train.class_names

    @property
    def num_classes(self) -> int:
        return len(self.train.class_names)

    def steps_per_epoch(self, batch_size: int) -> int:
        return max(1, math.ceil(len(self.train) / batch_size))

    def train_pipeline(self, batch_size: int, seed: int = 0, augment: bool = True):
        """Endless, shuffled, augmented training batches ``(x, one_hot)``; same seed → same batches."""
        return train_pipeline(self.train, batch_size, seed=seed, augment=augment)

    def val_pipeline(self, batch_size: int):
        """Validation batches ``(x, one_hot)`` in file order, no augmentation."""
        return eval_pipeline(self.val, batch_size)

    def representative(self, count: int = 200, seed: int = 0) -> np.ndarray:
        """Up to ``count`` training images as float model input (a fixed, seeded choice)."""
        rng = np.random.default_rng(seed)
        index = np.sort(rng.permutation(len(self.train))[:count])
        return to_float(self.train.images[index])


# --------------------------------------------------------------------------------------------------
# Image folders


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def scan_folder(path: str | os.PathLike) -> dict[str, list[Path]]:
    """The image files of an image folder, per class (sorted subfolder names), checked for shape."""
    root = Path(path)
    if not root.exists():
        raise McunetsError(f"data folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise McunetsError(f"data path {str(root)!r} is not a folder (expected one subfolder per class)")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        loose = _image_files(root)
        hint = f" ({len(loose)} images lie directly in it)" if loose else ""
        raise McunetsError(
            f"data folder {str(root)!r} has no class subfolders{hint}; expected one subfolder per class"
        )
    files = {c.name: _image_files(c) for c in classes}
    for name, found in files.items():
        if not found:
            raise McunetsError(
                f"class {name!r} in {str(root)!r} has no images ({', '.join(IMAGE_SUFFIXES)})"
            )
    return files


def _decode(path: Path, resolution: int, channels: int) -> np.ndarray | None:
    """One image resized (shorter side, then centre crop) to ``resolution``; None if unreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if img.size != (resolution, resolution):
                img = ImageOps.fit(img, (resolution, resolution), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return arr.reshape(resolution, resolution, channels)


def read_folder(
    path: str | os.PathLike,
    resolution: int,
    channels: int = 3,
    class_names: Sequence[str] | None = None,
) -> ImageSet:
    """Decode an image folder into memory.

    ``class_names`` fixes the label order (e.g. a validation folder must use the training classes);
    by default the sorted subfolder names.  Unreadable files are skipped and listed in ``skipped``;
    a class left with no readable image is an error.
    """
    check_geometry(resolution, channels)
    files = scan_folder(path)
    names = list(class_names) if class_names is not None else sorted(files)
    unknown = [c for c in files if c not in names]
    if unknown:
        raise McunetsError(
            f"class {unknown[0]!r} in {str(path)!r} is not one of the model's classes ({', '.join(names)})"
        )
    jobs = [(p, names.index(c)) for c in sorted(files) for p in files[c]]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(lambda job: _decode(job[0], resolution, channels), jobs))
    images, labels, skipped = [], [], []
    for (p, label), arr in zip(jobs, decoded):
        if arr is None:
            skipped.append(str(p))
        else:
            images.append(arr)
            labels.append(label)
    if not images:
        raise McunetsError(f"no readable images in {str(path)!r} ({len(skipped)} files could not be decoded)")
    labels_arr = np.asarray(labels, dtype=np.int32)
    present = np.bincount(labels_arr, minlength=len(names))
    for c in files:
        if present[names.index(c)] == 0:
            raise McunetsError(
                f"class {c!r} in {str(path)!r} has no readable images "
                f"({len(files[c])} files could not be decoded)"
            )
    return ImageSet(np.stack(images), labels_arr, names, skipped)


def split(images: ImageSet, val_fraction: float, seed: int) -> tuple[ImageSet, ImageSet]:
    """Deterministic stratified split: per class, a seeded shuffle, the first ``val_fraction`` to val."""
    if not 0.0 < val_fraction < 1.0:
        raise McunetsError(f"validation fraction must be between 0 and 1, got {val_fraction}")
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for c in range(len(images.class_names)):
        idx = np.flatnonzero(images.labels == c)
        idx = idx[rng.permutation(len(idx))]
        n_val = int(round(len(idx) * val_fraction))
        if len(idx) >= 2:
            n_val = min(max(n_val, 1), len(idx) - 1)
        else:
            n_val = 0
        val_idx.extend(idx[:n_val])
        train_idx.extend(idx[n_val:])
    if not val_idx:
        raise McunetsError(
            "too few images to hold out a validation split (every class has one image); give --val-data"
        )
    return images.subset(np.sort(train_idx)), images.subset(np.sort(val_idx))


def class_names(data: str | os.PathLike | None = None) -> list[str]:
    """The classes of an image folder (its subfolders, checked to hold images) or of the built-in
    dataset, without decoding any image."""
    if data is None or str(data) == BUILTIN_NAME:
        return list(SHAPES_CLASSES)
    names = list(scan_folder(data))
    if len(names) < 2:
        raise McunetsError(f"data folder {str(data)!r} has a single class ({names[0]!r}); "
                           "a classifier needs at least two")
    return names


def check_geometry(resolution: int, channels: int) -> None:
    """Input geometry for training, the zoo and the fit check (each builder adds its own minimum).

    At most 1024 pixels: a 1024×1024×3 int8 input alone is 3 MiB, more than any board's SRAM, and
    quantizing a model at that size already takes minutes and gigabytes on the host (the float
    activations grow with the square of the resolution: terabytes at 100,000 pixels).
    """
    if channels not in (1, 3):
        raise McunetsError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    if resolution < 8 or resolution > 1024:
        raise McunetsError(f"resolution must be between 8 and 1024 pixels, got {resolution}")


def load(
    data: str | os.PathLike | None = None,
    val_data: str | os.PathLike | None = None,
    resolution: int = 96,
    channels: int = 3,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """A train/val :class:`Dataset`: an image folder (split by ``seed``, or ``val_data`` as the
    validation folder), or the built-in shapes dataset when ``data`` is None."""
    check_geometry(resolution, channels)
    if data is None or str(data) == BUILTIN_NAME:
        if val_data is not None:
            raise McunetsError("--val-data needs --data (the built-in dataset has its own validation set)")
        return builtin(resolution, channels)
    class_names(data)
    everything = read_folder(data, resolution, channels)
    if val_data is None:
        train, val = split(everything, val_fraction, seed)
        source = str(data)
    else:
        train = everything
        val = read_folder(val_data, resolution, channels, class_names=everything.class_names)
        source = f"{data} (val: {val_data})"
    return Dataset(train, val, resolution, channels, source, everything.skipped + val.skipped)


# --------------------------------------------------------------------------------------------------
# The built-in dataset: shapes and patterns


def builtin(
    resolution: int = 96, channels: int = 3, train_per_class: int = 200, val_per_class: int = 50
) -> Dataset:
    """The built-in ``shapes`` dataset: 6 classes of shapes and stripe patterns with random position,
    size, colours and noise.  Generated, not downloaded; the same images for the same arguments."""
    check_geometry(resolution, channels)
    train = shapes(train_per_class, resolution, channels, seed=1)
    val = shapes(val_per_class, resolution, channels, seed=2)
    return Dataset(train, val, resolution, channels, BUILTIN_NAME)


def shapes(per_class: int, resolution: int, channels: int = 3, seed: int = 1) -> ImageSet:
    """``per_class`` images of each :data:`SHAPES_CLASSES` class, interleaved (label = index % classes)."""
    rng = np.random.default_rng(seed)
    k = len(SHAPES_CLASSES)
    n = per_class * k
    images = np.empty((n, resolution, resolution, channels), dtype=np.uint8)
    labels = (np.arange(n) % k).astype(np.int32)
    grid = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    for i, label in enumerate(labels):
        mask = _shape_mask(SHAPES_CLASSES[label], rng, yy, xx)
        images[i] = _paint(mask, rng, channels)
    return ImageSet(images, labels, list(SHAPES_CLASSES))


def _shape_mask(name: str, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    cy, cx = rng.uniform(0.4, 0.6, size=2)
    s = rng.uniform(0.24, 0.34)  # half-size
    dy, dx = yy - cy, xx - cx
    inside_box = (np.abs(dy) <= s) & (np.abs(dx) <= s)
    r = np.sqrt(dy * dy + dx * dx)
    period = s * rng.uniform(0.5, 0.8)
    phase = rng.uniform(0, period)
    if name == "circle":
        return r <= s
    if name == "square":
        return inside_box
    if name == "triangle":  # apex up: width grows linearly from the top edge to the bottom edge
        t = (dy + s) / (2 * s)
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= s * t)
    if name == "cross":
        w = s * 0.3
        return inside_box & ((np.abs(dy) <= w) | (np.abs(dx) <= w))
    if name == "hstripes":
        return inside_box & (((yy + phase) % period) < period / 2)
    if name == "vstripes":
        return inside_box & (((xx + phase) % period) < period / 2)
    raise ValueError(name)


def _paint(mask: np.ndarray, rng: np.random.Generator, channels: int) -> np.ndarray:
    """A light, tinted foreground on a dark, tinted background, plus Gaussian noise → uint8."""
    fg_level, bg_level = rng.uniform(0.6, 0.95), rng.uniform(0.05, 0.4)
    tint = 0.2 if channels == 3 else 0.0
    fg = np.clip(fg_level + rng.uniform(-tint, tint, size=channels), 0, 1)
    bg = np.clip(bg_level + rng.uniform(-tint, tint, size=channels), 0, 1)
    img = np.where(mask[..., None], fg, bg)
    img = img + rng.normal(0.0, 0.08, size=img.shape)
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# tf.data pipelines


def _augment(image, index, seed: int, resolution: int):
    """Random horizontal flip, pad-and-crop (±1/8 of the side) and brightness, from stateless seeds."""
    import tensorflow as tf

    def s(k):
        return tf.stack([tf.constant(seed * 8 + k, tf.int64), index])

    pad = max(1, resolution // 16)
    image = tf.image.stateless_random_flip_left_right(image, s(1))
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    image = tf.image.stateless_random_crop(padded, tf.shape(image), s(2))
    image = tf.image.stateless_random_brightness(image, 0.1, s(3))
    return tf.clip_by_value(image, -1.0, 1.0)


def train_pipeline(images: ImageSet, batch_size: int, seed: int = 0, augment: bool = True):
    """Endless shuffled (seeded) batches of ``(x in [-1, 1], one-hot label)`` with augmentation."""
    import tensorflow as tf

    k = len(images.class_names)
    resolution = images.images.shape[1]
    ds = tf.data.Dataset.from_tensor_slices((images.images, images.labels)).cache()
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat().enumerate()

    def prepare(index, pair):
        image, label = pair
        x = tf.cast(image, tf.float32) / 127.5 - 1.0
        if augment:
            x = _augment(x, index, seed, resolution)
        return x, tf.one_hot(label, k)

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size, drop_remainder=False).prefetch(tf.data.AUTOTUNE)


def eval_pipeline(images: ImageSet, batch_size: int):
    """Batches of ``(x in [-1, 1], one-hot label)`` in order, no augmentation."""
    import tensorflow as tf

    k = len(images.class_names)
    ds = tf.data.Dataset.from_tensor_slices((images.images, images.labels)).cache()
    ds = ds.map(
        lambda image, label: (tf.cast(image, tf.float32) / 127.5 - 1.0, tf.one_hot(label, k)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
