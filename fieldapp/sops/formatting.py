"""How an SOP's text reads on a page: a step's detail with its simple formatting (paragraphs,
"- " lists, **bold**) made safe HTML, and the words that changed between two wordings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

from fieldapp.sops.services import StepChange

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^[ \t]*- +(.*)$")
# On escaped text: escaping never makes or removes an asterisk, so the only tags in the result
# are the ones added here.
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def _inline(line: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", str(escape(line)))


def sop_text(text: str | None) -> Markup:
    """A step's detail as HTML: everything the author typed is escaped first, then blank lines
    make paragraphs, lines starting "- " make a list, and **words** are bold."""
    if not text:
        return Markup("")
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    html: list[str] = []
    for block in _BLANK_LINE.split(normalised):
        # Runs of list lines and of plain lines, in order: [(is_list, [line, ...]), ...]
        runs: list[tuple[bool, list[str]]] = []
        for raw in block.split("\n"):
            item = _LIST_ITEM.match(raw)
            line = item.group(1).strip() if item else raw.strip()
            if not line:
                continue
            if runs and runs[-1][0] == bool(item):
                runs[-1][1].append(line)
            else:
                runs.append((bool(item), [line]))
        for is_list, lines in runs:
            if is_list:
                html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in lines) + "</ul>")
            else:
                html.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return Markup("".join(html))


@dataclass(frozen=True)
class WordChange:
    """A run of text in a wording difference: kept ("equal"), taken out or put in."""

    op: str  # equal | delete | insert
    text: str


_TOKENS = re.compile(r"\s+|[^\s]+")


def word_changes(old: str, new: str) -> list[WordChange]:
    """The words taken out of and put into a text, in reading order (whitespace is kept)."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    runs: list[WordChange] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(WordChange("equal", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            runs.append(WordChange("delete", "".join(before[i1:i2])))
        if j2 > j1:
            runs.append(WordChange("insert", "".join(after[j1:j2])))
    return runs


KIND_LABELS = {"check": "Check", "pass_fail": "Pass / fail", "measure": "Measure", "photo": "Photo"}


def setting_changes(change: StepChange) -> list[str]:
    """A step's changed settings in words: "Kind: Check → Measure", "Now optional"."""
    before, after = change.before, change.after
    if before is None or after is None:
        return []
    said: list[str] = []
    details = set(change.details)
    if "kind" in details:
        said.append(f"Kind: {KIND_LABELS[before.kind]} → {KIND_LABELS[after.kind]}")
    if "required" in details:
        said.append("Now required" if after.required else "Now optional")
    if "unit" in details and before.unit and after.unit:
        said.append(f"Unit: {before.unit} → {after.unit}")
    elif "unit" in details and after.unit:
        said.append(f"Unit: {after.unit}")
    elif "unit" in details:
        said.append(f"No unit (was {before.unit})")
    if details & {"min_value", "max_value"} or (
        "unit" in details and (after.min_value is not None or after.max_value is not None)
    ):
        was, now = before.expected or "none", after.expected or "none"
        if was != now:
            said.append(f"Expected range: {was} → {now}")
    if "meter" in details:
        said.append("Now the meter reading" if after.meter else "No longer the meter reading")
    if "images" in details:
        old_ids = [image.photo_id for image in before.images]
        new_ids = [image.photo_id for image in after.images]
        added = len([i for i in new_ids if i not in old_ids])
        removed = len([i for i in old_ids if i not in new_ids])
        parts = []
        if added:
            parts.append(f"{added} added")
        if removed:
            parts.append(f"{removed} removed")
        said.append("Reference images: " + (", ".join(parts) if parts else "new order"))
    return said
