"""Train RG-Flow on MSDS1, MSDS2 or CelebA 32x32 and write checkpoints, logs and samples.

Example: python -m rgnotes rgflow train --data msds1 --preset quick --epochs 1 --batch 64
--out runs/msds1. Under torchrun the same command trains with DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``python -m rgnotes rgflow train`` to ``parser``."""
    parser.add_argument("--data", required=True, choices=("msds1", "msds2", "celeba"),
                        help="data set (required)")
    parser.add_argument("--preset", default="quick", choices=("quick", "msds", "celeba"),
                        help="model size: quick (a small CPU model), msds or celeba "
                             "(default: quick)")
    parser.add_argument("--epochs", type=int, default=1,
                        help="total number of epochs, counting resumed ones (default: 1)")
    parser.add_argument("--batch", type=int, default=64,
                        help="images per step and process (default: 64)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="AdamW learning rate, in (0, 1] (default: 0.001)")
    parser.add_argument("--weight-decay", type=float, default=5e-5,
                        help="AdamW weight decay (default: 5e-05)")
    parser.add_argument("--prior", default="gaussian", choices=("gaussian", "laplace"),
                        help="distribution of the latent variables (default: gaussian)")
    parser.add_argument("--n-train", type=int, default=None,
                        help="number of training images (default: the whole split)")
    parser.add_argument("--n-test", type=int, default=None,
                        help="number of held-out test images (default: the whole split)")
    parser.add_argument("--root", default=None,
                        help="CelebA folder (default: $RGNOTES_CELEBA_DIR); unused for MSDS")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, the weights and every epoch (default: 0)")
    parser.add_argument("--device", default="cpu",
                        help="cpu, cuda or cuda:<index> (default: cpu)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads, >= 1 (default: torch's choice)")
    parser.add_argument("--checkpointing", action="store_true",
                        help="recompute the s/t-nets in the backward pass to save memory "
                             "(default: off)")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the RealNVP layers: faster after a one-off "
                             "compilation; needs a C++ compiler on a CPU (default: off)")
    fast = parser.add_argument_group(
        "fast path (GPU); all off by default, and off the run is the float32 loop bit for bit")
    fast.add_argument("--precision", default="fp32",
                      help="fp32, or bf16: bfloat16 autocast of the matrix products with "
                           "float32 weights and a float32 test evaluation (default: fp32)")
    fast.add_argument("--data-workers", type=int, default=1,
                      help="threads rendering MSDS images when they are generated "
                           "(default: 1)")
    fast.add_argument("--tf32", action="store_true",
                      help="TensorFloat-32 matrix products on CUDA while training "
                           "(default: off)")
    fast.add_argument("--device-data", action="store_true",
                      help="move the images to the device once and draw the dequantisation "
                           "noise there (default: off)")
    fast.add_argument("--epoch-sync", action="store_true",
                      help="sum the losses on the device, read them once per epoch: no "
                           "host-device synchronisation per step (default: off)")
    fast.add_argument("--lr-scale", default="none",
                      help="none, sqrt or linear: --lr is the rate for a batch of 64, scaled "
                           "to --batch by (batch/64)^(1/2) or batch/64 (default: none)")
    fast.add_argument("--warmup", type=int, default=0,
                      help="optimiser steps of linear learning-rate warm-up (default: 0)")
    fast.add_argument("--time-budget", type=float, default=None,
                      help="seconds: stop after the last epoch that ends within this wall "
                           "time (default: no limit)")
    parser.add_argument("--out", required=True,
                        help="folder for the checkpoint, history and samples (required)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint in --out (default: a checkpoint "
                             "there is an error)")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar (default: shown on a terminal)")


def run(args: argparse.Namespace) -> int:
    """Load the data, run :func:`~rgnotes.rgflow.train.train`, print one line per epoch.
    Bad options, missing data and a diverging run are a ValueError (one ``error:`` line)."""
    from rgnotes.rgflow.data import load_dataset  # lazy: the parser builds without it
    from rgnotes.rgflow.model import preset
    from rgnotes.rgflow.train import CHECKPOINT, train
    from rgnotes.stats import validate_seed

    validate_seed(args.seed, "--seed")  # before the data sets, which are seeded by it
    try:
        train_data = load_dataset(args.data, "train", root=args.root, n=args.n_train,
                                  seed=args.seed, workers=args.data_workers)
        test_data = load_dataset(args.data, "test", root=args.root, n=args.n_test,
                                 seed=args.seed, workers=args.data_workers)
    except FileNotFoundError as exc:  # CelebA is not here: say so in one line
        raise ValueError(str(exc)) from exc
    if args.resume and not (Path(args.out) / CHECKPOINT).is_file():
        print(f"no checkpoint in {args.out}: starting fresh")
    try:
        history = train(train_data, test_data, preset(args.preset), args.out,
                        epochs=args.epochs, batch_size=args.batch, lr=args.lr,
                        weight_decay=args.weight_decay, prior=args.prior, seed=args.seed,
                        device=args.device, resume=args.resume,
                        checkpointing=args.checkpointing, compile=args.compile,
                        threads=args.threads, precision=args.precision, tf32=args.tf32,
                        device_data=args.device_data, epoch_sync=args.epoch_sync,
                        lr_scale=args.lr_scale, warmup_steps=args.warmup,
                        time_budget=args.time_budget,
                        progress=not args.no_progress and sys.stderr.isatty())
    except FloatingPointError as exc:
        raise ValueError(f"{exc} (a smaller --lr may help)") from exc
    for row in history:
        print(f"epoch {row['epoch']}: train {row['train_bpd']:.4f} bits/dim, "
              f"test {row['test_bpd']:.4f} bits/dim, {row['images_per_s']:.1f} images/s")
    return 0
