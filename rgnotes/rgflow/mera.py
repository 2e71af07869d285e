"""The binary MERA of a one-dimensional lattice (Vidal 2007), as a drawing and its causal cone.

Layer ``k = 0, 1, ...`` acts on ``n_k = n / 2^k`` sites (periodic). It first applies
*disentanglers*, two-site gates on the site pairs ``(2i + 1, 2i + 2)`` that straddle the
boundaries of the blocks ``(2i, 2i + 1)``, then *decimators*, which map each block
``(2i, 2i + 1)`` to the site ``i`` of layer ``k + 1``. The *causal cone* of a set of sites is
every gate whose output reaches them when the network is read from the top down; it is what
the value at those sites depends on. RG-Flow's sub-layers are the two-dimensional version
(:mod:`rgnotes.rgflow.model`): un-shifted patches are the disentanglers, shifted patches
with a split the decimators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rgnotes import plotting

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _check(n_sites: int, n_layers: int) -> None:
    for name, v in (("n_sites", n_sites), ("n_layers", n_layers)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if n_sites % 2 ** n_layers or n_sites // 2 ** n_layers < 2:
        raise ValueError(f"n_sites = {n_sites} must be a multiple of 2^(n_layers + 1) = "
                         f"{2 ** (n_layers + 1)}")


def causal_cone(n_sites: int, n_layers: int, sites: list[int]) -> list[dict[str, list[int]]]:
    """The gates of each layer in the causal cone of ``sites`` (physical sites, layer 0).

    Returns one dict per layer ``k`` with ``"sites"`` (the sites of layer ``k`` in the cone,
    sorted), ``"disentanglers"`` (``i`` of the gates on ``(2i + 1, 2i + 2)``) and
    ``"decimators"`` (``i`` of the gates from ``(2i, 2i + 1)`` to site ``i`` of layer
    ``k + 1``). Periodic boundaries: site indices are taken modulo ``n_k``.
    """
    _check(n_sites, n_layers)
    current = {int(s) % n_sites for s in sites}
    if not current:
        raise ValueError("sites must name at least one site")
    layers = []
    for k in range(n_layers):
        n = n_sites // 2 ** k
        dis = sorted({((s - 1) // 2) % (n // 2) for s in current})  # gate (2i+1, 2i+2) holds s
        below = {(2 * i + j) % n for i in dis for j in (1, 2)} | current
        dec = sorted({s // 2 for s in below})
        layers.append({"sites": sorted(current), "disentanglers": dis, "decimators": dec})
        current = set(dec)
    layers.append({"sites": sorted(current), "disentanglers": [], "decimators": []})
    return layers


def plot_mera(ax: Axes, n_sites: int = 16, n_layers: int = 3, cone: list[int] | None = None
              ) -> None:
    """Draw the binary MERA of ``n_sites`` sites and ``n_layers`` layers, read from the sites
    (bottom) upwards: disentanglers (squares on a bar joining the two sites they act on)
    straddle block boundaries, decimators (triangles) merge each block into one site of the
    next layer; the gates in the causal cone of the sites ``cone`` (default: the middle
    site) are shaded grey. Periodic: the last disentangler of a layer joins its last and
    first site (drawn as two half bars)."""
    _check(n_sites, n_layers)
    tree = causal_cone(n_sites, n_layers, cone if cone is not None else [n_sites // 2])
    dis_colour, dec_colour = plotting.COLORS[1], plotting.COLORS[5]
    grey = dict(color="0.55", lw=0.7, zorder=1)

    def x_of(k: int, s: float) -> float:  # horizontal position of site s of layer k
        return (s + 0.5) * 2 ** k - 0.5

    for k in range(n_layers):
        n, y0 = n_sites // 2 ** k, 3.0 * k
        for s in range(n):  # the wires of layer k, up to the decimators
            ax.plot([x_of(k, s)] * 2, [y0, y0 + 1.6], **grey)
        for i in range(n // 2):
            a, b = x_of(k, 2 * i + 1), x_of(k, (2 * i + 2) % n)  # disentangler
            cone_gate = i in tree[k]["disentanglers"]
            if b > a:
                xs = [(a, b)]
                centre = 0.5 * (a + b)
            else:  # across the periodic boundary: two half bars
                xs = [(a, a + 0.5 * 2 ** k), (b - 0.5 * 2 ** k, b)]
                centre = a + 0.5 * 2 ** k
            for lo, hi in xs:
                if cone_gate:
                    ax.fill_between([lo - 0.3, hi + 0.3], y0 + 0.6, y0 + 1.2, color="0.85",
                                    zorder=0)
                ax.plot([lo, hi], [y0 + 0.9] * 2, color=dis_colour, lw=2.5, zorder=2)
            ax.plot(centre, y0 + 0.9, "s", ms=8, color=dis_colour, mec="k",
                    mew=0.5, zorder=3)
            left, right = x_of(k, 2 * i), x_of(k, 2 * i + 1)  # decimator
            top = x_of(k + 1, i)
            if i in tree[k]["decimators"]:
                ax.fill([left - 0.3, right + 0.3, top + 0.5, top - 0.5],
                        [y0 + 1.6, y0 + 1.6, y0 + 2.5, y0 + 2.5], color="0.85", zorder=0)
            for x in (left, right):
                ax.plot([x, top], [y0 + 1.6, y0 + 2.2], **grey)
            ax.plot([top, top], [y0 + 2.2, y0 + 3.0], **grey)
            ax.plot(top, y0 + 2.2, "v", ms=9, color=dec_colour, mec="k", mew=0.5, zorder=3)
    n_top = n_sites // 2 ** n_layers
    ax.plot([x_of(0, s) for s in range(n_sites)], np.zeros(n_sites), "o", color="k", ms=5)
    ax.plot([x_of(n_layers, s) for s in range(n_top)], [3.0 * n_layers] * n_top, "o",
            color="k", ms=5)
    ax.set(xlim=(-1.0, n_sites), ylim=(-0.6, 3 * n_layers + 0.6), xticks=[],
           yticks=[3 * k for k in range(n_layers + 1)],
           yticklabels=["sites"] + [f"layer {k + 1}" for k in range(n_layers)])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
