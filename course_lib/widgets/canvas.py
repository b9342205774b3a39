"""The live tools' canvas in the browser: a picture of a figure's fixed parts, with its moving parts drawn over it.

matplotlib renders the figure without its "animated" artists (Agg skips them in a full draw) into a PNG, sent
once per landscape or axis limits: that is the background. The animated artists (lines with their markers,
texts, legends) travel as a scene of a few hundred numbers in figure pixels, which canvas.js draws over the
background: a redraw sends no picture and renders nothing in the kernel. The figure itself stays a normal
matplotlib Figure, kept in sync with ``set_data``; it is rendered with Agg only when a picture is needed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
from matplotlib.colors import to_hex
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from PIL import Image

FAR = 1e6  # pixel coordinates are clamped to +-FAR: a diverged path's huge values stay drawable


class BrowserCanvas(anywidget.AnyWidget):
    """The widget: ``width`` and ``height`` in CSS pixels, ``background`` (PNG bytes), ``scene`` (the items)."""

    _esm = Path(__file__).with_name("canvas.js")
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    background = traitlets.Bytes(b"").tag(sync=True)
    scene = traitlets.Dict().tag(sync=True)


def png_bytes(rgba: np.ndarray) -> bytes:
    """A quick PNG (the background is sent once per change of limits: speed matters more than size)."""
    with io.BytesIO() as out:
        Image.fromarray(rgba[..., :3]).save(out, format="png", compress_level=1)
        return out.getvalue()


def _colour(colour: Any, alpha: float | None = None) -> str:
    if isinstance(colour, str) and colour.lower() == "none":
        return "none"
    return to_hex(colour, keep_alpha=True) if alpha is None else to_hex((*_rgb(colour), alpha), keep_alpha=True)


def _rgb(colour: Any) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)


def _points(figure: Any, value: float) -> float:
    """Typographic points to pixels at the figure's dpi."""
    return float(value) * figure.dpi / 72


def _flip(xy: np.ndarray, height: float) -> np.ndarray:
    """Display coordinates (origin bottom left) to canvas pixels (origin top left)."""
    out = np.array(xy, dtype=float, copy=True)
    out[..., 1] = height - out[..., 1]
    return out


def _box(bbox: Any, height: float) -> list[float]:
    return [float(bbox.x0), float(height - bbox.y1), float(bbox.x1), float(height - bbox.y0)]


def line_item(line: Line2D, height: float) -> dict[str, Any]:
    figure = line.figure
    with np.errstate(all="ignore"):
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    xy = _flip(xy, height)
    xy[~np.isfinite(xy).all(axis=1)] = np.nan
    xy = np.clip(xy, -FAR, FAR).astype(np.float32)
    style = line.get_linestyle()
    drawn = style not in ("None", "none", "", " ") and line.get_linewidth() > 0
    dash = []
    if drawn and style != "-":
        dash = [_points(figure, d) for d in (line._dash_pattern[1] or ())]  # scaled by the width, as Agg does
    alpha = line.get_alpha()
    marker = line.get_marker()
    marker = marker if isinstance(marker, str) and marker not in ("None", "none", "", " ") else ""
    return {
        "kind": "line",
        "xy": xy.tobytes(),
        "clip": _box(line.axes.bbox, height) if line.get_clip_on() and line.axes is not None else None,
        "color": _colour(line.get_color(), alpha),
        "lw": _points(figure, line.get_linewidth()) if drawn else 0.0,
        "dash": dash,
        "marker": marker,
        "ms": _points(figure, line.get_markersize()),
        "mfc": _colour(line.get_markerfacecolor(), alpha),
        "mec": _colour(line.get_markeredgecolor(), alpha),
        "mew": _points(figure, line.get_markeredgewidth()),
    }


def text_item(text: Text, height: float) -> dict[str, Any]:
    x, y = text.get_transform().transform(text.get_position())
    return {
        "kind": "text",
        "text": text.get_text(),
        "x": float(x),
        "y": float(height - y),
        "ha": text.get_horizontalalignment(),
        "va": {"center_baseline": "center"}.get(text.get_verticalalignment(), text.get_verticalalignment()),
        "size": _points(text.figure, text.get_fontsize()),
        "color": _colour(text.get_color(), text.get_alpha()),
        "weight": "bold" if str(text.get_fontweight()) in ("bold", "700", "heavy", "semibold") else "normal",
        "rotation": float(text.get_rotation()),
    }


LOCATIONS = {1: "upper right", 2: "upper left", 3: "lower left", 4: "lower right"}


def legend_item(legend: Legend, height: float) -> dict[str, Any]:
    """The legend as a box at its corner of the axes (only the four corners are placed here)."""
    figure = legend.figure
    entries = []
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        style = handle.get_linestyle() if isinstance(handle, Line2D) else "-"
        pattern = getattr(handle, "_dash_pattern", (0, None))[1] or ()
        dash = [] if style == "-" else [_points(figure, d) for d in pattern]
        colour = handle.get_color() if isinstance(handle, Line2D) else "black"
        width = handle.get_linewidth() if isinstance(handle, Line2D) else 1.0
        entries.append({"label": text.get_text(), "color": _colour(colour), "lw": _points(figure, width), "dash": dash})
    frame = legend.get_frame()
    return {
        "kind": "legend",
        "entries": entries,
        "loc": LOCATIONS.get(legend._loc, "upper right"),
        "axes": _box(legend.axes.bbox, height),
        "border": _points(figure, legend.borderaxespad * legend._fontsize),
        "size": _points(figure, legend._fontsize),
        "color": _colour(legend.get_texts()[0].get_color()) if entries else "#000000",
        "face": _colour(frame.get_facecolor(), frame.get_alpha() if frame.get_alpha() is not None else 0.8),
        "edge": _colour(frame.get_edgecolor()),
    }


def scene(artists: list[Any], figure: Any) -> dict[str, Any]:
    """The drawing items of the visible artists, in order (later items are drawn on top)."""
    height = figure.bbox.height
    items = []
    for artist in artists:
        if not artist.get_visible():
            continue
        if isinstance(artist, Legend):
            items.append(legend_item(artist, height))
        elif isinstance(artist, Line2D):
            items.append(line_item(artist, height))
        elif isinstance(artist, Text):
            if artist.get_text():
                items.append(text_item(artist, height))
        else:
            raise TypeError(f"the browser canvas cannot draw a {type(artist).__name__}")
    return {"items": items}
