# SPDX-License-Identifier: Apache-2.0
"""containerd 1.6 run by hand inside a network namespace standing in for a node.

There is no systemd: containerd is started here, inside the node's network
namespace and a private mount namespace (held by a `sleep` started here) with
tmpfs over /run, /var/lib, /opt, /etc/cni (and /usr/lib/cni, where Debian's
go-cni looks for plugins after /opt/cni/bin), so none of its state, libcni's
result cache, host-local's default store or the pods' netns mounts outlive it.
Inside that mount namespace /opt/cni/bin is the suite's bin/ (bind-mounted)
and /etc/cni/net.d holds the given conflists, which is where both the CRI
plugin and `ctr run --cni` look. Its socket is in the work directory, so the
host side reaches it directly; files inside the mount namespace are read
through /proc/<holder>/root.

Cleanup (close) works from any state: pods stopped and removed through the
CRI, ctr tasks killed, then every process still in the private mount
namespace (containerd, its shims, their containers) killed by PID, the
holder last, and the cgroups made for the pods removed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid

import cnitest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "client.py")
TOOLS = ("containerd", "ctr", "runc", "containerd-shim-runc-v2", "nsenter", "unshare")
CGROUP_ROOT = "/sys/fs/cgroup"


def missing_tools():
    """The programs containerd needs here that are not installed."""
    return [t for t in TOOLS if not shutil.which(t)]


def grpc_python():
    """A Python interpreter with grpc and grpc_tools (Debian's python3-grpcio and
    python3-grpc-tools live in /usr/bin/python3's path, which need not be the
    python3 running the tests), or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py):
            p = subprocess.run([py, "-c", "import grpc, grpc_tools.protoc"],
                               capture_output=True)
            if p.returncode == 0:
                return py
    return None


def _cgroup_dirs(name):
    """Every <controller>/<name> directory under /sys/fs/cgroup."""
    out = []
    try:
        ctrls = os.listdir(CGROUP_ROOT)
    except OSError:
        return out
    for c in ctrls:
        d = os.path.join(CGROUP_ROOT, c, name)
        if os.path.isdir(d):
            out.append(d)
    return out


def _rmdir_tree(top):
    """Remove a cgroup directory and its children, deepest first (empty cgroups only)."""
    for dirpath, dirnames, _ in os.walk(top, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


class ContainerdError(AssertionError):
    """A containerd, ctr or CRI command failed."""


class Containerd:
    """One containerd in the network namespace `netns_name`, state in `workdir`."""

    def __init__(self, netns_name, workdir, bin_dir, conflists, python=None, env=None):
        self.netns = "/run/netns/" + netns_name
        self.dir = workdir
        self.bin_dir = os.path.abspath(bin_dir)
        self.conflists = list(conflists)
        self.python = python
        self.env = dict(os.environ if env is None else env)
        self.sock = os.path.join(workdir, "containerd.sock")
        self.log_path = os.path.join(workdir, "containerd.log")
        self.gen_dir = os.path.join(workdir, "cri-gen")
        # Pods' and ctr containers' cgroups go under this parent, removed by close().
        self.cgroup_parent = "cnitest-" + uuid.uuid4().hex[:10]
        self.holder = None
        self.mntns = None
        self.proc = None
        self.log = None
        self._cgroups_before = {n: set(_cgroup_dirs(n)) for n in ("k8s.io", "default")}
        os.makedirs(os.path.join(workdir, "net.d"), exist_ok=True)
        for path in self.conflists:
            shutil.copy(path, os.path.join(workdir, "net.d"))
        self.write_config()

    # ---- set-up -----------------------------------------------------------

    def write_config(self):
        self.config = os.path.join(self.dir, "containerd.toml")
        with open(self.config, "w") as f:
            f.write('version = 2\n'
                    'root = "/var/lib/containerd"\n'
                    'state = "/run/containerd"\n'
                    '[grpc]\n'
                    '  address = "%s"\n'
                    '[plugins."io.containerd.grpc.v1.cri"]\n'
                    '  restrict_oom_score_adj = true\n'
                    '  sandbox_image = "localhost/cnitest-busybox:latest"\n'
                    '  [plugins."io.containerd.grpc.v1.cri".cni]\n'
                    '    bin_dir = "/opt/cni/bin"\n'
                    '    conf_dir = "/etc/cni/net.d"\n'
                    '    max_conf_num = 1\n' % self.sock)

    def start_holder(self):
        """The private mount namespace, inside the node's network namespace."""
        ready = os.path.join(self.dir, "mnt-ready")
        # Debian's go-cni also searches /usr/lib/cni (the Go plugins): hidden too.
        script = ('set -e; for d in /run /var/lib /opt /etc/cni /usr/lib/cni; do '
                  '[ -d $d ] && mount -t tmpfs tmpfs $d; '
                  'done; mkdir -p /opt/cni/bin /etc/cni/net.d; mount --bind "$1" /opt/cni/bin; '
                  'cp "$2"/* /etc/cni/net.d/; touch "$3"; exec sleep 1000000')
        if not os.path.isdir("/etc/cni"):
            raise ContainerdError("/etc/cni does not exist here: nothing to mount the private "
                                  "CNI config directory on")
        self.holder = subprocess.Popen(
            ["nsenter", "--net=" + self.netns, "--", "unshare", "--mount", "--propagation",
             "private", "--", "sh", "-c", script, "sh", self.bin_dir,
             os.path.join(self.dir, "net.d"), ready])

        def made():
            if self.holder.poll() is not None:
                raise ContainerdError("could not create containerd's mount namespace")
            return os.path.exists(ready)
        cnitest.wait_for(made, "containerd's mount namespace")
        # Its identity finds the processes inside even after the holder died.
        self.mntns = self._mntns(self.holder.pid)

    def start(self):
        """Start containerd (and the mount namespace, the first time); wait for the CRI."""
        if self.holder is None:
            self.start_holder()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.nsenter(["containerd", "--config", self.config]),
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)

        def answers():
            if self.proc.poll() is not None:
                raise ContainerdError("containerd exited (%d):\n%s" % (self.proc.returncode,
                                                                       self.log_tail()))
            return os.path.exists(self.sock) and self.ctr("version", check=False).returncode == 0
        try:
            cnitest.wait_for(answers, "containerd answering")
        except ContainerdError:
            raise
        except AssertionError as e:
            raise ContainerdError("%s:\n%s" % (e, self.log_tail())) from None

    def stop(self):
        """Stop containerd (SIGTERM, then SIGKILL); shims and pods keep running."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass

    def restart(self):
        self.stop()
        self.start()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ---- running things inside --------------------------------------------

    def nsenter(self, cmd):
        """`cmd` inside containerd's mount and network namespaces."""
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--"] + list(cmd)

    def root(self, path):
        """A path inside the private mount namespace, as seen from here."""
        return "/proc/%d/root%s" % (self.holder.pid, path)

    def ctr_cmd(self, *args, namespace=None):
        cmd = ["ctr", "--address", self.sock]
        if namespace:
            cmd += ["-n", namespace]
        return self.nsenter(cmd + list(args))

    def ctr(self, *args, namespace=None, check=True, timeout=60):
        p = subprocess.run(self.ctr_cmd(*args, namespace=namespace), capture_output=True,
                           text=True, env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise ContainerdError("ctr %s failed (%d): %s%s" % (" ".join(args), p.returncode,
                                                              p.stdout, p.stderr))
        return p

    def import_image(self, archive, namespace):
        self.ctr("image", "import", archive, namespace=namespace)

    def cri(self, method, request=None, check=True, timeout=60):
        """One CRI call through client.py; the response as a dict (None if it failed
        and check is False)."""
        if self.python is None:
            raise ContainerdError("no Python with grpc (python3-grpcio, python3-grpc-tools)")
        os.makedirs(self.gen_dir, exist_ok=True)
        p = subprocess.run([self.python, CLIENT, "--address", self.sock, "--gen-dir",
                            self.gen_dir, "--timeout", str(timeout), method,
                            json.dumps(request or {})], capture_output=True, text=True,
                           timeout=timeout + 30)
        if p.returncode != 0:
            if check:
                raise ContainerdError("CRI %s failed: %s\ncontainerd log:\n%s" % (
                    method, p.stderr.strip(), self.log_tail()))
            return None
        return json.loads(p.stdout)

    def pod_config(self, name, uid=None, namespace="cnitest", port_mappings=(),
                   annotations=None):
        """A PodSandboxConfig as the kubelet sends it, cgroup under our parent."""
        return {
            "metadata": {"name": name, "uid": uid or uuid.uuid4().hex, "namespace": namespace,
                         "attempt": 0},
            "hostname": name,
            "port_mappings": list(port_mappings),
            "annotations": annotations or {},
            "linux": {"cgroup_parent": "/" + self.cgroup_parent,
                      "security_context": {"namespace_options": {"network": "POD",
                                                                 "pid": "CONTAINER"}}},
        }

    def run_pod(self, config):
        return self.cri("RunPodSandbox", {"config": config})["pod_sandbox_id"]

    def pod_status(self, pod_id):
        """PodSandboxStatus (verbose): (status, info) with info decoded."""
        r = self.cri("PodSandboxStatus", {"pod_sandbox_id": pod_id, "verbose": True})
        info = json.loads(r.get("info", {}).get("info", "{}"))
        return r["status"], info

    def pod_netns(self, pod_id):
        """The pod's network namespace path, as seen from here."""
        _, info = self.pod_status(pod_id)
        if not info.get("pid"):
            raise ContainerdError("pod %s has no running sandbox process" % pod_id)
        return "/proc/%d/ns/net" % info["pid"]

    # ---- cleanup ------------------------------------------------------------

    def _mntns(self, pid):
        try:
            return os.readlink("/proc/%d/ns/mnt" % pid)
        except OSError:
            return None

    def _processes_inside(self):
        """PIDs sharing the private mount namespace (containerd, shims, ctr), holder
        excluded; and the containers' processes: children of those, and whatever is
        in the cgroups made under our parent."""
        ours = self.mntns
        inside, parents = [], {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                with open("/proc/%d/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents[pid] = ppid
            if pid != self.holder.pid and ours is not None and self._mntns(pid) == ours:
                inside.append(pid)
        children = [p for p, pp in parents.items() if pp in inside and p not in inside]
        for d in _cgroup_dirs(self.cgroup_parent):
            for dirpath, _, files in os.walk(d):
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(dirpath, "cgroup.procs")) as f:
                            children += [int(x) for x in f.read().split()]
                    except (OSError, ValueError):
                        pass
        return inside, sorted(set(children) - set(inside) - {self.holder.pid})

    def close(self):
        """Undo everything, whatever state things are in."""
        if self.holder is None:
            return
        if self.proc is not None and self.proc.poll() is None:
            r = self.cri("ListPodSandbox", {}, check=False, timeout=20) if self.python else None
            for item in (r or {}).get("items", []):
                self.cri("StopPodSandbox", {"pod_sandbox_id": item["id"]}, check=False,
                         timeout=20)
                self.cri("RemovePodSandbox", {"pod_sandbox_id": item["id"]}, check=False,
                         timeout=20)
            p = self.ctr("tasks", "ls", "-q", check=False, timeout=20)
            for t in p.stdout.split() if p.returncode == 0 else []:
                self.ctr("tasks", "kill", "-s", "SIGKILL", t, check=False, timeout=20)
                try:
                    cnitest.wait_for(lambda: self.ctr("tasks", "delete", t, check=False,
                                                      timeout=20).returncode == 0,
                                     "task %s deleted" % t)
                except AssertionError:
                    pass  # what is left inside is killed below
        self.stop()
        left = None
        if self.mntns is not None:
            # Whatever is still inside: the containers first, then their shims.
            def killed():
                inside, children = self._processes_inside()
                for pid in children + inside:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return not inside and not children
            try:
                cnitest.wait_for(killed, "no process left in containerd's mount namespace")
            except AssertionError as e:
                left = e  # reported once the rest is undone
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait()
        for d in _cgroup_dirs(self.cgroup_parent):
            _rmdir_tree(d)
        for name, before in self._cgroups_before.items():
            for d in set(_cgroup_dirs(name)) - before:
                _rmdir_tree(d)
        if left is not None:
            raise left
