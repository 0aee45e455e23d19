# SPDX-License-Identifier: MIT
"""End-to-end tests of traces: X-Ray daemon datagrams to the collector's UDP port (and through
the agent's relay), PutTraceSegments, and the service graph, summaries and full traces through
the real CLI. Waiting is polling with a deadline, never a fixed sleep."""
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest, iso  # noqa: E402

HEADER = b'{"format": "json", "version": 1}\n'
NPM_DIR = os.environ.get("STRATUS_NPM_DIR", os.path.expanduser("~/.cache/stratus-npm"))
NODE_PATH = os.path.join(NPM_DIR, "node_modules")
NODE_SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "xray_sdk.js")
HAVE_NODE_SDK = shutil.which("node") and \
    os.path.isdir(os.path.join(NODE_PATH, "aws-xray-sdk-core"))


def trace_id(n, t=None):
    return "1-%08x-%024x" % (int(t if t is not None else time.time()), n)


def seg_id(n):
    return "%016x" % n


class TraceTest(CollectorTest):
    def setUp(self):
        super().setUp()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.now = time.time()

    def tearDown(self):
        self.sock.close()
        super().tearDown()

    def send(self, port, doc, header=HEADER):
        self.sock.sendto(header + json.dumps(doc).encode(), ("127.0.0.1", port))

    def window(self):
        return ["--start-time", iso(self.now - 300), "--end-time", iso(self.now + 300)]

    def summaries(self, c, expr=None):
        args = ["get-trace-summaries"] + self.window()
        if expr:
            args += ["--filter-expression", expr]
        return c.cli_json(*args)["TraceSummaries"]

    def wait_for(self, predicate, what, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            got = predicate()
            if got:
                return got
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)

    def web_segment(self, n, fault=False, status=200, **extra):
        doc = {"name": "web", "id": seg_id(n), "trace_id": trace_id(n, self.now),
               "start_time": self.now - 1, "end_time": self.now, "origin": "AWS::EC2::Instance",
               "http": {"request": {"method": "GET", "url": "http://web/x/%d" % n},
                        "response": {"status": status}},
               "fault": fault, "annotations": {"customer": "c%d" % n},
               "subsegments": [{"name": "db.internal", "id": seg_id(0x1000 + n),
                                "namespace": "remote", "start_time": self.now - 0.8,
                                "end_time": self.now - 0.2, "fault": fault,
                                "http": {"response": {"status": 503 if fault else 200}}}]}
        doc.update(extra)
        return doc


class CollectorUdp(TraceTest):
    def test_datagrams_make_graph_summaries_and_full_traces(self):
        c = self.start()
        self.send(c.port, {"name": "x"}, header=b"not a header\n")
        self.send(c.port, {"name": "no id"})
        for n in range(1, 7):
            self.send(c.port, self.web_segment(n, fault=n <= 2, status=500 if n <= 2 else 200))
        # An independent subsegment of trace 3, sent on its own: it nests under web's document.
        self.send(c.port, {"type": "subsegment", "name": "cache", "id": seg_id(0x2000),
                           "trace_id": trace_id(3, self.now), "parent_id": seg_id(3),
                           "namespace": "remote", "start_time": self.now - 0.5,
                           "end_time": self.now - 0.4})
        self.wait_for(lambda: len(self.summaries(c)) == 6, "six traces")
        graph = c.cli_json("get-service-graph", *self.window())["Services"]
        by = {(s["Name"], s.get("Type")): s for s in graph}
        self.assertEqual(set(by), {("web", "client"), ("web", "AWS::EC2::Instance"),
                                   ("db.internal", "remote"), ("cache", "remote")})
        web = by[("web", "AWS::EC2::Instance")]
        self.assertTrue(web["Root"])
        self.assertEqual(web["SummaryStatistics"]["TotalCount"], 6)
        self.assertEqual(web["SummaryStatistics"]["FaultStatistics"]["TotalCount"], 2)
        edges = {e["ReferenceId"]: e for e in web["Edges"]}
        db = edges[by[("db.internal", "remote")]["ReferenceId"]]["SummaryStatistics"]
        self.assertEqual((db["TotalCount"], db["OkCount"], db["FaultStatistics"]["TotalCount"]),
                         (6, 4, 2))
        self.assertAlmostEqual(db["TotalResponseTime"], 3.6, places=3)
        client = by[("web", "client")]
        self.assertEqual([e["ReferenceId"] for e in client["Edges"]], [web["ReferenceId"]])

        faults = self.summaries(c, 'service("web") AND fault')
        self.assertEqual(sorted(s["Id"] for s in faults), [trace_id(1, self.now),
                                                            trace_id(2, self.now)])
        self.assertTrue(all(s["HasFault"] and s["Http"]["HttpStatus"] == 500 for s in faults))
        one = self.summaries(c, 'annotation.customer = "c4" AND http.url ENDSWITH "/4"')
        self.assertEqual([s["Id"] for s in one], [trace_id(4, self.now)])
        self.assertEqual(one[0]["Annotations"]["customer"][0]["AnnotationValue"],
                         {"StringValue": "c4"})
        self.assertEqual(self.summaries(c, 'edge("web", "cache")')[0]["Id"], trace_id(3, self.now))

        traces = c.cli_json("batch-get-traces", "--trace-ids", trace_id(3, self.now),
                            "1-00000000-000000000000000000000000")
        self.assertEqual(traces["UnprocessedTraceIds"], ["1-00000000-000000000000000000000000"])
        (t,) = traces["Traces"]
        s, *inferred = t["Segments"]
        doc = json.loads(s["Document"])
        self.assertEqual([x["name"] for x in doc["subsegments"]], ["db.internal", "cache"])
        self.assertNotIn("parent_id", doc["subsegments"][1])
        # X-Ray's inferred segments for the two callees that sent none of their own.
        inferred = [json.loads(x["Document"]) for x in inferred]
        self.assertEqual([(x["name"], x["parent_id"], x["inferred"], x["origin"], x["trace_id"])
                          for x in inferred],
                         [("db.internal", seg_id(0x1003), True, "remote", trace_id(3, self.now)),
                          ("cache", seg_id(0x2000), True, "remote", trace_id(3, self.now))])
        # The bad datagrams were counted and logged, and harmed nothing.
        self.assertIn("bad header", c.log())
        self.assertIsNone(c.proc.poll())

    def test_in_progress_segment_is_replaced_by_its_completed_version(self):
        c = self.start()
        doc = self.web_segment(9)
        del doc["end_time"]
        doc["in_progress"] = True
        self.send(c.port, doc)
        self.wait_for(lambda: self.summaries(c, "partial"), "the in-progress trace")
        self.send(c.port, self.web_segment(9))
        self.wait_for(lambda: self.summaries(c, "NOT partial"), "the completed trace")
        (s,) = self.summaries(c)
        self.assertEqual(s["ResponseTime"], 1.0)
        self.assertEqual(s["Revision"], 1)


class TraceMetrics(TraceTest):
    def stat(self, c, name, dims, statistic="Sum"):
        out = c.cli_json("get-metric-statistics", "--namespace", "Stratus/Traces",
                         "--metric-name", name, "--dimensions", dims,
                         "--start-time", iso(self.now - 300), "--end-time", iso(self.now + 300),
                         "--period", 600, "--statistics", statistic)["Datapoints"]
        return sum(p[statistic] for p in out) if statistic == "Sum" else \
            [p[statistic] for p in out]

    def test_services_and_edges_become_metrics(self):
        c = self.start("--trace-metrics-ms", "200")
        for n in range(1, 6):
            self.send(c.port, self.web_segment(n, fault=n <= 2, status=500 if n <= 2 else 200))
        throttled = self.web_segment(6, status=429)
        self.send(c.port, throttled)
        self.wait_for(lambda: self.stat(c, "RequestCount", "ServiceName=web") == 6,
                      "RequestCount of web")
        self.assertEqual(self.stat(c, "FaultCount", "ServiceName=web"), 2)
        self.assertEqual(self.stat(c, "ThrottleCount", "ServiceName=web"), 1)
        self.assertEqual(self.stat(c, "ErrorCount", "ServiceName=web"), 1)
        edge = "ServiceName=web,DownstreamService=db.internal"
        self.wait_for(lambda: self.stat(c, "RequestCount", edge) == 6, "the edge's count")
        self.assertEqual(self.stat(c, "FaultCount", edge), 2)
        self.assertEqual(self.stat(c, "Latency", edge, "Maximum"), [0.6])


class PutTraceSegments(TraceTest):
    def test_batches_report_unprocessed_documents_and_survive_kill9(self):
        c = self.start()
        good = [json.dumps(self.web_segment(n)) for n in (1, 2)]
        out = c.cli_json("put-trace-segments", "--trace-segment-documents", good[0], good[1],
                         '{"name": "bad", "id": "%s"}' % seg_id(5))
        (bad,) = out["UnprocessedTraceSegments"]
        self.assertEqual(bad["Id"], seg_id(5))
        self.assertEqual(bad["ErrorCode"], "InvalidTraceSegment")
        self.assertIn("trace_id", bad["Message"])
        # Accepted means committed: a kill -9 right after the reply loses nothing.
        c.kill9()
        c2 = self.start()
        ids = sorted(s["Id"] for s in self.summaries(c2))
        self.assertEqual(ids, [trace_id(1, self.now), trace_id(2, self.now)])
        traces = c2.cli_json("batch-get-traces", "--trace-ids", trace_id(2, self.now))["Traces"]
        self.assertEqual(json.loads(traces[0]["Segments"][0]["Document"])["name"], "web")

    def test_bad_requests_are_aws_shaped_4xx(self):
        c = self.start()
        p = c.cli("get-trace-summaries", *self.window(), "--filter-expression",
                  'service("web" AND fault', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("InvalidRequestException", p.stderr)
        self.assertIn("at position 15", p.stderr)
        p = c.cli("get-service-graph", "--start-time", iso(self.now), "--end-time",
                  iso(self.now - 60), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("EndTime must be after StartTime", p.stderr)
        status, body, _ = c.post("/v1/PutTraceSegments", b"\xff\xff\xff")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "MalformedInput")


class ServiceGraphPaging(TraceTest):
    def graph_page(self, c, token=None, start=None):
        body = {"StartTime": self.now - 300 if start is None else start, "EndTime": self.now + 300}
        if token:
            body["NextToken"] = token
        status, out, _ = c.post("/ServiceGraph", json.dumps(body).encode(), "application/json")
        return status, json.loads(out)

    def test_a_large_graph_pages_with_next_token(self):
        c = self.start()
        docs = [json.dumps({"name": "svc-%03d" % n, "id": seg_id(n + 1),
                            "trace_id": trace_id(n + 1, self.now), "start_time": self.now - 1,
                            "end_time": self.now}) for n in range(110)]
        out = c.cli_json("put-trace-segments", "--trace-segment-documents", *docs)
        self.assertEqual(out["UnprocessedTraceSegments"], [])
        # 110 services and their 110 client nodes: pages of 100, as X-Ray's REST API answers.
        pages, token = [], None
        while True:
            status, page = self.graph_page(c, token)
            self.assertEqual(status, 200, page)
            pages.append(page["Services"])
            token = page.get("NextToken")
            if not token:
                break
            self.assertLess(len(pages), 5)
        self.assertEqual([len(p) for p in pages], [100, 100, 20])
        services = [s for p in pages for s in p]
        self.assertEqual([s["ReferenceId"] for s in services], list(range(220)))
        self.assertEqual(sum(1 for s in services if s.get("Type") == "client"), 110)
        refs = {s["ReferenceId"] for s in services}
        self.assertTrue(all(e["ReferenceId"] in refs for s in services
                            for e in s.get("Edges", [])))
        # The CLI follows the pages into one answer, as the aws CLI paginates.
        merged = c.cli_json("get-service-graph", *self.window())["Services"]
        self.assertEqual([(s["Name"], s["ReferenceId"]) for s in merged],
                         [(s["Name"], s["ReferenceId"]) for s in services])
        # A token is only good for its own window.
        _, first = self.graph_page(c)
        status, err = self.graph_page(c, first["NextToken"], start=self.now - 299)
        self.assertEqual((status, err["__type"]), (400, "InvalidRequestException"))
        status, err = self.graph_page(c, "not-a-token")
        self.assertEqual((status, err["__type"]), (400, "InvalidRequestException"))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udp_bound(port):
    with open("/proc/net/udp") as f:
        return any(line.split()[1].endswith(":%04X" % port) for line in list(f)[1:])


class AgentRelay(TraceTest):
    def relay(self, c):
        port = free_udp_port()
        self.agent({"agent": {"endpoint": c.endpoint, "spool_dir": os.path.join(self.tmp, "spool"),
                              "metrics_collection_interval": 60},
                    "traces": {"traces_collected": {"xray": {
                        "bind_address": "127.0.0.1:%d" % port}}}})
        self.wait_for(lambda: udp_bound(port), "the agent's trace port")
        return port

    def test_relay_forwards_batches_and_counts_bad_datagrams(self):
        c = self.start()
        port = self.relay(c)
        self.send(port, {"name": "x"}, header=b'{"format": "json", "version": 9}\n')
        self.send(port, {"name": "refused"})  # a header but not a segment: the collector says so
        for n in range(1, 121):  # more than two batches of 50
            self.send(port, self.web_segment(n, fault=n % 10 == 0))
        self.wait_for(lambda: len(self.summaries(c)) == 120, "120 traces through the relay",
                      seconds=30)
        self.assertEqual(len(self.summaries(c, "fault")), 12)
        graph = c.cli_json("get-service-graph", *self.window())["Services"]
        web = [s for s in graph if s["Name"] == "web" and s.get("Type") != "client"][0]
        self.assertEqual(web["SummaryStatistics"]["TotalCount"], 120)
        a = self.agents[-1]
        a.stop()
        log = a.log()
        self.assertIn("1 bad header", log)
        self.assertIn("1 refused", log)
        self.assertIn("120 segments sent", log)

    def test_real_xray_sdk_through_the_agent(self):
        try:
            import aws_xray_sdk  # noqa: F401
        except ImportError:
            self.fail("aws_xray_sdk is not importable by %s" % sys.executable)
        c = self.start()
        port = self.relay(c)
        program = textwrap.dedent("""
            import sys
            from aws_xray_sdk.core import xray_recorder
            xray_recorder.configure(daemon_address="127.0.0.1:%d", sampling=False,
                                    context_missing="LOG_ERROR", service="sdk-app")
            for i in range(3):
                seg = xray_recorder.begin_segment("sdk-app")
                seg.put_annotation("run", i)
                seg.set_user("user-%%d" %% i)
                seg.put_http_meta("url", "http://sdk-app/items/%%d" %% i)
                seg.put_http_meta("method", "GET")
                sub = xray_recorder.begin_subsegment("payments.internal", namespace="remote")
                sub.put_http_meta("url", "http://payments.internal/charge")
                sub.put_http_meta("status", 500 if i == 2 else 200)
                if i == 2:
                    sub.add_fault_flag()
                xray_recorder.end_subsegment()
                seg.put_http_meta("status", 502 if i == 2 else 200)
                if i == 2:
                    seg.add_fault_flag()
                xray_recorder.end_segment()
            """ % port)
        p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.wait_for(lambda: len(self.summaries(c, 'service("sdk-app")')) == 3,
                      "the SDK's three traces", seconds=30)
        graph = c.cli_json("get-service-graph", *self.window())["Services"]
        by = {(s["Name"], s.get("Type")): s for s in graph}
        self.assertIn(("payments.internal", "remote"), by)
        app = [s for (n, t), s in by.items() if n == "sdk-app" and t != "client"][0]
        (edge,) = app["Edges"]
        self.assertEqual(edge["ReferenceId"], by[("payments.internal", "remote")]["ReferenceId"])
        self.assertEqual(edge["SummaryStatistics"]["TotalCount"], 3)
        self.assertEqual(edge["SummaryStatistics"]["FaultStatistics"]["TotalCount"], 1)
        (fault,) = self.summaries(c, 'edge("sdk-app", "payments.internal") { fault }')
        self.assertEqual(fault["Http"]["HttpStatus"], 502)
        self.assertEqual(fault["Users"][0]["UserName"], "user-2")
        self.assertEqual(self.summaries(c, "annotation.run = 1")[0]["Annotations"]["run"][0]
                         ["AnnotationValue"], {"NumberValue": 1.0})


@unittest.skipUnless(HAVE_NODE_SDK, "needs node and scripts/install-npm-deps")
class NodeXraySdk(TraceTest):
    """tests/e2e/node/xray_sdk.js: a Node service traced by the real aws-xray-sdk-core, whose
    downstream HTTP call (captureHTTPs, to an untraced 127.0.0.1 backend) the SDK sends nested
    for order 0 and as an independent subsegment for orders 1 and 2."""
    relay = AgentRelay.relay
    stat = TraceMetrics.stat

    def run_node(self, daemon_port):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(NODE_PATH=NODE_PATH, NODE_NO_WARNINGS="1",
                   AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:%d" % daemon_port)
        p = subprocess.run(["node", NODE_SDK], capture_output=True, text=True, timeout=60,
                           env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        out = json.loads(p.stdout)
        self.assertEqual([(o["down"], o["status"]) for o in out["orders"]],
                         [("ok", 200), ("missing", 404), ("boom", 502)])
        return out, [o["traceId"] for o in out["orders"]]

    def by_id(self, c, expr=None):
        return {s["Id"]: s for s in self.summaries(c, expr)}

    def test_node_sdk_segments_through_the_agent(self):
        c = self.start("--trace-metrics-ms", "200")
        port = self.relay(c)
        out, tids = self.run_node(port)
        sums = self.wait_for(lambda: len(self.by_id(c, 'service("node-web")')) == 3 and
                             self.by_id(c, 'service("node-web")'),
                             "the SDK's three traces", seconds=30)
        self.assertEqual(set(sums), set(tids))
        ok, missing, boom = (sums[t] for t in tids)
        self.assertEqual([(s["HasFault"], s["HasError"], s["Http"]["HttpStatus"])
                          for s in (ok, missing, boom)],
                         [(False, False, 200), (False, True, 404), (True, False, 502)])
        self.assertEqual([s["Users"][0]["UserName"] for s in (ok, missing, boom)],
                         ["user-0", "user-1", "user-2"])
        self.assertEqual(boom["Annotations"]["tier"][0]["AnnotationValue"],
                         {"StringValue": "gold"})
        self.assertEqual(missing["Annotations"]["order"][0]["AnnotationValue"],
                         {"NumberValue": 1.0})
        self.assertEqual(missing["Annotations"]["gold"][0]["AnnotationValue"],
                         {"BooleanValue": False})
        self.assertFalse(any(s["IsPartial"] for s in (ok, missing, boom)))
        self.assertEqual(set(self.by_id(c, 'annotation.tier = "gold"')), {tids[0], tids[2]})
        self.assertEqual(set(self.by_id(c, "annotation.order >= 1 AND NOT fault")), {tids[1]})
        self.assertEqual(set(self.by_id(c, "fault")), {tids[2]})
        self.assertEqual(set(self.by_id(c, "error")), {tids[1]})
        self.assertEqual(set(self.by_id(c, 'message CONTAINS "backend answered 500"')),
                         {tids[2]})
        self.assertEqual(set(self.by_id(c, 'edge("node-web", "127.0.0.1") { error }')),
                         {tids[1]})

        traces = c.cli_json("batch-get-traces", "--trace-ids", *tids)
        self.assertEqual(traces["UnprocessedTraceIds"], [])
        docs = {}
        for t in traces["Traces"]:
            for s in t["Segments"]:
                d = json.loads(s["Document"])
                self.assertEqual(s["Id"], d["id"])
                docs.setdefault(t["Id"], []).append(d)
        self.assertEqual(set(docs), set(tids))
        for i, tid in enumerate(tids):
            with self.subTest(order=i):
                (web,) = [d for d in docs[tid] if d["name"] == "node-web"]
                self.assertEqual(web["annotations"]["order"], i)
                self.assertEqual(web["aws"]["xray"]["package"], "aws-xray-sdk-core")
                (handler,) = web["subsegments"]
                self.assertEqual(handler["name"], "handler")
                # Nested by the SDK (order 0) or sent on its own and nested by BatchGetTraces.
                (call,) = handler["subsegments"]
                self.assertEqual((call["name"], call["namespace"]), ("127.0.0.1", "remote"))
                self.assertEqual(call["http"]["request"]["url"],
                                 "http://127.0.0.1/" + ("ok", "missing", "boom")[i])
                self.assertEqual(call["http"]["response"]["status"], (200, 404, 500)[i])
                self.assertEqual((call.get("error", False), call.get("fault", False)),
                                 ((False, False), (True, False), (False, True))[i])
                for k in ("type", "parent_id", "trace_id"):
                    self.assertNotIn(k, call)
        self.assertEqual(docs[tids[2]][0]["subsegments"][0]["cause"]["exceptions"][0]["message"],
                         "backend answered 500")
        # Each call reached an untraced backend: X-Ray adds an inferred segment for it.
        for i, tid in enumerate(tids):
            with self.subTest(order=i):
                (web,) = [d for d in docs[tid] if d["name"] == "node-web"]
                call = web["subsegments"][0]["subsegments"][0]
                (inf,) = [d for d in docs[tid] if d.get("inferred")]
                self.assertEqual((inf["name"], inf["parent_id"], inf["origin"], inf["trace_id"]),
                                 ("127.0.0.1", call["id"], "remote", tid))
                self.assertNotEqual(inf["id"], call["id"])
                self.assertEqual(inf["http"], call["http"])
                self.assertEqual((inf.get("error", False), inf.get("fault", False)),
                                 ((False, False), (True, False), (False, True))[i])
                self.assertEqual(len(docs[tid]), 2)

        graph = c.cli_json("get-service-graph", *self.window())["Services"]
        by = {(s["Name"], s.get("Type")): s for s in graph}
        self.assertEqual(set(by), {("node-web", "client"), ("node-web", None),
                                   ("127.0.0.1", "remote")})
        web = by[("node-web", None)]
        self.assertTrue(web["Root"])
        st = web["SummaryStatistics"]
        self.assertEqual((st["TotalCount"], st["OkCount"], st["ErrorStatistics"]["TotalCount"],
                          st["FaultStatistics"]["TotalCount"]), (3, 1, 1, 1))
        (edge,) = web["Edges"]
        self.assertEqual(edge["ReferenceId"], by[("127.0.0.1", "remote")]["ReferenceId"])
        st = edge["SummaryStatistics"]
        self.assertEqual((st["TotalCount"], st["OkCount"], st["ErrorStatistics"]["TotalCount"],
                          st["FaultStatistics"]["TotalCount"]), (3, 1, 1, 1))
        self.assertEqual([e["ReferenceId"] for e in by[("node-web", "client")]["Edges"]],
                         [web["ReferenceId"]])

        # Stratus/Traces counts the two streamed calls as if nested, like the graph.
        edge = "ServiceName=node-web,DownstreamService=127.0.0.1"
        self.wait_for(lambda: self.stat(c, "RequestCount", edge) == 3, "the edge's RequestCount")
        self.assertEqual([self.stat(c, m, edge) for m in ("FaultCount", "ErrorCount")], [1, 1])
        self.assertEqual(self.stat(c, "RequestCount", "ServiceName=node-web"), 3)
        a = self.agents[-1]
        a.stop()
        self.assertIn("5 segments sent", a.log())


if __name__ == "__main__":
    unittest.main()
