"""The optimisation loop shared by the chapter's small models."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch


def minimise(parameters: Iterable[torch.nn.Parameter], batch_loss: Callable[[], torch.Tensor],
             steps: int, lr: float) -> list[float]:
    """Adam on ``batch_loss()`` (which draws its own minibatch and returns a scalar loss) for
    ``steps`` steps, the learning rate decaying from ``lr`` to zero by a cosine schedule.
    Returns the loss of every step."""
    opt = torch.optim.Adam(parameters, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for _ in range(steps):
        loss = batch_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses
