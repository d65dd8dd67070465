"""An inline SVG bar chart of the proof: alerts per day and detector, held-out vs anomalous days.

Hand-written SVG (no plotting dependency); heights on a log2(1 + n) scale so that 80 scan alerts
and a single exfiltration alert are both visible; each bar carries its count. Deterministic text.
"""
from __future__ import annotations

import math
from html import escape

COLOURS = {"suricata": "#4e79a7", "volume": "#f28e2b", "fanout": "#59a14f"}
LABELS = {"suricata": "Suricata rules", "volume": "SIEM volume (DuckDB)", "fanout": "SIEM fan-out (DuckDB)"}


def svg(days: list[dict], detectors: tuple[str, ...] = ("suricata", "volume", "fanout")) -> str:
    """days: [{"label", "kind", <detector>: alerts}] for held-out and anomalous days."""
    shown = [d for d in days if d["kind"] != "learn"]
    bar, gap, left, top, height = 14, 18, 40, 30, 160
    group = bar * len(detectors) + gap
    width = max(left + group * len(shown) + 10, left + 150 * len(detectors))
    peak = max([math.log2(1 + d[k]) for d in shown for k in detectors] + [1.0])

    def y(value: int) -> float:
        return top + height - height * math.log2(1 + value) / peak

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 70}" '
           f'viewBox="0 0 {width} {top + height + 70}" font-family="sans-serif" font-size="10" role="img">',
           "<title>Baseline alerts per day: held-out normal days vs anomalous days</title>",
           f'<line x1="{left}" y1="{top + height}" x2="{width - 5}" y2="{top + height}" stroke="#333"/>']
    for index, day in enumerate(shown):
        x0 = left + index * group + gap / 2
        if day["kind"] == "holdout":
            out.append(f'<rect x="{x0 - gap / 2:.1f}" y="{top - 5}" width="{group}" height="{height + 5}" '
                       'fill="#eeeeee"/>')
        for k_index, detector in enumerate(detectors):
            value = day[detector]
            x = x0 + k_index * bar
            out.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar - 2}" height="{top + height - y(value):.1f}" '
                       f'fill="{COLOURS[detector]}"><title>{escape(LABELS[detector])}: {value}</title></rect>')
            out.append(f'<text x="{x + (bar - 2) / 2:.1f}" y="{y(value) - 2:.1f}" text-anchor="middle">{value}</text>')
        centre = x0 + bar * len(detectors) / 2
        kind = "held-out" if day["kind"] == "holdout" else "anomaly"
        out.append(f'<text x="{centre:.1f}" y="{top + height + 14}" text-anchor="middle">{escape(day["label"])}</text>')
        out.append(f'<text x="{centre:.1f}" y="{top + height + 26}" text-anchor="middle" fill="#666">{kind}</text>')
    for k_index, detector in enumerate(detectors):
        x = left + k_index * 150
        out.append(f'<rect x="{x}" y="{top + height + 40}" width="10" height="10" fill="{COLOURS[detector]}"/>')
        out.append(f'<text x="{x + 14}" y="{top + height + 49}">{escape(LABELS[detector])}</text>')
    out.append(f'<text x="{left}" y="{top - 12}">alerts per day (log scale; grey: held-out normal days,'
               ' target 0)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
