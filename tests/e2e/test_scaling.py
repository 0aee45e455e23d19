# SPDX-License-Identifier: MIT
"""End-to-end tests of alarm-driven autoscaling: scaling groups whose apply hook records every
capacity it is given, step, simple and target tracking policies driven by alarms on real
PutMetricData (10 s periods, the collector evaluating every second), bounds, cooldowns,
activities, and persistence across kill -9."""
import json
import os
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_alarms import NS, TICK, AlarmTest, wait_for  # noqa: E402


class ScalingTest(AlarmTest):
    def apply_hook(self):
        """A hook that appends "capacity env-capacity" for each run."""
        path = os.path.join(self.tmp, "set-capacity")
        log = os.path.join(self.tmp, "capacity.log")
        with open(path, "w") as f:
            f.write('#!/bin/sh\ncat >/dev/null\necho "$1 $STRATUS_DESIRED_CAPACITY '
                    '$STRATUS_SCALING_GROUP" >> "%s"\n' % log)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path, log

    def applied(self, log):
        if not os.path.exists(log):
            return []
        out = []
        with open(log) as f:
            for line in f:
                arg, env, group = line.split()
                self.assertEqual(arg, env)
                out.append(int(arg))
        return out

    def group(self, c, name):
        return c.cli_json("describe-scaling-groups", "--auto-scaling-group-names",
                          name)["AutoScalingGroups"][0]

    def activities(self, c, name):
        return c.cli_json("describe-scaling-activities", "--auto-scaling-group-name",
                          name)["Activities"]

    def wait_applied(self, log, want, timeout=30):
        wait_for("capacities %s" % want, lambda: self.applied(log) == want, timeout)

    def policy(self, c, *args):
        return c.cli_json("put-scaling-policy", *args)["PolicyARN"]


class TestScaling(ScalingTest):
    def test_step_policies_drive_a_group_2_4_2_within_bounds(self):
        c = self.start(*TICK)
        hook, log = self.apply_hook()
        c.cli("put-scaling-group", "--name", "web", "--min", 1, "--max", 5, "--desired", 2,
              "--apply-hook", "exec:" + hook)
        self.wait_applied(log, [2])
        out = self.policy(c, "--auto-scaling-group-name", "web", "--policy-name", "out",
                          "--policy-type", "StepScaling", "--adjustment-type",
                          "ChangeInCapacity", "--estimated-instance-warmup", 600,
                          "--step-adjustments",
                          "MetricIntervalLowerBound=0,MetricIntervalUpperBound=20,"
                          "ScalingAdjustment=1",
                          "MetricIntervalLowerBound=20,ScalingAdjustment=2")
        inn = self.policy(c, "--auto-scaling-group-name", "web", "--policy-name", "in",
                          "--policy-type", "StepScaling", "--adjustment-type",
                          "ChangeInCapacity", "--estimated-instance-warmup", 600,
                          "--step-adjustments", "MetricIntervalUpperBound=0,ScalingAdjustment=-2")
        self.assertIn(":autoScalingGroupName/web:policyName/out", out)
        self.put_alarm(c, "web-high", "--alarm-actions", out, n=1, m=1, threshold=50)
        self.put_alarm(c, "web-low", "--alarm-actions", inn, n=1, m=1, threshold=20,
                       op="LessThanThreshold")
        # Load 80: 30 above the high threshold, the second step: +2.
        self.put(c, 80, periods_back=(1,))
        self.wait_applied(log, [2, 4])
        # Still in ALARM for several evaluations: the warm-up keeps the same step from adding.
        time.sleep(3)
        self.assertEqual(self.group(c, "web")["DesiredCapacity"], 4)
        # Load 10: the high alarm clears, the low one fires: -2.
        self.put(c, 0, periods_back=(0, 1), count=1000)
        self.wait_applied(log, [2, 4, 2])
        time.sleep(2)
        self.assertEqual(self.applied(log), [2, 4, 2])
        acts = self.activities(c, "web")
        self.assertEqual([a["Description"] for a in acts], [
            "Changing the desired capacity from 4 to 2",
            "Changing the desired capacity from 2 to 4",
            "Changing the desired capacity from 0 to 2"])
        wait_for("activities to end", lambda: all(
            a["StatusCode"] == "Successful" for a in self.activities(c, "web")))
        self.assertIn("a monitor alarm web-low in state ALARM triggered policy in", acts[0]["Cause"])
        pols = c.cli_json("describe-policies", "--auto-scaling-group-name", "web")
        by_name = {p["PolicyName"]: p for p in pols["ScalingPolicies"]}
        self.assertEqual(by_name["out"]["Alarms"][0]["AlarmName"], "web-high")
        self.assertEqual(len(by_name["out"]["StepAdjustments"]), 2)

    def test_step_policy_aggregates_the_evaluated_datapoints(self):
        """MetricAggregationType picks the step from the alarm's evaluated datapoints (60, 95,
        60 against a threshold of 50): Average 71.7 is 21.7 above, Minimum 10, Maximum 45."""
        c = self.start(*TICK)
        hook, _ = self.apply_hook()
        self.put(c, 60, periods_back=(1, 3))
        self.put(c, 95, periods_back=(2,))
        want = {"Average": 3, "Minimum": 2, "Maximum": 4, None: 3}
        for agg in want:
            g = "g-%s" % (agg or "default")
            c.cli("put-scaling-group", "--name", g, "--min", 1, "--max", 5, "--desired", 1,
                  "--apply-hook", "exec:" + hook)
            args = ["--auto-scaling-group-name", g, "--policy-name", "out", "--policy-type",
                    "StepScaling", "--adjustment-type", "ExactCapacity", "--step-adjustments",
                    "MetricIntervalLowerBound=0,MetricIntervalUpperBound=20,ScalingAdjustment=2",
                    "MetricIntervalLowerBound=20,MetricIntervalUpperBound=40,ScalingAdjustment=3",
                    "MetricIntervalLowerBound=40,ScalingAdjustment=4"]
            if agg:
                args += ["--metric-aggregation-type", agg]
            arn = self.policy(c, *args)
            self.put_alarm(c, "a-%s" % g, "--alarm-actions", arn, n=3, m=3, threshold=50)
        for agg, capacity in want.items():
            g = "g-%s" % (agg or "default")
            wait_for("%s at %d" % (g, capacity),
                     lambda: self.group(c, g)["DesiredCapacity"] == capacity)
        time.sleep(2)  # re-invoked at each evaluation in ALARM: the step does not change
        for agg, capacity in want.items():
            g = "g-%s" % (agg or "default")
            self.assertEqual(self.group(c, g)["DesiredCapacity"], capacity, g)
            pol = c.cli_json("describe-policies", "--auto-scaling-group-name",
                             g)["ScalingPolicies"][0]
            self.assertEqual(pol.get("MetricAggregationType"), agg)
        # A type filter lets through a policy of any of its types.
        def policies(*types):
            return c.cli_json("describe-policies", "--policy-types", *types)["ScalingPolicies"]
        self.assertEqual(len(policies("SimpleScaling", "StepScaling")), 4)
        self.assertEqual(len(policies("StepScaling")), 4)
        self.assertEqual(policies("SimpleScaling"), [])

    def test_simple_policy_reinvoked_in_alarm_with_cooldown_and_clamp(self):
        c = self.start(*TICK)
        hook, log = self.apply_hook()
        c.cli("put-scaling-group", "--name", "pool", "--min", 1, "--max", 5, "--desired", 2,
              "--apply-hook", "exec:" + hook)
        arn = self.policy(c, "--auto-scaling-group-name", "pool", "--policy-name", "grow",
                          "--adjustment-type", "PercentChangeInCapacity", "--scaling-adjustment",
                          10, "--min-adjustment-magnitude", 2, "--cooldown", 1)
        # No data, treated as breaching: ALARM at once, and it stays there.
        self.put_alarm(c, "always", "--treat-missing-data", "breaching", "--alarm-actions", arn,
                       n=1, m=1)
        # 10 % of 2 is below 1: one instance, raised to the minimum magnitude of 2; then 4 -> 6
        # is clamped to the max of 5; then nothing changes.
        self.wait_applied(log, [2, 4, 5])
        time.sleep(3)
        self.assertEqual(self.applied(log), [2, 4, 5])
        self.assertEqual(self.group(c, "pool")["DesiredCapacity"], 5)
        p = c.cli("set-desired-capacity", "--auto-scaling-group-name", "pool",
                  "--desired-capacity", 9, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("(ValidationError)", p.stderr)
        c.cli("disable-alarm-actions", "--alarm-names", "always")
        c.cli("set-desired-capacity", "--auto-scaling-group-name", "pool", "--desired-capacity", 1)
        self.wait_applied(log, [2, 4, 5, 1])
        self.assertIn("a user request explicitly set group desired capacity",
                      self.activities(c, "pool")[0]["Cause"])

    def test_target_tracking_scales_out_fast_and_in_slowly(self):
        c = self.start(*TICK)
        hook, log = self.apply_hook()
        c.cli("put-scaling-group", "--name", "tt", "--min", 1, "--max", 10, "--desired", 2,
              "--apply-hook", "exec:" + hook)
        conf = {"TargetValue": 50.0, "CustomizedMetricSpecification": {
            "MetricName": "Load", "Namespace": NS, "Statistic": "Average", "Period": 10}}
        out = c.cli_json("put-scaling-policy", "--auto-scaling-group-name", "tt",
                         "--policy-name", "cpu50", "--policy-type", "TargetTrackingScaling",
                         "--estimated-instance-warmup", 600, "--cooldown", 1,
                         "--target-tracking-configuration", json.dumps(conf))
        names = sorted(a["AlarmName"] for a in out["Alarms"])
        self.assertEqual(names, ["TargetTracking-tt-AlarmHigh-cpu50",
                                 "TargetTracking-tt-AlarmLow-cpu50"])
        high = self.alarm(c, "TargetTracking-tt-AlarmHigh-cpu50")
        low = self.alarm(c, "TargetTracking-tt-AlarmLow-cpu50")
        self.assertEqual((high["EvaluationPeriods"], high["Threshold"]), (3, 50.0))
        self.assertEqual((low["EvaluationPeriods"], low["Threshold"]), (15, 45.0))
        self.assertEqual(high["AlarmActions"], [out["PolicyARN"]])
        # Load 90 over 3 periods: ceil(2 * 90 / 50) = 4 at once.
        self.put(c, 90, periods_back=(1, 2, 3))
        self.wait_applied(log, [2, 4])
        # Load near 0 over 15 periods: one instance fewer per cooldown, down to the min of 1.
        self.put(c, 0, periods_back=range(0, 17), count=10000)
        self.wait_applied(log, [2, 4, 3, 2, 1], timeout=40)
        time.sleep(2)
        self.assertEqual(self.applied(log)[-1], 1)

    def test_groups_and_activities_survive_kill9(self):
        c = self.start(*TICK)
        hook, log = self.apply_hook()
        c.cli("put-scaling-group", "--name", "keep", "--min", 0, "--max", 3, "--desired", 3,
              "--apply-hook", "exec:" + hook, "--default-cooldown", 7)
        self.wait_applied(log, [3])
        wait_for("the activity to end",
                 lambda: self.activities(c, "keep")[0]["StatusCode"] == "Successful")
        arn = self.policy(c, "--auto-scaling-group-name", "keep", "--policy-name", "x",
                          "--adjustment-type", "ExactCapacity", "--scaling-adjustment", 1)
        c.kill9()
        c.start(port=0)
        g = self.group(c, "keep")
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"],
                          g["DefaultCooldown"]), (0, 3, 3, 7))
        self.assertEqual(self.activities(c, "keep")[0]["StatusCode"], "Successful")
        pols = c.cli_json("describe-policies")["ScalingPolicies"]
        self.assertEqual([p["PolicyARN"] for p in pols], [arn])
        self.assertEqual(self.applied(log), [3])  # the hook did not run again

    def test_bad_groups_and_policies(self):
        c = self.start()
        def err(*args):
            p = c.cli(*args, check=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("(ValidationError)", p.stderr)
            return p.stderr
        err("put-scaling-group", "--name", "g", "--min", 3, "--max", 2)
        err("put-scaling-group", "--name", "g", "--min", 1, "--max", 2, "--desired", 5)
        err("put-scaling-group", "--name", "g", "--min", 1, "--max", 2, "--apply-hook",
            "/bin/true")
        err("put-scaling-policy", "--auto-scaling-group-name", "nope", "--policy-name", "p",
            "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", 1)
        c.cli("put-scaling-group", "--name", "g", "--min", 1, "--max", 2)
        self.assertIn("overlap", err(
            "put-scaling-policy", "--auto-scaling-group-name", "g", "--policy-name", "p",
            "--policy-type", "StepScaling", "--adjustment-type", "ChangeInCapacity",
            "--step-adjustments", "MetricIntervalLowerBound=0,ScalingAdjustment=1",
            "MetricIntervalLowerBound=10,ScalingAdjustment=2"))
        self.assertIn("MinAdjustmentMagnitude", err(
            "put-scaling-policy", "--auto-scaling-group-name", "g", "--policy-name", "p",
            "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", 1,
            "--min-adjustment-magnitude", 2))
        err("put-scaling-policy", "--auto-scaling-group-name", "g", "--policy-name", "p",
            "--policy-type", "TargetTrackingScaling", "--target-tracking-configuration",
            '{"TargetValue": 0}')
        self.assertIn("MetricAggregationType must be", err(
            "put-scaling-policy", "--auto-scaling-group-name", "g", "--policy-name", "p",
            "--policy-type", "StepScaling", "--adjustment-type", "ChangeInCapacity",
            "--metric-aggregation-type", "Median",
            "--step-adjustments", "MetricIntervalLowerBound=0,ScalingAdjustment=1"))
        self.assertIn("StepScaling policy only", err(
            "put-scaling-policy", "--auto-scaling-group-name", "g", "--policy-name", "p",
            "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", 1,
            "--metric-aggregation-type", "Maximum"))


if __name__ == "__main__":
    unittest.main()
