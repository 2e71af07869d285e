"""Where the linear pairing computes: numpy on the CPU, or torch on the CPU or a CUDA GPU.

The correlation matrix and the ``"stepwise"`` and ``"correlation"`` rules are written once
against the array API standard (``xp = namespace(X)``, as scikit-learn does with
``array-api-compat``) plus the integer-array indexing that numpy and torch share; the same
code runs on numpy arrays and on torch tensors. On numpy it performs exactly the operations
of the numpy-only code it replaced, so its results are bit for bit the same.

The ``device`` option of :func:`rgnotes.coarse.pairing.pair` and
:func:`rgnotes.coarse.hierarchy.coarse_grain` (checked by :func:`validate_device`):

- ``None`` (default): compute where the data are: numpy arrays with numpy, a torch tensor
  with torch on the tensor's device;
- ``"cpu"``, ``"cuda"`` or ``"cuda:N"``: with torch on that device, whatever the data are
  (a numpy array is copied there).

Results (pairs, hierarchies) are numpy arrays in every case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_numpy_namespace, is_torch_array
from numpy.typing import NDArray

#: The kinds of device ``device=`` accepts (torch device types).
DEVICE_TYPES = ("cpu", "cuda")


def namespace(*arrays: Any) -> Any:
    """The array API namespace of ``arrays`` (numpy's compatible wrapper for numpy arrays)."""
    return array_namespace(*arrays)


def is_numpy(xp: Any) -> bool:
    """Whether ``xp`` is numpy's namespace."""
    return is_numpy_namespace(xp)


def validate_device(device: object) -> str | None:
    """Check ``device``: ``None``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (a torch device of
    this machine). Returns it as a normalised string (``"cuda:0"`` stays ``"cuda:0"``) or
    ``None``. A CUDA device is refused when torch sees no such GPU."""
    if device is None:
        return None
    if not isinstance(device, str):
        raise TypeError(f"device must be None or a string such as 'cpu' or 'cuda', got "
                        f"{device!r} ({type(device).__name__})")
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") \
            from error
    if parsed.type not in DEVICE_TYPES:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if parsed.type == "cpu":
        if parsed.index not in (None, 0):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        return "cpu"
    if not torch.cuda.is_available():
        raise ValueError(f"device={device!r}, but torch sees no CUDA GPU on this machine "
                         f"(torch {torch.__version__}); use device='cpu' or None")
    count = torch.cuda.device_count()
    if parsed.index is not None and parsed.index >= count:
        raise ValueError(f"device={device!r}, but this machine has {count} CUDA GPU(s) "
                         f"(cuda:0 .. cuda:{count - 1})")
    return str(parsed)


def device_of(X: Any) -> str | None:
    """The device option that keeps the computation where ``X`` is: ``None`` for anything
    but a torch tensor, the tensor's device otherwise."""
    return str(X.device) if is_torch_array(X) else None


def on_device(X: Any, device: str | None) -> Any:
    """``X`` on ``device`` (validated): for ``None`` a torch tensor where it is and anything
    else through ``numpy.asarray`` (lists, data frames, masked arrays and other subclasses
    become plain numpy arrays), else a torch tensor there. Tensors are detached: no
    gradient flows through a pairing."""
    if device is None:
        return X.detach() if is_torch_array(X) else np.asarray(X)
    import torch

    if is_torch_array(X):
        return X.detach().to(device)
    return torch.as_tensor(np.asarray(X), device=device)


def to_numpy(X: Any) -> NDArray:
    """``X`` as a numpy array (copied to the host from a GPU)."""
    if is_torch_array(X):
        return X.detach().cpu().numpy()
    return np.asarray(X)


def index(xp: Any, idx: NDArray[np.intp], like: Any) -> Any:
    """Integer indices ``idx`` (host numpy) as an array of ``xp`` on the device of ``like``."""
    if is_numpy(xp):
        return idx
    return xp.asarray(idx, device=like.device)


def power_of_two_exponent(xp: Any, a: Any) -> Any:
    """``e`` with ``a = f 2^e``, ``0.5 <= |f| < 1`` (``frexp``) for positive finite ``a``."""
    if hasattr(xp, "frexp"):  # numpy and torch
        return xp.frexp(a)[1]
    return xp.astype(xp.floor(xp.log2(a)), xp.int64) + 1


def times_power_of_two(xp: Any, x: Any, exponent: Any) -> Any:
    """``x * 2^exponent`` exactly (``exponent`` broadcasts). A product with a power of two
    is exact, so where every ``2^exponent`` is a normal float64 that is how it is computed
    (numpy's ``ldexp`` over a whole array is several times slower than a product);
    otherwise by ``ldexp``."""
    if hasattr(xp, "ldexp"):  # numpy and torch
        if int(xp.max(xp.abs(exponent))) <= 1000:
            return x * xp.ldexp(xp.ones(exponent.shape, dtype=x.dtype, device=x.device),
                                exponent)
        return xp.ldexp(x, exponent)
    return x * xp.pow(2.0, xp.astype(exponent, x.dtype))


def column_sum_of_squares(xp: Any, Z: Any) -> Any:
    """``sum(Z**2, axis=0)`` of an ``(m, d)`` array without an ``(m, d)`` temporary."""
    if is_numpy(xp):
        return np.einsum("ij,ij->j", Z, Z)
    return xp.vecdot(Z, Z, axis=0)


def fill_diagonal(M: Any, value: float) -> Any:
    """Set the diagonal of the square matrix ``M`` to ``value`` in place; returns ``M``."""
    if is_torch_array(M):
        M.fill_diagonal_(value)
    else:
        np.fill_diagonal(M, value)
    return M
