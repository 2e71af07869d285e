"""The linear pairing on one GPU: correlations and one level of the stepwise, max-correlation
and default rules at large d, against numpy on the CPU and the GPU's matmul rate.

    python benchmarks/device_pairing.py --out DIR [--smoke] [--device cuda|cpu]
        [--sizes 4096 16384 32768 65536] [--numpy-sizes 4096] [--budget 300] [--no-default]

Data: ``m = 2 d`` samples of a periodic ``L1 x L2`` Gaussian field (mass 0.3, ``L1 L2 = d``,
``d`` a power of two), its sites in a seeded random order, generated on the device and stored
in float32 (4 bytes per entry). Everything rgnotes computes is float64: the data are
converted, standardized and multiplied (``Z^T Z / m``) in float64, and the rules work on the
float64 correlation matrix.

Per ``d`` (on ``--device``, default CUDA when there is one): seconds of the float32 Gram
matrix ``X^T X`` (TF32 off; the floor of the correlation in single precision), of the
correlation matrix (:func:`rgnotes.coarse.correlation.correlation_of_standardized` of the
standardized data), and of one level of ``"stepwise"`` and ``"correlation"`` (on the device)
and of the default ``"greedy"`` (its max-correlation start and local search in numpy on the
host, from the device's correlation matrix); the peak memory of each; the FLOP of the correlation
(``2 m d^2``) and of the stepwise level (``M @ M`` and the folds, about ``(2 + 4/3) d^3``)
as a share of the float64 matmul rate measured first. At ``--numpy-sizes`` the same steps
with numpy arrays on the CPU, whether their pairs are the device's, and the ratio of the
times. A size whose estimated memory exceeds the device's free memory, or whose estimated
time exceeds what is left of ``--budget``, is skipped and the estimate reported. Every phase
is added to ``report.json`` in ``--out`` as soon as it ends; a table is printed at the end.
The default rule runs last, size by size, while its ``d^3`` extrapolation fits the budget.
``--smoke``: torch on the CPU at tiny sizes, in a few seconds (the test of this script).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rgnotes.coarse.correlation import (  # noqa: E402
    correlation_of_standardized,
    standardize_validated,
    validate_data,
)
from rgnotes.coarse.pairing import (  # noqa: E402
    ARRAY_API_METHODS,
    pair_validated,
    pairing_options,
)
from rgnotes.rgflow.speed import matmul_flops  # noqa: E402
from rgnotes.simulators.gaussian import field_spectrum  # noqa: E402

GIB = 2.0**30


def lattice(d: int) -> tuple[int, int]:
    """``(L1, L2)``, ``L1 <= L2 <= 2 L1``, ``L1 L2 = d`` for ``d`` a power of two >= 4."""
    if d < 4 or d & (d - 1):
        raise ValueError(f"d must be a power of two >= 4, got {d}")
    k = d.bit_length() - 1
    return 2 ** (k // 2), 2 ** (k - k // 2)


def field(d: int, device: str, seed: int = 0) -> torch.Tensor:
    """``(2 d, d)`` float32 samples of the shuffled periodic Gaussian field, made on
    ``device`` in blocks of samples."""
    L1, L2 = lattice(d)
    m = 2 * d
    amp = torch.as_tensor(field_spectrum((L1, L2), 0.3)[:, : L2 // 2 + 1] ** -0.5,
                          dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(seed)
    perm = torch.randperm(d, generator=gen, device=device)
    out = torch.empty((m, d), dtype=torch.float32, device=device)
    step = max(1, 2**26 // d)
    for lo in range(0, m, step):
        n = min(step, m - lo)
        noise = torch.randn((n, L1, L2), generator=gen, device=device, dtype=torch.float32)
        x = torch.fft.irfft2(amp * torch.fft.rfft2(noise), s=(L1, L2))
        out[lo:lo + n] = x.reshape(n, d)[:, perm]
    return out


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def free_bytes(device: str) -> float:
    """Free memory of the device (for the CPU: the machine's available memory)."""
    if device.startswith("cuda"):
        return float(torch.cuda.mem_get_info()[0])
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return float(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return float("inf")


def peak_bytes(device: str) -> float:
    """Peak memory since the last reset of the device's allocator; on the CPU the process's
    largest resident set so far (never reset: the peak of the run up to this step)."""
    if device.startswith("cuda"):
        return float(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()


#: Estimated peak memory, bytes, of each step (the data in float32, ``m = 2 d``): the
#: correlation holds the float32 data, their float64 copy and the standardized data, then
#: one ``d x d``; a stepwise level ``M``, ``G``, a new ``B`` or ``G`` and two products; the
#: default rule less on the host (``M`` and its search state, about 2.5 ``d x d``).
def memory_need(d: int) -> dict[str, float]:
    m = 2 * d
    return {"gram32": 4.0 * (m * d + d * d), "correlation": 20.0 * m * d + 8.0 * d * d,
            "rule": 5 * 8.0 * d * d}


def timed(fn, device: str) -> tuple[Any, float, float]:
    """``(result, seconds, peak GiB)`` of ``fn()``."""
    sync(device)
    reset_peak(device)
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return out, time.perf_counter() - t0, peak_bytes(device) / GIB


def correlation(X: Any) -> Any:
    return correlation_of_standardized(standardize_validated(validate_data(X, array_api=True)))


def write_report(out: Path, report: dict[str, Any]) -> None:
    """``report.json`` in ``out``, replaced atomically."""
    tmp = out / "report.json.tmp"
    tmp.write_text(json.dumps(report, indent=1, default=float))
    os.replace(tmp, out / "report.json")


class Budget:
    """Wall-clock budget; each step's time extrapolated from the last size as ``d^power``
    (3 for work on the host, 2 for the device's rules, whose ``d / 2`` steps of ``O(d)``
    small kernels outweigh their matrix products at these sizes)."""

    def __init__(self, seconds: float):
        self.end = time.perf_counter() + seconds
        self.seen: dict[str, tuple[int, float]] = {}

    def left(self) -> float:
        return self.end - time.perf_counter()

    def estimate(self, step: str, d: int, power: float) -> float:
        if step not in self.seen:
            return 0.0
        d0, t0 = self.seen[step]
        return t0 * (d / d0) ** power

    def record(self, step: str, d: int, seconds: float) -> None:
        self.seen[step] = (d, seconds)


def run_rules(M: Any, device: str | None, where: str, d: int, budget: Budget, row: dict,
              rules: tuple[str, ...]) -> dict[str, Any]:
    """Time one level of each of ``rules`` from ``M``; returns the pairs."""
    pairs = {}
    for rule in rules:
        key = f"{where}_{rule}"
        power = 2 if where == "device" and rule in ARRAY_API_METHODS else 3
        guess = budget.estimate(key, d, power)
        if guess > budget.left():
            row[key] = f"skipped: estimated {guess:.0f} s, {budget.left():.0f} s left"
            continue
        opts = pairing_options(rule, block=64, progress=False, device=device)
        p, seconds, peak = timed(lambda o=opts: pair_validated(M, o), device or "cpu")
        budget.record(key, d, seconds)
        row[key] = seconds
        row[f"{key}_peak_gib"] = peak
        pairs[rule] = p
    return pairs


def same_pairs(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, bool]:
    """Whether each rule timed in both gave the same pairs."""
    return {r: bool(np.array_equal(ours[r], theirs[r])) for r in ours if r in theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=os.environ.get("OUT"))
    parser.add_argument("--smoke", action="store_true", help="torch on the CPU, tiny sizes")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--numpy-sizes", type=int, nargs="*", default=None)
    parser.add_argument("--budget", type=float, default=None, help="seconds (default 300)")
    parser.add_argument("--no-default", action="store_true", help="skip the default rule")
    args = parser.parse_args()
    if args.out is None:
        parser.error("give --out DIR or set OUT")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = args.device or ("cpu" if args.smoke or not torch.cuda.is_available() else "cuda")
    sizes = args.sizes or ([64, 128] if args.smoke else [4096, 16384, 32768, 65536])
    numpy_sizes = args.numpy_sizes if args.numpy_sizes is not None else (
        [64] if args.smoke else [4096])
    started = time.perf_counter()
    budget = Budget(args.budget or (40.0 if args.smoke else 300.0))
    matmul_n = 256 if args.smoke else (8192 if device.startswith("cuda") else 2048)

    report: dict[str, Any] = {
        "device": device,
        "gpu": torch.cuda.get_device_name() if device.startswith("cuda") else "none",
        "torch": torch.__version__, "numpy": np.__version__, "cuda": torch.version.cuda,
        "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "git_commit": os.environ.get("RGNOTES_GIT_COMMIT", ""),
        "command": " ".join(sys.argv), "smoke": args.smoke,
        "data": "m = 2d float32 samples of a shuffled periodic Gaussian field (mass 0.3); "
                "rgnotes computes in float64",
        "sizes": {},
    }
    rates = {}
    for name, dtype in (("fp64", torch.float64), ("fp32", torch.float32)):
        rates[name] = matmul_flops(matmul_n, repeats=3, device=device, dtype=dtype)
    report["matmul_n"] = matmul_n
    report["matmul_flop_per_s"] = rates
    write_report(out, report)
    print(f"device {device} ({report['gpu']}); matmul {matmul_n}: "
          + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in rates.items()), flush=True)

    device_pairs: dict[int, dict[str, Any]] = {}
    host_data: dict[int, np.ndarray] = {}
    for d in sizes:
        row: dict[str, Any] = {"m": 2 * d}
        report["sizes"][str(d)] = row
        need = memory_need(d)
        free = free_bytes(device)
        row["memory_need_gib"] = {k: v / GIB for k, v in need.items()}
        if need["gram32"] > free or budget.left() < 5:
            row["skipped"] = (f"data need {need['gram32'] / GIB:.1f} GiB of "
                              f"{free / GIB:.1f} GiB free" if need["gram32"] > free
                              else "budget spent")
            write_report(out, report)
            continue
        X, row["data_s"], _ = timed(lambda d=d: field(d, device), device)
        _, row["gram32_s"], row["gram32_peak_gib"] = timed(lambda X=X: X.T @ X, device)
        row["gram32_flop_per_s"] = 2.0 * X.shape[0] * d * d / row["gram32_s"]
        if max(need["correlation"], need["rule"]) > free_bytes(device):
            row["skipped"] = (f"float64 correlation needs about {need['correlation'] / GIB:.0f}"
                              f" GiB, a rule level {need['rule'] / GIB:.0f} GiB; "
                              f"{free_bytes(device) / GIB:.0f} GiB free")
            del X
            write_report(out, report)
            continue
        M, seconds, row["correlation_peak_gib"] = timed(lambda X=X: correlation(X), device)
        row["correlation_s"] = seconds
        row["correlation_share"] = 2.0 * X.shape[0] * d * d / seconds / rates["fp64"]
        numpy_X = X.cpu().numpy() if d in numpy_sizes else None
        del X
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        device_pairs[d] = run_rules(M, device, "device", d, budget, row, ARRAY_API_METHODS)
        if isinstance(row.get("device_stepwise"), float):
            row["stepwise_share"] = (2.0 + 4.0 / 3.0) * d**3 / row["device_stepwise"] \
                / rates["fp64"]
        del M
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        write_report(out, report)
        if numpy_X is not None:
            Mn, row["numpy_correlation_s"], _ = timed(lambda X=numpy_X: correlation(X), "cpu")
            numpy_pairs = run_rules(Mn, None, "numpy", d, budget, row, ARRAY_API_METHODS)
            row["same_pairs"] = same_pairs(numpy_pairs, device_pairs[d])
            for step in ("correlation", "stepwise", "correlation_rule"):
                ours = row.get("correlation_s" if step == "correlation" else
                               f"device_{step.removesuffix('_rule')}")
                theirs = row.get("numpy_correlation_s" if step == "correlation" else
                                 f"numpy_{step.removesuffix('_rule')}")
                if isinstance(ours, float) and isinstance(theirs, float):
                    row[f"ratio_numpy_over_device_{step}"] = theirs / ours
            host_data[d] = numpy_X
            del Mn, numpy_X
            write_report(out, report)
        print(f"d = {d} done, {budget.left():.0f} s of the budget left", flush=True)

    # the default rule last: its local search runs on the host and grows as d^3
    for d in sizes:
        row = report["sizes"][str(d)]
        if "skipped" in row or d not in device_pairs:
            continue
        if args.no_default:
            row["device_greedy"] = "not run (--no-default)"
            continue
        guess = budget.estimate("device_greedy", d, 3)
        if guess > budget.left():
            row["device_greedy"] = f"skipped: estimated {guess:.0f} s, {budget.left():.0f} s left"
            continue
        M = correlation(field(d, device))
        device_pairs[d].update(run_rules(M, device, "device", d, budget, row, ("greedy",)))
        del M
        if d in host_data:
            Mn = correlation(host_data.pop(d))
            numpy_pairs = run_rules(Mn, None, "numpy", d, budget, row, ("greedy",))
            row["same_pairs"].update(same_pairs(numpy_pairs, device_pairs[d]))
            del Mn
        write_report(out, report)

    report["wall_time_s"] = time.perf_counter() - started
    write_report(out, report)
    print_table(report)


def _cell(row: dict, key: str, fmt: str = "{:.2f}") -> str:
    v = row.get(key)
    return fmt.format(v) if isinstance(v, float) else ("-" if v is None else "skip")


def print_table(report: dict[str, Any]) -> None:
    cols = [("gram32 s", "gram32_s"), ("corr s", "correlation_s"),
            ("corr share", "correlation_share"), ("stepwise s", "device_stepwise"),
            ("step share", "stepwise_share"), ("maxcorr s", "device_correlation"),
            ("default s", "device_greedy"), ("numpy corr s", "numpy_correlation_s"),
            ("numpy step s", "numpy_stepwise"), ("numpy default s", "numpy_greedy"),
            ("ratio corr", "ratio_numpy_over_device_correlation"),
            ("ratio step", "ratio_numpy_over_device_stepwise"),
            ("ratio maxcorr", "ratio_numpy_over_device_correlation_rule"),
            ("peak GiB", "device_stepwise_peak_gib")]
    print(f"\nlinear pairing on {report['device']} ({report['gpu']}), float64 arithmetic; "
          f"ratio = numpy CPU time / device time; share = FLOP / time / fp64 matmul rate")
    print(" | ".join(["d"] + [c for c, _ in cols]))
    for d, row in report["sizes"].items():
        cells = [_cell(row, k) for _, k in cols]
        print(" | ".join([d] + cells) + (f"  ({row['skipped']})" if "skipped" in row else ""))
        notes = [f"{k}: {v}" for k, v in row.items() if isinstance(v, str) and k != "skipped"]
        if notes:
            print("    " + "; ".join(notes))
        if "same_pairs" in row:
            print(f"    same pairs as numpy: {row['same_pairs']}")


if __name__ == "__main__":
    main()
