"""rgnotes.datasets: superposition against scipy, fluctuations against closed forms, the
trajectory reader on a small trajectory written here, pixel distances against a loop."""

from __future__ import annotations

import sys
import warnings
from itertools import combinations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from rgnotes import datasets


def rigid_motions(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each frame of ``x`` ``(frames, atoms, 3)`` rotated and moved at random."""
    rng = np.random.default_rng(seed)
    R = Rotation.random(x.shape[0], random_state=seed).as_matrix()  # (frames, 3, 3)
    return np.einsum("fij,faj->fai", R, x) + rng.normal(0, 5, (x.shape[0], 1, 3))


def test_superpose_undoes_rigid_motions_exactly():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(7, 3))
    moved = rigid_motions(np.broadcast_to(ref, (5, 7, 3)))
    np.testing.assert_allclose(datasets.superpose(moved, ref), np.broadcast_to(ref, (5, 7, 3)),
                               atol=1e-10)


@pytest.mark.parametrize("mirror", [False, True])
def test_superpose_reaches_scipys_least_squares_optimum(mirror):
    """scipy's align_vectors solves the same problem independently; a mirrored reference
    (whose best orthogonal map is a reflection) must still get a proper rotation."""
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(9, 3))
    frames = ref + rng.normal(0, 0.3, (4, 9, 3))
    if mirror:
        frames = frames * np.array([1.0, 1.0, -1.0])
    frames = rigid_motions(frames, seed=3)
    out = datasets.superpose(frames, ref)
    rc = ref - ref.mean(axis=0)
    for f, o in zip(frames, out, strict=True):
        rot, rssd = Rotation.align_vectors(rc, f - f.mean(axis=0))
        assert np.isclose(np.sqrt(np.sum((o - ref) ** 2)), rssd, rtol=1e-9)
        np.testing.assert_allclose(o - ref.mean(axis=0), rot.apply(f - f.mean(axis=0)),
                                   atol=1e-9)
        # a proper rotation of the frame: distances kept, handedness kept
        assert np.isclose(np.linalg.det(np.cov((o - o.mean(0)).T)),
                          np.linalg.det(np.cov((f - f.mean(0)).T)))
        a, b = f[1:4] - f[0], o[1:4] - o[0]
        assert np.sign(np.linalg.det(a)) == np.sign(np.linalg.det(b))


def test_fluctuations_of_a_rigid_body_are_zero():
    rng = np.random.default_rng(4)
    x = rigid_motions(np.broadcast_to(rng.normal(size=(6, 3)), (8, 6, 3)))
    d, _ = datasets.fluctuations(x)
    np.testing.assert_allclose(d, 0, atol=1e-9)


def test_fluctuations_of_a_breathing_tetrahedron():
    """Frames (1 + e) x and (1 - e) x of a regular tetrahedron (centred) in random rigid
    motions: the average is x, no rotation helps, every atom is e |x_i| from it."""
    x = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    eps = 0.1
    frames = rigid_motions(np.stack([(1 + eps) * x, (1 - eps) * x, (1 + eps) * x,
                                     (1 - eps) * x]), seed=5)
    d, average = datasets.fluctuations(frames)
    np.testing.assert_allclose(d, eps * np.sqrt(3), rtol=1e-8)
    # the average is the tetrahedron itself, up to a rigid motion: same pair distances
    pd = [np.linalg.norm(average[i] - average[j]) for i, j in combinations(range(4), 2)]
    np.testing.assert_allclose(pd, 2 * np.sqrt(2), rtol=1e-8)


def test_fluctuations_of_one_moving_atom_follow_its_displacement():
    """Ten atoms, one of them (index 0) displaced by +-a along a fixed direction in
    alternate frames: the displacement moves the least-squares fit too, by a known share.
    For frames x +- a e_0 u superposed on their average, the average is x (the two
    displacements cancel under the symmetric rigid fit), and atom 0 lies at distance
    a (1 - 1/N) in the fit without rotation; the rotation shortens it further, which the
    exact check on the translation-only geometry bounds from above."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(10, 3)) * 3
    u = np.array([0.0, 0.0, 1.0])
    a = 0.2
    frames = np.stack([x, x, x, x])
    frames[0::2, 0] += a * u
    frames[1::2, 0] -= a * u
    d, _ = datasets.fluctuations(rigid_motions(frames, seed=7))
    assert np.all(d[:, 0] <= a * (1 - 1 / 10) + 1e-9)  # a rotation can only lower the fit
    assert np.all(d[:, 0] > 0.5 * a)
    assert np.all(d[:, 1:] < d[:, :1])  # the others move only by the fit's share
    np.testing.assert_allclose(d[0], d[1], rtol=1e-6)  # +a and -a: the same distances


@pytest.mark.parametrize("bad", [np.zeros((3, 4)), np.zeros((3, 4, 2)), np.zeros((0, 4, 3)),
                                 np.full((2, 4, 3), np.nan), np.zeros((2, 2, 3))])
def test_fluctuations_bad_positions(bad):
    with pytest.raises(ValueError, match="positions"):
        datasets.fluctuations(bad)


@pytest.mark.parametrize("rounds", [0, -1, 1.5, True, "3"])
def test_fluctuations_bad_rounds(rounds):
    with pytest.raises(ValueError, match="max_rounds"):
        datasets.fluctuations(np.random.default_rng(0).normal(size=(3, 4, 3)), rounds)


def test_superpose_reference_shape():
    x = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match="reference"):
        datasets.superpose(x, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="reference"):
        datasets.superpose(x, np.full((4, 3), np.inf))


@pytest.fixture
def tiny_trajectory(tmp_path):
    """Three residues of two atoms (N, CA), four frames of known coordinates, written as a
    PDB topology and a DCD trajectory by MDAnalysis."""
    mda = pytest.importorskip("MDAnalysis")
    u = mda.Universe.empty(6, n_residues=3, atom_resindex=[0, 0, 1, 1, 2, 2],
                           trajectory=True)
    u.add_TopologyAttr("name", ["N", "CA"] * 3)
    u.add_TopologyAttr("resname", ["ALA", "GLY", "SER"])
    u.add_TopologyAttr("resid", [5, 6, 8])
    coords = np.random.default_rng(8).uniform(0, 20, (4, 6, 3)).astype(np.float32)
    pdb, dcd = tmp_path / "tiny.pdb", tmp_path / "tiny.dcd"
    u.atoms.positions = coords[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.write(pdb)
        with mda.Writer(str(dcd), n_atoms=6) as w:
            for frame in coords:
                u.atoms.positions = frame
                w.write(u.atoms)
    return pdb, dcd, coords


def test_ca_positions_reads_every_frame(tiny_trajectory):
    pdb, dcd, coords = tiny_trajectory
    positions, resids = datasets.ca_positions(pdb, dcd)
    assert positions.shape == (4, 3, 3) and positions.dtype == np.float64
    np.testing.assert_allclose(positions, coords[:, 1::2], atol=1e-4)
    np.testing.assert_array_equal(resids, [5, 6, 8])
    n_atoms, _ = datasets.ca_positions(pdb, dcd, "name N")
    np.testing.assert_allclose(n_atoms, coords[:, 0::2], atol=1e-4)


def test_ca_positions_bad_input(tiny_trajectory, tmp_path):
    pdb, dcd, _ = tiny_trajectory
    with pytest.raises(ValueError, match="selection 'name CB' matches no atom"):
        datasets.ca_positions(pdb, dcd, "name CB")
    with pytest.raises(ValueError, match="selection must be"):
        datasets.ca_positions(pdb, dcd, " ")
    with pytest.raises(ValueError, match="trajectory file .*missing.dcd does not exist"):
        datasets.ca_positions(pdb, tmp_path / "missing.dcd")
    (tmp_path / "garbage.dcd").write_bytes(b"not a trajectory")
    with pytest.raises(ValueError, match="cannot be read"):
        datasets.ca_positions(pdb, tmp_path / "garbage.dcd")


@pytest.mark.parametrize("module, call", [
    ("MDAnalysis", lambda: datasets.ca_positions("a.psf", "a.dcd")),
    ("MDAnalysisTests.datafiles", datasets.adk_files),
    ("sklearn.datasets", datasets.digits),
])
def test_missing_extra_is_named(monkeypatch, module, call):
    monkeypatch.setitem(sys.modules, module, None)  # import of it raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'rgnotes\[datasets\]'"):
        call()


def test_adk_files_are_the_closed_to_open_transition():
    """The shipped trajectory ends at the open structure (adk_open.crd, also shipped) and
    starts far from it; 214 C-alpha atoms in 98 frames."""
    files = pytest.importorskip("MDAnalysisTests.datafiles")
    psf, dcd = datasets.adk_files()
    assert psf.endswith("adk.psf") and dcd.endswith("adk_dims.dcd")
    positions, resids = datasets.ca_positions(psf, dcd)
    assert positions.shape == (98, 214, 3) and resids.tolist() == list(range(1, 215))
    open_structure = datasets.ca_positions(psf, files.CRD)[0][0]
    fitted = datasets.superpose(positions[[0, -1]], open_structure)
    rmsd = np.sqrt(np.mean(np.sum((fitted - open_structure) ** 2, axis=2), axis=1))
    assert rmsd[0] > 5 and rmsd[1] < 1


def test_digits():
    pytest.importorskip("sklearn")
    images, target, shape = datasets.digits()
    assert images.shape == (1797, 64) and target.shape == (1797,) and shape == (8, 8)
    assert images.min() == 0 and images.max() == 16 and np.all(images == np.round(images))
    assert set(np.unique(target)) == set(range(10))
    assert not images[:, 0].any()  # the top-left corner is never written on


def test_grid_distance_against_a_loop():
    shape = (3, 4)
    kept = np.array([0, 2, 3, 5, 6, 7, 9, 11])  # pixels (row, col) = divmod(p, 4)
    pairs = np.array(list(combinations(range(kept.size), 2)) + [(4, 4)])
    out = datasets.grid_distance(pairs, shape, kept)
    for (i, j), dist in zip(pairs, out, strict=True):
        if i == j:
            assert np.isnan(dist)
            continue
        (ri, ci), (rj, cj) = divmod(int(kept[i]), 4), divmod(int(kept[j]), 4)
        assert dist == pytest.approx(((ri - rj) ** 2 + (ci - cj) ** 2) ** 0.5)
    assert datasets.grid_distance(np.array([[0, 1], [0, 4], [0, 5]]), (2, 4)).tolist() == \
        [1.0, 1.0, pytest.approx(2 ** 0.5)]


@pytest.mark.parametrize("pairs, shape, kept, match", [
    (np.array([[0, 1]]), (8,), None, "shape"),
    (np.array([[0, 1]]), (2, 0), None, "shape"),
    (np.array([[0, 1]]), [2, 2], None, "shape"),
    (np.array([[0, 4]]), (2, 2), None, "outside"),
    (np.array([[0, -1]]), (2, 2), None, "outside"),
    (np.array([[0.0, 1.0]]), (2, 2), None, "integer"),
    (np.array([0, 1]), (2, 2), None, "shape"),
    (np.array([[0, 1]]), (2, 2), np.array([0, 0]), "distinct"),
    (np.array([[0, 1]]), (2, 2), np.array([0, 4]), "distinct"),
])
def test_grid_distance_bad_input(pairs, shape, kept, match):
    with pytest.raises(ValueError, match=match):
        datasets.grid_distance(pairs, shape, kept)


def test_touching_fraction_counts_sides_and_corners_and_skips_carried():
    # on a 3 x 3 grid: side (0, 1), corner (0, 4), two apart (0, 2), carried (8, 8)
    pairs = np.array([[0, 1], [0, 4], [0, 2], [8, 8]])
    assert datasets.touching_fraction(pairs, (3, 3)) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no pair"):
        datasets.touching_fraction(np.array([[3, 3]]), (3, 3))
