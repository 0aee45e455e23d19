# SPDX-License-Identifier: MIT
"""End-to-end tests of the metrics path: the real collector and the real CLI on loopback."""
import json
import socket
import math
import os
import sys
import threading
import time
import unittest
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbwire  # noqa: E402
from harness import CollectorTest, iso  # noqa: E402


def minute(offset_min=0):
    return int(time.time()) // 60 * 60 + 60 * offset_min


def exact_percentile(values, q):
    s = sorted(values)
    rank = max(1, math.ceil(q * len(s)))
    return s[rank - 1]


class Statistics(CollectorTest):
    def get(self, c, name, dims, start, end, period, *stats, ext=False, unit=None):
        args = ["get-metric-statistics", "--namespace", "E2E", "--metric-name", name,
                "--start-time", iso(start), "--end-time", iso(end), "--period", period]
        if dims:
            args += ["--dimensions", dims]
        args += ["--extended-statistics" if ext else "--statistics"] + list(stats)
        if unit:
            args += ["--unit", unit]
        return c.cli_json(*args)["Datapoints"]

    def test_every_statistic_of_values_sets_and_arrays_is_exact(self):
        c = self.start()
        t = minute(-10)
        for v in (10, 20, 30, 40):
            c.cli("put-metric-data", "--namespace", "E2E", "--metric-name", "Lat",
                  "--dimensions", "Host=a,Api=get", "--value", v, "--unit", "Milliseconds",
                  "--timestamp", iso(t + 5))
        c.cli("put-metric-data", "--namespace", "E2E", "--metric-name", "Lat", "--dimensions",
              "Api=get,Host=a", "--statistic-values", "Sum=30,Minimum=5,Maximum=20,SampleCount=3",
              "--unit", "Milliseconds", "--timestamp", iso(t + 6))
        c.cli("put-metric-data", "--namespace", "E2E", "--metric-name", "Lat", "--dimensions",
              "Host=a,Api=get", "--values", 1, 2, 3, "--counts", 4, 5, 6, "--unit",
              "Milliseconds", "--timestamp", iso(t + 7))
        dps = self.get(c, "Lat", "Host=a,Api=get", t - 60, t + 120, 60, "SampleCount", "Sum",
                       "Minimum", "Maximum", "Average")
        self.assertEqual(len(dps), 1)
        p = dps[0]
        self.assertEqual(p["SampleCount"], 4 + 3 + 15)
        self.assertEqual(p["Sum"], 100 + 30 + 4 + 10 + 18)
        self.assertEqual(p["Minimum"], 1)
        self.assertEqual(p["Maximum"], 40)
        self.assertAlmostEqual(p["Average"], 162 / 22, places=12)
        self.assertEqual(p["Unit"], "Milliseconds")
        self.assertEqual(p["Timestamp"], time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t)))

    def test_percentiles_match_exact_ones_within_one_percent(self):
        c = self.start()
        t = minute(-10)
        values = [float((i * 7919) % 1000 + 1) for i in range(1000)]
        batch = [{"MetricName": "Pct", "Timestamp": iso(t + 1 + i // 150 % 50),
                  "Values": values[i:i + 150], "Unit": "Count"} for i in range(0, 1000, 150)]
        path = os.path.join(self.tmp, "batch.json")
        with open(path, "w") as f:
            json.dump(batch, f)
        c.cli("put-metric-data", "--namespace", "E2E", "--metric-data", "file://" + path)
        dps = self.get(c, "Pct", None, t, t + 60, 60, "p10", "p50", "p90", "p99", "p99.9",
                       ext=True)
        self.assertEqual(len(dps), 1)
        ext = dps[0]["ExtendedStatistics"]
        for name, q in (("p10", .1), ("p50", .5), ("p90", .9), ("p99", .99), ("p99.9", .999)):
            want = exact_percentile(values, q)
            self.assertLessEqual(abs(ext[name] - want), 0.01 * want + 1e-9, (name, ext[name], want))

    def test_periods_and_time_order(self):
        c = self.start()
        t = minute(-30)
        datums = []
        # One datum a minute for 20 minutes, sent newest first (out of order).
        for m in reversed(range(20)):
            datums.append(pbwire.datum("Seq", ts_ms=(t + m * 60 + 30) * 1000, value=float(m)))
        status, body, _ = c.post("/v1/PutMetricData", pbwire.put_request("E2E", datums))
        self.assertEqual(status, 200, body)
        one = self.get(c, "Seq", None, t, t + 1200, 60, "Sum")
        self.assertEqual([p["Sum"] for p in one], [float(m) for m in range(20)])
        stamps = [p["Timestamp"] for p in one]
        self.assertEqual(stamps, sorted(stamps))
        five = self.get(c, "Seq", None, t, t + 1200, 300, "Sum", "SampleCount")
        self.assertEqual([p["Sum"] for p in five], [10.0, 35.0, 60.0, 85.0])
        self.assertEqual([p["SampleCount"] for p in five], [5.0] * 4)
        self.assertEqual(self.get(c, "Seq", None, t - 3600, t - 60, 60, "Sum"), [])

    def test_unit_filter(self):
        c = self.start()
        t = minute(-5)
        c.cli("put-metric-data", "--namespace", "E2E", "--metric-name", "U", "--value", 1,
              "--unit", "Seconds", "--timestamp", iso(t))
        c.cli("put-metric-data", "--namespace", "E2E", "--metric-name", "U", "--value", 500,
              "--unit", "Milliseconds", "--timestamp", iso(t))
        secs = self.get(c, "U", None, t, t + 60, 60, "Sum", unit="Seconds")
        self.assertEqual([(p["Sum"], p["Unit"]) for p in secs], [(1.0, "Seconds")])
        self.assertEqual(self.get(c, "U", None, t, t + 60, 60, "Sum", unit="Bytes"), [])

    def test_high_resolution_data_answers_one_second_periods(self):
        c = self.start()
        t = int(time.time()) - 120
        datums = [pbwire.datum("Hr", ts_ms=(t + s) * 1000, value=float(s), resolution=1)
                  for s in range(10)]
        self.assertEqual(c.post("/v1/PutMetricData", pbwire.put_request("E2E", datums))[0], 200)
        dps = self.get(c, "Hr", None, t, t + 10, 1, "Maximum")
        self.assertEqual([p["Maximum"] for p in dps], [float(s) for s in range(10)])
        five = self.get(c, "Hr", None, t - t % 5, t - t % 5 + 15, 5, "SampleCount")
        self.assertEqual(sum(p["SampleCount"] for p in five), 10.0)


class Durability(CollectorTest):
    def test_late_and_out_of_order_data_after_flush_is_counted_exactly(self):
        # Buckets close one second after their minute: everything below is late.
        c = self.start("--flush-grace-60s", "0", "--flush-grace-1s", "0")
        t = minute(-20)
        def put(offset, v):
            body = pbwire.put_request("E2E", [pbwire.datum("Late", ts_ms=(t + offset) * 1000,
                                                           value=v)])
            self.assertEqual(c.post("/v1/PutMetricData", body)[0], 200)
        put(5, 1.0)
        put(65, 2.0)
        put(6, 4.0)    # late for a minute that was already flushed
        put(125, 8.0)
        put(7, 16.0)   # and again
        def sums():
            return [p["Sum"] for p in c.cli_json(
                "get-metric-statistics", "--namespace", "E2E", "--metric-name", "Late",
                "--start-time", iso(t), "--end-time", iso(t + 180), "--period", 60,
                "--statistics", "Sum")["Datapoints"]]
        self.assertEqual(sums(), [21.0, 2.0, 8.0])
        c.stop()
        c2 = self.start("--flush-grace-60s", "0")
        c = c2
        self.assertEqual(sums(), [21.0, 2.0, 8.0])

    def test_restart_after_flush_neither_loses_nor_doubles(self):
        t = minute(-20)
        c = self.start("--flush-grace-60s", "3600")   # everything stays in memory
        body = pbwire.put_request("E2E", [pbwire.datum("R", ts_ms=(t + s) * 1000, value=1.0)
                                          for s in range(0, 600, 10)])
        self.assertEqual(c.post("/v1/PutMetricData", body)[0], 200)
        c.stop()
        def counts(col):
            return [p["SampleCount"] for p in col.cli_json(
                "get-metric-statistics", "--namespace", "E2E", "--metric-name", "R",
                "--start-time", iso(t), "--end-time", iso(t + 600), "--period", 300,
                "--statistics", "SampleCount")["Datapoints"]]
        for _ in range(3):  # flushed to RRD by the first restart, then replayed twice more
            c = self.start("--flush-grace-60s", "0", "--store-batch-ms", "0")
            rrd = os.path.join(c.data_dir, "rrd")
            deadline = time.time() + 20
            # The flush to the RRD file is asynchronous: the answer must be exact throughout.
            while True:
                self.assertEqual(counts(c), [30.0, 30.0])
                if any(f.endswith(".rrd") for _, _, fs in os.walk(rrd) for f in fs):
                    break
                self.assertLess(time.time(), deadline, "no RRD file was written")
                time.sleep(0.05)
            self.assertEqual(counts(c), [30.0, 30.0])
            c.stop()

    def test_kill9_during_a_stream_loses_no_acknowledged_datum(self):
        c = self.start()
        t = minute(-3)
        acked = [0] * 4
        sent = [0] * 4
        stop = threading.Event()

        def writer(i):
            conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
            while not stop.is_set():
                datums = [pbwire.datum("Stream", dims=[("Writer", str(i))],
                                       ts_ms=(t + k % 60) * 1000, value=1.0) for k in range(50)]
                sent[i] += 50
                try:
                    conn.request("POST", "/v1/PutMetricData",
                                 body=pbwire.put_request("E2E", datums),
                                 headers={"Content-Type": "application/x-protobuf"})
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        acked[i] += 50
                except (OSError, http.client.HTTPException):
                    return

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        deadline = time.time() + 10
        while sum(acked) < 5000 and time.time() < deadline:
            time.sleep(0.05)
        c.kill9()
        stop.set()
        for th in threads:
            th.join(15)
        self.assertGreater(sum(acked), 0)
        c = self.start()
        for i in range(4):
            dps = c.cli_json("get-metric-statistics", "--namespace", "E2E", "--metric-name",
                             "Stream", "--dimensions", "Writer=%d" % i, "--start-time", iso(t),
                             "--end-time", iso(t + 60), "--period", 60, "--statistics",
                             "SampleCount")["Datapoints"]
            got = dps[0]["SampleCount"] if dps else 0
            self.assertGreaterEqual(got, acked[i], "writer %d: %d acked, %d stored" % (
                i, acked[i], got))
            self.assertLessEqual(got, sent[i])


class BadInput(CollectorTest):
    def assert_aws_error(self, reply, status, code):
        got_status, body, ctype = reply
        self.assertEqual(got_status, status, body)
        self.assertEqual(ctype, "application/json")
        err = json.loads(body)
        self.assertEqual(err["__type"], code)
        self.assertTrue(err["message"])

    def test_malformed_requests_get_clear_4xx_and_the_collector_keeps_serving(self):
        c = self.start()
        good = pbwire.put_request("E2E", [pbwire.datum("Ok", value=1.0)])
        self.assert_aws_error(c.post("/v1/PutMetricData", b"\xff\xff\xff garbage"), 400,
                              "MalformedInput")
        self.assert_aws_error(c.post("/v1/PutMetricData", good[:-3]), 400, "MalformedInput")
        self.assert_aws_error(c.post("/v1/PutMetricData", good, "application/json"), 415,
                              "UnsupportedMediaType")
        self.assert_aws_error(c.post("/v1/PutMetricData", good, method="GET"), 405,
                              "InvalidAction")
        self.assert_aws_error(c.post("/v1/NoSuchThing", good), 404, "UnknownOperationException")
        self.assert_aws_error(c.post("/v1/PutMetricData", b""), 400, "MissingParameter")
        self.assert_aws_error(c.post("/v1/PutMetricData", b"\0" * (1024 * 1024 + 10)), 413,
                              "RequestEntityTooLarge")
        # Far past the limit the collector answers from the headers alone, before the body.
        with socket.create_connection(("127.0.0.1", c.port), timeout=10) as s:
            s.sendall(b"POST /v1/PutMetricData HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/x-protobuf\r\n"
                      b"Content-Length: 52428800\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 413"))
        self.assert_aws_error(c.post("/v1/GetMetricStatistics", b"\x0a\xff"), 400,
                              "MalformedInput")
        self.assertEqual(c.post("/v1/PutMetricData", good)[0], 200)
        self.assertIn("Ok", c.cli("list-metrics", "--namespace", "E2E").stdout)

    def test_values_cloudwatch_rejects_are_rejected_with_its_codes(self):
        c = self.start()
        now = int(time.time())
        cases = [
            (pbwire.datum("X", value=float("nan")), "InvalidParameterValue"),
            (pbwire.datum("X", value=float("inf")), "InvalidParameterValue"),
            (pbwire.datum("X", value=2.0 ** 361), "InvalidParameterValue"),
            (pbwire.datum("X", values=[1.0, 2.0], counts=[1.0]), "InvalidParameterValue"),
            (pbwire.datum("X", values=[float(i) for i in range(151)]), "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, stats=(1, 1, 1, 1)), "InvalidParameterCombination"),
            (pbwire.datum("X"), "InvalidParameterCombination"),
            (pbwire.datum("X", value=1.0, ts_ms=(now - 15 * 86400) * 1000),
             "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, ts_ms=(now + 3 * 3600) * 1000),
             "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, unit="Furlongs"), "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, resolution=5), "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, dims=[("D%d" % i, "v") for i in range(31)]),
             "InvalidParameterValue"),
            (pbwire.datum("X", value=1.0, dims=[("D", "v"), ("D", "w")]),
             "InvalidParameterValue"),
            (pbwire.datum("", value=1.0), "InvalidParameterValue"),
            (pbwire.datum("X" * 256, value=1.0), "InvalidParameterValue"),
        ]
        for d, code in cases:
            with self.subTest(code=code, datum=d[:40]):
                self.assert_aws_error(c.post("/v1/PutMetricData", pbwire.put_request("E2E", [d])),
                                      400, code)
        self.assert_aws_error(c.post("/v1/PutMetricData", pbwire.put_request(
            "AWS/EC2", [pbwire.datum("X", value=1.0)])), 400, "InvalidParameterValue")
        self.assert_aws_error(c.post("/v1/PutMetricData", pbwire.put_request(
            "E2E", [pbwire.datum("X", value=1.0)] * 1001)), 400, "InvalidParameterValue")
        # Nothing of the rejected requests was stored.
        self.assertNotIn('"X"', c.cli("list-metrics", "--namespace", "E2E").stdout)

    def test_cli_reports_server_errors_with_exit_1_and_usage_errors_with_exit_2(self):
        c = self.start()
        p = c.cli("get-metric-statistics", "--namespace", "E2E", "--metric-name", "X",
                  "--start-time", iso(time.time() - 3600), "--end-time", iso(time.time()),
                  "--period", 7, "--statistics", "Sum", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("InvalidParameterValue", p.stderr)
        p = c.cli("get-metric-statistics", "--namespace", "E2E", "--metric-name", "X",
                  "--start-time", iso(time.time() - 86400 * 2), "--end-time", iso(time.time()),
                  "--period", 60, "--statistics", "Sum", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("1,440", p.stderr)
        p = c.cli("put-metric-data", "--namespace", "E2E", "--no-such-flag", check=False)
        self.assertEqual(p.returncode, 2)
        p = c.cli("frobnicate", check=False)
        self.assertEqual(p.returncode, 2)


class Listing(CollectorTest):
    def test_list_metrics_pages_with_next_token_and_filters(self):
        c = self.start()
        for batch in range(2):
            datums = [pbwire.datum("M%04d" % (batch * 1000 + i),
                                   dims=[("Host", "h%d" % (i % 3))], value=1.0)
                      for i in range(600)]
            self.assertEqual(c.post("/v1/PutMetricData",
                                    pbwire.put_request("Many", datums))[0], 200)
        status, body, _ = c.post("/v1/ListMetrics", pbwire.list_request("Many"))
        self.assertEqual(status, 200)
        page = pbwire.decode(body)
        self.assertEqual(len(page[1]), 500)
        self.assertIn(2, page)  # NextToken
        names = set()
        token = None
        while True:
            status, body, _ = c.post("/v1/ListMetrics", pbwire.list_request("Many", token))
            page = pbwire.decode(body)
            names.update(pbwire.decode(m)[2][0] for m in page.get(1, []))
            if 2 not in page:
                break
            token = page[2][0].decode()
        self.assertEqual(len(names), 1200)
        listed = c.cli_json("list-metrics", "--namespace", "Many")["Metrics"]
        self.assertEqual(len(listed), 1200)
        h1 = c.cli_json("list-metrics", "--namespace", "Many", "--dimensions",
                        "Name=Host,Value=h1")["Metrics"]
        self.assertEqual(len(h1), 400)
        self.assertTrue(all(m["Dimensions"] == [{"Name": "Host", "Value": "h1"}] for m in h1))
        one = c.cli_json("list-metrics", "--namespace", "Many", "--metric-name", "M0007")
        self.assertEqual(len(one["Metrics"]), 1)
        self.assert_bad_token(c)

    def assert_bad_token(self, c):
        status, body, _ = c.post("/v1/ListMetrics", pbwire.list_request("Many", "zz"))
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "InvalidNextToken")


if __name__ == "__main__":
    unittest.main(verbosity=2)
