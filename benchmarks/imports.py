"""The plotters import: how long the check (a dry run) and the import of a file of 5,000 rows
take, and importing it again (every row unchanged), with the SQL statements per row, on a
new database each run. Each row is new customer or known, a site with its contact on every
second row, and a plotter.

    .venv/bin/python benchmarks/imports.py [--postgres URL] [--rows 5000]
"""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from benchmarks.common import (  # noqa: E402
    DATA,
    MODELS,
    Statements,
    make_app,
    parser,
    postgres_database,
)
from fieldapp.csvimport import MAX_ROWS  # noqa: E402
from fieldapp.equipment.imports import NAMES, import_plotters  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.unit_of_work import unit_of_work  # noqa: E402


def plotters_file(rows: int) -> bytes:
    """rows plotters of rows / 5 customers, every second one at a named site."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(NAMES)
    for n in range(rows):
        customer = n // 5
        make, model = MODELS[n % len(MODELS)]
        at_site = n % 2 == 0
        writer.writerow(
            [
                f"Customer {customer} Surveying",
                f"Building {n % 3}" if at_site else "",
                f"{n % 3 + 1} {customer} Main Street, Springfield" if at_site else "",
                f"Contact {customer}" if at_site else "",
                f"303-555-{customer % 10_000:04d}" if at_site else "",
                "",
                make,
                model,
                f"SN{n:08d}",
                f"20{10 + n % 15}-0{1 + n % 9}-1{n % 10}",
            ]
        )
    return out.getvalue().encode()


def measure(url: str, rows: int) -> None:
    app = make_app(url)
    data = plotters_file(rows)
    with app.app_context():
        db.drop_all()
        db.create_all()
        statements = Statements(db.engine)
        print(f"{url.split('://')[0]}: {rows:,} rows, {len(data) / 1024:,.0f} KB")
        for name, work in (
            (
                "check (dry run), all new",
                lambda: import_plotters(data, actor_id=None, dry_run=True),
            ),
            ("import, all new", lambda: _import(data)),
            ("import again, all unchanged", lambda: _import(data)),
        ):
            statements.count = 0
            started = time.perf_counter()
            preview = work()
            seconds = time.perf_counter() - started
            print(
                f"  {name:<30} {seconds:7.2f} s  {seconds / rows * 1000:6.2f} ms/row"
                f"  {statements.count / rows:5.1f} statements/row  {preview.tally}"
            )
            db.session.expire_all()


def _import(data: bytes):
    with unit_of_work():
        return import_plotters(data, actor_id=None)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=MAX_ROWS, help=f"rows in the file ({MAX_ROWS:,})")
    args = p.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / "imports.sqlite3"
    path.unlink(missing_ok=True)
    measure(f"sqlite:///{path}", args.rows)
    if args.postgres:
        measure(postgres_database(args.postgres, "fieldapp_bench_import"), args.rows)


if __name__ == "__main__":
    main()
