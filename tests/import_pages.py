"""Pressing an import page's "Import N rows": the form sends back what the check carried."""

from __future__ import annotations

import re
from html import unescape


def import_checked(client, page, url: str):
    """Post the check page's import form (its hidden fields, the file's content among them)
    to the import page at url."""
    html = page.get_data(as_text=True)
    form = html[html.index("data-import-go") :]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))
    return client.post(
        url,
        data={name: unescape(value) for name, value in fields.items()},
        content_type="multipart/form-data",
    )
