#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal CRI (runtime.v1) client over containerd's socket, as a command.

    client.py --address SOCK [--gen-dir DIR] METHOD [REQUEST-JSON]

METHOD is a RuntimeService call of runtime.proto (Version, RunPodSandbox,
PodSandboxStatus, StopPodSandbox, RemovePodSandbox, ListPodSandbox); the
request is the message in protobuf's JSON mapping with the .proto's field
names, the response is printed the same way (fields at their default value
included). A failed call prints `CODE: details` on stderr and exits 1.

The Python modules are generated from runtime.proto with grpc_tools (Debian's
python3-grpc-tools, offline) into --gen-dir, or a temporary directory when it
is not given; a directory already holding them is reused.
"""
import argparse
import importlib
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = "runtime.proto"


def generate(outdir):
    """Generate runtime_pb2 and runtime_pb2_grpc into outdir (once)."""
    if os.path.exists(os.path.join(outdir, "runtime_pb2_grpc.py")):
        return outdir
    from grpc_tools import protoc
    rc = protoc.main(["protoc", "-I" + HERE, "--python_out=" + outdir,
                      "--grpc_python_out=" + outdir, os.path.join(HERE, PROTO)])
    if rc != 0:
        raise RuntimeError("protoc failed on %s (exit %d)" % (PROTO, rc))
    return outdir


class Client:
    """RuntimeService calls with dicts in and out."""

    def __init__(self, address, gen_dir, timeout=60):
        import grpc
        from google.protobuf import json_format
        generate(gen_dir)
        sys.path.insert(0, gen_dir)
        self.pb2 = importlib.import_module("runtime_pb2")
        pb2_grpc = importlib.import_module("runtime_pb2_grpc")
        self.json_format = json_format
        self.channel = grpc.insecure_channel("unix://" + address)
        self.stub = pb2_grpc.RuntimeServiceStub(self.channel)
        self.timeout = timeout

    def call(self, method, request):
        """Call `method` with `request` (dict); return the response as a dict."""
        req = getattr(self.pb2, method + "Request")()
        self.json_format.ParseDict(request or {}, req)
        resp = getattr(self.stub, method)(req, timeout=self.timeout)
        return self.json_format.MessageToDict(resp, preserving_proto_field_name=True,
                                              including_default_value_fields=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", required=True, help="containerd's socket")
    ap.add_argument("--gen-dir", help="where the generated modules live")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("method")
    ap.add_argument("request", nargs="?", default="{}")
    opts = ap.parse_args()
    import grpc
    with tempfile.TemporaryDirectory(prefix="cri-gen-") as tmp:
        gen = opts.gen_dir or tmp
        os.makedirs(gen, exist_ok=True)
        client = Client(opts.address, gen, opts.timeout)
        try:
            resp = client.call(opts.method, json.loads(opts.request))
        except grpc.RpcError as e:
            print("%s: %s" % (e.code().name, e.details()), file=sys.stderr)
            return 1
        json.dump(resp, sys.stdout, indent=1, sort_keys=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
