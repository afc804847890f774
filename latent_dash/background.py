"""Where background callbacks (t-SNE, UMAP, clustering runs) execute: on this machine or on Celery.

- By default a `DiskcacheManager`: each job runs in a process forked by the web server, its
  progress and result kept in the disk cache (`LATENT_DASH_CACHE_DIR/background`). Nothing to set
  up; fine for one machine, with or without gunicorn.
- With `LATENT_DASH_REDIS_URL` set (e.g. `redis://cache-host:6379/0`), a Dash `CeleryManager`:
  jobs go through Redis (broker and result backend) to Celery workers, which may run on other
  machines. Start them with `celery -A latent_dash.worker worker` (see latent_dash/worker.py):
  a worker builds the same Dash app from `LATENT_DASH_CONFIG`, so that the background callbacks
  are registered as Celery tasks on its side too.

Redis may hang (stopped, network lost): every call to it is given a short timeout
(REDIS_TIMEOUT: connecting, each read and write, the publishing of a job), so a request that
needs Redis fails within seconds with a message (503) instead of holding a web worker for
minutes, and /healthz (`redis_health`) says so while staying answerable.

The Celery application is made once per process (`celery_app()`), because Dash names each task
after its callback and registers it on that very object: the web server and the worker must
both use the object this module returns.
"""

from __future__ import annotations

import logging
import os
import re
from functools import cache
from typing import TYPE_CHECKING

from dash import CeleryManager, DiskcacheManager

from latent_dash.storage import disk_cache

if TYPE_CHECKING:
    from celery import Celery

REDIS_ENV = "LATENT_DASH_REDIS_URL"
RESULT_EXPIRES = 24 * 3600  # seconds a finished job's result stays in Redis
REDIS_TIMEOUT = 2.0  # seconds for any one Redis operation; a job's messages are tiny
log = logging.getLogger(__name__)


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
        broker_connection_timeout=REDIS_TIMEOUT,
        broker_transport_options={
            "socket_timeout": REDIS_TIMEOUT,
            "socket_connect_timeout": REDIS_TIMEOUT,
            "max_retries": 1,
        },
        redis_socket_timeout=REDIS_TIMEOUT,
        redis_socket_connect_timeout=REDIS_TIMEOUT,
        redis_retry_on_timeout=False,
        result_backend_transport_options={"retry_policy": {"timeout": REDIS_TIMEOUT}},
        task_publish_retry_policy={
            "max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5,
        },
    )  # fmt: skip
    return app


def redis_health() -> str | None:
    """None when no Redis is used or it answers a PING within REDIS_TIMEOUT, else the problem."""
    url = redis_url()
    if url is None:
        return None
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT / 2, socket_connect_timeout=REDIS_TIMEOUT / 2
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return f"Redis at {_safe(url)} does not answer ({error}): background jobs cannot run"
    finally:
        client.close()
    return None


WORKER_COMMAND = "celery -A latent_dash.worker worker --loglevel=info"


def worker_problem() -> str | None:
    """None when a job can run now (on this machine, or a Celery worker answers a ping within
    REDIS_TIMEOUT), else what the page should say instead of waiting for ever."""
    celery = celery_app()
    if celery is None:
        return None
    try:
        replies = celery.control.ping(timeout=REDIS_TIMEOUT, limit=1)
    except unreachable_errors() as error:
        log.warning("no Redis for a job: %s", error)
        return "Background jobs cannot run now: the server's Redis does not answer; try again"
    if not replies:
        return (
            "No background worker is running, so this cannot start. Nothing is lost: ask the "
            f"administrator to start one (`{WORKER_COMMAND}`), then press Run again"
        )
    return None


def _safe(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def unreachable_errors() -> tuple[type[Exception], ...]:
    """What a request raises when Redis does not answer in time (for a 503 with a message)."""
    if redis_url() is None:
        return ()
    import kombu.exceptions
    import redis

    return (redis.RedisError, kombu.exceptions.OperationalError, TimeoutError)


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
