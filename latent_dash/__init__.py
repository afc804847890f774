"""latent-dash: interactive, linked exploration of the latent spaces of deep neural networks."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["DataError", "Explorer"]


def __getattr__(name: str) -> Any:
    """`from latent_dash import Explorer` imports the Python API only when it is asked for."""
    if name in __all__:
        from latent_dash import api

        return getattr(api, name)
    raise AttributeError(f"module 'latent_dash' has no attribute {name!r}")
