# SPDX-License-Identifier: Apache-2.0
"""An OCI image archive built from Debian's busybox-static, for `ctr image import`.

Nothing is pulled: the one layer holds /bin/busybox, a link for every applet,
a web root (/www/index.html) and the few directories a container needs. The
archive follows the OCI image layout (oci-layout, index.json, blobs/sha256/)
with the image name in the index's `io.containerd.image.name` annotation, which
is what `ctr image import` names the image after.
"""
import hashlib
import io
import json
import os
import subprocess
import tarfile

BUSYBOX = "/bin/busybox"
DEFAULT_NAME = "localhost/cnitest-busybox:latest"
# The image's own command: a web server in the foreground. A CRI sandbox runs
# it as its "pause" process, so a pod serves HTTP on port 80 without a
# container of its own; `ctr run` passes its own command instead.
DEFAULT_CMD = ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]

HELLO_CGI = ("#!/bin/sh\n"
             "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
             "echo \"hello from $(hostname), you came from $REMOTE_ADDR\"\n")


def busybox_available():
    """True when busybox-static's /bin/busybox is a static binary we can copy."""
    if not os.path.exists(BUSYBOX):
        return False
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "busybox-static"],
                       capture_output=True, text=True)
    return p.returncode == 0 and "install ok installed" in p.stdout


def _applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                         check=True).stdout
    return sorted(a for a in out.split() if a and a != "busybox")


def _add(tar, name, kind, data=b"", mode=0o755, target=None):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.mode = mode
    if kind == "dir":
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif kind == "link":
        info.type = tarfile.SYMTYPE
        info.linkname = target
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def layer_tar(index_html):
    """The image's one layer, an uncompressed tar, as bytes (reproducible)."""
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "var", "run", "www", "root"):
            _add(tar, d, "dir", mode=0o1777 if d == "tmp" else 0o755)
        _add(tar, "bin/busybox", "file", busybox)
        for a in _applets():
            _add(tar, "bin/" + a, "link", target="busybox")
        _add(tar, "etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
        _add(tar, "etc/group", "file", b"root:x:0:\n", 0o644)
        _add(tar, "www/index.html", "file", index_html.encode(), 0o644)
        # A CGI page naming the pod (its hostname) and the address the request came from.
        _add(tar, "www/cgi-bin", "dir")
        _add(tar, "www/cgi-bin/hello", "file", HELLO_CGI.encode())
    return buf.getvalue()


def _blob(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def build_archive(path, workdir, name=DEFAULT_NAME, cmd=None,
                  index_html="hello from a pod on cni-c\n"):
    """Write an OCI image archive (tar) to `path`, using `workdir` as scratch."""
    root = os.path.join(workdir, "oci")
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layer = layer_tar(index_html)
    layer_desc = _blob(blobs, layer)
    config = {
        "architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                                    os.uname().machine),
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": cmd or DEFAULT_CMD, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    }
    config_desc = _blob(blobs, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config_desc, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer_desc, mediaType="application/vnd.oci.image.layer.v1.tar")],
    }
    manifest_desc = _blob(blobs, json.dumps(manifest, sort_keys=True).encode())
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    index = {
        "schemaVersion": 2,
        "manifests": [dict(manifest_desc,
                           mediaType="application/vnd.oci.image.manifest.v1+json",
                           annotations={"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": tag})],
    }
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with tarfile.open(path, "w") as tar:
        for entry in ("oci-layout", "index.json", "blobs"):
            tar.add(os.path.join(root, entry), arcname=entry)
    return path


if __name__ == "__main__":
    import argparse
    import tempfile
    ap = argparse.ArgumentParser(description="build a busybox OCI image archive")
    ap.add_argument("output")
    ap.add_argument("--name", default=DEFAULT_NAME)
    ap.add_argument("--index-html", default="hello from a pod on cni-c\n")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        build_archive(opts.output, d, opts.name, index_html=opts.index_html)
