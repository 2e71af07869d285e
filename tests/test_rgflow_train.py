"""RG-Flow training loop: exact resume, checkpoint safety, NaN handling, receptive fields,
command line."""

import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from rgnotes.__main__ import main
from rgnotes.rgflow import priors as priors_module
from rgnotes.rgflow.model import build, randomise_scales
from rgnotes.rgflow.preprocess import from_logit, to_uint8
from rgnotes.rgflow.priors import Gaussian
from rgnotes.rgflow.receptive import (
    field_size,
    level_positions,
    receptive_field,
    traverse,
)
from rgnotes.rgflow.train import (
    CHECKPOINT,
    HISTORY,
    evaluate,
    load_checkpoint,
    load_run,
    optimisation_step,
    train,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(image_size=8, channels=3, kernel=4, layers_per_level=(1, 1), res_blocks=1,
             hidden=16)


def data(n, seed=0, size=8):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, size, size), dtype=np.uint8)


def params(path):
    state = load_checkpoint(path / CHECKPOINT)
    return state["model"], state


def test_resumed_run_is_bit_identical(tmp_path):
    train_x, test_x = data(24), data(8, seed=1)
    kw = dict(batch_size=8, progress=False, n_samples=4)
    full = train(train_x, test_x, SMALL, tmp_path / "full", epochs=3, **kw)
    train(train_x, test_x, SMALL, tmp_path / "part", epochs=1, **kw)
    resumed = train(train_x, test_x, SMALL, tmp_path / "part", epochs=3, resume=True, **kw)
    a, state_a = params(tmp_path / "full")
    b, state_b = params(tmp_path / "part")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert state_a["epoch"] == state_b["epoch"] == 3
    assert [r["train_bpd"] for r in full] == [r["train_bpd"] for r in resumed]
    assert [r["test_bpd"] for r in full] == [r["test_bpd"] for r in resumed]
    log = json.loads((tmp_path / "full" / HISTORY).read_text())
    assert [r["epoch"] for r in log] == [1, 2, 3] and "test_bpd" in log[0]
    assert (tmp_path / "full" / "samples_003.png").exists()
    # uniform 8-bit noise has an entropy of exactly 8 bits per dimension: no model beats it
    # on held-out images (beyond sampling error, 0.9 / sqrt(8 * 192) = 0.023 bits), and
    # every epoch brings the model closer to it than the untrained flow
    torch.manual_seed(0)
    untrained = evaluate(build(SMALL), Gaussian(), test_x, seed=0)
    test_bpd = [r["test_bpd"] for r in full]
    assert all(b > 8 - 4 * 0.023 for b in test_bpd)
    assert untrained > test_bpd[0] > test_bpd[1] > test_bpd[2]
    train_bpd = [r["train_bpd"] for r in full]
    assert train_bpd[0] > train_bpd[1] > train_bpd[2]
    assert any(not torch.equal(a[k], build(SMALL).state_dict()[k])
               for k in a if k.endswith("scale"))


def test_untrained_flow_scores_the_closed_form_of_the_logit_gaussian():
    # the untrained flow is the identity, so the model is "logit(0.05 + 0.9 u) is standard
    # normal" per dimension, and on uniform 8-bit data the expected bits per dimension are
    # 8 + E[-log N(w) - log|dw/du|] / ln 2 over u ~ U(0, 1), a one-dimensional integral
    from scipy import integrate
    from scipy.stats import norm

    def nats(u):
        y = 0.05 + 0.9 * u
        return -(norm.logpdf(np.log(y / (1 - y))) + np.log(0.9) - np.log(y * (1 - y)))

    mean = integrate.quad(nats, 0, 1)[0]
    std = np.sqrt(integrate.quad(lambda u: (nats(u) - mean) ** 2, 0, 1)[0]) / np.log(2)
    test_x = data(64, seed=2)
    error = std / np.sqrt(test_x.size)  # independent dimensions: 0.008 bits
    torch.manual_seed(0)
    bpd = evaluate(build(SMALL), Gaussian(), test_x, seed=0)
    assert abs(bpd - (8 + mean / np.log(2))) < 4 * error


def test_load_run_restores_the_trained_model(tmp_path):
    train_x, test_x = data(16), data(8, seed=1)
    history = train(train_x, test_x, SMALL, tmp_path, epochs=2, batch_size=8,
                    progress=False, n_samples=2, prior="laplace", seed=3)
    model, prior, loaded, settings = load_run(tmp_path)
    assert loaded == history and settings["prior"] == "laplace" == prior.name
    assert not model.training
    # the held-out bits/dim of the last epoch are reproduced exactly (same noise seed)
    assert evaluate(model, prior, test_x, batch=64, seed=3) == history[-1]["test_bpd"]
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        load_run(tmp_path / "nothing")


def test_traversal_of_the_identity_flow_moves_one_pixel():
    # at initialisation the flow is the identity, so decoding z gives from_logit(z)
    flow = build(SMALL)
    z = torch.randn(3, 8, 8, generator=torch.Generator().manual_seed(0))
    values = [-2.0, 0.0, 2.0]
    images = traverse(flow, z, (2, 5), values, channel=1)
    for i, v in enumerate(values):
        zi = z.clone()
        zi[1, 2, 5] = v
        assert np.array_equal(images[i], to_uint8(from_logit(zi)).numpy())
    changed = (images != images[0]).any(axis=0)
    assert changed.sum() == 1 and changed[1, 2, 5]
    with pytest.raises(ValueError, match="outside"):
        traverse(flow, z, (8, 0), values)


def test_traversal_of_a_level0_latent_stays_in_its_8x8_square():
    flow = random_flow(config=dict(SMALL, image_size=16, layers_per_level=(1, 1, 1)))
    z = torch.randn(3, 16, 16, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(1))
    images = traverse(flow, z, (1, 2), np.linspace(-3, 3, 5))
    changed = (images != images[0]).any(axis=(0, 1))
    allowed = np.zeros((16, 16), bool)
    allowed[np.ix_(np.r_[12:16, 0:4], np.arange(8))] = True
    assert changed.any() and not (changed & ~allowed).any()


def test_checkpoint_from_another_config_is_refused(tmp_path):
    train_x, test_x = data(16), data(8, seed=1)
    train(train_x, test_x, SMALL, tmp_path, epochs=1, batch_size=8, progress=False,
          n_samples=2)
    before = (tmp_path / CHECKPOINT).read_bytes()
    other = dict(SMALL, hidden=8)
    with pytest.raises(ValueError, match="settings"):
        train(train_x, test_x, other, tmp_path, epochs=2, batch_size=8, resume=True,
              progress=False)
    with pytest.raises(ValueError, match="resume"):
        train(train_x, test_x, SMALL, tmp_path, epochs=2, batch_size=8, progress=False)
    with pytest.raises(ValueError, match="settings"):
        train(train_x, test_x, SMALL, tmp_path, epochs=2, batch_size=8, lr=0.1,
              resume=True, progress=False)
    assert (tmp_path / CHECKPOINT).read_bytes() == before
    assert not (tmp_path / "samples_002.png").exists()


def test_bad_data_is_refused(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        train(data(8).astype(np.float32), data(8), SMALL, tmp_path, progress=False)
    with pytest.raises(ValueError, match="shape"):
        train(data(8, size=16), data(8), SMALL, tmp_path, progress=False)


def test_nan_loss_names_step_and_checkpoint(tmp_path, monkeypatch):
    train_x, test_x = data(16), data(8, seed=1)
    train(train_x, test_x, SMALL, tmp_path, epochs=1, batch_size=8, progress=False,
          n_samples=2)
    calls = []
    original = priors_module.Gaussian.log_prob

    def poisoned(self, z):
        calls.append(1)
        out = original(self, z)
        return out * float("nan") if len(calls) == 2 else out

    monkeypatch.setattr(priors_module.Gaussian, "log_prob", poisoned)
    with pytest.raises(FloatingPointError, match=r"epoch 2, step 2 .*checkpoint\.pt"):
        train(train_x, test_x, SMALL, tmp_path, epochs=2, batch_size=8, resume=True,
              progress=False)
    assert load_checkpoint(tmp_path / CHECKPOINT)["epoch"] == 1


def test_a_non_finite_step_raises_before_touching_the_weights(monkeypatch):
    flow = build(SMALL)
    opt = torch.optim.AdamW(flow.parameters(), lr=0.1)
    before = [p.detach().clone() for p in flow.parameters()]
    monkeypatch.setattr(priors_module.Gaussian, "log_prob",
                        lambda self, z: torch.full(z.shape[:1], float("inf")))
    with pytest.raises(FloatingPointError, match="non-finite loss -inf"):
        optimisation_step(flow, Gaussian(), opt, torch.from_numpy(data(2)), 1.0)
    assert all(torch.equal(p, b) for p, b in zip(flow.parameters(), before, strict=True))
    assert all(p.grad is None for p in flow.parameters())
    # unchecked, the same step does go through: the check is what stops it
    optimisation_step(flow, Gaussian(), opt, torch.from_numpy(data(2)), 1.0,
                      check_finite=False)
    assert not all(torch.equal(p, b) for p, b in zip(flow.parameters(), before, strict=True))


def random_flow(seed=0, config=SMALL):
    torch.manual_seed(seed)
    return randomise_scales(build(config).double(), 0.5)


def test_receptive_field_equals_jacobian_columns():
    flow, prior = random_flow(), Gaussian()
    pos = (1, 2)
    heat = receptive_field(flow, prior, pos, n_samples=2, seed=5)
    z = prior.sample(2, (3, 8, 8), 1.0, 4, torch.Generator().manual_seed(5), torch.float64)
    expected = np.zeros((8, 8))
    for zi in z:
        # full Jacobian by reverse mode: (1, 3, 8, 8) outputs x (3, 8, 8) inputs
        jac = torch.autograd.functional.jacobian(
            lambda v: flow.inverse(v.reshape(1, 3, 8, 8))[0], zi)
        expected += jac[0, :, :, :, :, pos[0], pos[1]].abs().sum(dim=(0, 3)).numpy() / 2
    assert np.allclose(heat, expected, atol=1e-12)


def test_level0_receptive_field_is_the_structural_8x8_square():
    # generation applies the shifted level-0 patch of the latent at (1, 2) (rows 14, 15,
    # 0, 1 and columns 2..5 of a 16x16 image), then the un-shifted patches overlapping it:
    # rows 12..15 and 0..3, columns 0..7
    flow = random_flow(config=dict(SMALL, image_size=16, layers_per_level=(1, 1, 1)))
    heat = receptive_field(flow, Gaussian(), (1, 2), n_samples=2)
    rows = np.r_[12:16, 0:4]
    expected = np.zeros((16, 16), bool)
    expected[np.ix_(rows, np.arange(8))] = True
    assert np.array_equal(heat > 0, expected)


def test_field_size_on_known_maps():
    heat = np.zeros((16, 16))
    heat[3, 4] = 1.0
    assert field_size(heat, (3, 4)) == 1
    heat[2:5, 3:6] = 1.0
    assert field_size(heat, (3, 4)) == 3
    assert field_size(np.ones((16, 16)), (0, 0)) == 16
    heat = np.zeros((16, 16))
    heat[15, 15] = heat[0, 0] = heat[1, 1] = 1.0  # periodic wrap around (0, 0)
    assert field_size(heat, (0, 0)) == 3
    assert level_positions(32) == {0: (1, 1), 1: (2, 2), 2: (4, 4), 3: (0, 0)}
    with pytest.raises(ValueError, match="finite"):
        field_size(np.full((4, 4), np.nan), (0, 0))


def test_cli_trains_with_the_dataset_loader(tmp_path, monkeypatch, capsys):
    fake = types.ModuleType("rgnotes.rgflow.data")

    def load_dataset(name, split, *, root=None, n=None, seed=0, **_):
        assert name == "msds1" and split in ("train", "test")
        return data(n or 8, seed=seed + (split == "test"), size=32)

    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "rgnotes.rgflow.data", fake)
    args = ["rgflow", "train", "--data", "msds1", "--preset", "quick", "--epochs", "1",
            "--batch", "4", "--n-train", "4", "--n-test", "4", "--out", str(tmp_path)]
    assert main(args) == 0
    assert "test" in capsys.readouterr().out
    assert main(args) == 2  # exists without --resume: one clear error line
    assert "resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0


def test_cache_clear_recognises_a_training_run_in_the_cache(tmp_path):
    # the rgflow study keeps its runs in cache_dir() / "rgflow_runs" / <key>
    from rgnotes import cache

    run = tmp_path / "rgflow_runs" / cache.key({"run": 1})
    train(data(8), data(8, seed=1), SMALL, run, epochs=1, batch_size=8, progress=False,
          n_samples=2)
    (run / ".checkpoint.pt.x1y2z3w4.tmp").write_bytes(b"killed while saving")
    contents = cache.scan(tmp_path)
    assert {p.name for p in contents.own} == {
        CHECKPOINT, HISTORY, "samples_001.png", "samples_001.npz", ".checkpoint.pt.x1y2z3w4.tmp"}
    assert contents.foreign == ()
    cache.remove(contents)
    assert list(tmp_path.iterdir()) == []


# ---- checkpoints that must not be resumed -------------------------------------------------
def _damaged(good: bytes) -> dict[str, bytes]:
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01  # one bit in the middle: model or optimizer numbers
    rng = np.random.default_rng(0)
    return {"truncated": good[: len(good) // 2], "empty": b"",
            "random": rng.integers(0, 256, len(good), dtype=np.uint8).tobytes(),
            "flipped bit": bytes(flipped)}


def test_damaged_checkpoint_is_refused_with_a_clear_error(tmp_path):
    train_x, test_x = data(16), data(8, seed=1)
    kw = dict(batch_size=8, progress=False, n_samples=2)
    train(train_x, test_x, SMALL, tmp_path, epochs=1, **kw)
    good = (tmp_path / CHECKPOINT).read_bytes()
    for kind, damaged in _damaged(good).items():
        (tmp_path / CHECKPOINT).write_bytes(damaged)
        with pytest.raises(ValueError, match="checkpoint") as info:
            train(train_x, test_x, SMALL, tmp_path, epochs=2, resume=True, **kw)
        assert str(tmp_path / CHECKPOINT) in str(info.value), kind
        with pytest.raises(ValueError, match="checkpoint"):
            load_run(tmp_path)
        assert (tmp_path / CHECKPOINT).read_bytes() == damaged, kind  # left for inspection
        assert not (tmp_path / "samples_002.png").exists()


def test_checkpoint_trained_on_other_data_is_refused(tmp_path):
    train_x, test_x = data(16), data(8, seed=1)
    kw = dict(batch_size=8, progress=False, n_samples=2)
    train(train_x, test_x, SMALL, tmp_path, epochs=1, **kw)
    before = (tmp_path / CHECKPOINT).read_bytes()
    with pytest.raises(ValueError, match="other training data"):
        train(data(16, seed=7), test_x, SMALL, tmp_path, epochs=2, resume=True, **kw)
    with pytest.raises(ValueError, match="other test data"):
        train(train_x, data(8, seed=7), SMALL, tmp_path, epochs=2, resume=True, **kw)
    with pytest.raises(ValueError, match="other training data"):
        train(train_x[:8], test_x, SMALL, tmp_path, epochs=2, resume=True, **kw)
    assert (tmp_path / CHECKPOINT).read_bytes() == before
    state = load_checkpoint(tmp_path / CHECKPOINT)
    assert state["settings"]["model"]["hidden"] == SMALL["hidden"]  # the config is stored


def test_checkpoint_of_the_earlier_format_still_resumes(tmp_path):
    # checkpoints written before the checksum (a plain torch.save of the state, without the
    # data fingerprint) resume when their settings match, bit-identically
    train_x, test_x = data(24), data(8, seed=1)
    kw = dict(batch_size=8, progress=False, n_samples=2)
    full = train(train_x, test_x, SMALL, tmp_path / "full", epochs=2, **kw)
    train(train_x, test_x, SMALL, tmp_path / "old", epochs=1, **kw)
    state = load_checkpoint(tmp_path / "old" / CHECKPOINT)
    legacy = {k: state[k] for k in ("model", "optimizer", "epoch", "rng", "settings", "history")}
    torch.save(legacy, tmp_path / "old" / CHECKPOINT)
    with pytest.warns(UserWarning, match="no checksum"):
        resumed = train(train_x, test_x, SMALL, tmp_path / "old", epochs=2, resume=True, **kw)
    assert resumed == [dict(r, seconds=s["seconds"], images_per_s=s["images_per_s"])
                       for r, s in zip(full, resumed, strict=True)]
    assert load_checkpoint(tmp_path / "old" / CHECKPOINT)["epoch"] == 2
    with pytest.warns(UserWarning, match="no checksum"):
        torch.save(legacy, tmp_path / "old" / CHECKPOINT)
        load_run(tmp_path / "old")


@pytest.mark.parametrize("kwargs, match", [
    (dict(device="foo"), "device"),
    (dict(device="cuda:0"), "CUDA"),
    (dict(threads=0), "threads"),
    (dict(threads=1.5), "threads"),
    (dict(epochs=0), "epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(lr=1e6), "lr"),
    (dict(lr=float("nan")), "lr"),
    (dict(lr=-1e-3), "lr"),
    (dict(weight_decay=-1.0), "weight_decay"),
    (dict(clip=0.0), "clip"),
    (dict(n_samples=0), "n_samples"),
    (dict(seed=-1), "seed"),
])
def test_bad_arguments_are_refused_before_training(tmp_path, monkeypatch, kwargs, match):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=match):
        train(data(8), data(8), SMALL, tmp_path / "run", progress=False, **kwargs)
    assert not (tmp_path / "run").exists()


def test_a_seed_that_is_not_an_integer_is_a_type_error(tmp_path):
    for seed in (1.5, None, np.random.default_rng(0)):
        with pytest.raises(TypeError, match="seed"):
            train(data(8), data(8), SMALL, tmp_path / "run", progress=False, seed=seed)


def test_output_that_is_a_file_or_unwritable_is_refused_before_training(tmp_path):
    afile = tmp_path / "a_file"
    afile.write_text("mine")
    with pytest.raises(ValueError, match="not a folder"):
        train(data(8), data(8), SMALL, afile, progress=False)
    with pytest.raises(ValueError, match="not a folder"):
        train(data(8), data(8), SMALL, afile / "run", progress=False)
    assert afile.read_text() == "mine"
    if Path("/proc/self").is_dir():  # Linux: nobody, not even root, creates files there
        with pytest.raises(ValueError, match="cannot write"):
            train(data(8), data(8), SMALL, "/proc/rgnotes-run", progress=False)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # root writes anywhere
        with pytest.raises(ValueError, match="cannot write"):
            train(data(8), data(8), SMALL, locked / "run", progress=False)


def test_progress_bar_is_cleared_before_an_error(tmp_path, monkeypatch, capsys):
    def poisoned(self, z):
        return torch.full(z.shape[:1], float("nan"))

    monkeypatch.setattr(priors_module.Gaussian, "log_prob", poisoned)
    with pytest.raises(FloatingPointError):
        train(data(16), data(8), SMALL, tmp_path, batch_size=8, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and err.endswith("\r")  # the line is blanked: no bar left


@pytest.fixture()
def fake_msds(monkeypatch):
    fake = types.ModuleType("rgnotes.rgflow.data")

    def load_dataset(name, split, *, root=None, n=None, seed=0, **_):
        if name == "celeba":
            raise FileNotFoundError(f"no CelebA images (*.jpg, *.png) found in {root}.")
        return data(n or 8, seed=seed + (split == "test") + 10 * (name == "msds2"), size=32)

    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "rgnotes.rgflow.data", fake)


def _cli(out, *extra):
    return ["rgflow", "train", "--data", "msds1", "--preset", "quick", "--epochs", "1",
            "--batch", "4", "--n-train", "4", "--n-test", "4", "--out", str(out), *extra]


@pytest.mark.parametrize("extra, match", [
    (["--device", "cuda"], "CUDA"),
    (["--device", "foo"], "device"),
    (["--threads", "0"], "threads"),
    (["--epochs", "0"], "epochs"),
    (["--lr", "1e6"], "lr"),
    (["--data", "celeba", "--root", "/nonexistent"], "CelebA"),
    (["--seed", "-1"], "--seed"),
])
def test_cli_bad_options_are_one_error_line(tmp_path, fake_msds, monkeypatch, capsys, extra,
                                            match):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(_cli(tmp_path / "run", *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and match in err, err


def test_cli_refuses_a_file_as_out_and_a_checkpoint_of_other_data(tmp_path, fake_msds,
                                                                  capsys):
    afile = tmp_path / "a_file"
    afile.write_text("mine")
    assert main(_cli(afile)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "not a folder" in err
    assert afile.read_text() == "mine"
    if Path("/proc/self").is_dir():
        assert main(_cli("/proc/rgnotes-run")) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and err.count("\n") == 1 and "cannot write" in err
    assert main(_cli(tmp_path / "run", "--resume")) == 0
    assert "starting fresh" in capsys.readouterr().out
    argv = _cli(tmp_path / "run", "--resume")
    argv[argv.index("msds1")] = "msds2"
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "other training data" in err


def test_generation_stages_end_in_the_sample_and_start_from_the_prior():
    from rgnotes.rgflow.priors import make_prior
    from rgnotes.rgflow.receptive import generation_stages
    from rgnotes.rgflow.train import sample_images

    torch.manual_seed(0)
    model = randomise_scales(build(dict(image_size=8, channels=1, kernel=4,
                                        layers_per_level=(1, 1), res_blocks=1,
                                        hidden=8)).double(), 0.5)
    prior = make_prior("laplace")
    stages = generation_stages(model, prior, 5, 0.8, seed=3)
    assert stages.shape == (3, 5, 1, 8, 8) and stages.dtype == np.uint8
    np.testing.assert_array_equal(stages[-1], sample_images(model, prior, 5, 0.8, seed=3))
    identity = build(dict(image_size=8, channels=1, kernel=4, layers_per_level=(1, 1),
                          res_blocks=1, hidden=8)).double()  # zero output scales: identity
    flat = generation_stages(identity, prior, 5, 0.8, seed=3)
    assert (flat == flat[0]).all()  # nothing changes through an identity flow
    assert not (stages[1] == stages[0]).all() and not (stages[2] == stages[1]).all()


def test_command_line_defaults_are_the_training_settings():
    # the command line writes its defaults out (importing train would load torch for --help)
    import argparse

    from rgnotes.rgflow import cli
    from rgnotes.rgflow import train as train_module

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert parser.get_default("lr") == train_module.LR
    assert parser.get_default("weight_decay") == train_module.WEIGHT_DECAY
