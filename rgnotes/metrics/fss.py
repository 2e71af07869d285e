"""Finite-size scaling of coarse variables: Binder cumulants and the crossings of two curves.

For coarse variables ``y`` (cluster sums of ``±1`` spins) the Binder cumulant
``U = 1 - <y^4> / (3 <y^2>^2)`` is 0 for a Gaussian variable and ``2/3`` for one that takes
two values ``±a``. At a critical point a quantity that depends on the lattice only through
``L / xi`` takes the same value on every lattice, so ``U(T)`` of a lattice ``L`` and of
``2 L``, at the same ratio of cluster size to lattice size, cross near ``T_c``; the crossings
move to ``T_c`` as ``L`` grows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def binder_cumulant(y: ArrayLike, axis: int = 0) -> NDArray[np.float64]:
    """``1 - <y^4> / (3 <y^2>^2)`` of ``y`` along ``axis`` (raw moments: the variables are
    symmetric about 0); ``(m, n)`` gives ``(n,)``. ``ValueError`` if a variable is always 0."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 0 or y.shape[axis] < 2 or not np.all(np.isfinite(y)):
        raise ValueError(f"y must hold at least two finite samples along axis {axis}, got "
                         f"shape {y.shape}")
    m2 = np.mean(y**2, axis=axis)
    if np.any(m2 == 0):
        raise ValueError("a variable of y is always 0: its Binder cumulant is undefined")
    return 1.0 - np.mean(y**4, axis=axis) / (3.0 * m2**2)


def crossing(x: ArrayLike, a: ArrayLike, b: ArrayLike, degree: int = 2,
             points: int | None = 4) -> float:
    """Where the curves ``a(x)`` and ``b(x)`` (sampled at the same ``x``, ascending) cross.

    The crossing is first bracketed where ``a - b`` changes sign between neighbouring
    samples (the first such place); then a least-squares polynomial of ``degree`` is fitted
    to ``a - b`` at the ``points`` samples nearest the straight-line crossing there
    (``None``: at all samples), and its root inside those samples' range is returned. With
    several roots, the one where the difference changes sign most steeply. ``nan`` when the
    curves do not cross (or a value is ``nan``).

    A local fit matters for steep, sigmoidal curves (a Binder cumulant of a large lattice
    across ``T_c``): a low-order polynomial through all samples bends the crossing away.
    """
    x, a, b = (np.asarray(v, dtype=float) for v in (x, a, b))
    if x.ndim != 1 or a.shape != x.shape or b.shape != x.shape:
        raise ValueError(f"x, a and b must be 1-D of one length, got {x.shape}, {a.shape}, "
                         f"{b.shape}")
    for name, value in (("degree", degree), ("points", points)):
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    used = x.size if points is None else points
    if used > x.size:
        raise ValueError(f"points = {points} is more than the {x.size} samples")
    if used <= degree:
        raise ValueError(f"a polynomial of degree {degree} needs more than {used} points")
    if not (np.all(np.isfinite(x)) and np.all(np.diff(x) > 0)):
        raise ValueError("x must be finite and strictly ascending")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    d = a - b
    change = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) <= 0)
    if change.size == 0:
        return float("nan")
    j = change[0]
    x0 = x[j] if d[j] == d[j + 1] else x[j] + (x[j + 1] - x[j]) * d[j] / (d[j] - d[j + 1])
    near = np.sort(np.argsort(np.abs(x - x0), kind="stable")[:used])
    xs, ds = x[near], d[near]
    centre, scale = xs.mean(), np.ptp(xs) / 2
    diff = np.polynomial.Polynomial.fit((xs - centre) / scale, ds, degree, domain=[-1, 1])
    roots = diff.roots()
    roots = roots[np.isreal(roots)].real
    roots = roots[(roots >= -1) & (roots <= 1)]
    if roots.size == 0:
        return float("nan")
    slope = np.abs(diff.deriv()(roots))
    return float(centre + scale * roots[np.argmax(slope)])
