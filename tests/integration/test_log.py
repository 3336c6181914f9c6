# SPDX-License-Identifier: Apache-2.0
"""The opt-in log ("logFile", "logLevel" at the network config level).

Every plugin appends one line per step to the file, naming itself, the verb
and the container ID; nothing of it reaches stdout, and a log that cannot be
written never fails the command.
"""
import json
import os
import re

import cnitest
from cnitest import CNITestCase, run_plugin

LINE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (\S+) (\S+) (\S+) \[(\w+)\] (.*)$")


def read_log(path):
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        m = LINE_RE.match(line)
        assert m, "malformed log line: %r" % line
        out.append(m.groups())
    return out


class LogTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        self.dir = self.tmpdir()
        self.log = os.path.join(self.dir, "cni.log")
        self.data = self.tmpdir()
        self.node = self.netns("lognode")
        self.ctr = self.netns("logctr")

    def ipam_conf(self, **kw):
        c = {"cniVersion": "1.0.0", "name": "lognet", "type": "host-local",
             "ipam": {"type": "host-local", "subnet": "10.77.0.0/24", "dataDir": self.data}}
        c.update(kw)
        return c

    def host_local(self, cmd, conf, cid="logcid", **kw):
        return run_plugin("host-local", cmd, conf, containerid=cid, netns=self.ctr.path,
                          in_netns=self.node.name, **kw)

    def test_lines_name_plugin_verb_and_container(self):
        conf = self.ipam_conf(logFile=self.log)
        quiet = self.assertOK(self.host_local("ADD", self.ipam_conf(), cid="nolog"))
        res = self.assertOK(self.host_local("ADD", conf))
        # The result on stdout is exactly what it is without the log.
        self.assertEqual(res["ips"][0]["address"], "10.77.0.3/24")
        self.assertEqual(set(res), set(quiet))
        self.assertOK(self.host_local("DEL", conf))
        lines = read_log(self.log)
        self.assertGreaterEqual(len(lines), 4)
        for plugin, verb, cid, level, _ in lines:
            self.assertEqual(plugin, "host-local")
            self.assertIn(verb, ("ADD", "DEL"))
            self.assertEqual(cid, "logcid")
            self.assertIn(level, ("info", "debug"))
        texts = [(v, t) for _, v, _, _, t in lines]
        self.assertIn(("ADD", "succeeded"), texts)
        self.assertIn(("DEL", "succeeded"), texts)
        # Default level is info: no debug lines.
        self.assertNotIn("debug", [lvl for _, _, _, lvl, _ in lines])

    def test_debug_level_logs_the_result_on_one_line(self):
        conf = self.ipam_conf(logFile=self.log, logLevel="debug")
        self.assertOK(self.host_local("ADD", conf))
        debug = [t for _, _, _, lvl, t in read_log(self.log) if lvl == "debug"]
        results = [t for t in debug if t.startswith("result: ")]
        self.assertEqual(len(results), 1, debug)
        self.assertEqual(json.loads(results[0][len("result: "):])["ips"][0]["address"],
                         "10.77.0.2/24")

    def test_failure_is_logged_with_code(self):
        conf = self.ipam_conf(logFile=self.log)
        conf["ipam"]["subnet"] = "10.77.0.0/33"
        res = self.host_local("ADD", conf)
        self.assertCNIError(res, 7)
        errors = [t for _, _, _, lvl, t in read_log(self.log) if lvl == "error"]
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0].startswith("failed with code 7: "), errors)

    def test_long_container_id_is_cut_not_dropped(self):
        cid = "c" * 5000
        self.assertOK(self.host_local("ADD", self.ipam_conf(logFile=self.log), cid=cid))
        lines = read_log(self.log)
        self.assertIn("succeeded", [t for _, _, _, _, t in lines])
        self.assertEqual({c for _, _, c, _, _ in lines}, {"c" * 256 + "..."})

    def test_warn_level_drops_info(self):
        conf = self.ipam_conf(logFile=self.log, logLevel="warn")
        self.assertOK(self.host_local("ADD", conf))
        self.assertFalse(os.path.exists(self.log) and read_log(self.log))

    def test_unwritable_log_never_fails_the_command(self):
        for path in (os.path.join(self.dir, "missing", "cni.log"), self.dir, "/proc/version"):
            conf = self.ipam_conf(logFile=path)
            res = self.host_local("ADD", conf, cid="c%d" % len(path))
            self.assertOK(res)
            self.assertIn("ips", res.json)
            self.assertEqual(res.stderr, "")

    def test_bad_level_or_type_is_a_config_error(self):
        res = self.host_local("ADD", self.ipam_conf(logFile=self.log, logLevel="loud"))
        self.assertCNIError(res, 7, "'logLevel' must be one of error, warn, info, debug")
        res = self.host_local("ADD", self.ipam_conf(logFile=7))
        self.assertCNIError(res, 7, "'logFile' must be a string")
        self.assertFalse(os.listdir(self.data) and
                         [f for f in os.listdir(os.path.join(self.data, "lognet"))
                          if f[0].isdigit()])

    def test_every_plugin_honours_it(self):
        ctr = self.ctr
        path = cnitest.plugin_dir(self, ("bridge", "host-local", "portmap"))
        conf = {"cniVersion": "1.0.0", "name": "lognet", "type": "bridge",
                "bridge": "cnilog0", "logFile": self.log,
                "ipam": {"type": "host-local", "subnet": "10.78.0.0/24",
                         "dataDir": self.data}}
        res = self.assertOK(run_plugin("bridge", "ADD", conf, containerid="allcid",
                                       netns=ctr.path, path=path, in_netns=self.node.name))
        pm = {"cniVersion": "1.0.0", "name": "lognet", "type": "portmap",
              "logFile": self.log, "prevResult": res}
        self.assertOK(run_plugin("portmap", "ADD", pm, containerid="allcid", netns=ctr.path,
                                 path=path, in_netns=self.node.name))
        self.assertOK(run_plugin("portmap", "DEL", pm, containerid="allcid", netns=ctr.path,
                                 path=path, in_netns=self.node.name))
        self.assertOK(run_plugin("bridge", "DEL", conf, containerid="allcid", netns=ctr.path,
                                 path=path, in_netns=self.node.name))
        seen = {(p, v) for p, v, cid, _, t in read_log(self.log)
                if cid == "allcid" and t == "succeeded"}
        self.assertEqual(seen, {(p, v) for p in ("bridge", "host-local", "portmap")
                                for v in ("ADD", "DEL")})
