#!/usr/bin/env python3
"""Debian's Packages text (stdin) -> one JSON object per line (stdout), in
nip's terms: name, version, arch (amd64 -> x86_64, all -> noarch),
depends (Depends + Pre-Depends), provides, conflicts (Conflicts + Breaks),
recommends, summary; each list sorted and unique, as a manifest keeps it. Relations: "a (>= 1) | b:any" -> "a >= 1 | b"
(<< and >> become < and >; architecture qualifiers are dropped). A stanza
whose name or version nip would refuse is counted on stderr and left out."""
import json
import re
import sys

OPS = {"<<": "<", ">>": ">", "<=": "<=", ">=": ">=", "=": "=", "<": "<=", ">": ">="}
REL = re.compile(r"^\s*([a-z0-9][a-z0-9+.\-]*)(?::[a-z0-9-]+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?\s*(?:\[[^\]]*\])?\s*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9+._-]*$")
VERSION = re.compile(r"^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$")


def rels(text):
    out = []
    for clause in text.split(","):
        alts = []
        for alt in clause.split("|"):
            m = REL.match(alt)
            if not m:
                return None
            name, op, ver = m.groups()
            alts.append(f"{name} {OPS[op]} {ver}" if op else name)
        if alts:
            out.append(" | ".join(alts))
    return out


def stanzas(f):
    cur = {}
    key = None
    for line in f:
        line = line.rstrip("\n")
        if not line:
            if cur:
                yield cur
            cur, key = {}, None
        elif line[0] in " \t":
            if key:
                cur[key] += "\n" + line
        else:
            key, _, val = line.partition(":")
            cur[key] = val.strip()
    if cur:
        yield cur


skipped = 0
for s in stanzas(sys.stdin):
    name, ver = s.get("Package", ""), s.get("Version", "")
    arch = {"amd64": "x86_64", "all": "noarch"}.get(s.get("Architecture", ""), None)
    rec = {"name": name, "version": ver, "arch": arch,
           "summary": s.get("Description", "").split("\n")[0][:200]}
    ok = bool(NAME.match(name) and VERSION.match(ver) and arch and len(ver) <= 128)
    for field, keys in (("depends", ("Pre-Depends", "Depends")), ("provides", ("Provides",)),
                        ("conflicts", ("Conflicts", "Breaks")), ("recommends", ("Recommends",))):
        vals = []
        for k in keys:
            if k in s:
                r = rels(s[k])
                if r is None:
                    ok = False
                else:
                    vals += r
        rec[field] = sorted(set(vals), key=lambda v: v.encode())
    if not ok:
        skipped += 1
        continue
    print(json.dumps(rec))
print(f"debian-index: {skipped} stanzas left out", file=sys.stderr)
