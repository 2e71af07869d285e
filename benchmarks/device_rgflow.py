"""RG-Flow at paper scale in one session on a GPU: speed, then a training run on MSDS1.

    python benchmarks/device_rgflow.py --out DIR [--smoke] [--budget 500]
        [--original PATH/TO/RG-Flow] [--batch 512] [--lr 1e-3] [--lr-scale sqrt]
        [--warmup 200] [--prior laplace] [--seed 2026]

Usually started by ``benchmarks/device_rgflow.sh``, which keeps every cache under ``$OUT``.
Phases, each written to ``DIR/report.json`` as soon as it ends:

1. the rate of a square matrix product in float32, TF32 and bfloat16 (FLOP/s);
2. training images/s of the MSDS configuration (80.5 M parameters) at batch 64 and 512:
   ours on the fast path (bf16 autocast, TF32, compiled layers; eager if compiling fails,
   with gradient checkpointing if a step does not fit in memory) and, at batch 64 only, in
   float32 (eager), each with its FLOP/s and fraction of the bfloat16 matrix-product rate;
   the original code (``--original``, a checkout of hongyehu/RG-Flow; its torchvision and h5py
   imports stubbed as in ``benchmarks/bench_rgflow.py``) at the same batches;
3. MSDS1 (90,000 / 10,000 images, the data of ``rgflow train --data msds1`` with the same
   seed) generated in memory on all cores;
4. a training run of the MSDS configuration on the fast path with images and noise on the
   device, one synchronisation per epoch, the learning rate scaled to the batch and warmed
   up, for as many epochs as fit in what is left of ``--budget`` (``train``'s
   ``time_budget``; a diverging run is restarted once without the scaling);
5. its evaluation as in the rgflow study (samples at T = 1, 0.7 and per level, receptive
   fields, traversals), written with the training curve to ``DIR/rgflow-gpu.nc`` in the
   layout of the study's ``run`` Dataset, plus the speed results and the provenance (GPU,
   date, commit, command, wall time) as attributes; ``DIR/curve.png`` and sample grids.

Without CUDA everything runs on the CPU; ``--smoke`` shrinks every size (a small flow,
a few hundred images, batches 4 and 8) so that the whole script ends in about a minute.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from rgnotes.rgflow.data import load_dataset
from rgnotes.rgflow.model import n_parameters, preset
from rgnotes.rgflow.preprocess import dequantize, to_logit
from rgnotes.rgflow.receptive import field_size, level_positions, receptive_field, traverse
from rgnotes.rgflow.speed import matmul_flops, step_flop, throughput
from rgnotes.rgflow.train import (
    CHECKPOINT,
    allow_tf32,
    load_run,
    sample_images,
    save_grid,
    train,
)

#: The report's MSDS1 test bits/dim (Laplace / Gaussian prior) after 60 epochs.
REPORT_BPD = {"laplace": 1.8562, "gaussian": 1.8505}
#: Goals of the run: test bits/dim, fraction of the bf16 matmul rate, speed-up on the original.
GOAL_BPD, GOAL_FRACTION, GOAL_SPEEDUP = 1.86, 0.40, 3.0
#: Seconds kept at the end of the budget for the evaluation and the files.
RESERVE_S = {"full": 60.0, "smoke": 10.0}
#: Fraction of the budget after which the optional timings (ours in float32, the original
#: code) are skipped, leaving the rest to the training run.
BENCH_SHARE = 0.4

SIZES = {
    "full": dict(config=preset("msds"), n_train=90_000, n_test=10_000, batches=(64, 512),
                 matmul_n=8192, steps=(10, 5), warmup=3, n_rf=64, n_show=16, n_fid=0),
    "smoke": dict(config=preset("quick", layers_per_level=(1, 1, 1, 1), res_blocks=1,
                                hidden=16),
                  n_train=64, n_test=32, batches=(4, 8), matmul_n=256, steps=(2, 2),
                  warmup=1, n_rf=2, n_show=8, n_fid=0),
}

HARNESS = textwrap.dedent("""
    import json, math, sys, time, types
    code, cfg = sys.argv[1], json.loads(sys.argv[2])
    batch, device, warmup, steps = int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), \\
        int(sys.argv[6])
    sys.argv = ["main.py"]
    sys.path.insert(0, code)
    for stub in ("h5py", "torchvision"):  # only used by its data loaders
        sys.modules[stub] = types.ModuleType(stub)
    sys.modules["torchvision"].datasets = types.SimpleNamespace(VisionDataset=object)
    sys.modules["torchvision"].transforms = None
    import torch
    import layers, sources
    k, C, L = cfg["kernel"], cfg["channels"], cfg["image_size"]
    widths = [C * k * k, cfg["hidden"], cfg["hidden"], C * k * k]
    def net(tanh):
        return layers.ResNetReshape(cfg["res_blocks"], widths, final_scale=True, final_tanh=tanh)
    subs = [layers.RNVP([net(True) for _ in range(n)], [net(False) for _ in range(n)], C, k)
            for n in cfg["layers_per_level"] for _ in range(2)]
    torch.manual_seed(0)
    flow = layers.MERA(subs, L, k, sources.Gaussian([C, L, L], scale=1.0)).to(device)
    params = [p for p in flow.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=5e-5)
    x8 = torch.randint(0, 256, (batch, C, L, L), device=device).float()
    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    def step():
        u = (x8 + torch.rand_like(x8)) / 256
        y = 0.05 + 0.9 * u
        w = torch.log(y) - torch.log1p(-y)
        ldj = (math.log(0.9) - torch.log(y) - torch.log1p(-y)).flatten(1).sum(1)
        loss = (-(flow.log_prob(w) + ldj) / (C * L * L)).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    flow.train()
    for _ in range(warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    print(json.dumps({"parameters": sum(p.numel() for p in params),
                      "images_per_s": batch * steps / (time.perf_counter() - t0)}))
""")


class Report:
    """The results so far, rewritten to ``report.json`` after every phase."""

    def __init__(self, out: Path):
        self.path, self.data = out / "report.json", {}

    def put(self, key: str, value) -> None:
        self.data[key] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        tmp.replace(self.path)


def log(t_start: float, text: str) -> None:
    print(f"[{time.perf_counter() - t_start:6.1f} s] {text}", flush=True)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _release(device: str) -> None:
    if device == "cuda":
        torch.cuda.empty_cache()


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc)


def machine(device: str) -> dict:
    """What the run ran on: GPU (or CPU) model, versions, git commit."""
    from rgnotes.studies.store import cpu_model, git_commit

    info = {"device": device, "cpu": cpu_model(), "cpu_count": os.cpu_count() or 1,
            "torch": str(torch.__version__), "python": platform.python_version(),
            "git_commit": _commit(git_commit()),
            "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    cuda=str(torch.version.cuda), gpu_count=torch.cuda.device_count())
    else:
        info["gpu"] = "none (CPU fallback)"
    return info


def _rgnotes_version() -> str:
    """The installed rgnotes' version, else the checkout's pyproject.toml's."""
    from importlib import metadata

    try:
        return metadata.version("rgnotes")
    except metadata.PackageNotFoundError:
        import tomllib

        project = Path(__file__).resolve().parents[1] / "pyproject.toml"
        return tomllib.loads(project.read_text())["project"]["version"]


def _commit(from_git: str) -> str:
    """The checkout's commit; where git cannot tell (a copy without ``.git``), the one given
    as ``$RGNOTES_GIT_COMMIT``, marked as given."""
    given = os.environ.get("RGNOTES_GIT_COMMIT")
    if from_git == "unknown" and given:
        return f"{given} (given by RGNOTES_GIT_COMMIT)"
    return from_git


def matmul_rates(n: int, device: str) -> dict[str, float]:
    """FLOP/s of an ``n x n`` matrix product in float32, TF32 and bfloat16."""
    rates = {}
    for name, dtype, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True),
                              ("bf16", torch.bfloat16, False)):
        with allow_tf32(tf32):
            rates[name] = matmul_flops(n, repeats=10, device=device, dtype=dtype)
    return rates


def bench_ours(config: dict, batch: int, steps: int, warmup: int, device: str,
               fast: bool, compile: bool) -> dict:
    """Images/s of our training step, fast path (bf16, TF32, compiled) or float32 eager;
    eager if compiling fails, with checkpointing if the step runs out of memory."""
    attempts = [dict(compile=compile, checkpointing=False)]
    if compile:
        attempts.append(dict(compile=False, checkpointing=False))
    attempts.append(dict(compile=False, checkpointing=True))
    errors = []
    for kw in attempts:
        try:
            with allow_tf32(fast):
                row = throughput(config, batch=batch, steps=steps, device=device,
                                 warmup=warmup + (1 if kw["compile"] else 0),
                                 precision="bf16" if fast else "fp32", **kw)
            return {**row, **kw, "precision": "bf16" if fast else "fp32", "tf32": fast,
                    "errors": errors}
        except Exception as exc:  # noqa: BLE001 (a failed variant is recorded, not fatal)
            errors.append(f"{kw}: {type(exc).__name__}: {str(exc)[:300]}")
            _release(device)
            if not kw["compile"] and not _is_oom(exc) and not kw["checkpointing"]:
                # an eager failure that is not memory: checkpointing will not help
                if not any(a["checkpointing"] for a in attempts if a is not kw):
                    break
    return {"images_per_s": float("nan"), "errors": errors}


def bench_original(path: Path, config: dict, batch: int, steps: int, warmup: int,
                   device: str, timeout: float) -> dict:
    """Images/s of the original implementation at ``batch``, in a subprocess."""
    code = path / "code" if (path / "code").is_dir() else path
    if not (code / "layers" / "mera.py").exists():
        return {"images_per_s": float("nan"),
                "errors": [f"{path} does not look like a checkout of hongyehu/RG-Flow"]}
    cfg = {**config, "layers_per_level": list(config["layers_per_level"])}
    try:
        run = subprocess.run([sys.executable, "-c", HARNESS, str(code), json.dumps(cfg),
                              str(batch), device, str(warmup), str(steps)],
                             capture_output=True, text=True, cwd=code, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"images_per_s": float("nan"), "errors": [f"timed out after {timeout:.0f} s"]}
    if run.returncode != 0:
        return {"images_per_s": float("nan"), "errors": [run.stderr[-1500:]]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def evaluate_run(run_dir: Path, test_x: np.ndarray, seed: int, n_rf: int, n_show: int,
                 device: str, unit: dict) -> dict:
    """The arrays of the rgflow study's ``run`` unit, computed from the trained run."""
    model, prior, history, _ = load_run(run_dir, device=device)
    hist = {k: np.array([r[k] for r in history])
            for k in ("train_bpd", "test_bpd", "seconds", "images_per_s")}
    settings = [*unit["temperatures"], unit["level_temperatures"]]
    samples = np.stack([sample_images(model, prior, n_show, t, seed=seed, device=device)
                        for t in settings])
    size, kernel = model.image_size, model.kernel
    positions = level_positions(size, kernel)
    heats = np.stack([receptive_field(model, prior, positions[h], n_samples=n_rf, seed=seed)
                      for h in sorted(positions)])
    sizes = [field_size(heat, positions[h]) for h, heat in enumerate(heats)]
    support = [((heat > 0).any(axis=1).sum(), (heat > 0).any(axis=0).sum()) for heat in heats]
    with torch.no_grad():
        w0, _ = to_logit(dequantize(torch.from_numpy(test_x[:1]),
                                    torch.Generator().manual_seed(seed)))
        z0 = model(w0.to(device))[0][0]
    strips = np.stack([traverse(model, z0, (p, p), unit["traversal_values"])
                       for p in unit["traversal_pixels"]])
    return dict(**hist, test_images=test_x[:n_show], samples=samples,
                receptive_field=heats.astype(np.float32), field_size=np.array(sizes),
                field_support=np.array(support),
                position=np.array([positions[h] for h in sorted(positions)]),
                traversal=strips, fid=float("nan"))


def netcdf_engine() -> str:
    """The store's engine (h5netcdf, netCDF-4) where it is installed, else scipy's netCDF-3
    writer: no compression, and the uint8 images stored as int16 (netCDF-3 has no unsigned
    bytes) with the attribute ``uint8_values``; :func:`load_results` reads either."""
    from rgnotes.studies.store import ENGINE

    try:
        __import__(ENGINE)
    except ImportError:
        return "scipy"
    return ENGINE


def write_dataset(out: Path, arrays: dict, unit: dict, params, attrs: dict,
                  engine: str | None = None) -> Path:
    """The run's Dataset in the study's layout, with the speed results and provenance,
    written atomically to ``out/rgflow-gpu.nc`` with ``engine`` (:func:`netcdf_engine`)."""

    from rgnotes.studies.rgflow import finish, to_dataset
    from rgnotes.studies.store import write_checked

    engine = engine or netcdf_engine()
    ds = finish(params, to_dataset(unit, arrays))
    ds.attrs.update({k: (json.dumps(v) if isinstance(v, (dict, list, tuple)) else v)
                     for k, v in attrs.items() if v is not None})
    ds.attrs["netcdf_engine"] = engine
    target = out / "rgflow-gpu.nc"
    if engine == "scipy":
        encoding = {v: {"dtype": "int16"} for v in ds.data_vars if ds[v].dtype == np.uint8}
        for v in encoding:
            ds[v].attrs["uint8_values"] = 1
    else:
        encoding = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars
                    if ds[v].dtype.kind in "fiub"}
    return write_checked(ds, target, engine, encoding)


def load_results(path: str | os.PathLike[str]):
    """The Dataset :func:`write_dataset` wrote, whichever engine wrote it, with the images
    back in uint8 (ready for ``to_netcdf(engine="h5netcdf")`` into the store)."""
    import xarray as xr

    path = Path(path)
    with path.open("rb") as fh:
        engine = "h5netcdf" if fh.read(4) == b"\x89HDF" else "scipy"
    ds = xr.load_dataset(path, engine=engine)
    for name in ds.data_vars:
        if ds[name].attrs.pop("uint8_values", None) is not None:
            ds[name] = ds[name].astype(np.uint8)
    return ds


def plot_curve(out: Path, arrays: dict, prior: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, arrays["train_bpd"].size + 1)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(epochs, arrays["train_bpd"], "o-", label="train")
    ax.plot(epochs, arrays["test_bpd"], "s-", label="test")
    ax.axhline(REPORT_BPD[prior], color="k", ls="--", lw=0.8,
               label=f"report, 60 epochs ({REPORT_BPD[prior]})")
    ax.set(xlabel="epoch", ylabel="bits per dimension", title="RG-Flow MSDS1")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curve.png", dpi=120)
    plt.close(fig)


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for every result")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes: the whole script in about a minute on a CPU")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of wall time for the whole script (default: 500; "
                             "smoke: 45)")
    parser.add_argument("--original", type=Path, default=None,
                        help="checkout of github.com/hongyehu/RG-Flow to time side by side")
    parser.add_argument("--batch", type=int, default=None,
                        help="training batch (default: 512; smoke: 8)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="learning rate for a batch of 64 (default: 0.001)")
    parser.add_argument("--lr-scale", default="sqrt", help="none, sqrt or linear "
                        "(default: sqrt, the rule for Adam)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="warm-up steps (default: 200; smoke: 4)")
    parser.add_argument("--prior", default="laplace", choices=tuple(REPORT_BPD))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep-checkpoint", action="store_true",
                        help="keep the run's checkpoint (the weights) in OUT/run (default: "
                             "removed once the results are written)")
    parser.add_argument("--no-compile", action="store_true",
                        help="never torch.compile (default: compile on CUDA)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    t_start = time.perf_counter()
    args = parse(argv)
    mode = "smoke" if args.smoke else "full"
    size = SIZES[mode]
    budget = args.budget if args.budget is not None else (45.0 if args.smoke else 500.0)
    batch = args.batch or (8 if args.smoke else 512)
    warmup_steps = args.warmup if args.warmup is not None else (4 if args.smoke else 200)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    compile_ = device == "cuda" and not args.no_compile
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    report = Report(out)
    command = "benchmarks/device_rgflow.py " + shlex.join(argv if argv is not None
                                                          else sys.argv[1:])
    info = machine(device)
    report.put("machine", {**info, "run_mode": mode, "budget_s": budget, "command": command})
    log(t_start, f"{mode} run on {info['gpu']} ({device}), budget {budget:.0f} s")
    if device == "cpu":
        torch.set_num_threads(1)  # tiny matrices: more threads only add contention
    config = size["config"]
    _raise_recompile_limit()

    rates = matmul_rates(size["matmul_n"], device)
    report.put("matmul_flop_per_s", rates)
    log(t_start, "matmul TFLOP/s: " + ", ".join(f"{k} {v / 1e12:.3g}" for k, v in
                                                 rates.items()))

    bench = {"ours_fp32": {}, "ours_fast": {}, "original": {}}
    for batch_b, steps in zip(size["batches"], size["steps"], strict=True):
        for name, fast in (("ours_fp32", False), ("ours_fast", True)):
            if name == "ours_fp32" and batch_b != size["batches"][0]:
                continue  # float32 eager is a reference at the small batch only
            if name == "ours_fp32" and time.perf_counter() - t_start > BENCH_SHARE * budget:
                bench[name][batch_b] = {"images_per_s": math.nan,
                                        "errors": ["skipped: the timings took too long"]}
                continue  # the fast path is always timed: the training run needs its variant
            row = bench_ours(config, batch_b, steps, size["warmup"], device, fast,
                             compile_ and fast)
            row["fraction_of_bf16_matmul"] = row.get("flop_per_s", math.nan) / rates["bf16"]
            bench[name][batch_b] = row
            _release(device)
            log(t_start, f"{name} batch {batch_b}: {row['images_per_s']:.1f} images/s "
                         f"({row['fraction_of_bf16_matmul']:.3f} of the bf16 matmul rate)"
                + (f"; {row['errors']}" if row.get("errors") else ""))
            report.put("bench", bench)
        if args.original is not None and time.perf_counter() - t_start > BENCH_SHARE * budget:
            bench["original"][batch_b] = {"images_per_s": math.nan,
                                          "errors": ["skipped: the timings took too long"]}
        elif args.original is not None:
            row = bench_original(args.original, config, batch_b, steps, size["warmup"],
                                 device, timeout=90.0)
            row["ours_fast_ratio"] = bench["ours_fast"][batch_b]["images_per_s"] / row[
                "images_per_s"]
            bench["original"][batch_b] = row
            log(t_start, f"original batch {batch_b}: {row['images_per_s']:.1f} images/s"
                         f" (ours fast: {row['ours_fast_ratio']:.2f} x)"
                + (f"; {row['errors']}" if row.get("errors") else ""))
            report.put("bench", bench)
    if args.original is None:
        log(t_start, "original: skipped (pass --original PATH to a checkout of "
                     "hongyehu/RG-Flow)")

    t_data = time.perf_counter()
    workers = os.cpu_count() or 1
    train_x = load_dataset("msds1", "train", n=size["n_train"], seed=args.seed,
                           workers=workers, cached=False)
    test_x = load_dataset("msds1", "test", n=size["n_test"], seed=args.seed,
                          workers=workers, cached=False)
    report.put("data", {"n_train": len(train_x), "n_test": len(test_x), "workers": workers,
                        "seconds": time.perf_counter() - t_data})
    log(t_start, f"MSDS1 {len(train_x)} + {len(test_x)} images in "
                 f"{time.perf_counter() - t_data:.1f} s on {workers} threads")

    fast_row = bench["ours_fast"].get(batch) or bench["ours_fast"][size["batches"][-1]]
    run_kw = dict(epochs=1000, batch_size=batch, lr=args.lr, prior=args.prior,
                  seed=args.seed, device=device, precision="bf16", tf32=True,
                  compile=bool(fast_row.get("compile", False)),
                  checkpointing=bool(fast_row.get("checkpointing", False)),
                  device_data=True, epoch_sync=True, lr_scale=args.lr_scale,
                  warmup_steps=warmup_steps, n_samples=size["n_show"], progress=False)
    run_dir = out / "run"
    history, attempts = None, []
    for attempt in range(2):
        left = budget - (time.perf_counter() - t_start) - RESERVE_S[mode]
        if left <= 0:
            attempts.append({"skipped": f"no time left ({left:.0f} s)"})
            break
        target = run_dir if attempt == 0 else out / "run_unscaled"
        log(t_start, f"training {n_parameters_of(config):,} parameters at batch {batch}, "
                     f"{left:.0f} s: {json.dumps({k: v for k, v in run_kw.items()})}")
        try:
            history = train(train_x, test_x, config, target, time_budget=left, **run_kw)
            attempts.append({**run_kw, "out": str(target), "epochs_run": len(history)})
            run_dir = target
            break
        except FloatingPointError as exc:  # diverged: once more, lr unscaled
            attempts.append({**run_kw, "out": str(target), "error": str(exc)})
            log(t_start, f"diverged: {exc}; again without lr scaling")
            run_kw = {**run_kw, "lr_scale": "none"}
        except Exception as exc:  # noqa: BLE001 (compiler or memory): once more, plainer
            attempts.append({**run_kw, "out": str(target),
                             "error": f"{type(exc).__name__}: {str(exc)[:500]}"})
            log(t_start, f"training failed ({type(exc).__name__}: {str(exc)[:200]}); again "
                         "uncompiled, without TF32"
                         + (", with checkpointing" if _is_oom(exc) else ""))
            run_kw = {**run_kw, "compile": False, "tf32": False,
                      "checkpointing": run_kw["checkpointing"] or _is_oom(exc)}
        _release(device)
        report.put("train", attempts)
    report.put("train", attempts)
    if history is None:
        log(t_start, "no finished training run")
        return 1
    for row in history[-12:]:
        log(t_start, f"epoch {row['epoch']}: train {row['train_bpd']:.4f}, test "
                     f"{row['test_bpd']:.4f} bits/dim, {row['images_per_s']:.0f} images/s")

    from rgnotes.studies.rgflow import Params

    params = Params(preset="smoke" if args.smoke else "msds", n_train=len(train_x),
                    n_test=len(test_x), epochs=len(history), batch=batch, prior=args.prior,
                    n_rf=size["n_rf"], seed=args.seed, n_show=size["n_show"])
    unit = dict(temperatures=list(params.temperatures),
                level_temperatures=list(params.level_temperatures),
                traversal_pixels=list(params.traversal_pixels),
                traversal_values=list(params.traversal_values))
    arrays = evaluate_run(run_dir, test_x, args.seed, size["n_rf"], size["n_show"], device,
                          unit)
    model, prior, _, _ = load_run(run_dir, device=device)
    for i, grid in enumerate(arrays["samples"]):
        save_grid(out / f"samples_setting{i}.png", grid)
    plot_curve(out, arrays, args.prior)
    best = float(np.min(arrays["test_bpd"]))
    fast_big = bench["ours_fast"][size["batches"][-1]]
    original_big = bench["original"].get(size["batches"][-1], {})
    goals = {"test_bpd_last": float(arrays["test_bpd"][-1]), "test_bpd_best": best,
             "bpd_goal": GOAL_BPD, "bpd_goal_met": best <= GOAL_BPD,
             "report_bpd": REPORT_BPD[args.prior],
             "fraction_of_bf16_matmul": fast_big["fraction_of_bf16_matmul"],
             "fraction_goal": GOAL_FRACTION,
             "fraction_goal_met": fast_big["fraction_of_bf16_matmul"] >= GOAL_FRACTION,
             "speedup_on_original": original_big.get("ours_fast_ratio", math.nan),
             "speedup_goal": GOAL_SPEEDUP,
             "speedup_goal_met": original_big.get("ours_fast_ratio", 0.0) >= GOAL_SPEEDUP,
             "train_images_per_s": float(np.median(arrays["images_per_s"])),
             "train_fraction_of_bf16_matmul": float(np.median(arrays["images_per_s"]))
             * step_flop(config, bool(attempts[-1].get("checkpointing"))) / rates["bf16"]}
    report.put("goals", goals)
    wall = time.perf_counter() - t_start
    from rgnotes.studies.core import params_dict
    from rgnotes.studies.rgflow import STUDY

    # the store's provenance attributes (rgnotes.studies.store.provenance), then the GPU's
    attrs = {"study": STUDY.name, "profile": "gpu",
             "params": json.dumps(params_dict(params), sort_keys=True),
             "study_version": STUDY.version, "rgnotes_version": _rgnotes_version(),
             "numpy": np.__version__, **info, "command": command,
             "wall_time_s": round(wall, 1), "run_mode": mode, "train_options": attempts[-1],
             "matmul_flop_per_s": rates, "bench": bench, "goals": goals,
             "parameters_trained": n_parameters(model),
             "note": "a GPU run prepared for the store; never the weights"}
    target = write_dataset(out, arrays, dict(unit, kind="run"), params, attrs)
    if not args.keep_checkpoint:  # the weights (about 1 GB at full size) stay out of $OUT
        (run_dir / CHECKPOINT).unlink()
    report.put("wall_time_s", round(time.perf_counter() - t_start, 1))
    log(t_start, f"wrote {target}; best test {best:.4f} bits/dim (goal {GOAL_BPD}); "
                 f"{time.perf_counter() - t_start:.0f} s in all")
    return 0


def _raise_recompile_limit() -> None:
    """All RealNVP layers of the several models built here share one compiled code object:
    let it hold more than dynamo's default of 8 variants."""
    try:
        from torch._dynamo import config as dynamo_config
    except ImportError:
        return
    for name in ("cache_size_limit", "recompile_limit"):
        if hasattr(dynamo_config, name):
            setattr(dynamo_config, name, 64)


def n_parameters_of(config: dict) -> int:
    from rgnotes.rgflow.model import build

    with torch.device("meta"):
        return n_parameters(build(config))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # the log keeps the traceback for the report
        traceback.print_exc()
        sys.exit(1)
