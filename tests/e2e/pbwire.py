# SPDX-License-Identifier: MIT
"""A minimal protobuf wire encoder/decoder for the e2e tests, so they can build any request
(including ones the CLI refuses to send, such as NaN values) without generated Python code.
Field numbers follow proto/stratus.proto."""
import struct


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return key(field, 2) + varint(len(data)) + data


def f_int(field, n):
    return key(field, 0) + varint(n)


def f_double(field, x):
    return key(field, 1) + struct.pack("<d", x)


def f_packed_doubles(field, xs):
    return f_bytes(field, b"".join(struct.pack("<d", x) for x in xs))


def dimension(name, value):
    return f_bytes(1, name) + f_bytes(2, value)


def datum(name, dims=(), ts_ms=None, value=None, stats=None, values=None, counts=None,
          unit=None, resolution=None):
    out = f_bytes(1, name)
    for n, v in dims:
        out += f_bytes(2, dimension(n, v))
    if ts_ms is not None:
        out += f_int(3, ts_ms)
    if value is not None:
        out += f_double(4, value)
    if stats is not None:
        sc, s, mn, mx = stats
        out += f_bytes(5, f_double(1, sc) + f_double(2, s) + f_double(3, mn) + f_double(4, mx))
    if values is not None:
        out += f_packed_doubles(6, values)
    if counts is not None:
        out += f_packed_doubles(7, counts)
    if unit is not None:
        out += f_bytes(8, unit)
    if resolution is not None:
        out += f_int(9, resolution)
    return out


def put_request(namespace, datums):
    return f_bytes(1, namespace) + b"".join(f_bytes(2, d) for d in datums)


def list_request(namespace=None, next_token=None):
    out = b""
    if namespace is not None:
        out += f_bytes(1, namespace)
    if next_token is not None:
        out += f_bytes(4, next_token)
    return out


def decode(buf):
    """Decodes one message level into {field: [values]} (bytes for length-delimited)."""
    fields, i = {}, 0
    while i < len(buf):
        k, i = _varint(buf, i)
        field, wire = k >> 3, k & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = struct.unpack_from("<d", buf, i)[0], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        fields.setdefault(field, []).append(v)
    return fields


def _varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i
