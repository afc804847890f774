"""The menu of configs a running app serves, and which models a comparison page shows.

A menu maps keys (file stems, carried in the address bar) to config files. A comparison config
names other configs; they join the menu under their own keys, so every panel of a comparison
page can resolve its own model's dataset, thumbnails and results by a menu key. Panel ids of a
comparison page carry the model they draw: `m0-embedding` is the embedding of the first model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from latent_dash.config import is_compare, list_configs, parse_compare
from latent_dash.errors import ConfigError

_MODEL_VIEW = re.compile(r"^m(\d+)-")


def config_menu(config: Path) -> dict[str, Path]:
    """Config key (file stem) -> path, for every config beside the starting one and the models
    its comparison configs name (under their stem, or `<comparison>-<stem>` when that is taken).
    """
    menu = {p.stem: p.resolve() for p in list_configs(config.parent)}
    menu.setdefault(config.stem, config.resolve())
    for key, path in list(menu.items()):
        for member in compare_members(path) or ():
            if member in menu.values():
                continue
            name = member.stem if member.stem not in menu else f"{key}-{member.stem}"
            menu[name] = member
    return menu


def compare_members(path: Path) -> tuple[Path, ...] | None:
    """The model configs of a comparison config, or None for a plain (or unreadable) one."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return _members(path, stamp)


@lru_cache(maxsize=64)
def _members(path: Path, stamp: float) -> tuple[Path, ...] | None:
    if not is_compare(path):
        return None
    try:
        return parse_compare(path).members
    except ConfigError:
        return None


def model_keys(menu: dict[str, Path], key: str | None) -> list[str] | None:
    """Menu keys of the models the page `key` compares, in order; None on a plain page."""
    path = menu.get(key) if key else None
    members = compare_members(path) if path else None
    if members is None:
        return None
    by_path = {p: k for k, p in menu.items()}
    return [by_path[m] for m in members if m in by_path]


def model_view_id(model: int, view_id: str) -> str:
    """The id of a panel drawing model number `model` on a comparison page."""
    return f"m{model}-{view_id}"


def model_of_view(view_id: str | None) -> int | None:
    """The model number a panel id carries, or None for a panel of a plain page."""
    match = _MODEL_VIEW.match(view_id or "")
    return int(match.group(1)) if match else None
