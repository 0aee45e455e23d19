// SPDX-License-Identifier: MIT
// A small Node service instrumented with the real X-Ray SDK (aws-xray-sdk-core), for
// tests/e2e/test_traces.py. The SDK sends its segments to AWS_XRAY_DAEMON_ADDRESS (the test
// points it at stratus-agent's trace daemon). Usage:
//   AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:PORT node xray_sdk.js
// Two HTTP servers on 127.0.0.1 port 0: "node-web", traced by the SDK's own request/response
// middleware core (AWSXRay.middleware.traceRequestResponseCycle), and a plain, untraced
// backend that node-web calls through the SDK's captureHTTPs from inside a "handler"
// subsegment. The program sends node-web one request per order and prints one JSON object:
//   {"backendPort": N, "orders": [{"order", "down", "status", "traceId"}, ...]}
// Order 0 keeps its subsegments nested (the SDK's default); orders 1 and 2 run with the
// streaming threshold at 0, so the SDK sends the captured HTTP call as an independent
// subsegment (its parent_id the handler's id) before the segment itself.
"use strict";
const http = require("http");
const AWSXRay = require("aws-xray-sdk-core");

AWSXRay.enableManualMode();
AWSXRay.setLogger({ debug() {}, info() {}, warn() {}, error: (...a) => console.error(...a) });
AWSXRay.middleware.setDefaultName("node-web");
AWSXRay.middleware.disableCentralizedSampling(); // no sampling-rule polls of the daemon
AWSXRay.middleware.setSamplingRules({ version: 2, rules: [],
                                      default: { fixed_target: 0, rate: 1.0 } });
const tracedHttp = AWSXRay.captureHTTPs(http, false);

// What the backend answers for each kind of downstream call.
const BACKEND = { ok: 200, missing: 404, boom: 500 };
// What node-web answers when the backend said that.
const FRONT = { 200: 200, 404: 404, 500: 502 };
const ORDERS = [
  { order: 0, down: "ok", tier: "gold", stream: false },
  { order: 1, down: "missing", tier: "free", stream: true },
  { order: 2, down: "boom", tier: "gold", stream: true },
];

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

const backend = http.createServer((req, res) => {
  const down = req.url.slice(1);
  res.statusCode = BACKEND[down] || 400;
  res.end(down);
});

let backendPort = 0;
const web = http.createServer((req, res) => {
  const seg = AWSXRay.middleware.traceRequestResponseCycle(req, res);
  const m = /^\/orders\/(\d+)$/.exec(req.url);
  const o = m && ORDERS[Number(m[1])];
  if (!o) {
    res.statusCode = 400;
    res.end();
    return;
  }
  AWSXRay.setStreamingThreshold(o.stream ? 0 : 100);
  seg.addAnnotation("order", o.order);
  seg.addAnnotation("tier", o.tier);
  seg.addAnnotation("gold", o.tier === "gold");
  seg.setUser("user-" + o.order);
  res.setHeader("x-trace-id", seg.trace_id);
  const handler = seg.addNewSubsegment("handler");
  tracedHttp.get({ hostname: "127.0.0.1", port: backendPort, path: "/" + o.down,
                   XRaySegment: handler }, (down) => {
    down.resume();
    down.on("end", () => {
      if (down.statusCode >= 500) {
        handler.addError(new Error("backend answered " + down.statusCode));
      }
      handler.close();
      res.statusCode = FRONT[down.statusCode];
      res.end("order " + o.order);
    });
  }).on("error", (e) => {
    handler.close(e);
    res.statusCode = 500;
    res.end();
  });
});

function get(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ hostname: "127.0.0.1", port, path }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, traceId: res.headers["x-trace-id"] }));
    }).on("error", reject);
  });
}

async function main() {
  backendPort = await listen(backend);
  const webPort = await listen(web);
  const orders = [];
  for (const o of ORDERS) {
    const r = await get(webPort, "/orders/" + o.order);
    orders.push({ order: o.order, down: o.down, status: r.status, traceId: r.traceId });
  }
  web.close();
  backend.close();
  process.stdout.write(JSON.stringify({ backendPort, orders }) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
