"""What a user may open: each config's `access` list, enforced on every route.

A config without `access` is open to everyone the server lets in; one with `access: [alice,
group:physics]` to the users it names and the members of the groups it names. A comparison is
open to a user when it and each of its models are. Without authentication everyone is
anonymous, and a config with an access list is open to nobody (fail closed: the list says who
may see the data, and nobody has shown who they are); a malformed list also opens it to nobody.

Every decision reads the config files (cached by modification time) and the request's user,
never state kept about users, so every gunicorn worker decides alike. Answered with 403: the
page asked for with `?config=KEY`, every callback request that names a config (the
`config-key` store, the config menu, the address bar's `?config=`, a background job's
`config`), and `/thumbnail/KEY/...`. The menu (the layout, built per request) lists only the
configs the user may open. Computed results (embedding coordinates, cluster labels) are read by
content keys that only someone holding the data can compute.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from dash import Dash
from flask import Response, request

from latent_dash.auth import User, current_user
from latent_dash.config import GROUP_PREFIX, read_access
from latent_dash.menu import compare_members

UPDATE_PATH = "/_dash-update-component"
NOBODY = ("",)  # the rules of a config whose access list cannot be used: no name matches ""
log = logging.getLogger(__name__)


def access_list(path: Path) -> tuple[str, ...] | None:
    """The config's access entries (None: open to all); NOBODY when its list is malformed."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None  # a missing file serves nothing
    return _access_list(path, stamp)


@lru_cache(maxsize=256)
def _access_list(path: Path, stamp: int) -> tuple[str, ...] | None:
    try:
        return read_access(path)
    except ValueError as error:
        log.error("%s: access: %s; nobody may open it until that is fixed", path, error)
        return NOBODY


def permits(entries: tuple[str, ...] | None, user: User) -> bool:
    """Whether an access list lets `user` in (None lets everyone in)."""
    if entries is None:
        return True
    if user.name is None:
        return False
    return user.name in entries or any(GROUP_PREFIX + group in entries for group in user.groups)


def may_open(menu: Mapping[str, Path], key: str, user: User) -> bool:
    """Whether `user` may open the menu's config `key` (and, for a comparison, each model)."""
    path = menu.get(key)
    if path is None:
        return False
    paths = [path, *(compare_members(path) or ())]
    return all(permits(access_list(p), user) for p in paths)


def visible_keys(menu: Mapping[str, Path], user: User) -> list[str]:
    """The menu keys `user` may open, in menu order."""
    return [key for key in menu if may_open(menu, key, user)]


def first_visible(menu: Mapping[str, Path], user: User, preferred: str) -> str | None:
    """`preferred` if `user` may open it, else the first config they may, else None."""
    if may_open(menu, preferred, user):
        return preferred
    keys = visible_keys(menu, user)
    return keys[0] if keys else None


def refusal_text(key: str, user: User) -> str:
    """Why `user` may not open `key`, and what to do (never who may)."""
    if user.name is None:
        return (
            f"The config {key!r} is open only to the users its access list names, and this "
            "server does not sign users in. Ask its administrator to set LATENT_DASH_USERS "
            "(README, 'Who may see what')."
        )
    return (
        f"You ({user.name}) may not open the config {key!r}. Ask its owner to add you or one "
        "of your groups to its access list."
    )


def _dependencies(body: dict) -> Iterator[dict]:
    for part in ("inputs", "state"):
        items = body.get(part)
        for item in items if isinstance(items, list) else ():
            for entry in item if isinstance(item, list) else [item]:  # ALL: a list of entries
                if isinstance(entry, dict):
                    yield entry


def configs_named(body: Any) -> set[str]:
    """The config keys a callback request carries: the `config-key` store, the config menu,
    the address bar's `?config=`, and the `config` of a background job's request (embedding,
    clustering), which its own callback reads. A body of another shape names none."""
    keys: set[str] = set()
    if not isinstance(body, dict):
        return keys
    for entry in _dependencies(body):
        where, value = (entry.get("id"), entry.get("property")), entry.get("value")
        if isinstance(value, dict) and isinstance(value.get("config"), str):
            keys.add(value["config"])  # a background job (embedding, clustering) names its own
        if not isinstance(value, str):
            continue
        if where in (("config-key", "data"), ("config-menu", "value")):
            keys.add(value)
        elif where == ("url", "search"):
            keys.update(parse_qs(value.lstrip("?")).get("config", []))
    return keys


def _json_body() -> Any:
    """The request's JSON body, or None when it is not JSON Python can read (nested too deep:
    latent_dash.hardening answers that one with 400)."""
    try:
        return request.get_json(silent=True, cache=True)
    except RecursionError:
        return None


def requested_configs() -> set[str]:
    """The config keys the current request asks for, whatever route it goes to."""
    if request.endpoint == "thumbnail":
        return {str((request.view_args or {}).get("config_key"))}
    if request.path == UPDATE_PATH and request.method == "POST":
        return configs_named(_json_body())
    if request.method == "POST":  # the plain JSON routes (a table's rows) name it as `config`
        body = _json_body()
        config = body.get("config") if isinstance(body, dict) else None
        return {config} if isinstance(config, str) else set()
    if request.method == "GET":
        return set(request.args.getlist("config"))
    return set()


def register_access(app: Dash, menu: Mapping[str, Path]) -> None:
    """403 for every request naming a config of the menu that its user may not open.

    Register after authentication (it reads the request's user) and before the other guards.
    """

    @app.server.before_request
    def refuse_forbidden_configs() -> Response | None:
        user = current_user()
        for key in sorted(requested_configs()):
            if key in menu and not may_open(menu, key, user):
                log.warning("403: %s may not open %r (%s)", user.name or "anonymous", key,
                            request.path)  # fmt: skip
                return Response(refusal_text(key, user) + "\n", 403, mimetype="text/plain")
        return None
