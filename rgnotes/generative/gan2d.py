"""A full two-dimensional GAN (generator and discriminator trained in turn) and mode coverage.

On a ring of ``k`` narrow Gaussians a GAN can *collapse*: the generator puts its samples
on a few of the modes (or hops between them) instead of covering all ``k``. The measure of
:func:`mode_coverage` counts, as in Metz et al. (2017) and Srivastava et al. (2017), a
generated sample as *high quality* when it lies within ``n_sigma`` standard deviations of
its nearest mode, a mode as *covered* when at least ``min_fraction`` of all samples are
high-quality samples at that mode, and compares the histogram of high-quality samples over
the modes with the uniform one by their KL divergence.

The remedy implemented is the minibatch standard-deviation feature (Karras et al. 2018), the
simplest form of the minibatch discrimination of Salimans et al. (2016): the discriminator's
last layer also sees how spread out the hidden features are *across a group of samples*. A
group of real samples is spread over all modes; a group from a collapsed generator is not,
so the discriminator can tell them apart even where each single sample looks real, and the
generator is pushed to spread out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import xarray as xr
from numpy.typing import NDArray
from torch import nn

from rgnotes.generative.toy_data import GaussianMixture


def _check_points(x: NDArray, name: str, dim: int = 2) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


class Generator(nn.Module):
    """MLP from ``(n, latent)`` Gaussian noise to ``(n, 2)`` points."""

    def __init__(self, latent: int = 8, hidden: int = 128):
        super().__init__()
        self.latent = latent
        self.net = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Points ``(n, 2)``."""
        return self.net(z)


class Discriminator2D(nn.Module):
    """MLP from ``(n, 2)`` points to ``(n,)`` logits, optionally with a minibatch-std feature.

    With ``group > 1`` the batch is cut into consecutive groups of ``group`` samples (``n``
    must be a multiple of it); for each group the standard deviation of every hidden
    feature across the group is averaged over features, and this one number is appended
    to the hidden features of every member of the group before the output layer.
    """

    def __init__(self, hidden: int = 128, group: int = 1):
        super().__init__()
        if group < 1:
            raise ValueError(f"group must be >= 1, got {group}")
        self.group = group
        self.body = nn.Sequential(
            nn.Linear(2, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(hidden + (group > 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n,)``."""
        h = self.body(x)
        if self.group > 1:
            n, width = h.shape
            if n % self.group:
                raise ValueError(f"batch of {n} is not a multiple of group {self.group}")
            g = h.reshape(n // self.group, self.group, width)
            dev = g - g.mean(dim=1, keepdim=True)  # (this is much faster than g.var)
            spread = ((dev * dev).mean(dim=1) + 1e-8).sqrt().mean(dim=1)  # (n/group,)
            feat = spread.repeat_interleave(self.group)[:, None]
            h = torch.cat([h, feat], dim=1)
        return self.head(h)[:, 0]


@dataclass
class GANRun:
    """Result of :func:`train_gan`.

    ``snapshots`` ``(len(snapshot_steps), n_snapshot, 2)``: samples of the generator for
    the same fixed latent points after each step in ``snapshot_steps``; ``d_loss`` and
    ``g_loss`` ``(steps,)``: the discriminator's binary cross-entropy (real and fake
    halves summed) and the generator's non-saturating loss ``-E log D(G(z))``, in nats.
    """

    generator: Generator
    discriminator: Discriminator2D
    snapshot_steps: NDArray[np.int64]
    snapshots: NDArray[np.float64]
    d_loss: NDArray[np.float64]
    g_loss: NDArray[np.float64]

    def sample(self, n: int, seed: int = 0) -> NDArray[np.float64]:
        """``n`` samples ``(n, 2)`` of the trained generator, latent noise drawn from ``seed``."""
        gen = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.generator.latent, generator=gen)
        with torch.no_grad():
            return self.generator(z).double().numpy()


def train_gan(
    data: GaussianMixture,
    steps: int = 2000,
    batch_size: int = 256,
    group: int = 1,
    latent: int = 8,
    hidden: int = 128,
    lr: float = 1e-3,
    snapshot_steps: tuple[int, ...] | list[int] = (),
    n_snapshot: int = 1000,
    seed: int = 0,
) -> GANRun:
    """Train a GAN on ``data`` (2D) by alternating Adam steps, one each for D and G.

    The discriminator minimises the binary cross-entropy of real (label 1) against
    generated (label 0) samples; the generator minimises the non-saturating loss
    ``-E log D(G(z))`` of Goodfellow et al. (2014). ``group = 1`` is the plain GAN; with
    ``group > 1`` the discriminator has the minibatch-std feature over groups of that size
    (``batch_size`` must be a multiple of it). Adam has ``betas = (0.5, 0.999)``, as usual
    for GANs, and a constant learning rate. Deterministic for a given ``seed`` on CPU with a
    fixed number of torch threads; torch's global random state is left untouched.
    """
    if data.dim != 2:
        raise ValueError(f"data must be two-dimensional, got dimension {data.dim}")
    if steps < 1 or batch_size < 2:
        raise ValueError(f"need steps >= 1 and batch_size >= 2, got {steps}, {batch_size}")
    if group < 1 or batch_size % group:
        raise ValueError(f"group {group} must be >= 1 and divide batch_size {batch_size}")
    snap = np.asarray(sorted(snapshot_steps), dtype=np.int64)
    if snap.size and (snap[0] < 0 or snap[-1] > steps):
        raise ValueError(f"snapshot steps must lie in [0, {steps}], got {snap}")
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen, disc = Generator(latent, hidden), Discriminator2D(hidden, group)
    tgen = torch.Generator().manual_seed(seed + 1)
    z_fixed = torch.randn(n_snapshot, latent, generator=tgen)
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))
    softplus = nn.functional.softplus  # -log sigmoid(a) = softplus(-a)
    snaps, d_losses, g_losses = [], np.empty(steps), np.empty(steps)

    def snapshot() -> None:
        with torch.no_grad():
            snaps.append(gen(z_fixed).double().numpy())

    for step in range(steps):
        if step in snap:
            snapshot()
        real = torch.as_tensor(data.sample(batch_size, rng), dtype=torch.float32)
        z = torch.randn(batch_size, latent, generator=tgen)
        with torch.no_grad():
            fake = gen(z)
        d_loss = softplus(-disc(real)).mean() + softplus(disc(fake)).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        z = torch.randn(batch_size, latent, generator=tgen)
        g_loss = softplus(-disc(gen(z))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        d_losses[step], g_losses[step] = d_loss.item(), g_loss.item()
    if steps in snap:
        snapshot()
    shots = np.stack(snaps) if snaps else np.empty((0, n_snapshot, 2))
    return GANRun(gen, disc, snap, shots, d_losses, g_losses)


@dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    ``counts`` ``(k,)``: high-quality samples at each mode; ``covered`` ``(k,)`` bool;
    ``n_covered``: modes covered; ``high_quality``: fraction of all samples that are high
    quality; ``kl_uniform``: KL divergence (nats) of the high-quality samples' histogram over
    the modes from the uniform one, between 0 (even) and ``log k`` (one mode); NaN when
    there is no high-quality sample.
    """

    counts: NDArray[np.int64]
    covered: NDArray[np.bool_]
    n_covered: int
    high_quality: float
    kl_uniform: float


def mode_coverage(
    samples: NDArray, means: NDArray, std: float, n_sigma: float = 3.0,
    min_fraction: float = 0.01,
) -> ModeCoverage:
    """How many of the modes ``means`` ``(k, 2)`` of width ``std`` the ``samples`` ``(n, 2)`` hit.

    A sample is high quality when its distance to the nearest mode is below
    ``n_sigma * std``; a mode is covered when it holds at least ``min_fraction * n``
    high-quality samples.
    """
    x = _check_points(samples, "samples")
    mu = _check_points(means, "means")
    if x.shape[0] == 0 or mu.shape[0] == 0:
        raise ValueError("need at least one sample and one mode")
    if not (std > 0 and n_sigma > 0 and 0 <= min_fraction <= 1):
        raise ValueError(f"need std > 0, n_sigma > 0, 0 <= min_fraction <= 1; "
                         f"got {std}, {n_sigma}, {min_fraction}")
    dist2 = ((x[:, None, :] - mu[None]) ** 2).sum(axis=2)  # (n, k)
    nearest = dist2.argmin(axis=1)
    good = dist2[np.arange(x.shape[0]), nearest] < (n_sigma * std) ** 2
    k = mu.shape[0]
    counts = np.bincount(nearest[good], minlength=k)
    covered = (counts > 0) & (counts >= min_fraction * x.shape[0])
    if good.any():
        p = counts / counts.sum()
        nz = p > 0
        kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    else:
        kl = float("nan")
    return ModeCoverage(counts, covered, int(covered.sum()), float(good.mean()), kl)


@dataclass
class ModeCollapse:
    """Result of :func:`mode_collapse`.

    ``runs[variant, seed]``: the :class:`GANRun` of each training. ``coverage``: a Dataset
    over ``(variant, seed)`` with ``n_covered``, ``high_quality`` and ``kl_uniform`` of
    :func:`mode_coverage` for the final generator, and ``n_covered_path``
    ``(variant, seed, step)``: the modes covered by the snapshots during training.
    """

    runs: dict[tuple[str, int], GANRun]
    coverage: xr.Dataset


def mode_collapse(
    data: GaussianMixture,
    variants: dict[str, int],
    seeds: list[int],
    std: float,
    steps: int = 2000,
    hidden: int = 64,
    snapshot_steps: NDArray | list[int] = (),
    n_samples: int = 10_000,
) -> ModeCollapse:
    """Train :func:`train_gan` for every variant and seed and count the modes each covers.

    ``variants`` maps a name to the discriminator's minibatch ``group`` (1: the plain GAN);
    everything else is the same for all. The final generator of the run with seed ``s`` is
    sampled ``n_samples`` times from latent seed ``s``; modes (``data.means``, width ``std``)
    are counted by :func:`mode_coverage`, also on every snapshot.
    """
    runs, final, path = {}, [], []
    for name, group in variants.items():
        for s in seeds:
            run = train_gan(data, steps=steps, group=group, hidden=hidden,
                            snapshot_steps=snapshot_steps, seed=s)
            runs[name, s] = run
            c = mode_coverage(run.sample(n_samples, seed=s), data.means, std)
            final.append((c.n_covered, c.high_quality, c.kl_uniform))
            path.append([mode_coverage(x, data.means, std).n_covered for x in run.snapshots])
    shape = (len(variants), len(seeds))
    final_arr = np.array(final).reshape(*shape, 3)
    ds = xr.Dataset(
        {"n_covered": (("variant", "seed"), final_arr[..., 0].astype(int)),
         "high_quality": (("variant", "seed"), final_arr[..., 1]),
         "kl_uniform": (("variant", "seed"), final_arr[..., 2]),
         "n_covered_path": (("variant", "seed", "step"),
                            np.array(path, dtype=int).reshape(*shape, -1))},
        coords={"variant": list(variants), "seed": list(seeds),
                "step": np.asarray(sorted(snapshot_steps), dtype=np.int64)})
    return ModeCollapse(runs, ds)


def point_mass_loss(
    discriminator: nn.Module, x_data: NDArray, half_width: float = 3.0, n_grid: int = 301
) -> tuple[float, float]:
    """The generator's loss ``-log D`` against a frozen discriminator: point mass vs data.

    Returns ``(-log D at the grid maximum of D, -mean log D over x_data)`` in nats, the
    first over an ``n_grid x n_grid`` grid on ``[-half_width, half_width]^2``. A point mass
    at the maximum of ``D`` is the generator's best reply to a fixed discriminator; when its
    loss is below the data's, collapsing pays.
    """
    axis = np.linspace(-half_width, half_width, n_grid)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    x = _check_points(x_data, "x_data")
    softplus = nn.functional.softplus  # -log sigmoid(a) = softplus(-a)
    with torch.no_grad():
        logit_grid = discriminator(torch.tensor(grid, dtype=torch.float32))
        logit_data = discriminator(torch.tensor(x, dtype=torch.float32))
    return float(softplus(-logit_grid.max())), float(softplus(-logit_data).mean())
