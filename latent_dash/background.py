"""Where background callbacks (t-SNE, UMAP, clustering runs) execute: on this machine or on Celery.

- By default a `DiskcacheManager`: each job runs in a process forked by the web server, its
  progress and result kept in the disk cache (`LATENT_DASH_CACHE_DIR/background`). Nothing to set
  up; fine for one machine, with or without gunicorn.
- With `LATENT_DASH_REDIS_URL` set (e.g. `redis://cache-host:6379/0`), a Dash `CeleryManager`:
  jobs go through Redis (broker and result backend) to Celery workers, which may run on other
  machines. Start them with `celery -A latent_dash.worker worker` (see latent_dash/worker.py):
  a worker builds the same Dash app from `LATENT_DASH_CONFIG`, so that the background callbacks
  are registered as Celery tasks on its side too.

The Celery application is made once per process (`celery_app()`), because Dash names each task
after its callback and registers it on that very object: the web server and the worker must
both use the object this module returns.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from dash import CeleryManager, DiskcacheManager

from latent_dash.storage import disk_cache

if TYPE_CHECKING:
    from celery import Celery

REDIS_ENV = "LATENT_DASH_REDIS_URL"
RESULT_EXPIRES = 24 * 3600  # seconds a finished job's result stays in Redis


def redis_url() -> str | None:
    """LATENT_DASH_REDIS_URL, or None when background jobs stay on this machine."""
    return os.environ.get(REDIS_ENV) or None


@cache
def _celery(url: str) -> Celery:
    try:
        from celery import Celery
    except ImportError as missing:
        raise RuntimeError(
            f"{REDIS_ENV} is set, but Celery is not installed. Fix: "
            'pip install "latent-dash[server]" (celery[redis]), or unset the variable to run '
            "background jobs on this machine"
        ) from missing
    app = Celery("latent_dash", broker=url, backend=url)
    app.conf.update(
        result_expires=RESULT_EXPIRES,
        task_track_started=True,
        worker_prefetch_multiplier=1,  # long jobs: a worker takes one at a time
        task_acks_late=False,
        broker_connection_retry_on_startup=True,
    )
    return app


def celery_app() -> Celery | None:
    """The process's Celery application on LATENT_DASH_REDIS_URL, or None when it is not set."""
    url = redis_url()
    return _celery(url) if url else None


def background_manager() -> DiskcacheManager | CeleryManager:
    """CeleryManager when LATENT_DASH_REDIS_URL is set, else DiskcacheManager (the default)."""
    celery = celery_app()
    if celery is not None:
        return CeleryManager(celery, expire=RESULT_EXPIRES)
    return DiskcacheManager(disk_cache("background"))
