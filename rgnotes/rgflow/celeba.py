"""CelebA at 32 x 32 from a local copy of the aligned images (nothing is ever downloaded).

Put the aligned CelebA images (``img_align_celeba/*.jpg``, 178 x 218 pixels) somewhere
and pass that folder, or its parent, as ``root``, or set the environment variable
``RGNOTES_CELEBA_DIR``. The official split file ``list_eval_partition.txt`` (lines
``000001.jpg 0``; 0 train, 1 validation, 2 test) is looked for beside the images, in
the parent folder and in ``Eval/``. With it, ``"train"`` is partition 0 and ``"test"``
partition 2 (the validation images are not used). Without it the split is
deterministic: the image names sorted, the last ``ceil(N / 10)`` are ``"test"``, the
rest ``"train"`` (the official partition is also contiguous in file number).

Preprocessing as in RG-Flow: centre crop 148 x 148 (offsets rounded as torchvision's
``CenterCrop``), resize to 32 x 32 with PIL's bilinear filter, stored as uint8
``(N, 3, 32, 32)`` in the cache of :mod:`rgnotes.cache`. The random horizontal flip is a
training-time augmentation: :func:`random_flip`.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np

from rgnotes.cache import cached_arrays

#: Environment variable naming the CelebA folder.
ENV_VAR = "RGNOTES_CELEBA_DIR"
#: Image file suffixes read.
SUFFIXES = (".jpg", ".jpeg", ".png")
#: Centre-crop side and output side in pixels.
CROP, SIZE = 148, 32
PARTITION_FILE = "list_eval_partition.txt"
_PARTITION_OF_SPLIT = {"train": 0, "test": 2}


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix.lower() in SUFFIXES for p in folder.iterdir())


def image_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the CelebA images: ``root`` or ``$RGNOTES_CELEBA_DIR``, or its
    ``img_align_celeba`` subfolder.

    Raises:
        FileNotFoundError: no folder given, or no images found, with where to put them.
    """
    given = root if root is not None else os.environ.get(ENV_VAR)
    hint = (
        "Download the aligned CelebA images (img_align_celeba/*.jpg and, optionally, "
        f"{PARTITION_FILE}) yourself, then pass the folder as root=... or set the "
        f"environment variable {ENV_VAR} to it; rgnotes never downloads CelebA."
    )
    if not given:
        raise FileNotFoundError(f"no CelebA folder given. {hint}")
    base = Path(given).expanduser()
    for folder in (base / "img_align_celeba", base):
        if _has_images(folder):
            return folder
    raise FileNotFoundError(f"no CelebA images (*.jpg, *.png) found in {base}. {hint}")


def _partition_file(folder: Path) -> Path | None:
    for cand in (folder, folder.parent, folder.parent / "Eval", folder / "Eval"):
        if (cand / PARTITION_FILE).is_file():
            return cand / PARTITION_FILE
    return None


def split_files(folder: str | os.PathLike[str], split: str) -> list[str]:
    """Sorted image file names of a split (see the module docstring for the rule)."""
    if split not in _PARTITION_OF_SPLIT:
        raise ValueError(f"unknown split {split!r}; valid splits: {tuple(_PARTITION_OF_SPLIT)}")
    folder = Path(folder)
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    part = _partition_file(folder)
    if part is not None:
        wanted = _PARTITION_OF_SPLIT[split]
        table = {}
        for line in part.read_text().split("\n"):
            fields = line.split()
            if len(fields) == 2:
                table[fields[0]] = int(fields[1])
        return [nm for nm in names if table.get(nm) == wanted]
    n_test = math.ceil(len(names) / 10)
    return names[len(names) - n_test :] if split == "test" else names[: len(names) - n_test]


def preprocess(path: str | os.PathLike[str]) -> np.ndarray:
    """One image: centre crop 148, bilinear resize to 32. Returns uint8 ``(3, 32, 32)``."""
    from PIL import Image

    with Image.open(path) as im:
        img = im.convert("RGB")
    w, h = img.size
    if w < CROP or h < CROP:
        raise ValueError(f"{path} is {w} x {h} pixels, smaller than the {CROP} crop")
    left = int(round((w - CROP) / 2.0))
    top = int(round((h - CROP) / 2.0))
    img = img.crop((left, top, left + CROP, top + CROP))
    img = img.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy()


def load_celeba(
    split: str,
    *,
    root: str | os.PathLike[str] | None = None,
    n: int | None = None,
    seed: int = 0,
    refresh: bool = False,
) -> np.ndarray:
    """Preprocessed CelebA images of a split, uint8 ``(N, 3, 32, 32)``, cached.

    Args:
        split: ``"train"`` or ``"test"``.
        root: the CelebA folder (else ``$RGNOTES_CELEBA_DIR``).
        n: if given and smaller than the split, a subset of ``n`` images chosen with
            ``numpy.random.default_rng(seed)`` (kept in file-name order).
        seed: seed of the subset.
    """
    folder = image_dir(root)
    names = split_files(folder, split)
    if not names:
        raise ValueError(f"the {split!r} split of {folder} holds no images")
    if n is not None:
        n = int(n)
        if n < 1:
            raise ValueError(f"number of images must be >= 1, got {n}")
        if n < len(names):
            keep = np.sort(np.random.default_rng(seed).choice(len(names), n, replace=False))
            names = [names[i] for i in keep]
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:20]
    params = {
        "dataset": "celeba",
        "split": split,
        "folder": str(folder.resolve()),
        "files": digest,
        "n": len(names),
        "version": 1,
    }

    def compute() -> dict[str, np.ndarray]:
        out = np.empty((len(names), 3, SIZE, SIZE), dtype=np.uint8)
        it = enumerate(names)
        if len(names) > 2000:
            from tqdm import tqdm

            it = tqdm(it, total=len(names), desc=f"CelebA {split}", unit="img")
        for i, nm in it:
            out[i] = preprocess(folder / nm)
        return {"images": out}

    spec = {"images": ((len(names), 3, SIZE, SIZE), "uint8")}
    return cached_arrays("rgflow_celeba", params, compute, spec, refresh=refresh)["images"]


def random_flip(images, generator=None):
    """Flip each image left-right with probability 1/2 (training-time augmentation).

    Args:
        images: ``(B, C, H, W)`` numpy array or torch tensor.
        generator: ``numpy.random.Generator`` (or int seed) for numpy input,
            ``torch.Generator`` (or None) for a tensor.

    Returns:
        A new array/tensor of the same type and shape.
    """
    if isinstance(images, np.ndarray):
        if images.ndim != 4:
            raise ValueError(f"images must be (B, C, H, W), got shape {images.shape}")
        rng = np.random.default_rng(generator)
        flip = rng.random(images.shape[0]) < 0.5
        return np.where(flip[:, None, None, None], images[..., ::-1], images)
    import torch

    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a (B, C, H, W) numpy array or torch tensor")
    flip = torch.rand(images.shape[0], generator=generator, device="cpu") < 0.5
    flip = flip.to(images.device).view(-1, 1, 1, 1)
    return torch.where(flip, images.flip(-1), images)
