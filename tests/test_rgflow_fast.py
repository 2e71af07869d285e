"""The fast training path of RG-Flow (bf16 autocast, TF32, data on the device, one
synchronisation per epoch, learning-rate scaling and warm-up, time budget), checked on the
CPU: the default float32 loop is unchanged bit for bit, bf16 gradients are close to float32
ones, every option is validated."""

import math

import numpy as np
import pytest
import torch

from rgnotes.__main__ import main
from rgnotes.rgflow import priors as priors_module
from rgnotes.rgflow import train as train_module
from rgnotes.rgflow.model import build, randomise_scales
from rgnotes.rgflow.preprocess import dequantize, to_logit
from rgnotes.rgflow.priors import make_prior
from rgnotes.rgflow.train import CHECKPOINT, evaluate, load_checkpoint, load_run, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(image_size=8, channels=3, kernel=4, layers_per_level=(1, 1), res_blocks=1,
             hidden=16)
#: Three levels, two residual blocks: deep enough for bf16 rounding to compound.
MID = dict(image_size=16, channels=3, kernel=4, layers_per_level=(2, 1, 1), res_blocks=2,
           hidden=64)
KW = dict(batch_size=8, progress=False, n_samples=4, prior="laplace", seed=3)


def data(n, seed=0, size=8):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, size, size), dtype=np.uint8)


def _noise(*key):
    """The per-epoch noise generator, derived here from the documented key (seed, epoch,
    rank) with numpy's SeedSequence, not taken from the module."""
    seed = int(np.random.SeedSequence(list(key)).generate_state(1)[0])
    return torch.Generator().manual_seed(seed)


def reference_loop(train_x, config, epochs, batch, lr=1e-3, weight_decay=5e-5, clip=1.0,
                   prior="laplace", seed=3):
    """The float32 maximum-likelihood loop written out plainly: seeded init, fused AdamW,
    a seeded permutation per epoch, sorted batches, dequantisation noise per epoch."""
    torch.manual_seed(seed)
    model = build(config)
    law = make_prior(prior)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    n_dims = int(np.prod(train_x.shape[1:]))
    means = []
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(train_x))
        gen = _noise(seed, epoch, 0)
        total = 0.0
        model.train()
        for start in range(0, len(order), batch):
            idx = np.sort(order[start:start + batch])
            u = (torch.from_numpy(train_x[idx]).float()
                 + torch.rand(len(idx), *train_x.shape[1:], generator=gen)) / 256.0
            w, ldj_pre = to_logit(u)
            z, ldj = model(w)
            loss = -(law.log_prob(z) + ldj + ldj_pre).mean() / n_dims
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += (float(loss.detach()) / math.log(2) + 8) * len(idx)
        means.append(total / len(order))
    return model.state_dict(), means


def test_default_path_is_the_plain_float32_loop_bit_for_bit(tmp_path):
    train_x, test_x = data(40), data(8, seed=1)
    history = train(train_x, test_x, SMALL, tmp_path, epochs=2, **KW)
    weights = load_checkpoint(tmp_path / CHECKPOINT)["model"]
    ref_weights, ref_means = reference_loop(train_x, SMALL, 2, 8)
    assert weights.keys() == ref_weights.keys()
    assert all(torch.equal(weights[k], ref_weights[k]) for k in weights)
    assert [r["train_bpd"] for r in history] == ref_means


def test_options_that_leave_the_arithmetic_alone_change_no_bit_on_a_cpu(tmp_path):
    # device_data gathers the same sorted batches and draws the same noise on a CPU;
    # epoch_sync only moves where the losses are summed; TF32 does nothing on a CPU;
    # an explicit fp32 / no scaling / no warm-up is the default
    train_x, test_x = data(40), data(8, seed=1)
    plain = train(train_x, test_x, SMALL, tmp_path / "plain", epochs=2, **KW)
    fast = train(train_x, test_x, SMALL, tmp_path / "fast", epochs=2, device_data=True,
                 epoch_sync=True, tf32=True, precision="fp32", lr_scale="none",
                 warmup_steps=0, time_budget=1e9, **KW)
    a = load_checkpoint(tmp_path / "plain" / CHECKPOINT)
    b = load_checkpoint(tmp_path / "fast" / CHECKPOINT)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["settings"] == b["settings"]  # the default settings, without new keys
    assert set(a["settings"]) == {"model", "batch_size", "lr", "weight_decay", "clip",
                                  "prior", "seed"}
    assert [r["test_bpd"] for r in plain] == [r["test_bpd"] for r in fast]
    # the epoch's mean loss summed in another order: equal to float64 rounding
    assert np.allclose([r["train_bpd"] for r in plain], [r["train_bpd"] for r in fast],
                       rtol=1e-13, atol=0)
    assert not torch.backends.cuda.matmul.allow_tf32  # restored after training


def _flow(config, seed, scale_std):
    """A flow away from the identity: output scales drawn with std ``scale_std``."""
    torch.manual_seed(seed)
    return randomise_scales(build(config), scale_std, torch.Generator().manual_seed(seed + 100))


def _loss_and_grad(model, x, bf16):
    model.zero_grad(set_to_none=True)
    n_dims = int(np.prod(x.shape[1:]))
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        u = dequantize(x, torch.Generator().manual_seed(7))
        w, ldj_pre = to_logit(u)
        z, ldj = model(w)
        loss = -(make_prior("laplace").log_prob(z) + ldj + ldj_pre).mean() / n_dims
    loss.backward()
    grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    return loss.detach(), grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bf16_gradients_are_close_to_float32_ones(seed):
    # Measured on this configuration (scale std 0.1, batch 8, seeds 0-2): relative error of
    # the whole gradient 0.7-1.3 %, of the loss 0.4e-4 to 4.2e-4.  Bounds with a margin of
    # about four: 5 % and 2e-3.  Autocast must really compute in bf16 (the loss is not the
    # float32 one to the bit) while weights and gradients stay float32.
    model = _flow(MID, seed, 0.1)
    x = torch.from_numpy(data(8, seed=seed, size=16))
    loss32, grad32 = _loss_and_grad(model, x, bf16=False)
    loss16, grad16 = _loss_and_grad(model, x, bf16=True)
    assert loss16.dtype == grad16.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not torch.equal(loss16, loss32) and not torch.equal(grad16, grad32)
    assert abs(float(loss16 - loss32)) <= 2e-3 * abs(float(loss32))
    assert float((grad16 - grad32).norm() / grad32.norm()) <= 0.05


def test_bf16_run_keeps_float32_weights_and_evaluates_in_float32(tmp_path):
    train_x, test_x = data(40), data(8, seed=1)
    history = train(train_x, test_x, SMALL, tmp_path / "bf16", epochs=2, precision="bf16",
                    **KW)
    state = load_checkpoint(tmp_path / "bf16" / CHECKPOINT)
    assert state["settings"]["precision"] == "bf16"
    assert all(v.dtype == torch.float32 for v in state["model"].values())
    assert all(v.dtype == torch.float32 for s in state["optimizer"]["state"].values()
               for k, v in s.items() if k != "step")
    model, law, _, _ = load_run(tmp_path / "bf16")
    # the logged test bits/dim are the float32 evaluation of the saved weights, to the bit
    assert history[-1]["test_bpd"] == evaluate(model, law, test_x, 64, seed=KW["seed"])
    plain = train(train_x, test_x, SMALL, tmp_path / "fp32", epochs=2, **KW)
    weights = load_checkpoint(tmp_path / "fp32" / CHECKPOINT)["model"]
    assert any(not torch.equal(state["model"][k], weights[k]) for k in weights)
    # another trajectory with nearly the same bits/dim (measured: 0.1e-6 to 6e-6 apart)
    for key in ("train_bpd", "test_bpd"):
        assert np.allclose([r[key] for r in history], [r[key] for r in plain], rtol=0,
                           atol=1e-4), key
    # resuming in another precision is refused: it is another training setting
    with pytest.raises(ValueError, match="settings"):
        train(train_x, test_x, SMALL, tmp_path / "bf16", epochs=3, resume=True, **KW)


def test_learning_rate_scaling_and_warmup(tmp_path, monkeypatch):
    assert train_module.scaled_lr(1e-3, 512, "sqrt") == pytest.approx(1e-3 * math.sqrt(8))
    assert train_module.scaled_lr(1e-3, 512, "linear") == pytest.approx(8e-3)
    assert train_module.scaled_lr(1e-3, 512, "none") == 1e-3
    assert train_module.scaled_lr(1e-3, 16, "sqrt") == pytest.approx(5e-4)
    seen = []
    original = train_module.adamw

    def recording(model, lr, weight_decay):
        opt = original(model, lr, weight_decay)
        step = opt.step

        def wrapped(*a, **k):
            seen.append(opt.param_groups[0]["lr"])
            return step(*a, **k)

        opt.step = wrapped
        return opt

    monkeypatch.setattr(train_module, "adamw", recording)
    kw = {**KW, "batch_size": 4}
    # 12 images, batch 4: 3 steps per epoch; 2 epochs, warm-up over 4 steps
    train(data(12), data(4, seed=1), SMALL, tmp_path / "a", epochs=2, lr=1e-3,
          lr_scale="sqrt", warmup_steps=4, **kw)
    base = 1e-3 * math.sqrt(4 / 64)
    assert seen == pytest.approx([base / 4, base / 2, 3 * base / 4, base, base, base],
                                 rel=1e-12)
    seen.clear()
    train(data(12), data(4, seed=1), SMALL, tmp_path / "b", epochs=2, lr=1e-3, **kw)
    assert seen == [1e-3] * 6
    # resumed: the warm-up continues where it stopped (the step is counted over epochs)
    seen.clear()
    train(data(12), data(4, seed=1), SMALL, tmp_path / "c", epochs=1, lr=1e-3,
          lr_scale="linear", warmup_steps=5, **kw)
    train(data(12), data(4, seed=1), SMALL, tmp_path / "c", epochs=2, lr=1e-3,
          lr_scale="linear", warmup_steps=5, resume=True, **kw)
    base = 1e-3 * 4 / 64
    assert seen == pytest.approx([base * k / 5 for k in (1, 2, 3, 4, 5)] + [base], rel=1e-12)


def test_time_budget_stops_after_the_last_epoch_that_fits(tmp_path, monkeypatch):
    clock = iter(range(0, 10_000, 10))  # every reading of the clock is 10 s later
    monkeypatch.setattr(train_module.time, "perf_counter", lambda: float(next(clock)))
    # one reading at the start (0 s), then four per epoch (its start, the loop's start and
    # end, its end): epoch 1 runs from 10 to 40 s and 40 + 30 <= 100 lets epoch 2 run, from
    # 50 to 80 s; 80 + 30 > 100 stops the run before a third epoch
    history = train(data(16), data(4, seed=1), SMALL, tmp_path / "a", epochs=5,
                    time_budget=100.0, **KW)
    assert [r["epoch"] for r in history] == [1, 2]
    assert load_checkpoint(tmp_path / "a" / CHECKPOINT)["epoch"] == 2
    clock = iter(range(0, 10_000, 10))
    history = train(data(16), data(4, seed=1), SMALL, tmp_path / "b", epochs=5,
                    time_budget=1e-6, **KW)
    assert [r["epoch"] for r in history] == [1]  # the first epoch always runs


def test_epoch_sync_reports_a_non_finite_loss_at_the_end_of_its_epoch(tmp_path, monkeypatch):
    def poisoned(self, z):
        return torch.full(z.shape[:1], float("nan"))

    monkeypatch.setattr(priors_module.Laplace, "log_prob", poisoned)
    with pytest.raises(FloatingPointError, match=r"epoch 1 \(2 steps.*last good checkpoint: "
                                                 r"none"):
        train(data(16), data(4, seed=1), SMALL, tmp_path, epoch_sync=True, **KW)
    assert not (tmp_path / CHECKPOINT).exists()


@pytest.mark.parametrize("kwargs, match", [
    (dict(precision="fp16"), "precision"),
    (dict(precision=None), "precision"),
    (dict(lr_scale="cube"), "lr_scale"),
    (dict(warmup_steps=-1), "warmup_steps"),
    (dict(warmup_steps=1.5), "warmup_steps"),
    (dict(time_budget=0.0), "time_budget"),
    (dict(time_budget=float("nan")), "time_budget"),
    (dict(time_budget="60"), "time_budget"),
    (dict(tf32="yes"), "tf32"),
    (dict(device_data=1), "device_data"),
    (dict(epoch_sync=None), "epoch_sync"),
    (dict(lr=0.2, lr_scale="linear", batch_size=512), "above 1"),
])
def test_bad_fast_path_options_are_refused_before_training(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(data(8), data(8), SMALL, tmp_path / "run", progress=False, **kwargs)
    assert not (tmp_path / "run").exists()


def _cli(out, *extra):
    return ["rgflow", "train", "--data", "msds1", "--preset", "quick", "--epochs", "1",
            "--batch", "4", "--n-train", "4", "--n-test", "4", "--out", str(out), *extra]


@pytest.fixture()
def fake_msds(monkeypatch):
    import rgnotes.rgflow.data as data_module

    monkeypatch.setattr(data_module, "load_dataset",
                        lambda name, split, *, root=None, n=None, seed=0, **_:
                        data(n or 8, seed=seed + (split == "test"), size=32))


@pytest.mark.parametrize("extra, match", [
    (["--precision", "fp16"], "precision"),
    (["--lr-scale", "cube"], "lr_scale"),
    (["--warmup", "-1"], "warmup_steps"),
    (["--time-budget", "0"], "time_budget"),
    (["--time-budget", "nan"], "time_budget"),
    (["--lr", "0.5", "--lr-scale", "linear", "--batch", "1024"], "above 1"),
])
def test_cli_bad_fast_path_options_are_one_error_line(tmp_path, fake_msds, capsys, extra,
                                                      match):
    assert main(_cli(tmp_path / "run", *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and match in err, err
    assert not (tmp_path / "run").exists()


def test_cli_runs_the_fast_path_on_a_cpu(tmp_path, fake_msds, capsys):
    argv = _cli(tmp_path / "run", "--precision", "bf16", "--tf32", "--device-data",
                "--epoch-sync", "--lr-scale", "sqrt", "--warmup", "2", "--time-budget",
                "600", "--no-progress")
    assert main(argv) == 0
    assert "epoch 1: train" in capsys.readouterr().out
    settings = load_checkpoint(tmp_path / "run" / CHECKPOINT)["settings"]
    assert (settings["precision"], settings["lr_scale"], settings["warmup_steps"]) == (
        "bf16", "sqrt", 2)



def test_msds_on_several_threads_and_without_the_cache_are_the_same_images(tmp_path,
                                                                           monkeypatch):
    from rgnotes.rgflow import msds
    from rgnotes.rgflow.data import load_dataset

    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "cache"))
    labels = msds.sample_labels("msds1", 50, 5)
    serial = msds.render(labels, chunk=7)
    np.testing.assert_array_equal(msds.render(labels, chunk=7, workers=3), serial)
    # the threaded renderer is still PIL's arithmetic
    np.testing.assert_array_equal(serial[:3], msds.render_pil(labels[:3]))
    fresh = load_dataset("msds1", "train", n=30, seed=2, workers=2, cached=False)
    assert not (tmp_path / "cache").exists()  # nothing written
    np.testing.assert_array_equal(fresh, load_dataset("msds1", "train", n=30, seed=2))
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="workers"):
            load_dataset("msds1", "train", n=30, seed=2, workers=bad)
    with pytest.raises(ValueError, match="workers"):
        msds.render(labels, workers=0)


def test_cli_bad_data_workers_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "cache"))
    assert main(_cli(tmp_path / "run", "--data-workers", "0")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "workers" in err, err
    assert not (tmp_path / "cache").exists() and not (tmp_path / "run").exists()
