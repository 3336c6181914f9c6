# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the integration tests: run plugins as a runtime would,
create and remove network namespaces, inspect kernel state.

Nothing here touches the host namespace's own interfaces or ruleset: every
plugin that changes kernel state is run inside a namespace created by the test
("node" namespace standing in for the host, one per container).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

BIN = os.environ.get("CNI_TEST_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin")


def plugin_path(name):
    return os.path.join(BIN, name)


class Result:
    """Outcome of one plugin run."""

    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        try:
            self.json = json.loads(stdout) if stdout.strip() else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "Result(rc=%d, stdout=%r, stderr=%r)" % (self.rc, self.stdout, self.stderr)


def run_plugin(plugin, command, conf, containerid="testcid", netns="/var/run/netns/none",
               ifname="eth0", args=None, path=None, env=None, in_netns=None, unset=(),
               timeout=60):
    """Run `plugin` with CNI_* variables and `conf` (dict or str) on stdin.

    in_netns: name of a namespace (under /run/netns) to run the plugin in.
    unset: CNI_* variables to leave out entirely.
    """
    keep = ("CNI_PORTMAP_STATE_DIR", "CNI_TEST_BIN")
    e = {k: v for k, v in os.environ.items() if not k.startswith("CNI_") or k in keep}
    e.update({
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": containerid,
        "CNI_NETNS": netns,
        "CNI_IFNAME": ifname,
        "CNI_PATH": path if path is not None else BIN,
    })
    if args is not None:
        e["CNI_ARGS"] = args
    if env:
        e.update(env)
    for k in unset:
        e.pop(k, None)
    data = conf if isinstance(conf, (str, bytes)) else json.dumps(conf)
    if isinstance(data, str):
        data = data.encode()
    cmd = [plugin_path(plugin)]
    if in_netns:
        cmd = ["nsenter", "--net=/run/netns/" + in_netns, "--"] + cmd
    p = subprocess.run(cmd, input=data, capture_output=True, env=e, timeout=timeout)
    return Result(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def sh(cmd, check=True, in_netns=None, input=None, timeout=60):
    """Run a shell command (optionally inside a named netns); returns stdout."""
    if in_netns:
        cmd = "nsenter --net=/run/netns/%s -- sh -c %s" % (in_netns, shquote(cmd))
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, input=input,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("command failed (%d): %s\n%s%s" % (p.returncode, cmd, p.stdout, p.stderr))
    return p.stdout


def shquote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def sh_json(cmd, in_netns=None):
    out = sh(cmd, in_netns=in_netns)
    return json.loads(out) if out.strip() else []


_netns_ok = None


def netns_supported():
    """True when this process may create network namespaces."""
    global _netns_ok
    if _netns_ok is None:
        name = "cnitest-probe-" + uuid.uuid4().hex[:8]
        p = subprocess.run(["ip", "netns", "add", name], capture_output=True)
        _netns_ok = p.returncode == 0
        if _netns_ok:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return _netns_ok


# Kernel features a test may need, each probed by creating one in a scratch namespace
# (the commands run there in order; the last one creates the feature). A parent link for
# the features that need one is a veth, which every kernel the tests run on has.
_PARENT = "ip link add kfp0 type veth peer name kfp1"
KERNEL_FEATURES = {
    "bridge vlan_filtering": ["ip link add kfbr type bridge vlan_filtering 1"],
    "802.1Q vlan": [_PARENT, "ip link add link kfp0 name kfvl type vlan id 10"],
    "dummy": ["ip link add kfdm type dummy"],
    "ipvlan": [_PARENT, "ip link add link kfp0 name kfiv type ipvlan mode l2"],
    "macvlan": [_PARENT, "ip link add link kfp0 name kfmv type macvlan mode bridge"],
    "vrf": ["ip link add kfvrf type vrf table 1001"],
}
_kernel_probe = {}

# Set (by make check-vm, in its guest) when the kernel must have what the tests need:
# a test that would skip for a kernel reason fails instead.
KERNEL_REQUIRED = os.environ.get("CNI_TEST_KERNEL_REQUIRED") == "1"


def kernel_lacks(feature):
    """None when the kernel has `feature` (a KERNEL_FEATURES key), else why not.

    Probed once per process in a namespace of its own (unshare -n), so nothing is created
    anywhere else."""
    if feature not in _kernel_probe:
        script = " && ".join(KERNEL_FEATURES[feature])
        p = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                           text=True)
        _kernel_probe[feature] = None if p.returncode == 0 else "%s: %s" % (
            KERNEL_FEATURES[feature][-1], (p.stderr or p.stdout).strip() or "failed")
    return _kernel_probe[feature]


def require_kernel(test, *features, what=""):
    """Skip `test` (a TestCase) with the reason when the kernel lacks one of `features`;
    fail it instead where the run requires them (CNI_TEST_KERNEL_REQUIRED=1)."""
    missing = [(f, kernel_lacks(f)) for f in features if kernel_lacks(f)]
    if not missing:
        return
    msg = "kernel lacks %s (%s)%s" % (
        ", ".join(f for f, _ in missing), "; ".join(r for _, r in missing),
        ": " + what if what else "")
    if KERNEL_REQUIRED:
        test.fail(msg + " [CNI_TEST_KERNEL_REQUIRED=1: a kernel skip is a failure]")
    test.skipTest(msg)


class Netns:
    """A named network namespace under /run/netns, removed by close()."""

    def __init__(self, prefix="cnit"):
        self.name = "%s-%s" % (prefix, uuid.uuid4().hex[:8])
        sh("ip netns add %s" % self.name)
        self.path = "/run/netns/" + self.name
        sh("ip link set lo up", in_netns=self.name)

    def sh(self, cmd, check=True, timeout=60):
        return sh(cmd, check=check, in_netns=self.name, timeout=timeout)

    def json(self, cmd):
        return sh_json(cmd, in_netns=self.name)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class CNITestCase(unittest.TestCase):
    """Base class: temp dirs and namespaces created here are always cleaned up."""

    needs_netns = False

    def setUp(self):
        if self.needs_netns and not netns_supported():
            self.skipTest("cannot create network namespaces here (needs root and netns support)")

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="cnitest-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def netns(self, prefix="cnit"):
        ns = Netns(prefix)
        self.addCleanup(ns.close)
        return ns

    def assertCNIError(self, res, code, msg_contains=None):
        """The run failed with exit 1 and printed a CNI error JSON with `code`."""
        self.assertNotEqual(res.rc, 0, "expected failure, got %r" % (res,))
        self.assertIsNotNone(res.json, "error output is not JSON: %r" % (res,))
        self.assertEqual(res.json.get("code"), code, "wrong code: %r" % (res,))
        if msg_contains is not None:
            text = res.json.get("msg", "") + " " + res.json.get("details", "")
            self.assertIn(msg_contains, text, "unexpected message: %r" % (res,))

    def assertOK(self, res):
        self.assertEqual(res.rc, 0, "plugin failed: %r" % (res,))
        return res.json
