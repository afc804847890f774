"""The browser-side state every view may read or write (see docs/architecture.md)."""

from dash import dcc

STORE_IDS = ("config-key", "selection", "focus", "filter")


def stores(config_key: str) -> list[dcc.Store]:
    """One store per shared value; `config-key` names the config the page shows."""
    return [
        dcc.Store(id="config-key", data=config_key),
        dcc.Store(id="selection", data=None),
        dcc.Store(id="focus", data=None),
        dcc.Store(id="filter", data=None),
    ]
