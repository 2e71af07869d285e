"""The RG-Flow study: the structure unit against exact values, a tiny training run and its
evaluation, the Dataset, and the verification slice (timings are never tested)."""

import dataclasses

import numpy as np
import pytest

from rgnotes.rgflow.model import build, flow_macs, n_parameters
from rgnotes.rgflow.model import preset as model_preset
from rgnotes.studies import rgflow as rg
from rgnotes.studies.core import compute_units

TINY = dataclasses.replace(rg.PRESETS["quick"], n_train=64, n_test=32, epochs=1, batch=32,
                           n_rf=2, n_show=4, n_fid=4)


def unit(kind, params=TINY):
    return next(u for u in rg.units(params) if u["kind"] == kind)


@pytest.fixture(scope="module")
def structure():
    u = unit("structure")
    return rg.to_dataset(u, rg.compute(u))


def test_structure_against_exact_values(structure, one_torch_thread):
    s = structure
    # the layer-by-layer log-determinant is the log-determinant of the autograd Jacobian
    assert np.allclose(s.ldj_flow, s.ldj_autograd, rtol=0, atol=1e-9)
    assert float(abs(s.ldj_autograd).min()) > 0.1 and float(s.roundtrip) < 1e-10
    # three quarters of the remaining pixels are latents of each level; 16 at the top
    assert np.bincount(s.latent_level.values.ravel()).tolist() == [768, 192, 48, 16]
    assert bool(s.same_grid)
    # every pixel a sub-layer touches is in exactly one patch of m x m = 16 pixels
    counts = [np.bincount(s.patch_labels.sel(level=h, shifted=sh).values.ravel()[
        s.patch_labels.sel(level=h, shifted=sh).values.ravel() >= 0])
        for h in range(4) for sh in (False, True)]
    assert all((c == 16).all() for c in counts)
    assert [c.size for c in counts] == [64, 64, 16, 16, 4, 4, 1, 1]
    # counts on the meta device equal those of real modules
    params = s.parameters.to_series()
    assert params["trained config"] == n_parameters(build(model_preset("quick")))
    assert params["CelebA config"] == 2 * 20 * params["one RealNVP layer (s + t)"]
    assert s.macs.sel(mac_config="msds") == flow_macs(model_preset("msds"))
    # Laplace prior at temperature t: variance t^2, kurtosis 6 (196,608 samples)
    assert abs(float(s.laplace_var) / TINY.t_check ** 2 - 1) < 0.02
    assert abs(float(s.laplace_kurtosis) - 6) < 0.3


@pytest.mark.slow
def test_structure_is_deterministic(structure, tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    again = rg.to_dataset(unit("structure"), compute_units(rg.STUDY, [unit("structure")],
                                                           progress=False)[0])
    for var in structure.data_vars:
        assert np.array_equal(structure[var].values, again[var].values), var


@pytest.mark.slow
def test_tiny_run_and_its_evaluation(tmp_path, monkeypatch, one_torch_thread):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("RGNOTES_FID_WEIGHTS", raising=False)
    u = unit("run")
    assert u["fid_weights"] is None
    first = compute_units(rg.STUDY, [u], progress=False)[0]
    assert (rg.run_dir(u) / "checkpoint.pt").is_file()
    ds = rg.to_dataset(u, first)
    assert ds.sizes["epoch"] == TINY.epochs and np.all(np.isfinite(ds.test_bpd))
    assert ds.samples.dims == ("setting", "image", "channel", "row", "col")
    assert ds.samples.shape == (3, TINY.n_show, 3, 32, 32) and ds.samples.dtype == np.uint8
    assert ds.test_images.dtype == np.uint8 and ds.traversal.shape == (2, 7, 3, 32, 32)
    # supports never exceed the structural bounds (any weights); sizes are odd squares
    assert bool((ds.field_support.max("axis") <= ds.field_bound).all())
    assert all(int(v) % 2 == 1 or int(v) == 32 for v in ds.field_size)
    assert np.isnan(float(ds.fid))  # no pytorch-fid weights: not available, not made up
    # the evaluation of the finished checkpoint is reproduced exactly (no retraining)
    again = rg.to_dataset(u, compute_units(rg.STUDY, [u], progress=False, refresh=True)[0])
    assert again.identical(ds)  # the history, timings included, is read from the checkpoint
    # the generation stages come from the same run, without training it again
    st = unit("stages")
    assert rg.run_dir(st) == rg.run_dir(u)
    mtime = (rg.run_dir(u) / "checkpoint.pt").stat().st_mtime_ns
    stages = rg.to_dataset(st, compute_units(rg.STUDY, [st], progress=False)[0])
    assert (rg.run_dir(u) / "checkpoint.pt").stat().st_mtime_ns == mtime
    assert stages.stages.shape == (5, TINY.n_stages, 3, 32, 32)
    # its last stage is the sample at the same temperatures and seed
    last = ds.samples.isel(setting=-1).values
    assert np.array_equal(stages.stages.isel(stage=-1).values[:TINY.n_show], last)


def test_speed_dataset_has_the_timed_rows():
    fake = dict(images_per_s=np.arange(1.0, 5.0), flop_per_s=np.arange(1.0, 5.0) * 1e9,
                matmul_flop_per_s=np.float64(2e10))
    ds = rg.to_dataset(unit("speed"), fake)
    assert list(ds.timed.values) == list(rg.TIMED)
    assert ds.images_per_s_timed.sel(timed="MSDS config step") == 2.0


def test_presets_and_verify_units():
    full = rg.PRESETS["full"]
    assert (full.n_train, full.n_test, full.epochs, full.preset) == (90_000, 10_000, 7,
                                                                     "quick")
    every = rg.units(full)
    picks = rg.verify_units(full)
    assert all(u in every for u in picks) and len(picks) < len(every)
    assert [u["kind"] for u in picks] == ["structure"]  # no training, no timings
    assert [u["kind"] for u in every] == ["structure", "run", "stages", "speed"]
    assert rg.run_dir(unit("run", full)) != rg.run_dir(unit("run"))
