# SPDX-License-Identifier: Apache-2.0
"""A real container runtime on our plugins: podman 4.3 (CNI backend) in a node namespace.

podman runs with every piece of its state in a temporary directory:
--root/--runroot/--tmpdir (storage, runtime state, file locks, events), a
CONTAINERS_CONF pointing at our bin/ and at a temporary network config
directory, and, because libcni inside podman always caches results under
/var/lib/cni and containers/image keeps a blob cache under
/var/lib/containers, every podman command runs in a private mount namespace
where a temporary directory is bind-mounted over /var/lib (one mount
namespace, held by a `sleep` started here, shared by all podman commands of
the test so that podman's own netns bind mounts stay consistent). The machine's own
podman state and network are never touched; the image is built locally from
busybox-static and `podman import`ed (nothing is downloaded).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

import cnitest
from cnitest import BIN, CNITestCase, sh

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "test-configs", "87-podman-bridge.conflist")
APT = "apt-get install -y podman runc busybox-static"
HOST_PORT = 18080


def dpkg_installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return p.returncode == 0 and "install ok installed" in p.stdout


class PodmanCase(CNITestCase):
    """podman with all its state in a temporary directory, run in the node namespace
    self.node and a private mount namespace; `plugins` must be built. A subclass writes
    the network of its test (named self.net) into net.d, or has podman create it."""

    needs_netns = True
    plugins = ()
    podman_creates_network = False

    def setUp(self):
        super().setUp()
        missing = [t for t in ("podman", "runc", "nsenter", "unshare", "curl", "nft")
                   if not shutil.which(t)]
        if missing or not dpkg_installed("busybox-static"):
            self.skipTest("podman cannot run here: missing %s (install with: %s)" % (
                ", ".join(missing + ([] if dpkg_installed("busybox-static")
                                     else ["busybox-static"])), APT))
        for b in self.plugins:
            if not os.path.exists(os.path.join(BIN, b)):
                self.skipTest("bin/%s is not built yet" % b)
        self.t = tempfile.mkdtemp(prefix="cnitest-podman-")
        self.addCleanup(self.remove_tmp)
        self.node = self.netns("cnipod-node")
        self.net = "cnipod-" + uuid.uuid4().hex[:6]
        # podman counts its default network as existing: one the test creates is not it.
        self.default_network = self.net + ("-default" if self.podman_creates_network else "")
        for d in ("net.d", "data", "root", "runroot", "tmp", "varlib", "img/bin", "img/www"):
            os.makedirs(os.path.join(self.t, d))
        self.write_runtime_configs()
        self.start_mount_ns()
        self.addCleanup(self.podman_cleanup)

    # ---- set-up --------------------------------------------------------------

    def write_runtime_configs(self):
        t = self.t
        with open(os.path.join(t, "containers.conf"), "w") as f:
            f.write('[network]\n'
                    'network_backend = "cni"\n'
                    'cni_plugin_dirs = ["%s"]\n'
                    'network_config_dir = "%s/net.d"\n'
                    'default_network = "%s"\n'
                    '[engine]\n'
                    'runtime = "runc"\n'
                    'cgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\n'
                    'events_logfile_path = "%s/events.log"\n'
                    'lock_type = "file"\n'
                    'tmp_dir = "%s/tmp"\n'
                    'static_dir = "%s/root/libpod"\n'
                    'volume_path = "%s/root/volumes"\n'
                    % (os.path.abspath(BIN), t, self.default_network, t, t, t, t))
        with open(os.path.join(t, "storage.conf"), "w") as f:
            f.write('[storage]\ndriver = "vfs"\ngraphroot = "%s/root"\nrunroot = "%s/runroot"\n'
                    % (t, t))

    def start_mount_ns(self):
        """A private mount namespace with <tmp>/varlib over /var/lib, held by a sleep.
        Where no cgroup file system is mounted (the VM tier's guest), cgroup2 is mounted
        in it for runc."""
        ready = os.path.join(self.t, "mnt-ready")
        script = ('mount --bind "$1" /var/lib && '
                  '{ mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup; } && '
                  'touch "$2" && exec sleep 100000')
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
             os.path.join(self.t, "varlib"), ready])
        self.addCleanup(self.stop_holder)

        def made():
            if self.holder.poll() is not None:
                self.fail("could not create the private mount namespace for podman")
            return os.path.exists(ready)
        cnitest.wait_for(made, "the private mount namespace for podman")
        self.mntns = "/proc/%d/ns/mnt" % self.holder.pid

    def stop_holder(self):
        self.holder.kill()
        self.holder.wait()

    def podman(self, *args, check=True, timeout=120):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CNI_") or k == "CNI_PORTMAP_STATE_DIR"}
        env.update({"CONTAINERS_CONF": os.path.join(self.t, "containers.conf"),
                    "CONTAINERS_STORAGE_CONF": os.path.join(self.t, "storage.conf"),
                    "CONTAINERS_REGISTRIES_CONF": "/dev/null"})
        # The holder's root too: in the VM tier's guest, whose userland is a chroot, a
        # mount namespace alone would put podman under the namespace's own root.
        cmd = ["nsenter", "--mount=" + self.mntns, "--root=/proc/%d/root" % self.holder.pid,
               "--wd=" + os.getcwd(), "--net=" + self.node.path, "--", "podman",
               "--root", os.path.join(self.t, "root"),
               "--runroot", os.path.join(self.t, "runroot"),
               "--tmpdir", os.path.join(self.t, "tmp"),
               "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
               "--runtime", "runc"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("podman %s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                                 p.stdout, p.stderr))
        return p

    def build_image(self):
        img = os.path.join(self.t, "img")
        shutil.copy("/bin/busybox", os.path.join(img, "bin", "busybox"))
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
                                 text=True).stdout.split()
        for a in applets:
            if a != "busybox":
                os.symlink("busybox", os.path.join(img, "bin", a))
        with open(os.path.join(img, "www", "index.html"), "w") as f:
            f.write("hello from podman on cni-c\n")
        tar = os.path.join(self.t, "img.tar")
        subprocess.run(["tar", "-C", img, "-cf", tar, "."], check=True)
        self.podman("import", tar, "localhost/cnitest-busybox")

    def podman_cleanup(self):
        self.podman("rm", "-f", "-a", "-t", "0", check=False)
        self.podman("rmi", "-a", "-f", check=False)

    def remove_tmp(self):
        shutil.rmtree(self.t, ignore_errors=True)


class PodmanTest(PodmanCase):
    plugins = ("bridge", "host-local", "portmap")

    def setUp(self):
        super().setUp()
        self.bridge = "cnipod" + self.net[len("cnipod-"):]
        with open(CONFIG) as f:
            conf = json.load(f)
        conf["name"] = self.net
        conf["plugins"][0]["bridge"] = self.bridge
        conf["plugins"][0]["ipam"]["dataDir"] = os.path.join(self.t, "data")
        with open(os.path.join(self.t, "net.d", self.net + ".conflist"), "w") as f:
            json.dump(conf, f, indent=2)

    # ---- helpers ----------------------------------------------------------------

    def reservations(self):
        return cnitest.ipam_reservations(os.path.join(self.t, "data", self.net))

    def curl(self, url):
        # '' when refused; the bound is for a hang
        return self.node.sh("curl -s -m30 %s" % url, check=False)

    # ---- the test -----------------------------------------------------------------

    def test_podman_run_port_mapping(self):
        self.build_image()
        p = self.podman("run", "-d", "--name", "web", "--network", self.net,
                        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                        "-p", "%d:80" % HOST_PORT, "localhost/cnitest-busybox",
                        "httpd", "-f", "-p", "80", "-h", "/www")
        cid = p.stdout.strip().splitlines()[-1]
        self.assertRegex(cid, "^[0-9a-f]{64}$")

        # Our host-local reserved the container's address in our dataDir...
        res = self.reservations()
        self.assertEqual(len(res), 1, res)
        ip = res[0]
        self.assertTrue(ip.startswith("10.89.0."), ip)
        with open(os.path.join(self.t, "data", self.net, ip), "rb") as f:
            self.assertEqual(f.read(), (cid + "\r\neth0").encode())
        # ...our bridge built the bridge and the veth in the node namespace...
        br = self.node.json("ip -j addr show dev %s" % self.bridge)[0]
        self.assertIn("10.89.0.1", [a["local"] for a in br["addr_info"]])
        ports = [l for l in self.node.json("bridge -j -d link show")
                 if l.get("master") == self.bridge]
        self.assertEqual(len(ports), 1)
        self.assertTrue(ports[0].get("hairpin"))
        # ...and our portmap installed the DNAT rule, tagged with the container ID.
        rules = self.node.sh("nft list chain ip cni_hostport hostports")
        self.assertIn("dnat to %s:80" % ip, rules)
        self.assertIn(cid, rules)
        self.assertIn(ip, self.node.sh("nft list chain inet cni_plugins_masquerade masq_checks"))
        # podman recorded what our plugins returned.
        insp = json.loads(self.podman("inspect", "web").stdout)[0]
        self.assertEqual(insp["NetworkSettings"]["Networks"][self.net]["IPAddress"], ip,
                         json.dumps(insp["NetworkSettings"], indent=1))

        # The container's httpd, through the mapped host port.
        want = "hello from podman on cni-c\n"
        netns = "/proc/%d/ns/net" % insp["State"]["Pid"]
        cnitest.wait_for(lambda: sh("nsenter --net=%s -- ss -Hltn sport = :80" % netns,
                                    check=False).strip(), "httpd listening in the container")
        self.assertEqual(self.curl("http://10.89.0.1:%d/" % HOST_PORT), want)
        self.assertEqual(self.curl("http://127.0.0.1:%d/" % HOST_PORT), want)
        self.assertEqual(self.curl("http://%s:80/" % ip), want)

        self.podman("stop", "-t", "2", "web")
        self.podman("rm", "web")

        # Everything our plugins made for the container is gone.
        self.assertEqual(self.reservations(), [])
        self.assertEqual([l for l in self.node.json("bridge -j link show")
                          if l.get("master") == self.bridge], [])
        self.assertNotIn(cid, self.node.sh("nft list ruleset"))
        self.assertNotIn(ip, self.node.sh("nft list ruleset"))
        self.assertEqual(self.curl("http://127.0.0.1:%d/" % HOST_PORT), "")
        # libcni (inside podman) removed its cache entry too.
        results = os.path.join(self.t, "varlib", "cni", "results")
        self.assertEqual(os.listdir(results) if os.path.isdir(results) else [], [])


if __name__ == "__main__":
    unittest.main()
