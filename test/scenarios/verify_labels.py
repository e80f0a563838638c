#!/usr/bin/env python3
"""Check a scenario pcap against its labels CSV.

Counts the IPv4 packets from or to each attacker inside and outside the
labelled windows (ARP is counted apart: it carries no IP header) and the
packets of each window. Fails (exit 1) when more attacker packets fall
outside every window than --max-outside, or when a window holds fewer than
--min-window packets from/to its attacker. Prints one summary JSON line last.

usage: verify_labels.py PCAP LABELS [--max-outside N] [--min-window N]
"""
import argparse
import csv
import json
import struct
import sys
from collections import Counter


def read_pcap(path):
    """Yield (ts, orig_len, frame_bytes) from a classic pcap (Ethernet)."""
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24:
            raise ValueError(f"{path}: not a pcap file (too short)")
        magic = header[:4]
        formats = {
            b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
            b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
        }
        if magic not in formats:
            raise ValueError(f"{path}: not a classic pcap file (magic {magic.hex()})")
        endian, frac = formats[magic]
        linktype = struct.unpack(endian + "I", header[20:24])[0]
        if linktype != 1:
            raise ValueError(f"{path}: link type {linktype}, expected 1 (Ethernet)")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, sub, incl, orig = rec.unpack(h)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + sub * frac, orig, data


def addresses(frame):
    """Return ('ip'|'arp'|'other', src, dst, proto) for an Ethernet frame."""
    if len(frame) < 14:
        return "other", None, None, None
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    if etype == 0x8100 and len(frame) >= 18:
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
    if etype == 0x0800 and len(frame) >= off + 20:
        ip = frame[off:off + 20]
        return "ip", ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])), ip[9]
    if etype == 0x0806 and len(frame) >= off + 28:
        arp = frame[off:off + 28]
        return "arp", ".".join(map(str, arp[14:18])), ".".join(map(str, arp[24:28])), None
    return "other", None, None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pcap")
    ap.add_argument("labels")
    ap.add_argument("--max-outside", type=int, default=0,
                    help="attacker IPv4 packets allowed outside every window (default 0)")
    ap.add_argument("--min-window", type=int, default=20,
                    help="fewest attacker packets a window must hold (default 20)")
    args = ap.parse_args()

    with open(args.labels, newline="") as f:
        rows = list(csv.DictReader(f))
    expected = ["start_epoch", "end_epoch", "attacker_ip", "victim_ip_or_*", "attack_type"]
    if not rows or list(rows[0].keys()) != expected:
        print(f"labels: header must be {','.join(expected)} with at least one row", file=sys.stderr)
        return 1
    windows = [dict(start=float(r["start_epoch"]), end=float(r["end_epoch"]), attacker=r["attacker_ip"],
                    victim=r["victim_ip_or_*"], type=r["attack_type"], packets=0, to_victim=0, bytes=0)
               for r in rows]
    attackers = {w["attacker"] for w in windows}

    total = 0
    first = last = None
    kinds = Counter()
    inside = outside = arp_inside = arp_outside = 0
    outside_examples = []
    for ts, orig, frame in read_pcap(args.pcap):
        total += 1
        first = ts if first is None else first
        last = ts
        kind, src, dst, proto = addresses(frame)
        kinds[kind if kind != "ip" else {6: "tcp", 17: "udp", 1: "icmp"}.get(proto, "ip-other")] += 1
        if kind == "other" or (src not in attackers and dst not in attackers):
            continue
        hit = None
        for w in windows:
            if w["start"] <= ts <= w["end"] and w["attacker"] in (src, dst):
                hit = w
                break
        if kind == "arp":
            if hit:
                arp_inside += 1
            else:
                arp_outside += 1
            continue
        if hit:
            inside += 1
            hit["packets"] += 1
            hit["bytes"] += orig
            other = dst if src == hit["attacker"] else src
            if hit["victim"] in ("*", other):
                hit["to_victim"] += 1
        else:
            outside += 1
            if len(outside_examples) < 10:
                outside_examples.append(f"{ts:.6f} {src} -> {dst} proto {proto}")

    print(f"pcap: {args.pcap}: {total} packets over {0 if first is None else last - first:.1f} s "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    for w in windows:
        print(f"  {w['type']:<12} {w['start']:.3f}..{w['end']:.3f} ({w['end'] - w['start']:6.1f} s) "
              f"{w['attacker']} -> {w['victim']}: {w['packets']} packets ({w['to_victim']} with the victim), "
              f"{w['bytes']} bytes")
    print(f"attacker IPv4 packets: {inside} inside windows, {outside} outside; "
          f"ARP: {arp_inside} inside, {arp_outside} outside")
    for e in outside_examples:
        print(f"  outside: {e}")

    failures = []
    if outside > args.max_outside:
        failures.append(f"{outside} attacker packets outside the windows (allowed {args.max_outside})")
    for w in windows:
        if w["packets"] < args.min_window:
            failures.append(f"window {w['type']} at {w['start']:.3f} holds only {w['packets']} attacker packets")
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(json.dumps({"packets": total, "seconds": round(0 if first is None else last - first, 3),
                      "windows": len(windows), "attackerInside": inside, "attackerOutside": outside,
                      "arpInside": arp_inside, "arpOutside": arp_outside, "ok": not failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError) as e:
        print(f"verify_labels.py: {e}", file=sys.stderr)
        sys.exit(2)
