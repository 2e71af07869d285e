"""RG-Flow (Hu et al.): a hierarchical normalizing flow on images, its data sets and metrics.

Modules are imported explicitly (``from rgnotes.rgflow.data import load_dataset``);
nothing is imported here.
"""
