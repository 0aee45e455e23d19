#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Agent footprint: the RSS and CPU share (% of one core) of stratus-agent collecting every
# metric section at a 1 s interval, beside collectd with the equivalent plugins at Interval 1,
# both running at the same time on the same machine. The agent really sends: it posts to a
# real stratus-collector on 127.0.0.1 (port 0, read from its ready fd), with force_flush_interval
# 1 and its spool in the temporary directory. collectd sends the equivalent data with its
# network plugin over UDP to a free 127.0.0.1 port, so it does its encoding and send work too;
# nothing listens there except for the second half of the warm-up, when the script counts the
# values collectd sends. After a 10 s warm-up the script reads utime+stime of each daemon from
# /proc/PID/stat at the start and end of the window (CPU % = CPU seconds / wall seconds x 100,
# all threads), and VmRSS from /proc/PID/status every 5 s (max and mean), then VmHWM at the
# end. Only the agent is measured on the Stratus side, not the collector. At the end it checks
# delivery: the series the collector lists (ListMetrics) and the batches left in the spool.
# MB here is MiB. It fails if any daemon exits, or if collectd did not load every plugin.
# Usage: bench/bench_agent_footprint.sh [BUILD_DIR] [SECONDS]   (defaults: build, 300)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
SECS=${2:-300}
WARMUP=10
RSS_EVERY=5
COLLECTD=${COLLECTD:-/usr/sbin/collectd}
COLLECTD_PLUGINS="logfile cpu memory swap df disk interface tcpconns processes network"

die() {
    echo "bench_agent_footprint: $*" >&2
    exit 1
}

[[ $SECS =~ ^[0-9]+$ && $SECS -ge $RSS_EVERY ]] || die "SECONDS must be an integer >= $RSS_EVERY"
[ -x "$B/agent/stratus-agent" ] || die "no $B/agent/stratus-agent (build it first)"
[ -x "$B/collector/stratus-collector" ] || die "no $B/collector/stratus-collector"
[ -x "$COLLECTD" ] || die "no $COLLECTD (Debian package collectd-core)"
command -v python3 >/dev/null || die "python3 is needed to pick a free UDP port"

T=$(mktemp -d -t stratus-footprint.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
    local f
    for f in "$T"/*.log; do
        echo "--- $f (last 40 lines)" >&2
        tail -n 40 "$f" >&2 || true
    done
}

# Monotonic time in centiseconds (/proc/uptime is CLOCK_BOOTTIME with two decimals).
now_cs() {
    local up _
    read -r up _ </proc/uptime
    echo $((10#${up/./}))
}

# utime + stime of every thread of PID, in clock ticks (fields 14 and 15 of /proc/PID/stat;
# split after the last ')' because comm may hold spaces).
cpu_ticks() {
    local s f
    s=$(<"/proc/$1/stat")
    read -ra f <<<"${s##*) }"
    echo $((f[11] + f[12]))
}

# A "Name: value kB" line of /proc/PID/status, in kB.
status_kb() {
    local k v _
    while read -r k v _; do
        if [ "$k" = "$2:" ]; then
            echo "$v"
            return 0
        fi
    done <"/proc/$1/status"
    die "no $2 in /proc/$1/status"
}

alive() {
    kill -0 "$1" 2>/dev/null || {
        show_logs
        die "$2 (pid $1) has exited"
    }
}

# The collector, started as tests/e2e/harness.py does: port 0, the port read from its ready fd
# with a timeout (a FIFO, so no polling; EOF if it dies first).
mkfifo "$T/ready"
"$B/collector/stratus-collector" --listen 127.0.0.1:0 --data-dir "$T/data" --ready-fd 3 \
    3>"$T/ready" >"$T/collector.log" 2>&1 &
COLLECTOR_PID=$!
PIDS+=("$COLLECTOR_PID")
PORT=
read -r -t 20 PORT <"$T/ready" || true
[[ $PORT =~ ^[0-9]+$ ]] || {
    show_logs
    die "collector did not report its port"
}

# The agent: every metric section, no measurement lists (so everything), all resources.
cat >"$T/agent.json" <<EOF
{
    "agent": {
        "metrics_collection_interval": 1,
        "endpoint": "http://127.0.0.1:$PORT",
        "spool_dir": "$T/spool",
        "logfile": "$T/agent.log"
    },
    "metrics": {
        "namespace": "BenchFootprint",
        "force_flush_interval": 1,
        "metrics_collected": {
            "cpu": {"resources": ["*"], "totalcpu": true},
            "mem": {},
            "swap": {},
            "disk": {"resources": ["*"]},
            "diskio": {},
            "net": {},
            "netstat": {},
            "processes": {}
        }
    }
}
EOF
"$B/agent/stratus-agent" --check-config "$T/agent.json" >"$T/check.log" 2>&1 || {
    cat "$T/check.log" >&2
    die "agent refused its configuration"
}

# collectd: the same sources at Interval 1, nothing from /etc/collectd (no Include), and the
# network plugin as the sender. Hostname is set so that it does no DNS lookup.
UDP_PORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/collectd"
cat >"$T/collectd.conf" <<EOF
Hostname "stratus-footprint"
FQDNLookup false
BaseDir "$T/collectd"
PIDFile "$T/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
AutoLoadPlugin false
Interval 1

LoadPlugin logfile
<Plugin logfile>
    LogLevel "info"
    File "$T/collectd.log"
    Timestamp true
    PrintSeverity true
</Plugin>

LoadPlugin cpu
LoadPlugin memory
LoadPlugin swap
LoadPlugin df
LoadPlugin disk
LoadPlugin interface
LoadPlugin tcpconns
LoadPlugin processes
LoadPlugin network

# Per CPU and per state, as percentages (the agent's cpu_usage_*; it also sends the total).
<Plugin cpu>
    ReportByCpu true
    ReportByState true
    ValuesPercentage true
</Plugin>
# Bytes and percentages (mem_used, mem_used_percent, ...).
<Plugin memory>
    ValuesAbsolute true
    ValuesPercentage true
</Plugin>
# Used/free in bytes and percent, plus swap in/out (the agent's swap_in, swap_out).
<Plugin swap>
    ReportByDevice false
    ReportBytes true
    ValuesAbsolute true
    ValuesPercentage true
    ReportIO true
</Plugin>
# Every mount with blocks, by mount point, with inodes (the agent's disk section, resources *).
<Plugin df>
    ReportByDevice false
    ReportInodes true
    ValuesAbsolute true
    ValuesPercentage true
</Plugin>
# Every interface but loopback, as the agent's net source skips it.
<Plugin interface>
    Interface "lo"
    IgnoreSelected true
</Plugin>
# All TCP sockets counted by state (the agent's netstat), not per listening port.
<Plugin tcpconns>
    ListeningPorts false
    AllPortsSummary true
</Plugin>
<Plugin network>
    Server "127.0.0.1" "$UDP_PORT"
</Plugin>
EOF
"$COLLECTD" -t -C "$T/collectd.conf" >"$T/collectd-check.log" 2>&1 || {
    cat "$T/collectd-check.log" >&2
    die "collectd refused its configuration"
}

"$B/agent/stratus-agent" --config "$T/agent.json" >>"$T/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
"$COLLECTD" -f -C "$T/collectd.conf" >>"$T/collectd.log" 2>&1 &
COLLECTD_PID=$!
PIDS+=("$COLLECTD_PID")

echo "warm-up ${WARMUP} s: collector on 127.0.0.1:$PORT, collectd network -> udp 127.0.0.1:$UDP_PORT" >&2
sleep "$((WARMUP / 2))"
# For the last half of the warm-up only, count the values collectd sends (type 0x0006 parts
# of its binary protocol); during the measurement nothing listens on the port.
COLLECTD_VPS=$(python3 - "$UDP_PORT" "$((WARMUP - WARMUP / 2))" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.2)
secs = float(sys.argv[2])
end, values = time.monotonic() + secs, 0
while time.monotonic() < end:
    try:
        d = s.recv(65535)
    except socket.timeout:
        continue
    i = 0
    while i + 4 <= len(d):
        kind, size = int.from_bytes(d[i:i + 2], "big"), int.from_bytes(d[i + 2:i + 4], "big")
        if size < 4:
            break
        if kind == 6:
            values += int.from_bytes(d[i + 4:i + 6], "big")
        i += size
print(round(values / secs))
EOF
)
alive "$AGENT_PID" stratus-agent
alive "$COLLECTD_PID" collectd
alive "$COLLECTOR_PID" stratus-collector

for p in $COLLECTD_PLUGINS; do
    grep -q "plugin \"$p\" successfully loaded" "$T/collectd.log" || {
        show_logs
        die "collectd did not load plugin $p"
    }
done
if grep -iE 'error|failed|warning' "$T/collectd.log" >&2; then
    die "collectd logged the problems above"
fi

HZ=$(getconf CLK_TCK)
echo "measuring ${SECS} s (RSS every ${RSS_EVERY} s)..." >&2
T0=$(now_cs)
A_TICKS0=$(cpu_ticks "$AGENT_PID")
C_TICKS0=$(cpu_ticks "$COLLECTD_PID")
A_MAX=0 A_SUM=0 C_MAX=0 C_SUM=0 N=0
k=0
while :; do
    alive "$AGENT_PID" stratus-agent
    alive "$COLLECTD_PID" collectd
    a=$(status_kb "$AGENT_PID" VmRSS)
    c=$(status_kb "$COLLECTD_PID" VmRSS)
    A_SUM=$((A_SUM + a)) C_SUM=$((C_SUM + c)) N=$((N + 1))
    ((a > A_MAX)) && A_MAX=$a
    ((c > C_MAX)) && C_MAX=$c
    k=$((k + RSS_EVERY))
    ((k <= SECS)) || break
    # Sleep to the next 5 s mark from T0, so the sampling itself does not drift the window.
    left=$((T0 + k * 100 - $(now_cs)))
    ((left > 0)) && sleep "$((left / 100)).$(printf %02d $((left % 100)))"
done
left=$((T0 + SECS * 100 - $(now_cs)))
((left > 0)) && sleep "$((left / 100)).$(printf %02d $((left % 100)))"
A_TICKS1=$(cpu_ticks "$AGENT_PID")
C_TICKS1=$(cpu_ticks "$COLLECTD_PID")
T1=$(now_cs)
A_HWM=$(status_kb "$AGENT_PID" VmHWM)
C_HWM=$(status_kb "$COLLECTD_PID" VmHWM)
alive "$COLLECTOR_PID" stratus-collector

# Evidence that the agent delivered: batches still spooled, and the series the collector lists
# (ListMetrics pages of at most 500, protobuf: field 1 a Metric, field 2 next_token).
SPOOLED=$(find "$T/spool" -type f 2>/dev/null | wc -l)
SERIES=$(python3 - "$PORT" <<'EOF'
import http.client, sys
def fields(b):
    i = 0
    while i < len(b):
        key, i = b[i], i + 1
        n = shift = 0
        while True:
            n, i, shift = n | (b[i] & 0x7F) << shift, i + 1, shift + 7
            if not b[i - 1] & 0x80:
                break
        yield key >> 3, b[i:i + n]
        i += n
series, token = 0, b""
while True:
    body = b"\x22" + bytes([len(token)]) + token if token else b""
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.request("POST", "/v1/ListMetrics", body, {"Content-Type": "application/x-protobuf"})
    r = c.getresponse()
    reply = r.read()
    if r.status != 200:
        sys.exit("ListMetrics: HTTP %d" % r.status)
    token = b""
    for num, val in fields(reply):
        series += num == 1
        token = val if num == 2 else token
    if not token:
        break
print(series)
EOF
)
AGENT_THREADS=$(status_kb "$AGENT_PID" Threads)
COLLECTD_THREADS=$(status_kb "$COLLECTD_PID" Threads)

row() {
    awk -v name="$1" -v secs="$2" -v what="$3" -v t0="$4" -v t1="$5" -v hz="$HZ" \
        -v wall_cs="$((T1 - T0))" -v max="$6" -v sum="$7" -v n="$N" -v hwm="$8" 'BEGIN {
        printf "| %s | 1 s | %s | %.3f | %.2f | %.2f | %.2f |\n", name, what,
            (t1 - t0) / hz / (wall_cs / 100) * 100, max / 1024, sum / n / 1024, hwm / 1024
    }'
}
echo
echo "| daemon | interval | sections/plugins | CPU % of one core | RSS max MB | RSS mean MB | VmHWM MB |"
echo "|---|---|---|---:|---:|---:|---:|"
row stratus-agent "$SECS" "cpu (per CPU + total), mem, swap, disk (*), diskio, net, netstat, processes; HTTP to stratus-collector" \
    "$A_TICKS0" "$A_TICKS1" "$A_MAX" "$A_SUM" "$A_HWM"
row "collectd $("$COLLECTD" -h | sed -n 's/^collectd \([^ ,]*\).*/\1/p')" "$SECS" \
    "cpu, memory, swap, df, disk, interface, tcpconns, processes; network (UDP); logfile" \
    "$C_TICKS0" "$C_TICKS1" "$C_MAX" "$C_SUM" "$C_HWM"
echo
awk -v cs="$((T1 - T0))" -v n="$N" 'BEGIN {
    printf "measured %.2f s after a '"$WARMUP"' s warm-up; %d RSS samples each\n", cs / 100, n }'
echo "stratus-agent: $AGENT_THREADS thread(s), $((A_TICKS1 - A_TICKS0)) CPU ticks (CLK_TCK $HZ);" \
    "the collector lists $SERIES series (one datum each per second), $SPOOLED batches left in the spool"
echo "collectd: $COLLECTD_THREADS threads, $((C_TICKS1 - C_TICKS0)) CPU ticks;" \
    "$COLLECTD_VPS values/s sent (counted during the warm-up)"
