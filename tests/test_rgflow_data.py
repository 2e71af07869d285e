"""RG-Flow data: MSDS generators against PIL (the original's renderer), label statistics,
caching, the CelebA loader on generated image files, and input errors."""

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rgnotes.rgflow import celeba, msds
from rgnotes.rgflow.data import DATASETS, SPLITS, load_dataset, load_labels


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_ellipse_mask_is_pils():
    tile = Image.new("RGBA", (8, 8), (255, 255, 255, 0))
    ImageDraw.Draw(tile).ellipse((1, 3, 7, 5), (10, 20, 30, 255))
    np.testing.assert_array_equal(np.asarray(tile)[..., 3] // 255, msds.ELLIPSE_MASK)


def test_rotated_tiles_equal_pil_rotate():
    rng = np.random.default_rng(0)
    angles = np.concatenate([[0.0, 45.0, 90.0, 180.0, 270.0, 1e-9, 224.99],
                             rng.random(300) * 225])
    colours = rng.integers(0, 256, size=(angles.size, 3))
    ours = msds.rotated_tiles(angles, colours)
    for ang, col, tile in zip(angles, colours, ours, strict=True):
        ref = Image.new("RGBA", (8, 8), (255, 255, 255, 0))
        ImageDraw.Draw(ref).ellipse((1, 3, 7, 5), (*map(int, col), 255))
        ref = np.asarray(ref.rotate(float(ang), resample=Image.Resampling.BICUBIC))
        # RGB is only defined where the tile is not fully transparent
        np.testing.assert_array_equal(tile[..., 3], ref[..., 3])
        vis = ref[..., 3] > 0
        np.testing.assert_array_equal(tile[vis, :3], ref[vis, :3])


@pytest.mark.parametrize("name", msds.MSDS_NAMES)
def test_render_is_bit_identical_to_pil(name):
    labels = msds.sample_labels(name, 150, seed=3)
    # force some extreme cases: all offsets pointing at each other (overlaps) and
    # tiles hanging over the frame
    labels[:10, :, 0] = msds.TILE * (np.arange(16) // 4) + np.where(np.arange(16) // 4 % 2, -1, 1)
    labels[10:20, :, 1] = msds.TILE * (np.arange(16) % 4) + np.where(np.arange(16) % 2, -1, 1)
    np.testing.assert_array_equal(msds.render(labels), msds.render_pil(labels))


def test_labels_statistics_msds1():
    lab = msds.sample_labels("msds1", 4000, seed=1)
    assert lab.shape == (4000, 16, 6) and lab.dtype == np.float64
    i, j = np.arange(16) // 4, np.arange(16) % 4
    dx, dy = lab[..., 0] - 8 * i, lab[..., 1] - 8 * j
    for d in (dx, dy):
        assert set(np.unique(d)) == {-1.0, 0.0, 1.0}
        assert abs(d.mean()) < 0.02
    ang = lab[..., 2]
    assert ang.min() >= 0 and ang.max() < 180 and abs(ang.mean() - 90) < 1
    col = lab[..., 3:]
    assert np.all(col == np.round(col))
    assert col.min() == 0 and col.max() == 255  # 32 - 32 and 223 + 32 are reached
    spread = col.max(axis=1) - col.min(axis=1)  # per image and channel, <= 2 * 32
    assert spread.max() == 64 and spread.min() >= 0
    # colour = base (uniform 32..223) + uniform -32..32: mean 127.5, variance
    # (192^2 - 1)/12 + (65^2 - 1)/12 per channel
    var = (192**2 - 1) / 12 + (65**2 - 1) / 12
    assert abs(col.mean() - 127.5) < 4 * math.sqrt(var / 4000 / 3)
    assert abs(col.var() / var - 1) < 0.05


def test_labels_statistics_msds2():
    lab = msds.sample_labels("msds2", 4000, seed=2)
    ang = lab[..., 2]
    assert ang.min() >= 0 and ang.max() < 225
    spread = ang.max(axis=1) - ang.min(axis=1)
    assert spread.max() < 45 and spread.max() > 44  # max of 16 uniforms on [0, 45)
    col = lab[..., 3:]
    assert col.min() == 0 and col.max() == 255
    assert abs(col.mean() - 127.5) < 4 * math.sqrt((256**2 - 1) / 12 / col.size)


def test_render_shape_background_and_determinism():
    img, lab = msds.generate("msds1", 64, seed=9)
    assert img.shape == (64, 3, 32, 32) and img.dtype == np.uint8
    img2, lab2 = msds.generate("msds1", 64, seed=np.random.default_rng(9))
    np.testing.assert_array_equal(img, img2)
    np.testing.assert_array_equal(lab, lab2)
    assert not np.array_equal(img, msds.generate("msds1", 64, seed=10)[0])
    # black background: an image whose ellipses are all black is all zero
    lab_black = lab.copy()
    lab_black[..., 3:] = 0
    assert msds.render(lab_black).max() == 0
    # every ellipse leaves colour near its centre (its own tile pixels 3..4)
    for k in range(16):
        x, y = lab[0, k, 0].astype(int), lab[0, k, 1].astype(int)
        assert img[0, :, y + 3 : y + 5, x + 3 : x + 5].max() > 0


def test_render_rejects_bad_labels():
    lab = msds.sample_labels("msds1", 2, seed=0)
    with pytest.raises(ValueError, match="shape"):
        msds.render(lab[:, :15])
    bad = lab.copy()
    bad[0, 0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        msds.render(bad)
    bad = lab.copy()
    bad[0, 0, 3] = 300
    with pytest.raises(ValueError, match="0..255"):
        msds.render(bad)
    with pytest.raises(ValueError, match="msds1"):
        msds.sample_labels("msds3", 2)


def test_load_msds_cache_round_trip(tmp_cache, monkeypatch):
    img, lab = msds.load_msds("msds2", "train", n=40, seed=4)
    files = list((tmp_cache / "rgflow_msds2").glob("*.npz"))
    assert len(files) == 1
    np.testing.assert_array_equal(img, msds.render(lab))

    def boom(*args, **kwargs):
        raise AssertionError("regenerated instead of reading the cache")

    monkeypatch.setattr(msds, "generate", boom)
    img2, lab2 = msds.load_msds("msds2", "train", n=40, seed=4)
    np.testing.assert_array_equal(img, img2)
    np.testing.assert_array_equal(lab, lab2)


def test_load_dataset_msds(tmp_cache):
    train = load_dataset("msds1", "train", n=30, seed=0)
    test = load_dataset("msds1", "test", n=30, seed=0)
    assert train.shape == (30, 3, 32, 32) and train.dtype == np.uint8
    assert not np.array_equal(train, test)  # different streams per split
    lab = load_labels("msds1", "train", n=30, seed=0)
    np.testing.assert_array_equal(msds.render(lab), train)
    assert not np.array_equal(train, load_dataset("msds1", "train", n=30, seed=1))


def test_load_dataset_bad_input():
    with pytest.raises(ValueError, match="msds1.*msds2.*celeba"):
        load_dataset("mnist", "train")
    with pytest.raises(ValueError, match="train.*test"):
        load_dataset("msds1", "valid")
    with pytest.raises(ValueError, match="labels"):
        load_labels("celeba", "train")
    assert DATASETS == ("msds1", "msds2", "celeba") and SPLITS == ("train", "test")


# ---------------------------------------------------------------- CelebA


def _write_faces(folder, n, fmt="png", size=(178, 218)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = []
    for k in range(n):
        arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        name = f"{k + 1:06d}.{fmt}"
        Image.fromarray(arr).save(folder / name)
        names.append(name)
    return names


def test_celeba_preprocess_matches_pil_by_hand(tmp_path):
    folder = tmp_path / "img_align_celeba"
    names = _write_faces(folder, 2, "png") + _write_faces(folder / "jpg", 1, "jpg")
    for path in (folder / names[0], folder / "jpg" / names[2]):
        ours = celeba.preprocess(path)
        arr = np.asarray(Image.open(path).convert("RGB"))
        # 178 x 218: crop columns 15..162 and rows 35..182 ((218 - 148) / 2 = 35)
        crop = Image.fromarray(arr[35:183, 15:163])
        ref = np.asarray(crop.resize((32, 32), Image.Resampling.BILINEAR)).transpose(2, 0, 1)
        assert ours.shape == (3, 32, 32) and ours.dtype == np.uint8
        np.testing.assert_array_equal(ours, ref)
    small = tmp_path / "small"
    _write_faces(small, 1, "png", size=(100, 120))
    with pytest.raises(ValueError, match="smaller"):
        celeba.preprocess(small / "000001.png")


def test_celeba_split_without_and_with_partition_file(tmp_path, tmp_cache):
    folder = tmp_path / "celeba" / "img_align_celeba"
    names = _write_faces(folder, 12)
    # no partition file: sorted names, last ceil(12 / 10) = 2 are the test split
    assert celeba.split_files(folder, "test") == names[10:]
    assert celeba.split_files(folder, "train") == names[:10]
    train = load_dataset("celeba", "train", root=tmp_path / "celeba")
    assert train.shape == (10, 3, 32, 32) and train.dtype == np.uint8
    np.testing.assert_array_equal(train[3], celeba.preprocess(folder / names[3]))
    # partition file in the parent folder: 0 train, 1 valid (unused), 2 test
    part = [0, 0, 1, 2, 0, 2, 1, 0, 0, 2, 0, 0]
    text = "".join(f"{nm} {p}\n" for nm, p in zip(names, part, strict=True))
    (tmp_path / "celeba" / "list_eval_partition.txt").write_text(text)
    test = load_dataset("celeba", "test", root=folder)
    want = [nm for nm, p in zip(names, part, strict=True) if p == 2]
    assert celeba.split_files(folder, "test") == want
    np.testing.assert_array_equal(test, np.stack([celeba.preprocess(folder / nm) for nm in want]))
    sub = load_dataset("celeba", "train", root=folder, n=3, seed=5)
    train_names = [nm for nm, p in zip(names, part, strict=True) if p == 0]
    keep = np.sort(np.random.default_rng(5).choice(len(train_names), 3, replace=False))
    np.testing.assert_array_equal(
        sub, np.stack([celeba.preprocess(folder / train_names[i]) for i in keep]))


def test_celeba_env_var_and_missing_folder(tmp_path, tmp_cache, monkeypatch):
    monkeypatch.delenv("RGNOTES_CELEBA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="RGNOTES_CELEBA_DIR"):
        load_dataset("celeba", "train")
    with pytest.raises(FileNotFoundError, match="img_align_celeba"):
        load_dataset("celeba", "train", root=tmp_path / "nowhere")
    _write_faces(tmp_path / "faces", 3)
    monkeypatch.setenv("RGNOTES_CELEBA_DIR", str(tmp_path / "faces"))
    assert load_dataset("celeba", "train").shape == (2, 3, 32, 32)


def test_random_flip_numpy_and_torch():
    import torch

    x = np.random.default_rng(0).integers(0, 256, size=(200, 3, 4, 5), dtype=np.uint8)
    y = celeba.random_flip(x, np.random.default_rng(1))
    same = np.all(y == x, axis=(1, 2, 3))
    flipped = np.all(y == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(same | flipped) and 70 < flipped.sum() < 130
    np.testing.assert_array_equal(y, celeba.random_flip(x, np.random.default_rng(1)))
    xt = torch.from_numpy(x.astype(np.float32))
    yt = celeba.random_flip(xt, torch.Generator().manual_seed(0)).numpy()
    flipped = np.all(yt == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(np.all(yt == x, axis=(1, 2, 3)) | flipped) and 70 < flipped.sum() < 130
    with pytest.raises(ValueError, match="B, C, H, W"):
        celeba.random_flip(x[0])
