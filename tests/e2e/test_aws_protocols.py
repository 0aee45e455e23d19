# SPDX-License-Identifier: MIT
"""End-to-end tests of the AWS protocol front ends with hand-built requests on raw HTTP: the
Query XML reply and error envelopes, JSON 1.0 errors with x-amzn-query-error, RPC v2 CBOR, the
X-Ray paths, gzip bodies, and malformed input of each protocol (a 4xx in that protocol's
shape, never a hang or a crash)."""
import gzip
import http.client
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import COLLECTOR, CollectorTest  # noqa: E402

NS = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"


def request(c, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def form(c, body, **headers):
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    h.update(headers)
    return request(c, "POST", "/", body.encode() if isinstance(body, str) else body, h)


def json10(c, op, body):
    return request(c, "POST", "/", body if isinstance(body, bytes) else json.dumps(body).encode(),
                   {"Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "GraniteServiceVersion20100801." + op})


class AwsProtocolsTest(CollectorTest):
    def test_query_reply_and_error_envelopes(self):
        c = self.start()
        t = int(time.time()) - 60
        s, h, b = form(c, "Action=PutMetricData&Version=2010-08-01&Namespace=Q&"
                          "MetricData.member.1.MetricName=M&MetricData.member.1.Value=3&"
                          "MetricData.member.1.Timestamp=%d" % t)
        self.assertEqual(s, 200, b)
        root = ET.fromstring(b)
        self.assertEqual(root.tag, NS + "PutMetricDataResponse")
        self.assertEqual(root.find(NS + "ResponseMetadata/" + NS + "RequestId").text,
                         h["x-amzn-requestid"])
        s, h, b = request(c, "GET", "/?Action=ListMetrics&Version=2010-08-01&Namespace=Q")
        self.assertEqual(s, 200, b)
        root = ET.fromstring(b)
        names = [e.text for e in root.iter(NS + "MetricName")]
        self.assertEqual(names, ["M"])
        for body, status, code in [
                ("Action=PutMetricData&Version=2010-08-01&Namespace=Q&"
                 "MetricData.member.1.MetricName=M&MetricData.member.1.Value=abc", 400,
                 "InvalidParameterValue"),
                ("Action=Nope&Version=2010-08-01", 400, "InvalidAction"),
                ("Version=2010-08-01", 400, "MissingParameter"),
                ("Action=ListMetrics&Version=1999-01-01", 400, "InvalidParameterValue"),
                ("Action=ListMetrics&A.member.1.B=x&A.member.3.B=y", 400, "MalformedQueryString"),
                ("Action=ListMetrics&X=%zz", 400, "MalformedQueryString")]:
            with self.subTest(body=body):
                s, h, b = form(c, body)
                self.assertEqual(s, status, b)
                self.assertEqual(h["content-type"], "text/xml")
                root = ET.fromstring(b)
                self.assertEqual(root.tag, NS + "ErrorResponse")
                self.assertEqual(root.find(NS + "Error/" + NS + "Code").text, code)
                self.assertEqual(root.find(NS + "Error/" + NS + "Type").text, "Sender")
                self.assertTrue(root.find(NS + "Error/" + NS + "Message").text)
                self.assertTrue(root.find(NS + "RequestId").text)

    def test_json10_errors_and_gzip(self):
        c = self.start()
        data = {"Namespace": "J", "MetricData": [{"MetricName": "M%d" % i, "Value": i}
                                                 for i in range(500)]}
        body = gzip.compress(json.dumps(data).encode())
        s, h, b = request(c, "POST", "/", body, {
            "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
            "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
        self.assertEqual((s, b), (200, b"{}"))
        s, h, b = json10(c, "ListMetrics", {"Namespace": "J"})
        self.assertEqual(s, 200)
        self.assertEqual(len(json.loads(b)["Metrics"]), 500)
        for op, body, status, typ, qe in [
                ("GetMetricStatistics", {"Namespace": "J"}, 400,
                 "com.amazonaws.cloudwatch#MissingRequiredParameterException",
                 "MissingParameter;Sender"),
                ("PutMetricData", {"Namespace": "J", "MetricData": [{"MetricName": "M",
                                                                    "Value": "x"}]}, 400,
                 "com.amazonaws.cloudwatch#InvalidParameterValueException",
                 "InvalidParameterValue;Sender"),
                ("PutMetricData", b"{not json", 400, "SerializationException",
                 "SerializationException;Sender"),
                ("Nope", {}, 400, "UnknownOperationException", "UnknownOperationException;Sender")]:
            with self.subTest(op=op, body=body):
                s, h, b = json10(c, op, body)
                self.assertEqual(s, status, b)
                e = json.loads(b)
                self.assertEqual(e["__type"], typ)
                self.assertTrue(e["message"])
                self.assertEqual(h["x-amzn-query-error"], qe)
        s, h, b = request(c, "POST", "/", b"\x1f\x8b garbage", {
            "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
            "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
        self.assertEqual(s, 400)

    def test_cbor_and_xray_paths(self):
        c = self.start()
        path = "/service/GraniteServiceVersion20100801/operation/"
        # {"Namespace": "C"} as CBOR
        s, h, b = request(c, "POST", path + "ListMetrics", b"\xa1\x69Namespace\x61C",
                          {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        self.assertEqual(s, 200, b)
        self.assertEqual(h["smithy-protocol"], "rpc-v2-cbor")
        self.assertEqual(b, b"\xa1\x67Metrics\x80")  # {"Metrics": []}
        for body in (b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", b"\xa1\x01\x02", b"\xa1\x61"):
            s, h, b = request(c, "POST", path + "ListMetrics", body,
                              {"Content-Type": "application/cbor"})
            self.assertEqual(s, 400, body)
            self.assertIn(b"SerializationException", b)
        s, h, b = request(c, "POST", path + "Nope", b"", {"Content-Type": "application/cbor"})
        self.assertEqual(s, 404)
        # X-Ray REST-JSON: a bad body is a JSON error, whether or not the trace ops are in
        s, h, b = request(c, "POST", "/TraceSegments", b"[1", {"Content-Type": "application/json"})
        self.assertIn(s, (400, 404))
        self.assertIn("__type", json.loads(b))

    def test_non_loopback_needs_access_keys(self):
        p = subprocess.run([COLLECTOR, "--listen", "0.0.0.0:0", "--data-dir",
                            os.path.join(self.tmp, "d")], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("access_keys", p.stderr + p.stdout)


if __name__ == "__main__":
    import unittest
    unittest.main()
