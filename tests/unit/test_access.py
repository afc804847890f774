"""Who may see what: the users file, sign-in, access lists, 403s on every route, headers."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from latent_dash import cli
from latent_dash.access import configs_named, may_open, permits, visible_keys
from latent_dash.app import create_app, render_config
from latent_dash.auth import (
    AuthSettings,
    User,
    exposure_warning,
    is_loopback,
    parse_users,
    user_line,
)
from latent_dash.config import parse_compare, parse_config
from latent_dash.errors import ConfigError
from latent_dash.menu import config_menu
from tests.conftest import write_config, write_dataset

UPDATE = "/_dash-update-component"
ALICE = User("alice", frozenset({"physics"}))
BOB = User("bob")


# --- the users file ----------------------------------------------------------------------------


def test_a_users_line_round_trips_with_a_salted_hash():
    line = user_line("alice", ["physics", "admins"], "s3cret")
    name, groups, password_hash = line.split(":", 2)
    assert (name, groups) == ("alice", "physics,admins")
    assert "s3cret" not in line and check_password_hash(password_hash, "s3cret")
    assert line != user_line("alice", ["physics", "admins"], "s3cret")  # salted
    accounts = parse_users(f"# team\n\n{line}\n", "users.txt")
    assert accounts["alice"].groups == {"physics", "admins"}


def test_every_bad_users_line_is_reported_with_its_number():
    good = user_line("bob", [], "pw")
    text = "\n".join(
        [
            good,
            "carol:physics:plaintext-password",  # 2: not hashed
            "no-separators",  # 3
            "bad name:g:" + good.split(":", 2)[2],  # 4
            good,  # 5: bob again
        ]
    )
    with pytest.raises(ConfigError) as caught:
        parse_users(text, "users.txt")
    problems = {p.key: p for p in caught.value.problems}
    assert set(problems) == {"line 2", "line 3", "line 4", "line 5"}
    assert "not a password hash" in problems["line 2"].message
    assert "latent-dash user add carol" in problems["line 2"].fix
    assert "listed twice" in problems["line 5"].message
    assert all(p.file == "users.txt" for p in problems.values())


def test_user_names_and_empty_passwords_are_refused():
    with pytest.raises(ValueError, match="not a valid"):
        user_line("al ice", [], "pw")
    with pytest.raises(ValueError, match="not a valid"):
        user_line("alice", ["phys ics"], "pw")
    with pytest.raises(ValueError, match="empty"):
        user_line("alice", [], "")


def test_user_add_appends_a_line_read_from_stdin_and_refuses_a_second(tmp_path, monkeypatch):
    users = tmp_path / "users.txt"
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-of-carol\n"))
    add = ["user", "add", "carol", "--groups", "physics, admins", "--file", str(users)]
    assert cli.main(add) == 0
    account = parse_users(users.read_text(), str(users))["carol"]
    assert account.groups == {"physics", "admins"}
    assert check_password_hash(account.password_hash, "pw-of-carol")
    assert users.stat().st_mode & 0o077 == 0  # hashes: readable by the owner only
    users.write_text(users.read_text() + "# no newline at the end")
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-of-dave\n"))
    assert cli.main(["user", "add", "dave", "--file", str(users)]) == 0
    assert set(parse_users(users.read_text(), str(users))) == {"carol", "dave"}
    monkeypatch.setattr("sys.stdin", io.StringIO("other\n"))
    before = users.read_text()
    assert cli.main(["user", "add", "carol", "--file", str(users)]) == 2
    assert users.read_text() == before


# --- access lists in configs -------------------------------------------------------------------


def _plain(tmp_path: Path, name: str, access=None) -> Path:
    if not (tmp_path / "data").exists():
        write_dataset(tmp_path / "data", n=60)
    config = {"title": name.title(), "dataset": {"latent": "data/latent.npy",
                                                 "images": "data/images.npy"}}  # fmt: skip
    if access is not None:
        config["access"] = access
    return write_config(tmp_path / f"{name}.yaml", config)


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        (["alice", "grup:physics"], "did you mean group:physics"),
        ([], "remove the key"),
        (["group:"], "neither a user name nor group:name"),
        ([3], "neither a user name nor group:name"),
    ],
)
def test_malformed_access_lists_name_the_key_and_the_fix(tmp_path, access, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(_plain(tmp_path, "m", access))
    (problem,) = caught.value.problems
    assert problem.key == "access" and expected in problem.message


def test_access_shorthand_and_comparison_lists_parse(tmp_path):
    assert parse_config(_plain(tmp_path, "one", "alice")).config.access == ["alice"]
    _plain(tmp_path, "two")
    compare = write_config(
        tmp_path / "cmp.yaml", {"compare": ["one.yaml", "two.yaml"], "access": ["group:physics"]}
    )
    assert parse_compare(compare).config.access == ["group:physics"]


def test_access_decisions():
    assert permits(None, BOB) and permits(None, User(None))
    assert permits(("alice",), ALICE) and not permits(("alice",), BOB)
    assert permits(("group:physics",), ALICE) and not permits(("group:physics",), BOB)
    assert not permits(("physics",), ALICE)  # a bare name is a user, never a group
    assert not permits(("alice",), User(None))  # no sign-in: restricted configs stay closed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """open (everyone), physics (group:physics), bobs (bob), and a comparison of physics and
    open that is itself open to bob: only a user who may open both models may open it."""
    _plain(tmp_path, "open")
    _plain(tmp_path, "physics", ["group:physics"])
    _plain(tmp_path, "bobs", ["bob", "group:admins"])
    write_config(tmp_path / "cmp.yaml", {"compare": ["physics.yaml", "open.yaml"],
                                         "access": ["bob", "alice"]})  # fmt: skip
    return tmp_path


def test_a_comparison_needs_access_to_each_model(folder):
    menu = config_menu(folder / "open.yaml")
    assert visible_keys(menu, ALICE) == ["cmp", "open", "physics"]
    assert visible_keys(menu, BOB) == ["bobs", "open"]  # cmp names bob, but physics does not
    assert visible_keys(menu, User(None)) == ["open"]
    assert not may_open(menu, "nonexistent", ALICE)


def test_a_malformed_access_list_opens_the_config_to_nobody(folder, caplog):
    (folder / "bobs.yaml").write_text((folder / "bobs.yaml").read_text().replace("bob", "b b"))
    menu = config_menu(folder / "open.yaml")
    with caplog.at_level(logging.ERROR):
        assert not may_open(menu, "bobs", BOB)
    assert "nobody may open it" in caplog.text


# --- sign-in and 403 on every route --------------------------------------------------------------


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.txt"
    path.write_text(
        f"{user_line('alice', ['physics'], 'alice-pw')}\n{user_line('bob', [], 'bob-pw')}\n"
    )
    return path


@pytest.fixture
def app(folder: Path, users_file: Path):
    return create_app(folder / "open.yaml", warm_up=False, auth=AuthSettings(users_file))


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def show_config_body(app, search: str, chosen: str | None = None) -> dict:
    """The page's first callback as the browser sends it (address bar and config menu)."""
    output = next(k for k in app.callback_map if k.startswith("..workspace.children"))
    spec = app.callback_map[output]
    return {
        "output": output,
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in output.strip(".").split("...")
        ],
        "inputs": [
            {"id": "url", "property": "search", "value": search},
            {"id": "config-menu", "property": "value", "value": chosen},
        ],
        "state": [{**s, "value": None} for s in spec["state"]],
        "changedPropIds": ["url.search"],
    }


def config_key_callbacks(app) -> list[str]:
    return [
        key
        for key, spec in app.callback_map.items()
        if {"id": "config-key", "property": "data"} in spec["state"]
    ]


def keyed_body(app, output: str, config_key: str) -> dict:
    """A request of a callback that carries the config key, the rest of its values empty."""
    spec = app.callback_map[output]

    def entry(dep: dict, value=None) -> dict:
        return {"id": dep["id"], "property": dep["property"], "value": value}

    return {
        "output": output,
        "outputs": [],
        "inputs": [entry(d) for d in spec["inputs"]],
        "state": [entry(d, config_key if d["id"] == "config-key" else None) for d in spec["state"]],
        "changedPropIds": [],
    }


def test_without_credentials_the_page_is_401_with_a_basic_challenge(app):
    client = app.server.test_client()
    for url in ("/", "/_dash-layout", "/thumbnail/open/1.png", "/assets/style.css"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="latent-dash"')
    assert client.get("/", headers=basic("alice", "wrong")).status_code == 401
    assert client.get("/", headers=basic("mallory", "alice-pw")).status_code == 401
    assert client.post(UPDATE, json=show_config_body(app, "?config=open")).status_code == 401
    assert client.get("/healthz").status_code == 200  # load balancers need no password


def test_each_user_opens_only_their_configs(app):
    client = app.server.test_client()
    alice, bob = basic("alice", "alice-pw"), basic("bob", "bob-pw")
    assert client.get("/?config=physics", headers=alice).status_code == 200
    refused = client.get("/?config=physics", headers=bob)
    assert refused.status_code == 403 and "You (bob) may not open" in refused.text
    assert client.get("/?config=bobs", headers=alice).status_code == 403
    assert client.get("/?config=cmp", headers=bob).status_code == 403  # a model is closed to bob
    assert client.get("/?config=cmp", headers=alice).status_code == 200  # both models open
    assert client.get("/thumbnail/physics/3.png", headers=alice).status_code == 200
    assert client.get("/thumbnail/physics/3.png", headers=bob).status_code == 403
    assert client.get("/thumbnail/open/3.png", headers=bob).status_code == 200


def test_a_tables_rows_of_a_forbidden_config_are_403(app):
    """The table's row route (views/table.py) names its config in its JSON body."""
    client = app.server.test_client()
    alice, bob = basic("alice", "alice-pw"), basic("bob", "bob-pw")
    body = {"config": "physics", "view": "table", "mask": None, "filter": None, "sort": [],
            "start": 0, "end": 10, "focus": None}  # fmt: skip
    assert client.post("/_latent-dash/table-rows", json=body, headers=bob).status_code == 403
    assert client.post("/_latent-dash/table-rows", json=body, headers=alice).status_code == 200
    opened = client.post("/_latent-dash/table-rows", json=body | {"config": "open"}, headers=bob)
    assert opened.status_code == 200 and len(opened.get_json()["rowData"]) == 10


def test_the_menu_lists_only_what_the_user_may_open(app):
    client = app.server.test_client()
    for who, password, expected in (("alice", "alice-pw", ["cmp", "open", "physics"]),
                                    ("bob", "bob-pw", ["bobs", "open"])):  # fmt: skip
        layout = json.dumps(client.get("/_dash-layout", headers=basic(who, password)).get_json())
        menu = next(
            c["props"]
            for c in _components(json.loads(layout))
            if c.get("props", {}).get("id") == "config-menu"
        )
        assert sorted(o["value"] for o in menu["options"]) == expected


def _components(node):
    if isinstance(node, dict):
        yield node
        for value in node.get("props", {}).values():
            yield from _components(value)
    elif isinstance(node, list):
        for item in node:
            yield from _components(item)


def test_every_callback_carrying_a_forbidden_config_key_is_403(app):
    client = app.server.test_client()
    bob = basic("bob", "bob-pw")
    outputs = config_key_callbacks(app)
    assert len(outputs) > 20  # views, export, filters, tables...: all carry the key
    for output in outputs:
        response = client.post(UPDATE, json=keyed_body(app, output, "physics"), headers=bob)
        assert response.status_code == 403, output
    export = next(o for o in outputs if "download" in o.lower())
    assert client.post(UPDATE, json=keyed_body(app, export, "open"), headers=bob).status_code != 403


def test_a_forged_background_job_for_a_forbidden_config_is_403(app):
    """Background jobs (embedding, clustering, disentanglement) name their config inside the job
    store's value."""
    client = app.server.test_client()
    bob = basic("bob", "bob-pw")
    jobs = [
        (output, dep)
        for output, spec in app.callback_map.items()
        for dep in spec["inputs"]
        if dep["id"].startswith("{") and json.loads(dep["id"])["part"].endswith("request")
    ]  # every background run (views/background_runs.py) starts from a `...request` store
    kinds = {json.loads(dep["id"])["kind"] for _, dep in jobs}
    assert {"clusters", "embedding", "correlation", "comparison"} <= kinds
    for output, dep in jobs:
        view_id = {**json.loads(dep["id"]), "view": "clusters"}
        for config, expected in (("physics", 403), ("open", None)):
            body = keyed_body(app, output, "")
            body["inputs"] = [
                {"id": view_id, "property": d["property"],
                 "value": {"method": "kmeans", "params": {}, "config": config}}
                if d == dep else {"id": {**view_id, "part": "cancel"}, "property": d["property"],
                                  "value": None}
                for d in app.callback_map[output]["inputs"]
            ]  # fmt: skip
            status = client.post(UPDATE, json=body, headers=bob).status_code
            assert (status == 403) == (expected == 403), (output, config, status)


def test_the_page_callback_refuses_a_forbidden_address_or_menu_choice(app):
    client = app.server.test_client()
    bob = basic("bob", "bob-pw")
    shown = client.post(UPDATE, json=show_config_body(app, "?config=open"), headers=bob)
    assert shown.status_code == 200
    assert shown.get_json()["response"]["config-key"]["data"] == "open"
    forged = show_config_body(app, "?config=open", chosen="physics")
    assert client.post(UPDATE, json=forged, headers=bob).status_code == 403
    by_address = show_config_body(app, "?config=physics")
    assert client.post(UPDATE, json=by_address, headers=bob).status_code == 403


def test_configs_named_reads_the_key_wherever_it_travels():
    body = {
        "inputs": [[{"id": {"kind": "x"}, "property": "value", "value": "z"}],
                   {"id": "url", "property": "search", "value": "?config=a&x=1"}],
        "state": [{"id": "config-key", "property": "data", "value": "b"},
                  {"id": "config-menu", "property": "value", "value": "c"},
                  {"id": "other", "property": "data", "value": "d"},
                  {"id": {"kind": "clusters", "part": "job"}, "property": "data",
                   "value": {"method": "kmeans", "config": "e"}}],
    }  # fmt: skip
    assert configs_named(body) == {"a", "b", "c", "e"}
    assert configs_named([1, 2]) == set() and configs_named({"inputs": "x"}) == set()


def test_no_sign_in_keeps_restricted_configs_closed(folder, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(folder / "physics.yaml", warm_up=False, auth=AuthSettings())
    assert "open to nobody: bobs, cmp, physics" in caplog.text
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    refused = client.get("/?config=physics")
    assert refused.status_code == 403 and "LATENT_DASH_USERS" in refused.text
    assert client.get("/thumbnail/physics/1.png").status_code == 403
    shown = client.post(UPDATE, json=show_config_body(app, ""))  # the start config is closed:
    assert shown.get_json()["response"]["config-key"]["data"] == "open"  # the first open one


def test_a_user_who_may_open_nothing_is_told_so(tmp_path, users_file):
    config = _plain(tmp_path, "only", ["alice"])
    app = create_app(config, warm_up=False, auth=AuthSettings(users_file))
    answer = app.server.test_client().post(
        UPDATE, json=show_config_body(app, ""), headers=basic("bob", "bob-pw")
    )
    assert answer.status_code == 200
    text = json.dumps(answer.get_json()["response"]["workspace"])
    assert "No config to show" in text and "you (bob)" in text


def test_a_trusted_proxy_header_names_the_user_and_groups(folder, tmp_path):
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("carol:admins:\n")  # proxy mode: groups only, no passwords
    auth = AuthSettings(groups_file, "X-Forwarded-User", "X-Forwarded-Groups")
    client = create_app(folder / "open.yaml", warm_up=False, auth=auth).server.test_client()
    assert client.get("/").status_code == 401  # not through the proxy
    assert client.get("/", headers={"X-Forwarded-User": "dave"}).status_code == 200
    assert client.get("/?config=bobs", headers={"X-Forwarded-User": "dave"}).status_code == 403
    assert client.get("/?config=bobs", headers={"X-Forwarded-User": "carol"}).status_code == 200
    by_header = {"X-Forwarded-User": "dave", "X-Forwarded-Groups": "physics, x"}
    assert client.get("/?config=physics", headers=by_header).status_code == 200


def test_auth_settings_from_the_environment(users_file):
    assert not AuthSettings.from_env({}).enabled
    assert AuthSettings.from_env({"LATENT_DASH_USERS": str(users_file)}).users_file == users_file
    with pytest.raises(ConfigError, match="not a header name"):
        AuthSettings.from_env({"LATENT_DASH_TRUSTED_USER_HEADER": "X User"})
    with pytest.raises(ConfigError, match="cannot be read"):
        AuthSettings.from_env({"LATENT_DASH_USERS": str(users_file.parent / "missing.txt")})


def test_a_users_file_broken_while_serving_keeps_everyone_out(app, users_file, caplog):
    client = app.server.test_client()
    assert client.get("/", headers=basic("bob", "bob-pw")).status_code == 200
    users_file.write_text("bob:nohash\n")
    with caplog.at_level(logging.ERROR):
        assert client.get("/", headers=basic("bob", "bob-pw")).status_code == 503
        assert client.get("/healthz").status_code == 200
        assert client.get("/", headers=basic("bob", "bob-pw")).status_code == 503
    assert caplog.text.count("users file is broken") == 1  # once per change, not per request
    assert "line 1" in caplog.text
    users_file.write_text(user_line("bob", [], "new-pw") + "\n")  # re-read: no restart needed
    assert client.get("/", headers=basic("bob", "new-pw")).status_code == 200


def test_listening_beyond_loopback_without_sign_in_is_warned():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    assert exposure_warning(["127.0.0.1"], AuthSettings()) is None
    warning = exposure_warning(["0.0.0.0"], AuthSettings())
    assert warning and "WITHOUT AUTHENTICATION" in warning and "LATENT_DASH_USERS" in warning
    assert exposure_warning(["0.0.0.0"], AuthSettings(Path("users.txt"))) is None


# --- headers and messages ------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(app):
    client = app.server.test_client()
    alice = basic("alice", "alice-pw")
    answers = [
        client.get("/", headers=alice),  # 200
        client.get("/"),  # 401
        client.get("/?config=bobs", headers=alice),  # 403
        client.get("/thumbnail/open/999.png", headers=alice),  # 404
        client.get("/healthz"),
    ]
    assert [a.status_code for a in answers] == [200, 401, 403, 404, 200]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert answer.headers["Referrer-Policy"] == "same-origin"


def test_an_embeddable_app_sends_no_frame_policy(folder):
    app = create_app(folder / "open.yaml", warm_up=False, auth=AuthSettings(), embeddable=True)
    answer = app.server.test_client().get("/")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in answer.headers
    assert "Content-Security-Policy" not in answer.headers


def test_error_panels_show_paths_relative_to_the_config_folder(tmp_path):
    write_dataset(tmp_path / "data", n=60)
    config = write_config(
        tmp_path / "broken.yaml",
        {"dataset": {"latent": "data/latent.npy", "params": "../elsewhere/params.npy"}},
    )
    workspace, _, n = render_config(config)
    text = json.dumps([w.to_plotly_json() for w in workspace], default=str)
    assert n is None and "cannot be shown" in text
    assert str(tmp_path) not in text
    assert "broken.yaml" in text and "../elsewhere/params.npy" in text


def test_gunicorn_warns_when_it_listens_beyond_loopback_without_sign_in(capsys, monkeypatch):
    import importlib.util
    import socket
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    monkeypatch.delenv("LATENT_DASH_USERS", raising=False)
    monkeypatch.delenv("LATENT_DASH_TRUSTED_USER_HEADER", raising=False)
    for host, warned in (("0.0.0.0", True), ("127.0.0.1", False)):
        with socket.socket() as sock:
            sock.bind((host, 0))
            conf.when_ready(SimpleNamespace(LISTENERS=[SimpleNamespace(sock=sock)]))
        assert ("WITHOUT AUTHENTICATION" in capsys.readouterr().err) == warned
    monkeypatch.setenv("LATENT_DASH_TRUSTED_USER_HEADER", "X-Forwarded-User")
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        conf.when_ready(SimpleNamespace(LISTENERS=[SimpleNamespace(sock=sock)]))
    assert capsys.readouterr().err == ""


def test_validate_says_who_may_open_a_config_and_names_a_bad_entry(folder, capsys):
    assert cli.main(["validate", str(folder / "bobs.yaml"), str(folder / "open.yaml")]) == 0
    out = capsys.readouterr().out
    assert "access: only bob, group:admins" in out and out.count("access:") == 1
    (folder / "bad.yaml").write_text(
        (folder / "bobs.yaml").read_text().replace("group:admins", "grp:admins")
    )
    assert cli.main(["validate", str(folder / "bad.yaml")]) == 1
    err = capsys.readouterr().err
    assert "access" in err and "did you mean group:admins" in err


def test_relative_paths_rewrites_absolute_paths_only(tmp_path):
    from latent_dash.ui.messages import relative_paths

    folder = tmp_path / "configs"
    text = (
        f"{folder}/data/z.npy has 3 rows but '{tmp_path}/other/p.npy' has 4; "
        "see http://example.org/docs, N/A, 10 / 16, a/b"
    )
    assert relative_paths(text, folder) == (
        "data/z.npy has 3 rows but '../other/p.npy' has 4; "
        "see http://example.org/docs, N/A, 10 / 16, a/b"
    )
