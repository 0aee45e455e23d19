# SPDX-License-Identifier: MIT
"""Screenshot tests of stratus-viewer under Xvfb against a real collector filled with known
data. Each view is rendered by the viewer itself (--screenshot FILE: it saves the window once
every call has settled, then quits) and the PNG is checked for what must be visible: the
chart's line lies where the known values put it, the metric browser charts the namespace, a
dead collector shows the banner, alarms, the service map and a trace's waterfall are drawn
from known data. The PNGs stay in
$STRATUS_VIEWER_PNG_DIR (the build directory) for people to look at."""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CollectorTest, iso  # noqa: E402

VIEWER = os.environ.get("STRATUS_VIEWER", "build/viewer/stratus-viewer")
PNG_DIR = os.environ.get("STRATUS_VIEWER_PNG_DIR", "build/viewer-screenshots")
BLUE = (0x1f, 0x77, 0xb4)  # the first palette colour: the first series of a chart
NS = "E2E/Viewer"
STATE_RED = (0xe0, 0x1b, 0x24)  # .st-state-alarm
STATE_GREEN = (0x26, 0xa2, 0x69)  # .st-state-ok
STATE_GREY = (0x77, 0x76, 0x7b)  # .st-state-insufficient
THRESHOLD_RED = (0xe0, 0x1c, 0x24)  # the chart's threshold line and breaching bar
OK_GREEN = (0x2e, 0xc2, 0x7e)  # service_health.c: ok, error, throttle, fault
FAULT_RED = (0xe0, 0x1b, 0x24)
ERROR_AMBER = (0xf5, 0xa6, 0x0a)
CLIENT_BLUE = (0x35, 0x84, 0xe4)  # service_map_view.c: the ring of the client node


def trace_id(n, t):
    return "1-%08x-%024x" % (int(t), n)


def seg_id(n):
    return "%016x" % n


def web_trace(n, now, fault=False, error=False):
    """A trace through web -> api (its own segment) -> db: web spans now-2 .. now-1 s; its call to
    api spans 250 .. 750 ms of it, api's segment 300 .. 700 ms with a db call, which faults when
    fault is set."""
    t0 = now - 2
    tid = trace_id(n, now)
    web = {"name": "web", "id": seg_id(0x100 + n), "trace_id": tid, "start_time": t0,
           "end_time": t0 + 1, "origin": "AWS::EC2::Instance", "error": error,
           "http": {"request": {"method": "GET", "url": "http://web/orders/%d" % n},
                    "response": {"status": 404 if error else 200}},
           "annotations": {"customer": "c%d" % n},
           "subsegments": [{"name": "api", "id": seg_id(0x200 + n), "start_time": t0 + 0.25,
                            "end_time": t0 + 0.75, "namespace": "remote",
                            "http": {"request": {"method": "POST", "url": "http://api/charge"},
                                     "response": {"status": 500 if fault else 200}},
                            "fault": fault}]}
    api = {"name": "api", "id": seg_id(0x300 + n), "trace_id": tid, "parent_id": seg_id(0x200 + n),
           "start_time": t0 + 0.3, "end_time": t0 + 0.7, "origin": "AWS::ECS::Container",
           "fault": fault, "http": {"response": {"status": 500 if fault else 200}},
           "subsegments": [{"name": "orders-db", "id": seg_id(0x400 + n), "namespace": "remote",
                            "start_time": t0 + 0.35, "end_time": t0 + 0.65, "fault": fault,
                            "sql": {"url": "postgresql://orders-db/orders"},
                            "cause": {"exceptions": [{"message": "deadlock detected"}]}
                            if fault else {}}]}
    return tid, [web, api]


def read_png(path):
    """The PNG as (width, height, rows of (r, g, b)), decoded by ImageMagick to PPM."""
    ppm = subprocess.run(["convert", path, "-depth", "8", "ppm:-"], check=True,
                         capture_output=True, timeout=30).stdout
    parts = ppm.split(maxsplit=4)
    assert parts[0] == b"P6", parts[0]
    w, h = int(parts[1]), int(parts[2])
    data = parts[4]
    rows = [[tuple(data[(y * w + x) * 3:(y * w + x) * 3 + 3]) for x in range(w)] for y in range(h)]
    return w, h, rows


def near(px, rgb, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def blobs(rows, rgb, min_size, tol=40, match=None):
    """Connected groups (8-neighbour) of pixels of colour rgb (or for which match(px) holds) with
    at least min_size pixels: [(size, x_center, y_center, x_min, x_max)], largest first."""
    match = match or (lambda px: near(px, rgb, tol))
    pts = {(x, y) for y, row in enumerate(rows) for x, px in enumerate(row) if match(px)}
    out = []
    while pts:
        stack = [pts.pop()]
        group = []
        while stack:
            x, y = stack.pop()
            group.append((x, y))
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    q = (x + dx, y + dy)
                    if q in pts:
                        pts.remove(q)
                        stack.append(q)
        if len(group) >= min_size:
            xs = [p[0] for p in group]
            ys = [p[1] for p in group]
            out.append((len(group), sum(xs) / len(xs), sum(ys) / len(ys), min(xs), max(xs)))
    return sorted(out, reverse=True)


def runs_of_rows(rows, rgb, min_count):
    """Groups of adjacent rows with at least min_count pixels of colour rgb: [(y_center, x_min,
    x_max)]."""
    hits = []
    for y, row in enumerate(rows):
        xs = [x for x, px in enumerate(row) if near(px, rgb)]
        if len(xs) >= min_count:
            hits.append((y, min(xs), max(xs), len(xs)))
    groups = []
    for y, x0, x1, n in hits:
        if groups and y - groups[-1][-1][0] <= 1:
            groups[-1].append((y, x0, x1, n))
        else:
            groups.append([(y, x0, x1, n)])
    out = []
    for g in groups:
        total = sum(n for _, _, _, n in g)
        yc = sum(y * n for y, _, _, n in g) / total
        out.append((yc, min(x0 for _, x0, _, _ in g), max(x1 for _, _, x1, _ in g)))
    return out


class Xvfb:
    """One X server for the whole class. -displayfd picks a free display; -noreset keeps the
    server (and its listening sockets) up when the last client disconnects, so that the next
    viewer never races a server reset. Its stderr goes to PNG_DIR/xvfb.log so that a viewer
    that cannot open the display is reported with what the server said."""

    def __init__(self):
        self.log_path = os.path.join(PNG_DIR, "xvfb.log")
        self.log = open(self.log_path, "ab")
        r, w = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1400x900x24",
                                      "-nolisten", "tcp", "-noreset"], pass_fds=(w,),
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        os.close(w)
        # Read up to the newline before closing the pipe: Xvfb writes the number and the newline
        # in two writes and dies ("Cannot write display number") if the pipe closes between.
        buf = b""
        deadline = time.monotonic() + 20
        while not buf.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(r, 16) if ready else b""
            if not chunk:
                break
            buf += chunk
        os.close(r)
        line = buf.decode().strip()
        if not line:
            self.stop()
            raise AssertionError("Xvfb did not report a display: " + self.tail())
        self.display = ":" + line
        # The server said it is ready; make sure a client can connect before any test runs.
        sock_path = "/tmp/.X11-unix/X" + line
        deadline = time.monotonic() + 10
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock_path)
                break
            except OSError as e:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise AssertionError("cannot connect to Xvfb at %s: %s; %s" % (sock_path, e, self.tail()))
                time.sleep(0.05)
            finally:
                s.close()

    def tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def describe(self):
        rc = self.proc.poll()
        state = "running" if rc is None else "exited with %d" % rc
        return "Xvfb %s on %s; its log: %s" % (state, self.display, self.tail())

    def stop(self):
        # SIGTERM lets the server remove its lock file and socket.
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


class Viewer(CollectorTest):
    @classmethod
    def setUpClass(cls):
        os.makedirs(PNG_DIR, exist_ok=True)
        cls.xvfb = Xvfb()

    @classmethod
    def tearDownClass(cls):
        cls.xvfb.stop()

    def shoot(self, name, endpoint, *args):
        """Runs the viewer until it saved its window to PNG_DIR/name.png; returns the path."""
        path = os.path.join(PNG_DIR, name + ".png")
        if os.path.exists(path):
            os.unlink(path)
        env = dict(os.environ, DISPLAY=self.xvfb.display, GDK_BACKEND="x11", GSK_RENDERER="cairo",
                   STRATUS_ENDPOINT=endpoint, NO_AT_BRIDGE="1", GTK_A11Y="none",
                   # GTK and fontconfig keep caches until exit; LeakSanitizer would call them
                   # leaks in the sanitizer build.
                   ASAN_OPTIONS="detect_leaks=0")
        t0 = time.monotonic()
        p = subprocess.run([VIEWER, "--screenshot", path] + list(args), env=env,
                           capture_output=True, text=True, timeout=40)
        self.assertEqual(p.returncode, 0, "%s\n%s" % (p.stderr, self.xvfb.describe()))
        self.assertTrue(os.path.exists(path), p.stderr)
        self.assertNotIn("CRITICAL", p.stderr)
        print("%s: %.1f s" % (name, time.monotonic() - t0))
        return path

    def publish_levels(self, c):
        """60 one-minute points ending a minute ago: 5 for 20 min, then 10, then 20."""
        now = int(time.time()) // 60 * 60
        data = []
        for i in range(60):
            v = 5 if i < 20 else 10 if i < 40 else 20
            data.append({"MetricName": "Level", "Value": v, "Timestamp": iso(now - 3600 + i * 60 + 30),
                         "Dimensions": [{"Name": "Host", "Value": "a"}]})
        path = os.path.join(self.tmp, "levels.json")
        with open(path, "w") as f:
            json.dump(data, f)
        c.cli("put-metric-data", "--namespace", NS, "--metric-data", "file://" + path)

    def check_levels(self, png, label):
        w, h, rows = read_png(png)
        runs = runs_of_rows(rows, BLUE, 40)
        self.assertEqual(len(runs), 3, "%s: want 3 horizontal runs of the line, got %r" % (label, runs))
        # Sorted top to bottom: 20, 10, 5. The mapping is linear: 10 -> 20 spans twice 5 -> 10.
        y20, y10, y5 = (r[0] for r in runs)
        self.assertGreater(y10 - y20, 20)
        self.assertAlmostEqual((y10 - y20) / (y5 - y10), 2.0, delta=0.15)
        # Each level lasts 20 minutes: the three runs are about as long, and in time order.
        lens = [r[2] - r[1] for r in runs]
        self.assertLess(max(lens) - min(lens), 0.15 * max(lens), lens)
        self.assertLess(runs[2][2], runs[1][2])
        self.assertLess(runs[1][2], runs[0][2])
        colours = len(set(px for row in rows[::4] for px in row[::4]))
        self.assertGreater(colours, 50)
        return runs

    def test_dashboard_chart_line_lies_at_the_known_values(self):
        c = self.start()
        self.publish_levels(c)
        body = {"start": "-PT1H", "widgets": [
            {"type": "metric", "x": 0, "y": 0, "width": 24, "height": 9,
             "properties": {"metrics": [[NS, "Level", "Host", "a"]], "view": "timeSeries",
                            "stat": "Average", "period": 60, "title": "Level"}},
            {"type": "metric", "x": 0, "y": 9, "width": 8, "height": 4,
             "properties": {"metrics": [[NS, "Level", "Host", "a"]], "view": "singleValue",
                            "title": "Latest"}},
            {"type": "text", "x": 8, "y": 9, "width": 16, "height": 4,
             "properties": {"markdown": "# Runbook\nLevels step up every 20 minutes."}}]}
        c.cli("put-dashboard", "--dashboard-name", "levels", "--dashboard-body", json.dumps(body))
        png = self.shoot("dashboard", c.endpoint, "--dashboard", "levels")
        self.check_levels(png, "dashboard")

    def test_metrics_page_charts_a_namespace(self):
        c = self.start()
        self.publish_levels(c)
        png = self.shoot("metrics", c.endpoint, "--page", "metrics", "--chart-namespace", NS)
        self.check_levels(png, "metrics")

    def test_stacked_areas_fill_below_the_top_line(self):
        c = self.start()
        self.publish_levels(c)
        body = {"start": "-PT1H", "widgets": [
            {"type": "metric", "x": 0, "y": 0, "width": 24, "height": 9,
             "properties": {"metrics": [[NS, "Level", "Host", "a"], ["...", {"stat": "Maximum"}]],
                            "view": "timeSeries", "stacked": True, "period": 60, "title": "Stacked"}}]}
        c.cli("put-dashboard", "--dashboard-name", "stacked", "--dashboard-body", json.dumps(body))
        png = self.shoot("stacked", c.endpoint, "--dashboard", "stacked")
        w, h, rows = read_png(png)
        # The second series (orange) is stacked: its line runs at twice each level, so its
        # three runs are twice as far from the baseline as the first series' runs.
        blue = runs_of_rows(rows, BLUE, 40)
        orange = runs_of_rows(rows, (0xff, 0x7f, 0x0e), 40)
        self.assertEqual(len(blue), 3, blue)
        self.assertGreaterEqual(len(orange), 1, orange)
        base = blue[2][0] + (blue[2][0] - blue[1][0])  # y of 0: 5 below the 5-run
        # Top of the stack at the 20 level sits at 40: twice as far from the baseline.
        top = min(r[0] for r in orange)
        self.assertAlmostEqual((base - top) / (base - blue[0][0]), 2.0, delta=0.2)

    def test_dead_collector_shows_the_banner(self):
        c = self.start()
        endpoint = c.endpoint
        c.stop()
        self.collectors.remove(c)
        png = self.shoot("disconnected", endpoint)
        w, h, rows = read_png(png)
        # The banner is a full-width reddish band under the header bar.
        band = [y for y in range(h // 4) if sum(1 for px in rows[y] if px[0] > px[1] + 12 and px[0] > px[2] + 12
                                                 and px[0] > 180) > w * 0.6]
        self.assertGreater(len(band), 15, "no banner rows found")

    def put_level_alarm(self, c, name, threshold):
        c.cli("put-metric-alarm", "--alarm-name", name, "--namespace", NS, "--metric-name", "Level",
              "--dimensions", "Name=Host,Value=a", "--statistic", "Average", "--period", "60",
              "--evaluation-periods", "1", "--threshold", threshold, "--comparison-operator",
              "GreaterThanThreshold")

    def wait_alarm_state(self, c, name, want, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            got = c.cli_json("describe-alarms", "--alarm-names", name)["MetricAlarms"][0]["StateValue"]
            if got == want:
                return
            if time.monotonic() > deadline:
                self.fail("%s stayed %s, want %s\n%s" % (name, got, want, c.log()))
            time.sleep(0.2)

    def test_alarms_page_marks_state_threshold_and_breaching_periods(self):
        c = self.start("--alarm-tick-ms", "1000")
        self.publish_levels(c)
        # The newest minute is at 20: over 15 it is in ALARM, under 50 it is OK.
        self.put_level_alarm(c, "level-high", 15)
        self.put_level_alarm(c, "level-ok", 50)
        self.wait_alarm_state(c, "level-high", "ALARM")
        self.wait_alarm_state(c, "level-ok", "OK")
        png = self.shoot("alarms", c.endpoint, "--page", "alarms", "--alarm", "level-high")
        w, h, rows = read_png(png)
        runs = self.check_levels(png, "alarms")
        y20, y10, y5 = (r[0] for r in runs)
        # The threshold line: red dashes across the whole chart (wider than the data, which
        # covers the last hour of three), at the y of 15, which the linear mapping puts
        # halfway between the runs of 10 and 20.
        red = runs_of_rows(rows, THRESHOLD_RED, 200)
        self.assertEqual(len(red), 1, "want one threshold line, got %r" % red)
        line = red[0]
        self.assertGreater(line[2] - line[1], 2 * (runs[0][2] - runs[2][1]), line)
        self.assertAlmostEqual(line[0], (y10 + y20) / 2, delta=2.5)
        # State marks in the list, left of the chart: a green one (OK) and, in the same
        # column, a red one (ALARM).
        left = [row[:line[1]] for row in rows]
        green_marks = runs_of_rows(left, STATE_GREEN, 30)
        self.assertEqual(len(green_marks), 1, "want one green OK mark, got %r" % green_marks)
        gx0, gx1 = green_marks[0][1], green_marks[0][2]
        red_marks = [r for r in runs_of_rows(left, STATE_RED, 30) if r[1] < gx1 and r[2] > gx0]
        self.assertEqual(len(red_marks), 1, "want one red ALARM mark in the list, got %r" % red_marks)
        # The breaching periods: a solid bar at the foot of the plot, under the minutes at 20
        # only.
        bars = [r for r in runs_of_rows(rows, THRESHOLD_RED, 40) if r[0] > y5 and r[1] > line[1]]
        self.assertEqual(len(bars), 1, "want one breaching bar below the plot, got %r" % bars)
        self.assertAlmostEqual(bars[0][1], runs[0][1], delta=8)
        self.assertAlmostEqual(bars[0][2], runs[0][2], delta=12)

    def test_dashboard_alarm_widget_shows_real_states(self):
        c = self.start("--alarm-tick-ms", "1000")
        self.publish_levels(c)
        self.put_level_alarm(c, "level-high", 15)
        self.put_level_alarm(c, "level-ok", 50)
        self.wait_alarm_state(c, "level-high", "ALARM")
        self.wait_alarm_state(c, "level-ok", "OK")
        body = {"start": "-PT1H", "widgets": [
            {"type": "alarm", "x": 0, "y": 0, "width": 12, "height": 6,
             "properties": {"title": "States", "alarms": [
                 "arn:aws:cloudwatch:us-east-1:000000000000:alarm:level-high", "level-ok",
                 "no-such-alarm"]}}]}
        c.cli("put-dashboard", "--dashboard-name", "states", "--dashboard-body", json.dumps(body))
        png = self.shoot("dashboard-alarms", c.endpoint, "--dashboard", "states")
        w, h, rows = read_png(png)
        red = runs_of_rows(rows, STATE_RED, 30)
        green = runs_of_rows(rows, STATE_GREEN, 30)
        self.assertEqual(len(red), 1, "want one red ALARM mark, got %r" % red)
        self.assertEqual(len(green), 1, "want one green OK mark, got %r" % green)
        # In the widget's order, one under the other in one column; under them the grey mark
        # of the alarm the collector does not know (grey is close to text: a tight match).
        self.assertLess(red[0][0], green[0][0])
        self.assertAlmostEqual(red[0][1], green[0][1], delta=3)
        x0, x1 = red[0][1], red[0][2]
        grey_rows = [y for y in range(int(green[0][0]) + 8, h)
                     if sum(1 for px in rows[y][x0:x1 + 1] if near(px, STATE_GREY, 6)) > 0.6 * (x1 - x0)]
        self.assertGreater(len(grey_rows), 5, "no grey mark under the OK one")
        self.assertLess(grey_rows[0] - green[0][0], 3 * (green[0][0] - red[0][0]))

    def put_traces(self, c):
        """Six traces: 1 and 2 fault in api's db call, 3 is a client error (404) at web."""
        now = time.time()
        docs, ids = [], []
        for n in range(1, 7):
            tid, segs = web_trace(n, now, fault=n <= 2, error=n == 3)
            ids.append(tid)
            docs += [json.dumps(d) for d in segs]
        out = c.cli_json("put-trace-segments", "--trace-segment-documents", *docs)
        self.assertEqual(out.get("UnprocessedTraceSegments", []), [])
        return ids

    def test_trace_waterfall_bars_lie_at_their_times(self):
        c = self.start()
        ids = self.put_traces(c)
        png = self.shoot("traces", c.endpoint, "--page", "traces", "--trace", ids[0])
        w, h, rows = read_png(png)
        # web's bar spans the whole axis; the fault-red bars of the faulting call (api, 250 ..
        # 750 ms), api's segment (300 .. 700 ms), its db call (350 .. 650 ms) and, under that,
        # the inferred orders-db segment BatchGetTraces adds for it (the same times) lie below.
        green = [r for r in runs_of_rows(rows, OK_GREEN, 60) if r[2] - r[1] > 200]
        self.assertEqual(len(green), 1, green)
        gy, gx0, gx1 = green[0]
        red = sorted(r for r in runs_of_rows(rows, FAULT_RED, 40) if r[0] > gy)
        self.assertEqual(len(red), 4, red)
        span = gx1 - gx0
        for (y, x0, x1), (want0, want1) in zip(red, [(0.25, 0.75), (0.3, 0.7), (0.35, 0.65),
                                                     (0.35, 0.65)]):
            self.assertAlmostEqual((x0 - gx0) / span, want0, delta=0.01, msg=red)
            self.assertAlmostEqual((x1 - gx0) / span, want1, delta=0.01, msg=red)
        # Rows go down the page in tree order, one band each.
        ys = [gy] + [r[0] for r in red]
        self.assertTrue(all(b - a > 15 for a, b in zip(ys, ys[1:])), ys)

    def test_service_map_draws_a_ring_per_service_split_by_health(self):
        c = self.start()
        self.put_traces(c)
        png = self.shoot("service-map", c.endpoint, "--page", "service-map", "--service", "api")
        w, h, all_rows = read_png(png)
        # The map is left of the details pane (340 px wide).
        rows = [row[:w - 360] for row in all_rows]
        # Nodes: the client, web, api and the inferred orders-db, left to right. Each ring of a
        # service with requests is green where they were ok: web (5 of 6; 1 error), api and
        # orders-db (4 of 6; 2 faults). The client's ring is blue, and leftmost.
        (client,) = blobs(rows, CLIENT_BLUE, 300)
        greens = sorted(blobs(rows, OK_GREEN, 300), key=lambda b: b[1])
        self.assertEqual(len(greens), 3, greens)
        self.assertLess(client[1], greens[0][1])
        self.assertTrue(all(b[1] - a[1] > 80 for a, b in zip(greens, greens[1:])), greens)
        reds = sorted(blobs(rows, FAULT_RED, 150), key=lambda b: b[1])
        # Only api and orders-db faulted: two red arcs, beside the second and third rings.
        ring_reds = [r for r in reds if any(abs(r[1] - g[1]) < 45 and abs(r[2] - g[2]) < 45
                                            for g in greens[1:])]
        self.assertEqual(len(ring_reds), 2, (reds, greens))
        for red, green in zip(ring_reds, greens[1:]):
            self.assertAlmostEqual(red[0] / (red[0] + green[0]), 2 / 6, delta=0.06)
        ambers = [b for b in blobs(rows, ERROR_AMBER, 60)
                  if abs(b[1] - greens[0][1]) < 45 and abs(b[2] - greens[0][2]) < 45]
        self.assertEqual(len(ambers), 1, ambers)
        self.assertAlmostEqual(ambers[0][0] / (ambers[0][0] + greens[0][0]), 1 / 6, delta=0.05)
        # api is selected: the details pane on the right lists its six traces, each with a
        # status dot (two of them red: text, so anti-aliased), and its histogram has a bar.
        pane = [row[w - 330:] for row in all_rows]
        dots = blobs(pane, None, 12, match=lambda px: px[0] > 200 and px[1] < 110 and px[2] < 110)
        self.assertGreaterEqual(len(dots), 2 + 1, dots)  # + the Fault line of the statistics
        bars = blobs(pane, CLIENT_BLUE, 200)
        self.assertEqual(len(bars), 1, bars)

    def test_bad_filter_expression_is_shown_inline(self):
        c = self.start()
        self.put_traces(c)
        png = self.shoot("traces-filter-error", c.endpoint, "--page", "traces", "--filter",
                         'service("web") AND (fault')
        w, h, rows = read_png(png)
        # The message is a line of error-coloured text under the entry, at the top of the page.
        top = rows[:h // 4]
        reds = [y for y, row in enumerate(top)
                if sum(1 for px in row if px[0] > 150 and px[0] > px[1] + 60 and px[0] > px[2] + 60) > 30]
        self.assertGreater(len(reds), 5, "no inline error text")


if __name__ == "__main__":
    unittest.main()
