#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Seed inputs for the JSON-reading fuzz targets.

    gen_corpus.py hand OUT            seeds from test-configs/ and the examples below
    gen_corpus.py capture BIN OUT     the stdin (and CNI_ARGS) of every plugin run of the
                                      integration suite, run against BIN through wrappers

Both write OUT/<target>/<name> files in the targets' input formats (tests/fuzz/fuzz_*.c).
`make fuzz-corpus` runs both and keeps, per target, the inputs that add coverage
(libFuzzer's -merge=1) in tests/fuzz/seeds/<target>.
"""
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
ARGS_SEP = b"\n--CNI_ARGS--\n"
VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

# The skel target's first bytes: command index, env choices, plugin choice.
SKEL_COMMANDS = {"ADD": 0, "DEL": 1, "CHECK": 2, "GC": 3, "STATUS": 4, "VERSION": 5}

PREV_RESULT = {
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "cni0", "mac": "0a:58:0a:58:00:01"},
                   {"name": "veth1234", "mac": "5e:11:22:33:44:55"},
                   {"name": "eth0", "mac": "0a:58:0a:58:00:05", "sandbox": "/var/run/netns/c"}],
    "ips": [{"address": "10.88.0.5/16", "gateway": "10.88.0.1", "interface": 2},
            {"address": "fd88::5/64", "gateway": "fd88::1", "interface": 2}],
    "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0", "gw": "fd88::1"}],
    "dns": {"nameservers": ["10.88.0.1"], "domain": "cluster.local", "search": ["a", "b"],
            "options": ["ndots:5"]},
}

RESULTS = [
    {"cniVersion": "0.1.0", "ip4": {"ip": "10.1.0.2/24", "gateway": "10.1.0.1",
                                    "routes": [{"dst": "0.0.0.0/0"}]},
     "ip6": {"ip": "fd00::2/64"}, "dns": {"nameservers": ["8.8.8.8"]}},
    {"cniVersion": "0.2.0", "ip4": {"ip": "10.1.0.2/24"}},
    {"cniVersion": "0.3.1", "interfaces": [{"name": "eth0", "sandbox": "/x"}],
     "ips": [{"version": "4", "address": "10.1.0.2/24", "gateway": "10.1.0.1",
              "interface": 0}],
     "routes": [{"dst": "10.0.0.0/8", "gw": "10.1.0.1"}]},
    {"cniVersion": "0.4.0", "ips": [{"version": "6", "address": "fd00::2/64"}]},
    PREV_RESULT,
    {"cniVersion": "1.1.0",
     "interfaces": [{"name": "eth0", "mac": "00:11:22:33:44:55", "mtu": 1500,
                     "sandbox": "/run/netns/x", "socketPath": "/s", "pciID": "0000:00:01.0"}],
     "ips": [{"address": "192.168.1.2/24", "interface": 0}],
     "routes": [{"dst": "0.0.0.0/0", "gw": "192.168.1.1", "mtu": 1400, "advmss": 1360,
                 "priority": 10, "table": 100, "scope": 0}],
     "dns": {}},
]

PORTMAP = [
    {"type": "portmap", "backend": "nftables", "snat": True,
     "runtimeConfig": {"portMappings": [
         {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
         {"hostPort": 5353, "containerPort": 53, "protocol": "udp"},
         {"hostPort": 9000, "containerPort": 9000, "protocol": "sctp", "hostIP": "10.0.0.1"},
         {"hostPort": 9001, "containerPort": 90, "protocol": "tcp", "hostIP": "::1"}]}},
    {"type": "portmap", "masqAll": True, "conditionsV4": ["ip", "saddr", "!=",
                                                         "{ 127.0.0.0/8, 169.254.0.0/16 }"],
     "conditionsV6": ["ip6", "daddr", "fd00::/8", "tcp", "dport", "{ 80, 443, 8000-8080 }"],
     "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": 8080}]}},
    {"type": "portmap", "conditionsV4": ["iifname", "\"eth*\"", "meta", "mark", "&", "0xff",
                                         "==", "1", "ct", "state", "new,established"]},
    {"type": "portmap", "conditionsV4": ["ip protocol { tcp, udp }", "udp sport ne domain",
                                         "oifname { \"a\", \"b\" }", "meta l4proto 17",
                                         "iif 1", "ip daddr 10.0.0.1-10.0.0.9"]},
    {"type": "portmap", "backend": "iptables", "markMasqBit": 14,
     "conditionsV4": ["-s", "1.2.3.4"]},
    {"type": "portmap", "externalSetMarkChain": "KUBE-MARK-MASQ"},
]

TUNING = [
    {"type": "tuning", "sysctl": {"net.core.somaxconn": "500",
                                  "net.ipv4.conf.IFNAME.arp_filter": "1",
                                  "net/ipv6/conf/IFNAME/accept_ra": "0"},
     "mac": "c2:b0:57:49:47:f1", "promisc": True, "mtu": 1454, "txQLen": 20000,
     "allmulti": True, "dataDir": "/tmp/fuzz-never-written",
     "runtimeConfig": {"mac": "c2:b0:57:49:47:f2"},
     "args": {"cni": {"mac": "c2:b0:57:49:47:f3", "mtu": 1400, "promisc": False,
                      "sysctl": {"net.core.somaxconn": "600"}}}},
    {"type": "tuning", "sysctl": {"net.ipv4.ip_forward": "1", "../../../etc": "x"}},
]

BANDWIDTH = [
    {"type": "bandwidth", "ingressRate": 123, "ingressBurst": 456, "egressRate": 123,
     "egressBurst": 456},
    {"type": "bandwidth", "runtimeConfig": {"bandwidth": {
        "ingressRate": 8000000, "ingressBurst": 80000000, "egressRate": 18446744073709551615,
        "egressBurst": 4294967296}}},
    {"type": "bandwidth", "ingressRate": None, "unshapedSubnets": ["10.0.0.0/8"]},
]

MACVLAN = [
    {"type": "macvlan", "master": "eth0", "mode": "bridge", "mtu": 1500,
     "mac": "0a:58:0a:01:01:05", "bcqueuelen": 100, "linkInContainer": False,
     "acceptRA": True, "runtimeConfig": {"mac": "0a:58:0a:01:01:06"},
     "ipam": {"type": "host-local", "subnet": "192.168.1.0/24",
              "rangeStart": "192.168.1.100", "rangeEnd": "192.168.1.200",
              "gateway": "192.168.1.1", "routes": [{"dst": "0.0.0.0/0"}]},
     "dns": {"nameservers": ["192.168.1.1"]}},
    {"type": "macvlan", "master": "", "mode": "passthru", "ipam": {},
     "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "eth1"}]}},
    {"type": "macvlan", "master": "eth0", "linkInContainer": True, "mode": "vepa",
     "mtu": -1, "ipam": {"type": "dhcp"}},
]

STATIC = [
    {"type": "bridge", "ipam": {"type": "static", "addresses": [
        {"address": "10.10.0.1/24", "gateway": "10.10.0.254"},
        {"address": "3ffe:ffff:0:01ff::1/64", "gateway": "3ffe:ffff:0::1"},
        {"address": "::ffff:10.1.0.2/120"}],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "10.10.5.1"}],
        "dns": {"nameservers": ["8.8.8.8"], "domain": "example.com", "search": ["example.com"]}},
     "args": {"cni": {"ips": ["10.10.0.9/24"]}},
     "runtimeConfig": {"ips": ["10.10.0.8/24", "fd00::8/64"]}},
]

HOSTDEV = [
    {"type": "host-device", "device": "eth1", "DPDKMode": False,
     "ipam": {"type": "static", "addresses": [{"address": "10.9.0.2/24"}]},
     "dns": {"nameservers": ["10.9.0.1"], "search": ["example.com"]}, "acceptRA": True},
    {"type": "host-device", "hwaddr": "aa:bb:cc:dd:ee:ff"},
    {"type": "host-device", "kernelpath": "/sys/devices/pci0000:00/0000:00:1f.6/../../x"},
    {"type": "host-device", "pciBusID": "0000:3d:00.1", "deviceID": "0000:3d:00.1",
     "capabilities": {"deviceID": True}},
    {"type": "host-device", "runtimeConfig": {"deviceID": "mlx5_core.sf.2"}},
    {"type": "host-device", "device": "net1", "hwaddr": "zz",
     "prevResult": {"cniVersion": "1.0.0", "interfaces": [
         {"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": "/run/netns/x"}]}},
]

TAP = [
    {"type": "tap", "mac": "00:11:22:33:44:55", "mtu": 1500,
     "selinuxcontext": "system_u:system_r:container_t:s0", "multiQueue": True, "owner": 0,
     "group": 0, "bridge": "br1", "runtimeConfig": {"mac": "02:11:22:33:44:56"},
     "args": {"cni": {}}, "dns": {"nameservers": ["10.1.1.1"]}},
    {"type": "tap", "owner": 4294967295, "acceptRA": True,
     "ipam": {"type": "host-local", "subnet": "10.1.1.0/24"}, "prevResult": PREV_RESULT},
]

DUMMY = [
    {"type": "dummy", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}},
    {"type": "dummy", "acceptRA": False, "dns": {"nameservers": ["10.1.2.1"]},
     "ipam": {"type": "static", "addresses": [{"address": "10.1.2.9/32"}]},
     "prevResult": PREV_RESULT},
]

SBR = [
    {"type": "sbr", "prevResult": {"cniVersion": "0.3.0", "interfaces": [
        {"name": "net1", "sandbox": "/var/run/netns/c1"}], "ips": [
        {"version": "4", "address": "192.168.1.209/24", "gateway": "192.168.1.1",
         "interface": 0}], "routes": []}},
    {"type": "sbr", "table": 200, "prevResult": PREV_RESULT},
    {"type": "sbr", "gateways": ["192.168.1.254", "fd00::1"], "addSourceHints": True,
     "prevResult": PREV_RESULT},
    {"type": "sbr", "gateways": ["10.0.0.1", "::ffff:10.0.0.2"]},
]

PTP = [
    {"type": "ptp", "ipMasq": True, "ipMasqBackend": "iptables", "mtu": 1400,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.1.0/24"}],
                                               [{"subnet": "fd00:1::/64"}]],
              "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]},
     "dns": {"nameservers": ["10.1.1.1"], "search": ["example.com"]}},
    {"type": "ptp", "ipMasqBackend": "nftables", "ipam": {"type": "static"},
     "prevResult": PREV_RESULT},
    {"type": "ptp", "ipMasqBackend": "pf", "mtu": 70000, "dns": {}},
]

VRF = [
    {"type": "vrf", "vrfname": "blue"},
    {"type": "vrf", "vrfname": "blue", "table": 1001, "prevResult": PREV_RESULT},
    {"type": "vrf", "VRFName": "a-name-too-long-for-a-link", "table": 4294967296},
]

IPVLAN = [
    {"type": "ipvlan", "master": "eth0", "mode": "l3s", "mtu": 1400, "linkInContainer": False,
     "acceptRA": True, "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"},
     "dns": {"nameservers": ["10.1.2.1"]}},
    {"type": "ipvlan", "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}],
                                      "ips": [{"address": "10.1.2.5/24", "interface": 0}]}},
    {"type": "ipvlan", "mode": "vepa", "mtu": -1},
]

VLAN = [
    {"type": "vlan", "master": "eth0", "vlanId": 5, "mtu": 1500, "linkInContainer": True,
     "acceptRA": False, "ipam": {"type": "host-local", "subnet": "10.1.1.0/24"},
     "dns": {"nameservers": ["10.1.1.1", "8.8.8.8"]}},
    {"type": "vlan", "vlanId": 4095, "ipam": {"type": "static"},
     "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "net1", "sandbox": "/x"}]}},
    {"type": "vlan", "vlanId": 0},
]

HOSTLOCAL = [
    {"type": "bridge", "ipam": {"type": "host-local", "ranges": [
        [{"subnet": "10.1.2.0/24", "rangeStart": "10.1.2.9", "rangeEnd": "10.1.2.40",
          "gateway": "10.1.2.30"}, {"subnet": "10.1.4.0/24"}],
        [{"subnet": "2001:db8:1::/64", "rangeStart": "2001:db8:1::ffff:fff0"}]],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "1.1.1.1"}],
        "dataDir": "/tmp/x", "resolvConf": "/etc/resolv.conf", "reclaimOnReboot": False}},
    {"type": "bridge", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24",
                                "rangeStart": "10.1.2.3", "gateway": "10.1.2.1"},
     "args": {"cni": {"ips": ["10.1.2.7"]}}, "runtimeConfig": {"ipRanges": [
         [{"subnet": "10.9.0.0/31"}], [{"subnet": "fd00::/127"}]], "ips": ["10.9.0.1"]}},
]

BRIDGE = [
    {"type": "bridge", "bridge": "cni0", "isGateway": True, "isDefaultGateway": True,
     "forceAddress": True, "ipMasq": True, "ipMasqBackend": "nftables", "mtu": 1400,
     "hairpinMode": True, "promiscMode": True, "vlan": 100, "preserveDefaultVlan": False,
     "vlanTrunk": [{"minID": 10, "maxID": 20}, {"id": 30}], "enabledad": True,
     "macspoofchk": True, "disableContainerInterface": False, "portIsolation": True,
     "mac": "0a:58:00:00:00:01", "ipam": {"type": "host-local", "subnet": "10.1.0.0/24"},
     "args": {"cni": {"mac": "0a:00:00:00:00:02"}}, "runtimeConfig": {"mac": "0a:00:00:00:00:03"},
     "prevResult": PREV_RESULT},
    {"type": "bridge", "bridge": "br1", "isGateway": False, "ipam": {}},
]


# What Debian's Go dhcp binary (1.1.1) sends, recorded in exchanges like the live tests' of
# test_dhcp_gob: the plugin's calls after CONNECT (ADD, DEL) and the daemon's answers (an
# Allocate error, a lease from busybox udhcpd and its Release, a Release), for the dhcp_gob
# target (first byte: 0 server side, 1 client side, 2 call, 3 any messages).
GO_DHCP_WIRE = {
    "plugin-add": bytes.fromhex(
        "2fff81030101075265717565737401ff82000102010d536572766963654d6574686f64010c000103"
        "536571010600000012ff82010d444843502e416c6c6f63617465005aff8303010107436d64417267"
        "7301ff84000106010b436f6e7461696e65724944010c0001054e65746e73010c00010649664e616d"
        "65010c00010441726773010c00010450617468010c000109537464696e44617461010a000000ffc2"
        "ff8401046374723101102f7661722f72756e2f6e65746e732f78010465746830011e4b38535f504f"
        "445f4e414d453d613b49676e6f7265556e6b6e6f776e3d31010c2f7573722f6c69622f636e690171"
        "7b22636e6956657273696f6e223a22312e302e30222c226e616d65223a226e222c2274797065223a"
        "226d6163766c616e222c226970616d223a7b2274797065223a2264686370222c226461656d6f6e53"
        "6f636b657450617468223a222f746d702f676f626361702f732e736f636b227d7d00"),
    "plugin-del": bytes.fromhex(
        "2fff81030101075265717565737401ff82000102010d536572766963654d6574686f64010c000103"
        "536571010600000011ff82010c444843502e52656c65617365005aff8303010107436d6441726773"
        "01ff84000106010b436f6e7461696e65724944010c0001054e65746e73010c00010649664e616d65"
        "010c00010441726773010c00010450617468010c000109537464696e44617461010a000000ffc2ff"
        "8401046374723101102f7661722f72756e2f6e65746e732f78010465746830011e4b38535f504f44"
        "5f4e414d453d613b49676e6f7265556e6b6e6f776e3d31010c2f7573722f6c69622f636e6901717b"
        "22636e6956657273696f6e223a22312e302e30222c226e616d65223a226e222c2274797065223a22"
        "6d6163766c616e222c226970616d223a7b2274797065223a2264686370222c226461656d6f6e536f"
        "636b657450617468223a222f746d702f676f626361702f732e736f636b227d7d00"),
    "daemon-allocate-error": bytes.fromhex(
        "3aff8103010108526573706f6e736501ff82000103010d536572766963654d6574686f64010c0001"
        "0353657101060001054572726f72010c00000052ff82010d444843502e416c6c6f63617465023e66"
        "61696c656420746f2053746174667320222f7661722f72756e2f6e65746e732f78223a206e6f2073"
        "7563682066696c65206f72206469726563746f7279000aff83030102ff8400000003ff8400"),
    "daemon-lease": bytes.fromhex(
        "3aff8103010108526573706f6e736501ff82000103010d536572766963654d6574686f64010c0001"
        "0353657101060001054572726f72010c00000012ff82010d444843502e416c6c6f636174650051ff"
        "8303010106526573756c7401ff84000105010a434e4956657273696f6e010c00010a496e74657266"
        "6163657301ff8800010349507301ff8e000106526f7574657301ff92000103444e5301ff94000000"
        "24ff87020101155b5d2a74797065733130302e496e7465726661636501ff880001ff86000029ff85"
        "030102ff8600010301044e616d65010c0001034d6163010c00010753616e64626f78010c00000023"
        "ff8d020101145b5d2a74797065733130302e4950436f6e66696701ff8e0001ff8a000033ff890301"
        "02ff8a0001030109496e7465726661636501040001074164647265737301ff8c0001074761746577"
        "6179010a00000023ff8b0301010549504e657401ff8c00010201024950010a0001044d61736b010a"
        "0000001dff910201010e5b5d2a74797065732e526f75746501ff920001ff9000001cff8f030102ff"
        "90000102010344737401ff8c0001024757010a00000046ff9303010103444e5301ff94000104010b"
        "4e616d657365727665727301ff96000106446f6d61696e010c00010653656172636801ff96000107"
        "4f7074696f6e7301ff9600000016ff95020101085b5d737472696e6701ff9600010c000033ff8403"
        "01020104c0a84d380104ffffff00000104c0a84d0100010101010400000000010400000000000104"
        "c0a84d0100010000"),
    "daemon-lease-release": bytes.fromhex(
        "3aff8103010108526573706f6e736501ff82000103010d536572766963654d6574686f64010c0001"
        "0353657101060001054572726f72010c00000011ff82010c444843502e52656c65617365000aff97"
        "030102ff9800000003ff9800"),
    "daemon-release": bytes.fromhex(
        "3aff8103010108526573706f6e736501ff82000103010d536572766963654d6574686f64010c0001"
        "0353657101060001054572726f72010c00000011ff82010c444843502e52656c65617365000aff83"
        "030102ff8400000003ff8400"),
}


DHCP_CONF = [
    {"type": "macvlan", "master": "eth0", "ipam": {"type": "dhcp"}},
    {"type": "bridge", "bridge": "cni0", "ipam": {
        "type": "dhcp", "daemonSocketPath": "/run/cni/dhcp.sock", "daemonAutostart": False,
        "daemonTimeout": 30, "priority": 100, "suppress": ["gateway"],
        "request": [{"skipDefault": False}, {"option": "121"}],
        "provide": [{"option": "host-name", "fromArg": "K8S_POD_NAME"},
                    {"option": "user-class", "value": "cni"}]}},
    {"type": "ipvlan", "ipam": {"type": "dhcp", "request": [{"skipDefault": True,
                                                             "option": "subnet-mask"}]}},
    {"type": "macvlan", "ipam": {"type": "dhcp", "provide": [
        {"option": "dhcp-client-identifier", "value": "id"}, {"option": "60", "value": "v"}]}},
]


def dhcp_conf_seeds(add):
    for i, p in enumerate(DHCP_CONF):
        add("dhcp_conf", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;K8S_POD_NAME=pod-1")
    add("dhcp_conf", "no-ipam", dump(netconf({"type": "macvlan"})))
    add("dhcp_conf", "bad-suppress", dump(netconf({"ipam": {"type": "dhcp",
                                                            "suppress": ["routes"]}})))


def dhcp_gob_seeds(add):
    connect = b"CONNECT /_goRPC_ HTTP/1.0\n\n"
    for name, data in GO_DHCP_WIRE.items():
        if name.startswith("plugin"):
            add("dhcp_gob", "server-" + name, bytes([0, 7]) + connect + data)
            add("dhcp_gob", "call-" + name, b"\x02" + data)
        else:
            add("dhcp_gob", "reply-" + name, b"\x01" + data)
        add("dhcp_gob", "any-" + name, b"\x03" + data)
    add("dhcp_gob", "server-get", b"\x00\x40GET /_goRPC_ HTTP/1.1\r\nHost: x\r\n\r\n")


def write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def netconf(entry, name="fuzznet", version="1.0.0"):
    c = {"cniVersion": version, "name": name}
    c.update(entry)
    return c


def dump(c):
    return json.dumps(c, indent=2).encode()


def skel_input(command, body, b1=0, b2=0):
    return bytes([SKEL_COMMANDS[command], b1, b2]) + body


def store_record(kind, pick, content):
    return bytes([kind, pick]) + struct.pack("<H", len(content)) + content


def store_seeds(out):
    """Store directories: a clean one, one with our index and boot record, crash leftovers."""
    idx = (b"host-local-index v2 dirstamp=000000000000001700000000.000000000\n"
           b"10.1.0.2 1234 1700000000.000000001 cid%0D%0Aeth0\n"
           b"10.1.0.3 1235 1700000000.000000002 other%0D%0Aeth0\n"
           b"end 2\n")
    seeds = {
        "clean": bytes([0x01, 0x00]) + store_record(0, 0, b"cid\r\neth0") +
        store_record(3, 0, b"10.1.0.2"),
        "indexed": bytes([0x03, 0x41]) + store_record(0, 0, b"cid\r\neth0") +
        store_record(0, 1, b"other\r\neth0") + store_record(1, 0, idx) +
        store_record(2, 0, b"boot_id 00000000-0000-0000-0000-000000000000\n"),
        "leftovers": bytes([0x07, 0x80]) + store_record(4, 0, b"AbC123") +
        store_record(0, 2, b"") + store_record(0, 4, b"cid") + store_record(7, 0x50, b"") +
        store_record(6, 5, b"") + store_record(5, 0, b".other.ABCDEF") +
        store_record(4, 0x81, b"XyZ789"),
        "legacy": bytes([0x05, 0x22]) + store_record(0, 0, b"cid") +
        store_record(0, 4, b"  cid\r\neth0\n") + store_record(3, 1, b"fd00::2"),
    }
    for name, data in seeds.items():
        write(out, "hostlocal_store", name, data)


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(payload, src, dst):
    """An IPv4/UDP datagram 67 -> 68 around a DHCP payload, both checksums set."""
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", 67, 68, udp_len, 0) + payload
    csum = ip_checksum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    return ip + udp


def dhcp_reply(msg_type, yiaddr, options):
    """A BOOTREPLY with the given options (bytes after option 53), ended."""
    fixed = bytearray(236)
    fixed[0:3] = b"\x02\x01\x06"
    fixed[16:20] = bytes(yiaddr)
    return bytes(fixed) + b"\x63\x82\x53\x63" + bytes([53, 1, msg_type]) + options + b"\xff"


def dhcp4_seeds(add):
    """Real servers' replies (corpus/dhcp4: dnsmasq and udhcpd, captured by the live test)
    and hand-made ones (overload, split options, NAK); each raw (0), framed (1), fed to a
    lease (2); a journal record of the fuzzer's client (3); the daemon's record, release
    request and a duration (4)."""
    d = os.path.join(HERE, "corpus", "dhcp4")
    msgs = {}
    for fn in sorted(os.listdir(d)):
        with open(os.path.join(d, fn), "rb") as f:
            msgs[os.path.splitext(fn)[0]] = f.read()
    ov = dhcp_reply(5, [10, 0, 0, 9], b"\x34\x01\x03\x36\x04\x0a\x00\x00\x01")
    ov = bytearray(ov)
    ov[108:108 + 9] = b"\x01\x04\xff\xff\xff\x00\x03\x04\x0a"
    ov[44:44 + 8] = b"\x77\x05\x01\x61\x01\x62\x00\xff"
    msgs["hand-overload"] = bytes(ov)
    msgs["hand-nak"] = dhcp_reply(6, [0, 0, 0, 0], b"\x36\x04\x0a\x00\x00\x01"
                                  b"\x38\x0bwrong place")
    msgs["hand-split"] = dhcp_reply(
        5, [10, 0, 0, 9], b"\x36\x04\x0a\x00\x00\x01\x01\x04\xff\xff\xff\x00"
        b"\x79\x05\x18\x0a\x01\x02\x0a\x79\x03\x00\x00\x01"
        b"\x21\x08\x0a\x02\x00\x00\x0a\x00\x00\x01\x06\x04\x01\x01\x01\x01"
        b"\x77\x0a\x03abc\x00\x01x\xc0\x00\x00\x33\x04\x00\x00\x00\x3c")
    for name, m in msgs.items():
        add("dhcp4", name, b"\x00" + m)
        add("dhcp4", name + "-framed", b"\x01" + udp_frame(m, bytes([10, 0, 0, 1]),
                                                              bytes([255, 255, 255, 255])))
        add("dhcp4", name + "-lease", b"\x02" + m)
    ack = msgs["dnsmasq-ack"]
    rec = {"clientId": (b"\x00fuzz/net/eth0").hex(), "mac": "02:00:00:00:00:01",
           "ifname": "eth0", "netns": "ns", "state": "bound",
           "address": ".".join(str(b) for b in ack[16:20]), "serverId": "10.77.0.1",
           "boundAt": 1000, "renewAt": 301000, "rebindAt": 526000, "expiresAt": 601000,
           "ack": ack.hex()}
    add("dhcp4", "record", b"\x03" + json.dumps(rec).encode())
    daemon_rec = {"lease": rec, "key": "fuzz/net/eth0", "containerID": "fuzz",
                  "netns": "/run/netns/fuzz", "ifname": "eth0", "args": "",
                  "config": json.dumps({"cniVersion": "1.0.0", "name": "net",
                                        "ipam": {"type": "dhcp"}})}
    add("dhcp4", "daemon-record", b"\x04" + json.dumps(daemon_rec).encode())
    add("dhcp4", "daemon-release", b"\x04" + json.dumps(
        {"ContainerID": "fuzz", "Netns": "/run/netns/fuzz", "IfName": "eth0", "Args": "",
         "Path": "/opt/cni/bin", "StdinData": daemon_rec["config"]}).encode())
    add("dhcp4", "daemon-duration", b"\x041h2m3.5s")


def hand(out):
    confs = {}  # target -> {name: bytes}

    def add(target, name, data):
        confs.setdefault(target, {})[name] = data

    for fn in sorted(os.listdir(os.path.join(ROOT, "test-configs"))):
        with open(os.path.join(ROOT, "test-configs", fn)) as f:
            conflist = json.load(f)
        base = os.path.splitext(fn)[0]
        for i, p in enumerate(conflist["plugins"]):
            c = netconf(p, conflist["name"], conflist.get("cniVersion", "1.0.0"))
            t = p.get("type")
            if i > 0:
                c["prevResult"] = PREV_RESULT
            if t == "portmap":
                c.setdefault("runtimeConfig", {})["portMappings"] = [
                    {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]
            if t == "bandwidth":
                c.setdefault("runtimeConfig", {})["bandwidth"] = {
                    "ingressRate": 1000000, "ingressBurst": 100000,
                    "egressRate": 1000000, "egressBurst": 100000}
            name = "%s-%d-%s" % (base, i, t)
            data = dump(c)
            add("skel", name, skel_input("ADD", data))
            if t in ("bridge", "portmap", "tuning", "bandwidth", "macvlan", "dummy", "tap",
                     "ipvlan", "vlan", "sbr", "ptp", "vrf"):
                add(t, name, data if t != "portmap" else b"\x00" + data)
            ipam = p.get("ipam", {}).get("type")
            if ipam == "host-local":
                add("hostlocal_conf", name, data)
            if ipam == "static":
                add("static", name, data)
    for i, p in enumerate(PORTMAP):
        c = netconf(p)
        c["prevResult"] = PREV_RESULT
        add("portmap", "example-%d" % i, bytes([0x10]) + dump(c))
        add("portmap", "example-%d-del" % i, bytes([0x11]) + dump(c))
    for i, p in enumerate(TUNING):
        add("tuning", "example-%d" % i, dump(netconf(p)) + ARGS_SEP + b"MAC=c2:b0:57:49:47:f4")
    add("tuning", "backup", b'{\n "mac": "c2:b0:57:49:47:f1",\n "promisc": false,\n'
        b' "mtu": 1500,\n "allmulti": false,\n "txQLen": 1000\n}')
    add("tuning", "regex", b"^net\\.ipv4\\.conf\\.[^.]+\\.(?i:arp)_\\d+$")
    for i, p in enumerate(TAP):
        add("tap", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;MAC=0a:00:00:00:00:07")
    for i, p in enumerate(DUMMY):
        add("dummy", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(PTP):
        add("ptp", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(IPVLAN):
        add("ipvlan", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(SBR):
        add("sbr", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(VLAN):
        add("vlan", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(VRF):
        add("vrf", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(BANDWIDTH):
        add("bandwidth", "example-%d" % i, dump(netconf(p)))
    for i, p in enumerate(MACVLAN):
        add("macvlan", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;K8S_POD_NAME=p;MAC=0a:58:0a:01:01:07")
    add("bandwidth", "alias", b"cni-bandwidth fuzznet 0123456789abcdef")
    for i, p in enumerate(STATIC):
        add("static", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;IP=10.10.0.7/24,fd00::7/64;GATEWAY=10.10.0.254")
    for i, p in enumerate(HOSTDEV):
        add("hostdev", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p")
    for i, p in enumerate(HOSTLOCAL):
        add("hostlocal_conf", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;IP=10.1.2.10,2001:db8:1::10")
    for i, p in enumerate(BRIDGE):
        add("bridge", "example-%d" % i, dump(netconf(p)) + ARGS_SEP +
            b"IgnoreUnknown=1;MAC=0a:00:00:00:00:09")
    for i, r in enumerate(RESULTS):
        add("result", "result-%s" % r["cniVersion"], dump(r))
        add("result", "prev-%s" % r["cniVersion"],
            dump({"cniVersion": r["cniVersion"], "name": "n", "prevResult": r}))
    for cmd in ("DEL", "CHECK", "GC", "STATUS", "VERSION"):
        c = netconf({"type": "bridge", "prevResult": PREV_RESULT}, version="1.1.0")
        if cmd == "GC":
            c["cni.dev/valid-attachments"] = [{"containerID": "cid-1", "ifname": "eth0"}]
        add("skel", "cmd-" + cmd, skel_input(cmd, dump(c)))
    add("skel", "args", skel_input("ADD", dump(netconf({"type": "x"}))) + ARGS_SEP +
        b"IgnoreUnknown=1;IP=10.0.0.5;K8S_POD_NAME=x")
    add("skel", "self-netns-del", skel_input("DEL", dump(netconf({"type": "x"})), b1=0x20))
    add("skel", "old-plugin", skel_input("ADD", dump(netconf({"type": "x"}, version="0.2.0")),
                                         b2=2))
    dhcp_gob_seeds(add)
    dhcp_conf_seeds(add)
    # Hand-written inputs (strict JSON grammar, the legacy GC key, CNI_ARGS).
    legacy = os.path.join(HERE, "corpus")
    for fn in sorted(os.listdir(legacy)):
        p = os.path.join(legacy, fn)
        if not os.path.isfile(p):
            continue
        with open(p, "rb") as f:
            data = f.read()
        name = os.path.splitext(fn)[0]
        if fn == "args.txt":
            add("bridge", name, dump(netconf(BRIDGE[1])) + ARGS_SEP + data)
            continue
        add("skel", name, skel_input("GC" if "gc" in fn else "ADD", data))
        add("bridge", name, data)
        add("result", name, data)
    dhcp4_seeds(add)
    for target, items in confs.items():
        for name, data in items.items():
            write(out, target, name, data)
    store_seeds(out)


WRAPPER = """#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
f="%(dir)s/$(basename "$0")-$$-$(date +%%s%%N)"
cat > "$f.in"
printf '%%s' "$CNI_COMMAND" > "$f.cmd"
printf '%%s' "${CNI_ARGS-}" > "$f.args"
exec "%(bin)s/$(basename "$0")" < "$f.in"
"""

TARGET_OF = {"bridge": "bridge", "portmap": "portmap", "tuning": "tuning",
             "bandwidth": "bandwidth", "host-local": "hostlocal_conf", "static": "static",
             "macvlan": "macvlan", "dummy": "dummy", "tap": "tap",
             "host-device": "hostdev", "ipvlan": "ipvlan", "vlan": "vlan", "sbr": "sbr", "ptp": "ptp",
             "vrf": "vrf"}


def capture(bin_dir, out):
    """Run the integration suite through wrappers that keep every plugin's input."""
    bin_dir = os.path.abspath(bin_dir)
    tmp = tempfile.mkdtemp(prefix="fuzz-capture-")
    try:
        wrap, got = os.path.join(tmp, "bin"), os.path.join(tmp, "got")
        os.makedirs(wrap)
        os.makedirs(got)
        for name in os.listdir(bin_dir):
            p = os.path.join(wrap, name)
            with open(p, "w") as f:
                f.write(WRAPPER % {"dir": got, "bin": bin_dir})
            os.chmod(p, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "run_integration.py"),
                        "--bin", wrap], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen = set()
        for fn in sorted(os.listdir(got)):
            if not fn.endswith(".in"):
                continue
            stem = fn[:-3]
            plugin = stem.split("-")[0]
            for name in ("host-local", "host-device"):
                if stem.startswith(name + "-"):
                    plugin = name
            with open(os.path.join(got, fn), "rb") as f:
                data = f.read()
            try:
                with open(os.path.join(got, stem + ".cmd"), "rb") as f:
                    cmd = f.read().decode()
                with open(os.path.join(got, stem + ".args"), "rb") as f:
                    args = f.read()
            except OSError:
                continue
            h = hashlib.sha1(plugin.encode() + cmd.encode() + data + args).hexdigest()[:16]
            if h in seen:
                continue
            seen.add(h)
            body = data + (ARGS_SEP + args if args else b"")
            if cmd in SKEL_COMMANDS:
                write(out, "skel", "cap-" + h, skel_input(cmd, body))
            t = TARGET_OF.get(plugin)
            if t == "portmap":
                body = bytes([0x10 | (1 if cmd in ("DEL", "GC") else 0)]) + body
            if t:
                write(out, t, "cap-" + h, body)
            if plugin in ("bridge", "portmap", "tuning", "bandwidth"):
                try:
                    if "prevResult" in json.loads(data):
                        write(out, "result", "cap-" + h, data)
                except ValueError:
                    pass
    finally:
        shutil.rmtree(tmp, True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "hand":
        hand(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
