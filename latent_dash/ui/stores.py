"""The browser-side state every view may read or write (see docs/architecture.md)."""

from dash import dcc


def stores(config_key: str) -> list[dcc.Store]:
    """One store per shared value.

    - config-key, dataset-size: the config the page shows and its number of samples N.
    - selection-mask: the selection as encoded by latent_dash.selection; browser only, for
      highlighting and the count.
    - selection: {key, count, n, source}, the server-side copy's key, read by server views.
    - selection-upload: a selection made in the browser, on its one way to the server.
    - focus: the one sample under attention (clicked point or table row), or None.
    - filter: {key, count, n} of the samples visible at all (range filters), kept on the
      server like a selection; None shows everyone.
    - derived: computed columns of this page, {name: {"key": result key, "index": j | None}};
      their values stay in the server's result cache (compute.cache).
    """
    return [
        dcc.Store(id="config-key", data=config_key),
        dcc.Store(id="dataset-size", data=None),
        dcc.Store(id="selection-mask", data=None),
        dcc.Store(id="selection", data=None),
        dcc.Store(id="selection-upload", data=None),
        dcc.Store(id="focus", data=None),
        dcc.Store(id="filter", data=None),
        dcc.Store(id="derived", data={}),
    ]
