#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Captures the datagrams a real collectd (Debian 12's collectd-core 5.12) sends with its network
# plugin, for the fixtures of tests/unit/test_collectd_proto.c. It starts collectd in the
# foreground with a small configuration (1 s interval, load/memory/cpu/uptime/users/interface lo)
# that sends to a UDP socket on 127.0.0.1 at the given security level, and stores the first
# `count` datagrams as <prefix>-<n>.bin. Usage:
#   capture.py none|sign|encrypt <outdir> [count]
# Sign and encrypt use user "stratus" with password "fixture-secret" (see auth_file).
import os
import socket
import subprocess
import sys
import tempfile

CONF = """\
Hostname "fixture-host"
FQDNLookup false
Interval 1
BaseDir "{tmp}"
PIDFile "{tmp}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "{tmp}/collectd.log"
</Plugin>
LoadPlugin load
LoadPlugin memory
LoadPlugin cpu
LoadPlugin uptime
LoadPlugin users
LoadPlugin interface
<Plugin interface>
  Interface "lo"
</Plugin>
LoadPlugin network
<Plugin network>
  <Server "127.0.0.1" "{port}">
{security}
  </Server>
</Plugin>
"""

SECURITY = {
    "none": '    SecurityLevel "None"',
    "sign": '    SecurityLevel "Sign"\n    Username "stratus"\n    Password "fixture-secret"',
    "encrypt": '    SecurityLevel "Encrypt"\n    Username "stratus"\n    Password "fixture-secret"',
}


def main():
    level, outdir = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(30)
    port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "collectd.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(tmp=tmp, port=port, security=SECURITY[level]))
        proc = subprocess.Popen(["collectd", "-f", "-C", conf])
        try:
            for n in range(count):
                data, _ = sock.recvfrom(65536)
                path = os.path.join(outdir, "%s-%d.bin" % (level, n))
                with open(path, "wb") as f:
                    f.write(data)
                print(path, len(data))
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
