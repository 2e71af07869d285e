"""How fast RG-Flow trains on a device, and how fast it could train at best.

``throughput`` times whole optimiser steps.  ``matmul_flops`` is the reference rate of a
plain square matrix product.  ``matmul_floor`` times only the matrix products one training
step has to do, with their real shapes: no implementation that performs these products in
float32 on the same device can train faster than the floor, whatever it does about the
element-wise work.  Timings depend on the machine and its load; they never enter tests.
"""

from __future__ import annotations

from typing import Any

import torch

from rgnotes.rgflow.model import build, compile_layers, flow_macs
from rgnotes.rgflow.priors import make_prior
from rgnotes.rgflow.train import (
    CLIP,
    LR,
    PRECISIONS,
    WEIGHT_DECAY,
    adamw,
    optimisation_step,
    seeded_generator,
)
from rgnotes.stats import best_seconds


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def mean_seconds(fn, repeats: int, device="cpu", warmup: int = 1) -> float:
    """Mean seconds of ``fn()`` over ``repeats`` calls after ``warmup`` untimed ones: the
    sustained rate, the calls timed together up to the device's last kernel."""
    for _ in range(warmup):
        fn()
    _sync(device)

    def calls() -> None:
        for _ in range(repeats):
            fn()
        _sync(device)

    return best_seconds(calls)[1] / repeats


def matmul_flops(n: int = 1024, repeats: int = 10, device="cpu",
                 dtype=torch.float32) -> float:
    """FLOP/s of an ``n x n`` by ``n x n`` matrix product (``2 n^3`` FLOP) on ``device``."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    return 2.0 * n ** 3 / mean_seconds(lambda: a @ b, repeats, device)


def step_products(config: dict[str, Any], batch: int) -> list[tuple[int, int, int, int]]:
    """The matrix products of one training step without checkpointing, as
    ``(count, rows, inner, cols)``: ``count`` products of an ``(rows, inner)`` by an
    ``(inner, cols)`` matrix.

    Every linear map ``in -> out`` of an s/t-net applied to the ``N`` patches of a level
    costs three products: the forward ``(N, in) @ (in, out)``, the gradient with respect to
    its input ``(N, out) @ (out, in)`` and the one with respect to its weight
    ``(out, N) @ (N, in)``.  A level with ``n`` RealNVP layers per sub-layer applies
    ``2 n`` layers x 2 half-steps x 2 networks x ``res_blocks`` blocks.  Their FLOP add up
    to ``6 * batch * flow_macs(config)``.
    """
    d = config["channels"] * config["kernel"] ** 2
    hidden, blocks = config["hidden"], config["res_blocks"]
    out = []
    for h, n in enumerate(config["layers_per_level"]):
        rows = batch * (config["image_size"] // (config["kernel"] << h)) ** 2
        count = 2 * n * 2 * 2 * blocks
        if count == 0:
            continue
        for fan_in, fan_out in ((d, hidden), (hidden, hidden), (hidden, d)):
            out += [(count, rows, fan_in, fan_out), (count, rows, fan_out, fan_in),
                    (count, fan_out, rows, fan_in)]
    return out


def matmul_floor(config: dict[str, Any], batch: int = 8, repeats: int = 5, device="cpu",
                 dtype=torch.float32) -> dict[str, float]:
    """Seconds per training step spent in the step's matrix products alone
    (:func:`step_products`, each distinct shape timed on random matrices), the images/s
    this floor allows and the FLOP/s the products reach at their real shapes."""
    seconds, flop, timed = 0.0, 0.0, {}
    for count, rows, inner, cols in step_products(config, batch):
        key = (rows, inner, cols)
        if key not in timed:
            a = torch.randn(rows, inner, device=device, dtype=dtype)
            b = torch.randn(inner, cols, device=device, dtype=dtype)
            timed[key] = mean_seconds(lambda a=a, b=b: a @ b, repeats, device)
        seconds += count * timed[key]
        flop += count * 2.0 * rows * inner * cols
    return {"seconds_per_step": seconds, "images_per_s": batch / seconds,
            "flop_per_s": flop / seconds}


def training_step(config: dict[str, Any], batch: int = 8, device="cpu",
                  checkpointing: bool = False, compile: bool = False, seed: int = 0,
                  precision: str = "fp32", lr: float = LR, weight_decay: float = WEIGHT_DECAY,
                  clip: float = CLIP):
    """A function that does one :func:`~rgnotes.rgflow.train.optimisation_step` of
    :func:`~rgnotes.rgflow.train.train` (AdamW with ``lr`` and ``weight_decay``, gradient
    norm clipped to ``clip``; by default those of ``train``) on a freshly built model and a
    fixed batch of random uint8 images, without the host-side check of the loss, as in
    ``train(epoch_sync=True)``.  ``compile``: :func:`~rgnotes.rgflow.model.compile_layers`
    first (the first call then compiles).  ``precision="bf16"``: the forward pass under
    bfloat16 autocast (float32 weights)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = torch.device(device)
    torch.manual_seed(seed)
    model = build(config, checkpointing=checkpointing).to(device)
    if compile:
        compile_layers(model)
    prior = make_prior("gaussian")
    opt = adamw(model, lr, weight_decay)
    shape = (batch, config["channels"], config["image_size"], config["image_size"])
    x = torch.randint(0, 256, shape, generator=seeded_generator(seed))
    x = x.to(torch.uint8).to(device)

    def step() -> None:
        optimisation_step(model, prior, opt, x, clip, bf16=precision == "bf16",
                          check_finite=False)

    return step


def step_flop(config: dict[str, Any], checkpointing: bool = False) -> float:
    """FLOP of the linear layers in one training step per image: ``3 x`` the forward
    multiply-adds' ``2 x flow_macs`` (forward, input and weight gradients), ``4 x`` with
    checkpointing, which repeats the forward pass."""
    return 2.0 * flow_macs(config) * (4 if checkpointing else 3)


def throughput(config: dict[str, Any], batch: int = 8, steps: int = 3, device="cpu",
               checkpointing: bool = False, compile: bool = False, warmup: int = 1,
               seed: int = 0, precision: str = "fp32") -> dict[str, float]:
    """Training images/s of :func:`training_step` over ``steps`` steps after ``warmup``
    untimed ones (compiling happens there), and the achieved FLOP/s counting ``3 x`` the
    forward multiply-adds (``4 x`` with checkpointing)."""
    step = training_step(config, batch, device, checkpointing, compile, seed, precision)
    images_per_s = batch / mean_seconds(step, steps, device, warmup)
    flop = step_flop(config, checkpointing)
    return {"images_per_s": images_per_s, "flop_per_s": images_per_s * flop,
            "flop_per_image": flop}
