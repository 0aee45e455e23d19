#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Measures the peer figure of the ingest benchmark: the samples per second Debian's Prometheus
# (package prometheus, /usr/bin/prometheus) ingests through its remote-write receiver on one
# core of this machine. For each series count it starts a fresh Prometheus on a free loopback
# port with a temporary TSDB, --web.enable-remote-write-receiver and no scrape targets, pinned
# to one core (taskset -c PROM_CPU), waits for /-/ready, runs bench/remote_write_load pinned to
# another core (requests of 1000 samples, one keep-alive connection per shard of the series),
# reads Prometheus's VmRSS and a few of its own counters, stops it, and prints a Markdown table.
# Runs with 1 000 000 series only when MemAvailable leaves room for it.
#
#   bench/bench_prometheus.sh [BUILD_DIR] [--load PATH] [--series "1000 100000 1000000"]
#                             [--connections "8"] [--seconds 20] [--warmup 3] [--repeat 1]
#                             [--out FILE]
#
# --connections takes a list ("4 8 16"): every count is run --repeat times and the table shows
# the fastest run, after a table of all of them. Before each run it waits (QUIET_WAIT, 900 s)
# until other processes use less than QUIET_PCT (15) % of either benchmark CPU. --out writes
# "series connections samples_per_s rss_bytes" lines for the ingest benchmark's ratio.
# BUILD_DIR (default "build" under the source root) holds bench/remote_write_load; --load
# names the binary instead. Environment: PROMETHEUS (/usr/bin/prometheus), PROM_CPU (0),
# LOAD_CPU (1), QUIET_PCT, QUIET_WAIT.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROM_CPU=${PROM_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
LOAD=${ROOT}/build/bench/remote_write_load
SERIES_LIST="1000 100000 1000000"
CONN_LIST="8"
SECONDS_RUN=20
WARMUP=3
OUT=""
REPEAT=1
QUIET_PCT=${QUIET_PCT:-15}
QUIET_WAIT=${QUIET_WAIT:-900}
# Round spacing of the generated timestamps. Each series gets thousands of samples per second
# of benchmark; at 1 s apart a 1000-series run would span more than 3 h of sample time, and
# Prometheus would compact its head into a block in the middle of the measurement, which it
# does only every 2 h of wall time in real use. 100 ms keeps every run under 2 h.
STEP_MS=100
# Assumed cost of a series, to decide whether a run fits in memory. Prometheus needs a few KB per
# series; this is on the safe side, plus 2 GB for the pre-encoded requests and Prometheus itself.
BYTES_PER_SERIES_BUDGET=8192
FIXED_BUDGET_KB=$((2 * 1024 * 1024))

usage() {
    sed -n '/^#   bench\/bench_prometheus.sh/,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --load) LOAD=$2; shift 2 ;;
    --series) SERIES_LIST=$2; shift 2 ;;
    --connections) CONN_LIST=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "bench_prometheus: unknown argument $1" >&2; usage >&2; exit 2 ;;
    *) LOAD=$1/bench/remote_write_load; shift ;;
    esac
done

for tool in "$PROMETHEUS" "$LOAD" taskset curl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench_prometheus: $tool not found (build bench/remote_write_load, install prometheus)" >&2
        exit 1
    fi
done

WORK=$(mktemp -d /tmp/bench-prometheus.XXXXXX)
PROM_PID=""
stop_prometheus() {
    if [ -n "$PROM_PID" ]; then
        kill "$PROM_PID" 2>/dev/null || true
        wait "$PROM_PID" 2>/dev/null || true
        PROM_PID=""
    fi
}
cleanup() {
    stop_prometheus
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$WORK/prometheus.yml" <<'EOF'
global:
  scrape_interval: 15s
scrape_configs: []
EOF

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# metric SERIES FILE: the value of the sample named SERIES (name and labels, verbatim).
metric() {
    awk -v name="$1 " 'index($0, name) == 1 { printf "%.0f\n", $NF; found = 1; exit }
        END { if (!found) print "?" }' "$2"
}

# field NAME LINE: the value of NAME=value in the load generator's result line.
field() {
    sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" <<<"$2" | head -n 1
}

# cpu_busy_pct CPU...: the busiest of the given CPUs' busy percentage over one second.
cpu_busy_pct() {
    local a b
    a=$(grep '^cpu[0-9]' /proc/stat)
    sleep 1
    b=$(grep '^cpu[0-9]' /proc/stat)
    printf '%s\n%s\n' "$a" "$b" | awk -v cpus=" $* " '
        index(cpus, " " substr($1, 4) " ") {
            idle = $5 + $6; total = 0
            for (f = 2; f <= NF; f++) total += $f
            if ($1 in t0) {
                dt = total - t0[$1]; pct = dt > 0 ? 100 * (1 - (idle - i0[$1]) / dt) : 0
                if (pct > max) max = pct
            } else { t0[$1] = total; i0[$1] = idle }
        }
        END { printf "%d\n", max }'
}

# wait_quiet: waits (up to QUIET_WAIT seconds) until other processes leave the two benchmark
# CPUs below QUIET_PCT busy, since on a small machine a concurrent build halves the figure.
wait_quiet() {
    local waited=0 busy
    while busy=$(cpu_busy_pct "$PROM_CPU" "$LOAD_CPU"); [ "$busy" -ge "$QUIET_PCT" ]; do
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "bench_prometheus: warning: CPUs still ${busy}% busy after ${waited} s, running anyway" >&2
            return
        fi
        if [ "$waited" -eq 0 ]; then
            echo "bench_prometheus: CPUs ${busy}% busy with other work, waiting" >&2
        fi
        sleep 4
        waited=$((waited + 5))
    done
}

mem_available_kb() {
    awk '/^MemAvailable:/ { print $2 }' /proc/meminfo
}

declare -a ROWS=()
declare -A BEST_RATE=() BEST_ROW=()

# run_one SERIES CONNECTIONS: one fresh Prometheus, one load run; appends a row to ROWS.
run_one() {
    local series=$1 conns=$2
    local port data log
    port=$(free_port)
    data="$WORK/data-$series-$conns"
    log="$WORK/prometheus-$series-$conns.log"
    mkdir -p "$data"

    taskset -c "$PROM_CPU" "$PROMETHEUS" --config.file="$WORK/prometheus.yml" \
        --storage.tsdb.path="$data" --web.listen-address="127.0.0.1:$port" \
        --web.enable-remote-write-receiver --log.level=warn >"$log" 2>&1 &
    PROM_PID=$!
    local ready=0
    for _ in $(seq 600); do
        if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
            ready=1
            break
        fi
        if ! kill -0 "$PROM_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [ "$ready" != 1 ]; then
        echo "bench_prometheus: prometheus did not become ready; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    local idle_kb
    idle_kb=$(rss_kb "$PROM_PID")

    echo "bench_prometheus: series=$series connections=$conns port=$port" \
        "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" >&2
    local out
    out=$(taskset -c "$LOAD_CPU" "$LOAD" --port "$port" --series "$series" \
        --connections "$conns" --seconds "$SECONDS_RUN" --warmup "$WARMUP" \
        --step-ms "$STEP_MS" --server-pid "$PROM_PID") || {
        echo "bench_prometheus: remote_write_load failed; prometheus log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    }
    local rss
    rss=$(rss_kb "$PROM_PID")
    curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics" || : >"$WORK/metrics"
    stop_prometheus
    rm -rf "$data"
    echo "${out//$'\n'/$'\n'  }" | sed '1s/^/  /' >&2

    local res rate errors total appended ooo compactions share per_cpu
    res=$(grep '^samples_per_s=' <<<"$out")
    rate=$(field samples_per_s "$res")
    errors=$(($(field requests_4xx "$res") + $(field requests_5xx "$res") + \
        $(field requests_other "$res") + $(field requests_failed "$res")))
    total=$(field total_samples_2xx "$res")
    share=$(field server_cpu_share "$res")
    per_cpu=$(field samples_per_server_cpu_s "$res")
    appended=$(metric 'prometheus_tsdb_head_samples_appended_total{type="float"}' "$WORK/metrics")
    ooo=$(metric 'prometheus_tsdb_out_of_order_samples_total{type="float"}' "$WORK/metrics")
    compactions=$(metric 'prometheus_tsdb_compactions_total' "$WORK/metrics")
    if [ "$(field pool_exhausted "$res")" != 0 ]; then
        echo "bench_prometheus: warning: the load generator ran out of requests early" >&2
    fi

    local row
    row="$series|$conns|$rate|$((rss / 1024))|$((rss * 1024 / series))|$((idle_kb / 1024))"
    row+="|$(((rss - idle_kb) * 1024 / series))|$share|$per_cpu|$total|$appended|$ooo"
    row+="|$compactions|$errors|$rss"
    ROWS+=("$row")
    if [ -z "${BEST_RATE[$series]:-}" ] || [ "$rate" -gt "${BEST_RATE[$series]}" ]; then
        BEST_RATE[$series]=$rate
        BEST_ROW[$series]=$row
    fi
}

declare -a RUN_SERIES=()
for series in $SERIES_LIST; do
    need_kb=$((series * BYTES_PER_SERIES_BUDGET / 1024 + FIXED_BUDGET_KB))
    avail_kb=$(mem_available_kb)
    if [ "$avail_kb" -lt "$need_kb" ]; then
        echo "bench_prometheus: skipping $series series: needs about $((need_kb / 1048576)) GB," \
            "MemAvailable is $((avail_kb / 1048576)) GB" >&2
        continue
    fi
    RUN_SERIES+=("$series")
    for conns in $CONN_LIST; do
        for _ in $(seq "$REPEAT"); do
            wait_quiet
            run_one "$series" "$conns"
        done
    done
done

echo
echo "Prometheus $("$PROMETHEUS" --version 2>&1 | head -n 1 | awk '{ print $3 }')," \
    "remote-write receiver on CPU $PROM_CPU, load on CPU $LOAD_CPU, $(nproc) CPUs," \
    "${SECONDS_RUN} s after a ${WARMUP} s warm-up, 1000 samples per request," \
    "best of $REPEAT run(s) per connection count"
echo
if [ "$(wc -w <<<"$CONN_LIST")" -gt 1 ] || [ "$REPEAT" -gt 1 ]; then
    echo "| series | connections | prometheus samples/s (1 core) | prometheus CPU share |"
    echo "|---:|---:|---:|---:|"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r s k rate _ _ _ _ share _ <<<"$row"
        echo "| $s | $k | $rate | $share |"
    done
    echo
fi
echo "| series | prometheus samples/s (1 core) | RSS MB | RSS bytes/series |"
echo "|---:|---:|---:|---:|"
for series in "${RUN_SERIES[@]}"; do
    IFS='|' read -r s k rate rss_mb bps _ <<<"${BEST_ROW[$series]}"
    echo "| $s | $rate | $rss_mb | $bps |"
done
echo
echo "| series | connections | idle RSS MB | (RSS - idle) bytes/series | prometheus CPU share |" \
    "samples per prometheus CPU-s | samples 2xx (all) | samples appended | out of order |" \
    "compactions | failed requests |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for series in "${RUN_SERIES[@]}"; do
    IFS='|' read -r s k rate rss_mb bps idle_mb marginal share per_cpu total appended ooo \
        compactions errors _ <<<"${BEST_ROW[$series]}"
    echo "| $s | $k | $idle_mb | $marginal | $share | $per_cpu | $total | $appended | $ooo |" \
        "$compactions | $errors |"
done

if [ -n "$OUT" ]; then
    for series in "${RUN_SERIES[@]}"; do
        IFS='|' read -r s k rate _ _ _ _ _ _ _ _ _ _ _ rss_kb <<<"${BEST_ROW[$series]}"
        echo "$s $k $rate $((rss_kb * 1024))"
    done >"$OUT"
fi
