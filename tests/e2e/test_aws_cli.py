# SPDX-License-Identifier: MIT
"""End-to-end tests of the AWS protocol front ends with the real aws CLIs: Debian's aws 2.x
(/usr/bin/aws, CloudWatch over the Query protocol) and, when one is on PATH, the pip aws 1.x
(CloudWatch over JSON 1.0), with dummy credentials and --endpoint-url pointing at a collector on
a free port. Assertions are on the CLIs' parsed --output json and on their error lines."""
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest, iso  # noqa: E402

DEBIAN_AWS = "/usr/bin/aws"


def pip_aws():
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "aws")
        if d and os.path.isfile(p) and os.access(p, os.X_OK) and \
                os.path.realpath(p) != os.path.realpath(DEBIAN_AWS) and \
                not p.startswith(("/usr/bin", "/bin")):
            # pyenv shims exist even when the current version lacks the command
            if subprocess.run([p, "--version"], capture_output=True).returncode == 0:
                return p
    return None


CLIS = [("debian", DEBIAN_AWS)] if os.access(DEBIAN_AWS, os.X_OK) else []
if pip_aws():
    CLIS.append(("pip", pip_aws()))


def aws_env(key="test", secret="test"):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="",
               AWS_EC2_METADATA_DISABLED="true",)
    return env


def ts(v):
    """Epoch seconds of a timestamp as a CLI prints it: the aws CLI 2 prints ISO 8601, the aws
    CLI 1 prints what the server sent (epoch seconds over JSON 1.0, ISO 8601 over Query)."""
    if isinstance(v, (int, float)):
        return v
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def minute(offset_min=0):
    return int(time.time()) // 60 * 60 + 60 * offset_min


@unittest.skipUnless(CLIS, "needs Debian's awscli (scripts/install-deps)")
class AwsCliTest(CollectorTest):
    def aws(self, c, exe, *args, check=True, env=None):
        p = subprocess.run([exe, "--endpoint-url", c.endpoint, "--output", "json"] +
                           [str(a) for a in args], capture_output=True, text=True, timeout=60,
                           env=env or aws_env())
        if check and p.returncode != 0:
            raise AssertionError("%s %s -> %d\n%s\n%s" % (exe, " ".join(map(str, args)),
                                                          p.returncode, p.stdout, p.stderr))
        return p

    def aws_json(self, c, exe, *args):
        out = self.aws(c, exe, *args).stdout
        return json.loads(out) if out.strip() else {}

    def test_put_get_list_metrics(self):
        c = self.start()
        t = minute(-5)
        for label, exe in CLIS:
            with self.subTest(cli=label):
                ns = "Aws/" + label
                self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", ns,
                         "--metric-name", "Lat", "--dimensions", "Host=a,Api=get", "--value", 7,
                         "--unit", "Milliseconds", "--timestamp", iso(t + 1))
                data = [{"MetricName": "Lat", "Dimensions": [{"Name": "Host", "Value": "a"},
                                                            {"Name": "Api", "Value": "get"}],
                         "Timestamp": iso(t + 2), "Unit": "Milliseconds",
                         "StatisticValues": {"SampleCount": 2, "Sum": 30, "Minimum": 10,
                                             "Maximum": 20}},
                        {"MetricName": "Lat", "Dimensions": [{"Name": "Host", "Value": "a"},
                                                            {"Name": "Api", "Value": "get"}],
                         "Timestamp": iso(t + 3), "Unit": "Milliseconds",
                         "Values": [1.5, 3], "Counts": [2, 1]}]
                self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", ns,
                         "--metric-data", json.dumps(data))
                r = self.aws_json(c, exe, "cloudwatch", "get-metric-statistics", "--namespace",
                                  ns, "--metric-name", "Lat", "--dimensions",
                                  "Name=Host,Value=a", "Name=Api,Value=get", "--start-time",
                                  iso(t - 60), "--end-time", iso(t + 120), "--period", 60,
                                  "--statistics", "Sum", "SampleCount", "Minimum", "Maximum",
                                  "Average")
                self.assertEqual(r["Label"], "Lat")
                self.assertEqual(len(r["Datapoints"]), 1, r)
                p = r["Datapoints"][0]
                self.assertEqual(p["Sum"], 7 + 30 + 1.5 * 2 + 3)
                self.assertEqual(p["SampleCount"], 6)
                self.assertEqual(p["Minimum"], 1.5)
                self.assertEqual(p["Maximum"], 20)
                self.assertAlmostEqual(p["Average"], 43 / 6)
                self.assertEqual(p["Unit"], "Milliseconds")
                self.assertEqual(ts(p["Timestamp"]), t // 60 * 60)
                r = self.aws_json(c, exe, "cloudwatch", "get-metric-statistics", "--namespace",
                                  ns, "--metric-name", "Lat", "--dimensions",
                                  "Name=Host,Value=a", "Name=Api,Value=get", "--start-time",
                                  iso(t - 60), "--end-time", iso(t + 120), "--period", 60,
                                  "--extended-statistics", "p100")
                # the StatisticSet does not feed percentiles (SampleCount 2, Min != Max)
                self.assertAlmostEqual(r["Datapoints"][0]["ExtendedStatistics"]["p100"], 7,
                                       delta=0.07)
                r = self.aws_json(c, exe, "cloudwatch", "list-metrics", "--namespace", ns)
                self.assertEqual(len(r["Metrics"]), 1)
                m = r["Metrics"][0]
                self.assertEqual((m["Namespace"], m["MetricName"]), (ns, "Lat"))
                self.assertEqual(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]),
                                 [("Api", "get"), ("Host", "a")])
                r = self.aws_json(c, exe, "cloudwatch", "list-metrics", "--namespace", ns,
                                  "--dimensions", "Name=Host,Value=b")
                self.assertEqual(r["Metrics"], [])

    def test_get_metric_data_with_metric_math(self):
        c = self.start()
        t = minute(-6)
        for label, exe in CLIS:
            with self.subTest(cli=label):
                ns = "Gmd/" + label
                data = []
                for i in range(4):
                    data.append({"MetricName": "A", "Value": i + 1, "Timestamp": iso(t + 60 * i + 1)})
                    data.append({"MetricName": "B", "Value": 10 * i, "Timestamp": iso(t + 60 * i + 2)})
                self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", ns,
                         "--metric-data", json.dumps(data))

                def stat(m):
                    return {"Metric": {"Namespace": ns, "MetricName": m}, "Period": 60,
                            "Stat": "Sum"}
                queries = [{"Id": "a", "MetricStat": stat("A")},
                           {"Id": "b", "MetricStat": stat("B"), "ReturnData": False},
                           {"Id": "e", "Expression": "a * 2 + b", "Label": "twice"},
                           {"Id": "s", "Expression": "SUM(METRICS())"},
                           {"Id": "mx", "Expression": "MAX(METRICS()) - MIN(METRICS())"},
                           {"Id": "av", "Expression": "AVG(a)"},
                           {"Id": "r", "Expression": "RATE(b)"},
                           {"Id": "f", "Expression": "FILL(a, 0)"},
                           {"Id": "i", "Expression": "IF(a > 2 AND b != 30, a, 0)"}]
                r = self.aws_json(c, exe, "cloudwatch", "get-metric-data",
                                  "--metric-data-queries", json.dumps(queries),
                                  "--start-time", iso(t - 60), "--end-time", iso(t + 300),
                                  "--scan-by", "TimestampAscending")
                res = {x["Id"]: x for x in r["MetricDataResults"]}
                self.assertEqual(sorted(res), ["a", "av", "e", "f", "i", "mx", "r", "s"])
                for x in res.values():
                    self.assertEqual(x["StatusCode"], "Complete")
                self.assertEqual([ts(v) for v in res["a"]["Timestamps"]],
                                 [t + 60 * i for i in range(4)])
                self.assertEqual(res["a"]["Label"], "A")
                self.assertEqual(res["a"]["Values"], [1, 2, 3, 4])
                self.assertEqual(res["e"]["Label"], "twice")
                self.assertEqual(res["e"]["Values"], [2, 14, 26, 38])
                self.assertEqual(res["s"]["Values"], [1, 12, 23, 34])
                self.assertEqual(res["mx"]["Values"], [1, 8, 17, 26])
                self.assertEqual(res["av"]["Values"], [2.5] * 6)  # a scalar over the range
                self.assertEqual([round(v, 9) for v in res["r"]["Values"]], [round(1 / 6, 9)] * 3)
                self.assertEqual(res["f"]["Values"], [0, 1, 2, 3, 4, 0])
                self.assertEqual(res["i"]["Values"], [0, 0, 3, 0])  # a = 1 2 3 4, b = 0 10 20 30
                r = self.aws_json(c, exe, "cloudwatch", "get-metric-data",
                                  "--metric-data-queries", json.dumps(queries[:1]),
                                  "--start-time", iso(t - 60), "--end-time", iso(t + 300))
                self.assertEqual(r["MetricDataResults"][0]["Values"], [4, 3, 2, 1])  # newest first
                r = self.aws_json(c, exe, "cloudwatch", "get-metric-data",
                                  "--metric-data-queries", json.dumps(queries[:1]),
                                  "--start-time", iso(t - 3600), "--end-time", iso(t - 1800))
                (empty,) = r["MetricDataResults"]
                self.assertEqual((empty["Timestamps"], empty["Values"], empty["StatusCode"]),
                                 ([], [], "Complete"))
                p = self.aws(c, exe, "cloudwatch", "get-metric-data", "--metric-data-queries",
                             json.dumps([{"Id": "x", "Expression": "a +"}]), "--start-time",
                             iso(t - 60), "--end-time", iso(t + 300), check=False)
                self.assertIn("An error occurred (InvalidParameterValue) when calling the "
                              "GetMetricData operation: Error in expression", p.stderr)

    def test_get_metric_data_pages_with_next_token(self):
        c = self.start()
        t = minute(-12)
        for label, exe in CLIS:
            with self.subTest(cli=label):
                ns = "Page/" + label
                data = [{"MetricName": "A", "Value": i + 1, "Timestamp": iso(t + 60 * i + 1)}
                        for i in range(10)]
                self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", ns,
                         "--metric-data", json.dumps(data))
                queries = json.dumps([
                    {"Id": "a", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "A"},
                                               "Period": 60, "Stat": "Sum"}},
                    {"Id": "none", "MetricStat": {"Metric": {"Namespace": ns,
                                                             "MetricName": "Nothing"},
                                                  "Period": 60, "Stat": "Sum"}},
                    {"Id": "e", "Expression": "a * 10"}])
                base = ["cloudwatch", "get-metric-data", "--metric-data-queries", queries,
                        "--start-time", iso(t - 60), "--end-time", iso(t + 660),
                        "--scan-by", "TimestampAscending"]
                # Page by page: 7 points a reply, in query order, then the token.
                pages, token = [], None
                while True:
                    r = self.aws_json(c, exe, *(base + ["--no-paginate", "--max-datapoints", 7] +
                                                (["--next-token", token] if token else [])))
                    pages.append(r["MetricDataResults"])
                    token = r.get("NextToken")
                    if not token:
                        break
                    self.assertLess(len(pages), 5)
                self.assertEqual([[(x["Id"], x["StatusCode"], len(x.get("Values", []))) for x in p]
                                  for p in pages],
                                 [[("a", "PartialData", 7), ("none", "Complete", 0)],
                                  [("a", "Complete", 3), ("e", "PartialData", 4)],
                                  [("e", "Complete", 6)]])
                got = {}
                for p in pages:
                    for x in p:
                        got.setdefault(x["Id"], []).extend(x.get("Values", []))
                        self.assertEqual(len(x.get("Timestamps", [])), len(x.get("Values", [])))
                self.assertEqual(got["a"], [i + 1 for i in range(10)])
                self.assertEqual(got["e"], [10 * (i + 1) for i in range(10)])
                # The CLI's own paginator (MaxDatapoints is its page size) follows NextToken
                # and joins the pages.
                r = self.aws_json(c, exe, *(base + ["--page-size", 7]))
                self.assertNotIn("NextToken", r)
                joined = {}
                for x in r["MetricDataResults"]:
                    joined.setdefault(x["Id"], []).extend(x.get("Values", []))
                self.assertEqual(joined, got)
                # A token of another request, or not ours.
                first = self.aws_json(c, exe, *(base + ["--no-paginate", "--max-datapoints", 7]))
                other = base[:]
                other[other.index("--end-time") + 1] = iso(t + 600)
                for tok in (first["NextToken"], "nonsense"):
                    p = self.aws(c, exe, *(other + ["--no-paginate", "--next-token", tok]),
                                 check=False)
                    self.assertIn("An error occurred (InvalidNextToken) when calling the "
                                  "GetMetricData operation: ", p.stderr)

    def test_errors_print_the_usual_line(self):
        c = self.start()
        for label, exe in CLIS:
            with self.subTest(cli=label):
                p = self.aws(c, exe, "cloudwatch", "get-metric-statistics", "--namespace", "E",
                             "--metric-name", "M", "--start-time", iso(minute(-5)),
                             "--end-time", iso(minute()), "--period", 7, "--statistics",
                             "Sum", check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("An error occurred (InvalidParameterValue) when calling the "
                              "GetMetricStatistics operation: ", p.stderr)
                self.assertIn("period", p.stderr.lower())
                p = self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2",
                             "--metric-name", "M", "--value", 1, check=False)
                self.assertIn("An error occurred (InvalidParameterValue) when calling the "
                              "PutMetricData operation: ", p.stderr)
                p = self.aws(c, exe, "cloudwatch", "get-metric-statistics", "--namespace", "E",
                             "--metric-name", "M", "--start-time", iso(minute(-5)),
                             "--end-time", iso(minute()), "--period", 60, check=False)
                self.assertIn("An error occurred (InvalidParameterCombination) when calling the "
                              "GetMetricStatistics operation: ", p.stderr)

    def test_alarms(self):
        c = self.start()
        for label, exe in CLIS:
            with self.subTest(cli=label):
                a, comp = "cpu-" + label, "comp-" + label
                self.aws(c, exe, "cloudwatch", "put-metric-alarm", "--alarm-name", a,
                         "--namespace", "N", "--metric-name", "CPU", "--statistic", "Average",
                         "--period", 60, "--evaluation-periods", 2, "--datapoints-to-alarm", 1,
                         "--threshold", 80, "--comparison-operator",
                         "GreaterThanOrEqualToThreshold", "--dimensions", "Name=Host,Value=a",
                         "--ok-actions", "exec:/bin/true", "--treat-missing-data",
                         "notBreaching")
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarms", "--alarm-names", a)
                self.assertEqual(r["CompositeAlarms"], [])
                (m,) = r["MetricAlarms"]
                self.assertEqual((m["AlarmName"], m["Namespace"], m["MetricName"], m["Statistic"],
                                  m["Period"], m["EvaluationPeriods"], m["DatapointsToAlarm"],
                                  m["Threshold"], m["ComparisonOperator"],
                                  m["TreatMissingData"]),
                                 (a, "N", "CPU", "Average", 60, 2, 1, 80.0,
                                  "GreaterThanOrEqualToThreshold", "notBreaching"))
                self.assertEqual(m["OKActions"], ["exec:/bin/true"])
                # Lists AWS prints even when empty.
                self.assertEqual((m["AlarmActions"], m["InsufficientDataActions"]), ([], []))
                self.assertEqual(m["Dimensions"], [{"Name": "Host", "Value": "a"}])
                self.assertEqual(m["StateValue"], "INSUFFICIENT_DATA")
                self.assertGreater(ts(m["StateUpdatedTimestamp"]), time.time() - 120)
                self.aws(c, exe, "cloudwatch", "set-alarm-state", "--alarm-name", a,
                         "--state-value", "ALARM", "--state-reason", "by hand")
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarms", "--alarm-names", a,
                                  "--state-value", "ALARM")
                self.assertEqual([x["StateReason"] for x in r["MetricAlarms"]], ["by hand"])
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarm-history", "--alarm-name",
                                  a, "--history-item-type", "StateUpdate")
                self.assertEqual([h["HistorySummary"] for h in r["AlarmHistoryItems"]],
                                 ["Alarm updated from INSUFFICIENT_DATA to ALARM"])
                self.aws(c, exe, "cloudwatch", "put-composite-alarm", "--alarm-name", comp,
                         "--alarm-rule", 'ALARM("%s")' % a)
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarms", "--alarm-names", comp,
                                  "--alarm-types", "CompositeAlarm")
                self.assertEqual([(x["AlarmName"], x["AlarmRule"]) for x in r["CompositeAlarms"]],
                                 [(comp, 'ALARM("%s")' % a)])
                self.aws(c, exe, "cloudwatch", "disable-alarm-actions", "--alarm-names", a)
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarms", "--alarm-names", a)
                self.assertFalse(r["MetricAlarms"][0]["ActionsEnabled"])
                self.aws(c, exe, "cloudwatch", "delete-alarms", "--alarm-names", comp, a)
                r = self.aws_json(c, exe, "cloudwatch", "describe-alarms", "--alarm-names", a,
                                  comp)
                self.assertEqual((r["MetricAlarms"], r["CompositeAlarms"]), ([], []))
                p = self.aws(c, exe, "cloudwatch", "set-alarm-state", "--alarm-name", a,
                             "--state-value", "OK", "--state-reason", "x", check=False)
                self.assertIn("An error occurred (ResourceNotFound) when calling the "
                              "SetAlarmState operation: ", p.stderr)

    def test_xray(self):
        c = self.start()
        for n, (label, exe) in enumerate(CLIS):
            with self.subTest(cli=label):
                now = int(time.time())
                tid = "1-%08x-%024x" % (now, 0xabc0 + n)
                seg = {"name": "web-" + label, "id": "%016x" % (0x1230 + n), "trace_id": tid,
                       "start_time": now - 0.5, "end_time": now - 0.2,
                       "http": {"request": {"method": "GET", "url": "http://x/a"},
                                "response": {"status": 500}}, "fault": True,
                       "annotations": {"k": "v"}}
                r = self.aws_json(c, exe, "xray", "put-trace-segments",
                                  "--trace-segment-documents", json.dumps(seg), "{not json")
                self.assertEqual(len(r["UnprocessedTraceSegments"]), 1, r)
                self.assertTrue(r["UnprocessedTraceSegments"][0]["ErrorCode"])
                span = ["--start-time", now - 300, "--end-time", now + 60]
                deadline = time.time() + 10
                while True:  # segments are indexed asynchronously
                    g = self.aws_json(c, exe, "xray", "get-service-graph", *span)
                    if any(s["Name"] == seg["name"] for s in g["Services"]) or \
                            time.time() > deadline:
                        break
                    time.sleep(0.2)
                (svc,) = [s for s in g["Services"] if s["Name"] == seg["name"] and
                          s.get("Root")]
                (client,) = [s for s in g["Services"] if s.get("Type") == "client" and
                             s["Name"] == seg["name"]]
                self.assertEqual([e["ReferenceId"] for e in client["Edges"]],
                                 [svc["ReferenceId"]])
                self.assertTrue(svc["Root"])
                self.assertEqual(svc["SummaryStatistics"]["FaultStatistics"]["TotalCount"], 1)
                r = self.aws_json(c, exe, "xray", "get-trace-summaries", *span)
                (ts_,) = [t for t in r["TraceSummaries"] if t["Id"] == tid]
                self.assertTrue(ts_["HasFault"])
                self.assertAlmostEqual(ts_["Duration"], 0.3, places=3)
                self.assertEqual(ts_["Http"]["HttpURL"], "http://x/a")
                self.assertEqual(ts_["Http"]["HttpStatus"], 500)
                self.assertEqual(ts_["Annotations"]["k"][0]["AnnotationValue"]["StringValue"], "v")
                r = self.aws_json(c, exe, "xray", "batch-get-traces", "--trace-ids", tid,
                                  "1-00000000-000000000000000000000000")
                self.assertEqual([t["Id"] for t in r["Traces"]], [tid])
                self.assertEqual(json.loads(r["Traces"][0]["Segments"][0]["Document"])["name"],
                                 seg["name"])
                self.assertEqual(r["UnprocessedTraceIds"], ["1-00000000-000000000000000000000000"])

    def test_dashboards(self):
        c = self.start()
        body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6,
                                        "height": 3, "properties": {"markdown": "hi"}}]})
        for label, exe in CLIS:
            with self.subTest(cli=label):
                name = "dash-" + label
                r = self.aws_json(c, exe, "cloudwatch", "put-dashboard", "--dashboard-name", name,
                                  "--dashboard-body", body)
                self.assertEqual(r, {"DashboardValidationMessages": []})
                r = self.aws_json(c, exe, "cloudwatch", "get-dashboard", "--dashboard-name", name)
                self.assertEqual(r["DashboardName"], name)
                self.assertEqual(json.loads(r["DashboardBody"]), json.loads(body))
                r = self.aws_json(c, exe, "cloudwatch", "list-dashboards")
                self.assertIn(name, [d["DashboardName"] for d in r["DashboardEntries"]])
                self.aws(c, exe, "cloudwatch", "delete-dashboards", "--dashboard-names", name)
                p = self.aws(c, exe, "cloudwatch", "get-dashboard", "--dashboard-name", name,
                             check=False)
                self.assertIn("An error occurred (ResourceNotFound) when calling the "
                              "GetDashboard operation: ", p.stderr)

    def test_signatures_verified_with_access_keys(self):
        cfg = os.path.join(self.tmp, "collector.json")
        with open(cfg, "w") as f:
            json.dump({"access_keys": [{"access_key_id": "AKIDSTRATUS",
                                        "secret_access_key": "s3cret/key+x"}]}, f)
        c = self.start("--config", cfg)
        good = aws_env("AKIDSTRATUS", "s3cret/key+x")
        for label, exe in CLIS:
            with self.subTest(cli=label):
                self.aws(c, exe, "cloudwatch", "put-metric-data", "--namespace", "Sig",
                         "--metric-name", label, "--value", 1, env=good)
                r = json.loads(self.aws(c, exe, "cloudwatch", "list-metrics", "--namespace",
                                        "Sig", env=good).stdout)
                self.assertIn(label, [m["MetricName"] for m in r["Metrics"]])
                p = self.aws(c, exe, "cloudwatch", "list-metrics", check=False,
                             env=aws_env("AKIDSTRATUS", "wrong"))
                self.assertIn("An error occurred (SignatureDoesNotMatch)", p.stderr)
                p = self.aws(c, exe, "cloudwatch", "list-metrics", check=False,
                             env=aws_env("AKIDOTHER", "s3cret/key+x"))
                self.assertIn("An error occurred (InvalidClientTokenId)", p.stderr)


if __name__ == "__main__":
    unittest.main()
