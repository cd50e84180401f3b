"""The Prometheus text format (version 0.0.4) of a metrics sample, written by hand: a
dozen lines need no client library."""

from __future__ import annotations

from datetime import datetime

from tousu.ops.selectors import Sample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        number = repr(float(value)) if isinstance(value, float) else str(value)
        lines.append(f"{name}{labels} {number}")
    return "\n".join(lines)


def render(sample: Sample, *, now: datetime) -> str:
    worker = sample.worker
    families = [
        _family(
            "tousu_complaints_registered_total",
            "counter",
            "Complaints registered (the highest complaint id; use rate() for intake).",
            [("", sample.complaints_registered)],
        ),
        _family(
            "tousu_outbox_depth",
            "gauge",
            "Notifications waiting in the outbox, by status.",
            [(f'{{status="{status}"}}', n) for status, n in sample.outbox.items()],
        ),
        _family(
            "tousu_report_jobs",
            "gauge",
            "Report and export jobs queued or running, by status.",
            [(f'{{status="{status}"}}', n) for status, n in sample.report_jobs.items()],
        ),
        _family(
            "tousu_deadlines_overdue",
            "gauge",
            "Open deadlines past due: not yet marked by the worker, or already breached.",
            [
                ('{state="unmarked"}', sample.deadlines_overdue_unmarked),
                ('{state="breached"}', sample.deadlines_breached_open),
            ],
        ),
        _family(
            "tousu_task_queue_ready",
            "gauge",
            "Tasks waiting in the shared task queue (TOUSU_TASK_BACKEND=database).",
            [("", sample.tasks_ready)],
        ),
        _family(
            "tousu_worker_up",
            "gauge",
            "1 when a worker pass has ever finished, else 0.",
            [("", 1 if worker else 0)],
        ),
    ]
    if worker is not None:
        families += [
            _family(
                "tousu_worker_lag_seconds",
                "gauge",
                "Seconds since the worker's last finished pass.",
                [("", round(worker.age_seconds(now), 3))],
            ),
            _family(
                "tousu_worker_last_pass_duration_seconds",
                "gauge",
                "How long the worker's last finished pass took.",
                [("", round(worker.duration_seconds, 3))],
            ),
            _family(
                "tousu_worker_last_pass_timestamp_seconds",
                "gauge",
                "When the worker's last finished pass ended (Unix time).",
                [("", round(worker.finished_at.timestamp(), 3))],
            ),
        ]
    return "\n".join(families) + "\n"
