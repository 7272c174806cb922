"""QR labels for real label stock: the stocks' geometry, one layout, PNG/SVG/PDF renderers.

Pure rendering: no database and no request. A label is laid out once (QR in whole 300 dpi
pixels, text lines in millimetres) and every renderer draws that same layout, so the PNG, the
SVG, the print page and the PDF all put the QR in the same place.
"""

from __future__ import annotations

import base64
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

DPI = 300
MM_PER_INCH = 25.4
PT_PER_INCH = 72

TAGLINE = "Scan for service history or to request service"
UNCLAIMED_TEXT = "New label — scan to link it to a plotter"
# The company's logo takes at most this share of the text column's height, and this height.
LOGO_SHARE = 0.28
LOGO_MAX_MM = 9.0
LOGO_GAP_MM = 0.8

# White space between the label's edge and the QR's own 4-module quiet zone, and the text's
# distance from the edge: die-cut rolls shift about a millimetre and label printers leave an
# unprintable strip of about that size.
QR_INSET_MM = 1.0
TEXT_EDGE_MM = 1.5
TEXT_GAP_MM = 0.3
QUIET_MODULES = 4
# The QR never takes more than this share of the width, so the text keeps room to be legible.
QR_MAX_WIDTH_SHARE = 0.5
MIN_TEXT_PT = 5.0
# Fonts differ slightly between Pillow's measure and a browser's shaping; keep headroom.
TEXT_SLACK = 1.04
# DejaVu Sans rises 0.93 em above the baseline and drops 0.24 em below it.
LINE_HEIGHT = 1.17
ASCENT = 0.93

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif"
MEASURE_PX = 200


def mm_to_px(mm: float) -> int:
    """Millimetres as whole pixels at 300 dpi."""
    return round(mm / MM_PER_INCH * DPI)


def px_to_mm(px: float) -> float:
    return px * MM_PER_INCH / DPI


def pt_to_mm(pt: float) -> float:
    return pt * MM_PER_INCH / PT_PER_INCH


@dataclass(frozen=True)
class Stock:
    """A label stock: one label's size as printed (landscape) and where labels sit on a page."""

    key: str
    name: str
    description: str
    label_w: float
    label_h: float
    page_w: float
    page_h: float
    paper: str = ""
    columns: int = 1
    rows: int = 1
    left: float = 0.0
    top: float = 0.0
    pitch_x: float = 0.0
    pitch_y: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def is_sheet(self) -> bool:
        return self.per_page > 1

    def slot(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm) of the label at this position on a page, filled row by row."""
        row, column = divmod(index, self.columns)
        return self.left + column * self.pitch_x, self.top + row * self.pitch_y

    @property
    def label_px(self) -> tuple[int, int]:
        return mm_to_px(self.label_w), mm_to_px(self.label_h)

    @property
    def page_px(self) -> tuple[int, int]:
        return mm_to_px(self.page_w), mm_to_px(self.page_h)

    @property
    def summary(self) -> str:
        """Short enough for a select on a phone: "Avery 5160 · Letter, 30 per sheet"."""
        if self.is_sheet:
            return f"{self.name} · {self.paper.removeprefix('US ')}, {self.per_page} per sheet"
        return f"{self.name} · {_num(self.label_w)} × {_num(self.label_h)} mm"


def _roll(key: str, name: str, description: str, width: float, height: float) -> Stock:
    return Stock(key, name, description, width, height, width, height)


# Published figures from the makers' spec sheets and templates. Roll labels are printed
# landscape (the long side across), one label per page of the label's own size.
STOCKS: dict[str, Stock] = {
    stock.key: stock
    for stock in (
        # Brother DK-11209 "small address labels": die-cut 29 x 62 mm, 800 per roll.
        _roll("dk11209", "Brother DK-11209", "die-cut roll", 62, 29),
        # Brother DK-22205: continuous 62 mm wide tape. The length is ours to choose; 40 mm
        # gives the QR and the text room without wasting tape.
        _roll("dk22205", "Brother DK-22205", "62 mm continuous roll, cut at 40 mm", 62, 40),
        # Dymo 30252 "address labels": 1-1/8 x 3-1/2 in (28 x 89 mm), 350 per roll.
        _roll("dymo30252", "Dymo 30252", "die-cut roll", 89, 28),
        # Avery 5160: US Letter (8.5 x 11 in), 3 x 10 labels of 2-5/8 x 1 in; top margin
        # 1/2 in, side margin 3/16 in, column pitch 2-3/4 in (1/8 in gap), no gap between rows.
        Stock(
            "avery5160", "Avery 5160", "sheet", 66.675, 25.4, 215.9, 279.4, "US Letter",
            columns=3, rows=10, left=4.7625, top=12.7, pitch_x=69.85, pitch_y=25.4,
        ),
        # Avery L7163: A4 (210 x 297 mm), 2 x 7 labels of 99.1 x 38.1 mm; top margin
        # 15.15 mm, side margin 4.65 mm, column pitch 101.6 mm (2.5 mm gap), no row gap.
        Stock(
            "l7163", "Avery L7163", "sheet", 99.1, 38.1, 210, 297, "A4",
            columns=2, rows=7, left=4.65, top=15.15, pitch_x=101.6, pitch_y=38.1,
        ),
    )
}  # fmt: skip
DEFAULT_STOCK = "dk11209"


class UnknownStock(ValueError):
    """A ?stock= that is not one of STOCKS."""

    def __init__(self, key: str):
        valid = ", ".join(f"{stock.key} ({stock.name})" for stock in STOCKS.values())
        super().__init__(f"Unknown label stock “{key}”. Choose one of: {valid}.")


def get_stock(key: str | None) -> Stock:
    """The stock for a ?stock= value (the default when empty); UnknownStock otherwise."""
    key = (key or DEFAULT_STOCK).strip().lower()
    if key not in STOCKS:
        raise UnknownStock(key)
    return STOCKS[key]


@dataclass(frozen=True)
class LabelContent:
    """What one label says; make, model and serial are None for an unclaimed label."""

    url: str
    code: str
    company: str
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    tagline: str = TAGLINE
    logo: bytes | None = None  # the company's logo as PNG, printed above the text

    @property
    def claimed(self) -> bool:
        return self.serial is not None


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float  # mm from the label's left edge
    baseline: float  # mm from the label's top edge
    size: float  # font size in mm
    bold: bool
    width: float  # measured advance in mm


@dataclass(frozen=True)
class LogoBox:
    x: float  # mm from the label's left edge
    y: float  # mm from the label's top edge
    width: float
    height: float


@dataclass(frozen=True)
class LabelLayout:
    """One label laid out: the QR in whole 300 dpi pixels, the text in millimetres."""

    stock: Stock
    content: LabelContent
    matrix: tuple[tuple[bool, ...], ...]
    module_px: int
    qr_x_px: int  # the symbol's top-left corner, inside the quiet zone
    qr_y_px: int
    lines: tuple[TextLine, ...]
    logo: LogoBox | None = None

    @property
    def modules(self) -> int:
        return len(self.matrix)

    @property
    def qr_mm(self) -> tuple[float, float, float]:
        """The QR symbol (without quiet zone) as x, y, side in mm from the label's corner."""
        side = self.modules * self.module_px
        return px_to_mm(self.qr_x_px), px_to_mm(self.qr_y_px), px_to_mm(side)


@dataclass(frozen=True)
class _Block:
    text: str
    pt: float
    bold: bool = False
    max_lines: int = 1
    droppable: bool = False


def _num(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


# Making a QR in pure Python takes ~15 ms; a batch is drawn for the page, then for its PDF.
@lru_cache(maxsize=512)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules for the URL (error correction M), without the quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


@lru_cache(maxsize=64)
def _font(bold: bool, size_px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / FONT_FILES[bold]
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    # Pillow >= 10.1 ships a scalable default font; it has no bold, which is acceptable.
    return ImageFont.load_default(size=size_px)


@lru_cache(maxsize=8192)
def _advance_em(text: str, bold: bool) -> float:
    return _font(bold, MEASURE_PX).getlength(text) / MEASURE_PX


def text_width_mm(text: str, size_mm: float, bold: bool) -> float:
    """The advance width of one line at this font size, in mm."""
    return _advance_em(text, bold) * size_mm


def _printable_text(text: str | None) -> str:
    """One line of visible text: control and format characters (invalid in SVG) removed."""
    visible = "".join(ch for ch in text or "" if not unicodedata.category(ch).startswith("C"))
    return " ".join(visible.split())


def _blocks(content: LabelContent) -> list[_Block]:
    blocks = [
        _Block(_printable_text(content.company), 8, bold=True, max_lines=2),
        _Block(_printable_text(content.tagline), 6, max_lines=3, droppable=True),
        _Block(_printable_text(content.code), 10, bold=True),
    ]
    if content.claimed:
        make, model = _printable_text(content.make), _printable_text(content.model)
        blocks += [
            # The newline is where the block breaks first if it needs two lines.
            _Block(f"{make}\n{model}".strip(), 7.5, max_lines=2),
            _Block(f"SN {_printable_text(content.serial)}", 7, max_lines=2),
        ]
    else:
        blocks.append(_Block(UNCLAIMED_TEXT, 7, max_lines=3))
    return [block for block in blocks if block.text]


def _greedy(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters."""
    fits = lambda s: text_width_mm(s, size, bold) * TEXT_SLACK <= width  # noqa: E731
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while not fits(word):
            cut = 1
            while cut < len(word) and fits(word[: cut + 1]):
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _balanced(text: str, size: float, bold: bool, width: float) -> list[str]:
    """As few lines as greedy wrapping needs, but as even as possible (no lone last word)."""
    lines = _greedy(text, size, bold, width)
    if len(lines) < 2:
        return lines
    low, high = width / 2, width
    for _ in range(12):
        middle = (low + high) / 2
        if len(_greedy(text, size, bold, middle)) == len(lines):
            high = middle
        else:
            low = middle
    return _greedy(text, size, bold, high)


def _wrap(text: str, size: float, bold: bool, width: float, balance: bool) -> list[str]:
    """Lines for a block; a newline marks where to break first (between make and model)."""
    wrap = _balanced if balance else _greedy
    parts = text.split("\n")
    whole = wrap(" ".join(parts), size, bold, width)
    if len(whole) == 1 or len(parts) == 1:
        return whole
    split = [line for part in parts for line in wrap(part, size, bold, width)]
    return split if len(split) <= len(whole) else whole


def _ellipsise(line: str, size: float, bold: bool, width: float) -> str:
    while line and text_width_mm(line + "…", size, bold) * TEXT_SLACK > width:
        line = line[:-1].rstrip()
    return line + "…"


def _set_text(
    blocks: list[_Block], scale: float, width: float, *, truncate: bool, balance: bool = False
) -> list[tuple[_Block, float, list[str]]] | None:
    """Each block's size and lines at this scale, or None if a block needs too many lines.

    Balancing never changes how many lines a block takes, so fitting skips it (it is slow).
    """
    placed = []
    for block in blocks:
        size = pt_to_mm(max(block.pt * scale, MIN_TEXT_PT))
        lines = _wrap(block.text, size, block.bold, width, balance)
        if len(lines) > block.max_lines:
            if not truncate:
                return None
            rest = " ".join(lines[block.max_lines - 1 :])
            lines = [*lines[: block.max_lines - 1], _ellipsise(rest, size, block.bold, width)]
        placed.append((block, size, lines))
    return placed


def _height(placed: list[tuple[_Block, float, list[str]]]) -> float:
    lines = sum(len(lines) * size * LINE_HEIGHT for _, size, lines in placed)
    gaps = sum(0.3 * size for _, size, _ in placed[1:])
    return lines + gaps


def _fit_text(blocks: list[_Block], width: float, height: float, max_scale: float):
    scale = max_scale
    while scale >= 0.5:
        placed = _set_text(blocks, scale, width, truncate=False)
        if placed is not None and _height(placed) <= height:
            return _set_text(blocks, scale, width, truncate=False, balance=True)
        scale -= 0.05
    # Nothing fits at the smallest legible size: cut text rather than overflow the label.
    placed = _set_text(blocks, 0.5, width, truncate=True, balance=True)
    while _height(placed) > height and any(block.droppable for block, _, _ in placed):
        placed = [item for item in placed if not item[0].droppable]
    while placed and _height(placed) > height:
        block, size, lines = placed[-1]
        placed = placed[:-1] + ([(block, size, lines[:-1])] if len(lines) > 1 else [])
    return placed


@lru_cache(maxsize=8)
def _logo_image(data: bytes) -> Image.Image:
    """The logo flattened on white, in greyscale (labels print black on white)."""
    logo = Image.open(io.BytesIO(data)).convert("RGBA")
    flat = Image.new("L", logo.size, 255)
    flat.paste(logo.convert("L"), mask=logo.getchannel("A"))
    return flat


def _logo_box(logo: bytes, x: float, y: float, width: float, height: float) -> LogoBox:
    """The logo's place at the top of the text column: at most a quarter of its height."""
    image = _logo_image(logo)
    aspect = image.width / image.height
    box_h = min(height * LOGO_SHARE, LOGO_MAX_MM)
    box_w = min(box_h * aspect, width)
    return LogoBox(x, y, box_w, box_w / aspect)


def lay_out(content: LabelContent, stock: Stock) -> LabelLayout:
    """Place the QR (as large as the label's height allows) and fit the text beside it."""
    matrix = qr_matrix(content.url)
    width_px, height_px = stock.label_px
    box_limit = min(height_px - 2 * mm_to_px(QR_INSET_MM), round(width_px * QR_MAX_WIDTH_SHARE))
    module_px = box_limit // (len(matrix) + 2 * QUIET_MODULES)
    if module_px < 3:
        raise ValueError(f"{stock.name} is too small for a {len(matrix)}-module QR code")
    box_px = (len(matrix) + 2 * QUIET_MODULES) * module_px
    box_x = mm_to_px(QR_INSET_MM)
    box_y = (height_px - box_px) // 2
    quiet_px = QUIET_MODULES * module_px

    text_x = px_to_mm(box_x + box_px) + TEXT_GAP_MM
    text_w = stock.label_w - TEXT_EDGE_MM - text_x
    text_h = stock.label_h - 2 * TEXT_EDGE_MM
    logo = None
    if content.logo:
        logo = _logo_box(content.logo, text_x, TEXT_EDGE_MM, text_w, text_h)
        text_h -= logo.height + LOGO_GAP_MM
    placed = _fit_text(_blocks(content), text_w, text_h, max_scale=max(1.0, stock.label_h / 26))
    lines: list[TextLine] = []
    y = TEXT_EDGE_MM + (text_h - _height(placed)) / 2
    if logo is not None:
        # The logo and the text below it are centred together in the column.
        shift = (text_h - _height(placed)) / 2
        logo = replace(logo, y=TEXT_EDGE_MM + shift)
        y = logo.y + logo.height + LOGO_GAP_MM
    for index, (block, size, block_lines) in enumerate(placed):
        if index:
            y += 0.3 * size
        for text in block_lines:
            width = text_width_mm(text, size, block.bold)
            lines.append(TextLine(text, text_x, y + ASCENT * size, size, block.bold, width))
            y += LINE_HEIGHT * size
    return LabelLayout(
        stock=stock,
        content=content,
        matrix=matrix,
        module_px=module_px,
        qr_x_px=box_x + quiet_px,
        qr_y_px=box_y + quiet_px,
        lines=tuple(lines),
        logo=logo,
    )


def _runs(matrix: Sequence[Sequence[bool]]) -> Iterable[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length)."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def render_image(layout: LabelLayout) -> Image.Image:
    """The label as a greyscale image at 300 dpi, exactly the label's physical size."""
    image = Image.new("L", layout.stock.label_px, 255)
    draw = ImageDraw.Draw(image)
    m = layout.module_px
    for y, x, length in _runs(layout.matrix):
        left, top = layout.qr_x_px + x * m, layout.qr_y_px + y * m
        draw.rectangle((left, top, left + length * m - 1, top + m - 1), fill=0)
    for line in layout.lines:
        font = _font(line.bold, line.size / MM_PER_INCH * DPI)
        position = (line.x / MM_PER_INCH * DPI, line.baseline / MM_PER_INCH * DPI)
        draw.text(position, line.text, font=font, fill=0, anchor="ls")
    if layout.logo is not None:
        box = layout.logo
        size = (max(1, mm_to_px(box.width)), max(1, mm_to_px(box.height)))
        logo = _logo_image(layout.content.logo).resize(size, Image.Resampling.LANCZOS)
        image.paste(logo, (mm_to_px(box.x), mm_to_px(box.y)))
    return image


def render_png(layout: LabelLayout) -> bytes:
    """The label as a PNG at 300 dpi (the dpi is in the file, so it prints at true size)."""
    buffer = io.BytesIO()
    render_image(layout).save(buffer, "PNG", dpi=(DPI, DPI), optimize=True)
    return buffer.getvalue()


def render_svg(layout: LabelLayout, *, standalone: bool = True) -> str:
    """The label as SVG in millimetres: the QR as one path, the text as <text> elements."""
    stock = layout.stock
    w, h = _num(stock.label_w), _num(stock.label_h)
    x, y, _ = layout.qr_mm
    scale = _num(px_to_mm(layout.module_px), 6)
    path = "".join(f"M{c} {r}h{n}v1h-{n}z" for r, c, n in _runs(layout.matrix))
    label = escape(f"QR label {layout.content.code}", quote=True)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="{label}">',
        f'<rect width="{w}" height="{h}" fill="#fff"/>',
        f'<path transform="translate({_num(x, 5)} {_num(y, 5)}) scale({scale})" '
        f'shape-rendering="crispEdges" fill="#000" d="{path}"/>',
        f'<g fill="#000" font-family="{SVG_FONT_FAMILY}">',
    ]
    for line in layout.lines:
        weight = ' font-weight="bold"' if line.bold else ""
        # textLength pins each line to the width it was fitted at, whatever font the viewer has.
        parts.append(
            f'<text x="{_num(line.x)}" y="{_num(line.baseline)}" font-size="{_num(line.size)}"'
            f'{weight} textLength="{_num(line.width)}" lengthAdjust="spacingAndGlyphs">'
            f"{escape(line.text, quote=False)}</text>"
        )
    parts.append("</g>")
    if layout.logo is not None:
        box = layout.logo
        data = base64.b64encode(layout.content.logo).decode("ascii")
        parts.append(
            f'<image x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" '
            f'height="{_num(box.height)}" href="data:image/png;base64,{data}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Placed:
    """A label at its place on a printed page (mm from the page's top-left corner)."""

    x: float
    y: float
    layout: LabelLayout
    slot: int = 0  # the position on the page, as the stock's stylesheet numbers it


def stock_stylesheet(stock: Stock) -> str:
    """The print page's CSS for one stock: the paper size for printing, the page box's
    proportions, and where each position on a page sits, as percentages of the page (so the
    page box scales on screen). A stylesheet, not style attributes: the pages' Content
    Security Policy allows no inline style."""
    size = f"{_num(stock.page_w)}mm {_num(stock.page_h)}mm"
    rules = [
        f"@page {{ size: {size}; margin: 0; }}",
        f".label-pages {{ --page-w: {_num(stock.page_w)}mm; --page-h: {_num(stock.page_h)}mm; "
        f"--page-ratio: {_num(stock.page_w)} / {_num(stock.page_h)}; }}",
    ]
    width = _num(stock.label_w / stock.page_w * 100, 5)
    height = _num(stock.label_h / stock.page_h * 100, 5)
    for index in range(stock.per_page):
        x, y = stock.slot(index)
        left, top = _num(x / stock.page_w * 100, 5), _num(y / stock.page_h * 100, 5)
        rules.append(
            f".label-slot.slot-{index} {{ left: {left}%; top: {top}%; "
            f"width: {width}%; height: {height}%; }}"
        )
    return "\n".join(rules) + "\n"


def paginate(
    contents: Sequence[LabelContent], stock: Stock, *, skip: int = 0
) -> list[list[Placed]]:
    """Lay labels out page by page; skip leaves the first positions of a used sheet empty."""
    pages: list[list[Placed]] = []
    for index, content in enumerate(contents, start=skip):
        page, slot = divmod(index, stock.per_page)
        while len(pages) <= page:
            pages.append([])
        x, y = stock.slot(slot)
        pages[page].append(Placed(x, y, lay_out(content, stock), slot))
    return pages


def render_pdf(pages: Sequence[Sequence[Placed]], stock: Stock) -> bytes:
    """A PDF whose pages are exactly the stock's page size, each label at its exact place."""
    if not pages:
        raise ValueError("a PDF needs at least one label")
    images = []
    for placed_labels in pages:
        page = Image.new("L", stock.page_px, 255)
        for placed in placed_labels:
            page.paste(render_image(placed.layout), (mm_to_px(placed.x), mm_to_px(placed.y)))
        # 1-bit pages are stored losslessly (CCITT G4); greyscale would be JPEG-blurred.
        images.append(page.point(lambda v: 255 if v >= 128 else 0, "1"))
    buffer = io.BytesIO()
    images[0].save(
        buffer, "PDF", save_all=True, append_images=images[1:], resolution=DPI, title="QR labels"
    )
    return buffer.getvalue()
