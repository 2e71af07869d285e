"""rgnotes: renormalization-group-motivated learning.

Subpackages and modules (import what you need; nothing heavy is imported here):

- ``rgnotes.ising_chain``  the 1D Ising chain solved exactly (transfer matrix, decimation)
- ``rgnotes.coarse``       coarse-graining of data by pairing variables
- ``rgnotes.simulators``   data sources (Gaussian lattice fields, ...)
- ``rgnotes.cache``        atomic, validated on-disk cache of generated arrays
- ``rgnotes.profiles``     the ``quick``/``full`` parameter sets of the book's chapters
"""

__version__ = "0.1.0"
