# SPDX-License-Identifier: Apache-2.0
"""bin/cnitool: conflist loading, chaining, result cache, GC, STATUS, errors.

Most tests drive cnitool against fake plugins (a small Python script that logs
what it was given and answers as told) so that every libcni rule is checked
exactly: request configs, prevResult, runtimeConfig, DEL order, the cache file.
The round-trip tests at the end run our real host-local (and bridge, when
bin/bridge exists) inside namespaces created here.
"""
import base64
import json
import os
import stat
import sys
import unittest

import cnitest
from cnitest import BIN, CNITestCase, Netns, netns_supported, sh
from cnitest import cnitool_container_id as container_id

FAKE_PLUGIN = r'''#!%(python)s
import json, os, sys
name = os.path.basename(sys.argv[0])
cmd = os.environ.get("CNI_COMMAND", "")
data = sys.stdin.read()
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps({"plugin": name, "cmd": cmd, "stdin": data,
                        "env": {k: v for k, v in os.environ.items() if k.startswith("CNI_")}}) + "\n")
spec = json.loads(os.environ.get("FAKE_SPEC") or "{}").get(name, {})
fail = spec.get("fail", {}).get(cmd)
if fail:
    print(json.dumps(fail))
    sys.exit(1)
if cmd == "ADD":
    conf = json.loads(data)
    ver = conf.get("cniVersion", "")
    if "prevResult" in conf:
        res = conf["prevResult"]
        res.setdefault("interfaces", []).append({"name": name})
    else:
        ip = {"address": spec.get("address", "10.9.0.2/24"), "gateway": "10.9.0.1"}
        if ver.startswith("0."):
            ip["version"] = "4"
        res = {"cniVersion": ver, "ips": [ip]}
    if "result" in spec:
        res = spec["result"]
    print(json.dumps(res))
'''


def cnitool(args, env, check=False):
    p = cnitest.run_cnitool(args, env)
    if check and p.returncode != 0:
        raise AssertionError("cnitool %s failed (%d):\n%s%s" % (args, p.returncode, p.stdout,
                                                               p.stderr))
    return p


class CnitoolFakeTest(CNITestCase):
    """libcni behaviour, checked against fake plugins (no privileges needed)."""

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("cnitool",))
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.plugdir = os.path.join(self.dir, "plugins")
        self.cache = os.path.join(self.dir, "cache")
        self.log = os.path.join(self.dir, "log")
        os.makedirs(self.netdir)
        os.makedirs(self.plugdir)
        for name in ("fake", "fake2", "fake3", "fail"):
            path = os.path.join(self.plugdir, name)
            with open(path, "w") as f:
                f.write(FAKE_PLUGIN % {"python": sys.executable})
            os.chmod(path, 0o755)
        self.spec = {}

    def env(self, **kw):
        e = {"NETCONFPATH": self.netdir, "CNI_PATH": self.plugdir, "CNI_CACHE_DIR": self.cache,
             "FAKE_LOG": self.log, "FAKE_SPEC": json.dumps(self.spec)}
        e.update(kw)
        return e

    def write_list(self, conf, fname=None):
        with open(os.path.join(self.netdir, fname or conf["name"] + ".conflist"), "w") as f:
            json.dump(conf, f)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            out = [json.loads(line) for line in f]
        os.unlink(self.log)
        return out

    def cache_file(self, net, cid, ifname="eth0"):
        return os.path.join(self.cache, "results", "%s-%s-%s" % (net, cid, ifname))

    # ---- ADD ---------------------------------------------------------------

    def test_add_chains_prevresult_and_caches(self):
        conf = {"cniVersion": "1.0.0", "name": "chain",
                "plugins": [{"type": "fake", "b": 1, "a": 2}, {"type": "fake2"}]}
        self.write_list(conf)
        ns = "/run/netns/fake-ns"
        p = cnitool(["add", "chain", ns], self.env(CNI_ARGS="A=1;B=2"), check=True)
        calls = self.calls()
        self.assertEqual([c["plugin"] for c in calls], ["fake", "fake2"])
        first = json.loads(calls[0]["stdin"])
        self.assertNotIn("prevResult", first)
        self.assertEqual(first["name"], "chain")
        self.assertEqual(first["cniVersion"], "1.0.0")
        # Go re-marshals the plugin object through a map: compact, keys sorted.
        self.assertEqual(calls[0]["stdin"],
                         '{"a":2,"b":1,"cniVersion":"1.0.0","name":"chain","type":"fake"}')
        second = json.loads(calls[1]["stdin"])
        self.assertEqual(second["prevResult"]["ips"][0]["address"], "10.9.0.2/24")
        # Environment libcni gives every plugin.
        env = calls[0]["env"]
        self.assertEqual(env["CNI_COMMAND"], "ADD")
        self.assertEqual(env["CNI_CONTAINERID"], container_id(ns))
        self.assertEqual(env["CNI_NETNS"], ns)
        self.assertEqual(env["CNI_IFNAME"], "eth0")
        self.assertEqual(env["CNI_ARGS"], "A=1;B=2")
        self.assertEqual(env["CNI_PATH"], self.plugdir)
        # The final result is printed as Go's Result.Print does (4-space indent, no newline).
        out = json.loads(p.stdout)
        self.assertEqual(out["interfaces"], [{"name": "fake2"}])
        self.assertFalse(p.stdout.endswith("\n"))
        self.assertIn('\n    "cniVersion": "1.0.0"', p.stdout)
        # The cache entry, in libcni's format.
        path = self.cache_file("chain", container_id(ns))
        st = os.stat(path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        with open(path) as f:
            text = f.read()
        cached = json.loads(text)
        self.assertEqual(list(cached.keys()), ["kind", "containerId", "config", "ifName",
                                               "networkName", "netns", "cniArgs", "result"])
        self.assertEqual(cached["kind"], "cniCacheV1")
        with open(os.path.join(self.netdir, "chain.conflist"), "rb") as f:
            self.assertEqual(base64.b64decode(cached["config"]), f.read())
        self.assertEqual(cached["cniArgs"], [["A", "1"], ["B", "2"]])
        self.assertEqual(cached["result"], out)
        self.assertNotIn(" ", text)  # compact
        self.assertEqual(text, json.dumps(cached, separators=(",", ":")).replace(
            "<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

    def test_runtime_config_only_for_enabled_capabilities(self):
        conf = {"cniVersion": "1.0.0", "name": "caps", "plugins": [
            {"type": "fake", "capabilities": {"portMappings": True, "bandwidth": False,
                                              "ips": True}},
            {"type": "fake2"},
            {"type": "fake3", "capabilities": {"mac": True}}]}
        self.write_list(conf)
        caps = {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
                "bandwidth": {"ingressRate": 1000}, "mac": "c2:11:22:33:44:55"}
        cnitool(["add", "caps", "/run/netns/x"], self.env(CAP_ARGS=json.dumps(caps)), check=True)
        calls = {c["plugin"]: json.loads(c["stdin"]) for c in self.calls()}
        self.assertEqual(calls["fake"]["runtimeConfig"],
                         {"portMappings": caps["portMappings"]})
        self.assertNotIn("runtimeConfig", calls["fake2"])
        self.assertEqual(calls["fake3"]["runtimeConfig"], {"mac": caps["mac"]})
        # The capability args are cached (for GC's DELs) with sorted keys.
        with open(self.cache_file("caps", container_id("/run/netns/x"))) as f:
            text = f.read()
        self.assertIn('"capabilityArgs":{"bandwidth":{"ingressRate":1000},"mac":'
                      '"c2:11:22:33:44:55","portMappings":[{"containerPort":80,"hostPort":8080,'
                      '"protocol":"tcp"}]}', text)
        # DEL gets runtimeConfig too.
        cnitool(["del", "caps", "/run/netns/x"], self.env(CAP_ARGS=json.dumps(caps)), check=True)
        calls = {c["plugin"]: json.loads(c["stdin"]) for c in self.calls()}
        self.assertEqual(calls["fake"]["runtimeConfig"], {"portMappings": caps["portMappings"]})

    def test_version_negotiation(self):
        self.write_list({"cniVersion": "0.4.0", "cniVersions": ["0.3.1", "1.0.0", "42.0.0"],
                         "name": "neg", "plugins": [{"type": "fake", "cniVersion": "0.1.0"}]})
        p = cnitool(["add", "neg", "/run/netns/x"], self.env(), check=True)
        call = self.calls()[0]
        self.assertEqual(json.loads(call["stdin"])["cniVersion"], "1.0.0")
        self.assertEqual(json.loads(p.stdout)["cniVersion"], "1.0.0")
        # Without cniVersions, cniVersion is used as written.
        self.write_list({"cniVersion": "0.4.0", "name": "old", "plugins": [{"type": "fake"}]})
        p = cnitool(["add", "old", "/run/netns/x"], self.env(), check=True)
        self.assertEqual(json.loads(self.calls()[0]["stdin"])["cniVersion"], "0.4.0")
        self.assertEqual(json.loads(p.stdout)["ips"][0]["version"], "4")

    def test_del_reverse_with_cached_prevresult(self):
        self.write_list({"cniVersion": "1.0.0", "name": "d",
                         "plugins": [{"type": "fake"}, {"type": "fake2"}, {"type": "fake3"}]})
        cnitool(["add", "d", "/run/netns/x"], self.env(), check=True)
        final = json.loads(self.calls()[-1]["stdin"])["prevResult"]
        cnitool(["del", "d", "/run/netns/x"], self.env(), check=True)
        calls = self.calls()
        self.assertEqual([c["plugin"] for c in calls], ["fake3", "fake2", "fake"])
        for c in calls:
            self.assertEqual(c["cmd"], "DEL")
            prev = json.loads(c["stdin"])["prevResult"]
            # Every plugin gets the final ADD result.
            self.assertEqual(len(prev["interfaces"]), 2)
            self.assertEqual(prev["ips"], final["ips"])
        self.assertFalse(os.path.exists(self.cache_file("d", container_id("/run/netns/x"))))
        # DEL again (nothing cached): no prevResult, still succeeds.
        cnitool(["del", "d", "/run/netns/x"], self.env(), check=True)
        for c in self.calls():
            self.assertNotIn("prevResult", json.loads(c["stdin"]))

    def test_del_old_version_has_no_prevresult(self):
        self.write_list({"cniVersion": "0.3.1", "name": "o", "plugins": [{"type": "fake"}]})
        cnitool(["add", "o", "/run/netns/x"], self.env(), check=True)
        self.calls()
        self.assertTrue(os.path.exists(self.cache_file("o", container_id("/run/netns/x"))))
        cnitool(["del", "o", "/run/netns/x"], self.env(), check=True)
        self.assertNotIn("prevResult", json.loads(self.calls()[0]["stdin"]))
        self.assertFalse(os.path.exists(self.cache_file("o", container_id("/run/netns/x"))))

    def test_del_stops_at_first_error(self):
        self.write_list({"cniVersion": "1.0.0", "name": "df",
                         "plugins": [{"type": "fake"}, {"type": "fail"}]})
        cnitool(["add", "df", "/run/netns/x"], self.env(), check=True)
        self.calls()
        self.spec = {"fail": {"fail": {"DEL": {"code": 11, "msg": "try later",
                                               "details": "busy"}}}}
        p = cnitool(["del", "df", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertEqual([c["plugin"] for c in self.calls()], ["fail"])
        err = json.loads(p.stdout)
        self.assertEqual((err["code"], err["msg"], err["details"]), (11, "try later", "busy"))
        self.assertIn('plugin type="fail" failed (delete): try later; busy', p.stderr)
        # The cache entry stays for a later DEL.
        self.assertTrue(os.path.exists(self.cache_file("df", container_id("/run/netns/x"))))

    def test_add_error_passthrough(self):
        self.write_list({"cniVersion": "1.0.0", "name": "af",
                         "plugins": [{"type": "fake"}, {"type": "fail", "name": "x"},
                                     {"type": "fake2"}]})
        self.spec = {"fail": {"fail": {"ADD": {"cniVersion": "1.0.0", "code": 7,
                                               "msg": "bad config", "details": "key 'foo'"}}}}
        p = cnitool(["add", "af", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertEqual([c["plugin"] for c in self.calls()], ["fake", "fail"])
        err = json.loads(p.stdout)
        self.assertEqual(err["code"], 7)
        self.assertEqual(err["msg"], "bad config")
        self.assertEqual(err["details"], "key 'foo'")
        self.assertIn('plugin type="fail" name="x" failed (add): bad config; key \'foo\'',
                      p.stderr)
        self.assertFalse(os.path.exists(self.cache_file("af", container_id("/run/netns/x"))))

    def test_missing_plugin(self):
        self.write_list({"cniVersion": "1.0.0", "name": "mp", "plugins": [{"type": "nothere"}]})
        p = cnitool(["add", "mp", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn('failed to find plugin "nothere" in path [%s]' % self.plugdir, p.stderr)

    def test_check(self):
        self.write_list({"cniVersion": "1.0.0", "name": "c",
                         "plugins": [{"type": "fake"}, {"type": "fake2"}]})
        cnitool(["add", "c", "/run/netns/x"], self.env(), check=True)
        self.calls()
        cnitool(["check", "c", "/run/netns/x"], self.env(), check=True)
        calls = self.calls()
        self.assertEqual([(c["plugin"], c["cmd"]) for c in calls],
                         [("fake", "CHECK"), ("fake2", "CHECK")])
        for c in calls:
            self.assertEqual(len(json.loads(c["stdin"])["prevResult"]["interfaces"]), 1)
        # CHECK failure passes the plugin's error through.
        self.spec = {"fake2": {"fail": {"CHECK": {"code": 999, "msg": "eth0 is gone"}}}}
        p = cnitool(["check", "c", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["msg"], "eth0 is gone")
        # disableCheck: nothing is run.
        self.write_list({"cniVersion": "1.0.0", "name": "c", "disableCheck": "true",
                         "plugins": [{"type": "fake"}]})
        self.calls()
        cnitool(["check", "c", "/run/netns/x"], self.env(), check=True)
        self.assertEqual(self.calls(), [])
        # Versions before 0.4.0 have no CHECK.
        self.write_list({"cniVersion": "0.3.1", "name": "c", "plugins": [{"type": "fake"}]})
        p = cnitool(["check", "c", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn('configuration version "0.3.1" does not support the CHECK command',
                      p.stderr)

    def test_status(self):
        self.write_list({"cniVersion": "1.1.0", "name": "s",
                         "plugins": [{"type": "fake"}, {"type": "fail"}, {"type": "fake2"}]})
        cnitool(["status", "s"], self.env(), check=True)
        calls = self.calls()
        self.assertEqual([(c["plugin"], c["cmd"]) for c in calls],
                         [("fake", "STATUS"), ("fail", "STATUS"), ("fake2", "STATUS")])
        self.assertEqual(calls[0]["env"]["CNI_CONTAINERID"], "")
        self.assertEqual(calls[0]["env"]["CNI_NETNS"], "")
        self.assertEqual(json.loads(calls[0]["stdin"]),
                         {"cniVersion": "1.1.0", "name": "s", "type": "fake"})
        # Stops at the first failure, code passed through.
        self.spec = {"fail": {"fail": {"STATUS": {"code": 50, "msg": "not ready"}}}}
        p = cnitool(["status", "s", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["code"], 50)
        self.assertEqual([c["plugin"] for c in self.calls()], ["fake", "fail"])
        # Before 1.1.0 STATUS does nothing.
        self.write_list({"cniVersion": "1.0.0", "name": "s", "plugins": [{"type": "fail"}]})
        cnitool(["status", "s"], self.env(), check=True)
        self.assertEqual(self.calls(), [])

    def test_gc(self):
        self.write_list({"cniVersion": "1.1.0", "name": "g",
                         "plugins": [{"type": "fake"}, {"type": "fake2"}]})
        self.write_list({"cniVersion": "1.1.0", "name": "other", "plugins": [{"type": "fake"}]})
        caps = json.dumps({"portMappings": [{"hostPort": 1}]})
        for ns in ("/run/netns/a", "/run/netns/b"):
            cnitool(["add", "g", ns], self.env(CNI_ARGS="K=V", CAP_ARGS=caps), check=True)
        cnitool(["add", "other", "/run/netns/a"], self.env(), check=True)
        self.calls()
        cnitool(["gc", "g"], self.env(), check=True)
        calls = self.calls()
        dels = [c for c in calls if c["cmd"] == "DEL"]
        gcs = [c for c in calls if c["cmd"] == "GC"]
        # Every cached attachment of this network is deleted with its cached args...
        self.assertEqual(sorted({c["env"]["CNI_CONTAINERID"] for c in dels}),
                         sorted([container_id("/run/netns/a"), container_id("/run/netns/b")]))
        for c in dels:
            self.assertEqual(c["env"]["CNI_ARGS"], "K=V")
            self.assertIn(c["env"]["CNI_NETNS"], ("/run/netns/a", "/run/netns/b"))
            self.assertIn("prevResult", json.loads(c["stdin"]))
        # ...then every plugin gets GC with the (empty) valid set.
        self.assertEqual([c["plugin"] for c in gcs], ["fake", "fake2"])
        gconf = json.loads(gcs[0]["stdin"])
        self.assertEqual(gconf["cni.dev/valid-attachments"], [])
        self.assertEqual(gconf["cni.dev/attachments"], [])
        self.assertEqual(gcs[0]["env"]["CNI_CONTAINERID"], "")
        results = os.listdir(os.path.join(self.cache, "results"))
        self.assertEqual(results, ["other-%s-eth0" % container_id("/run/netns/a")])

    def test_gc_valid_set_errors_and_disable(self):
        self.write_list({"cniVersion": "1.1.0", "name": "g", "plugins": [{"type": "fake"}]})
        for ns in ("/run/netns/a", "/run/netns/b"):
            cnitool(["add", "g", ns], self.env(), check=True)
        self.calls()
        keep = [{"containerID": container_id("/run/netns/a"), "ifname": "eth0"}]
        cnitool(["gc", "g"], self.env(CNITOOL_GC_VALID=json.dumps(keep)), check=True)
        calls = self.calls()
        self.assertEqual([c["env"]["CNI_CONTAINERID"] for c in calls if c["cmd"] == "DEL"],
                         [container_id("/run/netns/b")])
        gc = [json.loads(c["stdin"]) for c in calls if c["cmd"] == "GC"][0]
        self.assertEqual(gc["cni.dev/valid-attachments"], keep)
        # Errors are collected: a failing DEL does not stop the GC verbs.
        self.spec = {"fake": {"fail": {"DEL": {"code": 999, "msg": "boom"},
                                       "GC": {"code": 999, "msg": "gc boom"}}}}
        p = cnitool(["gc", "g"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn("failed to delete stale attachment %s eth0" % container_id("/run/netns/a"),
                      p.stderr)
        self.assertIn("failed to GC plugin fake: gc boom", p.stderr)
        self.assertEqual([c["cmd"] for c in self.calls()], ["DEL", "GC"])
        # disableGC: nothing at all.
        self.write_list({"cniVersion": "1.1.0", "name": "g", "disableGC": True,
                         "plugins": [{"type": "fake"}]})
        cnitool(["gc", "g"], self.env(), check=True)
        self.assertEqual(self.calls(), [])
        # Before 1.1.0: cached attachments are still deleted, but no GC verb.
        self.spec = {}
        self.write_list({"cniVersion": "1.0.0", "name": "g", "plugins": [{"type": "fake"}]})
        cnitool(["gc", "g"], self.env(), check=True)
        self.assertEqual([c["cmd"] for c in self.calls()], ["DEL"])

    def test_env_overrides(self):
        self.write_list({"cniVersion": "1.0.0", "name": "e", "plugins": [{"type": "fake"}]})
        cwd = os.getcwd()
        os.chdir(self.dir)
        try:
            cnitool(["add", "e", "rel/../ns1"], self.env(CNI_IFNAME="net7"), check=True)
        finally:
            os.chdir(cwd)
        env = self.calls()[0]["env"]
        self.assertEqual(env["CNI_NETNS"], os.path.join(self.dir, "ns1"))
        self.assertEqual(env["CNI_CONTAINERID"], container_id(os.path.join(self.dir, "ns1")))
        self.assertEqual(env["CNI_IFNAME"], "net7")
        long_id = "a" * 64
        cnitool(["-i", "eth9", "add", "e", "/run/netns/x"],
                self.env(CNI_CONTAINERID=long_id), check=True)
        env = self.calls()[0]["env"]
        self.assertEqual((env["CNI_CONTAINERID"], env["CNI_IFNAME"]), (long_id, "eth9"))
        self.assertTrue(os.path.exists(self.cache_file("e", long_id, "eth9")))

    def test_legacy_conf_and_conf_dir(self):
        with open(os.path.join(self.netdir, "10-single.conf"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "single", "type": "fake", "x": 1}, f)
        p = cnitool(["add", "single", "/run/netns/x"], self.env(), check=True)
        self.assertEqual(json.loads(self.calls()[0]["stdin"])["x"], 1)
        with open(self.cache_file("single", container_id("/run/netns/x"))) as f:
            cfg = base64.b64decode(json.load(f)["config"]).decode()
        self.assertEqual(cfg, '{"cniVersion":"1.0.0","name":"single","plugins":[{"cniVersion":'
                              '"1.0.0","name":"single","type":"fake","x":1}]}')
        # Plugins from <dir>/<name>/*.conf are appended to the list.
        self.write_list({"cniVersion": "1.0.0", "name": "ext", "plugins": [{"type": "fake"}]})
        os.makedirs(os.path.join(self.netdir, "ext"))
        with open(os.path.join(self.netdir, "ext", "a.conf"), "w") as f:
            json.dump({"type": "fake2"}, f)
        cnitool(["add", "ext", "/run/netns/x"], self.env(), check=True)
        self.assertEqual([c["plugin"] for c in self.calls()], ["fake", "fake2"])
        self.assertTrue(p.stdout)

    def test_usage_and_config_errors(self):
        p = cnitool(["add", "x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn("network name and namespace are required", p.stderr)
        p = cnitool(["frobnicate", "x", "y"], self.env())
        self.assertEqual(p.returncode, 1)
        p = cnitool(["--help"], self.env())
        self.assertEqual(p.returncode, 0)
        self.assertIn("NETCONFPATH", p.stdout)
        p = cnitool(["add", "nope", "/run/netns/x"], self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn("no net configurations found in %s" % self.netdir, p.stderr)
        self.assertEqual(json.loads(p.stdout)["code"], 7)
        self.write_list({"cniVersion": "1.0.0", "name": "e", "plugins": [{"type": "fake"}]})
        p = cnitool(["add", "e", "/run/netns/x"], self.env(CNI_ARGS="A=1;B"))
        self.assertEqual(p.returncode, 1)
        self.assertIn('invalid CNI_ARGS pair "B"', p.stderr)
        p = cnitool(["add", "e", "/run/netns/x"], self.env(CAP_ARGS="[1]"))
        self.assertEqual(p.returncode, 1)
        p = cnitool(["add", "e", "/run/netns/x"], self.env(CNI_IFNAME="bad/name"))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.calls(), [])

    def test_config_json_is_go_grammar(self):
        # Configs, CAP_ARGS and the GC list are read as libcni's Go decoder reads them.
        good = '{"cniVersion":"1.0.0","name":"e","plugins":[{"type":"fake"}]}'
        path = os.path.join(self.netdir, "e.conflist")
        cases = [
            ("\ufeff" + good, 6, "invalid character 'ï' looking for beginning of value"),
            (good + "\x00", 6, "invalid character '\\x00' after top-level value"),
            (good.replace('"e"', '"e\\u0000x"'), 7, "'name' must not contain a NUL"),
            (good.replace('"e"', '"e\x01"'), 6, "invalid character '\\x01' in string literal"),
        ]
        for text, code, msg in cases:
            with self.subTest(text=text):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                p = cnitool(["add", "e", "/run/netns/x"], self.env())
                self.assertEqual(p.returncode, 1)
                self.assertEqual(json.loads(p.stdout)["code"], code)
                self.assertIn(msg, p.stderr)
        with open(path, "w") as f:
            f.write(good)
        for env in ({"CAP_ARGS": '{"a":1} x'}, {"CAP_ARGS": '\ufeff{}'}):
            p = cnitool(["add", "e", "/run/netns/x"], self.env(**env))
            self.assertEqual(p.returncode, 1)
            self.assertIn("CAP_ARGS: invalid character", p.stderr)
        p = cnitool(["gc", "e", "/run/netns/x"], self.env(CNITOOL_GC_VALID="[{}"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("CNITOOL_GC_VALID: unexpected end of JSON input", p.stderr)
        self.assertEqual(self.calls(), [])


class CnitoolHostLocalTest(CNITestCase):
    """Round trips through our real host-local (the only plugin of the list)."""

    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("cnitool", "host-local"))
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.data = os.path.join(self.dir, "data")
        self.cache = os.path.join(self.dir, "cache")
        os.makedirs(self.netdir)

    def env(self, **kw):
        e = {"NETCONFPATH": self.netdir, "CNI_PATH": BIN, "CNI_CACHE_DIR": self.cache}
        e.update(kw)
        return e

    def write(self, version="1.1.0", name="hl"):
        conf = {"cniVersion": version, "name": name, "plugins": [{
            "type": "host-local",
            "ipam": {"type": "host-local", "dataDir": self.data,
                     "ranges": [[{"subnet": "10.66.0.0/29"}], [{"subnet": "fd66::/120"}]],
                     "routes": [{"dst": "0.0.0.0/0"}]}}]}
        with open(os.path.join(self.netdir, name + ".conflist"), "w") as f:
            json.dump(conf, f)

    def reservations(self, name="hl"):
        return cnitest.ipam_reservations(os.path.join(self.data, name))

    def test_add_check_del(self):
        self.write()
        ns = self.netns("cnitool")
        out = json.loads(cnitool(["add", "hl", ns.path], self.env(), check=True).stdout)
        self.assertEqual(out["cniVersion"], "1.1.0")
        addrs = sorted(ip["address"] for ip in out["ips"])
        self.assertEqual(addrs, ["10.66.0.2/29", "fd66::2/120"])
        self.assertEqual(self.reservations(), ["10.66.0.2", "fd66::2"])
        with open(os.path.join(self.data, "hl", "10.66.0.2"), "rb") as f:
            self.assertEqual(f.read(), (container_id(ns.path) + "\r\neth0").encode())
        cnitool(["check", "hl", ns.path], self.env(), check=True)
        cnitool(["status", "hl"], self.env(), check=True)
        cnitool(["del", "hl", ns.path], self.env(), check=True)
        self.assertEqual(self.reservations(), [])
        self.assertEqual(os.listdir(os.path.join(self.cache, "results")), [])
        # DEL is idempotent.
        cnitool(["del", "hl", ns.path], self.env(), check=True)

    def test_gc_releases_everything_cached(self):
        self.write()
        spaces = [self.netns("cnitool") for _ in range(3)]
        for ns in spaces:
            cnitool(["add", "hl", ns.path], self.env(), check=True)
        self.assertEqual(len(self.reservations()), 6)
        # Exhaustion: a /29 has 5 usable IPv4 addresses after the gateway... and we used 3.
        cnitool(["gc", "hl"], self.env(), check=True)
        self.assertEqual(self.reservations(), [])
        self.assertEqual(os.listdir(os.path.join(self.cache, "results")), [])

    def test_gc_verb_releases_leaked_reservation(self):
        """A reservation with no cache entry (leaked) is released by the GC verb."""
        self.write()
        ns = self.netns("cnitool")
        cnitool(["add", "hl", ns.path], self.env(), check=True)
        # Forget the attachment on the runtime side only.
        for f in os.listdir(os.path.join(self.cache, "results")):
            os.unlink(os.path.join(self.cache, "results", f))
        self.assertEqual(len(self.reservations()), 2)
        cnitool(["gc", "hl"], self.env(), check=True)
        self.assertEqual(self.reservations(), [])

    def test_old_versions(self):
        for v in ("0.3.1", "0.4.0", "1.0.0"):
            self.write(version=v, name="hl" + v.replace(".", ""))
            ns = self.netns("cnitool")
            out = json.loads(cnitool(["add", "hl" + v.replace(".", ""), ns.path], self.env(),
                                     check=True).stdout)
            self.assertEqual(out["cniVersion"], v)
            if v != "1.0.0":
                self.assertEqual(out["ips"][0]["version"], "4")
            cnitool(["del", "hl" + v.replace(".", ""), ns.path], self.env(), check=True)
            self.assertEqual(self.reservations("hl" + v.replace(".", "")), [])

    def test_plugin_error_passthrough(self):
        """host-local's own error (range exhausted) comes out as its CNI error."""
        conf = {"cniVersion": "1.0.0", "name": "tiny", "plugins": [{
            "type": "host-local",
            "ipam": {"type": "host-local", "dataDir": self.data,
                     "ranges": [[{"subnet": "10.67.0.0/30"}]]}}]}
        with open(os.path.join(self.netdir, "tiny.conflist"), "w") as f:
            json.dump(conf, f)
        a, b = self.netns("cnitool"), self.netns("cnitool")
        cnitool(["add", "tiny", a.path], self.env(), check=True)
        p = cnitool(["add", "tiny", b.path], self.env())
        self.assertEqual(p.returncode, 1)
        err = json.loads(p.stdout)
        self.assertGreaterEqual(err["code"], 100 if err["code"] != 999 else 999)
        self.assertIn("no IP addresses available", err["msg"])
        self.assertIn('plugin type="host-local" failed (add)', p.stderr)
        cnitool(["del", "tiny", a.path], self.env(), check=True)


class CnitoolBridgeTest(CNITestCase):
    """bridge + host-local through cnitool, run in a namespace standing in for the node."""

    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("cnitool", "bridge", "host-local"))
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.netdir)
        self.node = self.netns("cnitool-node")
        conf = {"cniVersion": "1.1.0", "name": "brnet", "plugins": [{
            "type": "bridge", "bridge": "cnitbr0", "isGateway": True,
            "ipam": {"type": "host-local", "dataDir": self.data,
                     "ranges": [[{"subnet": "10.68.0.0/24"}]]}}]}
        with open(os.path.join(self.netdir, "brnet.conflist"), "w") as f:
            json.dump(conf, f)

    def tool(self, args, check=True):
        p = cnitest.run_cnitool(args, {"NETCONFPATH": self.netdir, "CNI_PATH": BIN,
                                       "CNI_CACHE_DIR": os.path.join(self.dir, "cache")},
                                in_netns=self.node.name)
        if check and p.returncode != 0:
            raise AssertionError("cnitool %s failed: %s%s" % (args, p.stdout, p.stderr))
        return p

    def test_two_containers_ping_check_del(self):
        a, b = self.netns("cnitool-c"), self.netns("cnitool-c")
        ra = json.loads(self.tool(["add", "brnet", a.path]).stdout)
        rb = json.loads(self.tool(["add", "brnet", b.path]).stdout)
        ipb = rb["ips"][0]["address"].split("/")[0]
        a.sh("ping -c1 -W30 %s" % ipb)
        self.tool(["check", "brnet", a.path])
        self.tool(["status", "brnet"])
        self.tool(["del", "brnet", a.path])
        self.tool(["del", "brnet", b.path])
        self.assertEqual(self.node.sh("ip -o link show type veth"), "")
        self.assertEqual(a.sh("ip -o link show dev eth0", check=False), "")
        self.assertTrue(ra["interfaces"])

    def test_gc_cleans_attachments(self):
        a = self.netns("cnitool-c")
        self.tool(["add", "brnet", a.path])
        self.tool(["gc", "brnet"])
        self.assertEqual(self.node.sh("ip -o link show type veth"), "")
        self.assertEqual(os.listdir(os.path.join(self.dir, "cache", "results")), [])


if __name__ == "__main__":
    unittest.main()
