"""benchmarks/bench_prg_toolbox.py: its data, the comparison of pairings and the exact
arithmetic that tells a tie from a real difference, checked on our side. The comparison with
prg_toolbox itself runs at N = 64 only where ``RGNOTES_PRG_TOOLBOX`` names a checkout."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_prg_toolbox as bench  # noqa: E402

CHECKOUT = os.environ.get("RGNOTES_PRG_TOOLBOX")


# ---- the data -------------------------------------------------------------------------------

def test_binary_field_is_binary_at_the_rate_and_seeded():
    x = bench.binary_field(64, 256, seed=3)
    assert x.shape == (256, 64) and set(np.unique(x).tolist()) == {0, 1}
    assert x.mean() == pytest.approx(bench.RATE, abs=1 / x.size)
    assert np.array_equal(x, bench.binary_field(64, 256, seed=3))
    assert not np.array_equal(x, bench.binary_field(64, 256, seed=4))


def test_binary_field_sites_are_shuffled():
    # on the lattice, flat neighbours i, i + 1 are mostly lattice neighbours: strongly
    # correlated. Shuffled, consecutive columns correlate like any two columns.
    x = bench.binary_field(256, 4096, seed=0).astype(float)
    r = np.corrcoef(x.T)
    consecutive = np.mean(np.diag(r, 1))
    anywhere = (r.sum() - 256) / (256 * 255)
    strongest = np.mean(np.sort(r - np.eye(256), axis=1)[:, -4:])  # the 4 lattice neighbours
    assert consecutive < anywhere + 0.25 * (strongest - anywhere)


@pytest.mark.parametrize("bad", [1, 2.5, True, "64"])
def test_binary_field_refuses_a_bad_size(bad):
    with pytest.raises(ValueError, match="n_variables"):
        bench.binary_field(bad, 16)
    with pytest.raises(ValueError, match="n_samples"):
        bench.binary_field(16, bad)


# ---- comparing pairings ---------------------------------------------------------------------

def test_same_fraction_of_a_pairing_with_itself_is_one():
    p = np.random.default_rng(0).permutation(16).reshape(8, 2)
    assert bench.same_fraction(p, p) == 1.0
    # the order of the pairs and of their members does not matter
    assert bench.same_fraction(p, p[::-1, ::-1]) == 1.0


def test_same_fraction_counts_the_shared_pairs():
    a = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    b = np.array([[3, 2], [1, 0], [4, 6], [5, 7]])
    assert bench.same_fraction(a, b) == 0.5
    rng = np.random.default_rng(1)
    for _ in range(20):  # against a count by sorted tuples
        x = rng.permutation(12).reshape(6, 2)
        y = x[rng.permutation(6)][:, ::-1]  # the same partition, in another order
        y = np.concatenate([y[:3], rng.permutation(y[3:].ravel()).reshape(3, 2)])  # rematched
        shared = {tuple(sorted(r)) for r in x.tolist()} & {tuple(sorted(r)) for r in y.tolist()}
        assert bench.same_fraction(x, y) == len(shared) / 6


def test_same_fraction_of_clusters_and_bad_input():
    a = [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert bench.same_fraction(a, [[7, 6, 5, 4], [3, 2, 1, 0]]) == 1.0
    assert bench.same_fraction(a, [[0, 1, 2, 4], [3, 5, 6, 7]]) == 0.0
    with pytest.raises(ValueError, match="same, non-zero number"):
        bench.same_fraction(a, [[0, 1, 2, 3, 4, 5, 6, 7]])
    with pytest.raises(ValueError, match="repeat"):
        bench.same_fraction([[0, 1], [1, 0]], [[0, 1], [2, 3]])


def test_local_pairs_recovers_the_merges():
    below = [[4], [1], [0], [3], [2], [5]]
    above = [[0, 5], [3, 1], [4, 2]]
    assert bench.local_pairs(below, above).tolist() == [[2, 5], [1, 3], [0, 4]]
    bigger = bench.local_pairs([[0, 1], [2, 3], [4, 5], [6, 7]], [[7, 0, 6, 1], [2, 3, 4, 5]])
    assert bigger.tolist() == [[0, 3], [1, 2]]
    with pytest.raises(ValueError, match="not the union of two"):
        bench.local_pairs([[0, 1], [2, 3]], [[0, 2], [1, 3]])


# ---- exact correlations ---------------------------------------------------------------------

def test_exact_correlation_matches_numpy():
    V = np.random.default_rng(2).integers(0, 5, (200, 6))
    r = np.corrcoef(V.T)
    for a in range(6):
        for b in range(6):
            assert bench._float(bench.exact_correlation(V, a, b)) == pytest.approx(r[a, b],
                                                                                  abs=1e-12)
    with pytest.raises(ValueError, match="constant"):
        bench.exact_correlation(np.c_[V[:, :1], np.ones(200, int)], 0, 1)


def test_compare_exact_orders_correlations_of_either_sign():
    V = np.random.default_rng(3).integers(0, 3, (300, 5))
    V[:, 1] = V[:, 0] + (V[:, 1] > 1)  # strongly positive with 0
    V[:, 2] = -V[:, 0] + V[:, 2]  # negative with 0
    r = np.corrcoef(V.T)
    pairs = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    exact = {p: bench.exact_correlation(V, *p) for p in pairs}
    for p in pairs:
        for q in pairs:
            assert bench.compare_exact(exact[p], exact[q]) == np.sign(r[p] - r[q]) or \
                abs(r[p] - r[q]) < 1e-12


def test_compare_exact_sees_a_tie_that_rounding_hides():
    # (x, y) and the same samples in another order: exactly the same correlation, computed
    # by float sums in another order
    rng = np.random.default_rng(4)
    x, y = rng.integers(0, 7, 999), rng.integers(0, 7, 999)
    order = rng.permutation(999)
    V = np.c_[x, y, x[order], y[order]]
    assert bench.compare_exact(bench.exact_correlation(V, 0, 1),
                               bench.exact_correlation(V, 2, 3)) == 0


# ---- where two greedy pairings part ---------------------------------------------------------

# corr(0, 1) == corr(0, 2) exactly (two ones each, one shared with column 0), the largest
# correlation; every other pair is negatively correlated
TIED = np.array([[1, 1, 0, 0, 1, 0, 0, 0],
                 [1, 0, 1, 0, 0, 0, 0, 0],
                 [0, 1, 0, 1, 0, 0, 0, 0],
                 [0, 0, 0, 0, 0, 1, 1, 0]]).T


def test_first_divergence_of_the_same_pairs_is_none():
    p = np.array([[0, 1], [2, 3]])
    assert bench.first_divergence(TIED, p, p[::-1, ::-1]) is None


def test_first_divergence_finds_an_exact_tie():
    div = bench.first_divergence(TIED, np.array([[0, 1], [2, 3]]), np.array([[0, 2], [1, 3]]))
    assert div["verdict"] == "exact tie" and div["step"] == 0
    assert div["greedy_pair"] == [0, 1] and div["other_pair"] == [0, 2]
    assert div["greedy_r"] == pytest.approx(np.corrcoef(TIED.T)[0, 1], abs=1e-15)


def test_first_divergence_blames_the_pairing_that_missed_the_largest():
    greedy, worse = np.array([[0, 1], [2, 3]]), np.array([[0, 3], [1, 2]])
    assert bench.first_divergence(TIED, greedy, worse)["verdict"] == "pairs off"
    assert bench.first_divergence(TIED, worse, greedy)["verdict"] == "greedy_order off"


def test_hierarchy_divergence_names_the_level():
    sums = [TIED.T.astype(float)]
    theirs = [[[0], [1], [2], [3]], [np.array([0, 1]), np.array([2, 3])]]
    ours = [[[0], [1], [2], [3]], [np.array([0, 2]), np.array([1, 3])]]
    div = bench.hierarchy_divergence(sums, theirs, ours)
    assert div["level"] == 1 and div["verdict"] == "exact tie"
    assert bench.hierarchy_divergence(sums, theirs, theirs) is None


def test_raw_sum_hierarchy_merges_raw_sums():
    X = bench.binary_field(16, 64, seed=1).astype(float)
    clusters = bench.raw_sum_hierarchy(X, 4)
    assert [len(c) for c in clusters] == [16, 8, 4, 2, 1]
    assert sorted(clusters[-1][0].tolist()) == list(range(16))
    from rgnotes.coarse import pair

    first = pair(X, "correlation")
    assert bench.same_fraction(clusters[1], first) == 1.0
    sums = X[:, first[:, 0]] + X[:, first[:, 1]]
    assert bench.same_fraction(bench.local_pairs(clusters[1], clusters[2]),
                               pair(sums, "correlation")) == 1.0


def test_load_prg_toolbox_refuses_a_folder_without_it(tmp_path):
    with pytest.raises(ValueError, match="--prg-toolbox"):
        bench.load_prg_toolbox(tmp_path)


# ---- the comparison itself, with a checkout -------------------------------------------------

@pytest.mark.skipif(not CHECKOUT, reason="RGNOTES_PRG_TOOLBOX names no prg_toolbox checkout")
def test_comparison_with_prg_toolbox_at_n64(tmp_path, capsys):
    prg = bench.load_prg_toolbox(CHECKOUT)
    r = bench.compare(prg, 64, levels=5, repeats=1, their_repeats=1, log=lambda s: None)
    assert r["level1_alone_equals_hierarchy"] == 1.0
    # the same greedy rule: where the pairs part, it is at an exact tie
    for div in [r["level1_divergence"], r["raw_sum_hierarchy_divergence"]] + \
            [lv["divergence"] for lv in r["same_input"]]:
        assert div is None or div["verdict"] == "exact tie", div
    assert r["native_equals_refilled"]
    X = bench.binary_field(64, 128, 0).astype(float)
    for clusters in r["measures"].values():
        ag = clusters["agreement"]  # same definitions, same numbers
        assert ag["M2_rel"] < 1e-12 and ag["P0_rel"] < 1e-12
        assert ag["alpha_abs"] < 1e-10 and ag["beta_abs"] < 1e-10
        # covariance = D^1/2 R D^1/2: its top eigenvalue over R's lies between the extreme
        # site variances
        v = X.var(axis=0, ddof=1)
        assert v.min() <= ag["eigen_ratio_min"] <= ag["eigen_ratio_max"] <= v.max()
    out = tmp_path / "r.json"
    bench.main(["--prg-toolbox", CHECKOUT, "--sizes", "64", "--levels", "5", "--repeats",
                "1", "--json", str(out)])
    assert json.loads(out.read_text())["results"][0]["N"] == 64
    assert "same L1" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [48, 2, 0])
def test_compare_refuses_a_size_that_is_not_a_power_of_two(bad):
    with pytest.raises(ValueError, match="n_variables must be a power of 2"):
        bench.compare(None, bad)


def test_main_refuses_a_json_path_in_a_missing_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--prg-toolbox", str(tmp_path), "--json", str(tmp_path / "no" / "r.json")])
    assert "--json" in capsys.readouterr().err


def test_write_json_replaces_the_file_whole(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    bench.write_json(out, {"a": [1, 2]})
    assert json.loads(out.read_text()) == {"a": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left
    with pytest.raises(TypeError):
        bench.write_json(out, {"a": object()})
    assert json.loads(out.read_text()) == {"a": [1, 2]}  # a failed write leaves it as it was
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
