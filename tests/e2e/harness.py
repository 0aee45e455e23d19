# SPDX-License-Identifier: MIT
"""Starts the real stratus-collector on 127.0.0.1 with a free port (port 0, reported on a
ready fd) and a temporary data directory, and runs the real stratus CLI against it. Nothing
here sleeps to wait for readiness: it reads the port from the fd with a timeout."""
import http.client
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

COLLECTOR = os.environ.get("STRATUS_COLLECTOR", "build/collector/stratus-collector")
CLI = os.environ.get("STRATUS_CLI", "build/cli/stratus")
AGENT = os.environ.get("STRATUS_AGENT", "build/agent/stratus-agent")


class Collector:
    def __init__(self, data_dir, *args):
        self.data_dir = data_dir
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = data_dir + ".log"

    def start(self, timeout=20, port=0):
        r, w = os.pipe()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [COLLECTOR, "--listen", "127.0.0.1:%d" % port, "--data-dir", self.data_dir,
                 "--ready-fd", str(w)] + self.args,
                stdout=log, stderr=log, pass_fds=(w,))
        os.close(w)
        ready, _, _ = select.select([r], [], [], timeout)
        line = os.read(r, 64).decode() if ready else ""
        os.close(r)
        if not line.strip():
            self.proc.kill()
            raise AssertionError("collector did not become ready:\n" + self.log())
        self.port = int(line)
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("collector did not stop on SIGTERM")
        return self.proc.returncode

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def post(self, path, body, content_type="application/x-protobuf", method="POST"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers={"Content-Type": content_type})
            r = c.getresponse()
            return r.status, r.read(), r.getheader("Content-Type")
        finally:
            c.close()

    def cli(self, *args, check=True):
        p = subprocess.run([CLI, "--endpoint", self.endpoint] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("stratus %s -> %d\n%s\ncollector log:\n%s" % (
                " ".join(map(str, args)), p.returncode, p.stderr, self.log()))
        return p

    def cli_json(self, *args):
        out = self.cli(*args).stdout
        return json.loads(out) if out.strip() else None


class Agent:
    """The real stratus-agent with a JSON config written for the test."""

    def __init__(self, tmp, config, *args):
        self.config_path = os.path.join(tmp, "agent-%d.json" % id(self))
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        self.args = list(args)
        self.log_path = os.path.join(tmp, "agent.log")
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([AGENT, "--config", self.config_path] + self.args,
                                         stdout=log, stderr=log)
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(20)
        return self.proc.returncode if self.proc else None


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class CollectorTest(unittest.TestCase):
    """Each test gets its own data directory and collector (started by the test)."""
    collector_args = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stratus-e2e-")
        self.collectors = []
        result = self._outcome.result
        self._problems_before = len(result.failures) + len(result.errors)

    def tearDown(self):
        for a in getattr(self, "agents", []):
            try:
                a.stop(signal.SIGKILL)
            except Exception:
                pass
        for c in self.collectors:
            try:
                c.stop()
            except AssertionError:
                pass
        result = self._outcome.result
        failed = not self._outcome.success or \
            len(result.failures) + len(result.errors) > self._problems_before
        if failed:
            for c in self.collectors:
                print("---- collector log ----\n" + c.log())
            for a in getattr(self, "agents", []):
                print("---- agent log ----\n" + a.log())
        shutil.rmtree(self.tmp, ignore_errors=True)

    def agent(self, config, *args):
        a = Agent(self.tmp, config, *args).start()
        self.agents = getattr(self, "agents", []) + [a]
        return a

    def start(self, *args, data="data", port=0):
        c = Collector(os.path.join(self.tmp, data), *(self.collector_args + args)).start(port=port)
        self.collectors.append(c)
        return c
