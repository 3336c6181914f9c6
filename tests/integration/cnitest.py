# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the integration tests: run plugins as a runtime would,
create and remove network namespaces, inspect kernel state.

Nothing here touches the host namespace's own interfaces or ruleset: every
plugin that changes kernel state is run inside a namespace created by the test
("node" namespace standing in for the host, one per container).
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
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
               timeout=60, prefix=()):
    """Run `plugin` with CNI_* variables and `conf` (dict or str) on stdin.

    in_netns: name of a namespace (under /run/netns) to run the plugin in.
    unset: CNI_* variables to leave out entirely.
    prefix: a command the plugin's path and nothing else is appended to.
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
    cmd = list(prefix) + [plugin_path(plugin)]
    if in_netns:
        cmd = ["nsenter", "--net=/run/netns/" + in_netns, "--"] + cmd
    p = subprocess.run(cmd, input=data, capture_output=True, env=e, timeout=timeout)
    return Result(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


# `python3 -c _REAPER REPORT ARGV...`: become a subreaper (PR_SET_CHILD_SUBREAPER), run
# ARGV with this process's stdio, then wait for every process it left behind (they are
# re-parented here) and write their exit codes, as a JSON list, to REPORT. Its exit code is
# ARGV's.
_REAPER = r"""
import ctypes, json, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER): %s" % os.strerror(ctypes.get_errno()))
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
status = os.waitpid(pid, 0)[1]
left = []
while True:
    try:
        left.append(os.waitstatus_to_exitcode(os.waitpid(-1, 0)[1]))
    except ChildProcessError:
        break
with open(sys.argv[1], "w") as f:
    json.dump(left, f)
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
"""


def run_plugin_reaped(plugin, command, conf, **kw):
    """run_plugin() under a subreaper that also waits for every process the plugin leaves
    behind (a child finishing a kernel wait, say): returns (Result, exit codes of those
    processes), once all of them have ended; the timeout only bounds a hang."""
    fd, report = tempfile.mkstemp(prefix="cni-reaped-")
    os.close(fd)
    try:
        res = run_plugin(plugin, command, conf,
                         prefix=(sys.executable, "-c", _REAPER, report), **kw)
        with open(report) as f:
            text = f.read()
        return res, json.loads(text) if text else None
    finally:
        os.unlink(report)


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
    "tun": ["test -c /dev/net/tun", "ip tuntap add mode tap name kftap"],
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


# ---- reference helpers: what several tests compute as a runtime or the Go plugins do ------

# The reference plugins (Debian's Go ones); CNI_REFERENCE_BIN points elsewhere.
REFERENCE_BIN = os.environ.get("CNI_REFERENCE_BIN") or "/usr/lib/cni"


def ipam_plugin(name="host-local"):
    """The IPAM plugin `name` to delegate to: ours when built, else the reference's."""
    ours = plugin_path(name)
    return ours if os.path.exists(ours) else os.path.join(REFERENCE_BIN, name)


def plugin_dir(case, plugins=(), links=None):
    """A CNI_PATH directory for the test `case` (removed at its cleanup) holding our `plugins`
    and, from `links` ({name: path}), other executables under the names a config uses."""
    d = case.tmpdir()
    for p in plugins:
        os.symlink(plugin_path(p), os.path.join(d, p))
    for name, target in (links or {}).items():
        os.symlink(target, os.path.join(d, name))
    return d


def run_reference(plugin, command, conf, cid, netns, node=None, ifname="eth0"):
    """Run the reference plugin `plugin` (inside the namespace named `node`, if any), its
    CNI_PATH the reference's directory."""
    return run_plugin(os.path.join(REFERENCE_BIN, plugin), command, conf, containerid=cid,
                      netns=netns, ifname=ifname, path=REFERENCE_BIN, in_netns=node)


def prev_result(ips, sandbox="/x", ifname="eth0", host=("br0",), version="1.0.0", macs=None):
    """A main plugin's result as a runtime hands it to the next plugin of a chain, in CNI
    `version`: the host-side interfaces named in `host`, then `ifname` inside `sandbox`,
    every address of `ips` on that container interface. ips: "address/len" or
    ("address/len", "gateway") items; macs: the interfaces' MACs in the same order, or None.
    Before 0.3.0 a result has no interfaces: its first IPv4 and first IPv6 address."""
    ips = [(ip, None) if isinstance(ip, str) else tuple(ip) for ip in ips]
    if version in ("0.1.0", "0.2.0"):
        res = {"cniVersion": version}
        for addr, gw in ips:
            key = "ip6" if ":" in addr else "ip4"
            if key not in res:
                res[key] = {"ip": addr}
                if gw:
                    res[key]["gateway"] = gw
        return res
    names = list(host) + [ifname]
    interfaces = []
    for i, name in enumerate(names):
        itf = {"name": name}
        if macs:
            itf["mac"] = macs[i]
        if i == len(host):
            itf["sandbox"] = sandbox
        interfaces.append(itf)
    entries = []
    for addr, gw in ips:
        e = {"address": addr}
        if gw:
            e["gateway"] = gw
        e["interface"] = len(host)
        if version.startswith("0."):
            e["version"] = "6" if ":" in addr else "4"
        entries.append(e)
    return {"cniVersion": version, "interfaces": interfaces, "ips": entries}


def ref_hash(text, digits):
    """The first `digits` hex digits of the SHA-512 of text: how the reference plugins derive
    names and comments from networks, interfaces and container IDs."""
    return hashlib.sha512(text.encode()).hexdigest()[:digits]


def masq_comment(net, ifname, cid):
    """The comment of bridge's ipMasq rules (nftables), cut to nft's 128 bytes."""
    c = "%s-%s, net: %s, if: %s, id: %s" % (ref_hash(net, 16), ref_hash(ifname + ":" + cid, 16),
                                            net, ifname, cid)
    return c[:128]


def spoofchk_id(cid, ifname="eth0"):
    """The <id> of bridge's macspoofchk names: the reference's where the comment fits."""
    ref = "%s-%s" % (cid, ifname)
    if len("macspoofchk-" + ref) <= 128:
        return ref
    return "%s-%s" % (cid[:64], ref_hash(ref, 16))


def ifb_name(net, cid):
    """The ifb device bandwidth creates for the container `cid` of network `net`."""
    return "bwp" + ref_hash(net + cid, 12)


def cnitool_container_id(netns):
    """The container ID cnitool derives from a namespace path."""
    return "cnitool-" + ref_hash(netns, 20)


def iptables_save(ns):
    """Both families' iptables-nft-save in namespace `ns`, without its comment lines."""
    out = ns.sh("iptables-nft-save; echo ===; ip6tables-nft-save")
    return "\n".join(l for l in out.splitlines() if not l.startswith("#"))


def require(case, plugins=(), tools=()):
    """Skip the test `case` unless our `plugins` are built and the command-line `tools` are
    installed; the reason names what is missing."""
    missing = ["bin/" + p for p in plugins if not os.path.exists(plugin_path(p))]
    if missing:
        case.skipTest("not built: %s" % ", ".join(missing))
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        case.skipTest("missing tools: %s" % " ".join(missing))


def run_cnitool(args, env=None, in_netns=None, prefix=(), timeout=60):
    """Run bin/cnitool with `args` as an operator would: without this process's CNI_*,
    CAP_ARGS and NETCONFPATH variables, with `env` added, inside the namespace named in_netns
    (if any), under the command `prefix` (strace ...) if any. Returns the finished process,
    its output as text."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CNI_") and k not in ("CAP_ARGS", "NETCONFPATH")}
    e.update(env or {})
    cmd = list(prefix) + [plugin_path("cnitool")] + list(args)
    if in_netns:
        cmd = ["nsenter", "--net=/run/netns/" + in_netns, "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)


def ipam_reservations(d):
    """The addresses host-local has reserved in its network directory d, sorted."""
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if not f.startswith(("lock", "last_reserved", ".")))



def wait_for(cond, what, timeout=60):
    """Poll cond() until it returns a true value, and return that value. The deadline only
    bounds a hang (the test fails naming `what`); it never decides a result that works."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s: not so after %d s" % (what, timeout))
        time.sleep(0.02)


def socat_serve(case, ns, spec, reply):
    """Start socat with the listening address `spec` ("TCP4-LISTEN:80,..." or
    "UDP6-RECVFROM:53,..." style) in namespace ns, answering each client with the line
    `reply`, and return once its socket is bound; the test `case` kills it at its cleanup."""
    # The reply follows the request line read: the request is never written to a command
    # that already exited (which made socat end without sending the reply).
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, "socat", spec,
                          "SYSTEM:read -r line; echo %s" % reply],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def stop():
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    case.addCleanup(stop)
    kind, port = spec.split(",")[0].split(":")[:2]
    ss = ["ip", "netns", "exec", ns.name, "ss", "-Hln", "-" + kind[3],
          "-u" if kind.startswith("UDP") else "-t", "sport = :%s" % port]

    def bound():
        if p.poll() is not None:
            raise AssertionError("socat %s in %s exited with %d" % (spec, ns.name, p.returncode))
        return subprocess.run(ss, capture_output=True, text=True).stdout.strip()
    wait_for(bound, "socat %s listening in %s" % (spec, ns.name))
    return p


# Run in the client's namespace: connect to argv[1] ("TCP4:ip:port", "TCP6:[ip]:port",
# "UDP4:ip:port"), send a line, print the answer. Exit 1 when refused or closed without an
# answer, 2 when nothing came in argv[2] s.
_REQUEST = """
import socket, sys
kind, addr = sys.argv[1].split(",")[0].split(":", 1)
host, port = addr.rsplit(":", 1)
s = socket.socket(socket.AF_INET6 if kind.endswith("6") else socket.AF_INET,
                  socket.SOCK_DGRAM if kind.startswith("UDP") else socket.SOCK_STREAM)
s.settimeout(float(sys.argv[2]))
data = b""
try:
    s.connect((host.strip("[]"), int(port)))
    s.send(b"x\\n")
    while not data.endswith(b"\\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (ConnectionRefusedError, ConnectionResetError):
    pass
except socket.timeout:
    sys.exit(2)
sys.stdout.write(data.decode())
sys.exit(0 if data else 1)
"""


def socat_request(ns, target, timeout=30):
    """Connect from namespace ns to `target` ("TCP4:ip:port" style, as socat spells it) and
    return the line answered, or '' when the connection is refused or closed unanswered, or
    nothing answers in `timeout` seconds (a bound on a hang: a refusal ends it at once)."""
    p = subprocess.run(["ip", "netns", "exec", ns.name, "python3", "-c", _REQUEST, target,
                        str(timeout)], capture_output=True, text=True, timeout=timeout + 30)
    return p.stdout.strip()
