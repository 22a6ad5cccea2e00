"""Vega-Lite chart specifications for the HTML report.

Why Vega-Lite rather than matplotlib: the report must carry a distribution plot
for every result (500 of them in the 2 s budget) plus history charts. Drawing 500
matplotlib figures costs tens of milliseconds each; describing them costs nothing.
So Python writes small Vega-Lite specs and the raw data as one JSON blob, and the
vendored Vega, Vega-Lite and vega-embed builds (``static/``, inlined into the page,
so it works from file:// with no network) draw each chart in the browser when it
scrolls into view or is asked for. Per-result charts share one template spec whose
named datasets the page's script fills in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from perfcore.report.model import LoadPoint, PhaseTiming, ReportData, ResultRow
from perfcore.report.sections import PHASES

__all__ = [
    "CHART_CONFIG",
    "MAX_SAMPLES",
    "chart_payload",
    "distribution_template",
    "history_template",
    "load_charts",
    "training_spec",
]

Spec = dict[str, Any]

# More samples than this add bytes but no visible detail; quantiles keep the shape.
MAX_SAMPLES = 200
BASELINE_COLOR = "#8a94a6"
CURRENT_COLOR = "#2563eb"
TARGET_COLORS = {"local": "#2563eb", "cloud": "#d97706", "cloud_cached": "#059669"}

CHART_CONFIG: Spec = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 500,
        "gridColor": "#eef0f4",
        "domainColor": "#c5cad3",
        "tickColor": "#c5cad3",
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
    "title": {"fontSize": 13, "fontWeight": 600, "anchor": "start"},
}


def _compact(value: float) -> float:
    return float(f"{value:.6g}")


def _thin(samples: Sequence[float]) -> list[float]:
    if len(samples) <= MAX_SAMPLES:
        return [_compact(s) for s in samples]
    qs = np.quantile(np.asarray(samples, dtype=float), np.linspace(0.0, 1.0, MAX_SAMPLES))
    return [_compact(float(q)) for q in qs]


def distribution_template() -> Spec:
    """Baseline vs current samples of one result: box plot over ticks (dataset ``s``)."""
    color = {
        "field": "run",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": ["baseline", "current"], "range": [BASELINE_COLOR, CURRENT_COLOR]},
    }
    return {
        "width": 340,
        "height": 64,
        "datasets": {"s": []},
        "data": {"name": "s"},
        "encoding": {
            "y": {
                "field": "run",
                "type": "nominal",
                "title": None,
                "sort": ["baseline", "current"],
            },
            "x": {"field": "v", "type": "quantitative", "title": "", "scale": {"zero": False}},
            "color": color,
        },
        "layer": [
            {"mark": {"type": "tick", "opacity": 0.45, "thickness": 1, "size": 14}},
            {
                "mark": {
                    "type": "boxplot",
                    "extent": "min-max",
                    "size": 10,
                    "opacity": 0.55,
                    "median": {"color": "#111827"},
                }
            },
        ],
    }


def history_template() -> Spec:
    """One result's medians over runs, change points as dashed rules (datasets ``p``, ``c``)."""
    x = {
        "field": "i",
        "type": "quantitative",
        "title": "run",
        "axis": {"format": "d", "tickMinStep": 1},
    }
    return {
        "width": 460,
        "height": 130,
        "datasets": {"p": [], "c": []},
        "layer": [
            {
                "data": {"name": "p"},
                "mark": {
                    "type": "line",
                    "point": {"size": 18},
                    "color": CURRENT_COLOR,
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "v",
                        "type": "quantitative",
                        "title": "",
                        "scale": {"zero": False},
                    },
                    "tooltip": [
                        {"field": "i", "title": "run"},
                        {"field": "commit"},
                        {"field": "created"},
                        {"field": "v", "title": "median", "format": ".4~g"},
                    ],
                },
            },
            {
                "data": {"name": "c"},
                "mark": {
                    "type": "rule",
                    "color": "#dc2626",
                    "strokeDash": [4, 3],
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "x": {"field": "i", "type": "quantitative"},
                    "tooltip": [
                        {"field": "label", "title": "starts at"},
                        {"field": "change", "format": "+.1%"},
                    ],
                },
            },
        ],
    }


def training_spec(phases: Sequence[PhaseTiming]) -> Spec | None:
    """Stacked bars: seconds per phase for each model type."""
    if not phases:
        return None
    order = [p for p in PHASES if any(t.phase == p for t in phases)]
    order += sorted({t.phase for t in phases} - set(order))
    values = [
        {
            "model": t.model_type,
            "phase": t.phase,
            "s": _compact(t.seconds),
            "o": order.index(t.phase),
        }
        for t in phases
    ]
    return {
        "title": "Training time by phase",
        "width": 460,
        "height": {"step": 30},
        "data": {"values": values},
        "mark": {"type": "bar", "height": {"band": 0.7}},
        "encoding": {
            "y": {"field": "model", "type": "nominal", "title": None},
            "x": {
                "field": "s",
                "type": "quantitative",
                "title": "seconds (median)",
                "stack": "zero",
            },
            "color": {
                "field": "phase",
                "type": "nominal",
                "sort": order,
                "scale": {"scheme": "tableau10"},
                "title": "phase",
            },
            "order": {"field": "o", "type": "ordinal"},
            "tooltip": [
                {"field": "model"},
                {"field": "phase"},
                {"field": "s", "title": "seconds", "format": ".4~g"},
            ],
        },
    }


def _target_color(targets: Sequence[str]) -> Spec:
    domain = sorted(set(targets))
    palette = ["#7c3aed", "#db2777", "#0891b2", "#65a30d"]
    rng = [TARGET_COLORS.get(t, palette[i % len(palette)]) for i, t in enumerate(domain)]
    return {
        "field": "target",
        "type": "nominal",
        "title": "target",
        "scale": {"domain": domain, "range": rng},
    }


def _spectrum_spec(points: Sequence[tuple[str, float, float]], unit: str) -> Spec | None:
    if not points:
        return None
    # x = 1 / (1 - q): each extra "nine" gets the same width on a log axis.
    values = [
        {"target": t, "pct": p, "x": 100.0 / (100.0 - p), "v": _compact(v)} for t, p, v in points
    ]
    xs = [100.0 / (100.0 - p) for _, p, _ in points]
    low, top = min(xs), max(xs)
    ticks = [t for t in (2, 10, 100, 1000, 10000, 100000) if low <= t <= max(top, 2)]
    return {
        "title": "Latency percentile spectrum",
        "width": 320,
        "height": 200,
        "data": {"values": values},
        "mark": {"type": "line", "point": True, "interpolate": "monotone"},
        "encoding": {
            "x": {
                "field": "x",
                "type": "quantitative",
                "title": "percentile",
                "scale": {"type": "log", "domain": [low / 1.25, top * 1.6]},
                "axis": {
                    "values": ticks,
                    "labelExpr": "format(100 - 100 / datum.value, '.4~f') + '%'",
                },
            },
            "y": {"field": "v", "type": "quantitative", "title": f"latency ({unit})"},
            "color": _target_color([t for t, _, _ in points]),
            "tooltip": [
                {"field": "target"},
                {"field": "pct", "title": "percentile"},
                {"field": "v", "title": f"latency ({unit})", "format": ".4~g"},
            ],
        },
    }


def _sweep_key(point: LoadPoint) -> str | None:
    for key in ("users", "rate"):
        value = point.params.get(key)
        if isinstance(value, int | float) and math.isfinite(value):
            return key
    return None


def _metric_spec(points: Sequence[LoadPoint], title: str, y_title: str) -> Spec | None:
    if not points:
        return None
    key = _sweep_key(points[0])
    unit = points[0].unit
    if key is not None and all(_sweep_key(p) == key for p in points):
        values = [{"target": p.target, "x": p.params[key], "v": _compact(p.value)} for p in points]
        mark: Spec = {"type": "line", "point": True}
        x: Spec = {
            "field": "x",
            "type": "quantitative",
            "title": "concurrent users" if key == "users" else "arrival rate (req/s)",
        }
    else:
        values = [{"target": p.target, "x": p.target, "v": _compact(p.value)} for p in points]
        mark = {"type": "bar", "width": {"band": 0.6}}
        x = {"field": "x", "type": "nominal", "title": None, "axis": {"labelAngle": 0}}
    return {
        "title": title,
        "width": 300,
        "height": 180,
        "data": {"values": values},
        "mark": mark,
        "encoding": {
            "x": x,
            "y": {
                "field": "v",
                "type": "quantitative",
                "title": f"{y_title} ({unit})" if unit else y_title,
            },
            "color": _target_color([p.target for p in points]),
            "tooltip": [
                {"field": "target"},
                {"field": "x", "title": "at"},
                {"field": "v", "title": y_title, "format": ".4~g"},
            ],
        },
    }


def load_charts(data: ReportData) -> dict[str, Spec]:
    """The load test's charts that have data, keyed by name."""
    load = data.load
    specs = {
        "spectrum": _spectrum_spec(load.spectrum, load.latency_unit),
        "throughput": _metric_spec(load.throughput, "Throughput", "throughput"),
        "errors": _metric_spec(load.error_rates, "Error rate", "error rate"),
        "costs": _metric_spec(load.costs, "Cost per 1,000 requests", "cost"),
    }
    return {name: spec for name, spec in specs.items() if spec is not None}


def _row_payload(row: ResultRow) -> Spec:
    return {
        "id": row.id,
        "unit": row.unit,
        "b": _thin(row.baseline_samples),
        "c": _thin(row.current_samples),
    }


def _history_payload(data: ReportData) -> Spec:
    # Each run's commit and date are stored once; a point is [median, run number].
    runs: dict[tuple[str, str], int] = {}
    series = []
    for hist in data.history:
        points = [
            [_compact(p.value), runs.setdefault((p.commit, p.created), len(runs))]
            for p in hist.points
        ]
        steps = [
            {"i": c.index, "label": c.label, "change": _compact(c.relative_change)}
            for c in hist.change_points
        ]
        series.append({"id": hist.id, "unit": hist.unit, "p": points, "c": steps})
    return {"runs": [list(key) for key in runs], "series": series}


def chart_payload(data: ReportData) -> Spec:
    """Everything the page's script needs to draw every chart, as one JSON-ready object."""
    charts = load_charts(data)
    if (spec := training_spec(data.training)) is not None:
        charts["training"] = spec
    return {
        "config": CHART_CONFIG,
        "templates": {"distribution": distribution_template(), "history": history_template()},
        "charts": charts,
        "rows": [_row_payload(r) for r in data.rows],
        "history": _history_payload(data),
    }
