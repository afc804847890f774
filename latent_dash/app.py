"""create_app: the Dash application for a folder of configs, one of them shown at a time.

The config menu is the folder of the starting config. The address bar carries the config shown
(`/?config=digits-16d`), so a view can be bookmarked and reloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
import numpy as np
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from latent_dash import background, selection_store, storage
from latent_dash.access import first_visible, register_access, visible_keys
from latent_dash.auth import (
    ANONYMOUS,
    AuthSettings,
    User,
    current_user,
    register_authentication,
)
from latent_dash.config import config_title, is_compare
from latent_dash.data import Dataset, open_compare, open_config, with_data_problems
from latent_dash.errors import ConfigError, Problem, did_you_mean
from latent_dash.hardening import register_hardening
from latent_dash.menu import config_menu
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DATASET_SIZE,
    DERIVED,
    FILTER,
    FOCUS,
    SELECTION,
    SELECTION_MASK,
    Page,
    stores,
)
from latent_dash.routes import register_routes
from latent_dash.security_headers import register_security_headers
from latent_dash.selection import encode
from latent_dash.ui import link_state
from latent_dash.ui import saved_selections as saved_selections_bar
from latent_dash.ui.columns import register_callbacks as column_picker_callbacks
from latent_dash.ui.grid import build_comparison, build_grid
from latent_dash.ui.messages import cache_panel, error_panel, no_config_panel, warning_panel
from latent_dash.ui.search import register_callbacks as search_callbacks
from latent_dash.ui.selection_bar import register_callbacks as selection_bar_callbacks
from latent_dash.ui.selection_bar import selection_bar
from latent_dash.views import comparison, register_all
from latent_dash.views import embedding as embedding_view

log = logging.getLogger("latent_dash")
ASSETS = Path(__file__).parent / "assets"


def background_manager():
    """Runs long callbacks (embeddings, clustering): Celery workers when LATENT_DASH_REDIS_URL
    is set, else processes forked here with results on disk (latent_dash.background)."""
    return background.background_manager()


def summary(dataset: Dataset) -> str:
    """One line that says what was loaded: N x D, parameters, images, metadata."""
    parts = [f"{dataset.n:,} samples × {dataset.dims} latent dims"]
    if dataset.param_names:
        parts.append(f"{len(dataset.param_names)} parameters")
    if dataset.image_shape:
        parts.append("images " + "×".join(str(s) for s in dataset.image_shape))
    if dataset.metadata is not None:
        parts.append(f"{dataset.metadata.shape[1]} metadata columns")
    return f"{dataset.name}: " + " · ".join(parts)


def failed(path: Path, error: ConfigError) -> tuple[list, str, None]:
    """The page of a config that cannot be shown: its problems, and a header saying so."""
    title = config_title(path)
    count = len(error.problems)
    line = f"{title}: cannot be shown ({count} problem{'s' if count != 1 else ''}, below)"
    return [error_panel(error, title, path.parent)], line, None


def render_config(path: Path, changed: dict | None = None) -> tuple[list, str, int | None]:
    """The workspace (messages and view grid), header summary and N for one config; `changed`:
    panels' options a link changed ("view@model" -> {option: value}).

    Never raises: a config's problems, and any unexpected failure while reading its data or
    drawing its views, become a message in the page (the details go to the terminal)."""
    try:
        return (render_comparison if is_compare(path) else render_plain)(path, changed)
    except Exception as exc:  # a bug or a file nobody foresaw: a message, never a blank page
        log.exception("config %s cannot be shown", path)
        problem = Problem(
            str(path),
            "",
            f"unexpected error while loading it: {type(exc).__name__}: {exc}",
            "the terminal running latent-dash shows the details; please report them",
        )
        return failed(path, ConfigError([problem]))


def unknown_config(asked: str, menu: dict[str, Path]) -> list:
    """The page of a `?config=` that names no config of the menu (instead of another one)."""
    problem = Problem(
        "the address bar",
        f"?config={asked}",
        f"no config named {asked!r} in this server's menu{did_you_mean(asked, menu)}",
        f"choose one in the menu ({', '.join(menu)}), or add {asked}.yaml to the configs' folder",
    )
    return [error_panel(ConfigError([problem]), f"Config {asked!r}", Path("."))]


def render_plain(path: Path, changed: dict | None = None) -> tuple[list, str, int | None]:
    try:
        loaded, dataset = open_config(path)
    except ConfigError as error:
        error = with_data_problems(path, error)
        log.error("config %s cannot be shown:\n%s", path, error)
        return failed(path, error)
    for warning in dataset.warnings:
        log.warning("%s: %s", path, warning)
    description = loaded.config.description
    workspace = [
        cache_panel(storage.health()),
        html.P(description, className="config-description text-muted") if description else None,
        warning_panel(dataset.warnings, path.parent),
        build_grid(loaded.layout, loaded.views, dataset, changed=changed),
    ]
    return [w for w in workspace if w is not None], summary(dataset), dataset.n


def render_comparison(path: Path, changed: dict | None = None) -> tuple[list, str, int | None]:
    """A comparison page: each model's views side by side, the metrics under them."""
    try:
        loaded, datasets = open_compare(path)
    except ConfigError as error:
        log.error("comparison %s cannot be shown:\n%s", path, error)
        return failed(path, error)
    titles = [config_title(member) for member in loaded.members]
    warnings = [f"{t}: {w}" for t, d in zip(titles, datasets, strict=True) for w in d.warnings]
    for warning in warnings:
        log.warning("%s: %s", path, warning)
    description = loaded.config.description
    workspace = [
        cache_panel(storage.health()),
        html.P(description, className="config-description text-muted") if description else None,
        warning_panel(warnings, path.parent),
        build_comparison(loaded, datasets, titles, changed),
    ]
    line = f"comparing {len(datasets)} models of {datasets[0].n:,} samples: " + " · ".join(
        f"{d.name} ({d.dims} dims)" for d in datasets
    )
    return [w for w in workspace if w is not None], line, datasets[0].n


def menu_title(path: Path) -> str:
    """A config's menu label, read again only when the file changes: the layout is built per
    request (each user's own menu), and parsing every config's YAML each time took ~10 ms."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _title_at(path, stamp)


@lru_cache(maxsize=256)
def _title_at(path: Path, stamp: int) -> str:
    return config_title(path)


def menu_options(menu: dict[str, Path], keys: list[str]) -> list[dict[str, str]]:
    """The config menu's entries (the user's keys): each config's title, its key as value."""
    return [{"label": menu_title(menu[key]), "value": key} for key in keys]


def _header(menu: dict[str, Path], keys: list[str], default_key: str | None) -> dbc.Navbar:
    options = menu_options(menu, keys)
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("latent-dash", className="me-3"),
                html.Div(
                    dcc.Dropdown(options, default_key, id="config-menu", clearable=False),
                    className="config-menu",
                ),
                html.Span(id="dataset-summary", className="dataset-summary ms-3"),
            ],
            fluid=True,
        ),
        color="light",
        dark=False,
        className="mb-2 app-header",
    )


SelectionHook = Callable[[str, np.ndarray | None], None]


def watch_selection(app: Dash, menu: dict[str, Path], on_selection: SelectionHook) -> None:
    """Call `on_selection(config_key, rows)` with every selection the page registers.

    `rows` are the selected samples' rows in the user's files (int64, ascending; NaN rows
    dropped at load have none), or None once the selection is cleared or the config switched.
    """

    @app.callback(Input(SELECTION, DATA), State(CONFIG_KEY, DATA), prevent_initial_call=True)
    def report_selection(selection: dict | None, config_key: str | None) -> None:
        try:
            dataset = Page(menu, config_key, model=0).dataset
        except (ConfigError, PreventUpdate):
            return
        mask = selection_store.get(selection.get("key"), dataset.n) if selection else None
        on_selection(config_key, None if mask is None else dataset.file_rows(np.flatnonzero(mask)))


def page_layout(menu: dict[str, Path], default_key: str, user: User) -> html.Div:
    """The page as `user` sees it: the menu lists only the configs they may open."""
    keys = visible_keys(menu, user)
    start = first_visible(menu, user, default_key)
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            _header(menu, keys, start),
            dbc.Container(
                [
                    selection_bar(),
                    # the spinner covers a config switch only, never a view's own callback
                    dcc.Loading(
                        html.Div(id="workspace"),
                        delay_show=300,
                        target_components={"workspace": "children"},
                    ),
                ],
                fluid=True,
            ),
            *stores(start),
        ]
    )


def _log_access(menu: dict[str, Path], auth: AuthSettings) -> None:
    """Say in the terminal how users sign in, and which configs nobody can open without it."""
    if auth.enabled:
        log.info("authentication: %s", auth.mode)
        return
    hidden = [key for key in menu if key not in visible_keys(menu, ANONYMOUS)]
    if hidden:
        log.warning(
            "authentication is off, so the configs with an access list are open to nobody: "
            "%s. Set LATENT_DASH_USERS (README, 'Who may see what') to sign users in.",
            ", ".join(hidden),
        )


def create_app(
    config: Path | str,
    *,
    on_selection: SelectionHook | None = None,
    warm_up: bool = True,
    auth: AuthSettings | None = None,
    embeddable: bool = False,
) -> Dash:
    """The app on `config`, with every config of its folder in the menu.

    `on_selection`, when given, receives each selection made in the page (see watch_selection):
    the Python API (latent_dash.api.Explorer) keeps the last one as single-user, in-process
    state. The served app (app.py, gunicorn) passes nothing and keeps no such state.
    `warm_up=False` skips compiling UMAP's code ahead (views.embedding.warm_up; tests).
    `auth`: how users sign in (default: from the environment, latent_dash.auth); each config's
    `access` list then decides what they see (latent_dash.access). `embeddable` drops the
    frame policy so that a notebook (another origin) can show the page.
    """
    config = Path(config).resolve()
    storage.use_config_folder(config.parent)  # before the background manager opens its cache
    menu = config_menu(config)
    default_key = config.stem
    auth = AuthSettings.from_env() if auth is None else auth
    app = Dash(
        __name__,
        background_callback_manager=background_manager(),
        title="latent-dash",
        assets_folder=str(ASSETS),  # Bootstrap is served from here: no CDN on internal servers
        suppress_callback_exceptions=True,  # panels appear when a config is chosen
    )
    app.layout = lambda: page_layout(menu, default_key, current_user())

    @app.callback(
        Output("workspace", "children"),
        Output("dataset-summary", "children"),
        Output(CONFIG_KEY, DATA),
        Output(DATASET_SIZE, DATA),
        Output("config-menu", "value"),
        Output("config-menu", "options"),
        Output("url", "search"),
        Output(SELECTION_MASK, DATA),
        Output(SELECTION, DATA),
        Output(FOCUS, DATA),
        Output(FILTER, DATA),
        Output(DERIVED, DATA),
        Output(link_state.LINK_BASE, DATA),
        Input("url", "search"),
        Input("config-menu", "value"),
        State(DATASET_SIZE, DATA),
        State(SELECTION_MASK, DATA),
        State(SELECTION, DATA),
        State(FOCUS, DATA),
        State(FILTER, DATA),
        State(DERIVED, DATA),
    )
    def show_config(search: str | None, chosen: str | None, size: int | None, *shared):
        """Render the config the address bar names on load (and on back / forward), with the
        state the address carries (ui/link_state.py), or the one chosen in the menu.

        The shared stores are emptied, but only those that hold something: writing an empty
        store again would make every view that listens to it redraw for nothing. A config of
        the same number of samples chosen in the menu keeps the selection and the focus:
        models of the same samples are compared by switching between them (row i is sample i
        in each).

        The menu is rescanned first (a config added since the server started is found), and
        an address naming no config says so instead of showing another one.
        """
        menu.rescan()
        user = current_user()
        keys = visible_keys(menu, user)
        options = menu_options(menu, keys)
        asked = parse_qs((search or "").lstrip("?")).get("config", [None])[0]
        key: str | None = first_visible(menu, user, default_key)
        if ctx.triggered_id == "config-menu" and chosen in menu:
            key = chosen  # latent_dash.access refused the request if the user may not open it
        elif asked is not None:
            key = asked if asked in keys else None
        if key is None and asked is None:
            empty = [None, None, None, None, {}, None]
            return no_config_panel(user.name), "", None, None, None, options, no_update, *empty
        if key is None:
            log.error("?config=%s names no config of the menu (%s)", asked, ", ".join(keys))
            visible = {k: menu[k] for k in keys}  # never name a config the user may not open
            workspace, n = unknown_config(str(asked), visible), None
            line = f"unknown config {asked!r}"
            search_out = no_update  # the address keeps what was asked
        from_link = ctx.triggered_id != "config-menu" and key == asked
        state = link_state.parse(search) if from_link else link_state.LinkState()
        base = None
        if key is not None:
            workspace, line, n = render_config(menu[key], state.panels)
            dataset = Page(menu, key, model=0).dataset if n is not None else None
            base = link_state.link_base(workspace, dataset, state.panels)
        empty = (None, None, None, None, {})
        resets = [
            e if value not in (None, {}) else no_update
            for value, e in zip(shared, empty, strict=True)
        ]
        if n is not None and n == size and not from_link:
            resets[:3] = [no_update] * 3  # selection mask, selection and focus carry over
        if n is not None and from_link:  # the address's selection and focus, or none
            selection, problem = link_state.restored_selection(state, n, key)
            mask = selection_store.get(selection["key"], n) if selection else None
            focus = None if state.focus is None else dataset.position_of(state.focus)
            wanted = (None if mask is None else encode(mask) | {"source": "link"}, selection, focus)
            for i, value in enumerate(wanted):
                resets[i] = value if value != shared[i] else no_update
            if problem:
                workspace = [link_state.problem_panel(problem), *workspace]
                state.selection = None
        if key is not None:
            new_search = link_state.address(key, state)
            kept = link_state.parse(new_search)
            same = link_state.parse(search) == kept and f"config={key}" in (search or "")
            search_out = no_update if same else new_search
        return workspace, line, key, n, key, options, search_out, *resets, base

    register_authentication(app, auth)  # first: who asks, then what they may see
    register_access(app, menu)
    register_security_headers(app.server, embeddable=embeddable)
    _log_access(menu, auth)
    selection_bar_callbacks(app, menu)
    link_state.register_callbacks(app)
    saved_selections_bar.register_callbacks(app, menu)
    search_callbacks(app, menu)
    column_picker_callbacks(app, menu)
    register_routes(app, menu)
    register_hardening(app)
    register_all(app, menu)
    comparison.register_callbacks(app, menu)
    if warm_up:
        embedding_view.warm_up()  # UMAP's numba code, once per machine, in its own process
    if on_selection is not None:
        watch_selection(app, menu, on_selection)
    return app
