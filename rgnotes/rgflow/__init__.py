"""RG-Flow (Hu et al. 2022): a MERA-shaped normalising flow on images.

Modules: :mod:`~rgnotes.rgflow.layers` (Swish, weight-normalised residual MLPs,
RealNVP couplings), :mod:`~rgnotes.rgflow.model` (the hierarchical flow and its
presets), :mod:`~rgnotes.rgflow.priors`, :mod:`~rgnotes.rgflow.preprocess`
(dequantisation, logit, bits per dimension), :mod:`~rgnotes.rgflow.train`
(training loop, checkpoints, throughput) and :mod:`~rgnotes.rgflow.receptive`
(receptive fields of latents).
"""
