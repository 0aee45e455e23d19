# SPDX-License-Identifier: MIT
"""End-to-end tests of stratus-agent with the real collector on loopback."""
import calendar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import threading
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, CollectorTest, iso  # noqa: E402
import pbwire  # noqa: E402


def config(port, spool, **metrics_extra):
    metrics = {"namespace": "E2EAgent", "force_flush_interval": 1,
               "metrics_collected": {
                   "cpu": {"measurement": ["cpu_usage_idle", "cpu_usage_user"], "totalcpu": True},
                   "mem": {"measurement": ["mem_used_percent"]},
                   "disk": {"measurement": ["used_percent"], "resources": ["/"]},
                   "net": {"measurement": ["bytes_sent"]}}}
    metrics.update(metrics_extra)
    return {"agent": {"metrics_collection_interval": 1, "endpoint": "http://127.0.0.1:%d" % port,
                      "spool_dir": spool, "spool_max_bytes": 10000000},
            "metrics": metrics}


class AgentTestBase(CollectorTest):
    def wait_for(self, predicate, seconds, what):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        self.fail("timed out waiting for " + (what if isinstance(what, str) else what()))

    def names(self, c):
        return {m["MetricName"] for m in c.cli_json("list-metrics", "--namespace",
                                                     "E2EAgent")["Metrics"]}

    def seconds_stored(self, c, dims, t0, t1):
        out = c.cli_json("get-metric-statistics", "--namespace", "E2EAgent", "--metric-name",
                         "mem_used_percent", "--dimensions", dims, "--start-time", iso(t0),
                         "--end-time", iso(t1), "--period", 1, "--statistics", "SampleCount")
        return sorted(calendar.timegm(time.strptime(p["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
                      for p in out["Datapoints"])


class Agent(AgentTestBase):
    def test_cloudwatch_names_and_dimensions_arrive(self):
        c = self.start()
        self.agent(config(c.port, os.path.join(self.tmp, "spool")))
        want = {"cpu_usage_idle", "cpu_usage_user", "mem_used_percent", "disk_used_percent",
                "net_bytes_sent"}
        self.wait_for(lambda: want <= self.names(c), 20, "the agent's metrics")
        metrics = c.cli_json("list-metrics", "--namespace", "E2EAgent")["Metrics"]
        by = {}
        for m in metrics:
            by.setdefault(m["MetricName"], []).append(
                {d["Name"]: d["Value"] for d in m.get("Dimensions", [])})
        self.assertIn({"cpu": "cpu-total", "host": os.uname().nodename}, by["cpu_usage_idle"])
        self.assertTrue(any(d.get("path") == "/" and "fstype" in d
                            for d in by["disk_used_percent"]), by["disk_used_percent"])
        self.assertTrue(all("interface" in d for d in by["net_bytes_sent"]))

    def test_append_and_aggregation_dimensions(self):
        c = self.start()
        cfg = config(c.port, os.path.join(self.tmp, "spool"),
                     append_dimensions={"InstanceId": "${aws:InstanceId}", "Team": "core",
                                        "ImageId": "${aws:ImageId}"},
                     aggregation_dimensions=[["InstanceId"], []])
        self.agent(cfg)
        host = os.uname().nodename

        def dim_sets():
            return [{d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
                    for m in c.cli_json("list-metrics", "--namespace", "E2EAgent",
                                        "--metric-name", "mem_used_percent")["Metrics"]]
        full = {"host": host, "InstanceId": host, "Team": "core"}  # no EC2: ImageId omitted
        self.wait_for(lambda: all(d in dim_sets() for d in (full, {"InstanceId": host}, {})),
                      20, lambda: "the three dimension sets, got %s" % dim_sets())
        self.assertEqual(len(dim_sets()), 3, dim_sets())
        # cpu has its own "cpu" dimension, which ["InstanceId"] drops; it is sent three ways too
        cpu = [{d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
               for m in c.cli_json("list-metrics", "--namespace", "E2EAgent",
                                   "--metric-name", "cpu_usage_idle")["Metrics"]]
        self.assertIn(dict(full, cpu="cpu-total"), cpu)

    def test_memory_stays_under_the_cap_while_the_collector_is_away(self):
        c = self.start()
        sp = free_udp_port()
        cfg = config(c.port, os.path.join(self.tmp, "spool"))
        cfg["agent"]["memory_max_bytes"] = 1 << 20
        cfg["metrics"]["metrics_collected"]["statsd"] = {
            "service_address": "127.0.0.1:%d" % sp, "metrics_collection_interval": 60}
        a = self.agent(cfg)
        self.wait_for(lambda: "mem_used_percent" in self.names(c), 20, "mem_used_percent")
        c.kill9()

        def rss_kb():
            with open("/proc/%d/status" % a.proc.pid) as f:
                return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
        base = rss_kb()
        # 40000 distinct timers with 5 values each in one aggregation interval: far more than
        # half of the 1 MiB cap if they were all kept.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        for i in range(40000):
            s.sendto(("t%d:1|ms\nt%d:2|ms\nt%d:3|ms\nt%d:4|ms\nt%d:5|ms" % ((i,) * 5)).encode(),
                     ("127.0.0.1", sp))
            if i % 1000 == 999:
                time.sleep(0.01)  # let the agent keep up: this is about memory, not loss
        s.close()
        time.sleep(2)
        grown = rss_kb() - base
        with open(AGENT, "rb") as f:
            asan = b"__asan_init" in f.read()  # its quarantine keeps freed memory resident
        if not asan:
            self.assertLess(grown, 2048, "RSS grew by %d kB with a 1 MiB cap" % grown)
        self.assertEqual(a.stop(signal.SIGTERM), 0)
        self.assertRegex(a.log(), r"statsd: \d+ datagrams, \d+ malformed lines dropped, "
                                  r"\d+ datums sent, [1-9]\d* dropped")

    def test_collector_outage_loses_no_second(self):
        c = self.start()
        self.agent(config(c.port, os.path.join(self.tmp, "spool")))
        self.wait_for(lambda: "mem_used_percent" in self.names(c), 20, "mem_used_percent")
        time.sleep(3)  # the window checked below starts 2 s before the outage: after the start
        dims = "host=" + os.uname().nodename
        c.kill9()
        t0 = int(time.time())
        time.sleep(8)
        t1 = int(time.time())
        c = self.start(port=c.port)  # where the agent keeps sending
        want = set(range(t0 - 2, t1 + 2))
        got = set()

        def complete():
            got.clear()
            got.update(self.seconds_stored(c, dims, t0 - 2, t1 + 2))
            return want <= got
        self.wait_for(complete, 60, lambda: "every second of the outage; missing %s" % sorted(
            t - t0 for t in want - got))

    def test_sigterm_spools_what_was_gathered_and_a_restart_delivers_it(self):
        c = self.start()
        spool = os.path.join(self.tmp, "spool")
        a = self.agent(config(c.port, spool))
        self.wait_for(lambda: "mem_used_percent" in self.names(c), 20, "mem_used_percent")
        c.kill9()
        t_kill = int(time.time())
        time.sleep(3)
        t_term = int(time.time())
        self.assertEqual(a.stop(signal.SIGTERM), 0)
        m = re.search(r"stopped; (\d+) batches stay spooled", a.log())
        self.assertTrue(m, a.log())
        self.assertGreater(int(m.group(1)), 0, "SIGTERM did not leave the gathered data spooled")
        self.assertTrue(any(f.endswith(".seg") for _, _, fs in os.walk(spool) for f in fs))
        c = self.start()
        self.agent(config(c.port, spool))
        dims = "host=" + os.uname().nodename
        # Every whole second between the collector's death and the SIGTERM (the stop itself
        # may take the 2 s grace, so the window does not depend on when it returns).
        want = set(range(t_kill + 1, t_term))
        self.assertGreaterEqual(len(want), 2)
        self.wait_for(lambda: want <= set(self.seconds_stored(c, dims, t_kill, t_term + 1)), 60,
                      "the spooled seconds after the restart")

    def test_kill9_of_the_agent_loses_at_most_the_batch_being_built(self):
        c = self.start()
        spool = os.path.join(self.tmp, "spool")
        a = self.agent(config(c.port, spool))
        self.wait_for(lambda: "mem_used_percent" in self.names(c), 20, "mem_used_percent")
        port = c.port
        c.kill9()
        t_down = int(time.time())
        time.sleep(4)
        a.stop(signal.SIGKILL)  # batches sealed so far are in the spool already
        t_kill = int(time.time())
        c = self.start(port=port)
        self.agent(config(c.port, spool))
        dims = "host=" + os.uname().nodename
        # Every second up to the last flush before the kill (force_flush_interval is 1 s).
        want = set(range(t_down, t_kill - 1))
        self.wait_for(lambda: want <= set(self.seconds_stored(c, dims, t_down, t_kill)), 60,
                      "the seconds spooled before the kill -9")

    def test_endpoints_shard_series_between_collectors(self):
        c1 = self.start(data="one")
        c2 = self.start(data="two")
        cfg = config(c1.port, os.path.join(self.tmp, "spool"))
        del cfg["agent"]["endpoint"]
        cfg["agent"]["endpoints"] = [c1.endpoint, c2.endpoint]
        cfg["metrics"]["metrics_collected"]["cpu"]["resources"] = ["*"]
        self.agent(cfg)

        def series(c):
            return {(m["MetricName"], tuple(sorted((d["Name"], d["Value"])
                                                  for d in m.get("Dimensions", []))))
                    for m in c.cli_json("list-metrics", "--namespace", "E2EAgent")["Metrics"]}
        self.wait_for(lambda: len(series(c1)) > 0 and len(series(c2)) > 0, 30,
                      "series on both collectors")
        time.sleep(2)
        s1, s2 = series(c1), series(c2)
        self.assertFalse(s1 & s2, "a series went to both collectors")
        self.assertIn("mem_used_percent", {n for n, _ in s1 | s2})

    def test_check_config_accepts_good_and_refuses_bad_files(self):
        good = os.path.join(self.tmp, "good.json")
        with open(good, "w") as f:
            json.dump(config(4780, "/tmp/x"), f)
        self.assertEqual(subprocess.run([AGENT, "--check-config", good],
                                        capture_output=True).returncode, 0)
        cases = ['{"metrics": {"metrics_collected": {"cpu": {"measurement": 7}}}}',
                 '{"agent": {"metrics_collection_interval": "x"}}',
                 '{"agent": {"bogus": 1}}',
                 '{"agent": ',
                 '{"metrics": {"metrics_collected": {"mem": {"measurement": ["nope"]}}}}']
        for i, text in enumerate(cases):
            path = os.path.join(self.tmp, "bad%d.json" % i)
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([AGENT, "--check-config", path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, (text, p.stdout, p.stderr))
            self.assertIn(path, p.stderr)



class CapturingCollector:
    """A PutMetricData endpoint that answers 200 and records each batch's arrival time and the
    newest datum timestamp in it."""

    def __init__(self):
        self.batches = []  # (arrival s, newest timestamp s, datums)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrived = time.time()
                ts = [pbwire.decode(d)[3][0] for d in pbwire.decode(body).get(2, [])]
                outer.batches.append((arrived, max(ts) / 1000.0 if ts else None, len(ts)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Flush(AgentTestBase):
    """Batches are sealed on the grid of force_flush_interval, right after the collection of
    the same instant (one wakeup), not at a phase of their own a fraction of a second later."""

    def run_agent(self, flush_s, seconds):
        cap = CapturingCollector()
        self.addCleanup(cap.close)
        cfg = config(cap.port, os.path.join(self.tmp, "spool"), force_flush_interval=flush_s)
        cfg["metrics"]["metrics_collected"] = {"mem": {"measurement": ["mem_used_percent"]}}
        a = self.agent(cfg)
        time.sleep(seconds)
        a.stop()
        return [b for b in cap.batches[1:-1] if b[1] is not None]  # not the first nor the SIGTERM one

    def test_each_second_is_sent_as_soon_as_it_is_collected(self):
        batches = self.run_agent(1, 6.5)
        self.assertGreaterEqual(len(batches), 4, batches)
        for arrived, newest, n in batches:
            # The newest datum is of the collection just made: sent within a few ms of it.
            self.assertGreaterEqual(arrived, newest, batches)
            self.assertLess(arrived - newest, 0.25, batches)
            self.assertEqual(n, 1, batches)  # one second's datum per batch

    def test_a_longer_flush_interval_seals_on_a_collection_instant(self):
        batches = self.run_agent(3, 10.5)
        self.assertGreaterEqual(len(batches), 2, batches)
        for arrived, newest, n in batches:
            self.assertLess(arrived - newest, 0.25, batches)
            self.assertEqual(n, 3, batches)  # three 1 s collections per batch
        gaps = [b[0] - a[0] for a, b in zip(batches, batches[1:])]
        self.assertTrue(all(2.5 < g < 3.5 for g in gaps), gaps)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Listeners(AgentTestBase):
    def listeners_config(self, c, statsd_port, collectd_port, security="none", auth=None,
                         statsd_interval=1):
        collectd = {"service_address": "udp://127.0.0.1:%d" % collectd_port,
                    "collectd_security_level": security}
        if auth:
            collectd["collectd_auth_file"] = auth
        return {"agent": {"metrics_collection_interval": 60,
                          "endpoint": "http://127.0.0.1:%d" % c.port,
                          "spool_dir": os.path.join(self.tmp, "spool")},
                "metrics": {"namespace": "E2EAgent", "force_flush_interval": 1,
                            "metrics_collected": {
                                "statsd": {"service_address": "127.0.0.1:%d" % statsd_port,
                                           "metrics_collection_interval": statsd_interval},
                                "collectd": collectd}}}

    def stat(self, c, name, dims, stat, start, end):
        return c.cli_json("get-metric-statistics", "--namespace", "E2EAgent", "--metric-name",
                          name, "--dimensions", dims, "--start-time", iso(start), "--end-time",
                          iso(end), "--period", 60, "--statistics", stat)["Datapoints"]

    def test_statsd_counters_gauges_timers_and_sets_become_metrics(self):
        c = self.start()
        sp = free_udp_port()
        # A 60 s interval: the aggregates are sent by the SIGTERM, not by the interval timer
        # (unless a minute boundary falls in the second the test takes).
        a = self.agent(self.listeners_config(c, sp, free_udp_port(), statsd_interval=60))
        time.sleep(0.5)
        t0 = int(time.time())
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(100):
            s.sendto(b"api.requests:1|c|#route:home\napi.latency:%d|ms\nqueue:%d|g\n"
                     b"visitors:u%d|s\nthis is not statsd" % (i, i, i % 7), ("127.0.0.1", sp))
        s.sendto(b"api.requests:10|c|@0.5|#route:home", ("127.0.0.1", sp))
        s.close()
        time.sleep(0.3)  # let the datagrams reach the agent's socket
        self.assertEqual(a.stop(signal.SIGTERM), 0)  # SIGTERM sends the aggregates too
        c2 = c
        host = os.uname().nodename
        counter_dims = "host=%s,metric_type=counter,route=home" % host

        def total(name, dims, stat):
            dps = self.stat(c2, name, dims, stat, t0 - 120, t0 + 120)
            return sum(p[stat] for p in dps)
        self.wait_for(lambda: total("api_requests", counter_dims, "Sum") == 120, 30,
                      "the counter's sum (100 + 10 at rate 0.5)")
        self.assertEqual(total("api_latency", "host=%s,metric_type=timing" % host,
                               "SampleCount"), 100)
        self.assertEqual(total("api_latency", "host=%s,metric_type=timing" % host,
                               "Maximum"), 99)
        gauge = self.stat(c2, "queue", "host=%s,metric_type=gauge" % host, "Maximum",
                          t0 - 120, t0 + 120)
        self.assertEqual(max(p["Maximum"] for p in gauge), 99)
        sets = self.stat(c2, "visitors", "host=%s,metric_type=set" % host, "Maximum",
                         t0 - 120, t0 + 120)
        self.assertLessEqual(max(p["Maximum"] for p in sets), 7)
        self.assertIn("malformed", a.log())

    def test_a_real_collectd_reaches_the_collector_through_the_agent(self):
        c = self.start()
        cp = free_udp_port()
        self.agent(self.listeners_config(c, free_udp_port(), cp))
        conf = os.path.join(self.tmp, "collectd.conf")
        with open(conf, "w") as f:
            f.write('Hostname "collectd-host"\nFQDNLookup false\nInterval 1\n'
                    'BaseDir "%s"\nPIDFile "%s/collectd.pid"\n'
                    'TypesDB "/usr/share/collectd/types.db"\n'
                    'LoadPlugin load\nLoadPlugin memory\nLoadPlugin cpu\nLoadPlugin network\n'
                    '<Plugin network>\n  Server "127.0.0.1" "%d"\n</Plugin>\n'
                    % (self.tmp, self.tmp, cp))
        cd = subprocess.Popen(["/usr/sbin/collectd", "-f", "-C", conf],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.wait_for(lambda: {"collectd_load_shortterm", "collectd_memory_value"} <=
                          self.names(c), 60, "collectd's load and memory metrics")
        finally:
            cd.terminate()
            cd.wait(10)
        metrics = c.cli_json("list-metrics", "--namespace", "E2EAgent", "--metric-name",
                             "collectd_load_shortterm")["Metrics"]
        dims = {d["Name"]: d["Value"] for d in metrics[0]["Dimensions"]}
        self.assertEqual(dims["host"], "collectd-host")
        self.assertEqual(dims["type"], "load")


if __name__ == "__main__":
    unittest.main(verbosity=2)
