"""gunicorn reads this file from the working directory (`gunicorn app:server ...` here).

It only adds a warning: listening on a non-loopback address (`-b 0.0.0.0:8050`) without
sign-in (LATENT_DASH_USERS or LATENT_DASH_TRUSTED_USER_HEADER) shows every config without an
access list to anyone who can reach the port. Settings given on the command line still apply.
"""

import sys

from latent_dash.auth import AuthSettings, exposure_warning
from latent_dash.errors import ConfigError


def when_ready(server) -> None:
    """Once gunicorn listens: warn when that is beyond this machine without sign-in."""
    hosts = [
        str(address[0])
        for address in (listener.sock.getsockname() for listener in server.LISTENERS)
        if isinstance(address, tuple)  # TCP; a unix socket is local
    ]
    try:
        auth = AuthSettings.from_env()
    except ConfigError:
        return  # each worker says what is wrong with the settings, and gunicorn stops
    warning = exposure_warning(hosts, auth)
    if warning:
        print(warning, file=sys.stderr, flush=True)
