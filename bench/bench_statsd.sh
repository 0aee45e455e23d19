#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# StatsD throughput: datagrams per second taken without loss at the socket, by stratus-agent and
# by collectd's statsd plugin (Debian package collectd-core) in the same run. Each daemon in turn
# (pinned to CPU 0) listens on a free loopback port and sends its aggregates every second: the
# agent to a real stratus-collector, collectd with its network plugin over UDP to a free port.
# bench/stratus_load (CPU 1) sends datagrams of two lines (a counter and a timer) at each rate for
# SECONDS, and the kernel's drop counter of the daemon's socket (/proc/net/udp) says whether any
# was lost. collectd's statsd has no DogStatsD tags, so both get the counter with its 10 routes in
# the name; the agent is also run with the route as a tag (its own form). Prints one table per run
# and the highest rate without loss (that rate and every lower one lost nothing, and at least 95 %
# of the datagrams due were sent), with the daemon's CPU share at that rate.
# Usage: bench/bench_statsd.sh [BUILD_DIR]   (RATES="25000 50000 ...", SECONDS_EACH=5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RATES=${RATES:-"25000 50000 100000 200000 300000 400000 600000"}
SECS=${SECONDS_EACH:-5}
COLLECTD=${COLLECTD:-/usr/sbin/collectd}
[ -x "$B/agent/stratus-agent" ] && [ -x "$B/bench/stratus_load" ] || {
  echo "bench_statsd: build $B first" >&2; exit 1; }
[ -x "$COLLECTD" ] || { echo "bench_statsd: no $COLLECTD (Debian package collectd-core)" >&2; exit 1; }
D=$(mktemp -d)
CP= AP=
trap '[ -n "$AP" ] && kill $AP 2>/dev/null; [ -n "$CP" ] && kill $CP 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
free_udp() {
  python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
"$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$D/c" --ready-fd 3 3>"$D/port" 2>"$D/c.log" &
CP=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
hz=$(getconf CLK_TCK)

# run NAME PID PORT TAGS: one table of every rate against the daemon PID listening on PORT.
run() {
  local name=$1 pid=$2 port=$3 tags=$4 hexport best=0 best_cpu=0 lossy=0
  hexport=$(printf '%04X' "$port")
  drops() { awk -v p=":$hexport" '$2 ~ p"$" {print $NF}' /proc/net/udp; }
  ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  [ -n "$(drops)" ] || { echo "bench_statsd: $name is not listening on $port" >&2; exit 1; }
  echo
  echo "$name ($( [ "$tags" = 1 ] && echo "route as a DogStatsD tag" || echo "route in the name")):"
  echo
  echo "| datagrams/s offered | lines/s | sent | dropped at the socket | CPU % of one core |"
  echo "|---|---|---|---|---|"
  for R in $RATES; do
    local d0 c0 out d1 c1 sent lost cpu
    d0=$(drops); c0=$(ticks)
    out=$(taskset -c 1 "$B/bench/stratus_load" statsd --port "$port" --rate "$R" --seconds "$SECS" --tags "$tags")
    sleep 0.5
    d1=$(drops); c1=$(ticks)
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
    lost=$((d1 - d0))
    cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.0f", t / hz / (s + 0.5) * 100}')
    echo "| $R | $((R * 2)) | $sent | $lost | $cpu |"
    if [ "$lost" -ne 0 ] || [ "$sent" -lt $((R * SECS * 95 / 100)) ]; then lossy=1; fi
    if [ "$lossy" -eq 0 ]; then best=$R; best_cpu=$cpu; fi
  done
  echo
  echo "$name: highest rate without loss: $best datagrams/s ($((best * 2)) lines/s), at ${best_cpu} % of one core."
}

SP=$(free_udp)
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
run "stratus-agent" "$AP" "$SP" 1
run "stratus-agent" "$AP" "$SP" 0
kill "$AP"; wait "$AP" 2>/dev/null || true; AP=

# collectd: statsd in, network out, Interval 1, nothing from /etc/collectd.
CSP=$(free_udp) NP=$(free_udp)
mkdir -p "$D/collectd"
cat >"$D/collectd.conf" <<EOF
Hostname "bench-statsd"
FQDNLookup false
BaseDir "$D/collectd"
PIDFile "$D/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
AutoLoadPlugin false
Interval 1
LoadPlugin logfile
<Plugin logfile>
    LogLevel "info"
    File "$D/collectd.log"
</Plugin>
LoadPlugin statsd
<Plugin statsd>
    Host "127.0.0.1"
    Port "$CSP"
    TimerPercentile 90
    TimerLower true
    TimerUpper true
    TimerSum true
    TimerCount true
</Plugin>
LoadPlugin network
<Plugin network>
    Server "127.0.0.1" "$NP"
</Plugin>
EOF
taskset -c 0 "$COLLECTD" -f -C "$D/collectd.conf" >>"$D/collectd.log" 2>&1 &
AP=$!
for _ in $(seq 50); do grep -q "plugin \"statsd\" successfully loaded" "$D/collectd.log" 2>/dev/null && break; sleep 0.1; done
sleep 1
if grep -iE "unable to parse|error" "$D/collectd.log" >&2; then
  echo "bench_statsd: collectd logged the problems above" >&2; exit 1
fi
run "collectd $("$COLLECTD" -h | sed -n 's/^collectd \([^ ,]*\).*/\1/p') statsd" "$AP" "$CSP" 0
if grep -iE "unable to parse|error" "$D/collectd.log" >&2; then
  echo "bench_statsd: collectd logged the problems above" >&2; exit 1
fi
