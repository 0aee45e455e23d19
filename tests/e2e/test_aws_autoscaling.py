# SPDX-License-Identifier: MIT
"""End-to-end tests of Auto Scaling over the Query protocol (Version=2011-01-01) with the real
aws CLIs: Debian's aws 2.x (/usr/bin/aws) and, when one is on PATH, the pip aws 1.x; both send
Auto Scaling over Query. Every verb the collector serves is run through each CLI against a
collector on a free port, with assertions on the CLI's parsed --output json, on the capacities
the group's apply hook (set by the stratus:apply-hook tag) receives, and on the error lines."""
import json
import os
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest  # noqa: E402
from test_aws_cli import CLIS, aws_env  # noqa: E402


def wait_for(what, pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


@unittest.skipUnless(CLIS, "needs Debian's awscli (scripts/install-deps)")
class AwsAutoScalingTest(CollectorTest):
    def aws(self, c, exe, *args, check=True):
        p = subprocess.run([exe, "--endpoint-url", c.endpoint, "--output", "json",
                            "autoscaling"] + [str(a) for a in args], capture_output=True,
                           text=True, timeout=60, env=aws_env())
        if check and p.returncode != 0:
            raise AssertionError("%s %s -> %d\n%s\n%s" % (exe, " ".join(map(str, args)),
                                                          p.returncode, p.stdout, p.stderr))
        return p

    def aws_json(self, c, exe, *args):
        out = self.aws(c, exe, *args).stdout
        return json.loads(out) if out.strip() else {}

    def fails(self, c, exe, code, op, *args):
        p = self.aws(c, exe, *args, check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("An error occurred (%s) when calling the %s operation: " % (code, op),
                      p.stderr)
        return p.stderr

    def hook(self, name):
        """An apply hook that appends each capacity it gets to a log."""
        path = os.path.join(self.tmp, name)
        log = path + ".log"
        with open(path, "w") as f:
            f.write('#!/bin/sh\ncat >/dev/null\necho "$1 $STRATUS_SCALING_GROUP" >> "%s"\n' % log)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path, log

    def applied(self, log):
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [int(line.split()[0]) for line in f]

    def group(self, c, exe, name):
        r = self.aws_json(c, exe, "describe-auto-scaling-groups", "--auto-scaling-group-names",
                          name)
        self.assertEqual(len(r["AutoScalingGroups"]), 1, r)
        return r["AutoScalingGroups"][0]

    def activities(self, c, exe, name):
        return self.aws_json(c, exe, "describe-scaling-activities", "--auto-scaling-group-name",
                             name)["Activities"]

    def settled(self, c, exe, name):
        wait_for("the activities of %s to end" % name, lambda: all(
            a["StatusCode"] == "Successful" for a in self.activities(c, exe, name)))

    def test_group_verbs_policies_and_activities(self):
        c = self.start()
        for label, exe in CLIS:
            with self.subTest(cli=label):
                g = "web-" + label
                hook, log = self.hook("hook-" + label)
                # Launch templates and subnets mean nothing to a Stratus group: ignored.
                self.aws(c, exe, "create-auto-scaling-group", "--auto-scaling-group-name", g,
                         "--min-size", 1, "--max-size", 6, "--desired-capacity", 2,
                         "--default-cooldown", 0,
                         "--launch-template", "LaunchTemplateName=web-template",
                         "--vpc-zone-identifier", "subnet-1,subnet-2", "--tags",
                         json.dumps([{"Key": "stratus:apply-hook", "Value": "exec:" + hook},
                                     {"Key": "team", "Value": "web",
                                      "PropagateAtLaunch": True}]))
                wait_for("capacity 2", lambda: self.applied(log) == [2])
                grp = self.group(c, exe, g)
                self.assertEqual((grp["MinSize"], grp["MaxSize"], grp["DesiredCapacity"],
                                  grp["DefaultCooldown"]), (1, 6, 2, 0))
                self.assertTrue(grp["AutoScalingGroupARN"].endswith(
                    ":autoScalingGroup:autoScalingGroupName/" + g), grp)
                self.assertEqual(grp["HealthCheckType"], "EC2")
                self.assertNotIn("LaunchTemplate", grp)
                tags = {t["Key"]: t for t in grp["Tags"]}
                self.assertEqual(tags["team"], {"ResourceId": g,
                                                "ResourceType": "auto-scaling-group",
                                                "Key": "team", "Value": "web",
                                                "PropagateAtLaunch": True})
                self.assertEqual(tags["stratus:apply-hook"]["Value"], "exec:" + hook)
                self.fails(c, exe, "AlreadyExists", "CreateAutoScalingGroup",
                           "create-auto-scaling-group", "--auto-scaling-group-name", g,
                           "--min-size", 1, "--max-size", 2)
                # A new MinSize above the capacity raises it, as EC2 does.
                self.aws(c, exe, "update-auto-scaling-group", "--auto-scaling-group-name", g,
                         "--min-size", 3)
                wait_for("capacity 3", lambda: self.applied(log) == [2, 3])
                self.assertEqual(self.group(c, exe, g)["DesiredCapacity"], 3)
                self.fails(c, exe, "ValidationError", "UpdateAutoScalingGroup",
                           "update-auto-scaling-group", "--auto-scaling-group-name", "nope",
                           "--max-size", 3)
                self.aws(c, exe, "set-desired-capacity", "--auto-scaling-group-name", g,
                         "--desired-capacity", 5)
                wait_for("capacity 5", lambda: self.applied(log) == [2, 3, 5])
                self.assertIn("outside the group's bounds", self.fails(
                    c, exe, "ValidationError", "SetDesiredCapacity", "set-desired-capacity",
                    "--auto-scaling-group-name", g, "--desired-capacity", 9))

                # Policies: simple and step, run by hand with ExecutePolicy.
                simple = self.aws_json(c, exe, "put-scaling-policy", "--auto-scaling-group-name",
                                       g, "--policy-name", "shrink", "--adjustment-type",
                                       "ChangeInCapacity", "--scaling-adjustment", -1,
                                       "--cooldown", 0)["PolicyARN"]
                self.assertIn(":autoScalingGroupName/%s:policyName/shrink" % g, simple)
                self.aws(c, exe, "put-scaling-policy", "--auto-scaling-group-name", g,
                         "--policy-name", "grow", "--policy-type", "StepScaling",
                         "--adjustment-type", "ChangeInCapacity", "--step-adjustments",
                         "MetricIntervalLowerBound=0,MetricIntervalUpperBound=10,"
                         "ScalingAdjustment=1", "MetricIntervalLowerBound=10,ScalingAdjustment=3")
                pols = self.aws_json(c, exe, "describe-policies", "--auto-scaling-group-name",
                                     g)["ScalingPolicies"]
                by_name = {p["PolicyName"]: p for p in pols}
                self.assertEqual(sorted(by_name), ["grow", "shrink"])
                self.assertEqual(by_name["shrink"]["PolicyType"], "SimpleScaling")
                self.assertEqual(by_name["shrink"]["PolicyARN"], simple)
                self.assertEqual(by_name["shrink"]["ScalingAdjustment"], -1)
                self.assertEqual(by_name["grow"]["PolicyType"], "StepScaling")
                self.assertEqual([s["ScalingAdjustment"] for s in
                                  by_name["grow"]["StepAdjustments"]], [1, 3])
                only = self.aws_json(c, exe, "describe-policies", "--policy-types",
                                     "StepScaling", "--auto-scaling-group-name", g)
                self.assertEqual([p["PolicyName"] for p in only["ScalingPolicies"]], ["grow"])

                self.settled(c, exe, g)
                self.aws(c, exe, "execute-policy", "--policy-name", simple)
                wait_for("capacity 4", lambda: self.applied(log)[-1:] == [4])
                self.settled(c, exe, g)
                # 2 above the breach threshold: the first step, +1.
                self.aws(c, exe, "execute-policy", "--auto-scaling-group-name", g,
                         "--policy-name", "grow", "--metric-value", 52, "--breach-threshold", 50)
                wait_for("capacity 5", lambda: self.applied(log)[-1:] == [5])
                # 30 above: +3, clamped to the max of 6.
                self.aws(c, exe, "execute-policy", "--auto-scaling-group-name", g,
                         "--policy-name", "grow", "--metric-value", 80, "--breach-threshold", 50)
                wait_for("capacity 6", lambda: self.applied(log)[-1:] == [6])
                self.assertEqual(self.applied(log), [2, 3, 5, 4, 5, 6])
                self.assertIn("MetricValue and BreachThreshold are required", self.fails(
                    c, exe, "ValidationError", "ExecutePolicy", "execute-policy",
                    "--auto-scaling-group-name", g, "--policy-name", "grow"))
                self.fails(c, exe, "ValidationError", "ExecutePolicy", "execute-policy",
                           "--auto-scaling-group-name", g, "--policy-name", "missing")

                self.settled(c, exe, g)
                acts = self.activities(c, exe, g)
                self.assertEqual([a["Description"] for a in acts], [
                    "Changing the desired capacity from %d to %d" % (a, b) for a, b in
                    [(5, 6), (4, 5), (5, 4), (3, 5), (2, 3), (0, 2)]])
                self.assertIn("a user request executed policy grow", acts[0]["Cause"])
                self.assertIn("a user request explicitly set group desired capacity",
                              acts[3]["Cause"])
                self.assertIn("a user request updated the group", acts[4]["Cause"])
                self.assertIn("a user request created the group", acts[5]["Cause"])
                self.assertTrue(all(a["AutoScalingGroupName"] == g and a["Progress"] == 100
                                    for a in acts), acts)
                two = self.aws_json(c, exe, "describe-scaling-activities",
                                    "--auto-scaling-group-name", g, "--max-items", 2)
                self.assertEqual([a["ActivityId"] for a in two["Activities"]],
                                 [a["ActivityId"] for a in acts[:2]])
                # Pages of 1 and 4 (MaxRecords) joined by the CLI's paginator over NextToken.
                for size in (1, 4):
                    paged = self.aws_json(c, exe, "describe-scaling-activities",
                                          "--auto-scaling-group-name", g, "--page-size", size)
                    self.assertEqual([a["ActivityId"] for a in paged["Activities"]],
                                     [a["ActivityId"] for a in acts])
                    pols = self.aws_json(c, exe, "describe-policies", "--auto-scaling-group-name",
                                         g, "--page-size", 1)["ScalingPolicies"]
                    self.assertEqual([p["PolicyName"] for p in pols], ["grow", "shrink"])
                one = self.aws_json(c, exe, "describe-scaling-activities", "--activity-ids",
                                    acts[2]["ActivityId"], acts[4]["ActivityId"])
                self.assertEqual([a["ActivityId"] for a in one["Activities"]],
                                 [acts[2]["ActivityId"], acts[4]["ActivityId"]])
                self.fails(c, exe, "InvalidNextToken", "DescribeScalingActivities",
                           "describe-scaling-activities", "--auto-scaling-group-name", g,
                           "--next-token", "x", "--no-paginate")

                self.aws(c, exe, "delete-policy", "--auto-scaling-group-name", g,
                         "--policy-name", "shrink")
                pols = self.aws_json(c, exe, "describe-policies", "--auto-scaling-group-name",
                                     g)["ScalingPolicies"]
                self.assertEqual([p["PolicyName"] for p in pols], ["grow"])
                self.fails(c, exe, "ValidationError", "DeletePolicy", "delete-policy",
                           "--auto-scaling-group-name", g, "--policy-name", "shrink")

                # A group with workers is not deleted unless forced or scaled to 0 first.
                self.assertIn("ForceDelete", self.fails(
                    c, exe, "ResourceInUse", "DeleteAutoScalingGroup",
                    "delete-auto-scaling-group", "--auto-scaling-group-name", g))
                self.aws(c, exe, "update-auto-scaling-group", "--auto-scaling-group-name", g,
                         "--min-size", 0, "--desired-capacity", 0)
                wait_for("capacity 0", lambda: self.applied(log)[-1:] == [0])
                self.settled(c, exe, g)
                self.aws(c, exe, "delete-auto-scaling-group", "--auto-scaling-group-name", g)
                r = self.aws_json(c, exe, "describe-auto-scaling-groups",
                                  "--auto-scaling-group-names", g)
                self.assertEqual(r["AutoScalingGroups"], [])
                self.assertEqual(self.aws_json(c, exe, "describe-policies",
                                               "--auto-scaling-group-name", g)["ScalingPolicies"],
                                 [])
                self.fails(c, exe, "ValidationError", "DeleteAutoScalingGroup",
                           "delete-auto-scaling-group", "--auto-scaling-group-name", g)
        # The deletions are durable.
        c.kill9()
        c.start(port=0)
        for label, exe in CLIS:
            r = self.aws_json(c, exe, "describe-auto-scaling-groups")
            self.assertEqual(r["AutoScalingGroups"], [])
            self.assertEqual(self.aws_json(c, exe, "describe-policies")["ScalingPolicies"], [])

    def test_describe_paging_force_delete_and_managed_alarms(self):
        c = self.start()
        for label, exe in CLIS:
            with self.subTest(cli=label):
                names = ["%s-%d" % (label, i) for i in (3, 1, 2)]
                for n in names:
                    self.aws(c, exe, "create-auto-scaling-group", "--auto-scaling-group-name", n,
                             "--min-size", 0, "--max-size", 2)
                # The CLI follows NextToken page by page (MaxRecords 1).
                r = self.aws_json(c, exe, "describe-auto-scaling-groups", "--page-size", 1)
                got = [g["AutoScalingGroupName"] for g in r["AutoScalingGroups"]
                       if g["AutoScalingGroupName"].startswith(label)]
                self.assertEqual(got, sorted(names))
                first = self.aws_json(c, exe, "describe-auto-scaling-groups", "--no-paginate",
                                      "--max-records", 2, "--auto-scaling-group-names", *names)
                self.assertEqual([g["AutoScalingGroupName"] for g in
                                  first["AutoScalingGroups"]], sorted(names)[:2])
                rest = self.aws_json(c, exe, "describe-auto-scaling-groups", "--no-paginate",
                                     "--max-records", 2, "--auto-scaling-group-names", *names,
                                     "--next-token", first["NextToken"])
                self.assertEqual([g["AutoScalingGroupName"] for g in rest["AutoScalingGroups"]],
                                 sorted(names)[2:])
                self.assertNotIn("NextToken", rest)
                self.fails(c, exe, "ValidationError", "DescribeAutoScalingGroups",
                           "describe-auto-scaling-groups", "--no-paginate", "--max-records", 101)

                # A target tracking policy's alarms go with the policy, and with the group.
                g = names[0]
                self.aws(c, exe, "set-desired-capacity", "--auto-scaling-group-name", g,
                         "--desired-capacity", 1)
                conf = {"TargetValue": 50.0, "CustomizedMetricSpecification": {
                    "MetricName": "Load", "Namespace": "Asg", "Statistic": "Average"}}
                out = self.aws_json(c, exe, "put-scaling-policy", "--auto-scaling-group-name", g,
                                    "--policy-name", "tt", "--policy-type",
                                    "TargetTrackingScaling", "--target-tracking-configuration",
                                    json.dumps(conf))
                alarms = sorted(a["AlarmName"] for a in out["Alarms"])
                self.assertEqual(alarms, ["TargetTracking-%s-AlarmHigh-tt" % g,
                                          "TargetTracking-%s-AlarmLow-tt" % g])
                self.assertIn("not supported for a TargetTrackingScaling policy", self.fails(
                    c, exe, "ValidationError", "ExecutePolicy", "execute-policy",
                    "--policy-name", out["PolicyARN"]))
                p = subprocess.run([exe, "--endpoint-url", c.endpoint, "--output", "json",
                                    "cloudwatch", "describe-alarms", "--alarm-names"] + alarms,
                                   capture_output=True, text=True, env=aws_env(), check=True)
                self.assertEqual(len(json.loads(p.stdout)["MetricAlarms"]), 2)
                self.settled(c, exe, g)
                self.aws(c, exe, "delete-auto-scaling-group", "--auto-scaling-group-name", g,
                         "--force-delete")
                p = subprocess.run([exe, "--endpoint-url", c.endpoint, "--output", "json",
                                    "cloudwatch", "describe-alarms", "--alarm-names"] + alarms,
                                   capture_output=True, text=True, env=aws_env(), check=True)
                self.assertEqual(json.loads(p.stdout)["MetricAlarms"], [])
                self.assertEqual(self.aws_json(c, exe, "describe-policies")["ScalingPolicies"],
                                 [])

    def test_bad_requests(self):
        c = self.start()
        for label, exe in CLIS:
            with self.subTest(cli=label):
                self.assertIn("exec:/absolute/path", self.fails(
                    c, exe, "ValidationError", "CreateAutoScalingGroup",
                    "create-auto-scaling-group", "--auto-scaling-group-name", "x", "--min-size",
                    0, "--max-size", 1, "--tags", "Key=stratus:apply-hook,Value=/bin/true"))
                self.fails(c, exe, "ValidationError", "CreateAutoScalingGroup",
                           "create-auto-scaling-group", "--auto-scaling-group-name", "x",
                           "--min-size", 3, "--max-size", 1)
                self.fails(c, exe, "ValidationError", "CreateAutoScalingGroup",
                           "create-auto-scaling-group", "--auto-scaling-group-name", "a/b",
                           "--min-size", 0, "--max-size", 1)
                self.assertIn("AutoScalingGroupName is required", self.fails(
                    c, exe, "ValidationError", "DeletePolicy", "delete-policy",
                    "--policy-name", "p"))
                self.fails(c, exe, "ValidationError", "DescribeScalingActivities",
                           "describe-scaling-activities", "--auto-scaling-group-name", "none")
                r = self.aws_json(c, exe, "describe-auto-scaling-groups")
                self.assertEqual(r["AutoScalingGroups"], [])
                # An Auto Scaling verb Stratus does not serve.
                self.fails(c, exe, "InvalidAction", "DescribeLaunchConfigurations",
                           "describe-launch-configurations")


if __name__ == "__main__":
    unittest.main()
