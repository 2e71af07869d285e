"""Fréchet distance against closed forms and scipy; the FID Inception network's structure,
its features against pytorch-fid's (stored, same synthetic weights), and the rule that FID
needs the local pytorch-fid weights."""

import numpy as np
import pytest
import scipy.linalg

from rgnotes.rgflow.fid import (
    FIDUnavailable,
    fid,
    frechet_distance,
    frechet_distance_features,
    gaussian_stats,
    inception_features,
    load_inception,
)
from tests.references.fid_inception import (
    FIXTURE,
    seeded_images,
    structure_digest,
    summarize,
    synthetic_state_dict,
)


def test_one_dimensional_closed_form():
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2
    d = frechet_distance([1.5], [[4.0]], [-0.5], [[0.25]])
    assert d == pytest.approx((1.5 + 0.5) ** 2 + (2.0 - 0.5) ** 2, rel=1e-12)


def test_diagonal_and_commuting_closed_forms():
    rng = np.random.default_rng(0)
    a, b = rng.random(6) * 3, rng.random(6) * 3
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-10)
    # S2 = c S1 commute: tr S1 (1 - sqrt c)^2
    q = rng.normal(size=(6, 6))
    s1 = q @ q.T
    c = 2.7
    want = np.trace(s1) * (1 - np.sqrt(c)) ** 2
    assert frechet_distance(mu1, s1, mu1, c * s1) == pytest.approx(want, rel=1e-9)


def test_random_non_commuting_against_scipy_sqrtm():
    rng = np.random.default_rng(1)
    d = 20
    x, y = rng.normal(size=(d, d)), rng.normal(size=(d, d + 5))
    s1, s2 = x @ x.T / d, y @ y.T / d
    assert np.linalg.norm(s1 @ s2 - s2 @ s1) > 1  # they do not commute
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    covmean = scipy.linalg.sqrtm(s1 @ s2)  # same trace as (S1^1/2 S2 S1^1/2)^1/2
    want = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean.real)
    got = frechet_distance(mu1, s1, mu2, s2)
    assert got == pytest.approx(want, rel=1e-8)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(got, rel=1e-8)


def test_singular_covariances():
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(5, 30))  # 5 samples in 30 dimensions: rank 4
    mu, s = gaussian_stats(feats)
    assert np.linalg.matrix_rank(s) == 4
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-8 * np.trace(s)
    shift = rng.normal(size=30)
    assert frechet_distance(mu, s, mu + shift, s) == pytest.approx(shift @ shift, rel=1e-7)
    # a zero covariance against S: tr S
    assert frechet_distance(mu, np.zeros((30, 30)), mu, s) == pytest.approx(np.trace(s))


@pytest.mark.parametrize("na, nb", [(7, 12), (40, 60)])
def test_features_route_equals_covariance_route(na, nb):
    # (7, 12) in 30 dims takes the low-rank nuclear-norm route, (40, 60) the (d, d) one
    rng = np.random.default_rng(na)
    mix = rng.normal(size=(30, 30))
    fa = rng.normal(size=(na, 30)) @ mix
    fb = rng.normal(size=(nb, 30)) @ mix.T + 0.3
    want = frechet_distance(*gaussian_stats(fa), *gaussian_stats(fb))
    assert frechet_distance_features(fa, fb) == pytest.approx(want, rel=1e-9)
    assert abs(frechet_distance_features(fa, fa)) < 1e-9 * np.trace(np.cov(fa.T))
    with pytest.raises(ValueError, match="dimension"):
        frechet_distance_features(fa, fb[:, :5])


def test_gaussian_stats_and_bad_input():
    x = np.random.default_rng(3).normal(size=(50, 4))
    mu, s = gaussian_stats(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(s, np.cov(x.T))
    with pytest.raises(ValueError, match="n >= 2"):
        gaussian_stats(x[:1])
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance([np.nan], [[1.0]], [0.0], [[1.0]])
    with pytest.raises(ValueError, match="equal length"):
        frechet_distance([0.0, 1.0], np.eye(2), [0.0], [[1.0]])
    with pytest.raises(ValueError, match="symmetric"):
        frechet_distance([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], np.eye(2))


def test_fid_without_weights_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("RGNOTES_FID_WEIGHTS", raising=False)
    imgs = np.zeros((4, 3, 32, 32), dtype=np.uint8)
    with pytest.raises(FIDUnavailable, match="RGNOTES_FID_WEIGHTS"):
        fid(imgs, imgs)
    with pytest.raises(FIDUnavailable, match="does not exist"):
        fid(imgs, imgs, weights=tmp_path / "pt_inception-2015-12-05-6726825d.pth")
    assert issubclass(FIDUnavailable, RuntimeError)


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory, one_torch_thread):
    """A weights file in pytorch-fid's format made from our randomly initialised network
    (the real file is not available here)."""
    import torch

    from rgnotes.rgflow.inception import FIDInceptionV3

    torch.manual_seed(0)
    net = FIDInceptionV3()
    state = {k: v for k, v in net.state_dict().items() if "num_batches_tracked" not in k}
    path = tmp_path_factory.mktemp("fid") / "weights.pth"
    torch.save(state, path)
    return net, state, path


def test_inception_structure_and_state_dict_round_trip(random_weights):
    import torch

    net, state, path = random_weights
    # torchvision's inception_v3 with aux logits has 27,161,264 parameters; without the
    # aux head (3,326,696) and with 1008 classes (+8 * 2049): 23,850,960
    assert sum(p.numel() for p in net.parameters()) == 23_850_960
    assert "Mixed_7c.branch3x3dbl_3b.bn.running_var" in state
    assert state["fc.weight"].shape == (1008, 2048)
    loaded = load_inception(path)
    assert not loaded.training
    for k, v in loaded.state_dict().items():
        if k in state:
            assert torch.equal(v, state[k])
    imgs = np.random.default_rng(4).integers(0, 256, size=(2, 3, 32, 32), dtype=np.uint8)
    feats = inception_features(imgs, loaded, batch_size=1)
    assert feats.shape == (2, 2048) and np.all(np.isfinite(feats)) and feats.min() >= 0
    # the 32 -> 299 resize is pytorch-fid's bilinear, align_corners=False
    x = torch.from_numpy(imgs[:1].astype(np.float32) / 255)
    big = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear",
                                          align_corners=False)
    with torch.no_grad():
        direct = loaded.features(2 * big - 1).double().numpy()
    np.testing.assert_allclose(feats[:1], direct, rtol=1e-5, atol=1e-6)


def test_fid_end_to_end_with_a_weights_file(random_weights):
    _, _, path = random_weights
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    b = rng.integers(0, 256, size=(4, 3, 32, 32), dtype=np.uint8) // 2  # darker images
    net = load_inception(path)
    fa, fb = inception_features(a, net), inception_features(b, net)
    # FID is the Frechet distance of the fitted Gaussians of the two feature sets (the
    # feature-space formula is checked against the d x d matrix square root above)
    want = frechet_distance_features(fa, fb)
    assert want > 1e-3 * np.trace(np.cov(fa.T))  # far from zero: the sets differ
    assert fid(a, b, weights=path, batch_size=2) == pytest.approx(want, rel=1e-6)
    # identical sets: zero to rounding, although the 3-sample covariance (rank 2 in 2048
    # dimensions) is singular
    assert abs(fid(a, a, weights=path)) < 1e-9 * np.trace(np.cov(fa.T))


def test_inception_features_match_pytorch_fid(one_torch_thread):
    """Same synthetic weights, same seeded uint8 images (32x32, 45x24 and 299x299): our
    features against pytorch-fid 0.3.0's ``InceptionV3([3])`` (resize and normalize on),
    stored by tests/references/make_fid_inception_reference.py. There they agreed bit for
    bit. Tolerance: float32 against float64 evaluation of the same network differs by
    3e-7 of the largest feature, so 1e-5 of it leaves ~30x room for other CPUs' kernels,
    while a wrong pooling, resize mode, BN eps or input scaling (even /256 for /255)
    changes features by 2e-3 to 0.3 of the largest one."""
    from rgnotes.rgflow.inception import FIDInceptionV3

    ref = np.load(FIXTURE)
    net = FIDInceptionV3()
    # same parameter names and shapes as pytorch-fid's network (the real weights file's)
    assert structure_digest(net.state_dict()) == str(ref["structure_digest"])
    net.load_state_dict(synthetic_state_dict(net.state_dict()), strict=True)
    net.eval()
    for i, imgs in enumerate(seeded_images()):
        assert imgs.shape[0] == ref["image_sets"][i][2]
        got = summarize(inception_features(imgs, net, batch_size=2))
        scale = np.abs(ref[f"subset_{i}"]).max()
        for name, value in got.items():
            np.testing.assert_allclose(value, ref[f"{name}_{i}"], rtol=1e-5,
                                       atol=1e-5 * scale, err_msg=f"{name} of set {i}")
