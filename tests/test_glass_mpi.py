"""The glass simulator under ``mpirun -n 2``: every rank returns the same trajectory, rank 0
alone writes the cache and the checkpoints, and a run interrupted and resumed is bit for bit
the uninterrupted one for the same number of ranks."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MPIRUN = Path(sys.executable).with_name("mpirun")
pytestmark = pytest.mark.skipif(not MPIRUN.exists() and shutil.which("mpirun") is None,
                                reason="no mpirun")

SCRIPT = """
import sys
import numpy as np
from rgnotes.simulators import glass, glass_lammps

mode, out = sys.argv[1], sys.argv[2]
kw = dict(n_particles=250, seed=3, melt_time=0.5, equilibration_time=0.5, n_frames=6,
          dt_frame=0.1, chunk_steps=100, progress=False)

class Stop(Exception):
    pass

def stop(chunk):
    if chunk == 2:
        raise Stop

if mode == "interrupt":
    try:
        glass.simulate(1.0, on_chunk=stop, **kw)
    except Stop:
        sys.exit(0)
    sys.exit(3)
traj = glass.simulate(1.0, cache_result=mode != "nocache", **kw)
rank, size = glass_lammps.mpi_world()
np.save(f"{out}.rank{rank}.npy", traj.positions)
"""


def mpirun(tmp_path, cache, *args):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "RGNOTES_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    launcher = str(MPIRUN) if MPIRUN.exists() else "mpirun"
    result = subprocess.run([launcher, "-n", "2", sys.executable, str(script), *args],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_two_ranks_agree_write_once_and_resume_bit_for_bit(tmp_path):
    plain, resumed = tmp_path / "plain", tmp_path / "resumed"
    mpirun(tmp_path, plain, "nocache", str(tmp_path / "plain"))
    a0, a1 = (np.load(tmp_path / f"plain.rank{r}.npy") for r in (0, 1))
    assert a0.shape == (6, 250, 3) and np.array_equal(a0, a1)  # every rank, the same frames
    assert files(plain) == []  # no cache: the shared work folder is gone, nothing written

    mpirun(tmp_path, resumed, "interrupt", "-")
    written = files(resumed)
    assert len(written) == 1 and written[0].endswith(".checkpoint.npz")  # rank 0 only
    mpirun(tmp_path, resumed, "cache", str(tmp_path / "resumed"))
    b0, b1 = (np.load(tmp_path / f"resumed.rank{r}.npy") for r in (0, 1))
    assert np.array_equal(b0, a0) and np.array_equal(b1, a0)  # resumed = uninterrupted
    written = files(resumed)
    assert len(written) == 1 and not written[0].endswith(".checkpoint.npz")
    with np.load(resumed / written[0]) as npz:  # the rank count is part of the key
        assert json.loads(str(npz["__meta__"]))["mpi_ranks"] == 2


def test_mpi_world_outside_mpirun_and_from_the_environment(monkeypatch):
    from rgnotes.simulators import glass_lammps

    for var in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                "SLURM_PROCID", "SLURM_NTASKS"):
        monkeypatch.delenv(var, raising=False)
    assert glass_lammps.mpi_world() == (0, 1)
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert glass_lammps.mpi_world() == (3, 4)
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "4")
    with pytest.raises(RuntimeError, match="OMPI_COMM_WORLD_RANK=4"):
        glass_lammps.mpi_world()
