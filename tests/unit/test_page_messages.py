"""What the page shows for a config that cannot be shown: a message, never a blank page."""

from __future__ import annotations

import json
from pathlib import Path

import plotly

from latent_dash import app as app_module
from latent_dash.app import render_config, unknown_config
from tests.conftest import write_config


def text_of(children) -> str:
    return json.dumps(children, cls=plotly.utils.PlotlyJSONEncoder)


def test_a_broken_config_gets_its_problems_and_a_header_saying_so(tmp_path: Path):
    (tmp_path / "z.npy").write_bytes(b"")
    config = write_config(tmp_path / "c.yaml", {"title": "Empty", "dataset": {"latent": "z.npy"}})
    workspace, line, n = render_config(config)
    assert n is None and line == "Empty: cannot be shown (1 problem, below)"
    assert "the file is empty (0 bytes)" in text_of(workspace)


def test_an_unforeseen_failure_becomes_a_message(tmp_path: Path, monkeypatch, small_config):
    def explode(path):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(app_module, "open_config", explode)
    workspace, line, n = render_config(small_config)
    assert n is None and line.startswith("Small model: cannot be shown")
    text = text_of(workspace)
    assert "unexpected error while loading it: RuntimeError: something nobody foresaw" in text
    assert "the terminal running latent-dash shows the details" in text


def test_an_unknown_config_names_the_menu():
    text = text_of(unknown_config("digits-61d", {"digits-16d": Path("a"), "default": Path("b")}))
    assert "no config named 'digits-61d' in this server's menu (did you mean 'digits-16d'?)" in text
    assert "choose one in the menu (digits-16d, default)" in text
