"""Config problems and load warnings, shown in the page as readable lists (never tracebacks).

Paths in them are written relative to the config's folder: the page shows the user the files
they named, not where the server keeps them (the terminal keeps the absolute paths).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import html

from latent_dash.errors import ConfigError

# an absolute path inside a message: a "/" after no word character, dot, slash or colon (URLs)
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:])/[^\s'\"`,;:()\[\]{}<>]+")


def relative_paths(text: str, folder: Path) -> str:
    """`text` with every absolute path written relative to `folder`."""
    return _ABSOLUTE_PATH.sub(lambda m: os.path.relpath(m.group(0), folder), text)


def error_panel(error: ConfigError, title: str, folder: Path) -> dbc.Alert:
    """Every problem of a config: where (file and key), what, and the fix."""
    items = [
        html.Li(
            [
                html.Code(relative_paths(p.file, folder)),
                html.Span(" · "),
                html.Code(p.key or "(file)"),
                html.Div(relative_paths(p.message, folder)),
                html.Div(["Fix: ", relative_paths(p.fix, folder)], className="fix"),
            ]
        )
        for p in error.problems
    ]
    return dbc.Alert(
        [html.H5(f"{title} cannot be shown"), html.Ul(items, className="problems")],
        color="danger",
        id="config-error",
    )


def cache_panel(problem: str | None) -> dbc.Alert | None:
    """What a sick cache folder (storage.health) means for this page, and what to do."""
    if problem is None:
        return None
    return dbc.Alert(
        [
            html.Strong("The server cannot keep selections or results right now. "),
            html.Span(problem + ". "),
            html.Span(
                "Views that need them stay empty; your data and configs are untouched. "
                "Tell the administrator, then reload this page."
            ),
        ],
        color="danger",
        id="cache-problem",
        className="py-2",
    )


def warning_panel(warnings: list[str], folder: Path) -> dbc.Alert | None:
    if not warnings:
        return None
    return dbc.Alert(
        [html.Div(relative_paths(w, folder)) for w in warnings],
        color="warning",
        id="load-warnings",
        className="py-2",
    )


def no_config_panel(user_name: str | None) -> dbc.Alert:
    """What a user who may open no config of the menu sees instead of a workspace."""
    who = f"you ({user_name})" if user_name else "users who have not signed in"
    return dbc.Alert(
        [
            html.H5("No config to show"),
            html.Div(f"Every config of this server has an access list, and none lets {who} in."),
            html.Div(
                "Fix: ask the owner of a config to add you or one of your groups to its "
                "access list (README, 'Who may see what').",
                className="fix",
            ),
        ],
        color="warning",
        id="no-config",
    )
