"""A small picture of a company's last backups for its Danger Zone page: one bar per backup, its
height the file's size, its colour the outcome, its tooltip both. Drawn here as SVG: the page
needs no chart library, and the picture is the same in every browser."""

from markupsafe import Markup

from .stored_files import human_size

BAR, GAP, HEIGHT, FLOOR = 10, 3, 48, 4  # pixels; FLOOR: the least bar, for files too small to see
OUTCOMES = ("done", "expired", "failed", "queued", "running")


def history_chart(backups):
    """SVG markup of ``backups``, ``[(moment, size in bytes, state)]`` oldest first; a failed
    backup, which has no file, is a full-height bar of its own colour.

    >>> chart = history_chart([("2026-03-01 02:00", 2048, "done"), ("2026-03-02 02:00", 0, "failed")])
    >>> chart.count("<rect"), 'class="o_danger_zone_done"' in chart, 'class="o_danger_zone_failed"' in chart
    (2, True, True)
    >>> "<title>2026-03-01 02:00: done, 2.0 KB</title>" in chart
    True
    >>> str(history_chart([("<b>", 1, "done")])).count("<b>")
    0
    """
    largest = max((size for _moment, size, _state in backups), default=0) or 1
    bars = []
    for position, (moment, size, state) in enumerate(backups):
        height = HEIGHT if state == "failed" else max(FLOOR, round(HEIGHT * size / largest))
        outcome = state if state in OUTCOMES else "done"
        bars.append(
            Markup(_BAR)
            % (
                outcome,
                position * (BAR + GAP),
                HEIGHT - height,
                BAR,
                height,
                moment,
                state,
                f", {human_size(size)}" if size else "",
            )
        )
    width = max(len(backups) * (BAR + GAP) - GAP, 1)
    return Markup(
        '<svg class="o_danger_zone_history_chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'viewBox="0 0 %d %d" role="img"><style>%s</style>%s</svg>'
    ) % (width, HEIGHT, width, HEIGHT, Markup(_STYLE), Markup("").join(bars))


_BAR = '<rect class="o_danger_zone_%s" x="%d" y="%d" width="%d" height="%d"><title>%s: %s%s</title></rect>'
_STYLE = (
    ".o_danger_zone_done{fill:#28a745}.o_danger_zone_expired{fill:#adb5bd}"
    ".o_danger_zone_failed{fill:#dc3545}.o_danger_zone_queued,.o_danger_zone_running{fill:#17a2b8}"
)
