#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Frame time of stratus-viewer with a dashboard of 12 charts of 1440 points each (one series
# per chart: one datum a minute for the last 24 hours, charted over 1 day at a 60 s period),
# under Xvfb with GTK's cairo renderer, against a real collector. The viewer opens the
# dashboard, waits until every call has settled, then times FRAMES frames (default 300) of the
# window (snapshot of the widget tree + render, frame_bench.c) for a full repaint and for a
# hover repaint (one chart), and reports its resident memory. Target: under 16 ms per frame.
# Run it alone: stbench bench/bench_viewer_frame.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
FRAMES=${FRAMES-300}
D=$(mktemp -d)
CP=
XP=
trap '[ -n "$CP" ] && kill $CP 2>/dev/null; [ -n "$XP" ] && kill $XP 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

Xvfb -displayfd 4 -screen 0 1400x900x24 -nolisten tcp -noreset 4>"$D/display" 2>"$D/xvfb.log" &
XP=$!
for _ in $(seq 100); do grep -q . "$D/display" 2>/dev/null && [ "$(wc -l <"$D/display")" -ge 1 ] && break; sleep 0.1; done
DISPLAY_NUM=$(head -1 "$D/display")
[ -n "$DISPLAY_NUM" ] || { echo "Xvfb did not start: $(cat "$D/xvfb.log")" >&2; exit 1; }

"$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$D/data" --ready-fd 3 \
  3>"$D/port" 2>>"$D/log" &
CP=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
P=$(cat "$D/port")
E="http://127.0.0.1:$P"

python3 - "$D" <<'PY'
import json, math, sys, time
now = int(time.time()) // 60 * 60
for c in range(12):
    datums = [{"MetricName": "m%02d" % c, "Timestamp": now - 60 * (1440 - m) + 5,
               "Value": 50 + 40 * math.sin((m + 30 * c) / 60.0) + (m * 7 + c * 13) % 11}
              for m in range(1440)]
    for i, part in enumerate((datums[:1000], datums[1000:])):
        json.dump(part, open("%s/c%02d_%d.json" % (sys.argv[1], c, i), "w"))
widgets = [{"type": "metric", "x": (c % 4) * 6, "y": (c // 4) * 4, "width": 6, "height": 4,
            "properties": {"metrics": [["Bench/Viewer", "m%02d" % c]], "view": "timeSeries",
                           "stat": "Average", "period": 60, "title": "chart %d" % (c + 1)}}
           for c in range(12)]
json.dump({"start": "-P1D", "widgets": widgets}, open(sys.argv[1] + "/body.json", "w"))
PY
for f in "$D"/c*.json; do
  "$B/cli/stratus" --endpoint "$E" put-metric-data --namespace Bench/Viewer --metric-data "file://$f"
done
"$B/cli/stratus" --endpoint "$E" put-dashboard --dashboard-name bench \
  --dashboard-body "$(cat "$D/body.json")" >/dev/null

out=
out=$(DISPLAY=":$DISPLAY_NUM" GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none \
  ${PERF:-} "$B/viewer/stratus-viewer" --endpoint "$E" --dashboard bench --screenshot "$D/bench.png" \
  ${FRAMES:+--bench-frames "$FRAMES"}) || { echo "stratus-viewer failed; it printed: $out" >&2; exit 1; }
[ -n "${PNG:-}" ] && cp "$D/bench.png" "$PNG"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; }
head=$(grep '^charts=' <<<"$out")
echo "dashboard: $(field charts "$head") charts, $(field points "$head") points, window $(sed -n 's/.*window=\([0-9x]*\).*/\1/p' <<<"$head"), GSK_RENDERER=cairo under Xvfb"
echo
echo "| frame | frames | median ms | p99 ms | max ms | target |"
echo "|---|---:|---:|---:|---:|---|"
grep '^case=' <<<"$out" | while read -r line; do
  name=$(sed -n 's/case="\([^"]*\)".*/\1/p' <<<"$line")
  p99=$(field p99_ms "$line")
  ok=$(awk -v v="$p99" 'BEGIN { print (v < 16) ? "met (< 16 ms)" : "missed (>= 16 ms)" }')
  echo "| $name | $(field frames "$line") | $(field median_ms "$line") | $p99 | $(field max_ms "$line") | $ok |"
done
rss=$(field rss_kib "$out")
echo
echo "viewer RSS with the dashboard open: $((rss / 1024)) MiB ($rss KiB)"
