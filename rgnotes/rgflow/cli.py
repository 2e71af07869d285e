"""Train RG-Flow on MSDS1, MSDS2 or CelebA 32x32 and write checkpoints, logs and samples.

Example: ``python -m rgnotes rgflow train --data msds1 --preset quick --epochs 1
--batch 64 --out runs/msds1``.  Under ``torchrun`` the same command trains with
DistributedDataParallel.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, choices=("msds1", "msds2", "celeba"))
    parser.add_argument("--preset", default="quick", choices=("quick", "msds", "celeba"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64, help="images per step and process")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=5e-5)
    parser.add_argument("--prior", default="gaussian", choices=("gaussian", "laplace"))
    parser.add_argument("--n-train", type=int, default=None, help="use the first N images")
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--root", default=None, help="dataset directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--checkpointing", action="store_true",
                        help="recompute s/t-nets in the backward pass to save memory")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the RealNVP layers (faster after a one-off "
                             "compilation; needs a C++ compiler on a CPU)")
    parser.add_argument("--out", required=True, help="directory for checkpoint and logs")
    parser.add_argument("--resume", action="store_true")


def run(args: argparse.Namespace) -> int:
    from rgnotes.rgflow.data import load_dataset  # lazy: the parser builds without it
    from rgnotes.rgflow.model import preset
    from rgnotes.rgflow.train import train

    train_data = load_dataset(args.data, "train", root=args.root, n=args.n_train,
                              seed=args.seed)
    test_data = load_dataset(args.data, "test", root=args.root, n=args.n_test, seed=args.seed)
    history = train(train_data, test_data, preset(args.preset), args.out, epochs=args.epochs,
                    batch_size=args.batch, lr=args.lr, weight_decay=args.weight_decay,
                    prior=args.prior, seed=args.seed, device=args.device,
                    resume=args.resume, checkpointing=args.checkpointing,
                    compile=args.compile,
                    threads=args.threads)
    for row in history:
        print(f"epoch {row['epoch']}: train {row['train_bpd']:.4f} bits/dim, "
              f"test {row['test_bpd']:.4f} bits/dim, {row['images_per_s']:.1f} images/s")
    return 0
