"""Drawing surfaces for the static charts: matplotlib's Agg renderer (PNG) and SVG renderer, in points.

The painter (:mod:`cryptodesk.charts.static`) lays a chart out in points
(1/72 inch, y upwards from the bottom-left corner) and draws through a
:class:`Canvas`: paths and text, nothing else. Both canvases draw with
matplotlib's own renderers (``RendererAgg``, ``RendererSVG``) without building
a Figure, Axes or tickers, which is where matplotlib spends most of its time on
a chart like ours.

Text on the Agg canvas comes from :mod:`cryptodesk.charts.glyphs` (glyphs
rasterised once, strings composed and cached); the SVG canvas writes text as
paths (no font needed to view it) with the same fonts.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
from matplotlib.backend_bases import GraphicsContextBase, RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.colors import to_rgb
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, Bbox

from cryptodesk.charts import glyphs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Rect = tuple[float, float, float, float]
"""x0, y0, x1, y1 in points."""


class Metrics:
    """Text metrics in points as FreeType lays a string out at ``dpi`` (hinting makes them depend a little on it)."""

    def __init__(self, dpi: float) -> None:
        self.dpi = dpi

    def measure(self, text: str, size: float, *, bold: bool = False) -> tuple[float, float, float]:
        """(width, height above the baseline, depth below it) of a one-line text, in points."""
        w, up, down = glyphs.metrics(text, size, bold, self.dpi)
        k = 72.0 / self.dpi
        return w * k, up * k, down * k

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        """The width of a one-line text in points."""
        return self.measure(text, size, bold=bold)[0] if text else 0.0

    def extent(self, size: float, *, bold: bool = False) -> tuple[float, float]:
        """Ascent and descent of the font at ``size`` (of 'lp', as matplotlib measures a line), in points."""
        _w, up, down = self.measure("lp", size, bold=bold)
        return up, down


SVG_METRICS_DPI = 100.0
"""SVG has no pixels: its text is measured as on a 100 dpi screen, so its layout matches the PNGs closely."""


class Canvas:
    """A drawing surface in points (y upwards): paths, text and text metrics; ``finish`` gives the file bytes."""

    def __init__(
        self, renderer: RendererBase, width_pt: float, height_pt: float, scale: float, metrics: Metrics
    ) -> None:
        self.renderer = renderer
        self.metrics = metrics
        self.width = width_pt
        self.height = height_pt
        self.scale = scale
        """Display units per point (Agg: pixels per point; SVG: 1)."""
        self._to_display = Affine2D().scale(scale)

    def gc(
        self,
        color: str = "#000000",
        lw: float = 0.0,
        *,
        alpha: float = 1.0,
        dashes: tuple[float, ...] | None = None,
        clip: Rect | None = None,
        cap: str = "butt",
        snap: bool | None = None,
    ) -> GraphicsContextBase:
        """A graphics context: stroke colour and width (points), alpha, dash pattern (points), clip rectangle."""
        g = self.renderer.new_gc()
        g.set_foreground(color)
        g.set_alpha(alpha)
        g.set_linewidth(lw)
        g.set_antialiased(True)
        g.set_capstyle(cap)  # type: ignore[arg-type]
        g.set_joinstyle("round")
        g.set_snap(snap)
        if dashes:
            g.set_dashes(0, list(dashes))
        if clip is not None:
            k = self.scale
            g.set_clip_rectangle(Bbox.from_extents(clip[0] * k, clip[1] * k, clip[2] * k, clip[3] * k))
        return g

    def path(
        self,
        path: Path,
        *,
        stroke: str | None = None,
        lw: float = 1.0,
        fill: str | None = None,
        alpha: float = 1.0,
        dashes: tuple[float, ...] | None = None,
        clip: Rect | None = None,
        cap: str = "butt",
        snap: bool | None = None,
    ) -> None:
        """Stroke and/or fill a path given in points (NaN vertices break a line, as in matplotlib)."""
        g = self.gc(stroke or "#000000", lw if stroke else 0.0, alpha=alpha, dashes=dashes, clip=clip, cap=cap,
                    snap=snap)  # fmt: skip
        face = (*to_rgb(fill), alpha) if fill else None
        self.renderer.draw_path(g, path, self._to_display, face)
        g.restore()

    def line(self, xs: Any, ys: Any, color: str, lw: float, **kw: Any) -> None:
        """A polyline through points ``xs``, ``ys`` (arrays in points)."""
        self.path(Path(np.column_stack([xs, ys])), stroke=color, lw=lw, **kw)

    def segments(self, segs: list[tuple[float, float, float, float]], color: str, lw: float, **kw: Any) -> None:
        """Straight segments (x0, y0, x1, y1) in one stroke (grid lines, tick marks): one draw call for all."""
        if not segs:
            return
        verts = np.array(segs, dtype=float).reshape(-1, 2)
        codes = np.tile(np.array([Path.MOVETO, Path.LINETO], np.uint8), len(segs))
        self.path(Path(verts, codes), stroke=color, lw=lw, **kw)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: str, *, alpha: float = 1.0, **kw: Any) -> None:
        """A filled rectangle."""
        verts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        self.path(Path(verts, closed=True), fill=fill, alpha=alpha, **kw)

    def measure(self, text: str, size: float, *, bold: bool = False) -> tuple[float, float, float]:
        """(width, height above the baseline, depth below it) of a one-line text, in points."""
        return self.metrics.measure(text, size, bold=bold)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        color: str,
        *,
        bold: bool = False,
        ha: str = "left",
        va: str = "baseline",
        rotation: int = 0,
    ) -> tuple[float, float, float, float]:
        """Draw one line of text anchored at (x, y); its box (x0, y0, x1, y1) in points.

        ``ha`` is left, center or right; ``va`` baseline, bottom, center or top (the box of the font's
        ascent and descent, so labels of one row line up); ``rotation`` 0 or 90 (reading upwards).
        """
        w, _h, _d = self.measure(text, size, bold=bold)
        up, down = self.font_extent(size, bold=bold)
        along = {"left": 0.0, "center": -w / 2, "right": -w}[ha]
        across = {"baseline": 0.0, "bottom": down, "center": (down - up) / 2, "top": -up}[va]
        if rotation == 0:
            bx, by = x + along, y + across
            box = (bx, by - down, bx + w, by + up)
        else:
            bx, by = x - across, y + along
            box = (bx - up, by, bx + down, by + w)
        self._draw_text(bx, by, text, size=size, color=color, bold=bold, rotation=rotation)
        return box

    def font_extent(self, size: float, *, bold: bool = False) -> tuple[float, float]:
        """Ascent and descent of the font at ``size`` (of 'lp', as matplotlib measures a line), in points."""
        return self.metrics.extent(size, bold=bold)

    def _draw_text(self, x: float, y: float, text: str, *, size: float, color: str, bold: bool, rotation: int) -> None:
        raise NotImplementedError

    def finish(self, compress: int) -> bytes:
        """The file's bytes."""
        raise NotImplementedError


class AggCanvas(Canvas):
    """A canvas drawn by matplotlib's Agg renderer, written as an RGB PNG."""

    def __init__(self, width_pt: float, height_pt: float, dpi: float, background: str) -> None:
        k = dpi / 72.0
        self.px = (max(1, round(width_pt * k)), max(1, round(height_pt * k)))
        renderer = RendererAgg(self.px[0], self.px[1], dpi)  # type: ignore[no-untyped-call]
        super().__init__(renderer, width_pt, height_pt, k, Metrics(dpi))
        pixels = np.asarray(self.renderer.buffer_rgba())  # type: ignore[attr-defined]
        rgba = np.array([*(round(v * 255) for v in to_rgb(background)), 255], np.uint8)
        pixels.reshape(-1, 4).view(np.uint32)[:] = rgba.view(np.uint32)[0]

    def _draw_text(self, x: float, y: float, text: str, *, size: float, color: str, bold: bool, rotation: int) -> None:
        image, left, bottom = glyphs.text_image(
            text, size, bold=bold, dpi=self.scale * 72.0, color=color, rotation=rotation
        )
        k = self.scale
        g = self.renderer.new_gc()
        # image position in pixels, bottom-left corner, y upwards
        self.renderer.draw_image(g, round(x * k) + left, round(y * k) + bottom, image)
        g.restore()

    def finish(self, compress: int) -> bytes:
        """The picture as an RGB PNG (no metadata chunks), zlib level ``compress``."""
        return encode_png(np.asarray(self.renderer.buffer_rgba()), compress)  # type: ignore[attr-defined]


SVG_RC: dict[Any, Any] = {"svg.hashsalt": "cryptodesk", "svg.fonttype": "path", "svg.id": None}
"""rcParams the SVG renderer reads while drawing: use an :class:`SvgCanvas` inside ``rc_context(SVG_RC)``."""


class SvgCanvas(Canvas):
    """A canvas written by matplotlib's SVG renderer (text as paths, no date or creator); draw it inside
    ``mpl.rc_context(SVG_RC)`` so element ids come from a fixed hash salt."""

    def __init__(self, width_pt: float, height_pt: float, background: str) -> None:
        self._out = io.StringIO()
        metadata = {"Date": None, "Creator": None}
        renderer = RendererSVG(width_pt, height_pt, self._out, None, 72, metadata=metadata)  # type: ignore[no-untyped-call]
        super().__init__(renderer, width_pt, height_pt, 1.0, Metrics(SVG_METRICS_DPI))
        self.rect(0, 0, width_pt, height_pt, background)

    def _draw_text(self, x: float, y: float, text: str, *, size: float, color: str, bold: bool, rotation: int) -> None:
        prop = FontProperties(fname=glyphs.FONT_FILES[bold][1 if glyphs.missing(text, bold) else 0], size=size)
        g = self.gc(color)
        self.renderer.draw_text(g, x, self.height - y, text, prop, rotation)
        g.restore()

    def finish(self, compress: int) -> bytes:  # noqa: ARG002 (SVG is text; nothing to compress)
        """The SVG document's bytes."""
        self.renderer.finalize()  # type: ignore[attr-defined]
        return self._out.getvalue().encode("utf-8")


def encode_png(rgb: np.ndarray, level: int) -> bytes:
    """An 8-bit RGB PNG of an (h, w, 3+) uint8 array (a fourth channel is dropped): no filter, one zlib stream,
    no metadata chunks, so the bytes depend on the pixels and the zlib level only."""
    h, w = rgb.shape[:2]
    raw = np.empty((h, w * 3 + 1), np.uint8)
    raw[:, 0] = 0  # filter type 0 (none) on every row: the fastest to write; charts are mostly flat colour anyway
    rows = raw[:, 1:].reshape(h, w, 3)
    for channel in range(3):  # one channel at a time: several times faster than one strided RGBA -> RGB copy
        rows[:, :, channel] = rgb[:, :, channel]
    data = zlib.compress(raw.data, max(0, min(9, level)))
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def circle(x: float, y: float, r: float) -> Path:
    """A circle path (points)."""
    return Path.circle((x, y), r)


def rounded_box(x0: float, y0: float, x1: float, y1: float, pad: float) -> Path:
    """A rectangle with rounded corners around a box, ``pad`` points outside it."""
    r = min(pad * 1.5, (y1 - y0 + 2 * pad) / 2)
    a, b, c, d = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    kappa = 0.5523 * r
    verts = [
        (a + r, b), (c - r, b), (c - r + kappa, b), (c, b + r - kappa), (c, b + r),
        (c, d - r), (c, d - r + kappa), (c - r + kappa, d), (c - r, d),
        (a + r, d), (a + r - kappa, d), (a, d - r + kappa), (a, d - r),
        (a, b + r), (a, b + r - kappa), (a + r - kappa, b), (a + r, b), (a + r, b),
    ]  # fmt: skip
    line, curve = Path.LINETO, Path.CURVE4
    codes = [Path.MOVETO, *([line] + [curve] * 3) * 4, Path.CLOSEPOLY]
    return Path(verts, codes)


def bars_path(x0: np.ndarray, x1: np.ndarray, y0: float, y1: np.ndarray) -> Path:
    """One compound path of rectangles [x0, x1] x [y0, y1] (points; NaN heights are left out)."""
    keep = np.isfinite(y1)
    x0, x1, y1 = x0[keep], x1[keep], y1[keep]
    n = len(x0)
    verts = np.empty((n, 5, 2))
    verts[:, 0] = np.column_stack([x0, np.full(n, y0)])
    verts[:, 1] = np.column_stack([x1, np.full(n, y0)])
    verts[:, 2] = np.column_stack([x1, y1])
    verts[:, 3] = np.column_stack([x0, y1])
    verts[:, 4] = verts[:, 0]
    codes = np.tile(np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], np.uint8), n)
    return Path(verts.reshape(-1, 2), codes)


def polygon(xs: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[Path]:
    """Closed paths between two lines, one per run of points where both are finite."""
    ok = np.isfinite(lower) & np.isfinite(upper)
    out: list[Path] = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < 2:
            continue
        x = xs[start:end]
        verts = np.concatenate(
            [np.column_stack([x, lower[start:end]]), np.column_stack([x[::-1], upper[start:end][::-1]])]
        )
        out.append(Path(np.concatenate([verts, verts[:1]]), closed=True))
    return out
