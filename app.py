"""Entry point: `python app.py [--config configs/X.yaml] [--host H] [--port P] [--debug]`.

For gunicorn (`gunicorn app:server`) the config comes from the environment variable
LATENT_DASH_CONFIG (default: configs/default.yaml).
"""

import sys

from latent_dash.cli import default_config, main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
else:
    from latent_dash.app import create_app

    app = create_app(default_config())
    server = app.server
