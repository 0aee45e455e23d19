#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# GetMetricStatistics latency: one series with a datum of 20 values every minute for the last
# 24 hours (1440 minutes), queried N times (default 2000) for 24 hours at a 60 s period (1440
# datapoints), once with the five statistics and once with p99, one request at a time on a
# keep-alive connection. Prints median and p99 latency for two storage paths:
#   rrd:  the data as it lands in real time: loaded while the flush grace covers it, then
#         flushed to the series' RRD file and the sketch store (a restart with grace 0);
#   late: the same data arriving after its minutes were flushed, so it is stored as
#         corrections beside the RRD (as after an agent replays an outage);
#   late x10: the late data sent 9 more times, each time in a job of its own: ten correction
#         rows per minute, which the store folds into one when idle (store.c).
# Usage: bench/bench_query.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${REQUESTS:-2000}
D=$(mktemp -d)
CP=
trap '[ -n "$CP" ] && kill $CP 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

start() { # start DATA-DIR GRACE: sets CP and P
  rm -f "$D/port"
  "$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$1" --ready-fd 3 \
    --flush-grace-60s "$2" --store-batch-ms 0 3>"$D/port" 2>>"$D/log" &
  CP=$!
  for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
  P=$(cat "$D/port")
}
stop() { kill "$CP"; wait "$CP" 2>/dev/null || true; CP=; }
load() {
  for i in 0 1; do
    "$B/cli/stratus" --endpoint "http://127.0.0.1:$P" put-metric-data --namespace Bench \
      --metric-data "file://$D/batch$i.json"
  done
}
python3 - "$D" <<'PY'
import json, sys, time
now = int(time.time()) // 60 * 60
datums = [{"MetricName": "q", "Timestamp": now - 60 * (1440 - m) + 5,
           "Values": [float((m * 31 + k * 17) % 500 + 1) for k in range(20)], "Unit": "Milliseconds"}
          for m in range(1440)]
for i, part in enumerate((datums[:1000], datums[1000:])):
    json.dump(part, open("%s/batch%d.json" % (sys.argv[1], i), "w"))
PY
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
measure() { # measure LABEL
  local stats pct
  stats=$("$B/bench/stratus_load" query --port "$P" --requests "$N")
  pct=$("$B/bench/stratus_load" query --port "$P" --requests "$N" --percentile p99)
  echo "| $1 | SampleCount Average Sum Minimum Maximum | $N | $(field median_us "$stats") | $(field p99_us "$stats") |"
  echo "| $1 | p99 | $N | $(field median_us "$pct") | $(field p99_us "$pct") |"
}
echo "| storage | statistics (1440 datapoints: 24 h at 60 s) | requests | median us | p99 us |"
echo "|---|---|---|---|---|"
# In real time: held in memory by a 2-day grace, then flushed by a restart with grace 0.
start "$D/rrd" 172800; load; stop
start "$D/rrd" 0
for _ in $(seq 100); do [ -n "$(find "$D/rrd/rrd" -name '*.rrd' 2>/dev/null)" ] && break; sleep 0.1; done
sleep 2
measure rrd
stop
# Late: the watermark is already past every minute when the data arrives.
start "$D/late" 0; load; sleep 2
measure late
# Nine more copies, a second apart so that each lands in its own flush job (one per tick).
for _ in $(seq 9); do load; sleep 1.2; done
sleep 2
measure "late x10"
