"""The MSDS synthetic data sets of RG-Flow: 16 small rotated ellipses on a 4 x 4 grid.

Each image is 32 x 32 RGB on a black background. Ellipse ``(i, j)`` (``i`` horizontal,
``j`` vertical, both ``0..3``) is an 8 x 8 transparent tile holding a filled ellipse with
bounding box ``(1, 3)-(7, 5)`` (as drawn by ``PIL.ImageDraw.ellipse``), rotated
counter-clockwise by ``angle`` degrees about the tile centre with bicubic resampling and
alpha-composited onto the image with its top-left corner at ``(8 i + dx, 8 j + dy)``,
``dx, dy`` uniform in ``{-1, 0, 1}``.

- **MSDS1** (global colour, local orientation): a base colour per image, each channel
  uniform in ``{32, ..., 223}``; each ellipse's colour is the base plus a uniform integer
  in ``{-32, ..., 32}`` per channel (so always within ``0..255``); each angle uniform in
  ``[0, 180)``.
- **MSDS2** (global orientation, local colour): a base angle per image uniform in
  ``[0, 180)``; each ellipse's angle is the base plus uniform ``[0, 45)`` (so up to 225
  degrees, kept as drawn); each colour channel uniform in ``{0, ..., 255}``.

The original generator (``hongyehu/RG-Flow``, ``code/generate_msds*.py``) draws each
tile with PIL and pastes the 16 tiles one after another in the order ``i`` outer, ``j``
inner, so where two neighbouring tiles overlap (by up to 2 pixels when their offsets
point towards each other) the later tile is composited over the earlier one. Pixels
pasted outside the 32 x 32 frame are dropped.

:func:`render` (compiled with numba) and :func:`rotated_tiles` (vectorised numpy)
reproduce PIL's arithmetic: the tile is
premultiplied by its alpha (PIL does this for RGBA transforms), resampled with PIL's
bicubic kernel (``a = -1``, evaluated in the same order in double precision, truncated to
8 bits), un-premultiplied with integer division and pasted with PIL's rounded
``(out (255 - a) + in a) / 255`` blend. On random images it agrees with
:func:`render_pil` (the straightforward per-tile PIL version) bit for bit (checked in
the tests). Labels per ellipse are ``(x, y, angle, R, G, B)`` with ``(x, y)`` the
paste position in pixels and ``angle`` in degrees; ellipse ``k = 4 i + j``.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from rgnotes.cache import cached_arrays

#: The MSDS data sets generated here.
MSDS_NAMES = ("msds1", "msds2")

#: Image side in pixels, tile side, number of tiles per side.
SIZE, TILE, GRID = 32, 8, 4

#: The filled ellipse of bounding box (1, 3)-(7, 5) in an 8 x 8 tile, as rasterised by
#: ``PIL.ImageDraw.Draw.ellipse`` (rows are y, columns x); checked against PIL in tests.
ELLIPSE_MASK = np.zeros((TILE, TILE), dtype=np.int64)
ELLIPSE_MASK[3, 2:7] = 1
ELLIPSE_MASK[4, 1:8] = 1
ELLIPSE_MASK[5, 2:7] = 1


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def sample_labels(
    name: str, n: int, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Draw the ellipse parameters of ``n`` MSDS images.

    Args:
        name: ``"msds1"`` or ``"msds2"``.
        n: number of images.
        seed: int or numpy Generator.

    Returns:
        float64 ``(n, 16, 6)``: per ellipse ``k = 4 i + j`` the columns
        ``(x, y, angle, R, G, B)``: paste position (pixels, top-left of the 8 x 8 tile),
        rotation angle (degrees, counter-clockwise) and colour (integers 0..255).
    """
    if name not in MSDS_NAMES:
        raise ValueError(f"unknown MSDS data set {name!r}; valid names: {MSDS_NAMES}")
    n = int(n)
    if n < 0:
        raise ValueError(f"number of images must be >= 0, got {n}")
    rng = _rng(seed)
    k = GRID * GRID
    if name == "msds1":
        base = rng.integers(32, 224, size=(n, 1, 3))
        colour = base + rng.integers(-32, 33, size=(n, k, 3))
        angle = rng.random((n, k)) * 180.0
    else:
        base_angle = rng.random((n, 1)) * 180.0
        angle = base_angle + rng.random((n, k)) * 45.0
        colour = rng.integers(0, 256, size=(n, k, 3))
    shift = rng.integers(-1, 2, size=(n, k, 2))
    ij = np.stack(np.meshgrid(np.arange(GRID), np.arange(GRID), indexing="ij"), -1)
    pos = TILE * ij.reshape(1, k, 2) + shift  # (x, y) = (8 i + dx, 8 j + dy)
    return np.concatenate([pos, angle[..., None], colour], axis=-1).astype(np.float64)


def _check_labels(labels: ArrayLike) -> np.ndarray:
    lab = np.asarray(labels, dtype=np.float64)
    if lab.ndim != 3 or lab.shape[1:] != (GRID * GRID, 6):
        raise ValueError(f"labels must have shape (n, 16, 6), got {lab.shape}")
    if not np.all(np.isfinite(lab)):
        raise ValueError("labels contain NaN or infinite values")
    pos, col = lab[..., :2], lab[..., 3:]
    if np.any(pos != np.round(pos)) or np.any(col != np.round(col)):
        raise ValueError("positions and colours in labels must be integers")
    if np.any(col < 0) or np.any(col > 255):
        raise ValueError("colours in labels must lie in 0..255")
    return lab


def _pil_matrix(angle: np.ndarray) -> tuple[np.ndarray, ...]:
    """The inverse affine map PIL's ``Image.rotate`` uses for an 8 x 8 tile."""
    rad = -np.radians(np.mod(angle, 360.0))
    cos = np.round(np.cos(rad), 15)
    sin = np.round(np.sin(rad), 15)
    centre = TILE / 2.0
    a, b, d, e = cos, sin, -sin, cos
    c = a * -centre + b * -centre + 0.0 + centre
    f = d * -centre + e * -centre + 0.0 + centre
    return a, b, c, d, e, f


def _cubic(v1, v2, v3, v4, t):
    """PIL's bicubic interpolation (kernel a = -1) in its order of operations."""
    p1 = v2
    p2 = -v1 + v3
    p3 = 2 * (v1 - v2) + v3 - v4
    p4 = -v1 + v2 - v3 + v4
    return p1 + t * (p2 + t * (p3 + t * p4))


def rotated_tiles(angle: ArrayLike, colour: ArrayLike) -> np.ndarray:
    """The rotated RGBA ellipse tiles, as ``PIL.Image.rotate(angle, BICUBIC)`` makes them.

    Args:
        angle: ``(e,)`` angles in degrees (counter-clockwise).
        colour: ``(e, 3)`` integer colours 0..255.

    Returns:
        uint8 ``(e, 8, 8, 4)`` tiles (rows y, columns x, RGBA, not premultiplied).
    """
    angle = np.asarray(angle, dtype=np.float64).reshape(-1)
    colour = np.asarray(colour, dtype=np.float64).reshape(-1, 3)
    e = angle.shape[0]
    a, b, c, d, ee, f = (m[:, None] for m in _pil_matrix(angle))
    yy, xx = np.meshgrid(np.arange(TILE), np.arange(TILE), indexing="ij")
    xo = xx.reshape(1, -1) + 0.5
    yo = yy.reshape(1, -1) + 0.5
    xin = a * xo + b * yo + c  # (e, 64)
    yin = d * xo + ee * yo + f
    inside = (xin >= 0.0) & (xin < TILE) & (yin >= 0.0) & (yin < TILE)
    xin = xin - 0.5
    yin = yin - 0.5
    x0 = np.floor(xin)
    y0 = np.floor(yin)
    tx = (xin - x0)[..., None]  # (e, 64, 1) broadcast over channels
    ty = (yin - y0)[..., None]
    x0 = x0.astype(np.int64) - 1
    y0 = y0.astype(np.int64) - 1
    taps = np.arange(4)
    cols = np.clip(x0[..., None] + taps, 0, TILE - 1)  # (e, 64, 4)
    rows = np.clip(y0[..., None] + taps, 0, TILE - 1)
    # premultiplied source values: colour * mask for RGB, 255 * mask for alpha
    weight = np.concatenate([colour, np.full((e, 1), 255.0)], axis=1)[:, None, :]
    rowvals = []
    for r in range(4):
        m = ELLIPSE_MASK[rows[..., r, None], cols].astype(np.float64)  # (e, 64, 4)
        v = [m[..., t, None] * weight for t in range(4)]  # each (e, 64, 4 channels)
        rowvals.append(_cubic(v[0], v[1], v[2], v[3], tx))
    val = _cubic(rowvals[0], rowvals[1], rowvals[2], rowvals[3], ty)
    val = np.where(inside[..., None], val, 0.0)
    out = np.where(val <= 0.0, 0.0, np.where(val >= 255.0, 255.0, val))
    pre = np.trunc(out).astype(np.int64)  # PIL truncates the double to UINT8
    alpha = pre[..., 3:]
    safe = np.where(alpha == 0, 1, alpha)
    unpre = np.minimum(255, (255 * pre[..., :3]) // safe)
    rgb = np.where((alpha == 0) | (alpha == 255), pre[..., :3], unpre)
    tiles = np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)
    return tiles.reshape(e, TILE, TILE, 4)


_cubic_nb = njit(cache=True)(_cubic)  # the same arithmetic, compiled for the kernel


@njit(cache=True, nogil=True)
def _render_kernel(pos, mat, weight, mask, out):
    """Compiled tile-by-tile rendering; same arithmetic as :func:`rotated_tiles` + paste.

    pos (n, 16, 2) int64 paste positions; mat (n, 16, 6) PIL inverse affine maps;
    weight (n, 16, 4) float64 RGB colour and 255; out (n, 3, 32, 32) uint8, zero on entry.
    """
    n = pos.shape[0]
    pre = np.empty(4, np.int64)
    rows = np.empty(4, np.float64)
    for s in range(n):
        for k in range(pos.shape[1]):
            a, b, c = mat[s, k, 0], mat[s, k, 1], mat[s, k, 2]
            d, e, f = mat[s, k, 3], mat[s, k, 4], mat[s, k, 5]
            for yo in range(TILE):
                py = pos[s, k, 1] + yo
                if py < 0 or py >= SIZE:
                    continue
                for xo in range(TILE):
                    px = pos[s, k, 0] + xo
                    if px < 0 or px >= SIZE:
                        continue
                    xin = a * (xo + 0.5) + b * (yo + 0.5) + c
                    yin = d * (xo + 0.5) + e * (yo + 0.5) + f
                    if xin < 0.0 or xin >= TILE or yin < 0.0 or yin >= TILE:
                        continue  # transparent: the paste leaves the pixel as it is
                    xin -= 0.5
                    yin -= 0.5
                    x0 = math.floor(xin)
                    y0 = math.floor(yin)
                    tx = xin - x0
                    ty = yin - y0
                    x0 -= 1
                    y0 -= 1
                    for ch in range(4):
                        w = weight[s, k, ch]
                        for r in range(4):
                            rr = min(max(y0 + r, 0), TILE - 1)
                            v1 = mask[rr, min(max(x0, 0), TILE - 1)] * w
                            v2 = mask[rr, min(max(x0 + 1, 0), TILE - 1)] * w
                            v3 = mask[rr, min(max(x0 + 2, 0), TILE - 1)] * w
                            v4 = mask[rr, min(max(x0 + 3, 0), TILE - 1)] * w
                            rows[r] = _cubic_nb(v1, v2, v3, v4, tx)
                        v = _cubic_nb(rows[0], rows[1], rows[2], rows[3], ty)
                        if v <= 0.0:
                            pre[ch] = 0
                        elif v >= 255.0:
                            pre[ch] = 255
                        else:
                            pre[ch] = int(v)
                    alpha = pre[3]
                    if alpha == 0:
                        continue
                    for ch in range(3):
                        src = pre[ch]
                        if alpha != 255:
                            src = min(255, (255 * src) // alpha)
                        tmp = out[s, ch, py, px] * (255 - alpha) + src * alpha + 128
                        out[s, ch, py, px] = ((tmp >> 8) + tmp) >> 8


def _check_workers(workers) -> None:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")


def render(labels: ArrayLike, *, chunk: int = 4096, progress: bool = False,
           workers: int = 1) -> np.ndarray:
    """Render MSDS images from their labels (compiled, bit-identical to PIL).

    Args:
        labels: ``(n, 16, 6)`` as returned by :func:`sample_labels`.
        chunk: images per step of the progress bar (and per task of a worker).
        progress: show a tqdm bar.
        workers: threads rendering chunks side by side (the compiled kernel releases the
            GIL); every image is rendered alone, so the result does not depend on it.

    Returns:
        uint8 ``(n, 3, 32, 32)`` images.
    """
    lab = _check_labels(labels)
    n = lab.shape[0]
    out = np.zeros((n, 3, SIZE, SIZE), dtype=np.uint8)
    pos = lab[..., :2].astype(np.int64)
    mat = np.stack(_pil_matrix(lab[..., 2]), axis=-1)
    weight = np.concatenate([lab[..., 3:], np.full(lab.shape[:2] + (1,), 255.0)], -1)
    mask = ELLIPSE_MASK.astype(np.float64)
    _check_workers(workers)
    starts = range(0, n, max(1, int(chunk)))

    def one(s: int) -> None:
        sl = slice(s, s + chunk)
        _render_kernel(pos[sl], mat[sl], weight[sl], mask, out[sl])

    with ThreadPoolExecutor(int(workers)) as pool:
        done = pool.map(one, starts)
        if progress:
            from tqdm import tqdm

            done = tqdm(done, total=len(starts), desc="MSDS", unit="chunk")
        list(done)  # wait for every chunk; a worker's exception is raised here
    return out


def render_pil(labels: ArrayLike) -> np.ndarray:
    """Reference: render MSDS images tile by tile with PIL, as the original generator does.

    Slow (about a millisecond per image); used to check :func:`render`.
    Returns uint8 ``(n, 3, 32, 32)``.
    """
    from PIL import Image, ImageDraw

    lab = _check_labels(labels)
    out = np.empty((lab.shape[0], 3, SIZE, SIZE), dtype=np.uint8)
    for n, image_labels in enumerate(lab):
        img = Image.new("RGB", (SIZE, SIZE), (0, 0, 0))
        for x, y, angle, r, g, b in image_labels:
            tile = Image.new("RGBA", (TILE, TILE), (255, 255, 255, 0))
            ImageDraw.Draw(tile).ellipse((1, 3, 7, 5), (int(r), int(g), int(b), 255))
            tile = tile.rotate(float(angle), resample=Image.Resampling.BICUBIC)
            img.paste(tile, (int(x), int(y)), mask=tile)
        out[n] = np.asarray(img).transpose(2, 0, 1)
    return out


def generate(
    name: str, n: int, seed: int | np.random.Generator = 0, *, progress: bool = False,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw and render ``n`` MSDS images (not cached), on ``workers`` threads.

    Returns:
        ``(images, labels)``: uint8 ``(n, 3, 32, 32)`` and float64 ``(n, 16, 6)``.
    """
    labels = sample_labels(name, n, seed)
    return render(labels, progress=progress, workers=workers), labels


#: Default sizes and seeds of the splits (90,000 / 10,000 as in the paper).
SPLITS = {"train": (90_000, 1), "test": (10_000, 2)}


def load_msds(
    name: str,
    split: str,
    *,
    n: int | None = None,
    seed: int = 0,
    refresh: bool = False,
    workers: int = 1,
    cached: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """MSDS images and labels of a split, from the cache of :mod:`rgnotes.cache`.

    The split is generated from the seed sequence ``(seed, split_id)`` with ``split_id``
    1 for train and 2 for test, so the splits differ for every ``seed``. ``n`` defaults
    to 90,000 (train) / 10,000 (test); a smaller ``n`` makes a separate, smaller set.
    ``workers`` threads render the images when they are generated; ``cached=False``
    generates them in memory without reading or writing the cache (the same arrays).

    Returns:
        ``(images, labels)``: uint8 ``(n, 3, 32, 32)`` and float64 ``(n, 16, 6)``.
    """
    if name not in MSDS_NAMES:
        raise ValueError(f"unknown MSDS data set {name!r}; valid names: {MSDS_NAMES}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {tuple(SPLITS)}")
    default_n, split_id = SPLITS[split]
    n = default_n if n is None else int(n)
    if n < 1:
        raise ValueError(f"number of images must be >= 1, got {n}")
    _check_workers(workers)
    params = {"dataset": name, "split": split, "n": n, "seed": int(seed), "version": 1}

    def compute() -> dict[str, np.ndarray]:
        rng = np.random.default_rng([int(seed), split_id])
        images, labels = generate(name, n, rng, progress=n >= 20_000 and cached,
                                  workers=workers)
        return {"images": images, "labels": labels}

    if not cached:
        arrays = compute()
        return arrays["images"], arrays["labels"]

    spec = {"images": ((n, 3, SIZE, SIZE), "uint8"), "labels": ((n, 16, 6), "float64")}
    arrays = cached_arrays(f"rgflow_{name}", params, compute, spec, refresh=refresh)
    return arrays["images"], arrays["labels"]
