"""Scan speed: median server time of GET /e/<token> for random signed-in scans on a large
database, next to the app's bare /healthz route (the floor).

    .venv/bin/python benchmarks/scan.py [--postgres URL] [--scale 0.1]
"""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ServerTimer,
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


def run(url: str, scale: float) -> None:
    app = make_app(url)
    sizes = ensure_large_database(app, scale)
    print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}: {sizes}")
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
    client = app.test_client()
    sign_in(client, "tech1@bench.example")
    timed_gets(app, timer, client, [f"/e/{rng.choice(tokens)}" for _ in range(50)])  # warm up
    timed_gets(app, timer, client, ["/healthz", "/more"] * 25)
    scans, _ = timed_gets(app, timer, client, [f"/e/{rng.choice(tokens)}" for _ in range(SCANS)])
    floor, _ = timed_gets(app, timer, client, ["/healthz"] * SCANS)
    # For scale: the cheapest signed-in page (loads the user, renders the layout and nav).
    shell, _ = timed_gets(app, timer, client, ["/more"] * SCANS)
    _, busiest_size = timed_gets(app, timer, client, [f"/e/{busiest.qr_token}"])
    scan_ms, floor_ms, shell_ms = median_ms(scans), median_ms(floor), median_ms(shell)
    p90 = statistics.quantiles(scans, n=10)[-1] * 1000
    print(f"  GET /e/<token>  median {scan_ms:.2f} ms  p90 {p90:.2f} ms  ({SCANS} random scans)")
    print(f"  GET /healthz    median {floor_ms:.3f} ms  (floor)")
    print(f"  GET /more       median {shell_ms:.2f} ms  (a signed-in page with no data)")
    print(f"  ratio           {scan_ms / floor_ms:.1f}x the floor, {scan_ms / shell_ms:.1f}x /more")
    print(f"  busiest plotter ({busiest.n} visits): page {busiest_size / 1024:.1f} KB")


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    run(sqlite_url(args.scale), args.scale)
    if args.postgres:
        run(args.postgres, args.scale)


if __name__ == "__main__":
    main()
