"""Real data to coarse-grain: a protein's molecular-dynamics trajectory and small images.

Nothing is downloaded: the files ship inside PyPI packages, installed with the ``datasets``
extra (``pip install 'rgnotes[datasets]'``: MDAnalysis, MDAnalysisTests, scikit-learn).

- :func:`ca_positions`: the C-alpha positions ``(frames, residues, 3)`` of any trajectory that
  MDAnalysis reads (a topology and a trajectory file), with the residue numbers;
  :func:`adk_files` the paths of the adenylate-kinase (AdK) trajectory shipped by
  MDAnalysisTests, 98 frames of its closed-to-open transition (a dynamic importance sampling
  run, Beckstein et al. 2009; the last frame lies 0.5 Angstrom RMSD from the open structure).
- :func:`superpose`: every frame rotated and translated onto a reference by least squares
  (Kabsch); :func:`fluctuations`: each atom's distance from its average position once the
  frames are superposed on their own average structure, the variables ``(frames, atoms)`` of
  a coarse-graining.
- :func:`digits`: scikit-learn's 1,797 handwritten digits as ``(1797, 64)`` pixel
  intensities; :func:`grid_distance` how far apart two pixels lie on the image grid, to ask
  whether a data-driven pairing that never saw the grid pairs neighbouring pixels.
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples

#: The extra that installs this module's optional dependencies
#: (``pip install 'rgnotes[datasets]'``).
EXTRA = "datasets"
#: Largest change (Angstrom, root mean square over atoms) of the average structure between
#: two rounds of :func:`fluctuations` at which the superposition counts as converged.
AVERAGE_TOL = 1e-6


def _require(module: str, package: str) -> ModuleType:
    """Import ``module``, or an ImportError that names the package and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{package} is not installed: rgnotes.datasets needs the "
                          f"'{EXTRA}' extra, pip install 'rgnotes[{EXTRA}]'") from None


def _positions(positions: ArrayLike, name: str = "positions") -> NDArray[np.float64]:
    """``(frames, atoms, 3)`` finite real coordinates, at least one frame and atom."""
    x = np.asarray(positions)
    if x.ndim != 3 or x.shape[2] != 3 or 0 in x.shape:
        raise ValueError(f"{name} must have shape (frames, atoms, 3) with at least one frame "
                         f"and one atom, got {x.shape}")
    return validate_samples(x.reshape(x.shape[0], -1), name).reshape(x.shape)


def adk_files() -> tuple[str, str]:
    """Paths ``(topology .psf, trajectory .dcd)`` of the AdK transition shipped by
    MDAnalysisTests (its ``PSF`` and ``DCD``): 3,341 atoms, 214 residues, 98 frames."""
    files = _require("MDAnalysisTests.datafiles", "MDAnalysisTests")
    return files.PSF, files.DCD


def ca_positions(topology: str, trajectory: str, selection: str = "name CA"
                 ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The positions of the atoms of ``selection`` (MDAnalysis selection language; one atom
    per residue for the default) in every frame of ``trajectory``.

    Returns ``(positions, resids)``: ``(frames, atoms, 3)`` in Angstrom, as stored (not
    superposed), and ``(atoms,)`` the residue number of each atom."""
    mda = _require("MDAnalysis", "MDAnalysis")
    if not isinstance(selection, str) or not selection.strip():
        raise ValueError(f"selection must be a non-empty MDAnalysis selection string, got "
                         f"{selection!r}")
    for name, path in (("topology", topology), ("trajectory", trajectory)):
        if not Path(path).is_file():
            raise ValueError(f"{name} file {path} does not exist or is not a file")
    with warnings.catch_warnings():
        # MDAnalysis warns about its own future changes and about attributes it guesses
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            universe = mda.Universe(str(topology), str(trajectory))
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"topology {topology} and trajectory {trajectory} cannot be "
                             f"read by MDAnalysis: {exc}") from None
        atoms = universe.select_atoms(selection)
        if atoms.n_atoms == 0:
            raise ValueError(f"selection {selection!r} matches no atom of {topology}")
        positions = np.stack([atoms.positions.astype(np.float64)
                              for _ in universe.trajectory])
    return positions, atoms.resids.astype(np.int64)


def superpose(positions: ArrayLike, reference: ArrayLike) -> NDArray[np.float64]:
    """Every frame of ``positions`` ``(frames, atoms, 3)`` rotated and translated onto
    ``reference`` ``(atoms, 3)`` so that the sum of the squared distances between
    corresponding atoms is least (Kabsch 1976; a proper rotation, no reflection). Same
    units as the input; returns ``(frames, atoms, 3)``."""
    x = _positions(positions)
    ref = _positions(np.asarray(reference)[None], "reference")[0]
    if ref.shape != x.shape[1:]:
        raise ValueError(f"reference must have shape {x.shape[1:]} (atoms, 3) to match "
                         f"positions, got {ref.shape}")
    xc = x - x.mean(axis=1, keepdims=True)
    centre = ref.mean(axis=0)
    H = np.einsum("fai,aj->fij", xc, ref - centre)  # (frames, 3, 3)
    U, _, Vt = np.linalg.svd(H)
    sign = np.sign(np.linalg.det(U @ Vt))  # -1: the best orthogonal map is a reflection
    U[:, :, 2] *= np.where(sign == 0, 1.0, sign)[:, None]
    R = U @ Vt  # x_c @ R is the rotated frame
    return xc @ R + centre


def fluctuations(positions: ArrayLike, max_rounds: int = 50
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each atom's distance from its average position, with the global rotation and
    translation removed.

    The frames of ``positions`` ``(frames, atoms, 3)`` are superposed (:func:`superpose`) on
    the first frame, then repeatedly on the average of the superposed frames until that
    average changes by less than :data:`AVERAGE_TOL` (root mean square over atoms), at most
    ``max_rounds`` times. Returns ``(distances, average)``: ``(frames, atoms)`` in the units
    of ``positions`` (Angstrom from :func:`ca_positions`), samples along axis 0 as every
    coarse-graining function expects, and the average structure ``(atoms, 3)``."""
    x = _positions(positions)
    if x.shape[1] < 3:
        raise ValueError(f"positions must hold at least 3 atoms to define a rotation, got "
                         f"{x.shape[1]}")
    if (isinstance(max_rounds, (bool, np.bool_)) or not isinstance(max_rounds, (int, np.integer))
            or max_rounds < 1):
        raise ValueError(f"max_rounds must be a positive integer, got {max_rounds!r}")
    average = x[0]
    for _ in range(int(max_rounds)):
        aligned = superpose(x, average)
        new = aligned.mean(axis=0)
        change = np.sqrt(np.mean(np.sum((new - average) ** 2, axis=1)))
        average = new
        if change < AVERAGE_TOL:
            break
    aligned = superpose(x, average)
    return np.linalg.norm(aligned - average, axis=2), average


def digits() -> tuple[NDArray[np.float64], NDArray[np.int64], tuple[int, int]]:
    """scikit-learn's handwritten digits (the UCI optical-recognition test set): ``(images,
    target, shape)`` with ``images`` ``(1797, 64)`` the intensities 0-16 of the 8 x 8 pixels
    of each image in row-major order, ``target`` ``(1797,)`` the digit shown and ``shape``
    ``(8, 8)``. Read from the copy inside the scikit-learn package."""
    sklearn_datasets = _require("sklearn.datasets", "scikit-learn")
    images, target = sklearn_datasets.load_digits(return_X_y=True)
    return images.astype(np.float64), target.astype(np.int64), (8, 8)


def grid_distance(pairs: ArrayLike, shape: tuple[int, int], kept: ArrayLike | None = None
                  ) -> NDArray[np.float64]:
    """Euclidean distance, in pixels, between the two pixels of each pair on an image grid.

    Args:
        pairs: ``(n, 2)`` variable indices (of a level-1 pairing); a carried variable
            ``(k, k)`` gets NaN.
        shape: ``(rows, columns)`` of the images, pixels numbered in row-major order.
        kept: ``(d,)`` the pixel number of each variable, when columns were dropped
            (:func:`rgnotes.coarse.correlation.usable_columns`); default: variable ``i`` is
            pixel ``i``.

    Returns:
        ``(n,)``: 1 for side neighbours, ``sqrt(2)`` for diagonal ones.
    """
    if (not isinstance(shape, tuple) or len(shape) != 2
            or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in shape)):
        raise ValueError(f"shape must be a tuple of two positive integers (rows, columns), "
                         f"got {shape!r}")
    n_pixels = int(shape[0]) * int(shape[1])
    if kept is None:
        kept = np.arange(n_pixels)
    kept = np.asarray(kept)
    if (kept.ndim != 1 or kept.size == 0 or not np.issubdtype(kept.dtype, np.integer)
            or kept.min() < 0 or kept.max() >= n_pixels or np.unique(kept).size != kept.size):
        raise ValueError(f"kept must be distinct pixel numbers in 0 .. {n_pixels - 1}, "
                         f"one per variable")
    p = np.asarray(pairs)
    if p.ndim != 2 or p.shape[1] != 2 or not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"pairs must be an integer array of shape (n, 2), got {p.shape}")
    if p.size and (p.min() < 0 or p.max() >= kept.size):
        raise ValueError(f"pairs index variables outside 0 .. {kept.size - 1}")
    rows, cols = np.divmod(kept[p], int(shape[1]))  # (n, 2) each
    out = np.hypot(rows[:, 0] - rows[:, 1], cols[:, 0] - cols[:, 1]).astype(np.float64)
    out[p[:, 0] == p[:, 1]] = np.nan
    return out


def touching_fraction(pairs: ArrayLike, shape: tuple[int, int],
                      kept: ArrayLike | None = None) -> float:
    """Fraction of the pairs whose two pixels touch on the image grid, along a side or at a
    corner (:func:`grid_distance` below 1.5); carried variables ``(k, k)`` are left out.
    Arguments as for :func:`grid_distance`."""
    dist = grid_distance(pairs, shape, kept)
    dist = dist[np.isfinite(dist)]
    if dist.size == 0:
        raise ValueError("pairs holds no pair of two different variables")
    return float(np.mean(dist < 1.5))
