"""Celery worker entry point: `celery -A latent_dash.worker worker --loglevel=info`.

The worker needs the same environment as the web servers:
- LATENT_DASH_REDIS_URL: the Redis that brokers the jobs and keeps their results;
- LATENT_DASH_CONFIG: the same config (and folder of configs, with the data files at the same
  paths): building the Dash app here registers its background callbacks as Celery tasks under
  the names the web servers send;
- LATENT_DASH_CACHE_DIR: the same folder (shared storage), since jobs read selections from it
  and write their results (embeddings, cluster labels) there for the web servers to read.
It answers no HTTP request, so it needs no sign-in settings (the web servers check who may
start a job before it is sent).
"""

from __future__ import annotations

from latent_dash.app import create_app
from latent_dash.auth import AuthSettings
from latent_dash.background import REDIS_ENV, celery_app
from latent_dash.cli import default_config

celery = celery_app()
if celery is None:
    raise RuntimeError(
        f"{REDIS_ENV} is not set. Fix: set it to the Redis URL the web servers use "
        "(e.g. redis://host:6379/0) before starting `celery -A latent_dash.worker worker`"
    )

# registers the background callbacks on `celery`; not named `app`, which Celery would take
dash_app = create_app(default_config(), auth=AuthSettings())
