"""One way to run a long computation for a page: supervised, with progress, cancellable by token.

Every view that computes in the background (embedding, clustering) runs its work through
`supervise`, inside its background callback (a process forked by the web server, or a Celery
worker on another machine):
- the work runs in a child process; the supervisor relays its progress, beats a heart, and
  returns its outcome: {"result": ...}, {"error": text} or {"cancelled": True};
- Cancel only marks the job's token in a disk cache shared by every web and background worker
  (`cancel`); the supervisor, wherever it runs, sees the mark at its next poll and kills its own
  child. No process id crosses machines;
- a page that waits on a job asks `problem(job)` now and then: a job whose supervisor stopped
  beating (its worker was killed, its machine lost), or that no worker took, is reported within
  seconds instead of a progress bar frozen for ever.

No Dash here: views wire these to their callbacks (views/background_runs.py).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psutil

from latent_dash.storage import disk_cache

ORPHAN_CHECK_SECONDS = 0.5  # how often a computing process checks that its supervisor lives
BEAT_SECONDS = 1.0  # how often a supervisor says it is alive
LOST_AFTER = 8.0  # seconds without a beat after which a job is taken for lost
START_WITHIN = 30.0  # seconds a job may wait for a worker before the page says none took it
CANCELLED = "cancelled"
RUNNING = "running"
DONE = "done"

Progress = Callable[[str, float | None], None]
Work = Callable[[Progress], dict[str, Any]]

log = logging.getLogger(__name__)


def new_job(**fields: Any) -> dict[str, Any]:
    """A job description with its token (names it for Cancel) and request time (for `problem`)."""
    return {**fields, "token": uuid.uuid4().hex, "requested_at": time.time()}


def _store():
    return disk_cache("background-jobs")


def register(token: str) -> bool:
    """Mark `token` as computing; False if Cancel came first."""
    store = _store()
    with store.transact():
        if store.get(token) == CANCELLED:
            return False
        store.set(token, RUNNING, expire=24 * 3600)
    return True


def running(token: str) -> bool:
    """Registered and not cancelled."""
    return _store().get(token) == RUNNING


def beat(token: str) -> None:
    """The supervisor of `token` is alive (see `lost`)."""
    _store().set(f"{token}:beat", time.time(), expire=24 * 3600)


def lost(token: str, requested_at: float) -> str | None:
    """Why the job `token` cannot finish, or None while it may: its supervisor's beat stopped,
    or no worker took it within START_WITHIN."""
    store = _store()
    state, last, now = store.get(token), store.get(f"{token}:beat"), time.time()
    if state == DONE:
        return None  # its outcome is on its way to the page
    if last is None:
        if state is None and now - requested_at > START_WITHIN:
            return "no background worker took it"
        return None
    if now - last > LOST_AFTER:
        return "the background worker running it stopped (killed, or its machine lost)"
    return None


def forget(token: str) -> None:
    """The job ended (its outcome goes to the page)."""
    _store().set(token, DONE, expire=3600)
    _store().delete(f"{token}:beat")


def cancel(token: str) -> bool:
    """Ask the job `token` to stop; False when it was already cancelled. A token not registered
    yet is marked too: its supervisor stops as soon as it starts."""
    store = _store()
    with store.transact():
        if store.get(token) == CANCELLED:
            return False
        store.set(token, CANCELLED, expire=3600)
    return True


def problem(job: dict[str, Any]) -> str | None:
    """Why a running job cannot finish (its worker died, none took it, or Redis, which brings
    its outcome back, does not answer), or None while it may."""
    from latent_dash import background  # imports Dash's managers: only where a page asks

    if background.redis_health() is not None:
        return "the server's Redis, which brings its result back, does not answer"
    return lost(str(job.get("token")), float(job.get("requested_at") or 0))


def _kill(pid: int) -> None:
    """The computing process and any process it started (numba or BLAS helpers)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        process = psutil.Process(pid)
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.kill()


def _fork_context():
    """The library that forks the computing process.

    Celery's default (prefork) pool runs each job in a daemonic process, and the standard
    library refuses children to those ("daemonic processes are not allowed to have children").
    billiard, the multiprocessing fork that makes that pool (installed with Celery), allows it;
    the child's own watchdog (`_die_with`) then does what the refusal guards: no orphan computes
    on once its supervisor is gone.
    """
    if multiprocessing.current_process().daemon:
        import billiard

        return billiard.get_context("fork")
    return multiprocessing.get_context("fork")


def _die_with(parent: int) -> None:
    """End this process as soon as `parent` is gone (killed worker, lost machine's job)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-supervisor", daemon=True).start()


def _child(pipe, work: Work, label: str, parent: int) -> None:
    """The computing process: run the work, send progress and the outcome through `pipe`."""
    _die_with(parent)
    try:
        pipe.send(("outcome", work(lambda text, fraction: pipe.send(("progress", text, fraction)))))
    except ValueError as error:  # the work's own refusal: shown as it is
        pipe.send(("outcome", {"error": str(error)}))
    except BaseException as error:  # shown in the panel, not as a callback error
        log.exception("%s failed", label)
        pipe.send(("outcome", {"error": f"{label} failed: {error}"}))
    finally:
        pipe.close()


def _ended(token: str, label: str) -> dict[str, Any]:
    """The outcome of a computing process that ended without one: cancelled, or it died."""
    if not running(token):
        return {"cancelled": True}
    return {"error": f"{label} stopped unexpectedly (out of memory?); try fewer samples"}


def supervise(token: str, work: Work, label: str, report: Progress | None = None) -> dict:
    """Run `work(progress)` in a child process and relay its progress to `report`; its outcome
    ({"result"} or {"error"}), or {"cancelled": True}.

    The child does the work so that a Cancel can end it while this process (the background
    callback's) ends normally, answering "cancelled" to the page.
    """
    registered = register(token)  # first, so a page sees a beat or "cancelled"
    beat(token)
    context = _fork_context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, work, label, os.getpid()), daemon=True)
    child.start()
    send.close()
    if not registered:
        _kill(child.pid)  # Cancel came first: the child ends at once and the job "cancelled"
    beaten = time.monotonic()
    try:
        while True:
            if time.monotonic() - beaten > BEAT_SECONDS:
                beat(token)
                beaten = time.monotonic()
            if child.is_alive() and not running(token):
                _kill(child.pid)  # Cancel was clicked, on whichever server
            try:
                if not receive.poll(0.2):
                    if not child.is_alive() and not receive.poll(0):
                        return _ended(token, label)
                    continue
                kind, *message = receive.recv()
            except (EOFError, OSError):
                return _ended(token, label)
            if kind == "progress":
                if report is not None:
                    report(*message)
            else:
                return message[0]
    finally:
        forget(token)
        child.join(timeout=1)
