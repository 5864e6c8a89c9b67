#!/usr/bin/env python3
"""Writes the packets and initial maps of the XDP corpus.

    tests/corpus/pcap/<prog>.pcap   classic pcap, linktype 1 (Ethernet), microsecond timestamps
    tests/corpus/maps/<prog>.json   initial map contents, for the programs that need any

Standard library only.  Every frame is listed with the verdict the program should give it and
why (cargo xtask corpus shows what Linux and rvo give).  IPv4, TCP, UDP and ICMP checksums are
correct unless a frame says otherwise.  No frame is shorter than 14 bytes: Linux's
BPF_PROG_TEST_RUN refuses frames without a whole Ethernet header.

The map files have the form of `bpftool map dump -j`, one object keyed by map name:
{"name": [{"key": ["0x0a", ...], "value": ["0x01", ...]}, ...]}, per-CPU maps with
"values": [{"cpu": 0, "value": [...]}, ...] instead of "value" (none needed so far), program
arrays with the name of a program of the same object as the value: {"key": [...], "value":
"xdp_meta_ipv4"} (Linux's value would be a file descriptor).  Entries not listed are absent
(hash maps) or zero (arrays).

Usage: gen_pcaps.py [OUT_DIR]   (default: the directory of this script)
"""
import json
import os
import struct
import sys

ABORTED, DROP, PASS, TX, REDIRECT = range(5)
VERDICT_NAMES = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]

ETH_IP, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ, ETH_LLDP = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8, 0x88CC
TCP, UDP, ICMP, IPIP, GRE, ICMPV6 = 6, 17, 1, 4, 47, 58
HOPOPTS, ROUTING, FRAGMENT, DSTOPTS, AH, ESP, NONXT = 0, 43, 44, 60, 51, 50, 59

PEER = "02:00:00:00:00:01"  # the other end of the link
DUT = "02:00:00:00:00:02"  # the port the program runs on
LO_IFINDEX = 1  # devmap targets: lo exists on every Linux machine; on rvo it is just a number


# --- packet building -------------------------------------------------------------------------

def mac(s: str) -> bytes:
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ip6(a: str) -> bytes:
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack("!8H", *(h + [0] * (8 - len(h) - len(t)) + t))


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype: int, dst: str = DUT, src: str = PEER) -> bytes:
    return mac(dst) + mac(src) + struct.pack("!H", ethertype)


def vlan(tci: int, ethertype: int) -> bytes:
    return struct.pack("!HH", tci, ethertype)


def ipv4(proto, src, dst, payload=b"", *, ihl=5, tos=0, ttl=64, ident=1, frag=0, tot_len=None,
         check=None, version=4, options=None) -> bytes:
    """frag is the 16-bit flags/fragment-offset field (0x2000: MF, 0x4000: DF)."""
    if options is None:
        options = bytes([1] * (4 * ihl - 20)) if ihl > 5 else b""  # NOPs
    total = 20 + len(options) + len(payload) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, tos, total, ident, frag, ttl, proto, 0,
                      ip4(src), ip4(dst)) + options
    c = csum(hdr) if check is None else check
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def pseudo4(src, dst, proto, length) -> bytes:
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def tcp(src, dst, sport, dport, flags="S", payload=b"", seq=1000, ack=0) -> bytes:
    bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[f] for f in flags)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, bits, 65535, 0, 0) + payload
    c = csum(pseudo4(src, dst, TCP, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload=b"", with_csum=True) -> bytes:
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if not with_csum:
        return seg
    c = csum(pseudo4(src, dst, UDP, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp4(kind, code=0, ident=0x1234, seq=1, payload=b"") -> bytes:
    msg = struct.pack("!BBHHH", kind, code, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def arp() -> bytes:
    return eth(ETH_ARP, dst="ff:ff:ff:ff:ff:ff") + struct.pack(
        "!HHBBH6s4s6s4s", 1, ETH_IP, 6, 4, 1, mac(PEER), ip4("10.0.0.2"), bytes(6), ip4("10.0.0.1"))


def ipv6(nh, payload=b"", src="2001:db8::1", dst="2001:db8::2", hlim=64, version=6) -> bytes:
    return struct.pack("!IHBB", version << 28, len(payload), nh, hlim) + ip6(src) + ip6(dst) + payload


def opts_hdr(nh, hdrlen=0) -> bytes:
    """Hop-by-hop or destination options header of (hdrlen + 1) * 8 bytes, padded with PadN."""
    n, pad = (hdrlen + 1) * 8 - 2, b""
    while n > 0:
        k = min(n, 257)  # PadN carries at most 255 bytes of zeros; Pad1 is one byte
        pad += b"\0" if k == 1 else bytes([1, k - 2]) + bytes(k - 2)
        n -= k
    return bytes([nh, hdrlen]) + pad


def routing_hdr(nh, rtype, segleft=1) -> bytes:
    """Routing header with one address (type 0 and 2 layout; type 4 is a one-segment SRH)."""
    if rtype == 4:
        return bytes([nh, 2, 4, segleft, 0, 0, 0, 0]) + ip6("2001:db8::99")
    return bytes([nh, 2, rtype, segleft, 0, 0, 0, 0]) + ip6("2001:db8::99")


def frag_hdr(nh, offset=0, more=False, ident=0x1234) -> bytes:
    return struct.pack("!BBHI", nh, 0, offset << 3 | more, ident)


def ah_hdr(nh) -> bytes:
    return struct.pack("!BBHII", nh, 4, 0, 0x100, 1) + bytes(12)  # (4 + 2) * 4 = 24 bytes


def udp6(sport=5000, dport=53, payload=b"q") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum unchecked


def tcp6(sport=40000, dport=80) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 2, 65535, 0, 0)


def icmp6_echo() -> bytes:
    return struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"ping"


# --- map files ---------------------------------------------------------------------------------

def hexs(b: bytes) -> list:
    return [f"0x{x:02x}" for x in b]


def entry(key: bytes, value: bytes) -> dict:
    return {"key": hexs(key), "value": hexs(value)}


def u32(x):
    return struct.pack("<I", x)


def u64(x):
    return struct.pack("<Q", x)


# --- the programs ------------------------------------------------------------------------------
# Each returns (frames, maps): frames a list of (expected verdict, description, bytes).

def firewall():
    def rule_key(s, d, sp, dp, proto):
        return ip4(s) + ip4(d) + struct.pack("!HHB", sp, dp, proto) + bytes(3)

    def rule(action):
        return u32(action) + u32(0) + u64(0)

    maps = {"fw_rules": [
        entry(rule_key("192.0.2.66", "10.0.0.80", 4444, 80, TCP), rule(DROP)),
        entry(rule_key("198.51.100.7", "10.0.0.22", 0, 22, TCP), rule(DROP)),  # any sport
        entry(rule_key("10.1.1.1", "10.0.0.53", 5353, 53, UDP), rule(PASS)),
        entry(rule_key("192.0.2.99", "10.0.0.1", 0, 0, ICMP), rule(DROP)),
        entry(rule_key("192.0.2.13", "10.0.0.80", 0, 80, TCP), rule(7)),  # corrupt action
    ]}

    def t(s, d, sp, dp, **kw):
        return eth(ETH_IP) + ipv4(TCP, s, d, tcp(s, d, sp, dp), **kw)

    def u(s, d, sp, dp, **kw):
        return eth(ETH_IP) + ipv4(UDP, s, d, udp(s, d, sp, dp, b"hello"), **kw)

    frames = [
        (PASS, "TCP, no rule: default policy", t("10.9.9.9", "10.0.0.80", 40000, 80)),
        (DROP, "TCP, exact rule DROP", t("192.0.2.66", "10.0.0.80", 4444, 80)),
        (DROP, "TCP, wildcard-sport rule DROP", t("198.51.100.7", "10.0.0.22", 51000, 22)),
        (PASS, "TCP, same source, other destination: no rule", t("198.51.100.7", "10.0.0.23", 51000, 22)),
        (PASS, "UDP, exact rule PASS", u("10.1.1.1", "10.0.0.53", 5353, 53)),
        (DROP, "UDP to the sink port 9 (.data knob)", u("10.1.1.1", "10.0.0.53", 5353, 9)),
        (PASS, "UDP to port 9 + 256 (byte order check of the sink port)", u("10.1.1.1", "10.0.0.53", 5353, 0x0109)),
        (DROP, "ICMP, rule with ports 0 DROP", eth(ETH_IP) + ipv4(ICMP, "192.0.2.99", "10.0.0.1", icmp4(8, payload=b"x" * 8))),
        (PASS, "ICMP from elsewhere: no rule", eth(ETH_IP) + ipv4(ICMP, "192.0.2.98", "10.0.0.1", icmp4(8, payload=b"x" * 8))),
        (ABORTED, "TCP, wildcard rule with an invalid action (7)", t("192.0.2.13", "10.0.0.80", 1234, 80)),
        (DROP, "TCP, exact rule DROP, IPv4 options (ihl 6): ports found after them", t("192.0.2.66", "10.0.0.80", 4444, 80, ihl=6)),
        (DROP, "UDP first fragment (MF): fragments dropped (.data knob)", u("10.1.1.1", "10.0.0.53", 5353, 53, frag=0x2000)),
        (DROP, "non-first fragment (offset 185)", eth(ETH_IP) + ipv4(UDP, "10.1.1.1", "10.0.0.53", b"x" * 16, frag=185)),
        (PASS, "GRE, no ports, no rule", eth(ETH_IP) + ipv4(GRE, "10.9.9.9", "10.0.0.1", bytes(8))),
        (PASS, "ARP: not judged", arp()),
        (PASS, "IPv6: not judged", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (PASS, "802.1Q-tagged IPv4: not judged (untagged ports only)",
         eth(ETH_VLAN) + vlan(100, ETH_IP) + ipv4(TCP, "192.0.2.66", "10.0.0.80", tcp("192.0.2.66", "10.0.0.80", 4444, 80))),
        (DROP, "Ethernet header only, IPv4 ethertype", eth(ETH_IP)),
        (DROP, "IPv4 header cut at 19 bytes", eth(ETH_IP) + ipv4(TCP, "10.9.9.9", "10.0.0.80")[:19]),
        (DROP, "ihl 4", eth(ETH_IP) + ipv4(TCP, "10.9.9.9", "10.0.0.80", tcp("10.9.9.9", "10.0.0.80", 1, 80), ihl=4, options=b"")),
        (DROP, "version 6 in an IPv4 ethertype", eth(ETH_IP) + ipv4(TCP, "10.9.9.9", "10.0.0.80", tcp("10.9.9.9", "10.0.0.80", 1, 80), version=6)),
        (DROP, "ihl 6 but the frame ends after 20 bytes", eth(ETH_IP) + ipv4(TCP, "10.9.9.9", "10.0.0.80", ihl=6)[:20]),
        (DROP, "TCP header cut at 12 bytes", t("10.9.9.9", "10.0.0.80", 40000, 80)[:14 + 20 + 12]),
        (DROP, "UDP header cut at 7 bytes", u("10.9.9.9", "10.0.0.53", 40000, 53)[:14 + 20 + 7]),
    ]
    return frames, maps


def lpm_router():
    nh1, nh2, nh3 = "02:00:00:00:01:01", "02:00:00:00:01:02", "02:00:00:00:01:03"
    ours = "02:00:00:00:00:f0"

    def route(prefix, plen, kind, flags=0, port=0, dmac="00:00:00:00:00:00", smac="00:00:00:00:00:00"):
        return entry(u32(plen) + ip4(prefix),
                     bytes([kind, flags]) + mac(dmac) + mac(smac) + bytes(2) + u32(port))

    FWD, LOCAL, BLACKHOLE, F_IFINDEX = 0, 1, 2, 1
    maps = {
        "routes": [
            route("10.1.0.0", 16, FWD, port=0, dmac=nh1, smac=ours),
            route("10.1.200.0", 24, FWD, port=1, dmac=nh2, smac=ours),
            route("192.0.2.0", 24, FWD, F_IFINDEX, port=LO_IFINDEX, dmac=nh3, smac=ours),
            route("198.51.100.0", 24, FWD, F_IFINDEX, port=7, dmac=nh3, smac=ours),
            route("203.0.113.0", 24, BLACKHOLE),
            route("10.0.0.1", 32, LOCAL),
            route("10.2.0.0", 16, FWD, port=5, dmac=nh1, smac=ours),
        ],
        "tx_ports": [entry(u32(0), u32(LO_IFINDEX)), entry(u32(1), u32(LO_IFINDEX))],
        "tx_ifindex": [entry(u32(LO_IFINDEX), u32(LO_IFINDEX))],
    }

    def to(dst, ttl=64, **kw):
        return eth(ETH_IP) + ipv4(UDP, "10.9.0.1", dst, udp("10.9.0.1", dst, 4000, 4001, b"route me"), ttl=ttl, **kw)

    # A header whose checksum is 0xffxx: decrementing the TTL adds 0x0100 and carries around.
    carry = next(to("10.1.2.3", ttl=2, ident=i) for i in range(65536)
                 if to("10.1.2.3", ttl=2, ident=i)[24] == 0xFF)
    frames = [
        (REDIRECT, "10.1.2.3: 10.1.0.0/16, devmap slot 0", to("10.1.2.3")),
        (REDIRECT, "10.1.200.5: the longer 10.1.200.0/24 wins, devmap slot 1",
         eth(ETH_IP) + ipv4(TCP, "10.9.0.1", "10.1.200.5", tcp("10.9.0.1", "10.1.200.5", 4000, 80))),
        (REDIRECT, "192.0.2.77: ifindex route through the DEVMAP_HASH", to("192.0.2.77")),
        (DROP, "198.51.100.5: ifindex route, ifindex 7 not in the DEVMAP_HASH", to("198.51.100.5")),
        (DROP, "203.0.113.9: blackhole route", to("203.0.113.9")),
        (PASS, "10.0.0.1: local /32", to("10.0.0.1")),
        (PASS, "8.8.8.8: no route", to("8.8.8.8")),
        (DROP, "10.2.3.4: devmap slot 5 is empty, redirect falls back to XDP_DROP", to("10.2.3.4")),
        (PASS, "TTL 1: to the stack (ICMP time exceeded)", to("10.1.2.3", ttl=1)),
        (PASS, "TTL 0", to("10.1.2.3", ttl=0)),
        (REDIRECT, "TTL 2, header checksum 0xffxx: carry in the incremental update", carry),
        (REDIRECT, "IPv4 options (ihl 6), 10.1.2.3", to("10.1.2.3", ihl=6)),
        (REDIRECT, "TTL 255, 10.1.255.255 (edge of the /16)", to("10.1.255.255", ttl=255)),
        (PASS, "ARP", arp()),
        (PASS, "IPv6", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (DROP, "IPv4 header cut at 12 bytes", to("10.1.2.3")[:14 + 12]),
        (DROP, "ihl 3", eth(ETH_IP) + ipv4(UDP, "10.9.0.1", "10.1.2.3", bytes(8), ihl=3, options=b"")),
        (DROP, "version 5", eth(ETH_IP) + ipv4(UDP, "10.9.0.1", "10.1.2.3", bytes(8), version=5)),
    ]
    return frames, maps


def ipip_encap():
    nh = "02:00:00:00:02:01"

    def tunnel(inner, src, dst):
        return entry(ip4(inner), ip4(src) + ip4(dst) + mac(nh) + mac(DUT))

    maps = {"tunnels": [tunnel("10.0.0.100", "172.16.0.1", "172.16.1.10"),
                        tunnel("10.0.0.101", "172.16.0.1", "172.16.2.20")]}
    c = "192.0.2.1"
    frames = [
        (TX, "UDP to 10.0.0.100: encapsulated toward 172.16.1.10",
         eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100", udp(c, "10.0.0.100", 5000, 53, b"query"))),
        (TX, "TCP to 10.0.0.101, TOS 0xb8 copied to the outer header",
         eth(ETH_IP) + ipv4(TCP, c, "10.0.0.101", tcp(c, "10.0.0.101", 40000, 443), tos=0xB8)),
        (TX, "ICMP to 10.0.0.100 with IPv4 options (ihl 6)",
         eth(ETH_IP) + ipv4(ICMP, c, "10.0.0.100", icmp4(8, payload=b"abcd"), ihl=6)),
        (TX, "inner total length 65515: outer 65535, the largest",
         eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100", udp(c, "10.0.0.100", 1, 2), tot_len=65515)),
        (DROP, "inner total length 65516: outer would overflow",
         eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100", udp(c, "10.0.0.100", 1, 2), tot_len=65516)),
        (PASS, "UDP to 10.0.0.7: no tunnel", eth(ETH_IP) + ipv4(UDP, c, "10.0.0.7", udp(c, "10.0.0.7", 5000, 53))),
        (PASS, "ARP", arp()),
        (PASS, "IPv6", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (DROP, "IPv4 header cut at 10 bytes", eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100")[:10]),
        (DROP, "ihl 2", eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100", bytes(8), ihl=2, options=b"")),
        (DROP, "version 5", eth(ETH_IP) + ipv4(UDP, c, "10.0.0.100", bytes(8), version=5)),
    ]
    return frames, maps


def ipip_decap():
    maps = {"decap_addrs": [entry(ip4("172.16.1.10"), u32(0)), entry(ip4("172.16.1.11"), u32(0))]}
    c, s = "192.0.2.1", "10.0.0.100"
    inner_udp = ipv4(UDP, c, s, udp(c, s, 5000, 53, b"query"))
    inner_tcp = ipv4(TCP, c, s, tcp(c, s, 40000, 80))

    def outer(dst, inner, **kw):
        return eth(ETH_IP) + ipv4(IPIP, "172.16.0.1", dst, inner, **kw)

    bad_opt = bytearray(outer("172.16.1.11", inner_tcp, ihl=7))
    bad_opt[14 + 24] ^= 0x40  # second option word: only the options part of the sum catches it
    frames = [
        (PASS, "IPIP to 172.16.1.10: decapsulated, inner UDP to the stack", outer("172.16.1.10", inner_udp)),
        (PASS, "IPIP with outer options (ihl 7) to 172.16.1.11: decapsulated", outer("172.16.1.11", inner_tcp, ihl=7)),
        (PASS, "IPIP, outer ihl 15 (40 bytes of options): decapsulated", outer("172.16.1.10", inner_udp, ihl=15)),
        (PASS, "IPIP to 172.16.9.9: not ours, untouched", outer("172.16.9.9", inner_udp)),
        (PASS, "UDP to 172.16.1.10: not IPIP, untouched", eth(ETH_IP) + ipv4(UDP, c, "172.16.1.10", udp(c, "172.16.1.10", 1, 2))),
        (PASS, "ARP", arp()),
        (DROP, "bad outer header checksum", outer("172.16.1.10", inner_udp, check=0x1234)),
        (DROP, "outer options corrupted (checksum over the options fails)", bytes(bad_opt)),
        (DROP, "inner header cut at 10 bytes", outer("172.16.1.10", inner_udp[:10])),
        (DROP, "inner version 6", outer("172.16.1.10", ipv6(UDP, udp6()))),
        (DROP, "outer header cut at 16 bytes", outer("172.16.1.10", inner_udp)[:14 + 16]),
        (DROP, "outer ihl 4", outer("172.16.1.10", inner_udp, ihl=4, options=b"")),
        (DROP, "outer ihl 15, frame ends inside the options", outer("172.16.1.10", b"", ihl=15)[:14 + 40]),
        (DROP, "outer version 5", outer("172.16.1.10", inner_udp, version=5)),
    ]
    return frames, maps


def icmp_responder():
    c, us = "192.0.2.9", "10.0.0.1"

    def echo(payload, *, kind=8, code=0, seq=1, **kw):
        return eth(ETH_IP) + ipv4(ICMP, c, us, icmp4(kind, code, seq=seq, payload=payload), **kw)

    # An ICMP checksum of 0xf8xx..0xffxx: changing the type 8 -> 0 carries around.
    carry = next(echo(b"carry", seq=i) for i in range(65536) if echo(b"carry", seq=i)[36] >= 0xF8)
    padded = echo(b"")
    padded += bytes(60 - len(padded))
    big = bytes(range(200))
    frames = [
        (TX, "echo request, 32 bytes of data", echo(bytes(range(32)))),
        (TX, "echo request, 200 bytes of data: reply cut to 64", echo(big)),
        (TX, "echo request, 64 bytes: the largest whole reply", echo(big[:64])),
        (TX, "echo request, 65 bytes: cut by one", echo(big[:65])),
        (TX, "echo request, no data, Ethernet padding to 60 bytes: padding trimmed", padded),
        (TX, "echo request, checksum 0xf8xx or more: carry in the incremental update", carry),
        (PASS, "echo reply", echo(b"pong", kind=0)),
        (PASS, "destination unreachable", echo(bytes(28), kind=3, code=1)),
        (PASS, "echo request with code 1", echo(b"odd", code=1)),
        (PASS, "echo request, first fragment (MF)", echo(b"frag", frag=0x2000)),
        (PASS, "echo request with IPv4 options", echo(b"opts", ihl=6)),
        (PASS, "echo request in an IPv4 header of version 5", echo(b"v5", version=5)),
        (PASS, "UDP", eth(ETH_IP) + ipv4(UDP, c, us, udp(c, us, 1, 7, b"echo"))),
        (PASS, "ARP", arp()),
        (PASS, "IPv6", eth(ETH_IPV6) + ipv6(ICMPV6, icmp6_echo())),
        (DROP, "ICMP header cut at 4 bytes", echo(b"")[:14 + 20 + 4]),
        (DROP, "IP total length beyond the frame", echo(b"abcdefgh", tot_len=20 + 8 + 100)),
        (DROP, "IP total length 24: no room for the ICMP header", echo(b"abcdefgh", tot_len=24)),
        (DROP, "IPv4 header cut at 12 bytes", echo(b"")[:14 + 12]),
    ]
    return frames, {}


def flow_hash(saddr, daddr, sport, dport, proto):
    """l4_lb.c's flow_hash: the words are the key's bytes read little-endian, as the BPF
    program reads them."""
    le32 = lambda b: struct.unpack("<I", b)[0]
    le16 = lambda x: struct.unpack("<H", struct.pack("!H", x))[0]
    h = 0x9E3779B9
    for w in (le32(ip4(saddr)), le32(ip4(daddr)), ((le16(sport) << 16) | le16(dport)) ^ proto):
        h ^= w
        h ^= h >> 16
        h = (h * 0x85EBCA6B) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 0xC2B2AE35) & 0xFFFFFFFF
        h ^= h >> 16
    return h


def l4_lb():
    vip, count = "10.0.0.10", 3

    def flow_key(s, sp, dp, proto):
        return ip4(s) + ip4(vip) + struct.pack("!HHB", sp, dp, proto) + bytes(3)

    # A known flow pinned to a backend its hash would not choose, and one naming slot 7.
    sticky = ("198.51.100.20", 33000)
    slot = next(x for x in range(count) if x != flow_hash(sticky[0], vip, sticky[1], 80, TCP) % count)
    maps = {
        "lb_config": [entry(u32(0), ip4(vip) + u32(count))],
        "backends": [entry(u32(i), ip4(f"10.0.1.{i + 1}") + mac(f"02:00:00:00:10:0{i + 1}") + bytes(2))
                     for i in range(4)],
        "conntrack": [entry(flow_key(sticky[0], sticky[1], 80, TCP), u32(slot)),
                      entry(flow_key("198.51.100.21", 33001, 80, TCP), u32(7))],
    }

    def t(s, sp, flags="A", dst=vip, **kw):
        return eth(ETH_IP) + ipv4(TCP, s, dst, tcp(s, dst, sp, 80, flags), **kw)

    def u(s, sp, payload=b"query", with_csum=True):
        return eth(ETH_IP) + ipv4(UDP, s, vip, udp(s, vip, sp, 53, payload, with_csum))

    # UDP whose checksum after the rewrite is 0, to be sent as 0xffff.
    def zero_after(p):
        be = flow_hash("192.0.2.5", vip, 5353, 53, UDP) % count
        new = f"10.0.1.{be + 1}"
        seg = struct.pack("!HHHH", 5353, 53, 10, 0) + p
        return csum(pseudo4("192.0.2.5", new, UDP, len(seg)) + seg) == 0
    zpay = next(struct.pack("!H", i) for i in range(65536) if zero_after(struct.pack("!H", i)))
    clients = {}
    for i in range(2, 200):  # two new TCP clients that hash to different backends
        s = f"192.0.2.{i}"
        clients.setdefault(flow_hash(s, vip, 40000, 80, TCP) % count, s)
    a, b = clients[0], clients[1]
    frames = [
        (TX, f"TCP SYN from {a}: new flow, hashed to backend 0", t(a, 40000, "S")),
        (TX, "TCP ACK, same flow: from the connection table", t(a, 40000, "A")),
        (TX, f"TCP SYN from {b}: new flow, hashed to backend 1", t(b, 40000, "S")),
        (TX, "UDP with checksum: both checksums updated", u("192.0.2.3", 5353)),
        (TX, "UDP without checksum (0): stays 0", u("192.0.2.4", 5353, with_csum=False)),
        (TX, "UDP whose updated checksum is 0: sent as 0xffff",
         eth(ETH_IP) + ipv4(UDP, "192.0.2.5", vip, udp("192.0.2.5", vip, 5353, 53, zpay))),
        (TX, f"known flow pinned to backend {slot}, not its hash's", t(sticky[0], sticky[1])),
        (TX, "known flow naming backend 7 (gone): re-hashed", t("198.51.100.21", 33001)),
        (TX, "TCP with IPv4 options (ihl 6): new flow", t("192.0.2.200", 40002, "S", ihl=6)),
        (TX, f"TCP FIN from {a}: forwarded, flow deleted", t(a, 40000, "FA")),
        (TX, f"TCP RST from {b}: forwarded, flow deleted", t(b, 40000, "R")),
        (TX, "TCP RST of an unknown flow: forwarded, hashed, inserted and deleted", t("192.0.2.201", 40003, "R")),
        (PASS, "ICMP to the VIP: the stack answers", eth(ETH_IP) + ipv4(ICMP, a, vip, icmp4(8, payload=b"ping"))),
        (PASS, "GRE to the VIP", eth(ETH_IP) + ipv4(GRE, a, vip, bytes(8))),
        (PASS, "TCP to another address", t(a, 40000, dst="10.0.0.11")),
        (PASS, "fragment to the VIP", eth(ETH_IP) + ipv4(UDP, a, vip, bytes(16), frag=0x2000)),
        (PASS, "ARP", arp()),
        (PASS, "IPv6", eth(ETH_IPV6) + ipv6(TCP, tcp6())),
        (DROP, "TCP header cut at 19 bytes", t(a, 40000)[:14 + 20 + 19]),
        (DROP, "UDP header cut at 4 bytes", u(a, 5353)[:14 + 20 + 4]),
        (DROP, "IPv4 header cut at 19 bytes", t(a, 40000)[:14 + 19]),
        (DROP, "ihl 4", eth(ETH_IP) + ipv4(TCP, a, vip, bytes(20), ihl=4, options=b"")),
        (DROP, "version 5", eth(ETH_IP) + ipv4(TCP, a, vip, tcp(a, vip, 40000, 80), version=5)),
    ]
    return frames, maps


def vlan_prog():
    ALLOW, POP = 1, 2
    maps = {
        "vlan_policy": [entry(u32(100), u32(ALLOW | POP)), entry(u32(200), u32(ALLOW)),
                        entry(u32(4094), u32(ALLOW | POP))],
        "vlan_cfg": [entry(u32(0), struct.pack("<HBBI", 10, 5, 0, LO_IFINDEX))],
        "vlan_counters": [entry(u32(200), u64(41))],
    }
    ip_pkt = ipv4(UDP, "10.0.0.2", "10.0.0.1", udp("10.0.0.2", "10.0.0.1", 1, 2, b"vlan"))

    def tagged(tci, ethertype=ETH_IP, payload=ip_pkt):
        return eth(ETH_VLAN) + vlan(tci, ethertype) + payload

    frames = [
        (PASS, "VID 100 (allow, pop), priority 3: tag removed", tagged(3 << 13 | 100)),
        (PASS, "VID 100 again: counter exists", tagged(100)),
        (PASS, "VID 200 (allow, keep), ARP: tag kept", tagged(200, ETH_ARP, arp()[14:])),
        (PASS, "VID 200 with priority 7 and DEI: VID masked out of the TCI", tagged(7 << 13 | 1 << 12 | 200)),
        (DROP, "VID 300: not allowed", tagged(300)),
        (PASS, "VID 0, priority tag: popped", tagged(5 << 13 | 0)),
        (DROP, "VID 4095: reserved", tagged(4095)),
        (PASS, "VID 4094 (allow, pop), IPv6", tagged(4094, ETH_IPV6, ipv6(UDP, udp6()))),
        (PASS, "VID 100, tag but no payload: 14 bytes left", tagged(100, ETH_IP, b"")),
        (DROP, "802.1ad service tag (QinQ)", eth(ETH_QINQ) + vlan(100, ETH_VLAN) + vlan(100, ETH_IP) + ip_pkt),
        (DROP, "802.1Q tag cut at 2 bytes", eth(ETH_VLAN) + b"\x00\x64"),
        (REDIRECT, "untagged IPv4: access VLAN 10 pushed, to the trunk", eth(ETH_IP) + ip_pkt),
        (REDIRECT, "untagged ARP: tag pushed", arp()),
        (REDIRECT, "untagged, Ethernet header only: tag pushed", eth(ETH_LLDP)),
    ]
    return frames, maps


def ipv6_exthdr():
    def p(nh, payload):
        return eth(ETH_IPV6) + ipv6(nh, payload)

    def chain(n, last=UDP):
        out = udp6()
        for i in range(n):
            out = opts_hdr(last if i == 0 else DSTOPTS) + out
        return out

    frames = [
        (PASS, "UDP, no extension header", p(UDP, udp6())),
        (PASS, "ICMPv6", p(ICMPV6, icmp6_echo())),
        (PASS, "hop-by-hop -> TCP", p(HOPOPTS, opts_hdr(TCP) + tcp6())),
        (PASS, "hop-by-hop -> dest opts -> routing type 2 -> fragment -> UDP",
         p(HOPOPTS, opts_hdr(DSTOPTS) + opts_hdr(ROUTING, 1) + routing_hdr(FRAGMENT, 2) + frag_hdr(UDP) + udp6())),
        (DROP, "routing header type 0 (RFC 5095)", p(ROUTING, routing_hdr(UDP, 0) + udp6())),
        (DROP, "routing header type 0 after hop-by-hop", p(HOPOPTS, opts_hdr(ROUTING) + routing_hdr(TCP, 0) + tcp6())),
        (PASS, "routing header type 4 (SRH) -> ICMPv6", p(ROUTING, routing_hdr(ICMPV6, 4) + icmp6_echo())),
        (DROP, "routing header type 0 with segments left 0: still type 0", p(ROUTING, routing_hdr(UDP, 0, 0) + udp6())),
        (PASS, "fragment -> TCP (a later fragment: offset 100)", p(FRAGMENT, frag_hdr(TCP, 100) + bytes(16))),
        (PASS, "AH -> TCP (AH length in 4-byte units)", p(AH, ah_hdr(TCP) + tcp6())),
        (PASS, "ESP: not walked, counted as 50", p(ESP, bytes(24))),
        (PASS, "no next header (59)", p(NONXT, b"")),
        (PASS, "8 destination options headers (the most) -> UDP", p(DSTOPTS, chain(8))),
        (DROP, "9 destination options headers", p(DSTOPTS, chain(9))),
        (PASS, "destination options of 2048 bytes (hdrlen 255) -> UDP", p(DSTOPTS, opts_hdr(UDP, 255) + udp6())),
        (DROP, "hop-by-hop cut at 4 bytes", p(HOPOPTS, opts_hdr(TCP)[:4])),
        (DROP, "hop-by-hop of 24 bytes, 8 present, last in the chain", p(HOPOPTS, opts_hdr(TCP, 2)[:8])),
        (DROP, "hop-by-hop of 24 bytes, 8 present, dest opts next", p(HOPOPTS, opts_hdr(DSTOPTS, 2)[:8])),
        (DROP, "routing header cut at 4 bytes", p(ROUTING, routing_hdr(UDP, 2)[:4])),
        (DROP, "IPv6 header cut at 30 bytes", p(UDP, udp6())[:14 + 30]),
        (DROP, "version 4 in an IPv6 ethertype", eth(ETH_IPV6) + ipv6(UDP, udp6(), version=4)),
        (PASS, "IPv4: not counted", eth(ETH_IP) + ipv4(UDP, "10.0.0.2", "10.0.0.1", udp("10.0.0.2", "10.0.0.1", 1, 2))),
    ]
    return frames, {}


def percpu_stats():
    a, b = "10.0.0.2", "10.0.0.1"
    ip_udp = ipv4(UDP, a, b, udp(a, b, 1, 2, b"stats"))
    frames = [
        (PASS, "IPv4 TCP (L4 entry created)", eth(ETH_IP) + ipv4(TCP, a, b, tcp(a, b, 1, 80))),
        (PASS, "IPv4 TCP again (L4 entry exists)", eth(ETH_IP) + ipv4(TCP, a, b, tcp(a, b, 1, 80, "A"))),
        (PASS, "IPv4 UDP", eth(ETH_IP) + ip_udp),
        (PASS, "IPv4 ICMP", eth(ETH_IP) + ipv4(ICMP, a, b, icmp4(8, payload=b"x" * 56))),
        (PASS, "IPv4 GRE", eth(ETH_IP) + ipv4(GRE, a, b, bytes(8))),
        (PASS, "IPv6 TCP", eth(ETH_IPV6) + ipv6(TCP, tcp6())),
        (PASS, "IPv6 UDP", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (PASS, "IPv6 ICMPv6", eth(ETH_IPV6) + ipv6(ICMPV6, icmp6_echo())),
        (PASS, "ARP", arp()),
        (PASS, "LLDP: other", eth(ETH_LLDP, dst="01:80:c2:00:00:0e") + bytes(32)),
        (PASS, "802.1Q VID 100, IPv4 UDP: counted as IPv4", eth(ETH_VLAN) + vlan(100, ETH_IP) + ip_udp),
        (PASS, "802.1Q VID 100, ARP", eth(ETH_VLAN) + vlan(100, ETH_ARP) + arp()[14:]),
        (PASS, "802.1Q tag cut at 2 bytes: other", eth(ETH_VLAN) + b"\x00\x64"),
        (PASS, "IPv4 header cut at 10 bytes: L3 only", eth(ETH_IP) + ip_udp[:10]),
        (PASS, "IPv6 header cut at 20 bytes: L3 only", eth(ETH_IPV6) + ipv6(UDP, udp6())[:20]),
        (PASS, "Ethernet header only, IPv4 ethertype: L3 only", eth(ETH_IP)),
    ]
    return frames, {}


def rate_limiter():
    def bucket(src, tokens, cooldown_end):
        return entry(ip4(src), u64(tokens) + u64(cooldown_end))

    maps = {
        "rl_config": [entry(u32(0), u64(1000) + u64(16) + u64(1_000_000_000) + u32(0) + u32(0))],
        "buckets": [bucket("192.0.2.10", 1000, 0),  # full
                    bucket("192.0.2.20", 0, 1),  # empty, cool-down long over
                    bucket("192.0.2.30", 0, 2**64 - 1),  # empty, cool-down never over
                    bucket("192.0.2.40", 5, 0)],  # below low_water: early-drop test, red_pct 0
    }

    def frm(src, proto=UDP):
        d = "10.0.0.1"
        l4 = udp(src, d, 1000, 53, b"rl") if proto == UDP else tcp(src, d, 1000, 80)
        return eth(ETH_IP) + ipv4(proto, src, d, l4)

    frames = [
        (PASS, "192.0.2.10, full bucket: 1000 -> 999", frm("192.0.2.10")),
        (PASS, "192.0.2.10: 999 -> 998", frm("192.0.2.10", TCP)),
        (PASS, "192.0.2.20, empty, cool-down over: refilled, 1000 -> 999", frm("192.0.2.20")),
        (DROP, "192.0.2.30, empty, in cool-down", frm("192.0.2.30")),
        (DROP, "192.0.2.30 again", frm("192.0.2.30", TCP)),
        (PASS, "192.0.2.40, 5 tokens < low_water: early-drop test (0%), 5 -> 4", frm("192.0.2.40")),
        (PASS, "192.0.2.40: 4 -> 3", frm("192.0.2.40")),
        (PASS, "198.51.100.1, unknown: bucket created with 999", frm("198.51.100.1")),
        (PASS, "198.51.100.1: 999 -> 998", frm("198.51.100.1")),
        (PASS, "192.0.2.10: 998 -> 997", frm("192.0.2.10")),
        (PASS, "ARP", arp()),
        (PASS, "IPv6", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (DROP, "IPv4 header cut at 19 bytes", frm("192.0.2.10")[:14 + 19]),
    ]
    return frames, maps


def meta_tail():
    a, b = "10.0.0.2", "10.0.0.1"
    frames = [
        (PASS, "IPv4 UDP: DSCP EF, trailer, stage 2 passes", eth(ETH_IP) + ipv4(UDP, a, b, udp(a, b, 5004, 5004, b"rtp"))),
        (PASS, "IPv4 TCP: DSCP AF11, trailer, stage 2 passes", eth(ETH_IP) + ipv4(TCP, a, b, tcp(a, b, 40000, 80))),
        (PASS, "IPv4 UDP already EF (TOS 0xb8): header untouched", eth(ETH_IP) + ipv4(UDP, a, b, udp(a, b, 1, 2), tos=0xB8)),
        (PASS, "IPv4 UDP with ECN CE (TOS 0x03): ECN bits kept", eth(ETH_IP) + ipv4(UDP, a, b, udp(a, b, 1, 2), tos=0x03)),
        (DROP, "IPv4 ICMP: DSCP kept, trailer, stage 2 drops ICMP", eth(ETH_IP) + ipv4(ICMP, a, b, icmp4(8, payload=b"ping"))),
        (PASS, "IPv4 GRE, TOS 0x20 kept", eth(ETH_IP) + ipv4(GRE, a, b, bytes(8), tos=0x20)),
        (PASS, "IPv4 header only, UDP, no UDP header: trailer, stage 2 passes", eth(ETH_IP) + ipv4(UDP, a, b)),
        (PASS, "IPv6: jump_table slot 2 empty, tail call falls through", eth(ETH_IPV6) + ipv6(UDP, udp6())),
        (PASS, "ARP: slot 0 empty", arp()),
        (PASS, "Ethernet header only (LLDP): slot 0 empty", eth(ETH_LLDP)),
        (DROP, "IPv4 header cut at 19 bytes: bpf_xdp_load_bytes fails", eth(ETH_IP) + ipv4(UDP, a, b)[:19]),
    ]
    # Program arrays name a program of the same object; slots 0 and 2 stay empty on purpose.
    return frames, {"jump_table": [{"key": hexs(u32(1)), "value": "xdp_meta_ipv4"}]}


def helper_edges():
    def req(op, flags=0, delta=0, a=0, b=0, c=0, size=64):
        body = eth(0x88B5) + struct.pack("<BBhIII", op, flags, delta, a, b, c)
        return body + bytes(range(size - len(body)))

    frames = [
        (PASS, "adjust_head +14: the Ethernet header dropped", req(0, delta=14)),
        (PASS, "adjust_head -200: into the headroom (256 less the 40-byte frame reserve)", req(0, delta=-200)),
        (PASS, "adjust_head -217: past the frame reserve, -EINVAL", req(0, delta=-217)),
        (PASS, "adjust_head +51: less than an Ethernet header left, -EINVAL", req(0, delta=51)),
        (PASS, "adjust_meta -8: metadata written", req(1, delta=-8)),
        (PASS, "adjust_meta -6: not a multiple of 4, -EACCES", req(1, delta=-6)),
        (PASS, "adjust_meta -216: exactly to the frame reserve", req(1, delta=-216)),
        (PASS, "adjust_meta +4: past data, -EINVAL", req(1, delta=4)),
        (PASS, "adjust_tail +1000: grown, zeroed", req(2, delta=1000)),
        (PASS, "adjust_tail -50: 14 bytes left", req(2, delta=-50)),
        (PASS, "adjust_tail -51: less than an Ethernet header, -EINVAL", req(2, delta=-51)),
        (PASS, "adjust_tail +3457: past the reserved tailroom, -EINVAL", req(2, delta=3457)),
        (PASS, "csum_diff 8 from, 8 to, seed 0", req(3, a=8, b=8)),
        (PASS, "csum_diff 0 from, 60 to, seed 0x1234", req(3, a=0, b=60, c=0x1234)),
        (PASS, "csum_diff 6 from: not a multiple of 4, -EINVAL", req(3, a=6, b=8)),
        (PASS, "csum_diff 60 and 60, seed 0xffffffff", req(3, a=60, b=60, c=0xFFFFFFFF)),
        (PASS, "load_bytes 40 at 10", req(4, a=10, b=40)),
        (PASS, "load_bytes 8 at 60 of 64: past the end, -EINVAL", req(4, a=60, b=8)),
        (PASS, "load_bytes at 0x10000: beyond 64 KiB, -EFAULT", req(4, a=0x10000, b=4)),
        (PASS, "store_bytes 63 at 1", req(5, a=1, b=63)),
        (PASS, "store_bytes 1 at 64 of 64: -EINVAL", req(5, a=64, b=1)),
        (PASS, "update key 1 BPF_ANY, delete absent key 9: -ENOENT", req(6, flags=0, a=1, b=9, c=11)),
        (PASS, "update key 1 BPF_NOEXIST: -EEXIST; delete key 1", req(6, flags=1, a=1, b=1, c=12)),
        (PASS, "update key 2 BPF_EXIST: -ENOENT", req(6, flags=2, a=2, b=9, c=13)),
        (PASS, "update flags 3: -EINVAL", req(6, flags=3, a=3, b=9, c=14)),
        (PASS, "tail call slot 0: xdp_edge_tail", req(7, a=0)),
        (PASS, "tail call slot 1: empty, falls through", req(7, a=1)),
        (PASS, "tail call index 0xffffffff: out of range, falls through", req(7, a=0xFFFFFFFF)),
        (REDIRECT, "redirect_map key 0: ifindex 1", req(8, a=0)),
        (DROP, "redirect_map key 2 absent, flags XDP_DROP: the fallback", req(8, a=2, flags=1)),
        (ABORTED, "redirect_map flags 0x21: an unknown flag aborts", req(8, a=0, flags=0x21)),
        (REDIRECT, "redirect_map key 0 with BPF_F_EXCLUDE_INGRESS", req(8, a=0, flags=0x10)),
        (PASS, "csum_diff sizes 0 and 0: the seed, folded to 16 bits", req(3, a=0, b=0, c=0x12345678)),
        (PASS, "csum_diff 12 from only, seed 0xabcd", req(3, a=12, b=0, c=0xABCD)),
        (PASS, "csum_diff 7 from, 13 to: tails zero-padded", req(3, a=7, b=13, c=1)),
        (REDIRECT, "redirect ifindex 1", req(9, a=1)),
        (ABORTED, "redirect with flags 1: XDP_ABORTED", req(9, a=1, flags=1)),
        (PASS, "lookup key 5: 55 from the maps file", req(10, a=5)),
        (PASS, "lookup key 7: absent", req(10, a=7)),
    ]
    maps = {
        "progs": [{"key": hexs(u32(0)), "value": "xdp_edge_tail"}],
        "ports": [entry(u32(0), u32(LO_IFINDEX))],
        "table": [entry(u32(5), u64(55)), entry(u32(6), u64(66))],
    }
    return frames, maps


PROGRAMS = {
    "firewall": firewall,
    "lpm_router": lpm_router,
    "ipip_encap": ipip_encap,
    "ipip_decap": ipip_decap,
    "icmp_responder": icmp_responder,
    "l4_lb": l4_lb,
    "vlan": vlan_prog,
    "ipv6_exthdr": ipv6_exthdr,
    "percpu_stats": percpu_stats,
    "rate_limiter": rate_limiter,
    "meta_tail": meta_tail,
    "helper_edges": helper_edges,
}


# --- output ------------------------------------------------------------------------------------

def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (_, _, frame) in enumerate(frames):
            assert 14 <= len(frame) <= 3000, (path, i, len(frame))
            f.write(struct.pack("<IIII", 1_700_000_000, i * 1000, len(frame), len(frame)))
            f.write(frame)


def write_maps(path, maps):
    """One entry a line, so that diffs stay readable."""
    lines = ["{"]
    for i, (name, entries) in enumerate(maps.items()):
        lines.append(f'  "{name}": [')
        for j, e in enumerate(entries):
            sep = "," if j + 1 < len(entries) else ""
            lines.append("    " + json.dumps(e, separators=(",", ":")) + sep)
        lines.append("  ]" + ("," if i + 1 < len(maps) else ""))
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(out_dir):
    os.makedirs(os.path.join(out_dir, "pcap"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "maps"), exist_ok=True)
    for name, build in PROGRAMS.items():
        frames, maps = build()
        assert 5 <= len(frames) <= 40, (name, len(frames))
        write_pcap(os.path.join(out_dir, "pcap", f"{name}.pcap"), frames)
        if maps:
            write_maps(os.path.join(out_dir, "maps", f"{name}.json"), maps)
        print(f"{name}: {len(frames)} frames, {len(maps)} initial maps")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
