// SPDX-License-Identifier: MIT
// Drives a collector with the real AWS SDK for JavaScript v3 and prints what the SDK returned
// as one JSON object, for tests/e2e/test_aws_sdk.py to assert on. Usage:
//   node aws_sdk.js ENDPOINT json|cbor T0 [HOOK]
// json: the CloudWatch client as shipped (AWS JSON 1.0), then the X-Ray (REST-JSON) and Auto
// Scaling (Query) clients; cbor: the CloudWatch client configured with the SDK's Smithy RPC v2
// CBOR protocol. T0 is a minute-aligned epoch second to put at; HOOK, for json, the absolute
// path of the scaling group's apply hook.
"use strict";
const cw = require("@aws-sdk/client-cloudwatch");
const { AwsSmithyRpcV2CborProtocol } = require("@aws-sdk/core/protocols");

const [endpoint, proto, t0s] = process.argv.slice(2);
const t0 = Number(t0s);
const config = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
};
if (proto === "cbor") config.protocol = AwsSmithyRpcV2CborProtocol;
const client = new cw.CloudWatchClient(config);
const seen = { paths: new Set(), types: new Set(), targets: new Set() };
client.middlewareStack.add((next) => async (args) => {
  seen.paths.add(args.request.path);
  seen.types.add(args.request.headers["content-type"]);
  if (args.request.headers["x-amz-target"]) seen.targets.add(args.request.headers["x-amz-target"]);
  return next(args);
}, { step: "finalizeRequest", name: "stratusSeen" });
const ns = "Sdk/" + proto;
const dims = [{ Name: "Host", Value: "a" }];

function plain(o) { // Dates as epoch seconds, no $metadata
  return JSON.parse(JSON.stringify(o, (k, v) => (k === "$metadata" ? undefined : v)),
    (k, v) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) ? Date.parse(v) / 1000 : v));
}

async function error(p) {
  try {
    await p;
    return null;
  } catch (e) {
    return { name: e.name, message: e.message, status: e.$metadata && e.$metadata.httpStatusCode,
             fault: e.$fault };
  }
}

async function main() {
  const out = {};
  const put = await client.send(new cw.PutMetricDataCommand({
    Namespace: ns,
    MetricData: [
      { MetricName: "Lat", Dimensions: dims, Value: 7, Unit: "Milliseconds",
        Timestamp: new Date((t0 + 1) * 1000) },
      { MetricName: "Lat", Dimensions: dims, Unit: "Milliseconds", Timestamp: new Date((t0 + 2) * 1000),
        StatisticValues: { SampleCount: 2, Sum: 30, Minimum: 10, Maximum: 20 } },
    ],
  }));
  out.put = put.$metadata.httpStatusCode;
  out.stats = plain(await client.send(new cw.GetMetricStatisticsCommand({
    Namespace: ns, MetricName: "Lat", Dimensions: dims, StartTime: new Date((t0 - 60) * 1000),
    EndTime: new Date((t0 + 120) * 1000), Period: 60, Statistics: ["Sum", "SampleCount", "Maximum"],
  })));
  out.list = plain(await client.send(new cw.ListMetricsCommand({ Namespace: ns })));
  out.gmd = plain(await client.send(new cw.GetMetricDataCommand({
    StartTime: new Date((t0 - 60) * 1000), EndTime: new Date((t0 + 120) * 1000),
    ScanBy: "TimestampAscending",
    MetricDataQueries: [
      { Id: "m", MetricStat: { Metric: { Namespace: ns, MetricName: "Lat", Dimensions: dims },
                               Period: 60, Stat: "Maximum" } },
      { Id: "e", Expression: "m * 2", Label: "double" },
    ],
  })));
  out.badPeriod = await error(client.send(new cw.GetMetricStatisticsCommand({
    Namespace: ns, MetricName: "Lat", StartTime: new Date((t0 - 60) * 1000),
    EndTime: new Date(t0 * 1000), Period: 7, Statistics: ["Sum"],
  })));
  out.missing = await error(client.send(new cw.PutMetricDataCommand({ MetricData: [] })));
  const alarm = "sdk-" + proto;
  await client.send(new cw.PutMetricAlarmCommand({
    AlarmName: alarm, Namespace: ns, MetricName: "Lat", Dimensions: dims, Statistic: "Maximum",
    Period: 60, EvaluationPeriods: 1, Threshold: 15, ComparisonOperator: "GreaterThanThreshold",
  }));
  await client.send(new cw.SetAlarmStateCommand({ AlarmName: alarm, StateValue: "ALARM",
                                                   StateReason: "sdk" }));
  out.alarms = plain(await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: [alarm] })));
  out.history = plain(await client.send(new cw.DescribeAlarmHistoryCommand({
    AlarmName: alarm, HistoryItemType: "StateUpdate" })));
  // A composite alarm over the metric alarm: ALARM once its rule's alarm is in ALARM.
  await client.send(new cw.PutCompositeAlarmCommand({
    AlarmName: alarm + "-composite", AlarmRule: `ALARM("${alarm}")`,
    AlarmDescription: "composite over " + alarm }));
  for (let i = 0; i < 50; i++) {
    out.composite = plain(await client.send(new cw.DescribeAlarmsCommand({
      AlarmNames: [alarm + "-composite"], AlarmTypes: ["CompositeAlarm"] })));
    const c = out.composite.CompositeAlarms || [];
    if (c.length && c[0].StateValue === "ALARM") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await client.send(new cw.DeleteAlarmsCommand({ AlarmNames: [alarm + "-composite"] }));
  await client.send(new cw.DeleteAlarmsCommand({ AlarmNames: [alarm] }));
  out.afterDelete = plain(await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: [alarm] })));
  out.noAlarm = await error(client.send(new cw.SetAlarmStateCommand({
    AlarmName: alarm, StateValue: "OK", StateReason: "x" })));
  if (proto === "json") { // X-Ray has one protocol, REST-JSON
    const xr = require("@aws-sdk/client-xray");
    const x = new xr.XRayClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                  credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const now = Math.floor(Date.now() / 1000);
    const tid = "1-" + now.toString(16).padStart(8, "0") + "-00000000000000000000beef";
    const seg = { name: "sdk-web", id: "00000000000000aa", trace_id: tid, start_time: now - 1,
                  end_time: now - 0.5, http: { response: { status: 200 } } };
    out.xrayPut = plain(await x.send(new xr.PutTraceSegmentsCommand({
      TraceSegmentDocuments: [JSON.stringify(seg)] })));
    for (let i = 0; i < 50; i++) {
      out.xrayTraces = plain(await x.send(new xr.BatchGetTracesCommand({ TraceIds: [tid] })));
      if (out.xrayTraces.Traces.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    out.xrayGraph = plain(await x.send(new xr.GetServiceGraphCommand({
      StartTime: new Date((now - 300) * 1000), EndTime: new Date((now + 60) * 1000) })));
    out.xraySummaries = plain(await x.send(new xr.GetTraceSummariesCommand({
      StartTime: new Date((now - 300) * 1000), EndTime: new Date((now + 60) * 1000),
      FilterExpression: 'service("sdk-web") AND http.status = 200' })));
    out.xrayNone = plain(await x.send(new xr.GetTraceSummariesCommand({
      StartTime: new Date((now - 300) * 1000), EndTime: new Date((now + 60) * 1000),
      FilterExpression: "fault" })));
    out.xrayBadFilter = await error(x.send(new xr.GetTraceSummariesCommand({
      StartTime: new Date((now - 300) * 1000), EndTime: new Date((now + 60) * 1000),
      FilterExpression: "responsetime >" })));
    out.xrayTid = tid;

    // Auto Scaling over Query, a group whose apply hook (argv[5]) logs each capacity.
    const as = require("@aws-sdk/client-auto-scaling");
    const a = new as.AutoScalingClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                         credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const g = "sdk-group";
    await a.send(new as.CreateAutoScalingGroupCommand({
      AutoScalingGroupName: g, MinSize: 1, MaxSize: 5, DesiredCapacity: 1, DefaultCooldown: 0,
      Tags: [{ Key: "stratus:apply-hook", Value: "exec:" + process.argv[5] }] }));
    out.asPolicy = plain(await a.send(new as.PutScalingPolicyCommand({
      AutoScalingGroupName: g, PolicyName: "up", AdjustmentType: "ChangeInCapacity",
      ScalingAdjustment: 2, Cooldown: 0 })));
    out.asPolicies = plain(await a.send(new as.DescribePoliciesCommand({
      AutoScalingGroupName: g })));
    const idle = async () => {
      for (let i = 0; i < 100; i++) {
        const r = await a.send(new as.DescribeScalingActivitiesCommand({
          AutoScalingGroupName: g }));
        if (r.Activities.every((x) => x.StatusCode === "Successful")) return plain(r);
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error("activities did not settle");
    };
    await idle();
    await a.send(new as.SetDesiredCapacityCommand({ AutoScalingGroupName: g, DesiredCapacity: 3 }));
    await idle();
    await a.send(new as.ExecutePolicyCommand({ AutoScalingGroupName: g, PolicyName: "up" }));
    out.asActivities = await idle();
    out.asGroups = plain(await a.send(new as.DescribeAutoScalingGroupsCommand({
      AutoScalingGroupNames: [g] })));
    out.asTooBig = await error(a.send(new as.SetDesiredCapacityCommand({
      AutoScalingGroupName: g, DesiredCapacity: 9 })));
    await a.send(new as.DeleteAutoScalingGroupCommand({ AutoScalingGroupName: g,
                                                       ForceDelete: true }));
    out.asAfterDelete = plain(await a.send(new as.DescribeAutoScalingGroupsCommand({
      AutoScalingGroupNames: [g] })));
  }
  out.wire = { paths: [...seen.paths].sort(), types: [...seen.types].sort(),
               targets: [...seen.targets].sort() };
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
