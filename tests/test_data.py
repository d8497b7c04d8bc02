"""Image folders, the seeded split, resizing, grayscale, augmentation and the built-in dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import data
from mcunets.errors import McunetsError

COLOURS = {"blue": (20, 40, 220), "green": (30, 200, 60), "red": (220, 30, 30)}


def make_folder(root: Path, per_class: int = 5, size=(24, 20), classes=COLOURS, suffix=".png", mode="RGB"):
    """One subfolder per class of solid-colour images with a little per-image variation."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, colour in classes.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = np.clip(np.array(colour) + rng.integers(-10, 10, size=(size[1], size[0], 3)), 0, 255)
            img = Image.fromarray(pixels.astype(np.uint8), "RGB")
            img.convert(mode).save(folder / f"{i:03d}{suffix}")
    return root


def test_folder_is_read_resized_and_labelled_in_sorted_class_order(tmp_path):
    make_folder(tmp_path / "d", per_class=4, size=(40, 30))
    images = data.read_folder(tmp_path / "d", resolution=16, channels=3)
    assert images.class_names == ["blue", "green", "red"]
    assert images.images.shape == (12, 16, 16, 3) and images.images.dtype == np.uint8
    assert images.counts() == [4, 4, 4]
    # Labels follow the colours: red images are mostly red, blue mostly blue.
    red = images.images[images.labels == 2].reshape(-1, 3).mean(0)
    blue = images.images[images.labels == 0].reshape(-1, 3).mean(0)
    assert red[0] > 180 and red[2] < 60 and blue[2] > 180 and blue[0] < 60


def test_jpg_png_bmp_and_other_files(tmp_path):
    make_folder(tmp_path / "d", per_class=2, classes={"a": (0, 0, 0)}, suffix=".jpg")
    make_folder(tmp_path / "d", per_class=2, classes={"b": (255, 255, 255)}, suffix=".bmp")
    make_folder(tmp_path / "d", per_class=2, classes={"c": (128, 0, 0)}, suffix=".PNG")
    (tmp_path / "d" / "a" / "notes.txt").write_text("not an image")
    images = data.read_folder(tmp_path / "d", resolution=8)
    assert images.counts() == [2, 2, 2] and not images.skipped


def test_grayscale(tmp_path):
    make_folder(tmp_path / "rgb", per_class=2)
    make_folder(tmp_path / "gray", per_class=2, mode="L")
    for folder in ("rgb", "gray"):
        g = data.read_folder(tmp_path / folder, resolution=12, channels=1)
        assert g.images.shape == (6, 12, 12, 1)
    rgb = data.read_folder(tmp_path / "gray", resolution=12, channels=3)
    assert rgb.images.shape == (6, 12, 12, 3)
    assert np.array_equal(rgb.images[..., 0], rgb.images[..., 2])  # grey expanded to RGB


def test_split_is_deterministic_stratified_and_disjoint(tmp_path):
    make_folder(tmp_path / "d", per_class=10)
    a = data.load(tmp_path / "d", resolution=8, seed=3)
    b = data.load(tmp_path / "d", resolution=8, seed=3)
    c = data.load(tmp_path / "d", resolution=8, seed=4)
    assert np.array_equal(a.val.images, b.val.images) and np.array_equal(a.train.images, b.train.images)
    assert a.val.counts() == [2, 2, 2] and a.train.counts() == [8, 8, 8]
    assert not np.array_equal(a.val.images, c.val.images)
    train_rows = {x.tobytes() for x in a.train.images}
    assert not any(x.tobytes() in train_rows for x in a.val.images)


def test_separate_validation_folder_uses_training_classes(tmp_path):
    make_folder(tmp_path / "train", per_class=3)
    make_folder(tmp_path / "val", per_class=2, classes={"red": COLOURS["red"], "blue": COLOURS["blue"]})
    ds = data.load(tmp_path / "train", tmp_path / "val", resolution=8)
    assert ds.class_names == ["blue", "green", "red"]
    assert len(ds.train) == 9 and ds.val.counts() == [2, 0, 2]
    make_folder(tmp_path / "val", per_class=1, classes={"yellow": (250, 250, 0)})
    with pytest.raises(McunetsError, match="yellow"):
        data.load(tmp_path / "train", tmp_path / "val", resolution=8)


def test_corrupt_files_are_skipped_and_counted(tmp_path):
    make_folder(tmp_path / "d", per_class=3)
    (tmp_path / "d" / "red" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    images = data.read_folder(tmp_path / "d", resolution=8)
    assert len(images) == 9 and len(images.skipped) == 1 and images.skipped[0].endswith("broken.jpg")


def test_all_corrupt_class_is_an_error(tmp_path):
    make_folder(tmp_path / "d", per_class=3)
    for p in (tmp_path / "d" / "green").iterdir():
        p.write_bytes(b"garbage")
    with pytest.raises(McunetsError, match="'green' .* no readable images"):
        data.read_folder(tmp_path / "d", resolution=8)


def _first_batches(pipeline, n):
    it = iter(pipeline)
    return [next(it) for _ in range(n)]


def test_augmentation_only_on_training_batches_and_seeded(tmp_path):
    make_folder(tmp_path / "d", per_class=8, size=(16, 16))
    ds = data.load(tmp_path / "d", resolution=16, seed=0)
    # Validation: exactly the scaled images in order, labels one-hot.
    (x, y), = _first_batches(ds.val_pipeline(64), 1)
    assert np.array_equal(x.numpy(), data.to_float(ds.val.images))
    assert np.array_equal(np.argmax(y.numpy(), 1), ds.val.labels)
    assert x.numpy().min() >= -1 and x.numpy().max() <= 1
    # Training without augmentation: a permutation of the scaled training images.
    (plain, _), = _first_batches(ds.train_pipeline(len(ds.train), seed=0, augment=False), 1)
    want = sorted(r.tobytes() for r in data.to_float(ds.train.images))
    assert sorted(r.tobytes() for r in plain.numpy()) == want
    # With augmentation the images change, identically for the same seed, differently for another.
    a = _first_batches(ds.train_pipeline(8, seed=0), 3)
    b = _first_batches(ds.train_pipeline(8, seed=0), 3)
    c = _first_batches(ds.train_pipeline(8, seed=1), 3)
    assert all(np.array_equal(p[0].numpy(), q[0].numpy()) for p, q in zip(a, b))
    assert not all(np.array_equal(p[0].numpy(), q[0].numpy()) for p, q in zip(a, c))
    raw = {r.tobytes() for r in data.to_float(ds.train.images)}
    changed = sum(r.tobytes() not in raw for batch in a for r in batch[0].numpy())
    assert changed > 12
    assert all(-1 <= float(batch[0].numpy().min()) and float(batch[0].numpy().max()) <= 1 for batch in a)


def test_builtin_dataset_is_deterministic_at_any_resolution():
    a = data.builtin(resolution=20, channels=3, train_per_class=4, val_per_class=2)
    b = data.builtin(resolution=20, channels=3, train_per_class=4, val_per_class=2)
    assert np.array_equal(a.train.images, b.train.images) and np.array_equal(a.val.images, b.val.images)
    assert a.train.images.shape == (4 * len(data.SHAPES_CLASSES), 20, 20, 3)
    assert a.train.counts() == [4] * len(data.SHAPES_CLASSES) and a.val.counts() == [2] * len(data.SHAPES_CLASSES)
    assert not np.array_equal(a.train.images[: len(a.val)], a.val.images)  # different train and val images
    g = data.builtin(resolution=33, channels=1, train_per_class=2, val_per_class=1)
    assert g.train.images.shape == (2 * len(data.SHAPES_CLASSES), 33, 33, 1)
    assert data.load(None, resolution=20).class_names == list(data.SHAPES_CLASSES)


def test_builtin_classes_differ_visibly():
    """Mean absolute difference between class means is far above the noise level."""
    ds = data.builtin(resolution=24, channels=1, train_per_class=30, val_per_class=1).train
    means = [ds.images[ds.labels == c].astype(float).mean(0) for c in range(len(ds.class_names))]
    square, circle = means[ds.class_names.index("square")], means[ds.class_names.index("circle")]
    assert np.abs(square - circle).mean() > 2


def test_scaling_convention():
    pixels = np.array([0, 128, 255], np.uint8)
    assert np.allclose(data.to_float(pixels), [-1, 128 / 127.5 - 1, 1], atol=1e-6)
    # The int8 input a converter picks for [-1, 1] (scale 2/255, zero point -1) gives q ≈ p - 128.
    q = data.to_int8(np.arange(256, dtype=np.uint8), scale=2 / 255, zero_point=-1)
    assert q.dtype == np.int8 and np.all(np.diff(q.astype(int)) >= 0)
    assert np.all(np.abs(q.astype(int) - (np.arange(256) - 128)) <= 1)
    assert data.to_int8(np.array([0, 255], np.uint8), scale=0.001, zero_point=0).tolist() == [-128, 127]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda root: None, "does not exist"),
        (lambda root: root.mkdir(), "no class subfolders"),
        (lambda root: (make_folder(root), (root / "empty").mkdir()), "'empty' .* has no images"),
        (lambda root: make_folder(root, classes={"only": (1, 2, 3)}), "single class"),
    ],
)
def test_bad_folders(tmp_path, setup, message):
    root = tmp_path / "d"
    setup(root)
    with pytest.raises(McunetsError, match=message):
        data.load(root, resolution=8)
