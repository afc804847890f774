"""The menu of configs a running app serves, and which models a comparison page shows.

A menu maps keys (file stems, carried in the address bar) to config files. A comparison config
names other configs; they join the menu under their own keys, so every panel of a comparison
page can resolve its own model's dataset, thumbnails and results by a menu key (the model's
number is a key of the panel's ids: latent_dash.page).

The menu follows its folder while the server runs: a config added (or removed) after start is
found on the next page load or lookup of an unknown key, by comparing the folder's
modification time and its config names (no watcher thread; each gunicorn worker checks its own
copy; the names catch an addition within the file system's timestamp granularity).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from latent_dash.config import is_compare, list_configs, parse_compare
from latent_dash.errors import ConfigError


class ConfigMenu(dict[str, Path]):
    """Config key -> path (see scan_menu), rescanned when the config folder changes.

    Every callback holds this one object, so a rescan (in place, under a lock) reaches them all.
    `key in menu` and `menu[key]` rescan before answering "no", so a config that another
    worker already showed is found here too.
    """

    def __init__(self, config: Path):
        super().__init__()
        self.start = Path(config).resolve()
        self._stamp: tuple | None = None
        self._lock = threading.Lock()
        self.rescan()

    def _folder_stamp(self) -> tuple:
        folder = self.start.parent
        try:
            return (folder.stat().st_mtime_ns, *(p.name for p in list_configs(folder)))
        except OSError:
            return (-1,)

    def rescan(self) -> bool:
        """Re-read the folder if its modification time changed; True when it was re-read."""
        with self._lock:
            stamp = self._folder_stamp()
            if stamp == self._stamp:
                return False
            fresh = scan_menu(self.start)
            for key in [k for k in self if k not in fresh]:
                super().__delitem__(key)
            self.update(fresh)
            self._stamp = stamp
            return True

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (self.rescan() and super().__contains__(key))

    def __missing__(self, key: str) -> Path:
        if self.rescan() and super().__contains__(key):
            return super().__getitem__(key)
        raise KeyError(key)

    def get(self, key: str, default: Path | None = None) -> Path | None:  # type: ignore[override]
        if key not in self:  # rescans
            return default
        return super().__getitem__(key)


def config_menu(config: Path) -> ConfigMenu:
    """The menu of the folder of `config`, kept in step with it (ConfigMenu)."""
    return ConfigMenu(config)


def scan_menu(config: Path) -> dict[str, Path]:
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
