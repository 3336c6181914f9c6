# SPDX-License-Identifier: Apache-2.0
"""containerd 1.6 (Debian's, with runc) as the CNI client of our plugins.

Each test starts containerd inside a namespace standing in for the node, in a
private mount namespace (tests/integration/cri/containerd.py), with our bin/
as its only CNI bin directory and test-configs/10-containerd-net.conflist as
its only network. The image is an OCI archive built here from busybox-static
and imported; nothing is pulled. The node has an uplink to an "outside"
namespace (192.0.2.254, 2001:db8:1::254) that runs echo servers printing the
peer address they see, so masquerading is visible.

* `ctr run --cni`: the task gets eth0 with an address from each range, is
  reachable from the node, reaches outside masqueraded as the node; when the
  task is killed, ctr sends DEL with an empty CNI_NETNS, and nothing is left.
* The CRI plugin, through the minimal client in cri/: RunPodSandbox with
  hostPorts (one bound to a hostIP) and K8S_POD_* in CNI_ARGS (seen in the
  plugins' execve), PodSandboxStatus IPs, the hostPort from outside, from the
  node's own address, from 127.0.0.1, over IPv6 and from another pod;
  StopPodSandbox twice, a containerd restart then StopPodSandbox,
  RemovePodSandbox, and nothing left.
"""
import ipaddress
import json
import os
import re
import signal
import subprocess
import unittest

import cnitest
from cnitest import BIN, CNITestCase, sh
from cri import image
from cri.containerd import Containerd, grpc_python, missing_tools

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "test-configs", "10-containerd-net.conflist")
NET = "containerd-net"
IMAGE = image.DEFAULT_NAME
NODE4, NODE6 = "192.0.2.1", "2001:db8:1::1"
OUT4, OUT6 = "192.0.2.254", "2001:db8:1::254"
ECHO4, ECHO6 = 9000, 9001
INDEX = "hello from a pod on cni-c\n"
APT = "apt-get install -y containerd runc busybox-static python3-grpcio python3-grpc-tools"


def strace_env(text, binary):
    """The environment of every execve of `binary` in strace -v output, as dicts."""
    envs = []
    for line in text.splitlines():
        m = re.search(r'execve\("([^"]*)", \[.*?\], \[(.*)\]', line)
        if not m or os.path.basename(m.group(1)) != binary:
            continue
        env = {}
        for kv in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)):
            k, _, v = kv.partition("=")
            env[k] = v
        envs.append(env)
    return envs


class ContainerdTestCase(CNITestCase):
    """A node namespace with an uplink to outside, and a containerd in the node."""

    needs_netns = True
    needs_cri = False

    def setUp(self):
        super().setUp()
        missing = missing_tools() + [t for t in ("strace", "socat", "curl", "nft")
                                     if not subprocess.run(["sh", "-c", "command -v " + t],
                                                           capture_output=True).returncode == 0]
        if not image.busybox_available():
            missing.append("busybox-static")
        self.python = grpc_python()
        if self.needs_cri and self.python is None:
            missing.append("python3-grpcio/python3-grpc-tools")
        if missing:
            self.skipTest("containerd cannot run here: missing %s (install with: %s)" % (
                ", ".join(missing), APT))
        for b in ("bridge", "host-local", "portmap", "loopback"):
            if not os.path.exists(os.path.join(BIN, b)):
                self.skipTest("bin/%s is not built yet" % b)
        self.t = self.tmpdir()
        self.node = self.netns("cnictd-node")
        self.outside = self.netns("cnictd-out")
        self.node.sh("ip link add eth0 type veth peer name eth0 netns %s && "
                     "ip addr add %s/24 dev eth0 && ip addr add %s/64 dev eth0 nodad && "
                     "ip link set eth0 up" % (self.outside.name, NODE4, NODE6))
        self.outside.sh("ip addr add %s/24 dev eth0 && ip addr add %s/64 dev eth0 nodad && "
                        "ip link set eth0 up" % (OUT4, OUT6))
        self.procs = []
        self.addCleanup(self.stop_procs)
        self.start_echo_servers()
        archive = image.build_archive(os.path.join(self.t, "image.tar"), self.t,
                                      index_html=INDEX)
        self.ctd = Containerd(self.node.name, os.path.join(self.t, "ctd"), BIN, [CONFIG],
                              python=self.python)
        self.addCleanup(self.ctd.close)
        self.ctd.start()
        self.ctd.import_image(archive, "k8s.io" if self.needs_cri else "default")

    # ---- helpers ------------------------------------------------------------

    def spawn(self, cmd, out=None, **kw):
        p = subprocess.Popen(cmd, stdout=out or subprocess.DEVNULL,
                             stderr=subprocess.STDOUT if out else subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def stop_procs(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
            p.wait()

    def start_echo_servers(self):
        """Outside: TCP servers that print the address the connection came from."""
        for listen in ("TCP4-LISTEN:%d,bind=%s" % (ECHO4, OUT4),
                       "TCP6-LISTEN:%d,bind=[%s]" % (ECHO6, OUT6)):
            self.spawn(["nsenter", "--net=" + self.outside.path, "--", "socat",
                        listen + ",reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR"])
        for port in (ECHO4, ECHO6):
            self.wait_listening(self.outside.path, port)

    def wait_for(self, fn, what, timeout=60):
        return cnitest.wait_for(fn, what, timeout)

    def wait_listening(self, path, port):
        """Wait until a TCP socket listens on port in the netns at path."""
        self.wait_for(lambda: self.in_netns(path, "ss -Hltn sport = :%d" % port).strip(),
                      "a server listening on port %d in %s" % (port, path))

    def in_netns(self, path, cmd, check=False, timeout=30):
        return sh("nsenter --net=%s -- sh -c '%s'" % (path, cmd), check=check, timeout=timeout)

    def curl(self, path, url):
        """Fetch url from the netns at path: '' when refused (the bound is for a hang)."""
        return self.in_netns(path, "curl -s -g -m 30 %s" % url, timeout=60)

    def curl_ok(self, path, url, want=INDEX):
        """Fetch url from the netns at path, whose server is known to listen."""
        self.assertEqual(self.curl(path, url), want, "fetching %s" % url)

    def echo_peer(self, path, family):
        """The source address outside sees for a connection from the netns at path."""
        target = "%s:%d" % (OUT4, ECHO4) if family == 4 else "[%s]:%d" % (OUT6, ECHO6)
        # The server answers and closes; -t keeps socat reading after its own input ends.
        out = self.in_netns(path, "socat -t30 -T30 - TCP:%s </dev/null" % target,
                            timeout=60).strip()
        # socat's SOCAT_PEERADDR: IPv6 in brackets and in full form.
        try:
            return str(ipaddress.ip_address(out.strip("[]")))
        except ValueError:
            return out

    def eth0_addrs(self, path):
        links = json.loads(self.in_netns(path, "ip -j addr show dev eth0", check=True))
        return {a["family"]: a["local"] for a in links[0]["addr_info"]
                if a.get("scope") == "global"}

    def veths(self):
        return [l["ifname"] for l in self.node.json("ip -j link show type veth")
                if l["ifname"] != "eth0"]

    def reservations(self):
        return cnitest.ipam_reservations(self.ctd.root("/var/lib/cni/networks/" + NET))

    def cache_entries(self):
        d = self.ctd.root("/var/lib/cni/results")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def strace(self, pid, out):
        """Trace the execve calls of pid's children (environment included), detaching
        each child at its execve so the plugins themselves run untraced."""
        p = self.spawn(["strace", "-f", "-b", "execve", "-e", "trace=execve", "-v", "-s",
                        "4096", "-qq", "-o", out, "-p", str(pid)])

        def attached():
            try:
                tids = os.listdir("/proc/%d/task" % pid)
                for tid in tids:
                    with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                        if "TracerPid:\t%d\n" % p.pid not in f.read():
                            return False
            except OSError:
                return False
            return True
        self.wait_for(attached, "strace to attach to %d" % pid)
        return p

    def assert_only_our_plugins(self, cni_path):
        """CNI_PATH starts with /opt/cni/bin (our bin/) and every other directory in it
        is empty inside containerd's mount namespace."""
        dirs = (cni_path or "").split(":")
        self.assertEqual(dirs[0], "/opt/cni/bin", cni_path)
        self.assertEqual(os.stat(self.ctd.root("/opt/cni/bin")).st_ino,
                         os.stat(BIN).st_ino)
        for d in dirs[1:]:
            inside = self.ctd.root(d)
            self.assertEqual(os.listdir(inside) if os.path.isdir(inside) else [], [],
                             "%s holds plugins of its own" % d)

    def assert_nothing_left(self, ids, ips):
        self.assertEqual(self.veths(), [])
        self.assertEqual(self.reservations(), [])
        self.assertEqual(self.cache_entries(), [])
        rules = self.node.sh("nft list ruleset")
        for x in list(ids) + list(ips):
            self.assertNotIn(x, rules)


class CtrTest(ContainerdTestCase):
    """`ctr run --cni`: go-cni inside ctr runs our plugins from /opt/cni/bin."""

    def task_pid(self, name):
        p = self.ctd.ctr("tasks", "ls", check=False)
        for line in p.stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3 and f[0] == name and f[2] == "RUNNING":
                return int(f[1])
        return None

    def test_ctr_run_cni(self):
        log = open(os.path.join(self.t, "ctr-run.log"), "wb")
        self.addCleanup(log.close)
        run = self.spawn(self.ctd.ctr_cmd("run", "--cni", "--rm", "--cgroup",
                                          "/%s/web1" % self.ctd.cgroup_parent, IMAGE, "web1",
                                          "httpd", "-f", "-p", "80", "-h", "/www"), out=log)
        pid = self.wait_for(lambda: self.task_pid("web1"), "the task to run")
        netns = "/proc/%d/ns/net" % pid
        self.wait_listening(netns, 80)

        # Our bridge and host-local gave the task an address from each range...
        addrs = self.eth0_addrs(netns)
        self.assertTrue(addrs.get("inet", "").startswith("10.88."), addrs)
        self.assertTrue(addrs.get("inet6", "").startswith("fd88:0:0:1::"), addrs)
        ip4, ip6 = addrs["inet"], addrs["inet6"]
        self.assertEqual(self.reservations(), sorted([ip4, ip6]))
        # ...and go-cni (inside ctr) cached the result under its "<namespace>-<id>" ID.
        self.assertEqual(self.cache_entries(), ["%s-default-web1-eth0" % NET])
        with open(os.path.join(self.ctd.root("/var/lib/cni/results"),
                               "%s-default-web1-eth0" % NET)) as f:
            cached = json.load(f)
        self.assertEqual(cached["containerId"], "default-web1")
        self.assertEqual(sorted(i["address"].split("/")[0] for i in cached["result"]["ips"]),
                         sorted([ip4, ip6]))
        self.assertEqual(len(self.veths()), 1)

        # Reachable from the node over both families.
        self.curl_ok(self.node.path, "http://%s/" % ip4)
        self.curl_ok(self.node.path, "http://[%s]/" % ip6)
        # Egress to outside is masqueraded as the node's uplink address.
        self.assertEqual(self.echo_peer(netns, 4), NODE4)
        self.assertEqual(self.echo_peer(netns, 6), NODE6)
        masq = self.node.sh("nft list ruleset")
        self.assertIn(ip4, masq)

        # Kill the task: ctr's deferred cleanup sends DEL with an empty CNI_NETNS.
        trace = os.path.join(self.t, "ctr.strace")
        tracer = self.strace(run.pid, trace)
        self.ctd.ctr("tasks", "kill", "-s", "SIGKILL", "web1")
        try:
            run.wait(30)
        except subprocess.TimeoutExpired:
            self.fail("ctr run did not return after its task was killed")
        tracer.wait(10)
        with open(trace) as f:
            text = f.read()
        dels = [e for b in ("bridge", "portmap") for e in strace_env(text, b)]
        self.assertEqual(len(dels), 2, text[-2000:])
        for env in dels:
            self.assertEqual(env.get("CNI_COMMAND"), "DEL")
            self.assertEqual(env.get("CNI_NETNS"), "")
            self.assertEqual(env.get("CNI_CONTAINERID"), "default-web1")
            self.assert_only_our_plugins(env.get("CNI_PATH"))

        self.assert_nothing_left(["default-web1"], [ip4, ip6])
        self.assertEqual(self.ctd.ctr("containers", "ls", "-q").stdout.strip(), "")


class CRITest(ContainerdTestCase):
    """The CRI plugin of containerd, driven as the kubelet drives it."""

    needs_cri = True

    def test_cri_pod_lifecycle(self):
        ctd = self.ctd
        ver = ctd.cri("Version", {"version": "v1"})
        self.assertEqual(ver["runtime_name"], "containerd")

        # ---- RunPodSandbox with hostPorts, the plugins' execve traced --------------
        maps = [{"protocol": "TCP", "container_port": 80, "host_port": 18080},
                {"protocol": "TCP", "container_port": 80, "host_port": 18081,
                 "host_ip": NODE4}]
        web_conf = ctd.pod_config("web", uid="uid-web-1", port_mappings=maps)
        trace = os.path.join(self.t, "containerd.strace")
        tracer = self.strace(ctd.pid, trace)
        web = ctd.run_pod(web_conf)
        tracer.send_signal(signal.SIGTERM)
        tracer.wait(10)
        with open(trace) as f:
            text = f.read()
        for plugin in ("loopback", "bridge", "portmap"):
            envs = strace_env(text, plugin)
            self.assertEqual(len(envs), 1, "%s: %r" % (plugin, envs))
            env = envs[0]
            self.assertEqual(env["CNI_COMMAND"], "ADD")
            self.assertEqual(env["CNI_CONTAINERID"], web)
            self.assert_only_our_plugins(env["CNI_PATH"])
            args = dict(kv.split("=", 1) for kv in env["CNI_ARGS"].split(";"))
            self.assertEqual(args, {"IgnoreUnknown": "1", "K8S_POD_NAMESPACE": "cnitest",
                                    "K8S_POD_NAME": "web", "K8S_POD_UID": "uid-web-1",
                                    "K8S_POD_INFRA_CONTAINER_ID": web})

        # ---- PodSandboxStatus: the IPs our plugins returned --------------------------
        status, info = ctd.pod_status(web)
        self.assertEqual(status["state"], "SANDBOX_READY")
        web_ns = ctd.pod_netns(web)
        self.wait_listening(web_ns, 80)
        addrs = self.eth0_addrs(web_ns)
        ip4, ip6 = addrs["inet"], addrs["inet6"]
        self.assertTrue(ip4.startswith("10.88."), addrs)
        self.assertEqual(status["network"]["ip"], ip4)
        self.assertEqual([i["ip"] for i in status["network"]["additional_ips"]], [ip6])
        # containerd's own record of what the plugins returned.
        cni_ips = [c["IP"] for c in info["cniResult"]["Interfaces"]["eth0"]["IPConfigs"]]
        self.assertEqual(sorted(cni_ips), sorted([ip4, ip6]))
        rules = self.node.sh("nft list chain ip cni_hostport hostports")
        self.assertIn(web, rules)
        self.assertIn("dnat to %s:80" % ip4, rules)

        # ---- a second pod, no hostPorts ----------------------------------------------
        client = ctd.run_pod(ctd.pod_config("client", uid="uid-client-1"))
        client_ns = ctd.pod_netns(client)
        c_addrs = self.eth0_addrs(client_ns)
        self.assertEqual(len(self.veths()), 2)
        self.assertEqual(self.reservations(), sorted([ip4, ip6, c_addrs["inet"],
                                                      c_addrs["inet6"]]))
        self.assertEqual(len(self.cache_entries()), 4)  # eth0 and lo of each pod

        # ---- the hostPort from everywhere ---------------------------------------------
        out = self.outside.path
        self.curl_ok(out, "http://%s:18080/" % NODE4)
        self.curl_ok(out, "http://%s:18081/" % NODE4)
        self.curl_ok(out, "http://[%s]:18080/" % NODE6)
        self.curl_ok(self.node.path, "http://%s:18080/" % NODE4)
        self.curl_ok(self.node.path, "http://127.0.0.1:18080/")
        self.curl_ok(self.node.path, "http://[%s]:18080/" % NODE6)
        self.curl_ok(client_ns, "http://%s:18080/" % NODE4)
        self.curl_ok(client_ns, "http://%s:18081/" % NODE4)
        # The hostIP-bound port answers on that address only.
        self.assertEqual(self.curl(self.node.path, "http://127.0.0.1:18081/"), "")
        # Pod egress is masqueraded as the node.
        self.assertEqual(self.echo_peer(client_ns, 4), NODE4)
        self.assertEqual(self.echo_peer(client_ns, 6), NODE6)

        # ---- StopPodSandbox, twice ----------------------------------------------------
        ctd.cri("StopPodSandbox", {"pod_sandbox_id": web})
        ctd.cri("StopPodSandbox", {"pod_sandbox_id": web})
        status, _ = ctd.pod_status(web)
        self.assertEqual(status["state"], "SANDBOX_NOTREADY")
        self.assertEqual(len(self.veths()), 1)
        self.assertEqual(self.reservations(), sorted([c_addrs["inet"], c_addrs["inet6"]]))
        self.assertNotIn(web, self.node.sh("nft list ruleset"))
        self.assertEqual(self.curl(out, "http://%s:18080/" % NODE4), "")

        # ---- containerd restarts; the other pod is stopped by the new one ------------
        ctd.restart()
        status, _ = ctd.pod_status(client)
        self.assertEqual(status["state"], "SANDBOX_READY")
        ctd.cri("StopPodSandbox", {"pod_sandbox_id": client})
        self.assertEqual(self.veths(), [])
        ctd.cri("StopPodSandbox", {"pod_sandbox_id": web})  # already stopped before the restart
        ctd.cri("RemovePodSandbox", {"pod_sandbox_id": client})
        ctd.cri("RemovePodSandbox", {"pod_sandbox_id": web})
        self.assertEqual(ctd.cri("ListPodSandbox", {}).get("items", []), [])

        self.assert_nothing_left([web, client], [ip4, ip6, c_addrs["inet"], c_addrs["inet6"]])
        netns_dir = ctd.root("/run/netns")
        self.assertEqual(os.listdir(netns_dir) if os.path.isdir(netns_dir) else [], [])


if __name__ == "__main__":
    unittest.main()
