"""Entry point: `python app.py [--config configs/X.yaml] [--host H] [--port P] [--debug]`.

For gunicorn (`gunicorn app:server`) the config comes from the environment variable
LATENT_DASH_CONFIG (default: configs/default.yaml), and authentication from LATENT_DASH_USERS
or LATENT_DASH_TRUSTED_USER_HEADER (latent_dash.auth); gunicorn.conf.py, beside this file,
warns when gunicorn listens beyond this machine without them.
"""

import sys

from latent_dash.cli import default_config, main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
else:
    from latent_dash.app import create_app
    from latent_dash.auth import AuthSettings
    from latent_dash.errors import ConfigError

    try:
        auth = AuthSettings.from_env()
    except ConfigError as error:  # said plainly, instead of a traceback per worker
        print(f"ERROR authentication settings:\n{error}", file=sys.stderr)
        sys.exit(3)  # gunicorn's "worker failed to boot": the master stops instead of retrying
    app = create_app(default_config(), auth=auth)
    server = app.server
