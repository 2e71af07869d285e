"""Generative models as transport towards a Gaussian, each checked against an exact result.

- ``toy_data``   the toy data: Gaussian mixtures (ring of Gaussians) with exact log-density,
                 samples of a single Gaussian
- ``flows``      a small RealNVP (affine coupling layers with alternating masks)
- ``diffusion``  Ornstein-Uhlenbeck noising, denoising score matching, reverse-time sampling
- ``ebm``        Gaussian energy-based model trained by contrastive (data minus model) gradients
- ``gan``        GAN discriminator on fixed 1D densities, the optimal discriminator, JSD
- ``gan2d``      a full 2D GAN, the minibatch-std remedy for mode collapse, mode coverage
- ``kernels``    infinite-width kernel recursion of deep networks, order-to-chaos line
- ``annealing``  Ising energies, exact ground states by enumeration, simulated annealing
- ``figures``    the chapter's figures, drawn from the results of the modules above

Modules that use torch import it themselves; importing this package imports nothing heavy.
"""
