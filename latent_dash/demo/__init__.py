"""Demo data for latent-dash: real autoencoders trained on digits and simulated implosions.

Built on first use (about a minute on two cores) into a git-ignored cache
folder, so the repository ships the recipe rather than hundreds of megabytes.
"""

from latent_dash.demo.build import (
    DEMOS,
    LATENT_SIZES,
    build_demo,
    demo_root,
    ensure_demos,
    is_built,
)

__all__ = ["DEMOS", "LATENT_SIZES", "build_demo", "demo_root", "ensure_demos", "is_built"]
