"""The book's figure style: colours that stay distinct under colour-vision deficiencies,
series told apart by marker and line style as well as colour, and a resolution that is
readable at the rendered page width.

Call :func:`use` once before plotting (every chapter does in its setup cell). Figure
functions take colours from :data:`COLORS` in order and pair the ``i``-th series with
:func:`series` ``(i)``, so that a reader who cannot tell two colours apart can still tell the
markers and dashes apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The eight colours of Okabe and Ito's "Color universal design" (2008), in the order blue,
#: orange, bluish green, vermillion, reddish purple, sky blue, yellow and black; they stay
#: distinct under protan, deutan and tritan vision.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
          "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
#: Sequential colour map for images and maps (perceptually uniform, colour-blind safe).
CMAP = "cividis"
#: Dots per inch of inline and saved figures.
DPI = 150


def use() -> None:
    """Set matplotlib's defaults for the book: the :data:`COLORS` cycle, :data:`DPI` dots
    per inch (inline and saved figures), 9 pt text, 8 pt legends, the :data:`CMAP` map."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=list(COLORS)),
        "figure.dpi": DPI, "savefig.dpi": DPI,
        "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 8,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "lines.markersize": 4,
        "image.cmap": CMAP,
    })


def series(i: int) -> dict:
    """Matplotlib keywords of the ``i``-th series: colour, marker and line style, cycling."""
    return dict(color=COLORS[i % len(COLORS)], marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)])


def map_colors(image: ArrayLike) -> NDArray[np.intp]:
    """A colour index per cluster of a label image ``(H, W)`` (any integer labels) such that
    clusters sharing an edge (periodic boundaries) get different indices: greedy colouring
    in order of label, the smallest index that no coloured neighbour uses. Returns the index
    of every pixel, ``(H, W)``."""
    image = np.asarray(image)
    _, flat = np.unique(image, return_inverse=True)
    flat = flat.reshape(image.shape)
    n = int(flat.max()) + 1
    pairs = np.concatenate([np.stack([flat, np.roll(flat, 1, axis)], -1).reshape(-1, 2)
                            for axis in (0, 1)])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    neighbours = [[] for _ in range(n)]
    for a, b in pairs:  # adjacency lists of the clusters (not of the pixels)
        neighbours[b].append(a)
    color = np.full(n, -1)
    for c in range(n):  # neighbours[c] holds only lower labels, all coloured already
        used = set(color[neighbours[c]].tolist())
        color[c] = next(k for k in range(n) if k not in used)
    return color[flat]


def cluster_map(ax: Axes, image: ArrayLike) -> None:
    """Draw a label image ``(H, W)`` of clusters: neighbouring clusters in different colours
    of :data:`COLORS` (lightened, so that the borders stand out) and a black line wherever
    two pixels of different clusters meet, so that clusters are told apart without colour."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import ListedColormap, to_rgb

    image = np.asarray(image)
    index = map_colors(image)
    light = [tuple(0.45 + 0.55 * np.array(to_rgb(c))) for c in COLORS[:-1]]
    colors = [light[i % len(light)] for i in range(int(index.max()) + 1)]
    ax.imshow(index, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(colors) - 0.5,
              interpolation="nearest")
    rows, cols = np.nonzero(image[:, 1:] != image[:, :-1])  # vertical borders
    segments = [np.stack([np.stack([cols + 0.5, rows - 0.5], -1),
                          np.stack([cols + 0.5, rows + 0.5], -1)], 1)]
    rows, cols = np.nonzero(image[1:, :] != image[:-1, :])  # horizontal borders
    segments.append(np.stack([np.stack([cols - 0.5, rows + 0.5], -1),
                              np.stack([cols + 0.5, rows + 0.5], -1)], 1))
    ax.add_collection(LineCollection(np.concatenate(segments), colors="k", linewidths=0.6))
    ax.set(xticks=[], yticks=[])
