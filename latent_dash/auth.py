"""Who is asking: optional sign-in from a users file (HTTP Basic) or a trusted proxy's header.

Off unless the environment switches it on, so `python app.py` on a laptop stays as it was:
- `LATENT_DASH_USERS=<file>`: HTTP Basic against the users file, one user a line,
  `name:group1,group2:<password hash>` (a werkzeug `generate_password_hash` hash; blank lines and
  `#` comments allowed). `latent-dash user add NAME --groups ...` writes such a line.
- `LATENT_DASH_TRUSTED_USER_HEADER=X-Forwarded-User`: the user name a reverse proxy in front
  (oauth2-proxy, nginx auth_request) sets; groups from `LATENT_DASH_TRUSTED_GROUPS_HEADER`
  (comma-separated) and from the users file if one is given (its hashes are then unused).
Every request is identified on its own (no session, nothing kept per user), so any gunicorn
worker answers any request the same. Passwords are checked by werkzeug (Flask's own
dependency); a successful check is remembered per process under an HMAC of the credentials,
because a page makes dozens of requests and one scrypt check costs ~85 ms of CPU.
`/healthz` stays open for load balancers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dash import Dash
from flask import Response, g, request
from werkzeug.security import check_password_hash, generate_password_hash

from latent_dash.config import ACCESS_NAME
from latent_dash.errors import ConfigError, Problem

USERS_ENV = "LATENT_DASH_USERS"
USER_HEADER_ENV = "LATENT_DASH_TRUSTED_USER_HEADER"
GROUPS_HEADER_ENV = "LATENT_DASH_TRUSTED_GROUPS_HEADER"
REALM = "latent-dash"
OPEN_PATHS = frozenset({"/healthz"})
HASH_METHODS = ("scrypt", "pbkdf2")
_NAME = re.compile(rf"^{ACCESS_NAME}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class User:
    """The person behind a request: `name` None when authentication is off (anonymous)."""

    name: str | None
    groups: frozenset[str] = frozenset()


ANONYMOUS = User(None)


@dataclass(frozen=True)
class Account:
    """One line of the users file."""

    name: str
    groups: frozenset[str]
    password_hash: str


def _split_groups(text: str) -> list[str]:
    return [group.strip() for group in text.split(",") if group.strip()]


def parse_users(text: str, file: str, *, need_hashes: bool = True) -> dict[str, Account]:
    """The accounts of a users file's text; ConfigError listing every bad line (by number)."""
    accounts: dict[str, Account] = {}
    problems: list[Problem] = []
    fix_line = "write it as name:group1,group2:HASH (latent-dash user add NAME --groups ...)"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        parts = line.split(":", 2)
        if len(parts) != 3:
            problems.append(Problem(file, where, "expected 3 fields separated by ':'", fix_line))
            continue
        name, groups_text, password_hash = (p.strip() for p in parts)
        bad = [n for n in [name, *_split_groups(groups_text)] if not _NAME.match(n)]
        if bad:
            problems.append(
                Problem(file, where, f"{bad[0]!r} is not a valid user or group name",
                        "use letters, digits and . _ @ + - (starting with a letter or digit)")
            )  # fmt: skip
            continue
        if name in accounts:
            problems.append(
                Problem(file, where, f"user {name!r} is listed twice", "keep one line per user")
            )
            continue
        if need_hashes and not _is_hash(password_hash):
            problems.append(
                Problem(file, where, f"the password of {name!r} is not a password hash "
                        f"(expected {' or '.join(HASH_METHODS)}:...$salt$hash)",
                        f"replace the line with the output of: latent-dash user add {name}")
            )  # fmt: skip
            continue
        accounts[name] = Account(name, frozenset(_split_groups(groups_text)), password_hash)
    if problems:
        raise ConfigError(problems)
    return accounts


def _is_hash(text: str) -> bool:
    return text.startswith(tuple(f"{m}:" for m in HASH_METHODS)) and text.count("$") == 2


def user_line(name: str, groups: list[str], password: str) -> str:
    """A users-file line for `name` with a freshly salted scrypt hash of `password`."""
    for value in [name, *groups]:
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid user or group name: use letters, digits and . _ @ + -"
            )
    if not password:
        raise ValueError("the password is empty")
    return f"{name}:{','.join(groups)}:{generate_password_hash(password)}"


class UsersFile:
    """A users file, re-read when it changes (adding a user needs no restart).

    A file that turns bad while the server runs keeps nobody in: `accounts` raises ConfigError.
    """

    def __init__(self, path: Path, *, need_hashes: bool = True):
        self.path = path
        self.need_hashes = need_hashes
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | bool | None = False  # False: never read
        self._accounts: dict[str, Account] | ConfigError = {}

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _read(self) -> dict[str, Account] | ConfigError:
        try:
            text = self.path.read_text(encoding="utf-8")
            return parse_users(text, str(self.path), need_hashes=self.need_hashes)
        except ConfigError as error:
            return error
        except (OSError, UnicodeDecodeError) as error:
            return ConfigError(
                [Problem(str(self.path), "", f"users file cannot be read ({error})",
                         f"check the path in {USERS_ENV}; the file must be UTF-8 text")]
            )  # fmt: skip

    def accounts(self) -> dict[str, Account]:
        """The accounts by name; ConfigError when the file is missing or has a bad line."""
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._accounts = self._read()
                self._stamp = stamp
                if isinstance(self._accounts, ConfigError):  # said once per change of the file
                    log.error("refusing every request: the users file is broken:\n%s",
                              self._accounts)  # fmt: skip
            if isinstance(self._accounts, ConfigError):
                raise self._accounts
            return self._accounts


_PROCESS_KEY = secrets.token_bytes(32)
_verified: set[bytes] = set()
_VERIFIED_LIMIT = 4096


def verify_password(account: Account, password: str) -> bool:
    """werkzeug's check, remembered per process for credentials that passed it (by an HMAC
    with a per-process random key, so no password is kept in memory)."""
    token = hmac.new(
        _PROCESS_KEY, f"{account.password_hash}\0{password}".encode(), hashlib.sha256
    ).digest()
    if token in _verified:
        return True
    if not check_password_hash(account.password_hash, password):
        return False
    if len(_verified) >= _VERIFIED_LIMIT:
        _verified.clear()
    _verified.add(token)
    return True


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _spend_a_check(password: str) -> None:
    """As long as a real check: a wrong user name is not told apart from a wrong password."""
    check_password_hash(_dummy_hash(), password)


@dataclass(frozen=True)
class AuthSettings:
    """How requests are authenticated; all None: not at all (everyone is anonymous)."""

    users_file: Path | None = None
    user_header: str | None = None
    groups_header: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        environ = os.environ if environ is None else environ
        users = environ.get(USERS_ENV) or None
        settings = cls(
            Path(users).expanduser().resolve() if users else None,
            environ.get(USER_HEADER_ENV) or None,
            environ.get(GROUPS_HEADER_ENV) or None,
        )
        settings.check()
        return settings

    @property
    def enabled(self) -> bool:
        return self.users_file is not None or self.user_header is not None

    @property
    def mode(self) -> str:
        if self.user_header:
            return f"trusted proxy header {self.user_header}"
        return f"HTTP Basic, users from {self.users_file}" if self.users_file else "off"

    def check(self) -> None:
        """ConfigError naming the variable and the fix when the settings cannot work."""
        problems = []
        for variable, header in ((USER_HEADER_ENV, self.user_header),
                                 (GROUPS_HEADER_ENV, self.groups_header)):  # fmt: skip
            if header and not _HEADER.match(header):
                problems.append(Problem(variable, "", f"{header!r} is not a header name",
                                        "name a header such as X-Forwarded-User"))  # fmt: skip
        if self.groups_header and not self.user_header:
            problems.append(Problem(GROUPS_HEADER_ENV, "", f"set without {USER_HEADER_ENV}",
                                    f"set {USER_HEADER_ENV} too, or unset it"))  # fmt: skip
        if problems:
            raise ConfigError(problems)
        if self.users_file:
            UsersFile(self.users_file, need_hashes=not self.user_header).accounts()


class Authenticator:
    """Identifies each request as a User, or answers why it cannot (401, 503)."""

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        self.users = (
            UsersFile(settings.users_file, need_hashes=not settings.user_header)
            if settings.users_file
            else None
        )

    def identify(self) -> User | Response:
        """The current request's user, or the response refusing it."""
        if not self.settings.enabled:
            return ANONYMOUS
        try:
            accounts = self.users.accounts() if self.users else {}
        except ConfigError:  # logged by UsersFile when it was read
            return _text(503, "The server's users file is broken; its administrator sees why "
                         "in the server log.")  # fmt: skip
        if self.settings.user_header:
            return self._from_proxy(accounts)
        credentials = request.authorization
        if credentials is not None and credentials.type == "basic":
            account = accounts.get(credentials.username or "")
            if account is None:
                _spend_a_check(credentials.password or "")  # unknown names take as long
            elif verify_password(account, credentials.password or ""):
                return User(account.name, account.groups)
        response = _text(401, "Sign in with your latent-dash user name and password.")
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
        return response

    def _from_proxy(self, accounts: dict[str, Account]) -> User | Response:
        name = (request.headers.get(self.settings.user_header or "") or "").strip()
        if not name or not _NAME.match(name):
            return _text(401, f"No user: this server is reached through its sign-in proxy, which "
                         f"sets {self.settings.user_header}.")  # fmt: skip
        groups = set(accounts[name].groups) if name in accounts else set()
        if self.settings.groups_header:
            given = _split_groups(request.headers.get(self.settings.groups_header, ""))
            groups.update(group for group in given if _NAME.match(group))
        return User(name, frozenset(groups))


def current_user() -> User:
    """The user of the request being answered (anonymous outside a request)."""
    return g.get("user", ANONYMOUS)


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def register_authentication(app: Dash, settings: AuthSettings) -> None:
    """Identify every request before anything else answers it (register this first)."""
    authenticator = Authenticator(settings)

    @app.server.before_request
    def authenticate() -> Response | None:
        if request.path in OPEN_PATHS:
            return None
        user = authenticator.identify()
        if isinstance(user, Response):
            return user
        g.user = user
        return None


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or name to listen on) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(hosts: list[str], settings: AuthSettings) -> str | None:
    """The warning to print when listening beyond this machine without authentication."""
    exposed = [h for h in hosts if not is_loopback(h)]
    if settings.enabled or not exposed:
        return None
    return (
        f"WARNING: listening on {', '.join(exposed)} WITHOUT AUTHENTICATION: anyone who can "
        "reach this port sees every config without an access list. Set "
        f"{USERS_ENV}=<users file> (or {USER_HEADER_ENV} behind a sign-in proxy); see the "
        "README, 'Who may see what'."
    )
