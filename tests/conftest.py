"""Shared pytest fixtures."""

import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks: one thread is fastest and avoids oversubscribing a loaded machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
