"""The figure style: its colours stay distinct under simulated colour-vision deficiencies
(Machado, Oliveira & Fernandes 2009, severity 1, in linear sRGB; CIE76 colour difference in
CIE Lab, D65), unlike matplotlib's tab10 whose red/green and orange/green pairs merge."""

import itertools

import matplotlib as mpl
import numpy as np
import pytest

from rgnotes import plotting

# Machado et al. (2009), Table 1 (severity 1.0), applied to linear RGB.
CVD = {
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
               [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
               [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
               [0.004733, 0.691367, 0.303900]],
}
SRGB_TO_XYZ = [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
WHITE = (0.95047, 1.0, 1.08883)
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
DISTINCT = 12.0  # CIE76 difference below which two plotted series are easily confused


def lab(hexes, matrix):
    rgb = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.clip(linear @ np.array(matrix).T, 0, 1) @ np.array(SRGB_TO_XYZ).T
    t = xyz / np.array(WHITE)
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


def closest(hexes, matrix):
    points = lab(hexes, matrix)
    return min(np.linalg.norm(a - b) for a, b in itertools.combinations(points, 2))


@pytest.mark.parametrize("kind", [*CVD, "normal"])
def test_palette_stays_distinct_under_colour_vision_deficiencies(kind):
    matrix = CVD.get(kind, np.eye(3))
    assert closest(plotting.COLORS, matrix) > DISTINCT


def test_the_criterion_rejects_tab10():
    assert closest(TAB10, CVD["deutan"]) < DISTINCT  # green against red
    assert closest(TAB10, CVD["protan"]) < DISTINCT  # orange against green


def test_use_sets_the_cycle_and_resolution():
    with mpl.rc_context():
        plotting.use()
        cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
        assert cycle == list(plotting.COLORS)
        assert mpl.rcParams["figure.dpi"] >= 150 and mpl.rcParams["legend.fontsize"] >= 8


def test_series_differ_by_more_than_colour():
    styles = [plotting.series(i) for i in range(8)]
    assert len({(s["marker"], s["linestyle"]) for s in styles}) == 8
    assert len({s["color"] for s in styles}) == 8


def random_clusters(rng, L=16, n=40):
    """Label image of n clusters grown from random seeds (nearest seed on the torus)."""
    seeds = rng.integers(0, L, size=(n, 2))
    y, x = np.mgrid[:L, :L]
    dy = np.abs(y[..., None] - seeds[:, 0])
    dx = np.abs(x[..., None] - seeds[:, 1])
    d = np.minimum(dy, L - dy) ** 2 + np.minimum(dx, L - dx) ** 2
    return rng.permutation(1000)[np.argmin(d, axis=-1)]  # arbitrary label values


@pytest.mark.parametrize("seed", range(5))
def test_touching_clusters_get_different_colours(seed):
    image = random_clusters(np.random.default_rng(seed))
    colour = plotting.map_colors(image)
    for axis in (0, 1):  # every edge of the torus
        other, other_colour = np.roll(image, 1, axis), np.roll(colour, 1, axis)
        assert np.all((image == other) == (colour == other_colour))
    for label in np.unique(image):  # one colour per cluster
        assert np.unique(colour[image == label]).size == 1


def test_cluster_map_draws_one_border_per_differing_pixel_pair():
    import matplotlib.pyplot as plt

    image = np.repeat(np.repeat(np.arange(16).reshape(4, 4), 2, 0), 2, 1)  # 2x2 blocks
    fig, ax = plt.subplots()
    plotting.cluster_map(ax, image)
    (lines,) = ax.collections
    inner = 2 * 3 * 8  # 3 inner block boundaries per direction, 8 pixel edges each
    assert len(lines.get_segments()) == inner
    plt.close(fig)
