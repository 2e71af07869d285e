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


def _generator(*key: int) -> torch.Generator:
    seed = int(np.random.SeedSequence([int(k) for k in key]).generate_state(1)[0])
    return torch.Generator().manual_seed(seed)


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
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ValueError(f"out {out}: cannot write there ({exc.strerror or exc})") from exc


def _check_arguments(epochs: Any, batch_size: Any, lr: Any, weight_decay: Any, clip: Any,
                     n_samples: Any, threads: Any) -> None:
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


def _adamw(model, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with the fused kernel (same algorithm, one op for all tensors)."""
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)


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
    gen = _generator(seed, 2**31 - 1, rank)
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
    z = prior.sample(n, shape, temperature, core.kernel, _generator(seed),
                     next(core.parameters()).dtype, device)
    core.eval()
    with torch.no_grad():
        u = from_logit(core.inverse(z))
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
          lr: float = 1e-3, weight_decay: float = 5e-5, clip: float = 1.0,
          prior: str = "gaussian", seed: int = 0, device: str = "cpu",
          resume: bool = False, checkpointing: bool = False, compile: bool = False,
          n_samples: int = 16, sample_temperature=1.0, progress: bool = True,
          threads: int | None = None) -> list[dict[str, float]]:
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
    """
    _check_arguments(epochs, batch_size, lr, weight_decay, clip, n_samples, threads)
    if not isinstance(validate_seed(seed), int):  # the runs are keyed by an integer seed
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    device = _check_device(device)
    for name, data in (("train", train_data), ("test", test_data)):
        _check_data(name, data, config)
    out = Path(out)
    _prepare_out(out)
    if threads is not None:
        torch.set_num_threads(threads)
    settings = {"model": {**config, "layers_per_level": list(config["layers_per_level"])},
                "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                "clip": clip, "prior": prior, "seed": seed}
    fingerprint = {"train": _fingerprint(train_data), "test": _fingerprint(test_data)}
    ckpt_path = out / CHECKPOINT
    rank, world = _dist()

    torch.manual_seed(seed)
    model = build(config, checkpointing=checkpointing).to(device)
    the_prior = make_prior(prior)
    optimizer = _adamw(model, lr, weight_decay)
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

    n_dims = int(np.prod(train_data.shape[1:]))
    n_used = len(train_data) // world * world
    last_good = str(ckpt_path) if ckpt_path.exists() else "none"
    for epoch in range(start, epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(train_data))
        mine = order[:n_used][rank::world]
        noise = _generator(seed, epoch, rank)
        steps = math.ceil(len(mine) / batch_size)
        net.train()
        t0, total = time.perf_counter(), 0.0
        # a context, so that the bar is cleared before an error is reported
        with tqdm(range(steps), desc=f"epoch {epoch + 1}/{epochs}",
                  disable=not progress or rank != 0, leave=False) as bar:
            for step in bar:
                idx = np.sort(mine[step * batch_size:(step + 1) * batch_size])
                x = torch.from_numpy(train_data[idx]).to(device)
                loss = -log_prob(net, the_prior, x, noise).mean() / n_dims
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"non-finite loss {float(loss.detach())} at epoch {epoch + 1}, "
                        f"step {step + 1} of {steps}; last good checkpoint: {last_good}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                bpd = float(loss.detach()) / math.log(2) + 8
                total += bpd * len(idx)
                bar.set_postfix(bpd=f"{bpd:.3f}")
        seconds = time.perf_counter() - t0
        if world > 1:
            import torch.distributed as dist

            sums = torch.tensor([total, len(mine)], dtype=torch.float64, device=device)
            dist.all_reduce(sums)
            total, n_seen = float(sums[0]), int(sums[1])
        else:
            n_seen = len(mine)
        test_bpd = evaluate(model, the_prior, test_data, max(batch_size, 64), seed, device,
                            rank, world)
        history.append({"epoch": epoch + 1, "train_bpd": total / n_seen,
                        "test_bpd": test_bpd, "seconds": seconds,
                        "images_per_s": n_seen / seconds})
        if rank == 0:
            images = sample_images(model, the_prior, n_samples, sample_temperature,
                                   seed * 100003 + epoch, device)
            save_grid(out / f"samples_{epoch + 1:03d}.png", images)
            with atomic_write(out / f"samples_{epoch + 1:03d}.npz") as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, images=images)
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "epoch": epoch + 1, "rng": _rng_states(), "settings": settings,
                     "history": history, "data": fingerprint}
            save_checkpoint(ckpt_path, state)
            _write_json(out / HISTORY, history)
            last_good = str(ckpt_path)
    return history


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
