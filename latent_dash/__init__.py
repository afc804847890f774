"""latent-dash: interactive, linked exploration of the latent spaces of deep neural networks."""

__version__ = "0.1.0"
