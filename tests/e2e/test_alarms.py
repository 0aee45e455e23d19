# SPDX-License-Identifier: MIT
"""End-to-end tests of alarms: the real collector and CLI, 10 s high-resolution alarms fed by
real PutMetricData (StorageResolution 1). The collector evaluates every second here
(--alarm-tick-ms 1000), and datapoints are put into the last closed periods, which is also how
late data reaches the next evaluation. Waits poll observable state with a deadline."""
import http.server
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

NS = "E2E/Alarms"
TICK = ("--alarm-tick-ms", "1000")


def wait_for(what, fn, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


class AlarmTest(harness.CollectorTest):
    def hook(self, name="hook", body=None):
        """An exec hook that records each run: its stdin and its STRATUS_ALARM_* variables."""
        path = os.path.join(self.tmp, name)
        runs = os.path.join(self.tmp, name + ".runs")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + (body or "") +
                    'n=$(date +%%s%%N); cat > "%s.stdin.$n"\n'
                    '{ echo "run $n"; echo "name=$STRATUS_ALARM_NAME";'
                    ' echo "old=$STRATUS_ALARM_OLD_STATE"; echo "new=$STRATUS_ALARM_NEW_STATE";'
                    ' echo "reason=$STRATUS_ALARM_REASON"; } >> "%s"\n' % (path, runs))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path, runs

    def runs(self, runs_path):
        """The recorded runs: a list of {name, old, new, reason, stdin}."""
        if not os.path.exists(runs_path):
            return []
        out = []
        with open(runs_path) as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("run "):
                    stdin_path = runs_path[:-len(".runs")] + ".stdin." + line[4:]
                    with open(stdin_path) as s:
                        out.append({"stdin": json.load(s)})
                elif out and "=" in line:
                    k, v = line.split("=", 1)
                    out[-1][k] = v
        return out

    def put_alarm(self, c, name, *extra, period=10, n=2, m=2, threshold=50,
                  op="GreaterThanThreshold"):
        c.cli("put-metric-alarm", "--alarm-name", name, "--namespace", NS, "--metric-name",
              "Load", "--statistic", "Average", "--period", period, "--evaluation-periods", n,
              "--datapoints-to-alarm", m, "--threshold", threshold, "--comparison-operator", op,
              *extra)

    def put(self, c, value, periods_back=(1, 2), period=10, metric="Load", count=None):
        """Puts value into the periods that closed periods_back periods ago."""
        base = int(time.time()) // period * period
        for k in periods_back:
            ts = base - k * period + 1
            args = ["put-metric-data", "--namespace", NS, "--metric-name", metric,
                    "--storage-resolution", "1", "--timestamp", ts]
            if count:
                args += ["--statistic-values", "SampleCount=%d,Sum=%s,Minimum=%s,Maximum=%s" % (
                    count, value * count, value, value)]
            else:
                args += ["--value", value]
            c.cli(*args)

    def alarm(self, c, name):
        out = c.cli_json("describe-alarms", "--alarm-names", name)
        return out["MetricAlarms"][0] if out["MetricAlarms"] else None

    def state(self, c, name):
        return self.alarm(c, name)["StateValue"]

    def history(self, c, name, item_type=None):
        args = ["describe-alarm-history", "--alarm-name", name]
        if item_type:
            args += ["--history-item-type", item_type]
        return c.cli_json(*args)["AlarmHistoryItems"]

    def wait_state(self, c, name, want, timeout=30):
        wait_for("%s to be %s" % (name, want), lambda: self.state(c, name) == want, timeout)

    def wait_actions(self, c, name, count, timeout=20):
        wait_for("%d Action items of %s" % (count, name),
                 lambda: len(self.history(c, name, "Action")) >= count, timeout)


class TestTransitions(AlarmTest):
    def test_hook_runs_once_per_transition_with_stdin_and_env(self):
        c = self.start(*TICK)
        hook, runs = self.hook()
        self.put_alarm(c, "load-high", "--alarm-actions", "exec:" + hook, "--ok-actions",
                       "exec:" + hook)
        a = self.alarm(c, "load-high")
        self.assertEqual(a["StateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(a["StateReason"], "Unchecked: Initial alarm creation")
        self.assertEqual(a["Period"], 10)
        self.assertEqual(a["Threshold"], 50.0)

        self.put(c, 90)
        self.wait_state(c, "load-high", "ALARM")
        self.wait_actions(c, "load-high", 1)
        time.sleep(3)  # three more evaluations: the state holds, the hook must not run again
        r = self.runs(runs)
        self.assertEqual(len(r), 1, r)
        self.assertEqual(r[0]["name"], "load-high")
        self.assertEqual(r[0]["old"], "INSUFFICIENT_DATA")
        self.assertEqual(r[0]["new"], "ALARM")
        self.assertTrue(r[0]["reason"].startswith("Threshold Crossed: 2 out of the last 2"),
                        r[0]["reason"])
        msg = r[0]["stdin"]
        self.assertEqual(msg["AlarmName"], "load-high")
        self.assertEqual(msg["NewStateValue"], "ALARM")
        self.assertEqual(msg["OldStateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(msg["Trigger"]["MetricName"], "Load")
        self.assertEqual(msg["Trigger"]["Period"], 10)
        self.assertEqual(msg["Trigger"]["Threshold"], 50.0)

        a = self.alarm(c, "load-high")
        data = json.loads(a["StateReasonData"])
        self.assertEqual(data["period"], 10)
        self.assertEqual(data["statistic"], "Average")
        self.assertEqual(data["threshold"], 50.0)
        self.assertEqual([p["value"] for p in data["evaluatedDatapoints"]], [90.0, 90.0])

        # Low values outweigh the high ones in the same periods: back to OK, the hook once more.
        self.put(c, 0, count=100)
        self.wait_state(c, "load-high", "OK")
        self.wait_actions(c, "load-high", 2)
        r = self.runs(runs)
        self.assertEqual([(x["old"], x["new"]) for x in r],
                         [("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")])
        updates = self.history(c, "load-high", "StateUpdate")
        self.assertEqual(len(updates), 2)
        newest = json.loads(updates[0]["HistoryData"])
        self.assertEqual(newest["oldState"]["stateValue"], "ALARM")
        self.assertEqual(newest["newState"]["stateValue"], "OK")
        self.assertIn("evaluatedDatapoints", newest["newState"]["stateReasonData"])
        actions = self.history(c, "load-high", "Action")
        self.assertTrue(all(json.loads(x["HistoryData"])["exitStatus"] == 0 for x in actions))

    def test_kill9_keeps_state_history_and_does_not_rerun_actions(self):
        c = self.start(*TICK)
        hook, runs = self.hook()
        self.put_alarm(c, "crash", "--alarm-actions", "exec:" + hook)
        self.put(c, 90)
        self.wait_state(c, "crash", "ALARM")
        self.wait_actions(c, "crash", 1)
        before = self.history(c, "crash")
        c.kill9()
        c.start(port=0)
        self.assertEqual(self.state(c, "crash"), "ALARM")
        self.assertEqual(self.history(c, "crash"), before)
        self.put(c, 90)  # still breaching: evaluations keep ALARM, no transition
        time.sleep(3)
        self.assertEqual(self.state(c, "crash"), "ALARM")
        self.assertEqual(len(self.runs(runs)), 1)

    def test_treat_missing_breaching_and_disabled_actions(self):
        c = self.start(*TICK)
        hook, runs = self.hook()
        self.put_alarm(c, "nodata", "--treat-missing-data", "breaching", "--alarm-actions",
                       "exec:" + hook, "--no-actions-enabled", n=3, m=3)
        # No data at all: every period of the range is filled as breaching.
        self.wait_state(c, "nodata", "ALARM")
        self.assertIn("treated as [Breaching]", self.alarm(c, "nodata")["StateReason"])
        self.assertFalse(self.alarm(c, "nodata")["ActionsEnabled"])
        time.sleep(2)
        self.assertEqual(self.runs(runs), [])
        c.cli("enable-alarm-actions", "--alarm-names", "nodata")
        self.assertTrue(self.alarm(c, "nodata")["ActionsEnabled"])
        c.cli("set-alarm-state", "--alarm-name", "nodata", "--state-value", "OK",
              "--state-reason", "testing")
        # set-alarm-state moves it; the next evaluation moves it back and runs the hook.
        self.wait_actions(c, "nodata", 1)
        self.assertEqual(self.runs(runs)[0]["new"], "ALARM")
        self.assertEqual(self.runs(runs)[0]["old"], "OK")

    def test_hung_hook_is_killed_and_blocks_nothing(self):
        c = self.start(*TICK, "--alarm-hook-timeout-ms", "1500")
        hung, _ = self.hook("hung", body="sleep 60\n")
        quick, quick_runs = self.hook("quick")
        self.put_alarm(c, "a-hung", "--alarm-actions", "exec:" + hung)
        self.put_alarm(c, "b-quick", "--alarm-actions", "exec:" + quick)
        self.put(c, 90)
        self.wait_state(c, "a-hung", "ALARM")
        self.wait_state(c, "b-quick", "ALARM")
        self.wait_actions(c, "b-quick", 1)
        self.assertEqual(len(self.runs(quick_runs)), 1)
        self.wait_actions(c, "a-hung", 1)
        item = self.history(c, "a-hung", "Action")[0]
        data = json.loads(item["HistoryData"])
        self.assertEqual(data["actionState"], "Failed")
        self.assertIn("timeout", data["detail"])
        # The API answered all along; it still does.
        self.assertEqual(self.state(c, "b-quick"), "ALARM")

    def test_delete_and_describe_filters(self):
        c = self.start(*TICK)
        self.put_alarm(c, "web-1")
        self.put_alarm(c, "web-2", "--treat-missing-data", "breaching", n=1, m=1)
        self.put_alarm(c, "db-1")
        names = [a["AlarmName"] for a in c.cli_json("describe-alarms")["MetricAlarms"]]
        self.assertEqual(names, ["db-1", "web-1", "web-2"])
        out = c.cli_json("describe-alarms", "--alarm-name-prefix", "web-")
        self.assertEqual([a["AlarmName"] for a in out["MetricAlarms"]], ["web-1", "web-2"])
        self.wait_state(c, "web-2", "ALARM")
        out = c.cli_json("describe-alarms", "--state-value", "ALARM")
        self.assertEqual([a["AlarmName"] for a in out["MetricAlarms"]], ["web-2"])
        c.cli("delete-alarms", "--alarm-names", "web-1", "db-1")
        names = [a["AlarmName"] for a in c.cli_json("describe-alarms")["MetricAlarms"]]
        self.assertEqual(names, ["web-2"])
        kinds = [h["HistorySummary"] for h in self.history(c, "db-1", "ConfigurationUpdate")]
        self.assertEqual(kinds, ['Alarm "db-1" deleted', 'Alarm "db-1" created'])


class Receiver:
    """An HTTP server on 127.0.0.1:0 that records the bodies POSTed to it; with hang=True it
    reads the request and never answers."""

    def __init__(self, hang=False, tls=None):
        self.bodies = []
        self.handshakes_failed = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                owner.bodies.append((self.path, self.headers.get("Content-Type"),
                                     self.rfile.read(n)))
                if hang:
                    time.sleep(5)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def get_request(self):
                sock, addr = super().get_request()
                if tls:
                    try:
                        sock = tls.wrap_socket(sock, server_side=True)
                    except (ssl.SSLError, OSError):
                        owner.handshakes_failed += 1
                        sock.close()
                        raise
                return sock, addr

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "%s://127.0.0.1:%d/hook?x=1" % ("https" if tls else "http",
                                                   self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def self_signed(tmp, name="localca"):
    """A self-signed certificate for IP 127.0.0.1 (its own CA) and its key, made by openssl."""
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=stratus e2e " + name,
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    return cert, key


def tls_server_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class TestWebhooksAndComposites(AlarmTest):
    def check_sns_body(self, rx, name):
        self.assertEqual(len(rx.bodies), 1)
        path, ctype, body = rx.bodies[0]
        self.assertEqual(path, "/hook?x=1")
        self.assertTrue(ctype.startswith("text/plain"))
        note = json.loads(body)
        self.assertEqual(note["Type"], "Notification")
        self.assertEqual(note["Subject"], 'ALARM: "%s" in local' % name)
        msg = json.loads(note["Message"])
        self.assertEqual(msg["AlarmName"], name)
        self.assertEqual(msg["NewStateValue"], "ALARM")
        self.assertEqual(msg["OldStateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(msg["Trigger"]["Namespace"], NS)
        self.assertEqual(msg["Trigger"]["MetricName"], "Load")
        return note

    def action_items(self, c, name):
        return {json.loads(h["HistoryData"])["notificationResource"]: json.loads(h["HistoryData"])
                for h in self.history(c, name, "Action")}

    def test_https_webhook_trusts_the_configured_ca(self):
        cert, key = self_signed(self.tmp)
        rx = Receiver(tls=tls_server_context(cert, key))
        self.addCleanup(rx.close)
        conf = os.path.join(self.tmp, "collector.json")
        with open(conf, "w") as f:
            json.dump({"webhook_ca_file": cert}, f)
        c = self.start(*TICK, "--config", conf)
        self.put_alarm(c, "tls", "--alarm-actions", rx.url)
        self.put(c, 90)
        self.wait_state(c, "tls", "ALARM")
        self.wait_actions(c, "tls", 1)
        item = self.action_items(c, "tls")[rx.url]
        self.assertEqual(item["actionState"], "Succeeded", item)
        self.assertEqual(item["exitStatus"], 200)
        note = self.check_sns_body(rx, "tls")
        self.assertIn("SignatureVersion", note)

    def test_https_webhook_verifies_by_default(self):
        """Without the CA file the self-signed server is not trusted: nothing is posted."""
        cert, key = self_signed(self.tmp)
        other, _ = self_signed(self.tmp, "otherca")
        rx = Receiver(tls=tls_server_context(cert, key))
        self.addCleanup(rx.close)
        c = self.start(*TICK, "--alarm-hook-timeout-ms", "3000")
        c2 = self.start(*TICK, "--webhook-ca-file", other, data="data2")
        for col in (c, c2):
            self.put_alarm(col, "tls", "--alarm-actions", rx.url)
            self.put(col, 90)
        for col in (c, c2):
            self.wait_state(col, "tls", "ALARM")
            self.wait_actions(col, "tls", 1)
            item = self.action_items(col, "tls")[rx.url]
            self.assertEqual(item["actionState"], "Failed", item)
        self.assertEqual(rx.bodies, [])
        self.assertGreaterEqual(rx.handshakes_failed, 2)

    def test_a_bad_webhook_ca_file_stops_the_start(self):
        bad = os.path.join(self.tmp, "bad.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        for path in (bad, os.path.join(self.tmp, "missing.pem")):
            proc = subprocess.run([harness.COLLECTOR, "--listen", "127.0.0.1:0", "--data-dir",
                                   os.path.join(self.tmp, "d"), "--webhook-ca-file", path],
                                  capture_output=True, text=True, timeout=20)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("webhook CA file " + path, proc.stderr)

    def test_webhook_gets_an_sns_shaped_notification(self):
        c = self.start(*TICK, "--alarm-hook-timeout-ms", "1500")
        rx = Receiver()
        hung = Receiver(hang=True)
        self.addCleanup(rx.close)
        self.addCleanup(hung.close)
        with socket.socket() as s:  # a port with nobody listening
            s.bind(("127.0.0.1", 0))
            dead = "http://127.0.0.1:%d/" % s.getsockname()[1]
        self.put_alarm(c, "web", "--alarm-actions", rx.url, dead, hung.url)
        self.put(c, 90)
        self.wait_state(c, "web", "ALARM")
        self.wait_actions(c, "web", 3)
        self.check_sns_body(rx, "web")
        items = self.action_items(c, "web")
        self.assertEqual(items[rx.url]["actionState"], "Succeeded")
        self.assertEqual(items[rx.url]["exitStatus"], 200)
        self.assertEqual(items[dead]["actionState"], "Failed")
        self.assertEqual(items[hung.url]["actionState"], "Failed")

    def test_composite_alarm_follows_its_children(self):
        c = self.start(*TICK)
        hook, runs = self.hook()
        # "a" alarms on missing data at once, "b" is OK on missing data.
        self.put_alarm(c, "a", "--treat-missing-data", "breaching", n=1, m=1)
        self.put_alarm(c, "b", "--treat-missing-data", "notBreaching", n=1, m=1)
        self.wait_state(c, "a", "ALARM")
        self.wait_state(c, "b", "OK")
        c.cli("put-composite-alarm", "--alarm-name", "both", "--alarm-rule",
              'ALARM("a") AND NOT OK("b")', "--alarm-actions", "exec:" + hook)

        def comp():
            out = c.cli_json("describe-alarms", "--alarm-names", "both", "--alarm-types",
                             "CompositeAlarm")
            self.assertEqual(out["MetricAlarms"], [])
            return out["CompositeAlarms"][0]

        wait_for("the composite to be OK", lambda: comp()["StateValue"] == "OK")
        self.assertEqual(comp()["AlarmRule"], 'ALARM("a") AND NOT OK("b")')
        self.assertEqual(c.cli_json("describe-alarms")["CompositeAlarms"], [])
        self.put_alarm(c, "b", "--treat-missing-data", "breaching", n=1, m=1)
        wait_for("the composite to be ALARM", lambda: comp()["StateValue"] == "ALARM")
        self.wait_actions(c, "both", 1)
        r = self.runs(runs)
        self.assertEqual(len(r), 1)
        self.assertEqual(r[0]["name"], "both")
        self.assertEqual(r[0]["stdin"]["AlarmRule"], 'ALARM("a") AND NOT OK("b")')
        self.assertIn("alarm:b transitioned to ALARM", comp()["StateReason"])
        data = json.loads(comp()["StateReasonData"])
        self.assertEqual(len(data["triggeringAlarms"]), 2)

    def test_composite_rule_errors(self):
        c = self.start()
        p = c.cli("put-composite-alarm", "--alarm-name", "x", "--alarm-rule",
                  'ALARM("a") AND (OK("b")', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("(InvalidParameterValue)", p.stderr)
        self.assertIn("expected ')' at position 24", p.stderr)
        p = c.cli("put-composite-alarm", "--alarm-name", "x", "--alarm-rule", 'ALARM("x")',
                  check=False)
        self.assertIn("refers to the alarm itself", p.stderr)


class TestSharedQueries(AlarmTest):
    def test_alarms_on_one_metric_each_evaluate_their_own_statistic(self):
        """Alarms on one metric and period share one query a round (12 percentiles need two);
        each is still judged on its own statistic, threshold and range."""
        c = self.start(*TICK)
        base = int(time.time()) // 10 * 10
        for k in (1, 2):
            c.cli("put-metric-data", "--namespace", NS, "--metric-name", "Load",
                  "--storage-resolution", "1", "--timestamp", base - k * 10 + 1,
                  "--values", *range(1, 101))
        # Values 1..100 in each period: Minimum 1, Maximum 100, Average 50.5, Sum 5050,
        # SampleCount 100, pN about N.
        want = {}

        def alarm(name, thr, *stat, n=2):
            c.cli("put-metric-alarm", "--alarm-name", name, "--namespace", NS,
                  "--metric-name", "Load", *stat, "--period", 10, "--evaluation-periods", n,
                  "--datapoints-to-alarm", n, "--threshold", thr, "--comparison-operator",
                  "GreaterThanThreshold")

        for stat, below, above in (("Minimum", 0.5, 1.5), ("Maximum", 99, 101),
                                   ("Average", 50, 51), ("Sum", 5000, 5100),
                                   ("SampleCount", 99, 101)):
            for thr, state in ((below, "ALARM"), (above, "OK")):
                name = "%s-%s" % (stat, thr)
                alarm(name, thr, "--statistic", stat)
                want[name] = state
        for q in range(5, 65, 5):  # 12 percentiles: more than one query holds
            for thr, state in ((q - 3, "ALARM"), (q + 3, "OK")):
                name = "p%d-%d" % (q, thr)
                alarm(name, thr, "--extended-statistic", "p%d" % q)
                want[name] = state
        # The same metric with N = 1 and a longer range than the others is served too.
        alarm("one-period", 99, "--statistic", "Maximum", n=1)
        want["one-period"] = "ALARM"

        def states():
            return {a["AlarmName"]: a["StateValue"]
                    for a in c.cli_json("describe-alarms")["MetricAlarms"]}

        wait_for("every alarm to leave INSUFFICIENT_DATA", lambda: all(
            v != "INSUFFICIENT_DATA" for v in states().values()))
        self.assertEqual(states(), want)
        data = json.loads(self.alarm(c, "p40-37")["StateReasonData"])
        self.assertEqual(data["extendedStatistic"], "p40")
        self.assertEqual(len(data["evaluatedDatapoints"]), 2)
        for dp in data["evaluatedDatapoints"]:
            self.assertAlmostEqual(dp["value"], 40, delta=2)


class TestValidation(AlarmTest):
    def expect_error(self, c, code, *args):
        p = c.cli(*args, check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("(%s)" % code, p.stderr)
        return p.stderr

    def test_malformed_definitions(self):
        c = self.start()
        base = ["put-metric-alarm", "--alarm-name", "x", "--namespace", NS, "--metric-name", "m",
                "--evaluation-periods", "2", "--comparison-operator", "GreaterThanThreshold",
                "--threshold", "1"]
        cases = [
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "20"], "Period"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "90"], "Period"),
            ("InvalidParameterValue", ["--statistic", "Mean", "--period", "60"], "Statistic"),
            ("InvalidParameterValue", ["--statistic", "Average", "--extended-statistic", "p99",
                                       "--period", "60"], "ExtendedStatistic"),
            ("MissingParameter", ["--period", "60"], "Statistic"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "86400"],
             "86400"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "60",
                                       "--datapoints-to-alarm", "3"], "DatapointsToAlarm"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "60",
                                       "--treat-missing-data", "zero"], "TreatMissingData"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "60",
                                       "--alarm-actions", "sh -c true"], "AlarmActions"),
            ("InvalidParameterValue", ["--statistic", "Average", "--period", "60",
                                       "--alarm-actions", "exec:relative/hook"], "absolute"),
            ("InvalidParameterValue", ["--extended-statistic", "p101", "--period", "60"],
             "ExtendedStatistic"),
        ]
        for code, extra, word in cases:
            err = self.expect_error(c, code, *(base + extra))
            self.assertIn(word, err, extra)
        err = self.expect_error(c, "MissingParameter", "put-metric-alarm", "--alarm-name", "x",
                                "--namespace", NS, "--metric-name", "m", "--statistic", "Sum",
                                "--period", "60", "--evaluation-periods", "1",
                                "--comparison-operator", "LessThanThreshold")
        self.assertIn("Threshold", err)
        err = self.expect_error(c, "InvalidParameterValue", "put-metric-alarm", "--alarm-name",
                                "x", "--namespace", NS, "--metric-name", "m", "--statistic",
                                "Sum", "--period", "60", "--evaluation-periods", "1",
                                "--comparison-operator", "Bigger", "--threshold", "1")
        self.assertIn("ComparisonOperator", err)
        self.assertEqual(c.cli_json("describe-alarms")["MetricAlarms"], [])

    def test_unknown_alarms_and_bad_filters(self):
        c = self.start()
        self.expect_error(c, "ResourceNotFound", "delete-alarms", "--alarm-names", "nope")
        self.expect_error(c, "ResourceNotFound", "set-alarm-state", "--alarm-name", "nope",
                          "--state-value", "OK", "--state-reason", "x")
        self.expect_error(c, "InvalidParameterCombination", "describe-alarms", "--alarm-names",
                          "a", "--alarm-name-prefix", "b")
        self.expect_error(c, "InvalidParameterValue", "describe-alarms", "--state-value", "BAD")
        self.put_alarm(c, "s")
        self.expect_error(c, "InvalidFormat", "set-alarm-state", "--alarm-name", "s",
                          "--state-value", "OK", "--state-reason", "x", "--state-reason-data",
                          "{not json")


if __name__ == "__main__":
    unittest.main()
