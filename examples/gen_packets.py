#!/usr/bin/env python3
"""Writes examples/packets.pcap: the frames the bundled example filter is run over.

Standard library only. Each frame exercises a branch of filter.s; checksums are computed so
that tools such as tshark show the packets as valid.
"""
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype: int) -> bytes:
    return bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + struct.pack("!H", ethertype)


def ipv4(proto: int, src: str, dst: str, payload: bytes, ihl: int = 5) -> bytes:
    options = b"\x01" * (4 * ihl - 20)
    total = 4 * ihl + len(payload)
    addr = lambda a: bytes(int(x) for x in a.split("."))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, 0, 64, proto, 0, addr(src), addr(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport: int, dport: int, data: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(kind: int, data: bytes) -> bytes:
    msg = struct.pack("!BBHHH", kind, 0, 0, 0x1234, 1) + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def frames():
    dns_query = bytes.fromhex("abcd01000001000000000000") + b"\x07example\x03com\x00\x00\x01\x00\x01"
    yield eth(0x0800) + ipv4(17, "192.0.2.7", "10.0.0.53", udp(40000, 53, dns_query))  # drop
    yield eth(0x0800) + ipv4(17, "10.1.2.3", "10.0.0.53", udp(40001, 53, dns_query))  # pass
    yield eth(0x0800) + ipv4(1, "192.0.2.9", "10.0.0.1", icmp(8, b"rvo ping"))  # tx
    yield eth(0x0800) + ipv4(1, "10.0.0.1", "192.0.2.9", icmp(0, b"rvo pong"))  # pass
    yield eth(0x0800) + ipv4(6, "192.0.2.10", "10.0.0.80", bytes(20))  # pass (TCP)
    yield eth(0x0800) + ipv4(17, "198.51.100.1", "10.0.0.53", udp(5353, 53, b"x"), ihl=6)  # drop (options)
    yield eth(0x86DD) + bytes(40)  # pass (IPv6)
    yield eth(0x0806) + bytes(28)  # pass (ARP)
    yield bytes.fromhex("0200000000020200")  # drop (runt)
    yield eth(0x0800) + bytes([0x44]) + bytes(19)  # drop (header length 16)


def main(path: str) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames()):
            f.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "packets.pcap")
