"""Text for the Agg canvas: glyphs rasterised once by FreeType, strings composed from them, both cached.

matplotlib 3.11 lays a string out afresh (loading every glyph) on each
``FT2Font.set_text`` call, about 20 µs a character, which made text most of a
chart's cost. Here each glyph is rendered once per (font, size, dpi), and a
string is its glyphs placed at FreeType's hinted advances (with the font's
kerning) on whole pixels, as matplotlib's Agg backend placed them before 3.11.
String bitmaps and metrics are kept in bounded LRU caches, so a tick label or
legend entry seen before costs a blit. Everything is a pure
function of its arguments: a cache hit and a miss give the same pixels.

Fonts are the ones matplotlib ships (never the machine's): DejaVu Sans, and STIX
General for the characters DejaVu lacks (the circled S of "USDⓈ-M").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.font_manager import get_font
from matplotlib.ft2font import FT2Font, GlyphIndexType, Kerning, LoadFlags

FONT_DIR = Path(mpl.get_data_path()) / "fonts" / "ttf"
FONT_FILES: dict[bool, tuple[str, str]] = {
    False: (str(FONT_DIR / "DejaVuSans.ttf"), str(FONT_DIR / "STIXGeneral.ttf")),
    True: (str(FONT_DIR / "DejaVuSans-Bold.ttf"), str(FONT_DIR / "STIXGeneralBol.ttf")),
}
"""Regular and bold: DejaVu Sans, then STIX General for the glyphs DejaVu lacks."""
HINTING = LoadFlags.DEFAULT
"""FreeType's native hinting (matplotlib's default ``text.hinting``)."""
REPLACEMENT = "\ufffd"
STRING_CACHE = 4096
GLYPH_CACHE = 4096


@dataclass(frozen=True)
class Glyph:
    """One rendered glyph: its coverage bitmap (rows top-down), where the bitmap sits relative to the pen
    (``left`` pixels right of it, bottom edge ``bottom`` pixels above the baseline), its hinted advance, and
    its index in its font (for kerning)."""

    image: np.ndarray
    left: int
    bottom: int
    advance: float
    index: GlyphIndexType
    font: str


def font_file(char: str, bold: bool) -> str:
    """The font file that draws ``char``: DejaVu Sans when it has the glyph, else STIX General."""
    primary, fallback = FONT_FILES[bold]
    if char.isspace() or get_font(primary).get_char_index(ord(char)):
        return primary
    return fallback if get_font(fallback).get_char_index(ord(char)) else primary


def missing(text: str, bold: bool) -> bool:
    """Whether DejaVu Sans lacks a character of ``text`` (the SVG canvas then writes it in STIX General)."""
    return any(font_file(c, bold) != FONT_FILES[bold][0] for c in set(text))


@lru_cache(maxsize=GLYPH_CACHE)
def glyph(char: str, size: float, bold: bool, dpi: float) -> Glyph:
    """``char`` rendered at ``size`` points and ``dpi`` (FreeType, antialiased, hinted); a character no bundled
    font has is drawn as the replacement character '\ufffd'."""
    path = font_file(char, bold)
    font: FT2Font = get_font(path)
    if not char.isspace() and not font.get_char_index(ord(char)):
        char = REPLACEMENT
    font.set_size(size, dpi)
    font.set_text(char, 0.0, flags=HINTING)
    font.draw_glyphs_to_bitmap(antialiased=True)
    image = np.array(font.get_image(), dtype=np.uint8)
    # The bitmap starts at the pixel column of the ink's left edge and has a one-pixel border above and below.
    left = math.floor(font.get_bitmap_offset()[0] / 64.0)
    bottom = -round(font.get_descent() / 64.0) - 1
    advance = font.load_char(ord(char), HINTING).horiAdvance / 64.0
    return Glyph(image, left, bottom, advance, font.get_char_index(ord(char)), path)


@lru_cache(maxsize=GLYPH_CACHE)
def _kerning(path: str, size: float, dpi: float, left: GlyphIndexType, right: GlyphIndexType) -> float:
    font: FT2Font = get_font(path)
    font.set_size(size, dpi)
    return font.get_kerning(left, right, Kerning.DEFAULT) / 64.0


@lru_cache(maxsize=STRING_CACHE)
def layout(text: str, size: float, bold: bool, dpi: float) -> tuple[tuple[tuple[Glyph, int], ...], float]:
    """The glyphs of a one-line string with their pen positions (whole pixels), and the advance width."""
    placed: list[tuple[Glyph, int]] = []
    pen = 0.0
    previous: Glyph | None = None
    for char in text:
        g = glyph(char, size, bold, dpi)
        if previous is not None and previous.font == g.font:
            pen += _kerning(g.font, size, dpi, previous.index, g.index)
        placed.append((g, round(pen)))
        pen += g.advance
        previous = g
    return tuple(placed), pen


@lru_cache(maxsize=STRING_CACHE)
def metrics(text: str, size: float, bold: bool, dpi: float) -> tuple[float, float, float]:
    """(advance width, height above the baseline, depth below it) of a one-line string, in pixels."""
    placed, width = layout(text, size, bold, dpi)
    inked = [(g, x) for g, x in placed if g.image.size]
    if not inked:
        return width, 0.0, 0.0
    top = max(g.bottom + g.image.shape[0] for g, _x in inked)
    bottom = min(g.bottom for g, _x in inked)
    return width, float(top - 1), float(-bottom - 1)


@lru_cache(maxsize=STRING_CACHE)
def text_image(
    text: str, size: float, *, bold: bool, dpi: float, color: str, rotation: int
) -> tuple[np.ndarray, int, int]:
    """An RGBA bitmap of a string in ``color`` (first row at the bottom, as ``RendererAgg.draw_image`` takes it)
    and the offset in pixels of its bottom-left corner from the start of the baseline.

    ``rotation`` 90 turns the text a quarter counter-clockwise about that point (reading upwards).
    """
    placed = [(g, x) for g, x in layout(text, size, bold, dpi)[0] if g.image.size]
    if not placed:
        return np.zeros((1, 1, 4), np.uint8), 0, 0
    x0 = min(x + g.left for g, x in placed)
    x1 = max(x + g.left + g.image.shape[1] for g, x in placed)
    y0 = min(g.bottom for g, _x in placed)
    y1 = max(g.bottom + g.image.shape[0] for g, _x in placed)
    grey = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for g, x in placed:
        h, w = g.image.shape
        row, col = y1 - (g.bottom + h), x + g.left - x0
        np.maximum(grey[row : row + h, col : col + w], g.image, out=grey[row : row + h, col : col + w])
    left, bottom = x0, y0
    if rotation == 90:
        grey = np.rot90(grey)
        left, bottom = -y1, x0
    rgba = np.empty((*grey.shape, 4), np.uint8)
    rgba[:, :, :3] = [round(v * 255) for v in to_rgb(color)]
    rgba[:, :, 3] = grey
    return np.ascontiguousarray(rgba[::-1]), left, bottom


def clear_caches() -> None:
    """Empty every text cache (the benchmark measures the cold path with it)."""
    for cached in (glyph, _kerning, layout, metrics, text_image):
        cached.cache_clear()
