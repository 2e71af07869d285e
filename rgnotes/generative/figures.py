"""The figures of the generative-models chapter, drawn on axes the caller provides.

Each function takes the result of one experiment of :mod:`rgnotes.generative` and draws it;
none computes anything that a check depends on. Matplotlib is imported by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from rgnotes import plotting
from rgnotes.generative import flows, gan2d
from rgnotes.generative.gan import DiscriminatorCheck
from rgnotes.generative.toy_data import GaussianMixture

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def flow_on_ring(
    flow: flows.RealNVP, data: GaussianMixture, x_train: NDArray, axes: NDArray,
    half_width: float = 3.3, n_points: int = 3000, seed: int = 0,
) -> None:
    """Three panels: ``n_points`` training points, as many flow samples (latents from
    ``seed``), and the learned density on a grid (colour) with the true density's contours."""
    import torch

    grid = np.linspace(-half_width, half_width, 161)
    gx, gy = np.meshgrid(grid, grid, indexing="ij")
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    learned = flows.density(flow, pts).reshape(gx.shape)
    true = np.exp(data.log_prob(pts)).reshape(gx.shape)
    gen = flow.sample(n_points, generator=torch.Generator().manual_seed(seed)).numpy()
    axes[0].scatter(*np.asarray(x_train)[:n_points].T, s=1, alpha=0.4)
    axes[1].scatter(*gen.T, s=1, alpha=0.4, color="C1")
    axes[2].contourf(gx, gy, learned, levels=20, cmap="viridis")
    axes[2].contour(gx, gy, true, levels=np.linspace(0.02, true.max(), 6), colors="k",
                    linewidths=0.6)
    titles = ["data", "flow samples", "learned density, true contours"]
    for ax, title in zip(axes, titles, strict=True):
        ax.set(title=title, aspect="equal", xlabel="$x_1$")
    axes[0].set_ylabel("$x_2$")


def noise_as_coarse_graining(ds: xr.Dataset, axes: tuple[Axes, Axes], measured: float) -> None:
    """Left: the power spectrum and the noise variances; right: the optimal gain per mode
    (lines) and, at noise variance ``measured``, the gain estimated from samples (dots).
    ``ds`` is a result of :func:`rgnotes.generative.diffusion.denoising_by_mode`."""
    ds = ds.sortby("k")
    ax1, ax2 = axes
    ax1.semilogy(ds.k, ds.power, "k-", label="$S(k)$")
    for i, var in enumerate(ds.noise_var.values):
        label, style = f"$\\sigma^2 = {var:g}$", plotting.series(i + 1)
        ax1.axhline(var, color=style["color"], ls=style["linestyle"], label=label)
        ax2.plot(ds.k, ds.wiener.sel(noise_var=var), color=style["color"],
                 ls=style["linestyle"], label=label)
        if var == measured:
            ax2.plot(ds.k, ds.gain.sel(noise_var=var), style["marker"], ms=3,
                     color=style["color"], label=f"measured, $\\sigma^2 = {var:g}$")
    ax1.set(xlabel="wavenumber $k$", ylabel="power")
    ax2.set(xlabel="wavenumber $k$", ylabel="gain of $E[x|y]$")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)


def ebm_paths(ds: xr.Dataset, ax: Axes) -> None:
    """Relative distance of each run's iterates of ``J`` to the ML solution (lines), and of
    each Langevin run's predicted fixed point (dotted). ``ds``: a result of
    :func:`rgnotes.generative.ebm.compare_negatives`."""
    for i, label in enumerate(ds.negatives.values):
        style = plotting.series(i)
        ax.semilogy(ds.J_path_to_ml.sel(negatives=label), color=style["color"],
                    ls=style["linestyle"], lw=0.8, label=label)
        if label != "exact":
            ax.axhline(float(ds.pred_to_ml.sel(negatives=label)), color=style["color"], ls=":")
    ax.set(xlabel="update", ylabel="relative distance of $J$ to ML")
    ax.legend(fontsize=8)


def discriminator(check: DiscriminatorCheck, axes: tuple[Axes, Axes], every: int = 4) -> None:
    """Left: the two densities; right: ``D*`` (line) and the trained ``D`` at every
    ``every``-th point (dots)."""
    ax1, ax2 = axes
    ax1.plot(check.x, check.p_data, label=r"$p_{\rm data}$")
    ax1.plot(check.x, check.p_gen, label="$p_G$")
    ax1.set(xlabel="$x$", ylabel="density")
    ax2.plot(check.x, check.d_star, "k-", label="$D^*$")
    ax2.plot(check.x[::every], check.d_trained[::every], "o", ms=3, color="C3",
             label="trained $D$")
    ax2.set(xlabel="$x$", ylabel="$D(x)$", ylim=(0, 1))
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)


def mode_collapse(study: gan2d.ModeCollapse, data: GaussianMixture, std: float,
                  axes: NDArray) -> None:
    """One row per variant: the first seed's generator at four moments of training (grey
    circles: ``3 std`` around each mode), then the modes covered during training, one line
    per seed. ``axes`` is ``(variants, 5)``."""
    cov = study.coverage
    steps = cov.step.values
    show = [len(steps) // 8, len(steps) // 4, len(steps) // 2, len(steps) - 1]
    for row, name in enumerate(cov.variant.values):
        run = study.runs[name, int(cov.seed[0])]
        for ax, i in zip(axes[row, :4], show, strict=True):
            for mu in data.means:
                ax.add_patch(_circle(mu, 3 * std))
            ax.plot(*run.snapshots[i].T, ".", ms=1, color=plotting.COLORS[row])
            ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[],
                   title=f"{name}, step {steps[i]}")
        for j, s in enumerate(cov.seed.values):
            axes[row, 4].plot(steps, cov.n_covered_path.sel(variant=name, seed=s), ms=2,
                              label=f"seed {s}", **plotting.series(j))
        axes[row, 4].set(xlabel="step", ylabel="modes covered", ylim=(-0.3, 8.3))
        axes[row, 4].legend(fontsize=7)


def kernel_flow(ds: xr.Dataset, sigma_b2_line: NDArray, sigma_w2_line: NDArray,
                sigma_b2: float, axes: tuple[Axes, Axes]) -> None:
    """Left: the order-to-chaos line and the points of ``ds``; right: the correlation against
    depth from the recursion (lines) and the networks (dots). ``ds``: a result of
    :func:`rgnotes.generative.kernels.order_to_chaos`."""
    ax1, ax2 = axes
    ax1.plot(np.r_[1.0, sigma_w2_line], np.r_[0.0, sigma_b2_line], "k-")
    ax1.text(1.3, 1.5, "ordered", fontsize=9)
    ax1.text(3.2, 0.3, "chaotic", fontsize=9)
    for i, sw2 in enumerate(ds.sigma_w2.values):
        one, style = ds.sel(sigma_w2=sw2), plotting.series(i)
        ax1.plot(sw2, sigma_b2, style["marker"], color=style["color"])
        ax2.plot(ds.layer, one.rho_theory, color=style["color"], ls=style["linestyle"],
                 label=f"$C_W = {sw2:g}$, $\\chi_1 = {float(one.chi1):.2f}$")
        ax2.plot(ds.layer, one.rho_nets, style["marker"], ms=3, color=style["color"])
    ax1.set(xlabel="weight variance $C_W$", ylabel="bias variance $C_b$")
    ax2.set(xlabel=r"layer $\ell$", ylabel=r"correlation $\rho^{(\ell)}$", ylim=(0, 1.05))
    ax2.legend(fontsize=8)


def _circle(center: NDArray, radius: float):
    from matplotlib.patches import Circle

    return Circle(center, radius, color="0.8")
