"""RG-Flow (Hu et al.): a hierarchical normalizing flow on images, its data sets and metrics.

Modules are imported explicitly (``from rgnotes.rgflow.data import load_dataset``);
nothing is imported here.  The flow: :mod:`~rgnotes.rgflow.layers` (Swish,
weight-normalised residual MLPs, RealNVP couplings), :mod:`~rgnotes.rgflow.model` (the
MERA-shaped flow and its presets), :mod:`~rgnotes.rgflow.priors`,
:mod:`~rgnotes.rgflow.preprocess` (dequantisation, logit, bits per dimension),
:mod:`~rgnotes.rgflow.train` (training loop, checkpoints),
:mod:`~rgnotes.rgflow.speed` (throughput and its matrix-product floor) and
:mod:`~rgnotes.rgflow.receptive` (receptive fields of latents).
"""
