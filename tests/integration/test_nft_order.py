# SPDX-License-Identifier: Apache-2.0
"""Order of the kernel work of DEL, seen with strace: the nftables deletion is committed
(its batch sent and acknowledged) before the command's other slow kernel work (bridge: the
container veth's removal and the IPAM release; portmap: the conntrack flush), and the
plugin's process never closes its netfilter sockets itself: the close waits for the
kernel's release of deleted rules (an RCU grace period), so the child the process starts at
its exit closes them (nl_close_detached()). The rules are gone when the plugin returns;
only that child and the one that finishes the veth's removal in the kernel (the link has
left its namespace by then) may outlive it. No timing is asserted: only the order of the
system calls, who makes them, and the resulting state."""
import json
import os
import re
import subprocess

import cnitest
from cnitest import CNITestCase, plugin_path, prev_result


def parse_trace(path):
    """The traced calls as (pid, text) lines, in order."""
    out = []
    with open(path) as f:
        for line in f:
            m = re.match(r"(\d+)\s+(.*)", line)
            if m:
                out.append((int(m.group(1)), m.group(2)))
    return out


class TestDelOrder(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("bridge", "host-local", "portmap"), tools=("strace",))
        self.node = self.netns("ordn")
        self.node.sh("ip link set lo up")

    def run_traced(self, plugin, command, conf, cid, netns, trace=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        env.update({"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": netns,
                    "CNI_IFNAME": "eth0", "CNI_PATH": os.path.dirname(plugin_path(plugin)),
                    "CNI_PORTMAP_STATE_DIR": self.state})
        cmd = [plugin_path(plugin)]
        if trace:
            # LeakSanitizer cannot work under ptrace (sanitizer builds)
            env["ASAN_OPTIONS"] = ":".join(
                x for x in (os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0") if x)
            cmd = ["strace", "-f", "-qq", "-o", trace, "-e",
                   "trace=socket,sendmsg,close,execve,exit_group"] + cmd
        cmd = ["nsenter", "--net=/run/netns/" + self.node.name, "--"] + cmd
        # run() returns once the plugin's stdout is closed: nothing may keep it open.
        p = subprocess.run(cmd, input=json.dumps(conf).encode(), capture_output=True,
                           env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p)
        return parse_trace(trace) if trace else None

    def closed_by_exit_child(self, calls, fd):
        """fd is closed by a child of the plugin that runs no program (the one its exit
        starts), never by the plugin's own process."""
        main = calls[0][0]
        execs = {pid for pid, t in calls if pid != main and t.startswith("execve(")}
        self.assertEqual([t for pid, t in calls if pid == main and t.startswith("close(%s)" % fd)],
                         [], "the plugin closed its netfilter socket %s itself" % fd)
        self.assertTrue([t for pid, t in calls if pid != main and pid not in execs and
                         t.startswith("close(%s)" % fd)],
                        "no child of the plugin closed its netfilter socket %s" % fd)

    def nft_fd_events(self, calls):
        """The calls of the traced plugin's own process, and the index among them of its
        netfilter socket's BATCH_BEGIN; that socket is closed by the child of its exit."""
        main = calls[0][0]
        own = [t for pid, t in calls if pid == main]
        fd = batch = None
        for i, t in enumerate(own):
            m = re.match(r"socket\(AF_NETLINK, .*NETLINK_NETFILTER\) = (\d+)", t)
            if m and fd is None:
                fd = m.group(1)
            elif fd and batch is None and t.startswith("sendmsg(%s," % fd) and \
                    "NFNL_MSG_BATCH_BEGIN" in t:
                batch = i
        self.assertIsNotNone(batch, "no nftables batch sent")
        self.closed_by_exit_child(calls, fd)
        return own, batch

    def test_bridge_del_commits_then_removes_the_veth(self):
        self.state = self.tmpdir()
        c = self.netns("ordc")
        conf = {"cniVersion": "1.0.0", "name": "ordnet", "type": "bridge",
                "bridge": "ordbr0", "isGateway": True, "ipMasq": True, "macspoofchk": True,
                "ipam": {"type": "host-local", "subnet": "10.79.0.0/24",
                         "dataDir": self.tmpdir()}}
        self.run_traced("bridge", "ADD", conf, "ordcid", c.path)
        trace = os.path.join(self.tmpdir(), "del.trace")
        calls = self.run_traced("bridge", "DEL", conf, "ordcid", c.path, trace)
        ruleset = self.node.sh("nft list ruleset")
        self.assertNotIn("id: ordcid", ruleset)
        self.assertNotIn("cni-br-iface-ordcid", ruleset)
        own, batch = self.nft_fd_events(calls)
        main = calls[0][0]
        own_at = [n for n, (pid, t) in enumerate(calls) if pid == main]
        # The veth's removal is sent by a child of the plugin, which returns once the link
        # has left the container's namespace and leaves the kernel's RCU wait to it.
        dellink = [n for n, (pid, t) in enumerate(calls) if pid != main and
                   t.startswith("sendmsg(") and ("RTM_DELLINK" in t or "nlmsg_type=0x11" in t)]
        self.assertTrue(dellink, "no RTM_DELLINK sent")
        self.assertLess(own_at[batch], dellink[0], "the veth was removed before the rules")
        # The IPAM release runs after the commit too.
        ipam = [n for n, (pid, t) in enumerate(calls) if pid != main and
                t.startswith("execve(") and "host-local" in t]
        self.assertTrue(ipam, "host-local was not run")
        self.assertLess(own_at[batch], ipam[0])

    def test_portmap_del_commits_then_flushes_conntrack(self):
        self.state = self.tmpdir()
        conf = {"cniVersion": "1.0.0", "name": "ordpm", "type": "portmap",
                "runtimeConfig": {"portMappings": [
                    {"hostPort": 18080, "containerPort": 80, "protocol": "tcp"},
                    {"hostPort": 15353, "containerPort": 53, "protocol": "udp"}]},
                "prevResult": prev_result(["10.99.0.2/24"])}
        self.run_traced("portmap", "ADD", conf, "ordpm1", "/x")
        trace = os.path.join(self.tmpdir(), "del.trace")
        calls = self.run_traced("portmap", "DEL", conf, "ordpm1", "/x", trace)
        self.assertNotIn('"ordpm1"', self.node.sh("nft list ruleset"))
        self.assertFalse(os.path.exists(os.path.join(self.state, "ordpm", "ordpm1")))
        own, batch = self.nft_fd_events(calls)
        # The conntrack work has a socket of its own, opened after the commit, and closed
        # by the child of the plugin's exit too.
        ct = [i for i, t in enumerate(own) if i > batch and
              re.match(r"socket\(AF_NETLINK, .*NETLINK_NETFILTER\)", t)]
        self.assertTrue(ct, "no conntrack socket after the commit")
        ct_fd = re.search(r"= (\d+)$", own[ct[0]]).group(1)
        ct_sent = [i for i, t in enumerate(own) if t.startswith("sendmsg(%s," % ct_fd)]
        self.assertTrue(ct_sent, "nothing asked of conntrack")
        self.closed_by_exit_child(calls, ct_fd)
        self.assertIn("exit_group", own[-1])
