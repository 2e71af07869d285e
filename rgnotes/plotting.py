"""The book's figure style: colours that stay distinct under colour-vision deficiencies,
series told apart by marker and line style as well as colour, and a resolution that is
readable at the rendered page width.

Call :func:`use` once before plotting (every chapter does in its setup cell). Figure
functions take colours from :data:`COLORS` in order and pair the ``i``-th series with
:func:`series` ``(i)``, so that a reader who cannot tell two colours apart can still tell the
markers and dashes apart.
"""

from __future__ import annotations

#: Okabe & Ito (2008), "Color universal design": blue, orange, bluish green, vermillion,
#: reddish purple, sky blue, yellow, black; distinct under protan, deutan and tritan vision.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
          "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
#: Sequential colour map for images and maps (perceptually uniform, colour-blind safe).
CMAP = "cividis"
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
