#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Traces: X-Ray segments per second accepted over UDP by stratus-collector on one core, and the
# latency of GetServiceGraph over what was stored. The collector (both its threads) is pinned to
# CPU 0 with --no-fsync; bench/xray_load (CPU 1) sends 1.5 KB segment datagrams at each rate for
# SECONDS. A rate counts when it and every lower rate lost nothing: neither at the socket (the
# kernel's drop counter in /proc/net/udp) nor in the collector (every datagram sent is a stored
# document of traces.db, counted by its batches' live refs, once the collector caught up). Then GetServiceGraph and GetTraceSummaries are timed
# over a window holding every stored segment.
# Usage: bench/bench_traces.sh [BUILD_DIR]   (RATES="25000 50000 ...", SECONDS_EACH=5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RATES=${RATES:-"25000 50000 100000 150000 200000 300000"}
SECS=${SECONDS_EACH:-5}
[ -x "$B/collector/stratus-collector" ] && [ -x "$B/bench/xray_load" ] || {
  echo "bench_traces: build $B first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench_traces: needs the sqlite3 command" >&2; exit 1; }
D=$(mktemp -d)
CP=
trap '[ -n "$CP" ] && kill $CP 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
taskset -c 0 "$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$D/c" --no-fsync \
  --trace-metrics-ms 10000 --ready-fd 3 3>"$D/port" 2>"$D/c.log" &
CP=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
PORT=$(cat "$D/port")
hexport=$(printf '%04X' "$PORT")
hz=$(getconf CLK_TCK)
drops() { awk -v p=":$hexport" '$2 ~ p"$" {print $NF}' /proc/net/udp | head -n 1; }
ticks() { awk '{print $14 + $15}' "/proc/$CP/stat"; }
stored() { sqlite3 "file:$D/c/traces.db?mode=ro" "SELECT coalesce(sum(live), 0) FROM batches" 2>/dev/null || echo 0; }
# Waits until the collector has stored N segments or stopped making progress for 2 s.
settle() {
  local want=$1 last=-1 same=0 n
  while :; do
    n=$(stored)
    [ "$n" -ge "$want" ] && { echo "$n"; return; }
    if [ "$n" = "$last" ]; then same=$((same + 1)); else same=0; fi
    [ "$same" -ge 20 ] && { echo "$n"; return; }
    last=$n; sleep 0.1
  done
}
echo "| segments/s offered | sent | dropped at the socket | not stored (queue full) | CPU % of one core |"
echo "|---:|---:|---:|---:|---:|"
best=0 best_cpu=0 lossy=0 first=0 total=0
for R in $RATES; do
  d0=$(drops); c0=$(ticks); t0=$(date +%s.%N)
  out=$(taskset -c 1 "$B/bench/xray_load" --port "$PORT" --rate "$R" --seconds "$SECS" --first "$first")
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
  total=$((total + sent)); first=$((first + sent))
  have=$(settle "$total")
  d1=$(drops); c1=$(ticks); t1=$(date +%s.%N)
  lost=$((d1 - d0)); missing=$((total - have))
  # CPU over the sending and the catching up that followed, not only the sending.
  cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", t / hz / (b - a) * 100}')
  echo "| $R | $sent | $lost | $missing | $cpu |"
  total=$have
  if [ "$lost" -ne 0 ] || [ "$missing" -ne 0 ] || [ "$sent" -lt $((R * SECS * 95 / 100)) ]; then lossy=1; fi
  if [ "$lossy" -eq 0 ]; then best=$R; best_cpu=$cpu; fi
done
echo
echo "highest rate without loss: $best segments/s, at ${best_cpu} % of one core (collector pinned to CPU 0)."
echo
python3 - "$PORT" "$(stored)" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
def varint(v):
    out = b""
    while True:
        b = v & 0x7f; v >>= 7
        if v: out += bytes([b | 0x80])
        else: return out + bytes([b])
now = int(time.time() * 1000)
body = b"\x08" + varint(now - 3600 * 1000) + b"\x10" + varint(now + 60000)
for op in ("GetServiceGraph", "GetTraceSummaries"):
    times = []
    for _ in range(1 if op == "GetServiceGraph" else 3):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        t = time.time()
        c.request("POST", "/v1/" + op, body=body, headers={"Content-Type": "application/x-protobuf"})
        r = c.getresponse(); data = r.read()
        times.append(time.time() - t)
        assert r.status == 200, (r.status, data[:200])
    print("%s over %d stored segments: %.2f s (best: %.2f s), %d reply bytes" % (
        op, n, times[0], min(times), len(data)))
PY
