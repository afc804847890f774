"""Config problems and load warnings, shown in the page as readable lists (never tracebacks)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from latent_dash.errors import ConfigError


def error_panel(error: ConfigError, title: str) -> dbc.Alert:
    """Every problem of a config: where (file and key), what, and the fix."""
    items = [
        html.Li(
            [
                html.Code(p.file),
                html.Span(" · "),
                html.Code(p.key or "(file)"),
                html.Div(p.message),
                html.Div(["Fix: ", p.fix], className="fix"),
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


def warning_panel(warnings: list[str]) -> dbc.Alert | None:
    if not warnings:
        return None
    return dbc.Alert(
        [html.Div(w) for w in warnings], color="warning", id="load-warnings", className="py-2"
    )
