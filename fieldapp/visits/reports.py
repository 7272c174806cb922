"""The service report as a PDF: the report page's own markup rendered by WeasyPrint, with
the company's logo, the visit's photos and the customer's signature. For the office and the
tech, and for the requester on their status page."""

from __future__ import annotations

from flask import render_template
from werkzeug.utils import secure_filename

from fieldapp.localtime import company_zone
from fieldapp.pdf import html_pdf
from fieldapp.settings.services import logo_for_pdf
from fieldapp.visits.models import Visit
from fieldapp.visits.queries import report_context


def service_report_pdf(visit: Visit, paper: str = "letter") -> tuple[bytes, str]:
    """The report as PDF bytes (paper: one of fieldapp.pdf.PAPER_SIZES), and its file name."""
    context = report_context(visit)
    html = render_template("visits/report_print.html", **context)
    shown = [*context["photos"], *([context["signature"]] if context["signature"] else [])]
    document = html_pdf(html, paper=paper, photos=shown, files=logo_for_pdf())
    day = visit.started_at.astimezone(company_zone()).date().isoformat()
    name = secure_filename(f"service-report-{visit.equipment.serial_number}-{day}.pdf")
    return document, name
