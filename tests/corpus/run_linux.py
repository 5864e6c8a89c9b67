#!/usr/bin/env python3
"""Runs the corpus on Linux (the oracle) and checks it.

For every program: load the object with bpftool (the verifier must accept it), fill its maps
(program arrays included) from maps/<prog>.json, run each frame of pcap/<prog>.pcap with
BPF_PROG_TEST_RUN (`bpftool prog run`, one frame at a time, maps carried over from frame to
frame), then dump the maps.  Checks that every verdict is the one gen_pcaps.py lists for the
frame, and that every frame the program modified has valid IPv4/TCP/UDP/ICMP checksums.

Needs root, bpftool, clang (via build.sh) and a kernel with BPF_PROG_TEST_RUN for XDP
(5.18+ for bpf_xdp_load_bytes/store_bytes).  Everything is pinned under a fresh directory of
/sys/fs/bpf and removed at the end.

    run_linux.py [-v] [--obj-dir DIR] [--expected DIR] [PROG ...]

The tests run on CPU 0 (sched_setaffinity), so per-CPU maps and bpf_get_smp_processor_id are
deterministic.  -v prints every frame, --maps the final maps; --expected DIR writes
DIR/<prog>.json: the entry program, the verdict, metadata and output bytes of every frame, and
the final maps (see dump_maps for how they are normalised), as Linux gives them.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import gen_pcaps  # noqa: E402

# Programs whose test-run output starts with XDP metadata (data_meta..data_end): its length.
META_LEN = {"meta_tail": 8}


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return r


def entry_program(prog):
    """The entry point: the first SEC("xdp") function of the source."""
    src = open(os.path.join(HERE, f"{prog}.c")).read()
    return re.search(r'SEC\("xdp"\)\s*int\s+(\w+)\s*\(', src).group(1)


def read_pcap(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4 and struct.unpack("<I", data[20:24])[0] == 1
    off, frames = 24, []
    while off < len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def hexargs(items):
    return [x[2:] for x in items]


def fill_maps(prog, pins):
    path = os.path.join(HERE, "maps", f"{prog}.json")
    if os.path.exists(path):
        for name, entries in json.load(open(path)).items():
            for e in entries:
                value = e["value"] if "value" in e else e["values"][0]["value"]  # bpftool copies it to every CPU
                if isinstance(value, str):  # a program array slot: a program of the object, by name
                    value = ["pinned", f"{pins}/progs/{value}"]
                else:
                    value = ["hex", *hexargs(value)]
                sh("bpftool", "map", "update", "pinned", f"{pins}/maps/{name}",
                   "key", "hex", *hexargs(e["key"]), "value", *value)


def dump_maps(pins):
    """The maps as `bpftool map dump -j` prints them, keyed by map name, made comparable:
    "formatted" dropped; absent entries (bpftool's {"error": ...}) and all-zero array entries
    dropped; per-CPU values of CPUs other than 0 dropped once checked to be zero (the tests run
    on CPU 0); program array values given as the program's name, as in the maps files; entries
    sorted by key bytes (hash maps iterate in a per-boot order)."""
    out = {}
    for pin in sorted(os.listdir(f"{pins}/maps")):
        info = json.loads(sh("bpftool", "-j", "map", "show", "pinned", f"{pins}/maps/{pin}").stdout)
        dump = json.loads(sh("bpftool", "-j", "map", "dump", "pinned", f"{pins}/maps/{pin}").stdout)
        entries = []
        for e in dump:
            e.pop("formatted", None)
            if isinstance(e.get("value"), dict):
                continue  # no such entry
            if "values" in e:
                for v in e["values"][1:]:
                    assert not any(int(x, 16) for x in v["value"]), (pin, e, "ran on a CPU other than 0")
                e["values"] = e["values"][:1]
                zero = not any(int(x, 16) for x in e["values"][0]["value"])
            else:
                zero = not any(int(x, 16) for x in e["value"])
            if zero and "array" in info["type"]:
                continue
            if info["type"] == "prog_array":
                prog_id = struct.unpack("<I", bytes(int(x, 16) for x in e["value"]))[0]
                e["value"] = json.loads(sh("bpftool", "-j", "prog", "show", "id", str(prog_id)).stdout)["name"]
            entries.append(e)
        out[info["name"]] = sorted(entries, key=lambda e: [int(x, 16) for x in e["key"]])
    return out


# --- checksum checks -------------------------------------------------------------------------

def ones(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksum_errors(frame):
    """Checksum problems of an Ethernet/[802.1Q]/IPv4 frame, as a list of strings."""
    errs, off = [], 14
    if len(frame) < 14:
        return errs
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x8100 and len(frame) >= 18:
        ethertype, off = struct.unpack("!H", frame[16:18])[0], 18
    if ethertype != 0x0800 or len(frame) < off + 20:
        return errs
    ihl = (frame[off] & 15) * 4
    if frame[off] >> 4 != 4 or ihl < 20 or len(frame) < off + ihl:
        return errs
    hdr = frame[off:off + ihl]
    if ones(hdr) != 0xFFFF:
        errs.append("IPv4 header checksum")
    tot = struct.unpack("!H", hdr[2:4])[0]
    proto, frag = hdr[9], struct.unpack("!H", hdr[6:8])[0] & 0x3FFF
    seg = frame[off + ihl:off + tot]
    if frag or off + tot > len(frame) or tot < ihl:
        return errs
    pseudo = hdr[12:20] + struct.pack("!BBH", 0, proto, len(seg))
    if proto == 6 and len(seg) >= 20 and ones(pseudo + seg) != 0xFFFF:
        errs.append("TCP checksum")
    if proto == 17 and len(seg) >= 8 and seg[6:8] != b"\0\0" and ones(pseudo + seg) != 0xFFFF:
        errs.append("UDP checksum")
    if proto == 1 and len(seg) >= 8 and ones(seg) != 0xFFFF:
        errs.append("ICMP checksum")
    return errs


def describe_change(inp, out):
    if inp == out:
        return "unchanged"
    n = min(len(inp), len(out))
    diff = [i for i in range(n) if inp[i] != out[i]]
    s = f"len {len(inp)}->{len(out)}" if len(inp) != len(out) else f"len {len(out)}"
    if diff:
        s += f", bytes differ at {diff[0]}..{diff[-1]} ({len(diff)})"
    return s


def write_expected(path, entry, frames, maps):
    """JSON with one frame and one map entry a line, so that diffs stay readable."""
    line = lambda x: json.dumps(x, separators=(",", ":"))
    out = ["{", f'  "entry": {line(entry)},', '  "frames": [']
    out += [f"    {line(f)}" + ("," if i + 1 < len(frames) else "") for i, f in enumerate(frames)]
    out += ["  ],", '  "maps": {']
    for i, (name, entries) in enumerate(maps.items()):
        out.append(f"    {line(name)}: [")
        out += [f"      {line(e)}" + ("," if j + 1 < len(entries) else "") for j, e in enumerate(entries)]
        out.append("    ]" + ("," if i + 1 < len(maps) else ""))
    out += ["  }", "}"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# --- main --------------------------------------------------------------------------------------

def run_program(prog, obj_dir, pin_root, tmp, verbose, expected_dir):
    pins = f"{pin_root}/{prog}"
    os.makedirs(pins)
    sh("bpftool", "prog", "loadall", f"{obj_dir}/{prog}.o", f"{pins}/progs", "type", "xdp",
       "pinmaps", f"{pins}/maps")
    fill_maps(prog, pins)
    entry = entry_program(prog)
    frames, _ = gen_pcaps.PROGRAMS[prog]()
    pcap = read_pcap(os.path.join(HERE, "pcap", f"{prog}.pcap"))
    assert [f for _, _, f in frames] == pcap, f"{prog}: pcap/{prog}.pcap is stale: run gen_pcaps.py"

    failures, counts, results = [], {}, []
    for i, (want, what, frame) in enumerate(frames):
        fin, fout = f"{tmp}/in.bin", f"{tmp}/out.bin"
        open(fin, "wb").write(frame)
        r = sh("bpftool", "-j", "prog", "run", "pinned", f"{pins}/progs/{entry}", "data_in", fin,
               "data_out", fout, "data_size_out", "4096", "repeat", "1")
        got = json.loads(r.stdout)["retval"]
        out = open(fout, "rb").read()
        meta = out[:META_LEN.get(prog, 0)]
        out = out[len(meta):]
        name = gen_pcaps.VERDICT_NAMES[got] if got < 5 else str(got)
        counts[name] = counts.get(name, 0) + 1
        notes = [] if got == want else [f"expected {gen_pcaps.VERDICT_NAMES[want]}"]
        if out != frame and got in (gen_pcaps.PASS, gen_pcaps.TX, gen_pcaps.REDIRECT):
            notes += checksum_errors(out)
        if notes:
            failures.append(f"{prog} frame {i} ({what}): {name}: {', '.join(notes)}")
        if verbose:
            extra = f" meta {meta.hex()}" if meta else ""
            print(f"  {i:2} {name:12} {describe_change(frame, out):38} {what}{extra}"
                  + (f"  <-- {', '.join(notes)}" if notes else ""))
        results.append({"verdict": name, "meta": meta.hex(), "out": out.hex()})

    maps = dump_maps(pins)
    if expected_dir:
        write_expected(os.path.join(expected_dir, f"{prog}.json"), entry, results, maps)
    return counts, failures, maps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--obj-dir")
    ap.add_argument("--expected")
    ap.add_argument("--maps", action="store_true", help="print the final maps")
    ap.add_argument("programs", nargs="*")
    args = ap.parse_args()
    progs = args.programs or list(gen_pcaps.PROGRAMS)
    obj_dir = args.obj_dir
    tmp = tempfile.mkdtemp(prefix="rvo-corpus-")
    if not obj_dir:
        obj_dir = f"{tmp}/obj"
        sh(os.path.join(HERE, "build.sh"), obj_dir)
    if args.expected:
        os.makedirs(args.expected, exist_ok=True)
    # BPF_PROG_TEST_RUN runs the program on the calling CPU: pin to CPU 0, so that per-CPU maps
    # and bpf_get_smp_processor_id give the same results on every run.
    os.sched_setaffinity(0, {0})
    pin_root = f"/sys/fs/bpf/rvo_corpus_{os.getpid()}"
    os.makedirs(pin_root)
    all_failures = []
    try:
        for prog in progs:
            if args.verbose:
                print(f"{prog}:")
            counts, failures, maps = run_program(prog, obj_dir, pin_root, tmp, args.verbose, args.expected)
            all_failures += failures
            total = sum(counts.values())
            print(f"{prog}: {total} frames: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                  + ("" if not failures else f"  ({len(failures)} FAILED)"))
            if args.maps:
                for name, dump in maps.items():
                    print(f"  map {name}: {json.dumps(dump)[:2000]}")
    finally:
        shutil.rmtree(pin_root, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    for f in all_failures:
        print("FAIL:", f)
    sys.exit(1 if all_failures else 0)


if __name__ == "__main__":
    main()
