"""Training speed of RG-Flow on this machine, against a plain matmul and the original code.

    .venv/bin/python benchmarks/bench_rgflow.py [--presets quick msds] [--batch 8]
        [--steps 3] [--threads 2] [--no-compile] [--original PATH/TO/RG-Flow]

For each preset prints the training images/s of ``rgnotes.rgflow`` (one AdamW step on a
batch of random 8-bit images: plain, with gradient checkpointing and, unless
``--no-compile``, with the RealNVP layers compiled), the achieved FLOP/s of the linear
layers (multiply-adds counted analytically: 3 x forward without checkpointing, 4 x with),
the FLOP/s of a 1024^3 matmul measured in the same process and their ratio.  It also
times the matrix products of one step alone at their real shapes (``matmul_floor``): no
float32 implementation doing these products on this machine can train faster, so
floor/original bounds the speed-up any rewrite could show.  With ``--original`` (a
checkout of github.com/hongyehu/RG-Flow) the same configuration of the original
implementation (which always checkpoints its s/t-nets) is timed in a subprocess and the
ratios to it are printed; without it that part is skipped with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")

import torch  # noqa: E402

from rgnotes.rgflow.model import preset  # noqa: E402
from rgnotes.rgflow.speed import matmul_floor, matmul_flops, throughput  # noqa: E402

HARNESS = textwrap.dedent("""
    import json, math, sys, time, types
    code, cfg = sys.argv[1], json.loads(sys.argv[2])
    batch, steps, threads = map(int, sys.argv[3:6])
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
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"images_per_s": batch * steps / seconds,
                      "parameters": sum(p.numel() for p in params)}))
""")


def original_images_per_s(path: Path, config: dict, batch: int, steps: int,
                          threads: int) -> dict:
    code = path / "code" if (path / "code").is_dir() else path
    if not (code / "layers" / "mera.py").exists():
        raise SystemExit(f"{path} does not look like a checkout of hongyehu/RG-Flow")
    cfg = {**config, "layers_per_level": list(config["layers_per_level"])}
    out = subprocess.run([sys.executable, "-c", HARNESS, str(code), json.dumps(cfg), str(batch),
                          str(steps), str(threads)], capture_output=True, text=True,
                         cwd=code)
    if out.returncode:
        raise SystemExit(f"the original implementation failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["quick", "msds"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled variant")
    parser.add_argument("--original", type=Path, default=None,
                        help="checkout of github.com/hongyehu/RG-Flow to time side by side")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    mm = matmul_flops(1024, device=args.device)
    print(f"matmul 1024^3 float32: {mm / 1e9:.1f} GFLOP/s ({args.threads} threads), "
          f"batch {args.batch}")
    variants = [("plain", False, False), ("checkpointing", True, False)]
    if not args.no_compile:
        variants.append(("compiled", False, True))
    for name in args.presets:
        config = preset(name)
        ours = {}
        for label, ckpt, comp in variants:
            r = throughput(config, args.batch, args.steps, args.device, checkpointing=ckpt,
                           compile=comp, warmup=2 if comp else 1)
            print(f"{name:6s} ours {label:13s}: {r['images_per_s']:7.2f} images/s, "
                  f"{r['flop_per_s'] / 1e9:6.1f} GFLOP/s = {r['flop_per_s'] / mm:.2f} x matmul")
            ours[label] = r["images_per_s"]
        floor = matmul_floor(config, args.batch, device=args.device)
        print(f"{name:6s} matrix products alone : {floor['images_per_s']:7.2f} images/s, "
              f"{floor['flop_per_s'] / 1e9:6.1f} GFLOP/s at their shapes "
              f"(best ours = {max(ours.values()) / floor['images_per_s']:.2f} of this floor)")
        if args.original is None:
            print(f"{name:6s} original: skipped (pass --original PATH to a checkout of "
                  "hongyehu/RG-Flow)")
            continue
        o = original_images_per_s(args.original, config, args.batch, args.steps, args.threads)
        ratios = ", ".join(f"{k} {v / o['images_per_s']:.2f}" for k, v in ours.items())
        print(f"{name:6s} original ({o['parameters']:,} parameters, checkpointing): "
              f"{o['images_per_s']:7.2f} images/s; ours / original: {ratios}; "
              f"floor / original {floor['images_per_s'] / o['images_per_s']:.2f}")


if __name__ == "__main__":
    main()
