"""The matrix products one RG-Flow training step does, against torch's own FLOP counter."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from rgnotes.rgflow import speed
from rgnotes.rgflow.model import build, flow_macs, preset
from rgnotes.rgflow.speed import matmul_floor, step_products

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("config", [
    dict(image_size=8, channels=1, kernel=4, layers_per_level=(1, 2), res_blocks=2, hidden=16),
    dict(image_size=16, channels=3, kernel=4, layers_per_level=(2, 0, 1), res_blocks=1,
         hidden=8),
])
def test_step_products_are_the_products_torch_runs(config):
    torch.manual_seed(0)
    flow = build(config)
    x = torch.rand(3, config["channels"], config["image_size"], config["image_size"])
    with FlopCounterMode(display=False) as counter:
        z, ldj = flow(x)
        (z.square().sum() + ldj.sum()).backward()
    counted = counter.get_total_flops()
    listed = sum(2 * count * rows * inner * cols
                 for count, rows, inner, cols in step_products(config, 3))
    assert counted > 0
    assert listed == counted
    assert listed == 6 * 3 * flow_macs(config)


def test_products_per_level_and_the_floor():
    # every level with layers: 3 linear maps x 3 products; a level without layers: none
    assert len(step_products(preset("msds"), 8)) == 36
    assert len(step_products(preset("quick", layers_per_level=(2, 0, 1, 0)), 8)) == 18
    floor = matmul_floor(preset("quick", layers_per_level=(1, 0, 0, 0)), batch=1, repeats=1)
    assert floor["seconds_per_step"] > 0
    assert floor["images_per_s"] * floor["seconds_per_step"] == pytest.approx(1.0)


TINY = dict(image_size=4, channels=1, kernel=4, layers_per_level=(1,), res_blocks=1, hidden=8)


def _first_step(monkeypatch, **settings):
    """Initial and updated weights of the model one :func:`training_step` trains, and the
    AdamW settings it was given."""
    made, original = [], speed.adamw

    def recording(model, lr, weight_decay):
        made.append(original(model, lr, weight_decay))
        return made[-1]

    monkeypatch.setattr(speed, "adamw", recording)
    step = speed.training_step(TINY, batch=4, seed=3, **settings)
    torch.manual_seed(3)
    before = [p.detach().clone() for p in build(TINY).parameters()]
    step()
    (opt,) = made
    return before, [p.detach() for p in opt.param_groups[0]["params"]], opt.param_groups[0]


@pytest.mark.parametrize("lr, weight_decay", [(1e-3, 5e-5), (0.02, 0.5)])
def test_training_step_is_one_adamw_step_with_the_given_settings(monkeypatch, lr, weight_decay):
    # Adam's first step, bias-corrected: w <- w (1 - lr wd) - lr g / (|g| + eps), a move of
    # lr where the gradient is much larger than eps, none where it is zero
    before, after, group = _first_step(monkeypatch, lr=lr, weight_decay=weight_decay)
    assert (group["lr"], group["weight_decay"]) == (lr, weight_decay)
    moves = torch.cat([(a - b * (1 - lr * weight_decay)).abs().reshape(-1)
                       for a, b in zip(after, before, strict=True)])
    moved = moves > lr / 2
    assert moved.sum() > 0
    assert torch.allclose(moves[moved], torch.full_like(moves[moved], lr), rtol=1e-3)
    assert moves[~moved].max() < lr * 1e-3


def test_training_step_clips_the_gradient_norm(monkeypatch):
    # clipped to 1e-13 every gradient is far below Adam's eps = 1e-8: the step moves the
    # weights by at most lr * 1e-5 beyond the decay, where unclipped it moves them by lr
    before, after, group = _first_step(monkeypatch, lr=0.01, weight_decay=0.0, clip=1e-13)
    moves = torch.cat([(a - b).abs().reshape(-1) for a, b in zip(after, before, strict=True)])
    assert 0 < moves.max() < 0.01 * 1e-5
