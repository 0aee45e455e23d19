# SPDX-License-Identifier: MIT
"""End-to-end tests of the dashboards API: the real collector and the real CLI on loopback.
put/get/list/delete with aws-shaped JSON, validation of malformed bodies, AWS-shaped errors,
and dashboards surviving a collector restart (they live in data_dir/dashboards.db)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest  # noqa: E402

BODY = {
    "start": "-PT3H",
    "widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
         "properties": {"metrics": [["E2E", "Lat", "Host", "a"], ["...", "b"]],
                        "view": "timeSeries", "stacked": False, "region": "local",
                        "period": 60, "stat": "Average", "title": "Latency"}},
        {"type": "text", "x": 12, "y": 0, "width": 12, "height": 6,
         "properties": {"markdown": "# Notes"}},
    ],
}


class Dashboards(CollectorTest):
    def test_put_get_list_delete_round_trip(self):
        c = self.start()
        body = json.dumps(BODY)
        out = c.cli_json("put-dashboard", "--dashboard-name", "ops-main", "--dashboard-body", body)
        self.assertEqual(out, {"DashboardValidationMessages": []})
        got = c.cli_json("get-dashboard", "--dashboard-name", "ops-main")
        self.assertEqual(list(got), ["DashboardArn", "DashboardBody", "DashboardName"])
        self.assertEqual(got["DashboardArn"], "arn:aws:cloudwatch::000000000000:dashboard/ops-main")
        self.assertEqual(json.loads(got["DashboardBody"]), BODY)
        c.cli("put-dashboard", "--dashboard-name", "ops-2", "--dashboard-body", body)
        entries = c.cli_json("list-dashboards")["DashboardEntries"]
        self.assertEqual([e["DashboardName"] for e in entries], ["ops-2", "ops-main"])
        self.assertEqual(entries[1]["Size"], len(body.encode()))
        self.assertTrue(entries[1]["LastModified"].endswith("+00:00"))
        only = c.cli_json("list-dashboards", "--dashboard-name-prefix", "ops-m")
        self.assertEqual([e["DashboardName"] for e in only["DashboardEntries"]], ["ops-main"])
        p = c.cli("delete-dashboards", "--dashboard-names", "ops-main", "ops-2")
        self.assertEqual(p.stdout, "")
        self.assertEqual(c.cli_json("list-dashboards"), {"DashboardEntries": []})

    def test_body_from_file_and_validation_messages(self):
        c = self.start()
        path = os.path.join(self.tmp, "body.json")
        b = dict(BODY, unknownThing=1)
        with open(path, "w") as f:
            json.dump(b, f)
        out = c.cli_json("put-dashboard", "--dashboard-name", "f", "--dashboard-body",
                         "file://" + path)
        self.assertEqual(out["DashboardValidationMessages"],
                         [{"DataPath": "/unknownThing", "Message": "Unknown member, ignored"}])

    def test_malformed_bodies_are_rejected_with_the_data_path(self):
        c = self.start()
        cases = [
            ("{\"widgets\": [", "/"),
            ("{\"widgets\": [{\"type\": \"metric\", \"properties\": {}}]}",
             "/widgets/0/properties"),
            ("{\"widgets\": [{\"type\": \"metric\", \"x\": 30, \"y\": 0, \"properties\": "
             "{\"metrics\": []}}]}", "/widgets/0/x"),
            ("{\"widgets\": [{\"type\": \"metric\", \"properties\": {\"metrics\": "
             "[[\"N\", \"M\", \"D\"]]}}]}", "/widgets/0/properties/metrics/0"),
        ]
        for body, path in cases:
            p = c.cli("put-dashboard", "--dashboard-name", "bad", "--dashboard-body", body,
                      check=False)
            self.assertEqual(p.returncode, 1, body)
            self.assertIn("An error occurred (InvalidParameterInput) when calling the "
                          "PutDashboard operation", p.stderr)
            self.assertIn(path + ":", p.stderr)
        p = c.cli("get-dashboard", "--dashboard-name", "bad", check=False)
        self.assertIn("(ResourceNotFound)", p.stderr)

    def test_native_errors_are_aws_shaped(self):
        c = self.start()
        status, body, ctype = c.post("/v1/GetDashboard", b"")
        self.assertEqual(status, 400)
        err = json.loads(body)
        self.assertEqual(err["__type"], "MissingParameter")
        # GetDashboard with dashboard_name = "no/slash" (field 1, a string).
        name = b"no/slash"
        status, body, ctype = c.post("/v1/GetDashboard", b"\x0a" + bytes([len(name)]) + name)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "InvalidParameterInput")
        p = c.cli("delete-dashboards", "--dashboard-names", "missing", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("(ResourceNotFound)", p.stderr)
        self.assertIn("Dashboard missing does not exist", p.stderr)

    def test_dashboards_survive_a_restart(self):
        c = self.start()
        c.cli("put-dashboard", "--dashboard-name", "keep", "--dashboard-body", json.dumps(BODY))
        self.assertEqual(c.stop(), 0)
        self.collectors.remove(c)
        c2 = self.start()
        got = c2.cli_json("get-dashboard", "--dashboard-name", "keep")
        self.assertEqual(json.loads(got["DashboardBody"]), BODY)
        self.assertTrue(os.path.exists(os.path.join(c2.data_dir, "dashboards.db")))


if __name__ == "__main__":
    unittest.main()
