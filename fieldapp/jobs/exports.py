"""The jobs list as rows for a CSV file: the columns an office reads in a spreadsheet, dates in
the company's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fieldapp.jobs.models import Job

JOB_CSV_HEADER = (
    "job",
    "status",
    "priority",
    "type",
    "opened",
    "scheduled",
    "closed",
    "customer",
    "plotter",
    "serial",
    "tech",
    "error_code",
    "problem",
)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def job_row(job: Job, zone: ZoneInfo) -> list:
    plotter = job.equipment
    return [
        job.number,
        job.status,
        job.priority,
        job.kind,
        _local(job.created_at, zone),
        _local(job.scheduled_for, zone),
        _local(job.closed_at, zone),
        job.customer.name,
        f"{plotter.make} {plotter.model}" if plotter else "",
        plotter.serial_number if plotter else "",
        job.assigned_to.name if job.assigned_to else "",
        job.error_code,
        job.problem,
    ]
