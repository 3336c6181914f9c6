# SPDX-License-Identifier: Apache-2.0
"""`make demo-cluster` as a test: demo/cluster.sh against the built binaries.

The demo checks every step itself (it exits non-zero on the first one that
does not hold); this test runs it through containerd's CRI where containerd
can run here, and once more through cnitool, and checks what it promises the
machine: the host namespace's links, routes and ruleset, the list of network
namespaces (of the demo's prefix) and the cgroups are as they were.
"""
import os
import re
import subprocess
import unittest

from cnitest import BIN, CNITestCase, sh
from cri import image
from cri.containerd import grpc_python, missing_tools

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "demo", "cluster.sh")


def host_state():
    """What the demo must leave as it found it."""
    cgroups = sorted(d for c in os.listdir("/sys/fs/cgroup")
                     if os.path.isdir(os.path.join("/sys/fs/cgroup", c))
                     for d in os.listdir(os.path.join("/sys/fs/cgroup", c))
                     if d.startswith("cnidemo-"))
    return {
        "links": sh("ip -o link show | sed 's/^[0-9]*: //' | cut -d: -f1"),
        "routes": sh("ip route show table all"),
        "ruleset": sh("nft list ruleset"),
        "netns": sorted(l.split()[0] for l in sh("ip netns list").splitlines()
                        if l.startswith("ccl-")),
        "cgroups": cgroups,
    }


class DemoClusterTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        missing = [b for b in ("cnitool", "bridge", "host-local", "portmap", "loopback",
                               "bandwidth", "tuning")
                   if not os.path.exists(os.path.join(BIN, b))]
        if missing:
            self.skipTest("not built yet: %s" % ", ".join("bin/" + m for m in missing))
        for tool in ("busybox", "socat", "curl", "nft", "tc"):
            if subprocess.run(["sh", "-c", "command -v " + tool],
                              capture_output=True).returncode != 0:
                self.skipTest("the demo needs '%s' (make deps)" % tool)

    def run_demo(self, mode):
        before = host_state()
        env = dict(os.environ, BIN=BIN, DEMO_NO_BUILD="1", CLUSTER_MODE=mode)
        p = subprocess.run(["bash", SCRIPT], capture_output=True, text=True, env=env,
                           timeout=300)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, "demo failed:\n" + out[-4000:])
        self.assertIn("Cluster demo complete (%s)" % mode, out)
        self.assertEqual(host_state(), before)
        return out

    def test_cluster_demo_cri(self):
        """Pods through containerd's CRI on each of the three nodes."""
        missing = missing_tools()
        if not image.busybox_available():
            missing.append("busybox-static")
        if grpc_python() is None:
            missing.append("python3-grpcio/python3-grpc-tools")
        if missing or not os.path.isdir("/etc/cni"):
            self.skipTest("containerd cannot run here: missing %s" % (
                ", ".join(missing) or "/etc/cni"))
        out = self.run_demo("cri")
        self.assertIn("pods go through containerd's CRI on every node", out)
        # Each step the demo promises.
        steps = re.findall(r"^== \d+\. (.*)$", out, re.M)
        for want in ("Routes between the podCIDRs", "Start containerd on every node",
                     "Pod to pod across nodes", "hostPort 8080 on node2",
                     "Egress to outside is masqueraded", "Per-pod shaping",
                     "Drain every node", "Nothing is left on any node"):
            self.assertTrue(any(s.startswith(want) for s in steps), (want, steps))
        self.assertIn("hello from web-2, you came from", out)
        self.assertIn("rate 10Mbit", out)

    def test_cluster_demo_cnitool(self):
        """The same cluster with pods attached through bin/cnitool."""
        out = self.run_demo("cnitool")
        self.assertIn("pods go through bin/cnitool on every node", out)
        self.assertIn("rate 10Mbit", out)


if __name__ == "__main__":
    unittest.main()
