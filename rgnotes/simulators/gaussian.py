"""Gaussian data: iid matrices and free fields on periodic lattices, sampled exactly.

``iid(m, d)`` is the random-matrix reference (independent standard normal variables).

The field on a periodic lattice of ``shape`` (``(L,)`` or ``(L, L)``) has precision matrix
``mass**2 * I + Laplacian``, where the graph Laplacian couples nearest neighbours. Both are
diagonal in Fourier space, with eigenvalues ``mass**2 + sum_d (2 - 2 cos k_d)``, so exact
samples cost one FFT each and the exact covariance is available as ground truth.
Sites are flattened in row-major order, so samples come out as ``(n_samples, prod(shape))``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def iid(m: int, d: int, seed: int | np.random.Generator | None = None) -> NDArray[np.float64]:
    """``m`` samples of ``d`` independent standard normal variables: ``(m, d)``."""
    if int(m) != m or int(d) != d or m < 1 or d < 1:
        raise ValueError(f"m and d must be positive integers, got m={m}, d={d}")
    return np.random.default_rng(seed).standard_normal((int(m), int(d)))


def _check(shape: tuple[int, ...], mass: float) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (1, 2) or min(shape) < 3:
        raise ValueError(f"shape must be (L,) or (L, L) with L >= 3, got {shape}")
    if not np.isfinite(mass) or mass <= 0:
        raise ValueError(f"mass must be a positive finite number (zero mass has an infinite "
                         f"zero mode), got {mass}")
    return shape


def lattice_laplacian(shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Graph Laplacian of the periodic lattice: ``(N, N)``, ``N = prod(shape)``."""
    shape = _check(shape, 1.0)
    n = int(np.prod(shape))
    index = np.arange(n).reshape(shape)
    lap = np.zeros((n, n))
    rows = index.ravel()
    for axis in range(len(shape)):
        for step in (1, -1):
            np.add.at(lap, (rows, np.roll(index, step, axis=axis).ravel()), -1.0)
    lap[rows, rows] += 2.0 * len(shape)
    return lap


def field_spectrum(shape: tuple[int, ...], mass: float) -> NDArray[np.float64]:
    """Eigenvalues of the precision on the Fourier grid, array of ``shape``."""
    shape = _check(shape, mass)
    grids = np.meshgrid(*[2 * np.pi * np.fft.fftfreq(L) for L in shape], indexing="ij")
    return mass**2 + sum(2.0 - 2.0 * np.cos(k) for k in grids)


def field_precision(shape: tuple[int, ...], mass: float) -> NDArray[np.float64]:
    """The precision matrix ``mass**2 I + Laplacian``, ``(N, N)``."""
    shape = _check(shape, mass)
    lap = lattice_laplacian(shape)
    return mass**2 * np.eye(lap.shape[0]) + lap


def field_covariance(shape: tuple[int, ...], mass: float) -> NDArray[np.float64]:
    """The exact covariance (inverse precision), ``(N, N)``, built from its Fourier transform."""
    shape = _check(shape, mass)
    return _translation_invariant(np.fft.ifftn(1.0 / field_spectrum(shape, mass)).real)


def _translation_invariant(corr: NDArray[np.float64]) -> NDArray[np.float64]:
    """The ``(N, N)`` matrix ``M[i, j] = corr[(x_i - x_j) mod shape]`` of a function ``corr``
    of the displacement on the periodic lattice of ``corr.shape`` (``N`` sites, row-major)."""
    shape = corr.shape
    coords = np.indices(shape).reshape(len(shape), -1)  # (dim, N)
    diff = (coords[:, :, None] - coords[:, None, :]) % np.array(shape)[:, None, None]
    return corr[tuple(diff)]


def power_law_correlation(L: int, eta: float) -> NDArray[np.float64]:
    """Exact correlation matrix ``(L^2, L^2)`` of a Gaussian field on the periodic ``L x L``
    lattice whose spectrum is that of a critical point with anomalous dimension ``eta``:
    ``S(k) = |k|^-(2 - eta)``, with ``|k|^2 = sum_d (2 - 2 cos k_d)`` the lattice Laplacian's
    eigenvalues (in infinite volume ``C(r) ~ r^-eta`` in 2D; on a finite lattice the modes near
    ``k = 0`` add a slowly varying offset that steepens the decay towards ``r ~ L``). The
    ``k = 0`` mode, infinite in the formula, gets the value of its nearest neighbours
    ``|k| = 2 pi / L`` (a finite lattice's cut-off). Unit diagonal. ``eta`` in ``(0, 2)``."""
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)) \
            or not 0 < eta < 2:
        raise ValueError(f"eta must be a number in (0, 2), got {eta!r}")
    shape = _check((L, L), 1.0)
    k2 = field_spectrum(shape, 1.0) - 1.0  # the Laplacian's eigenvalues, 0 at k = 0
    k2[0, 0] = k2[0, 1]
    corr = np.fft.ifftn(k2 ** (-(2.0 - eta) / 2.0)).real
    return _translation_invariant(corr / corr[0, 0])


def sample_field(
    shape: tuple[int, ...],
    mass: float,
    n_samples: int,
    seed: int | np.random.Generator | None = None,
    *,
    use_cache: bool = True,
) -> NDArray[np.float64]:
    """Exact independent samples ``(n_samples, N)`` of the zero-mean field.

    ``x = F^-1 diag(spectrum**-1/2) F xi`` with white noise ``xi``: the symmetric square root
    of the covariance applied to white noise, so ``Cov x`` is exactly the covariance (real
    FFTs; the spectrum is even). With an integer ``seed``, results larger than 10 MB are cached
    on disk (:mod:`rgnotes.cache`); smaller ones are faster to recompute than to read.
    """
    shape = _check(shape, mass)
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}")
    n_samples = int(n_samples)

    def compute() -> dict[str, NDArray[np.float64]]:
        rng = np.random.default_rng(seed)
        axes = tuple(range(1, len(shape) + 1))
        amp = field_spectrum(shape, mass)[..., : shape[-1] // 2 + 1] ** -0.5
        out = np.empty((n_samples, int(np.prod(shape))))
        for lo in range(0, n_samples, 1024):  # bounded memory for the complex transform
            noise = rng.standard_normal((min(1024, n_samples - lo), *shape))
            x = np.fft.irfftn(amp * np.fft.rfftn(noise, axes=axes), s=shape, axes=axes)
            out[lo:lo + len(x)] = x.reshape(len(x), -1)
        return {"x": out}

    big = n_samples * int(np.prod(shape)) * 8 > 10_000_000
    if use_cache and big and isinstance(seed, (int, np.integer)):
        from rgnotes.cache import cached_arrays

        params = {"model": "gaussian_field", "shape": list(shape), "mass": float(mass),
                  "n_samples": n_samples, "seed": int(seed)}
        spec = {"x": ((n_samples, int(np.prod(shape))), "float64")}
        return cached_arrays("gaussian_field", params, compute, spec)["x"]
    return compute()["x"]


def correlation_length_1d(mass: float) -> float:
    """Exact correlation length of the 1D field.

    ``C(r) ~ exp(-r/xi)`` with ``cosh(1/xi) = 1 + mass**2/2``, in lattice spacings.
    """
    _check((3,), mass)
    return float(1.0 / np.arccosh(1.0 + mass**2 / 2.0))


# ---- command line: python -m rgnotes simulate gaussian ... ------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m rgnotes simulate gaussian``."""
    parser.add_argument("--kind", choices=("field", "iid"), default="field",
                        help="a lattice field (exact covariance stored too) or iid N(0, 1)")
    parser.add_argument("--shape", type=int, nargs="+", default=[64],
                        help="field: lattice shape, L or L L; iid: the number of variables d")
    parser.add_argument("--mass", type=float, default=0.3, help="field: mass (1/corr. length)")
    parser.add_argument("--n-samples", type=int, required=True, help="independent samples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples")
    parser.add_argument("--out", type=Path, required=True,
                        help=".npz file with x (n_samples, N) and, for fields, cov (N, N)")


def run(args: argparse.Namespace) -> int:
    """Run ``python -m rgnotes simulate gaussian`` with parsed ``args``."""
    from rgnotes.cache import save_arrays

    if args.kind == "iid":
        arrays = {"x": iid(args.n_samples, int(np.prod(args.shape)), seed=args.seed)}
    else:
        shape = tuple(args.shape)
        arrays = {"x": sample_field(shape, args.mass, args.n_samples, seed=args.seed),
                  "cov": field_covariance(shape, args.mass)}
    params = {"kind": args.kind, "shape": list(args.shape), "mass": args.mass,
              "n_samples": args.n_samples, "seed": args.seed}
    save_arrays(args.out, arrays, params)
    print(f"wrote {args.out}: x {arrays['x'].shape}")
    return 0
