#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingest: datapoints/s into stratus-collector on one core (the collector and all its threads
# pinned to CPU 0, the load generator to CPU 1), PutMetricData batches of 1000 datums over
# HTTP keep-alive connections, WAL fsync on, for 1k, 100k and 1M distinct series, with the
# collector's RSS per series. Buckets are kept in memory for the run (a long flush grace): this
# measures the WAL and hot window; RRD write-out is bench_rrd_writeout's. Then, in the same run,
# the peer: Prometheus's remote-write ingest on one core (bench_prometheus.sh), when present.
# Usage: bench/bench_ingest.sh [BUILD_DIR]   (SERIES="1000 100000 1000000", SECONDS_EACH=10)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
SERIES=${SERIES:-"1000 100000 1000000"}
SECS=${SECONDS_EACH:-10}
CONNS=${CONNECTIONS:-32}
echo "| series | connections | datapoints/s (1 core, fsync) | series creation dp/s | RSS MB | RSS bytes/series |"
echo "|---|---|---|---|---|---|"
for S in $SERIES; do
  D=$(mktemp -d)
  taskset -c 0 "$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$D/data" \
    --ready-fd 3 --flush-grace-60s 86400 3>"$D/port" 2>"$D/log" &
  CP=$!
  for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
  R0=$(awk '/VmRSS/{print $2}' /proc/$CP/status)
  # Series creation writes their index rows: let the store finish before measuring.
  SETTLE=$(( S / 70000 + 2 ))
  OUT=$(taskset -c 1 "$B/bench/stratus_load" ingest --port "$(cat "$D/port")" --series "$S" \
    --connections "$CONNS" --seconds "$SECS" --settle "$SETTLE")
  R1=$(awk '/VmRSS/{print $2}' /proc/$CP/status)
  kill $CP; wait $CP 2>/dev/null || true
  rm -rf "$D"
  dps=$(sed -n 's/.* dps=\([0-9]*\).*/\1/p' <<<"$OUT")
  warm=$(sed -n 's/.*warmup_dps=\([0-9]*\).*/\1/p' <<<"$OUT")
  echo "| $S | $CONNS | $dps | $warm | $((R1 / 1024)) | $(( (R1 - R0) * 1024 / S )) |"
done
if [ -x bench/bench_prometheus.sh ] && command -v prometheus >/dev/null; then
  echo
  echo "Peer, same machine, same run:"
  bench/bench_prometheus.sh "$B"
fi
