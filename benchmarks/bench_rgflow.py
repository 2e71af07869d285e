"""Training speed of RG-Flow on this machine, against a plain matmul and the original code.

    .venv/bin/python benchmarks/bench_rgflow.py [--presets quick msds] [--batch 8]
        [--steps 3] [--rounds 3] [--threads 2] [--variants plain checkpointing compiled]
        [--original PATH/TO/RG-Flow]

For each preset prints the training images/s of ``rgnotes.rgflow`` (one AdamW step on a
batch of random 8-bit images: plain, with gradient checkpointing and with the RealNVP
layers compiled, or the ``--variants`` named), the achieved FLOP/s of the linear
layers (multiply-adds counted analytically: 3 x forward without checkpointing, 4 x with),
the FLOP/s of a 1024^3 matmul measured in the same process and their ratio.  It also
times the matrix products of one step alone at their real shapes (``matmul_floor``): no
float32 implementation doing these products on this machine can train faster, so
floor/original bounds the speed-up any rewrite could show.  With ``--original`` (a
checkout of github.com/hongyehu/RG-Flow) the same configuration of the original
implementation (which always checkpoints its s/t-nets) is timed in a subprocess and the
ratios to it are printed; without it that part is skipped with a message.

The speed of a shared machine drifts by tens of per cent within minutes, so every model is
built once and the variants (ours, the original, the floor, the reference matmul) take
turns: each round times each of them, and the ratios are the medians of per-round ratios.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rgnotes.rgflow.model import preset  # noqa: E402
from rgnotes.rgflow.speed import (  # noqa: E402
    matmul_floor,
    matmul_flops,
    mean_seconds,
    step_flop,
    training_step,
)

HARNESS = textwrap.dedent("""
    import json, math, sys, time, types
    code, cfg = sys.argv[1], json.loads(sys.argv[2])
    batch, threads = map(int, sys.argv[3:5])
    sys.argv = ["main.py"]
    sys.path.insert(0, code)
    for stub in ("h5py", "torchvision"):  # only used by its data loaders
        sys.modules[stub] = types.ModuleType(stub)
    sys.modules["torchvision"].datasets = types.SimpleNamespace(VisionDataset=object)
    sys.modules["torchvision"].transforms = None
    import torch
    torch.set_num_threads(threads)
    import layers, sources
    k, C, L = cfg["kernel"], cfg["channels"], cfg["image_size"]
    widths = [C * k * k, cfg["hidden"], cfg["hidden"], C * k * k]
    def net(tanh):
        return layers.ResNetReshape(cfg["res_blocks"], widths, final_scale=True, final_tanh=tanh)
    subs = [layers.RNVP([net(True) for _ in range(n)], [net(False) for _ in range(n)], C, k)
            for n in cfg["layers_per_level"] for _ in range(2)]
    torch.manual_seed(0)
    flow = layers.MERA(subs, L, k, sources.Gaussian([C, L, L], scale=1.0))
    params = [p for p in flow.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=5e-5)
    x8 = torch.randint(0, 256, (batch, C, L, L)).float()
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
    step()
    print(json.dumps({"parameters": sum(p.numel() for p in params)}), flush=True)
    for line in sys.stdin:  # one request per line: the number of steps to time
        n = int(line)
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        print(json.dumps({"images_per_s": batch * n / (time.perf_counter() - t0)}),
              flush=True)
""")


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc keeps it otherwise), so that the next
    variant's step finds it: at batch 64 one MSDS step of ours peaks at ~10 GB."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class Original:
    """The original implementation in a subprocess, built once, timing steps on request."""

    def __init__(self, path: Path, config: dict, batch: int, threads: int):
        code = path / "code" if (path / "code").is_dir() else path
        if not (code / "layers" / "mera.py").exists():
            raise SystemExit(f"{path} does not look like a checkout of hongyehu/RG-Flow")
        cfg = {**config, "layers_per_level": list(config["layers_per_level"])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HARNESS, str(code), json.dumps(cfg), str(batch),
             str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=code)
        self.parameters = self._read()["parameters"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the original implementation failed (see its error above)")
        return json.loads(line)

    def images_per_s(self, steps: int) -> float:
        self.proc.stdin.write(f"{steps}\n")
        self.proc.stdin.flush()
        return self._read()["images_per_s"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["quick", "msds"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", nargs="+", default=["plain", "checkpointing", "compiled"],
                        choices=["plain", "checkpointing", "compiled"],
                        help="which of our variants to time (each holds its model in memory;"
                             " at batch 64 the MSDS model needs ~10 GB per variant's step)")
    parser.add_argument("--original", type=Path, default=None,
                        help="checkout of github.com/hongyehu/RG-Flow to time side by side")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"batch {args.batch}, {args.threads} threads, {args.rounds} rounds of "
          f"{args.steps} steps per variant (medians over rounds)")
    options = {"plain": dict(), "checkpointing": dict(checkpointing=True),
               "compiled": dict(compile=True)}
    variants = {k: options[k] for k in args.variants}
    for name in args.presets:
        config = preset(name)
        steps = {k: training_step(config, args.batch, args.device, **kw)
                 for k, kw in variants.items()}
        for k, step in steps.items():  # warm-up; the compiled model compiles here
            for _ in range(2 if k == "compiled" else 1):
                step()
            release_memory()
        original = None
        if args.original is not None:
            original = Original(args.original, config, args.batch, args.threads)
        rounds = []
        for _ in range(args.rounds):
            row = {"matmul": matmul_flops(1024, device=args.device),
                   "floor": matmul_floor(config, args.batch, device=args.device)["images_per_s"]}
            for k, step in steps.items():
                row[k] = args.batch / mean_seconds(step, args.steps, args.device, warmup=0)
                release_memory()
            if original is not None:
                row["original"] = original.images_per_s(args.steps)
            rounds.append(row)
        if original is not None:
            original.close()
        med = {k: float(np.median([r[k] for r in rounds])) for k in rounds[0]}
        print(f"{name}: 1024^3 matmul {med['matmul'] / 1e9:.1f} GFLOP/s")
        for k in steps:
            rate = med[k] * step_flop(config, variants[k].get("checkpointing", False))
            print(f"{name:6s} ours {k:13s}: {med[k]:8.2f} images/s, {rate / 1e9:6.1f} GFLOP/s "
                  f"= {rate / med['matmul']:.2f} x matmul")
        print(f"{name:6s} matrix products alone : {med['floor']:8.2f} images/s "
              f"(best ours = {max(med[k] for k in steps) / med['floor']:.2f} of this floor)")
        if original is None:
            print(f"{name:6s} original: skipped (pass --original PATH to a checkout of "
                  "hongyehu/RG-Flow)")
            continue
        ratios = ", ".join(
            f"{k} {np.median([r[k] / r['original'] for r in rounds]):.2f}"
            for k in (*steps, "floor"))
        print(f"{name:6s} original ({original.parameters:,} parameters, checkpointing): "
              f"{med['original']:8.2f} images/s; per-round median ratios to it: {ratios}")


if __name__ == "__main__":
    main()
