"""Reading back a PDF the app made: its text and page sizes (pdfium, as a viewer reads it)."""

from __future__ import annotations

import pypdfium2


def pdf_text(data: bytes) -> tuple[str, list[tuple[float, float]]]:
    document = pypdfium2.PdfDocument(data)
    try:
        pages = [document[i] for i in range(len(document))]
        text = "\n".join(p.get_textpage().get_text_range() for p in pages)
        return text, [p.get_size() for p in pages]
    finally:
        document.close()
