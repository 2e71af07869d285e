"""Training RG-Flow by maximum likelihood, with exact resume and optional DDP.

``train`` takes uint8 arrays ``(N, C, L, L)``; per epoch it logs the train and held-out
test bits per dimension to ``history.json``, saves a sample grid (png + npz) and writes a
checkpoint atomically.  All randomness of an epoch (order, dequantisation noise, samples)
is drawn from generators seeded by ``(seed, epoch, rank)``, so a run resumed from the
checkpoint of epoch ``e`` is bit-identical to an uninterrupted run on the CPU.

The checkpoint carries a SHA-256 checksum (:func:`rgnotes.cache.write_checksummed`), the
training settings (model config, batch size, lr, ...) and a fingerprint (shape and SHA-256) of
the training and test images; a damaged checkpoint, or one made with other settings or other
data, is refused with a ValueError. Checkpoints of the earlier format (a plain ``torch.save``
of the state, without checksum or fingerprint) are still read, checked by their settings only.

Under ``torchrun`` (env ``WORLD_SIZE > 1``) the process group is initialised, the model is
wrapped in ``DistributedDataParallel``, each rank takes every ``world``-th example of the
epoch's permutation and only rank 0 writes files.

Options for a fast GPU run, all off by default (the default path is the float32 loop above,
unchanged bit for bit): ``precision="bf16"`` (bfloat16 autocast of the matrix products with
float32 weights, optimiser state and test evaluation), ``tf32`` (TensorFloat-32 matrix
products on CUDA, switched off again for the test evaluation), ``compile``, ``device_data``
(the images moved to the device once, batches and dequantisation noise made there),
``epoch_sync`` (the losses summed on the device and read once per epoch: no host-device
synchronisation per step), ``lr_scale`` (the learning rate given for ``LR_BATCH`` (64)
images, scaled to the batch by the square-root or linear rule) with ``warmup_steps`` of
linear warm-up, and ``time_budget`` (stop after the last epoch that fits in a wall time).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import tempfile
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from rgnotes.cache import (
    CacheError,
    atomic_write,
    is_checksummed,
    read_checksummed,
    write_checksummed,
)
from rgnotes.rgflow.model import build, compile_layers
from rgnotes.rgflow.preprocess import bits_per_dim, dequantize, from_logit, to_logit, to_uint8
from rgnotes.rgflow.priors import make_prior
from rgnotes.stats import validate_seed

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
_STATE_KEYS = ("model", "optimizer", "epoch", "rng", "settings", "history")
#: Values of ``precision``: float32 throughout, or bfloat16 autocast of the matrix products.
PRECISIONS = ("fp32", "bf16")
#: Values of ``lr_scale``: the exponent of ``batch_size / LR_BATCH`` applied to ``lr``.
LR_SCALES = {"none": 0.0, "sqrt": 0.5, "linear": 1.0}
#: The batch size a scaled ``lr`` is given for (the batch of the CPU runs).
LR_BATCH = 64
#: Default optimiser settings of :func:`train`: AdamW learning rate, decoupled weight decay
#: and the bound on the gradient norm.
LR, WEIGHT_DECAY, CLIP = 1e-3, 5e-5, 1.0


def seeded_generator(*key: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded from the integers ``key`` (e.g. seed, epoch,
    rank) through ``numpy.random.SeedSequence``: distinct keys give independent streams,
    the same key the same stream on every run."""
    seed = int(np.random.SeedSequence([int(k) for k in key]).generate_state(1)[0])
    return torch.Generator(device=device).manual_seed(seed)


def scaled_lr(lr: float, batch_size: int, lr_scale: str = "none") -> float:
    """The learning rate of a batch of ``batch_size`` images when ``lr`` is the one for
    ``LR_BATCH`` (64) images: ``lr * (batch_size / LR_BATCH) ** e`` with ``e`` 0 (``"none"``),
    1/2 (``"sqrt"``, the rule for Adam-type optimisers: the update's noise scales as
    ``lr / sqrt(batch)``) or 1 (``"linear"``, the rule for plain SGD)."""
    return lr * (batch_size / LR_BATCH) ** LR_SCALES[lr_scale]


def lr_at(step: int, lr: float, warmup_steps: int) -> float:
    """Learning rate of optimiser step ``step`` (0-based, counted over all epochs): rising
    linearly as ``lr (step + 1) / warmup_steps`` over the first ``warmup_steps``, then ``lr``."""
    return lr if step >= warmup_steps else lr * (step + 1) / warmup_steps


@contextmanager
def allow_tf32(enabled: bool):
    """TensorFloat-32 matrix products and convolutions on CUDA inside the context if
    ``enabled`` (switched off if not); the previous settings are restored on exit."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def log_prob(model, prior, x_uint8: torch.Tensor, generator: torch.Generator | None = None
             ) -> torch.Tensor:
    """``log p(u)`` in nats per image (B,) of the dequantised images ``u`` in [0, 1)."""
    u = dequantize(x_uint8, generator, dtype=next(model.parameters()).dtype)
    w, ldj_pre = to_logit(u)
    z, ldj_flow = model(w)
    return prior.log_prob(z) + ldj_flow + ldj_pre


def _check_data(name: str, data: np.ndarray, config: dict[str, Any]) -> None:
    shape = (config["channels"], config["image_size"], config["image_size"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise ValueError(f"{name} data must be a uint8 numpy array")
    if data.ndim != 4 or data.shape[1:] != shape:
        raise ValueError(f"{name} data has shape {data.shape}, expected (N, *{shape})")
    if len(data) == 0:
        raise ValueError(f"{name} data is empty")


def _fingerprint(data: np.ndarray) -> dict[str, Any]:
    """Shape and SHA-256 of an image array: which data a checkpoint was trained on."""
    return {"shape": list(data.shape),
            "sha256": hashlib.sha256(np.ascontiguousarray(data).data).hexdigest()}


def _check_device(device: str | torch.device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}"
                         ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(device)!r}: CUDA is not available on this machine; "
                             "use device 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(device)!r}: this machine has "
                             f"{torch.cuda.device_count()} CUDA devices")
    elif dev.type != "cpu":
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}")
    return dev


def _prepare_out(out: Path) -> None:
    """Create the folder ``out`` if needed and make sure this process can write into it."""
    existing = next(p for p in (out, *out.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        raise ValueError(f"out {out}: {existing} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()  # a write test, removed on close
    except OSError as exc:
        raise ValueError(f"out {out}: cannot write there ({exc.strerror or exc})") from exc


def _check_arguments(epochs: Any, batch_size: Any, lr: Any, weight_decay: Any, clip: Any,
                     n_samples: Any, threads: Any, precision: Any = "fp32",
                     lr_scale: Any = "none", warmup_steps: Any = 0, time_budget: Any = None,
                     switches: dict[str, Any] | None = None) -> None:
    def whole(name: str, value: Any, low: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")

    def real(name: str, value: Any, low: float, high: float, low_open: bool) -> None:
        ok = isinstance(value, (int, float, np.floating)) and math.isfinite(value) and (
            low < value if low_open else low <= value) and value <= high
        if not ok:
            raise ValueError(f"{name} must be a number in {'(' if low_open else '['}{low:g}, "
                             f"{high:g}], got {value!r}")

    whole("epochs", epochs, 1)
    whole("batch_size", batch_size, 1)
    whole("n_samples", n_samples, 1)
    if threads is not None:
        whole("threads", threads, 1)
    # AdamW moves every weight by about lr per step: above 1 the flow only diverges
    real("lr", lr, 0.0, 1.0, low_open=True)
    real("weight_decay", weight_decay, 0.0, math.inf, low_open=False)
    real("clip", clip, 0.0, math.inf, low_open=True)
    whole("warmup_steps", warmup_steps, 0)
    if time_budget is not None:
        real("time_budget", time_budget, 0.0, math.inf, low_open=True)
    for name, value in (switches or {}).items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if lr_scale not in LR_SCALES:
        raise ValueError(f"lr_scale must be one of {tuple(LR_SCALES)}, got {lr_scale!r}")
    if scaled_lr(lr, batch_size, lr_scale) > 1.0:
        raise ValueError(f"lr {lr:g} scaled by the {lr_scale} rule to batch {batch_size} is "
                         f"{scaled_lr(lr, batch_size, lr_scale):g}, above 1; give a smaller lr")


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write a training state with its checksum, atomically."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_checksummed(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike[str], device="cpu") -> dict[str, Any]:
    """The training state :func:`train` saved in ``path``: model and optimizer state dicts,
    ``epoch``, RNG states, ``settings``, ``history`` and (not in checkpoints of the earlier
    format) ``data``, the fingerprints of the training and test images.

    Raises:
        ValueError: damaged (checksum), unreadable, or not a training checkpoint; the message
            names the file. A checkpoint of the earlier format, which has no checksum, is
            read with a warning.
    """
    path = Path(path)
    checked = is_checksummed(path)
    try:
        source = io.BytesIO(read_checksummed(path)) if checked else path
        state = torch.load(source, map_location=device, weights_only=True)
    except CacheError as exc:
        raise ValueError(f"checkpoint {exc}; delete it to start over") from exc
    except Exception as exc:  # torch fails in many ways on a truncated or foreign file
        raise ValueError(f"checkpoint {path} is unreadable ({type(exc).__name__}); "
                         "delete it to start over") from exc
    needed = _STATE_KEYS + (("data",) if checked else ())
    if not isinstance(state, dict) or not set(needed) <= set(state):
        raise ValueError(f"checkpoint {path} is not a training checkpoint of rgnotes")
    if not checked:
        warnings.warn(f"checkpoint {path} has no checksum and no data fingerprint (an earlier "
                      "format); only its settings are checked", stacklevel=2)
    return state


def _check_resumable(path: Path, state: dict[str, Any], settings: dict[str, Any],
                     data: dict[str, Any]) -> None:
    if state["settings"] != settings:
        raise ValueError(f"checkpoint {path} was made with settings "
                         f"{state['settings']}, not {settings}")
    for split, label in (("train", "training"), ("test", "test")):
        if "data" in state and state["data"][split] != data[split]:
            was, now = state["data"][split], data[split]
            raise ValueError(f"checkpoint {path} was trained on other {label} data: shape "
                             f"{tuple(was['shape'])}, sha256 {was['sha256'][:12]}..., not "
                             f"{tuple(now['shape'])}, {now['sha256'][:12]}...")


def adamw(model, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """The optimiser of :func:`train`: AdamW over ``model.parameters()`` with learning rate
    ``lr`` and decoupled ``weight_decay``, using the fused kernel (same algorithm, one op for
    all tensors)."""
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)


def optimisation_step(net: torch.nn.Module, prior, optimizer: torch.optim.Optimizer,
                      x_uint8: torch.Tensor, clip: float, *, bf16: bool = False,
                      generator: torch.Generator | None = None,
                      check_finite: bool = True) -> torch.Tensor:
    """One optimiser step of :func:`train` on the uint8 batch ``x_uint8`` ``(B, C, L, L)``.

    The loss is the negative log-likelihood :func:`log_prob` in nats per dimension, averaged
    over the batch (dequantisation noise from ``generator``, torch's global one if None),
    computed under bfloat16 autocast if ``bf16``; then the gradients are zeroed, the loss
    back-propagated, the gradient norm over ``net.parameters()`` clipped to ``clip`` and
    ``optimizer`` stepped.  Returns the loss, detached (a 0-dim tensor on the batch's device).
    ``check_finite`` reads the loss on the host before the backward pass and raises
    FloatingPointError if it is not finite, leaving the weights untouched; without it there
    is no host-device synchronisation in the step.
    """
    with torch.autocast(x_uint8.device.type, dtype=torch.bfloat16, enabled=bf16):
        loss = -log_prob(net, prior, x_uint8, generator).mean() / math.prod(x_uint8.shape[1:])
    if check_finite and not torch.isfinite(loss):
        raise FloatingPointError(f"non-finite loss {float(loss.detach())}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
    optimizer.step()
    return loss.detach()


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return dist.get_rank(), world
    return 0, 1


def _rng_states() -> dict[str, Any]:
    np_state = np.random.get_state()  # noqa: NPY002 (global state, restored on resume)
    states = {
        "torch": torch.get_rng_state(),
        "numpy": {"key": torch.from_numpy(np_state[1].astype(np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]),
                  "gauss": float(np_state[4])},
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    n = states["numpy"]
    legacy = ("MT19937", n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
              n["gauss"])
    np.random.set_state(legacy)  # noqa: NPY002 (the global state, restored on resume)
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def evaluate(model, prior, data: np.ndarray, batch: int = 256, seed: int = 0,
             device="cpu", rank: int = 0, world: int = 1) -> float:
    """Mean bits per dimension of uint8 ``data`` (N, C, L, L), fixed dequantisation noise."""
    gen = seeded_generator(seed, 2**31 - 1, rank)
    model.eval()
    total, count = 0.0, 0
    n_dims = int(np.prod(data.shape[1:]))
    with torch.no_grad():
        for start in range(rank * batch, len(data), batch * world):
            x = torch.from_numpy(data[start:start + batch]).to(device)
            bpd = bits_per_dim(log_prob(model, prior, x, gen), n_dims)
            total += float(bpd.double().sum())
            count += len(x)
    if world > 1:
        import torch.distributed as dist

        t = torch.tensor([total, count], dtype=torch.float64, device=device)
        dist.all_reduce(t)
        total, count = float(t[0]), int(t[1])
    return total / count


def sample_images(model, prior, n: int, temperature=1.0, seed: int = 0,
                  device="cpu") -> np.ndarray:
    """``n`` uint8 images ``(n, C, L, L)`` generated from prior samples."""
    core = model.module if hasattr(model, "module") else model
    shape = (core.channels, core.image_size, core.image_size)
    z = prior.sample(n, shape, temperature, core.kernel, seeded_generator(seed),
                     next(core.parameters()).dtype, device)
    core.eval()
    with torch.no_grad():
        u = from_logit(core.inverse(z)[0])
    return to_uint8(u).cpu().numpy()


def save_grid(path: Path, images: np.ndarray, columns: int = 8) -> None:
    """Tile uint8 images (n, C, L, L) into one png, atomically."""
    from PIL import Image

    n, c, size, _ = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * size, columns * size, c), np.uint8)
    for i, img in enumerate(images):  # a few dozen thumbnails, not a hot path
        r, q = divmod(i, columns)
        grid[r * size:(r + 1) * size, q * size:(q + 1) * size] = img.transpose(1, 2, 0)
    with atomic_write(path) as tmp:
        Image.fromarray(grid.squeeze(-1) if c == 1 else grid).save(tmp, format="png")


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1))


def train(train_data: np.ndarray, test_data: np.ndarray, config: dict[str, Any],
          out: str | os.PathLike[str], *, epochs: int = 1, batch_size: int = 64,
          lr: float = LR, weight_decay: float = WEIGHT_DECAY, clip: float = CLIP,
          prior: str = "gaussian", seed: int = 0, device: str = "cpu",
          resume: bool = False, checkpointing: bool = False, compile: bool = False,
          n_samples: int = 16, sample_temperature=1.0, progress: bool = True,
          threads: int | None = None, precision: str = "fp32", tf32: bool = False,
          device_data: bool = False, epoch_sync: bool = False, lr_scale: str = "none",
          warmup_steps: int = 0, time_budget: float | None = None,
          ) -> list[dict[str, float]]:
    """Train an :class:`~rgnotes.rgflow.model.RGFlow` built from ``config``.

    ``train_data``, ``test_data``: uint8 ``(N, C, L, L)``.  Writes into ``out``:
    ``checkpoint.pt`` (model, optimizer, epoch, RNG states, config, history),
    ``history.json`` (per epoch: train and test bits/dim, seconds, images/s) and
    ``samples_<epoch>.png`` / ``.npz`` (three digits, e.g. ``samples_003.png``).
    ``resume`` continues from the checkpoint; a damaged checkpoint, or one made with other
    settings or other images, is a ValueError and nothing is overwritten.  ``epochs`` is the
    total number of epochs (>= 1), ``lr`` in (0, 1], ``device`` "cpu" or "cuda[:index]";
    ``out`` must be, or be creatable as, a writable folder; all are checked before training.
    Returns the history (one dict per epoch).  ``checkpointing`` recomputes the s/t-nets in the
    backward pass (less memory, about a third more arithmetic); ``compile`` applies
    :func:`~rgnotes.rgflow.model.compile_layers` (faster steps after a compilation of tens
    of seconds; the results agree with the plain model to float32 rounding).  A non-finite
    loss raises FloatingPointError naming the step and the last good checkpoint.
    ``threads`` sets ``torch.set_num_threads`` (on a loaded shared CPU one thread per
    process is often several times faster than two).

    Fast-path options (all off by default; off, the run is the same bit for bit):

    - ``precision``: ``"fp32"`` or ``"bf16"``: the training forward pass under bfloat16
      autocast (matrix products and the Swish between them in bfloat16; the residual
      stream, the couplings, log-determinants, prior and loss stay float32), with float32
      weights, gradients and AdamW state; the test bits/dim are evaluated in float32.
    - ``tf32``: TensorFloat-32 matrix products on CUDA during training (not during the
      test evaluation); no effect on a CPU.
    - ``device_data``: the training images are moved to ``device`` once; each epoch's
      order is moved once and each batch is gathered there, with the dequantisation noise
      drawn on the device (on a CPU the same numbers as the default path).
    - ``epoch_sync``: the batch losses are summed on the device and read once per epoch
      (no host-device synchronisation per step, no per-step progress figure); a
      non-finite loss is then reported at the end of its epoch, before any checkpoint of
      that epoch is written.
    - ``lr_scale``: ``"none"``, ``"sqrt"`` or ``"linear"``: ``lr`` is the rate for
      ``LR_BATCH`` (64) images and is scaled to ``batch_size`` (``scaled_lr``); the
      scaled rate must stay <= 1.  ``warmup_steps`` (>= 0): linear warm-up over the first
      optimiser steps (``lr_at``).  Both are training settings: a checkpoint made with
      other values is refused.
    - ``time_budget``: seconds of wall time from the call; after each epoch, training stops
      if another epoch as long as the last one would not end within the budget (the first
      epoch always runs).  The returned history then has fewer than ``epochs`` rows.
    """
    switches = {"resume": resume, "checkpointing": checkpointing, "compile": compile,
                "tf32": tf32, "device_data": device_data, "epoch_sync": epoch_sync}
    _check_arguments(epochs, batch_size, lr, weight_decay, clip, n_samples, threads,
                     precision, lr_scale, warmup_steps, time_budget, switches)
    t_start = time.perf_counter()
    run = _setup(train_data, test_data, config, out, epochs=epochs, batch_size=batch_size,
                 lr=lr, weight_decay=weight_decay, clip=clip, prior=prior, seed=seed,
                 device=device, resume=resume, checkpointing=checkpointing, compile=compile,
                 progress=progress, threads=threads, precision=precision, tf32=tf32,
                 device_data=device_data, epoch_sync=epoch_sync, lr_scale=lr_scale,
                 warmup_steps=warmup_steps)
    for epoch in range(run.start, epochs):
        t_epoch = time.perf_counter()
        total, n_seen, seconds = _train_epoch(run, epoch)
        test_bpd = evaluate(run.model, run.prior, run.test_data, max(batch_size, 64), seed,
                            run.device, run.rank, run.world)
        run.history.append({"epoch": epoch + 1, "train_bpd": total / n_seen,
                            "test_bpd": test_bpd, "seconds": seconds,
                            "images_per_s": n_seen / seconds})
        if run.rank == 0:
            _save_epoch(run, epoch, n_samples, sample_temperature)
        now = time.perf_counter()
        if time_budget is not None and _out_of_time(now - t_start + (now - t_epoch),
                                                    time_budget, run):
            break
    return run.history


@dataclass
class _Run:
    """What the steps of one :func:`train` call share: the checked options, the data, the
    model (``net`` is it or its DistributedDataParallel wrapper), prior and optimiser, and
    the bookkeeping that the checkpoint of each epoch carries."""

    train_data: np.ndarray
    test_data: np.ndarray
    images: torch.Tensor | None  # the training images on the device (device_data)
    model: torch.nn.Module
    net: torch.nn.Module
    prior: Any
    optimizer: torch.optim.Optimizer
    out: Path
    ckpt_path: Path
    settings: dict[str, Any]
    fingerprint: dict[str, Any]
    device: torch.device
    rank: int
    world: int
    start: int
    history: list[dict[str, float]]
    last_good: str
    epochs: int
    batch_size: int
    clip: float
    seed: int
    base_lr: float
    warmup_steps: int
    scheduled: bool
    bf16: bool
    tf32: bool
    device_data: bool
    epoch_sync: bool
    progress: bool
    n_used: int
    steps: int


def _settings(config: dict[str, Any], batch_size: int, lr: float, weight_decay: float,
              clip: float, prior: str, seed: int, precision: str, lr_scale: str,
              warmup_steps: int) -> dict[str, Any]:
    """The training settings a checkpoint carries; a resumed run must have the same."""
    settings = {"model": {**config, "layers_per_level": list(config["layers_per_level"])},
                "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                "clip": clip, "prior": prior, "seed": seed}
    # the fast-path settings enter only when they are not the default, so that the
    # checkpoints of default runs keep the settings they always had
    for name, value, default in (("precision", precision, "fp32"),
                                 ("lr_scale", lr_scale, "none"),
                                 ("warmup_steps", warmup_steps, 0)):
        if value != default:
            settings[name] = value
    return settings


def _setup(train_data: np.ndarray, test_data: np.ndarray, config: dict[str, Any],
           out: str | os.PathLike[str], *, epochs: int, batch_size: int, lr: float,
           weight_decay: float, clip: float, prior: str, seed: int, device: str,
           resume: bool, checkpointing: bool, compile: bool, progress: bool,
           threads: int | None, precision: str, tf32: bool, device_data: bool,
           epoch_sync: bool, lr_scale: str, warmup_steps: int) -> _Run:
    """Check the seed, device, data and output folder, then build the model, prior and
    optimiser, restored from the checkpoint in ``out`` when resuming."""
    if not isinstance(validate_seed(seed), int):  # the runs are keyed by an integer seed
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    device = _check_device(device)
    for name, data in (("train", train_data), ("test", test_data)):
        _check_data(name, data, config)
    out = Path(out)
    _prepare_out(out)
    if threads is not None:
        torch.set_num_threads(threads)
    settings = _settings(config, batch_size, lr, weight_decay, clip, prior, seed, precision,
                         lr_scale, warmup_steps)
    fingerprint = {"train": _fingerprint(train_data), "test": _fingerprint(test_data)}
    ckpt_path = out / CHECKPOINT
    rank, world = _dist()

    torch.manual_seed(seed)
    model = build(config, checkpointing=checkpointing).to(device)
    base_lr = scaled_lr(lr, batch_size, lr_scale)
    optimizer = adamw(model, base_lr, weight_decay)
    start, history = 0, []
    if ckpt_path.exists():
        if not resume:
            raise ValueError(f"{ckpt_path} exists; pass resume=True or use another directory")
        state = load_checkpoint(ckpt_path, device)
        _check_resumable(ckpt_path, state, settings, fingerprint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start, history = int(state["epoch"]), list(state["history"])
        _set_rng_states(state["rng"])
    if compile:
        compile_layers(model)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    n_used = len(train_data) // world * world
    return _Run(
        train_data=train_data, test_data=test_data,
        images=torch.from_numpy(train_data).to(device) if device_data else None,
        model=model, net=net, prior=make_prior(prior), optimizer=optimizer, out=out,
        ckpt_path=ckpt_path, settings=settings, fingerprint=fingerprint, device=device,
        rank=rank, world=world, start=start, history=history,
        last_good=str(ckpt_path) if ckpt_path.exists() else "none", epochs=epochs,
        batch_size=batch_size, clip=clip, seed=seed, base_lr=base_lr,
        warmup_steps=warmup_steps, scheduled=lr_scale != "none" or warmup_steps > 0,
        bf16=precision == "bf16", tf32=tf32, device_data=device_data, epoch_sync=epoch_sync,
        progress=progress, n_used=n_used,
        steps=math.ceil(len(range(rank, n_used, world)) / batch_size))


def _train_epoch(run: _Run, epoch: int) -> tuple[float, int, float]:
    """One epoch of optimiser steps (0-based ``epoch``) over this rank's share of a
    permutation seeded by ``(seed, epoch)``.  Returns the summed train bits/dim of the
    images seen by all ranks, their number and the seconds of the loop."""
    device, batch_size, steps = run.device, run.batch_size, run.steps
    order = np.random.default_rng([run.seed, epoch]).permutation(len(run.train_data))
    mine = order[:run.n_used][run.rank::run.world]
    noise = seeded_generator(run.seed, epoch, run.rank,
                             device=device if run.device_data else "cpu")
    mine_dev = torch.from_numpy(mine).to(device) if run.device_data else None
    run.net.train()
    t0, total = time.perf_counter(), 0.0
    loss_sum = (torch.zeros((), dtype=torch.float64, device=device) if run.epoch_sync
                else None)
    # a context, so that the bar is cleared before an error is reported
    with tqdm(range(steps), desc=f"epoch {epoch + 1}/{run.epochs}",
              disable=not run.progress or run.rank != 0, leave=False) as bar, (
            allow_tf32(True) if run.tf32 else nullcontext()):
        for step in bar:
            if run.scheduled:
                for group in run.optimizer.param_groups:
                    group["lr"] = lr_at(epoch * steps + step, run.base_lr, run.warmup_steps)
            if run.device_data:
                idx = torch.sort(mine_dev[step * batch_size:(step + 1) * batch_size])[0]
                x = run.images[idx]
            else:
                idx = np.sort(mine[step * batch_size:(step + 1) * batch_size])
                x = torch.from_numpy(run.train_data[idx]).to(device)
            try:
                loss = optimisation_step(run.net, run.prior, run.optimizer, x, run.clip,
                                         bf16=run.bf16, generator=noise,
                                         check_finite=not run.epoch_sync)
            except FloatingPointError as exc:
                raise FloatingPointError(
                    f"{exc} at epoch {epoch + 1}, step {step + 1} of {steps}; last good "
                    f"checkpoint: {run.last_good}") from None
            if run.epoch_sync:
                loss_sum += loss.double() * len(idx)
            else:
                bpd = float(loss) / math.log(2) + 8
                total += bpd * len(idx)
                bar.set_postfix(bpd=f"{bpd:.3f}")
    _sync(device)
    seconds = time.perf_counter() - t0
    if run.epoch_sync:
        mean_loss = float(loss_sum) / len(mine)
        if not math.isfinite(mean_loss):
            raise FloatingPointError(
                f"non-finite loss in epoch {epoch + 1} ({steps} steps, losses summed on "
                f"the device); last good checkpoint: {run.last_good}")
        total = (mean_loss / math.log(2) + 8) * len(mine)
    if run.world > 1:
        import torch.distributed as dist

        sums = torch.tensor([total, len(mine)], dtype=torch.float64, device=device)
        dist.all_reduce(sums)
        return float(sums[0]), int(sums[1]), seconds
    return total, len(mine), seconds


def _save_epoch(run: _Run, epoch: int, n_samples: int, sample_temperature) -> None:
    """Write the sample grid (png and npz) of the 0-based ``epoch``, then the checkpoint and
    the history, each atomically; the checkpoint becomes the last good one."""
    grid = sample_images(run.model, run.prior, n_samples, sample_temperature,
                         run.seed * 100003 + epoch, run.device)
    save_grid(run.out / f"samples_{epoch + 1:03d}.png", grid)
    with atomic_write(run.out / f"samples_{epoch + 1:03d}.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, images=grid)
    state = {"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
             "epoch": epoch + 1, "rng": _rng_states(), "settings": run.settings,
             "history": run.history, "data": run.fingerprint}
    save_checkpoint(run.ckpt_path, state)
    _write_json(run.out / HISTORY, run.history)
    run.last_good = str(run.ckpt_path)


def _out_of_time(projected: float, time_budget: float, run: _Run) -> bool:
    """Whether the run stops: ``projected`` (seconds so far plus one more epoch like the
    last) exceeds ``time_budget``; every rank takes the same decision."""
    stop = torch.tensor(float(projected > time_budget), device=run.device)
    if run.world > 1:
        import torch.distributed as dist

        dist.all_reduce(stop, op=dist.ReduceOp.MAX)
    return bool(stop)


def load_run(out: str | os.PathLike[str], device="cpu"):
    """The model, prior and history of a run :func:`train` wrote into ``out``.

    Returns ``(model, prior, history, settings)``: the
    :class:`~rgnotes.rgflow.model.RGFlow` with the weights of the last finished epoch in eval
    mode, the training prior, the list of per-epoch dicts
    and the settings (model config, batch size, lr, ...).  FileNotFoundError if ``out``
    holds no checkpoint; ValueError if it is damaged (see :func:`load_checkpoint`).
    """
    ckpt_path = Path(out) / CHECKPOINT
    if not ckpt_path.is_file():
        raise FileNotFoundError(f"no checkpoint {ckpt_path}; train() writes it after an epoch")
    state = load_checkpoint(ckpt_path, device)
    settings = state["settings"]
    model = build(settings["model"]).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    return model, make_prior(settings["prior"]), list(state["history"]), settings
