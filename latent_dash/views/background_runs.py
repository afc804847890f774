"""The callbacks of a view's background run, the same for every kind that has one.

A kind (embedding, clusters) gives its panel these parts: a Run and a Cancel button, a `status`
line, stores `request` (the job, from latent_dash.jobs.new_job), `token` and `outcome`, an
Interval `watch`, and optionally a `progress` line. Its own request callback decides whether a
job is needed (a cached result answers at once) and writes `request`, `token` and enables
`watch`. Everything after that is here:
- `run`: a background callback (DiskcacheManager or Celery) supervising the work
  (jobs.supervise): progress by set_props, the outcome into `outcome`;
- `finish`: the outcome becomes the panel's `result` and status ("Cancelled.", the error);
- `watch`: every few seconds while the job runs, whether it can still finish; a killed worker
  or a job nobody took is said within seconds, and Run offered again;
- `cancel`: marks the token; the supervisor, wherever it runs, kills its child.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from dash import MATCH, Dash, Input, Output, State, ctx, html, no_update, set_props
from dash.exceptions import PreventUpdate

from latent_dash import jobs
from latent_dash.page import Panel, panel_of

POLL_MS = 400  # how often the browser asks a running job for progress
PROGRESS_EVERY = 0.3  # seconds between progress reports of a job
WATCH_MS = 2000  # how often a page with a running job checks that it is alive

log = logging.getLogger(__name__)


def failure(message: Any) -> html.Span:
    return html.Span(str(message), className="text-danger")


def register_background_run(
    app: Dash,
    ids: Any,
    *,
    work: Callable[[dict], jobs.Work],
    label: Callable[[dict], str],
    status_of: Callable[[dict], Any],
    running: list[tuple[str, str, Any, Any]],
    progress: Callable[[str, float | None], Any] | None = None,
) -> None:
    """Wire a kind's background run: `work(job)` is what runs (returns {"result": ...});
    `label(job)` names it in messages; `status_of(result)` is the status of a result;
    `running` lists (part, property, while running, after) of the panel's own controls;
    `progress(text, fraction)` draws the `progress` part (None: the kind shows none)."""
    hide_after = [(part, prop, after) for part, prop, _, after in running]

    @app.callback(
        Output(ids.part(MATCH, "outcome"), "data"),
        Input(ids.part(MATCH, "request"), "data"),
        background=True,
        interval=POLL_MS,
        running=[
            (Output(ids.part(MATCH, part), prop), during, after)
            for part, prop, during, after in running
        ],
        prevent_initial_call=True,
    )
    def run(job: dict | None) -> dict:
        """Supervise the work; its outcome. The callback has an output on purpose: Dash
        answers a cancelled job of a no-output background callback with an error (500)."""
        if not job:
            raise PreventUpdate
        report = _reporter(ids, panel_of(ctx.triggered_id), progress) if progress else None
        return jobs.supervise(job["token"], work(job), label(job), report)

    @app.callback(
        Output(ids.part(MATCH, "result"), "data", allow_duplicate=True),
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        Output(ids.part(MATCH, "watch"), "disabled", allow_duplicate=True),
        Input(ids.part(MATCH, "outcome"), "data"),
        prevent_initial_call=True,
    )
    def finish(outcome: dict | None):
        """A finished job's result (or error) becomes the panel's result and status; the watch
        on the job stops."""
        if not outcome:
            raise PreventUpdate
        if outcome.get("cancelled"):
            return no_update, "Cancelled.", True
        if "error" in outcome:
            return no_update, failure(outcome["error"]), True
        return outcome["result"], status_of(outcome["result"]), True

    @app.callback(
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        *(Output(ids.part(MATCH, part), p, allow_duplicate=True) for part, p, _ in hide_after),
        Output(ids.part(MATCH, "watch"), "disabled", allow_duplicate=True),
        Input(ids.part(MATCH, "watch"), "n_intervals"),
        State(ids.part(MATCH, "request"), "data"),
        prevent_initial_call=True,
    )
    def watch(ticks, job: dict | None):
        """While a job runs: if it cannot finish (its worker died, none took it), say so and
        offer Run again, instead of a progress bar frozen for ever. (Not an input of the job's
        outcome: the page would hold it back until the job ends.)"""
        if not job:
            return no_update, *(no_update for _ in hide_after), True
        why = jobs.problem(job)
        if why is None:
            raise PreventUpdate
        log.warning("background job %s lost: %s", job.get("token"), why)
        message = (
            f"{label(job)} cannot finish: {why}. Nothing else is lost: press Run to run it again."
        )
        return failure(message), *(after for _, _, after in hide_after), True

    @app.callback(
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        Input(ids.part(MATCH, "cancel"), "n_clicks"),
        State(ids.part(MATCH, "token"), "data"),
        prevent_initial_call=True,
    )
    def cancel(clicks, token: str | None):
        """Mark the job cancelled; its supervisor kills the work and reports "Cancelled."."""
        if not clicks or not token:
            raise PreventUpdate
        return "Cancelling…" if jobs.cancel(token) else no_update


def _reporter(ids: Any, panel: Panel, draw: Callable[[str, float | None], Any]):
    """A jobs.Progress that shows the stage in the panel (throttled)."""
    last = {"at": 0.0, "stage": None}

    def report(text: str, fraction: float | None) -> None:
        now, stage = time.monotonic(), text.split(":")[0]
        if stage == last["stage"] and now - last["at"] < PROGRESS_EVERY:
            return  # a new stage is always shown; steps within one at most every 0.3 s
        last.update(at=now, stage=stage)
        set_props(ids.part(panel, "progress"), {"children": draw(text, fraction)})

    return report
