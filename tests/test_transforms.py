"""One contract for every invertible transform of the package: ``forward(x) -> (y, ld)`` and
``inverse(y) -> (x, ld)``, ``ld`` the per-sample ``log|det J|`` (shape ``(n,)``) of the map
that was applied, checked against autograd's full Jacobian
(:func:`rgnotes.generative.flows.jacobian_logdet`, itself checked against closed forms in
test_generative_flows.py)."""

import inspect

import pytest
import torch
from torch import nn

from rgnotes.generative import flows
from rgnotes.rgflow import layers, model

MODULES = (flows, layers, model)


def _randomised(module: nn.Module, seed: int) -> nn.Module:
    """``module`` in float64 with every parameter perturbed: the couplings start as the
    identity (zero output layers), whose log-determinant 0 would hide a wrong sign."""
    torch.manual_seed(seed)
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return module


def _flat(n: int, d: int) -> torch.Tensor:
    return torch.randn(n, d, dtype=torch.float64, generator=torch.Generator().manual_seed(7))


# each transform with an input: (module, x (n, ...)); 4 to 16 numbers per sample
CASES = {
    flows.AffineCoupling: lambda: (flows.AffineCoupling(torch.tensor([1.0, 0.0, 1.0]), 8),
                                   _flat(3, 3)),
    flows.RealNVP: lambda: (flows.RealNVP(dim=3, n_layers=3, hidden=8), _flat(3, 3)),
    flows.ComposedFlow: lambda: (flows.ComposedFlow([flows.AffineCoupling(torch.tensor(m), 8)
                                                     for m in ([1.0, 0.0], [0.0, 1.0])]),
                                 _flat(3, 2)),
    layers.RNVP: lambda: (layers.RNVP(1, 2, hidden=8, res_blocks=1), _flat(3, 4)),
    layers.Bijector: lambda: (layers.Bijector(2, 1, 2, hidden=8, res_blocks=1), _flat(3, 4)),
    model.RGFlow: lambda: (model.RGFlow(image_size=4, channels=1, kernel=2,
                                        layers_per_level=(1, 1), res_blocks=1, hidden=8),
                           _flat(3, 16).reshape(3, 1, 4, 4)),
}


def transform_classes() -> set[type]:
    """Every module class of the flow modules that has an ``inverse``."""
    return {cls for mod in MODULES for _, cls in inspect.getmembers(mod, inspect.isclass)
            if issubclass(cls, nn.Module) and cls.__module__ == mod.__name__
            and hasattr(cls, "inverse")}


def test_every_transform_class_is_checked():
    assert transform_classes() == set(CASES)


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_forward_logdet_agrees_with_autograd(cls):
    module, x = CASES[cls]()
    module = _randomised(module, seed=1)
    y, ld_forward = module(x)
    assert y.shape == x.shape and ld_forward.shape == (x.shape[0],)
    assert (y - x).abs().max() > 1e-2  # not the identity
    assert ld_forward.abs().min() > 1e-3  # a log-determinant whose sign matters
    assert torch.allclose(ld_forward, flows.jacobian_logdet(module, x), atol=1e-10)


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_inverse_undoes_forward_with_the_opposite_logdet(cls):
    module, x = CASES[cls]()
    module = _randomised(module, seed=1)
    y, ld_forward = module(x)
    back, ld_inverse = module.inverse(y)
    assert ld_inverse.shape == (x.shape[0],)
    assert torch.allclose(back, x, atol=1e-10)
    assert torch.allclose(ld_inverse, flows.jacobian_logdet(module.inverse, y), atol=1e-10)
    assert torch.allclose(ld_forward + ld_inverse, torch.zeros_like(ld_forward), atol=1e-10)
