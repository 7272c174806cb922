"""Scan speed: median server time of GET /e/<token> for random signed-in scans on a large
database, next to the app's bare /healthz route (the floor), and the SQL statements a scan runs.

    .venv/bin/python benchmarks/scan.py [--postgres URL] [--scale 0.1] [--round-trip-ms 1]
        [--role office] [--no-sqlite]

--round-trip-ms sleeps that long before every statement: what a database one network hop
away (another machine in the same data centre: about 0.5 to 1 ms a round trip) would add.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ServerTimer,
    Statements,
    ensure_large_database,
    make_app,
    median_ms,
    parser,
    sign_in,
    sqlite_url,
    timed_gets,
)
from fieldapp.extensions import db  # noqa: E402

SCANS = 500
EMAILS = {"tech": "tech1@bench.example", "office": "office@bench.example"}


def simulate_round_trip(engine, milliseconds: float) -> None:
    """Sleep before every statement, as a database one network hop away would make it wait."""
    delay = milliseconds / 1000

    def wait(*_):
        time.sleep(delay)

    sa.event.listen(engine, "before_cursor_execute", wait)


def run(url: str, scale: float, round_trip_ms: float = 0.0, role: str = "tech") -> None:
    app = make_app(url)
    sizes = ensure_large_database(app, scale)
    print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}: {sizes}")
    print(f"  signed in as {role}, simulated round trip {round_trip_ms:g} ms a statement")
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    rng = random.Random(1)
    with app.app_context():
        tokens = list(db.session.scalars(sa.select(db.metadata.tables["equipment"].c.qr_token)))
        busiest = db.session.execute(
            sa.text(
                "SELECT e.qr_token, count(*) AS n FROM visits v JOIN equipment e "
                "ON e.id = v.equipment_id GROUP BY e.qr_token ORDER BY n DESC LIMIT 1"
            )
        ).one()
        statements = Statements(db.engine)
        if round_trip_ms:
            simulate_round_trip(db.engine, round_trip_ms)
    client = app.test_client()
    sign_in(client, EMAILS[role])
    timed_gets(app, timer, client, [f"/e/{rng.choice(tokens)}" for _ in range(50)])  # warm up
    timed_gets(app, timer, client, ["/healthz", "/more"] * 25)
    per_scan = []
    before = statements.count
    scans = []
    for _ in range(SCANS):
        samples, _ = timed_gets(app, timer, client, [f"/e/{rng.choice(tokens)}"])
        scans += samples
        per_scan.append(statements.count - before)
        before = statements.count
    floor, _ = timed_gets(app, timer, client, ["/healthz"] * SCANS)
    # For scale: the cheapest signed-in page (loads the user, renders the layout and nav).
    shell, _ = timed_gets(app, timer, client, ["/more"] * SCANS)
    before = statements.count
    _, busiest_size = timed_gets(app, timer, client, [f"/e/{busiest.qr_token}"])
    busiest_statements = statements.count - before
    scan_ms, floor_ms, shell_ms = median_ms(scans), median_ms(floor), median_ms(shell)
    p90 = statistics.quantiles(scans, n=10)[-1] * 1000
    print(f"  GET /e/<token>  median {scan_ms:.2f} ms  p90 {p90:.2f} ms  ({SCANS} random scans)")
    print(f"  GET /healthz    median {floor_ms:.3f} ms  (floor)")
    print(f"  GET /more       median {shell_ms:.2f} ms  (a signed-in page with no data)")
    print(f"  ratio           {scan_ms / floor_ms:.1f}x the floor, {scan_ms / shell_ms:.1f}x /more")
    print(
        f"  statements      {statistics.median(per_scan):g} a scan (median; "
        f"{min(per_scan)} to {max(per_scan)})"
    )
    print(
        f"  busiest plotter ({busiest.n} visits): page {busiest_size / 1024:.1f} KB, "
        f"{busiest_statements} statements"
    )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--round-trip-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="sleep this long before each statement (a database one network hop away)",
    )
    p.add_argument("--role", choices=sorted(EMAILS), default="tech", help="who scans")
    p.add_argument("--no-sqlite", action="store_true", help="only run on --postgres")
    args = p.parse_args()
    if not args.no_sqlite:
        run(sqlite_url(args.scale), args.scale, args.round_trip_ms, args.role)
    if args.postgres:
        run(args.postgres, args.scale, args.round_trip_ms, args.role)


if __name__ == "__main__":
    main()
