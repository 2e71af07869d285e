"""The matrix products one RG-Flow training step does, against torch's own FLOP counter."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

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
