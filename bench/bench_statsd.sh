#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# StatsD throughput: datagrams per second that stratus-agent takes without loss at the socket.
# The agent (pinned to CPU 0) listens on a free loopback port with a 1 s collection interval
# and sends to a real collector; bench/stratus_load (CPU 1) sends datagrams of two lines (a
# tagged counter and a timer) at each rate for SECONDS, and the kernel's drop counter of the
# agent's socket (/proc/net/udp) says whether any was lost. Prints a table and the highest
# rate without loss, with the agent's CPU share at that rate.
# Usage: bench/bench_statsd.sh [BUILD_DIR]   (RATES="25000 50000 ...", SECONDS_EACH=5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RATES=${RATES:-"25000 50000 100000 200000 300000 400000 600000"}
SECS=${SECONDS_EACH:-5}
D=$(mktemp -d)
CP= AP=
trap '[ -n "$AP" ] && kill $AP 2>/dev/null; [ -n "$CP" ] && kill $CP 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
"$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$D/c" --ready-fd 3 3>"$D/port" 2>"$D/c.log" &
CP=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
SP=$(python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >"$D/agent.json" <<JSON
{"agent": {"metrics_collection_interval": 60, "endpoint": "http://127.0.0.1:$(cat "$D/port")",
           "spool_dir": "$D/spool"},
 "metrics": {"namespace": "BenchStatsd", "force_flush_interval": 1,
   "metrics_collected": {"statsd": {"service_address": "127.0.0.1:$SP",
                                    "metrics_collection_interval": 1}}}}
JSON
taskset -c 0 "$B/agent/stratus-agent" --config "$D/agent.json" 2>"$D/a.log" &
AP=$!
sleep 1
hexport=$(printf '%04X' "$SP")
drops() { awk -v p=":$hexport" '$2 ~ p"$" {print $NF}' /proc/net/udp; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$AP/stat"; }
hz=$(getconf CLK_TCK)
echo "| datagrams/s offered | lines/s | sent | dropped at the socket | agent CPU % of one core |"
echo "|---|---|---|---|---|"
best=0 best_cpu=0 lossy=0
for R in $RATES; do
  d0=$(drops); c0=$(cpu_ticks)
  out=$(taskset -c 1 "$B/bench/stratus_load" statsd --port "$SP" --rate "$R" --seconds "$SECS")
  sleep 0.5
  d1=$(drops); c1=$(cpu_ticks)
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
  lost=$((d1 - d0))
  cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.0f", t / hz / (s + 0.5) * 100}')
  echo "| $R | $((R * 2)) | $sent | $lost | $cpu |"
  # A rate counts only if it and every lower rate lost nothing.
  if [ "$lost" -ne 0 ] || [ "$sent" -lt $((R * SECS * 95 / 100)) ]; then lossy=1; fi
  if [ "$lossy" -eq 0 ]; then best=$R; best_cpu=$cpu; fi
done
echo
echo "Highest rate without loss: $best datagrams/s ($((best * 2)) lines/s), agent at ${best_cpu} % of one core."
