"""The binary MERA's causal cone against a brute-force dependence test on a linear MERA."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rgnotes.rgflow import mera  # noqa: E402


def generate(n_sites, n_layers, dis, dec, top):
    """A linear MERA read top-down: decimator i of layer k gives (u_2i, u_2i+1) = dec * v_i,
    then disentangler i mixes (u_2i+1, u_2i+2) with a 2x2 matrix."""
    v = top
    for k in reversed(range(n_layers)):
        n = n_sites // 2 ** k
        u = (dec[k] * v[:, None]).reshape(n)
        for i in range(n // 2):
            a, b = 2 * i + 1, (2 * i + 2) % n
            u[a], u[b] = dis[k][i] @ np.array([u[a], u[b]])
        v = u
    return v


@pytest.mark.parametrize("n_sites,n_layers,sites", [(16, 3, [8]), (32, 4, [0]), (32, 3, [5, 6]),
                                                    (16, 2, [15]), (64, 5, [20, 21, 22])])
def test_cone_is_every_gate_the_sites_depend_on(n_sites, n_layers, sites):
    rng = np.random.default_rng(0)
    dis = [rng.normal(size=(n_sites // 2 ** (k + 1), 2, 2)) for k in range(n_layers)]
    dec = [rng.normal(size=(n_sites // 2 ** (k + 1), 2)) for k in range(n_layers)]
    top = rng.normal(size=n_sites // 2 ** n_layers)
    base = generate(n_sites, n_layers, dis, dec, top)[sites]
    cone = mera.causal_cone(n_sites, n_layers, sites)
    for k in range(n_layers):
        for kind, gates in (("disentanglers", dis), ("decimators", dec)):
            depends = []
            for i in range(len(gates[k])):
                saved = gates[k][i].copy()
                gates[k][i] = saved + rng.normal(size=saved.shape)
                changed = generate(n_sites, n_layers, dis, dec, top)[sites]
                gates[k][i] = saved
                if not np.allclose(changed, base):
                    depends.append(i)
            assert cone[k][kind] == depends, (k, kind)


def test_cone_width_stays_bounded():
    # what makes MERA efficient: a layer adds at most one site on each side (w + 2) and the
    # decimators halve that, rounding up plus one for the alignment, so w -> at most 4
    for start in ([0], [10, 11], [3, 4, 5], [40, 41, 42, 43, 44, 45, 46, 47], list(range(1, 60))):
        cone = mera.causal_cone(1024, 8, start)
        widths = [len(layer["sites"]) for layer in cone]
        assert all(w <= 4 for w in widths[6:]), widths
        assert all(b <= max(a, 4) for a, b in zip(widths[:-1], widths[1:], strict=True)), widths


def test_plot_and_bad_input():
    fig, ax = plt.subplots()
    mera.plot_mera(ax, 16, 3)
    plt.close(fig)
    for args in ((12, 3), (16, 0), (16, 4), (True, 1)):
        with pytest.raises(ValueError):
            mera.causal_cone(*args, [0])
    with pytest.raises(ValueError, match="sites"):
        mera.causal_cone(16, 2, [])
