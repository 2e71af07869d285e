"""The details the RG-Flow reproduction report lists as missing from the paper (its section 3),
each pinned down by a test on our model: the sqrt(2) of the residual stream, the pre-activation
blocks without batch norm, Swish with a learnable slope, the tanh on the log-scale, and two
coupling networks per layer shared by its two half-steps."""

import math

import pytest
import torch
from torch import nn

from rgnotes.rgflow.layers import RNVP, CouplingNet, ResBlock, Swish, WNLinear
from rgnotes.rgflow.model import build, preset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_residual_stream_is_divided_by_sqrt2_per_block():
    # with every block replaced by the identity, x -> (x + x) / sqrt(2) per block: sqrt(2)^n
    for n in (1, 3, 4):
        net = CouplingNet(6, hidden=4, res_blocks=n).double()
        for block in net.blocks:
            block.forward = lambda x, weights=None: x
        with torch.no_grad():
            net.scale.fill_(1.0)
        x = torch.randn(5, 6, dtype=torch.float64)
        torch.testing.assert_close(net(x), x * math.sqrt(2.0) ** n)


def test_blocks_are_pre_activation_and_the_model_has_no_batch_norm():
    block = ResBlock(6, 8)
    kinds = [type(m) for m in block.layers]
    assert kinds == [Swish, WNLinear, Swish, WNLinear, Swish, WNLinear]  # act before linear
    with torch.device("meta"):
        model = build(preset("msds"))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def test_swish_has_a_learnable_slope_per_feature():
    act = Swish(4)
    assert [p.shape for p in act.parameters()] == [torch.Size([4])]
    with torch.no_grad():
        act.beta.copy_(torch.tensor([0.5, 1.0, 2.0, 4.0]))
    x = torch.full((1, 4), 1.5)
    expected = 1.5 / (1 + torch.exp(-torch.tensor([0.5, 1.0, 2.0, 4.0]) * 1.5))
    torch.testing.assert_close(act(x)[0], expected)


def test_log_scale_is_bounded_by_the_tanh():
    # huge output scales: without the tanh the log-determinant would be ~100 per site
    torch.manual_seed(0)
    layer = RNVP(channels=1, kernel=4, hidden=8, res_blocks=1).double()
    with torch.no_grad():
        layer.s_net.scale.fill_(100.0)
        layer.t_net.scale.fill_(1.0)
    x = torch.randn(64, 16, dtype=torch.float64)
    _, logdet = layer(x)
    assert logdet.abs().max() <= 16  # |s| < 1 at each of the 16 sites
    s = layer.s_net(x).abs()
    assert s.max() <= 1 and s.max() > 0.99  # the log-scale saturates at the tanh's bound


def test_two_coupling_networks_per_layer_shared_by_both_half_steps():
    layer = RNVP(channels=1, kernel=4, hidden=8, res_blocks=1)
    nets = [m for m in layer.children() if isinstance(m, CouplingNet)]
    assert len(nets) == 2 and nets[0] is not nets[1]  # one s-net and one t-net
    calls = []
    for net in nets:
        net.register_forward_hook(lambda m, i, o: calls.append(id(m)))
    layer(torch.randn(3, 16))
    assert sorted(calls) == sorted([id(nets[0]), id(nets[1])] * 2)  # each used in both halves
