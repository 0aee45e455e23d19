# SPDX-License-Identifier: MIT
"""End-to-end tests with the real AWS SDK for JavaScript v3 (@aws-sdk/client-cloudwatch,
client-xray and client-auto-scaling, installed by scripts/install-npm-deps): the CloudWatch client
as shipped (AWS JSON 1.0) and configured with the SDK's Smithy RPC v2 CBOR protocol, the X-Ray
client (REST-JSON) and the Auto Scaling client (Query), against a collector on a free port. tests/e2e/node/
aws_sdk.js prints what the SDK returned; the assertions are here."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest  # noqa: E402

NPM_DIR = os.environ.get("STRATUS_NPM_DIR", os.path.expanduser("~/.cache/stratus-npm"))
NODE_PATH = os.path.join(NPM_DIR, "node_modules")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "aws_sdk.js")
HAVE_SDK = shutil.which("node") and \
    os.path.isdir(os.path.join(NODE_PATH, "@aws-sdk", "client-cloudwatch"))


@unittest.skipUnless(HAVE_SDK, "needs node and scripts/install-npm-deps")
class AwsSdkTest(CollectorTest):
    def run_sdk(self, c, proto, t0, hook):
        env = dict(os.environ, NODE_PATH=NODE_PATH, NODE_NO_WARNINGS="1")
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        p = subprocess.run(["node", SCRIPT, c.endpoint, proto, str(t0), hook],
                           capture_output=True, text=True, timeout=120, env=env)
        if p.returncode != 0:
            raise AssertionError("aws_sdk.js %s -> %d\n%s" % (proto, p.returncode, p.stderr))
        return json.loads(p.stdout)

    def test_cloudwatch_metrics_over_json_and_cbor(self):
        c = self.start()
        t0 = int(time.time()) // 60 * 60 - 120
        hook = os.path.join(self.tmp, "apply-hook")
        log = hook + ".log"
        with open(hook, "w") as f:
            f.write('#!/bin/sh\ncat >/dev/null\necho "$1" >> "%s"\n' % log)
        os.chmod(hook, 0o755)
        for proto in ("json", "cbor"):
            with self.subTest(protocol=proto):
                r = self.run_sdk(c, proto, t0, hook)
                if proto == "json":
                    self.assertEqual(r["wire"]["types"], ["application/x-amz-json-1.0"])
                    self.assertIn("GraniteServiceVersion20100801.PutMetricData",
                                  r["wire"]["targets"])
                else:
                    self.assertEqual(r["wire"]["types"], ["application/cbor"])
                    self.assertIn("/service/GraniteServiceVersion20100801/operation/PutMetricData",
                                  r["wire"]["paths"])
                self.assertEqual(r["put"], 200)
                self.assertEqual(r["stats"]["Label"], "Lat")
                self.assertEqual(r["stats"]["Datapoints"], [
                    {"Timestamp": t0, "SampleCount": 3, "Sum": 37, "Maximum": 20,
                     "Unit": "Milliseconds"}])
                self.assertEqual(r["list"]["Metrics"], [
                    {"Namespace": "Sdk/" + proto, "MetricName": "Lat",
                     "Dimensions": [{"Name": "Host", "Value": "a"}]}])
                res = {x["Id"]: x for x in r["gmd"]["MetricDataResults"]}
                self.assertEqual((res["m"]["Timestamps"], res["m"]["Values"]), ([t0], [20]))
                self.assertEqual((res["e"]["Label"], res["e"]["Values"]), ("double", [40]))
                self.assertEqual(res["e"]["StatusCode"], "Complete")
                self.assertEqual(r["badPeriod"]["name"], "InvalidParameterValueException")
                self.assertEqual(r["badPeriod"]["status"], 400)
                self.assertIn("Period", r["badPeriod"]["message"])
                self.assertEqual(r["missing"]["name"], "MissingRequiredParameterException")
                self.assertEqual(r["missing"]["message"], "The parameter Namespace is required.")
                (a,) = r["alarms"]["MetricAlarms"]
                self.assertEqual((a["AlarmName"], a["StateValue"], a["StateReason"], a["Threshold"],
                                  a["Dimensions"]),
                                 ("sdk-" + proto, "ALARM", "sdk", 15,
                                  [{"Name": "Host", "Value": "a"}]))
                self.assertGreater(a["StateUpdatedTimestamp"], time.time() - 120)
                self.assertEqual([h["HistorySummary"] for h in r["history"]["AlarmHistoryItems"]],
                                 ["Alarm updated from INSUFFICIENT_DATA to ALARM"])
                (comp,) = r["composite"]["CompositeAlarms"]
                self.assertEqual((comp["AlarmName"], comp["StateValue"], comp["AlarmRule"],
                                  comp["AlarmDescription"]),
                                 ("sdk-%s-composite" % proto, "ALARM", 'ALARM("sdk-%s")' % proto,
                                  "composite over sdk-" + proto))
                self.assertEqual(r["composite"]["MetricAlarms"], [])
                self.assertEqual(r["afterDelete"]["MetricAlarms"], [])
                self.assertEqual(r["noAlarm"]["name"], "ResourceNotFound")
                self.assertEqual(r["noAlarm"]["status"], 404)
                if proto == "json":
                    self.assertEqual(r["xrayPut"]["UnprocessedTraceSegments"], [])
                    self.assertEqual([t["Id"] for t in r["xrayTraces"]["Traces"]], [r["xrayTid"]])
                    self.assertIn("sdk-web", [s_["Name"] for s_ in r["xrayGraph"]["Services"]])
                    (summ,) = r["xraySummaries"]["TraceSummaries"]
                    self.assertEqual((summ["Id"], summ["HasFault"], summ["Http"]["HttpStatus"]),
                                     (r["xrayTid"], False, 200))
                    self.assertAlmostEqual(summ["Duration"], 0.5, places=3)
                    self.assertEqual(r["xrayNone"]["TraceSummaries"], [])
                    self.assertEqual(r["xrayBadFilter"]["status"], 400)
                    self.assertEqual(r["xrayBadFilter"]["name"], "InvalidRequestException")

                    self.assertIn(":autoScalingGroupName/sdk-group:policyName/up",
                                  r["asPolicy"]["PolicyARN"])
                    (pol,) = r["asPolicies"]["ScalingPolicies"]
                    self.assertEqual((pol["PolicyName"], pol["ScalingAdjustment"],
                                      pol["PolicyType"]), ("up", 2, "SimpleScaling"))
                    self.assertEqual([a["Description"] for a in r["asActivities"]["Activities"]],
                                     ["Changing the desired capacity from 3 to 5",
                                      "Changing the desired capacity from 1 to 3",
                                      "Changing the desired capacity from 0 to 1"])
                    (grp,) = r["asGroups"]["AutoScalingGroups"]
                    self.assertEqual((grp["AutoScalingGroupName"], grp["MinSize"], grp["MaxSize"],
                                      grp["DesiredCapacity"]), ("sdk-group", 1, 5, 5))
                    self.assertEqual(r["asTooBig"]["name"], "ValidationError")
                    self.assertEqual(r["asTooBig"]["status"], 400)
                    self.assertEqual(r["asAfterDelete"]["AutoScalingGroups"], [])
                    with open(log) as f:
                        self.assertEqual([int(x) for x in f.read().split()][:3], [1, 3, 5])


if __name__ == "__main__":
    unittest.main()
