"""Office speed: median server time of the dashboard, the dispatch board, the live feed's poll,
the search, the list of every job and each report (default range: the last twelve weeks; and
a year) on the large database with six months of office data added, next to the app's bare
/healthz route (the floor).

    .venv/bin/python benchmarks/office.py [--postgres URL] [--scale 0.1] [--runs 25] [--only WORD]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ServerTimer,
    ensure_office_database,
    make_app,
    median_ms,
    parser,
    sign_in,
    sqlite_url,
    timed_gets,
)
from fieldapp.extensions import db  # noqa: E402
from fieldapp.office.reports import REPORTS  # noqa: E402


def pages(today: str, year_ago: str, serial: str) -> list[tuple[str, str]]:
    found = [
        ("dashboard", "/"),
        ("board", "/jobs"),
        ("board, one tech", "/jobs?tech=3"),
        ("requests inbox", "/requests"),
        ("tech's day", "/techs/3/day"),
        ("search box, a job number", "/search?fragment=1&q=J-45000"),
        ("search box, a serial", f"/search?fragment=1&q={serial}"),
        ("search box, two words", "/search?fragment=1&q=designjet+t1700"),
        ("search box, a common word", "/search?fragment=1&q=print"),
        ("search page, a common word", "/search?q=print"),
        ("all jobs, page 1", "/jobs/all"),
        ("all jobs, page 1,000", "/jobs/all?page=1000"),
        ("all jobs, done, by closing date", "/jobs/all?status=done&sort=-closed"),
        ("all jobs, one tech, by customer", "/jobs/all?tech=3&sort=customer"),
        ("all jobs, customer's words", "/jobs/all?customer=print+studio"),
    ]
    found += [(f"report {slug}", f"/reports/{slug}") for slug in REPORTS]
    found += [
        (f"report {slug} (1 year)", f"/reports/{slug}?from={year_ago}&to={today}")
        for slug in REPORTS
    ]
    return found


def run(base_url: str, scale: float, runs: int, only: list[str]) -> None:
    url = ensure_office_database(base_url, scale)
    app = make_app(url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    with app.app_context():
        tables = db.metadata.tables
        sizes = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(tables[name]))
            for name in ("visits", "jobs", "activity_events", "messages", "stock_movements")
        }
        latest = db.session.scalar(sa.select(sa.func.max(tables["activity_events"].c.id)))
        serial = db.session.scalar(sa.select(tables["equipment"].c.serial_number).limit(1))
    print(f"{url.split('://')[0]}: {sizes}")
    client = app.test_client()
    sign_in(client, "office@bench.example")
    today = datetime.now(UTC).date()
    year_ago = (today - timedelta(days=364)).isoformat()
    timed_gets(app, timer, client, ["/healthz"] * 50)
    floor, _ = timed_gets(app, timer, client, ["/healthz"] * max(runs, 200))
    floor_ms = median_ms(floor)
    print(f"  {'GET /healthz (floor)':<44} median {floor_ms:8.3f} ms")
    poll = client.get(f"/api/v1/activity?after={latest}")
    etag = poll.headers["ETag"]
    samples = []
    for _ in range(max(runs, 100)):
        response = client.get(f"/api/v1/activity?after={latest}", headers={"If-None-Match": etag})
        assert response.status_code == 304
        samples.append(timer.last)
    print(_line("feed poll, nothing new (304)", samples, floor_ms))
    for name, path in pages(today.isoformat(), year_ago, serial):
        if only and not any(word in name for word in only):
            continue
        timed_gets(app, timer, client, [path] * 2)  # warm up
        samples, size = timed_gets(app, timer, client, [path] * runs)
        print(_line(name, samples, floor_ms, size))
    with app.app_context():
        db.engine.dispose()


def _line(name: str, samples: list[float], floor_ms: float, size: int | None = None) -> str:
    ms = median_ms(samples)
    kb = f"  {size / 1024:6.1f} KB" if size else ""
    return f"  {name:<44} median {ms:8.2f} ms  {ms / floor_ms:7.0f}x floor{kb}"


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=25, help="requests per page (median of these)")
    p.add_argument(
        "--only", action="append", default=[], help="only the pages whose name has this word"
    )
    args = p.parse_args()
    run(sqlite_url(args.scale), args.scale, args.runs, args.only)
    if args.postgres:
        run(args.postgres, args.scale, args.runs, args.only)


if __name__ == "__main__":
    main()
