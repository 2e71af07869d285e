"""Fréchet Inception Distance (FID) and the Fréchet distance between Gaussians.

FID compares the Gaussians fitted to Inception-v3 pool3 features of two image sets::

    d^2 = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2}).

:func:`frechet_distance` evaluates it with symmetric eigen-decompositions only (no
non-symmetric matrix square root), so it is real by construction and works for
singular covariances (fewer samples than features). :func:`fid` needs the standard
pytorch-fid weights ``pt_inception-2015-12-05-6726825d.pth``, which cannot be
downloaded here: pass its local path (or set ``RGNOTES_FID_WEIGHTS``). Without it
:class:`FIDUnavailable` is raised; no other network is ever used under the FID name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

#: Environment variable naming the local pytorch-fid weights file.
ENV_VAR = "RGNOTES_FID_WEIGHTS"
#: File name of the standard weights (pytorch-fid release ``fid_weights``).
WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"


class FIDUnavailable(RuntimeError):
    """The Inception weights needed for FID are not available locally."""


def _clip_noise(w: np.ndarray) -> np.ndarray:
    """Eigenvalues below the rounding level of the decomposition (d eps max|w|) set to 0."""
    tol = w.shape[0] * np.finfo(np.float64).eps * max(np.abs(w).max(initial=0.0), 0.0)
    return np.where(w > tol, w, 0.0)


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(_clip_noise(w))) @ v.T


def frechet_distance(
    mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike
) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: ``(d,)`` means.
        sigma1, sigma2: ``(d, d)`` symmetric positive semi-definite covariances.

    Returns:
        ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)`` (>= 0 up to rounding).
        Eigenvalues below the rounding level ``d * eps * max|eigenvalue|`` are set to
        zero, so singular covariances give no ``sqrt(eps)``-sized spurious terms.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,):
        raise ValueError(f"means must be vectors of equal length, got {mu1.shape}, {mu2.shape}")
    if s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"covariances must be ({d}, {d}), got {s1.shape}, {s2.shape}")
    for arr in (mu1, mu2, s1, s2):
        if not np.all(np.isfinite(arr)):
            raise ValueError("means and covariances must be finite (no NaN or inf)")
    for s in (s1, s2):
        if not np.allclose(s, s.T, rtol=1e-6, atol=1e-10 * max(1.0, np.abs(s).max())):
            raise ValueError("covariances must be symmetric")
    s1 = (s1 + s1.T) / 2
    s2 = (s2 + s2.T) / 2
    r1 = _psd_sqrt(s1)
    m = r1 @ s2 @ r1
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_sqrt = np.sqrt(_clip_noise(eig)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt)


def gaussian_stats(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and unbiased covariance ``(d, d)`` of ``(n, d)`` features (n >= 2)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"features must be (n, d) with n >= 2, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("features contain NaN or infinite values")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def frechet_distance_features(features_a: ArrayLike, features_b: ArrayLike) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets ``(n_a, d)``,
    ``(n_b, d)``; equal to ``frechet_distance(*gaussian_stats(a), *gaussian_stats(b))``.

    With centred features ``X_a``, ``X_b`` the covariances are ``S = X^T X / (n - 1)``,
    and the nonzero eigenvalues of ``S_a^1/2 S_b S_a^1/2`` are those of ``S_b S_a``, the
    squared singular values of ``X_b X_a^T / sqrt((n_a - 1)(n_b - 1))``. So the trace of
    the square root is a nuclear norm of an ``(n_b, n_a)`` matrix: cheaper than the
    ``(d, d)`` eigen-decompositions when there are fewer samples than features.
    """
    xa = np.asarray(features_a, dtype=np.float64)
    xb = np.asarray(features_b, dtype=np.float64)
    for x in (xa, xb):
        if x.ndim != 2 or x.shape[0] < 2:
            raise ValueError(f"features must be (n, d) with n >= 2, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("features contain NaN or infinite values")
    if xb.shape[1] != xa.shape[1]:
        raise ValueError(f"feature sets differ in dimension: {xa.shape}, {xb.shape}")
    if max(xa.shape[0], xb.shape[0]) > xa.shape[1]:
        return frechet_distance(*gaussian_stats(xa), *gaussian_stats(xb))
    ca = xa - xa.mean(axis=0)
    cb = xb - xb.mean(axis=0)
    na, nb = xa.shape[0] - 1, xb.shape[0] - 1
    sv = np.linalg.svd(cb @ ca.T, compute_uv=False) / np.sqrt(na * nb)
    sv = np.where(sv > sv.shape[0] * np.finfo(np.float64).eps * sv.max(initial=0.0), sv, 0.0)
    diff = xa.mean(axis=0) - xb.mean(axis=0)
    tr_a = np.sum(ca * ca) / na
    tr_b = np.sum(cb * cb) / nb
    return float(diff @ diff + tr_a + tr_b - 2.0 * sv.sum())


def weights_path(weights: str | os.PathLike[str] | None = None) -> Path:
    """The local FID weights file: ``weights`` or ``$RGNOTES_FID_WEIGHTS``.

    Raises:
        FIDUnavailable: none given or the file does not exist.
    """
    given = weights if weights is not None else os.environ.get(ENV_VAR)
    hint = (
        f"FID needs pytorch-fid's Inception weights {WEIGHTS_NAME} on this machine; "
        f"pass weights=<path> or set {ENV_VAR}. rgnotes does not download them and "
        "does not substitute another network."
    )
    if not given:
        raise FIDUnavailable(f"no FID weights file given. {hint}")
    path = Path(given).expanduser()
    if not path.is_file():
        raise FIDUnavailable(f"FID weights file {path} does not exist. {hint}")
    return path


def load_inception(weights: str | os.PathLike[str] | None = None, device: str = "cpu"):
    """The FID Inception-v3 (:class:`rgnotes.rgflow.inception.FIDInceptionV3`) with the
    pytorch-fid weights loaded strictly, in eval mode."""
    path = weights_path(weights)
    import torch

    from rgnotes.rgflow.inception import FIDInceptionV3

    state = torch.load(path, map_location="cpu", weights_only=True)
    net = FIDInceptionV3()
    # Old checkpoints lack the batch-norm counters; they play no role in eval mode.
    for key_name, buf in net.state_dict().items():
        if key_name.endswith("num_batches_tracked") and key_name not in state:
            state[key_name] = torch.zeros_like(buf)
    net.load_state_dict(state, strict=True)
    return net.eval().to(device)


def inception_features(
    images: ArrayLike, net, *, batch_size: int = 50, device: str = "cpu"
) -> np.ndarray:
    """Pool3 features ``(N, 2048)`` of uint8 images ``(N, 3, H, W)`` (scaled to [0, 1],
    resized to 299 bilinearly inside the network, as pytorch-fid does)."""
    import torch

    imgs = np.asarray(images)
    if imgs.ndim != 4 or imgs.shape[1] != 3 or imgs.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, 3, H, W), got {imgs.dtype} {imgs.shape}")
    out = []
    with torch.no_grad():
        for s in range(0, imgs.shape[0], batch_size):
            x = torch.from_numpy(imgs[s : s + batch_size].astype(np.float32) / 255.0)
            out.append(net(x.to(device)).double().cpu().numpy())
    return np.concatenate(out, axis=0)


def fid(
    images_a: ArrayLike,
    images_b: ArrayLike,
    *,
    weights: str | os.PathLike[str] | None = None,
    batch_size: int = 50,
    device: str = "cpu",
) -> float:
    """FID between two sets of uint8 ``(N, 3, H, W)`` images.

    Raises:
        FIDUnavailable: the pytorch-fid weights file is not available locally.
    """
    net = load_inception(weights, device=device)
    fa = inception_features(images_a, net, batch_size=batch_size, device=device)
    fb = inception_features(images_b, net, batch_size=batch_size, device=device)
    return frechet_distance_features(fa, fb)
