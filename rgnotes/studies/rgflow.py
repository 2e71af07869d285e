"""The RG-Flow study (Hu et al. 2022, as reproduced by Faisal 2025): the model's structure,
one training run on MSDS1 and its evaluation, and the speed of training on this machine.

Four kinds of unit, each cached on its own:

- ``structure`` (no training): on a tiny flow with random output scales, in double
  precision, the layer-by-layer log-determinant against the slogdet of the autograd
  Jacobian and the inverse's round trip; the patch of every pixel in each sub-layer
  (:func:`rgnotes.rgflow.model.patch_labels`), the latent level of every pixel and whether
  the coarse sites of shifted and un-shifted patches coincide; parameter counts and
  multiply-adds of the configurations; the variance and kurtosis of Laplace prior samples.
- ``run``: trains the study's configuration (:func:`rgnotes.rgflow.train.train`, resumable:
  the checkpoint lives in the cache under a hash of the training settings), then evaluates
  the trained model: train and test bits per dimension per epoch, held-out images and
  samples at several temperatures (uint8), the receptive field of one latent per level
  (:mod:`rgnotes.rgflow.receptive`) with its support and 95 % size, latent traversals, and
  the FID of samples against test images where the pytorch-fid weights are available
  (``$RGNOTES_FID_WEIGHTS``; NaN otherwise). The unit's arrays are these results, never
  the weights.
- ``stages``: samples of the trained model as they propagate through the levels during
  generation (:func:`rgnotes.rgflow.receptive.generation_stages`), from the same training
  run (trained first if the cache does not hold it yet).
- ``speed``: training images per second and FLOP/s of the study's configuration and of the
  paper's MSDS configuration, the floor set by their matrix products alone
  (:mod:`rgnotes.rgflow.speed`) and the rate of a plain square matrix product. Timings depend
  on the machine and its load: never verified. The per-epoch seconds of the ``run`` are
  timings too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import xarray as xr

from rgnotes import plotting
from rgnotes.cache import cache_dir, key
from rgnotes.generative.flows import jacobian_logdet
from rgnotes.rgflow import fid as fid_mod
from rgnotes.rgflow.data import load_dataset
from rgnotes.rgflow.model import (
    build,
    flow_macs,
    latent_level,
    n_parameters,
    patch_labels,
    randomise_scales,
    to_patches,
)
from rgnotes.rgflow.model import preset as model_preset
from rgnotes.rgflow.preprocess import dequantize, to_logit
from rgnotes.rgflow.priors import make_prior
from rgnotes.rgflow.receptive import (
    field_size,
    generation_stages,
    level_positions,
    receptive_field,
    traverse,
)
from rgnotes.rgflow.speed import matmul_floor, matmul_flops, throughput
from rgnotes.rgflow.train import load_run, sample_images, train
from rgnotes.studies.core import EARLIER_SECONDS, Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The tiny flow of the log-determinant check: 8 x 8 one-channel images, two levels.
TINY = dict(image_size=8, channels=1, kernel=4, layers_per_level=[1, 2], res_blocks=1,
            hidden=16)
#: Structural bound on the side of the receptive field of a latent of each level (L = 32,
#: m = 4): its patches and those overlapping them; levels 2 and 3 reach the whole image.
FIELD_BOUNDS = (8, 24, 32, 32)
#: Parts whose parameters are counted.
PARTS = ("one s- or t-net", "one RealNVP layer (s + t)", "one sub-layer of 4 RealNVP layers",
         "CelebA config", "MSDS config", "trained config")
#: Configurations whose multiply-adds are counted; "CelebA level 0" is its level 0 alone.
MAC_CONFIGS = ("celeba", "msds", "quick", "CelebA level 0")
#: Speed measurements (rows) and what each reports (columns).
TIMED = ("trained config step", "MSDS config step", "trained config floor",
         "MSDS config floor")


@dataclass(frozen=True)
class Params:
    """Parameters of the RG-Flow study.

    Attributes:
        preset: model configuration trained (:data:`rgnotes.rgflow.model.PRESETS`).
        n_train, n_test: MSDS1 images generated with ``seed`` for training and testing.
        epochs: passes over the training images.
        batch: images per optimiser step.
        prior: latent prior of the run (``"laplace"`` or ``"gaussian"``).
        n_rf: prior samples averaged per receptive field.
        seed: of the data, the initialisation, the noise and every sample.
        data: data set (``"msds1"``).
        n_show: images per sample grid.
        temperatures: uniform sampling temperatures of the grids.
        level_temperatures: one temperature per RG level for the last grid.
        traversal_pixels: the latents traversed sit at pixels ``(p, p)``.
        traversal_values: values the traversed latents are set to (prior standard deviations).
        n_fid: samples and test images of the FID.
        t_check: temperature of the Laplace-sampler check.
        speed_batch_msds: batch of the MSDS configuration's timed step.
    """

    preset: str
    n_train: int
    n_test: int
    epochs: int
    batch: int
    prior: str
    n_rf: int
    seed: int
    data: str = "msds1"
    n_show: int = 16
    n_stages: int = 6
    temperatures: tuple[float, ...] = (1.0, 0.7)
    level_temperatures: tuple[float, ...] = (0.4, 0.8, 0.9, 1.0)
    traversal_pixels: tuple[int, ...] = (8, 9)
    traversal_values: tuple[float, ...] = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
    n_fid: int = 64
    t_check: float = 0.7
    speed_batch_msds: int = 2


PRESETS = {
    "quick": Params(preset="quick", n_train=1600, n_test=1000, epochs=5, batch=64,
                    prior="laplace", n_rf=16, seed=2026),
    "full": Params(preset="quick", n_train=90_000, n_test=10_000, epochs=7, batch=64,
                   prior="laplace", n_rf=64, seed=2026),
}


def _config(name: str) -> dict:
    config = model_preset(name)
    return {**config, "layers_per_level": list(config["layers_per_level"])}


def units(p: Params) -> list[Unit]:
    """The structure checks, the training run with its evaluation, the generation stages,
    the timings."""
    structure = dict(kind="structure", tiny=TINY, config=_config(p.preset), seed=p.seed,
                     t_check=p.t_check, level_temperatures=list(p.level_temperatures))
    run = dict(kind="run", data=p.data, n_train=p.n_train, n_test=p.n_test, seed=p.seed,
               epochs=p.epochs, batch=p.batch, prior=p.prior, config=_config(p.preset),
               n_rf=p.n_rf, n_show=p.n_show, temperatures=list(p.temperatures),
               level_temperatures=list(p.level_temperatures),
               traversal_pixels=list(p.traversal_pixels),
               traversal_values=list(p.traversal_values), n_fid=p.n_fid,
               fid_weights=os.environ.get(fid_mod.ENV_VAR) or None)
    stages = dict(kind="stages", **{k: run[k] for k in _RUN_SETTINGS}, epochs=p.epochs,
                  n_images=p.n_stages, temperature=list(p.level_temperatures))
    speed = dict(kind="speed", config=_config(p.preset), batch=p.batch,
                 batch_msds=p.speed_batch_msds, threads=1)
    return [structure, run, stages, speed]


def _log_det_check(u: Unit) -> dict[str, np.ndarray]:
    cfg = u["tiny"]
    size, chans = cfg["image_size"], cfg["channels"]
    torch.manual_seed(u["seed"])
    tiny = randomise_scales(build(cfg).double(), 0.5)
    x = torch.randn(3, chans, size, size, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(u["seed"]))
    with torch.no_grad():
        z, ldj = tiny(x)
        roundtrip = float((tiny.inverse(z)[0] - x).abs().max())
    auto = jacobian_logdet(tiny, x).detach().numpy()
    return dict(ldj_flow=ldj.numpy(), ldj_autograd=auto, roundtrip=roundtrip)


def _index_scheme(config: dict) -> dict[str, np.ndarray]:
    size, m = config["image_size"], config["kernel"]
    level = latent_level(size, m).numpy()
    top = int(level.max())
    labels = np.stack([[patch_labels(size, h, s, m).numpy() for s in (False, True)]
                       for h in range(top + 1)])
    ids = torch.arange(size * size).reshape(1, 1, size, size)
    same = True
    for h in range(top):  # the sites kept by both sub-layers are the next level's grid
        on_grid = set(np.flatnonzero((level > h).ravel()).tolist())
        for s in (False, True):
            kept = to_patches(ids, h, s, m).reshape(-1, m, m)[:, ::2, ::2]
            same &= set(kept.reshape(-1).tolist()) == on_grid
    return dict(patch_labels=labels.astype(np.int16), latent_level=level.astype(np.int8),
                same_grid=same)


def _counts(config: dict) -> dict[str, np.ndarray]:
    with torch.device("meta"):  # counts without allocating memory
        celeba, msds = build(model_preset("celeba")), build(model_preset("msds"))
        trained = build(config)
    layer = celeba.sublayers[0].layers[0]
    params = [n_parameters(layer.s_net), n_parameters(layer), n_parameters(msds.sublayers[0]),
              n_parameters(celeba), n_parameters(msds), n_parameters(trained)]
    macs = [flow_macs(model_preset(name)) for name in MAC_CONFIGS[:3]]
    macs.append(flow_macs(model_preset("celeba", layers_per_level=(8, 0, 0, 0))))
    return dict(parameters=np.array(params), macs=np.array(macs))


def _prior_check(u: Unit, size: int, kernel: int) -> dict[str, np.ndarray]:
    t = u["t_check"]
    gen = torch.Generator().manual_seed(u["seed"])
    z = make_prior("laplace").sample(64, (3, size, size), t, kernel, gen,
                                     torch.float64).numpy().ravel()
    return dict(laplace_var=z.var(), laplace_kurtosis=((z - z.mean()) ** 4).mean() / z.var() ** 2,
                laplace_n=z.size)


def _structure(u: Unit) -> Arrays:
    cfg = u["config"]
    return {**_log_det_check(u), **_index_scheme(cfg), **_counts(cfg),
            **_prior_check(u, cfg["image_size"], cfg["kernel"])}


def run_dir(u: Unit):
    """Where the training run of a ``run`` unit keeps its checkpoint (in the cache). The
    number of epochs is not part of the name: epoch ``e`` of a run does not depend on how
    many follow (same data order, same noise, a constant learning rate), so raising
    ``epochs`` continues a finished run from its checkpoint."""
    return cache_dir() / "rgflow_runs" / key({k: u[k] for k in _RUN_SETTINGS})


#: The settings that name a training run (its folder); the number of epochs is not one.
_RUN_SETTINGS = ("data", "n_train", "n_test", "seed", "batch", "prior", "config")


def _trained(u: Unit, train_x: np.ndarray, test_x: np.ndarray):
    """Train (or resume, or just load) the run of unit ``u``: ``(model, prior, history)``."""
    train(train_x, test_x, u["config"], run_dir(u), epochs=u["epochs"], batch_size=u["batch"],
          prior=u["prior"], seed=u["seed"], resume=True, progress=False, threads=1)
    model, prior, history, _ = load_run(run_dir(u))
    if len(history) != u["epochs"]:
        raise ValueError(f"the training run in {run_dir(u)} has {len(history)} epochs, more "
                         f"than the {u['epochs']} asked for; use another cache folder")
    return model, prior, history


def _load(u: Unit) -> tuple[np.ndarray, np.ndarray]:
    return (load_dataset(u["data"], "train", n=u["n_train"], seed=u["seed"]),
            load_dataset(u["data"], "test", n=u["n_test"], seed=u["seed"]))


def _fid(fake: np.ndarray, real: np.ndarray, weights) -> float:
    try:
        return fid_mod.fid(fake, real, weights=weights)
    except fid_mod.FIDUnavailable:
        return float("nan")


def _run(u: Unit) -> Arrays:
    seed, cfg = u["seed"], u["config"]
    train_x, test_x = _load(u)
    log = run_dir(u) / "history.json"  # epochs trained by earlier processes, resumed here
    earlier = sum(r["seconds"] for r in json.loads(log.read_text())) if log.exists() else 0.0
    model, prior, history = _trained(u, train_x, test_x)
    hist = {k: np.array([r[k] for r in history])
            for k in ("train_bpd", "test_bpd", "seconds", "images_per_s")}
    n = u["n_show"]
    settings = [*u["temperatures"], u["level_temperatures"]]
    samples = np.stack([sample_images(model, prior, n, t, seed=seed) for t in settings])
    positions = level_positions(cfg["image_size"], cfg["kernel"])
    heats = np.stack([receptive_field(model, prior, positions[h], n_samples=u["n_rf"],
                                      seed=seed) for h in sorted(positions)])
    sizes = [field_size(heat, positions[h]) for h, heat in enumerate(heats)]
    support = [((heat > 0).any(axis=1).sum(), (heat > 0).any(axis=0).sum()) for heat in heats]
    with torch.no_grad():
        w0, _ = to_logit(dequantize(torch.from_numpy(test_x[:1]),
                                    torch.Generator().manual_seed(seed)))
        z0 = model(w0)[0][0]
    strips = np.stack([traverse(model, z0, (p, p), u["traversal_values"])
                       for p in u["traversal_pixels"]])
    fake = sample_images(model, prior, u["n_fid"], 1.0, seed=seed)
    return dict(**hist, test_images=test_x[:n], samples=samples,
                receptive_field=heats.astype(np.float32), field_size=np.array(sizes),
                field_support=np.array(support), position=np.array([positions[h] for h in
                                                                    sorted(positions)]),
                traversal=strips, fid=_fid(fake, test_x[:u["n_fid"]], u["fid_weights"]),
                **{EARLIER_SECONDS: earlier})


def _stages(u: Unit) -> Arrays:
    model, prior, _ = _trained(u, *_load(u))
    return dict(stages=generation_stages(model, prior, u["n_images"], u["temperature"],
                                         seed=u["seed"]))


def _speed(u: Unit) -> Arrays:
    cfg, msds = u["config"], _config("msds")
    torch.set_num_threads(u["threads"])
    rows = [throughput(cfg, batch=u["batch"], steps=3),
            throughput(msds, batch=u["batch_msds"], steps=1),
            matmul_floor(cfg, batch=u["batch"]), matmul_floor(msds, batch=u["batch_msds"])]
    return dict(images_per_s=np.array([r["images_per_s"] for r in rows]),
                flop_per_s=np.array([r["flop_per_s"] for r in rows]),
                matmul_flop_per_s=matmul_flops(1024, repeats=10))


def compute(u: Unit) -> Arrays:
    """One unit's arrays (see the module docstring)."""
    return {"structure": _structure, "run": _run, "stages": _stages,
            "speed": _speed}[u["kind"]](u)


def _structure_dataset(a: Arrays) -> xr.Dataset:
    size = a["latent_level"].shape[0]
    v = {"ldj_flow": (("tiny_image",), a["ldj_flow"]),
         "ldj_autograd": (("tiny_image",), a["ldj_autograd"]),
         "roundtrip": a["roundtrip"],
         "patch_labels": (("level", "shifted", "row", "col"), a["patch_labels"]),
         "latent_level": (("row", "col"), a["latent_level"]),
         "same_grid": a["same_grid"],
         "parameters": (("part",), a["parameters"]), "macs": (("mac_config",), a["macs"]),
         "laplace_var": a["laplace_var"], "laplace_kurtosis": a["laplace_kurtosis"],
         "laplace_n": a["laplace_n"]}
    coords = {"level": np.arange(a["patch_labels"].shape[0]), "shifted": [False, True],
              "row": np.arange(size), "col": np.arange(size), "part": list(PARTS),
              "mac_config": list(MAC_CONFIGS)}
    return xr.Dataset(v, coords=coords)


def _run_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    chans, size = a["samples"].shape[2], a["samples"].shape[3]
    hist = {k: (("epoch",), a[k]) for k in ("train_bpd", "test_bpd", "seconds",
                                           "images_per_s")}
    v = {**hist,
         "test_images": (("image", "channel", "row", "col"), a["test_images"]),
         "samples": (("setting", "image", "channel", "row", "col"), a["samples"]),
         "receptive_field": (("level", "row", "col"), a["receptive_field"]),
         "field_size": (("level",), a["field_size"]),
         "field_support": (("level", "axis"), a["field_support"]),
         "field_bound": (("level",), np.array(FIELD_BOUNDS[:a["field_size"].size])),
         "position": (("level", "axis"), a["position"]),
         "traversal": (("pixel", "value", "channel", "row", "col"), a["traversal"]),
         "fid": a["fid"]}
    t = u["level_temperatures"]
    coords = {"epoch": np.arange(1, a["train_bpd"].size + 1),
              "setting": [f"T = {x:g}" for x in u["temperatures"]]
              + ["T per level " + ", ".join(f"{x:g}" for x in t)],
              "level": np.arange(a["field_size"].size), "axis": ["row", "col"],
              "pixel": u["traversal_pixels"], "value": u["traversal_values"],
              "channel": ["R", "G", "B"][:chans], "row": np.arange(size),
              "col": np.arange(size)}
    return xr.Dataset(v, coords=coords)


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays with their coordinates (``epoch``, ``level``, ``setting``, ...)."""
    if u["kind"] == "structure":
        return _structure_dataset(a)
    if u["kind"] == "run":
        return _run_dataset(u, a)
    if u["kind"] == "stages":
        st = a["stages"]
        return xr.Dataset({"stages": (("stage", "stage_image", "channel", "row", "col"), st)},
                          coords={"stage": np.arange(st.shape[0]),
                                  "stage_image": np.arange(st.shape[1]),
                                  "channel": ["R", "G", "B"][:st.shape[2]],
                                  "row": np.arange(st.shape[3]), "col": np.arange(st.shape[4])})
    return xr.Dataset({"images_per_s_timed": (("timed",), a["images_per_s"]),
                       "flop_per_s_timed": (("timed",), a["flop_per_s"]),
                       "matmul_flop_per_s": a["matmul_flop_per_s"]},
                      coords={"timed": list(TIMED)})


_ATTRS = {
    "ldj_flow": ("nats", "log|det| of the tiny flow, summed layer by layer"),
    "ldj_autograd": ("nats", "log|det| of the tiny flow's autograd Jacobian (slogdet)"),
    "roundtrip": ("", "largest |inverse(forward(x)) - x| of the tiny flow"),
    "patch_labels": ("", "patch of each pixel in the sub-layer (level, shifted); -1: untouched"),
    "latent_level": ("", "RG level of the latent at each pixel"),
    "same_grid": ("", "coarse sites of shifted and un-shifted patches coincide at every level"),
    "parameters": ("", "trainable parameters"),
    "macs": ("", "multiply-adds of the linear layers in one forward pass of one image"),
    "laplace_var": ("", "variance of Laplace prior samples at temperature t_check"),
    "laplace_kurtosis": ("", "kurtosis of the same samples (6 for a Laplace law)"),
    "train_bpd": ("bits/dim", "mean over the epoch's training batches"),
    "test_bpd": ("bits/dim", "held-out test images after the epoch"),
    "seconds": ("s", "training time of the epoch (timing: depends on the machine)"),
    "images_per_s": ("1/s", "training images per second of the epoch (timing)"),
    "test_images": ("", "held-out images, uint8 RGB"),
    "samples": ("", "samples of the trained model at each temperature setting, uint8 RGB"),
    "receptive_field": ("", "E|dG/dz_l| summed over channels, latent at `position`"),
    "field_size": ("pixels", "side of the centred square holding 95% of the field"),
    "field_support": ("pixels", "rows and columns where the field is non-zero"),
    "field_bound": ("pixels", "structural bound on the field's side"),
    "position": ("", "pixel of the latent whose field is measured"),
    "traversal": ("", "decoded test image with the latent at (pixel, pixel) set to value"),
    "fid": ("", "FID of n_fid samples against n_fid test images (NaN: weights unavailable)"),
    "stages": ("", "samples during generation: prior sample (stage 0), then after each level "
                   "from the top down, uint8 RGB"),
    "images_per_s_timed": ("1/s", "training images per second (timing: depends on the load)"),
    "flop_per_s_timed": ("FLOP/s", "FLOP/s of the linear layers in that step (timing)"),
    "matmul_flop_per_s": ("FLOP/s", "1024 x 1024 float32 matrix product (timing)"),
}


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """Units and names on every variable; the run's size as attributes."""
    describe(ds, _ATTRS)
    ds.attrs.update(title="RG-Flow on MSDS1 (Hu et al. 2022)", preset=p.preset,
                    n_train=p.n_train, n_test=p.n_test, epochs=p.epochs, prior=p.prior,
                    t_check=p.t_check)
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The structure unit (seconds); the run (training) and the timings are not rerun."""
    return [u for u in units(p) if u["kind"] == "structure"]


def summary(p: Params) -> str:
    """The size of a result, for the page's provenance box."""
    return (f"the '{p.preset}' configuration trained for {p.epochs} epochs on "
            f"{p.n_train:,} MSDS1 images (batch {p.batch}, {p.prior} prior), tested on "
            f"{p.n_test:,}; receptive fields from {p.n_rf} prior samples")


STUDY = Study(name="rgflow", version=2,
              description="RG-Flow: structure checks, a training run on MSDS1 and its "
                          "evaluation, training speed",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


def moved_pixels(ds: xr.Dataset) -> dict[int, int]:
    """For each traversed latent (pixel ``(p, p)``): how many pixels of the decoded image
    change anywhere along its traversal."""
    strips = ds["traversal"]
    moved = (strips != strips.sel(value=strips["value"][0])).any(("value", "channel"))
    return {int(p): int(n) for p, n in zip(ds["pixel"].values,
                                           moved.sum(("row", "col")).values, strict=True)}


# ---- the chapter's figures: each draws one Dataset on the axes it is given -----------------

def plot_index(ds: xr.Dataset, axes: np.ndarray) -> None:
    """``axes`` ``(2, 5)``: the patches of every level's un-shifted (top) and shifted
    (bottom) sub-layer, neighbouring patches in different colours (white: pixels the
    sub-layer does not touch); right column: the latent level of every pixel and the number
    of latents per level."""
    from matplotlib.colors import ListedColormap

    for (h, shifted), ax in zip(np.ndindex(4, 2), axes[:, :4].T.ravel(), strict=True):
        lab = ds["patch_labels"].sel(level=h, shifted=bool(shifted)).values
        step = 2**h  # level h acts on the sub-grid of every 2^h-th row and column
        colour = np.full(lab.shape, np.nan)
        colour[::step, ::step] = plotting.map_colors(lab[::step, ::step])
        cmap = ListedColormap(plotting.COLORS[:4]).with_extremes(bad="white")
        ax.imshow(colour, cmap=cmap, vmin=-0.5, vmax=3.5, interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"h={h}, {'shifted' if shifted else 'un-shifted'}, "
                     f"{lab.max() + 1} patches", fontsize=8)
    level = ds["latent_level"].values
    counts = np.bincount(level.ravel())
    levels = ListedColormap(plotting.COLORS[:counts.size])
    image = axes[0, 4].imshow(level, cmap=levels, interpolation="nearest",
                              vmin=-0.5, vmax=counts.size - 0.5)
    axes[0, 4].set(title="latent level", xticks=[], yticks=[])
    axes[0, 4].figure.colorbar(image, ax=axes[0, 4], ticks=range(counts.size), fraction=0.046)
    axes[1, 4].bar(range(counts.size), counts, color=plotting.COLORS[:counts.size],
                   edgecolor="k")
    axes[1, 4].set(xticks=range(counts.size), xlabel="level h", ylabel="latents per channel")


def plot_bpd(ds: xr.Dataset, ax: Axes) -> None:
    """Train (mean over the epoch's batches) and test (after the epoch) bits per dimension
    against the epoch."""
    ax.plot(ds["epoch"], ds["train_bpd"], label="train (during the epoch)",
            **plotting.series(0))
    ax.plot(ds["epoch"], ds["test_bpd"], label="test (after the epoch)", **plotting.series(1))
    ax.set(xlabel="epoch", ylabel="bits per dimension", xticks=ds["epoch"].values)
    ax.legend()


def _grid(images: np.ndarray, side: int) -> np.ndarray:
    """``(side * side, 3, H, W)`` uint8 images as one ``(side H, side W, 3)`` mosaic."""
    n, c, h, w = images.shape
    return images.reshape(side, side, c, h, w).transpose(0, 3, 1, 4, 2).reshape(
        side * h, side * w, c)


def plot_samples(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Held-out images, then the samples of every temperature setting, one mosaic each."""
    side = int(round(np.sqrt(ds.sizes["image"])))
    grids = [("test images", ds["test_images"])]
    grids += [(str(name), ds["samples"].sel(setting=name)) for name in ds["setting"].values]
    for ax, (name, images) in zip(axes, grids, strict=True):
        ax.imshow(_grid(images.values, side), interpolation="nearest")
        ax.set_title(name)
        ax.axis("off")


def stage_changes(ds: xr.Dataset) -> xr.Dataset:
    """What each level does during generation, from the stored stages: per level (top
    first) the fraction of pixel values it changes and their mean absolute change in grey
    levels (0-255), over the stored images and channels."""
    st = ds["stages"].astype(float)
    step = abs(st.diff("stage"))  # stage k - stage k-1: the level H - k
    changed = (step > 0).mean(("stage_image", "channel", "row", "col"))
    size = (step.sum(("stage_image", "channel", "row", "col"))
            / (step > 0).sum(("stage_image", "channel", "row", "col")))
    level = ds.sizes["stage"] - 1 - step["stage"].values
    out = xr.Dataset({"changed": changed, "change": size})
    return out.assign_coords(stage=level).rename(stage="gen_level")


def plot_stages(ds: xr.Dataset, axes: np.ndarray) -> None:
    """Samples as they propagate through the levels during generation: one row per image,
    one column per stage (the prior sample, then after each level from the top down)."""
    n_levels = ds.sizes["stage"] - 1
    titles = ["prior sample z"] + [f"after level {n_levels - k}" for k in range(1, n_levels + 1)]
    for row, i in zip(axes, ds["stage_image"].values, strict=True):
        for ax, k in zip(row, ds["stage"].values, strict=True):
            ax.imshow(ds["stages"].sel(stage=k, stage_image=i).values.transpose(1, 2, 0),
                      interpolation="nearest")
            ax.set(xticks=[], yticks=[], title=titles[k] if i == 0 else "")


def plot_receptive_fields(ds: xr.Dataset, axes: list[Axes]) -> None:
    """The receptive field of one latent per level (its pixel marked), normalised to its
    maximum, on a log colour scale from 1e-4 to 1; titled with the 95 % size."""
    for h, ax in zip(ds["level"].values, axes, strict=True):
        heat = ds["receptive_field"].sel(level=h).values
        ax.imshow(np.log10(np.maximum(heat / heat.max(), 1e-4)), cmap=plotting.CMAP,
                  vmin=-4, vmax=0)
        r, c = ds["position"].sel(level=h).values
        ax.plot(c, r, "+", color=plotting.COLORS[3], ms=10, mew=2)
        size = int(ds["field_size"].sel(level=h))
        ax.set_title(f"level {h}: 95% in {size}x{size}")
        ax.axis("off")


def plot_traversal(ds: xr.Dataset, axes: np.ndarray) -> None:
    """``axes`` ``(pixels, values + 1)``: the decoded image for every value of the
    traversed latent at each pixel ``(p, p)``, and the largest change of every pixel
    (summed over channels) against the image at the middle value (white: largest)."""
    values, level = ds["value"].values, ds["latent_level"].values
    for row, p in enumerate(ds["pixel"].values):
        images = ds["traversal"].sel(pixel=p).values
        for col, image in enumerate(images):
            axes[row, col].imshow(image.transpose(1, 2, 0), interpolation="nearest")
            axes[-1, col].set_xlabel(f"{values[col]:+.0f}")
        change = np.abs(images.astype(int) - images[len(values) // 2]).sum(axis=1)
        axes[row, -1].imshow(change.max(axis=0), cmap="gray", interpolation="nearest")
        axes[row, 0].set_ylabel(f"level {level[p, p]}")
    for ax in axes.ravel():
        ax.set(xticks=[], yticks=[])
    axes[-1, -1].set_xlabel("largest change")
