"""Regenerate ``fid_inception_features.npz``: pytorch-fid's pool3 features of seeded images
with the synthetic weights of :mod:`tests.references.fid_inception`.

pytorch-fid is not a dependency of rgnotes and must not enter its environment. It was
installed outside the project, without dependencies (no torch, no nvidia packages)::

    pip download --no-deps -d /tmp/fiddl pytorch-fid==0.3.0 torchvision==0.28.0
    pip install --no-deps --no-index --target /tmp/fidpkgs /tmp/fiddl/*.whl
    cd <repo> && OMP_NUM_THREADS=1 PYTHONPATH=$PWD:/tmp/fidpkgs .venv/bin/python \\
        tests/references/make_fid_inception_reference.py

torchvision 0.28.0 is the release built against torch 2.13.0 (the project's torch); only
its CUDA wheel exists, whose C extension does not load on the CPU torch. pytorch-fid only
needs torchvision's pure-Python Inception-v3, so the module registering fake kernels for
the C operators (``torchvision._meta_registrations``, which fails without them) is replaced
by an empty module before importing torchvision. Nothing else is patched apart from the
weights download: ``pytorch_fid.inception.load_state_dict_from_url`` returns the synthetic
state dict built from the keys and shapes of pytorch-fid's own network, which pytorch-fid
then loads strictly. The features are ``InceptionV3([3], resize_input=True,
normalize_input=True)`` in eval mode applied to ``uint8 / 255`` images, exactly as
``pytorch_fid.fid_score`` feeds them.
"""

from __future__ import annotations

import sys
import types

import numpy as np


def main() -> None:
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    import pytorch_fid
    import pytorch_fid.inception as pfi
    import torch
    import torchvision

    from tests.references.fid_inception import (
        FIXTURE,
        IMAGE_SETS,
        seeded_images,
        structure_digest,
        summarize,
        synthetic_state_dict,
    )

    torch.set_num_threads(1)
    layout = {}

    def synthetic_download(url, *args, **kwargs):
        # called inside pytorch_fid.inception.fid_inception_v3, whose local ``inception``
        # is the freshly built network that the returned dict is loaded into
        net = sys._getframe(1).f_locals["inception"]
        layout["digest"] = structure_digest(net.state_dict())
        return synthetic_state_dict(net.state_dict())

    pfi.load_state_dict_from_url = synthetic_download
    model = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True,
                            normalize_input=True).eval()
    arrays = {
        "structure_digest": np.array(layout["digest"]),
        "versions": np.array(f"pytorch-fid {pytorch_fid.__version__}, torchvision "
                             f"{torchvision.__version__}, torch {torch.__version__}"),
        "image_sets": np.array([[h, w, n] for (h, w), n in IMAGE_SETS]),
    }
    for i, imgs in enumerate(seeded_images()):
        with torch.no_grad():
            feats = model(torch.from_numpy(imgs.astype(np.float32) / 255.0))[0]
        feats = feats.reshape(imgs.shape[0], -1).double().numpy()
        for name, value in summarize(feats).items():
            arrays[f"{name}_{i}"] = value
        print(imgs.shape, "norms", np.round(arrays[f"norm_{i}"], 4))
    np.savez_compressed(FIXTURE, **arrays)
    print("wrote", FIXTURE, arrays["versions"], arrays["structure_digest"])


if __name__ == "__main__":
    main()
