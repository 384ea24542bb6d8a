#!/usr/bin/env python3
"""Prints the peer benchmark's medians as a Markdown table: secrules, zentinel-modsec, and how
many times longer zentinel-modsec takes. Reads what criterion wrote
(<target>/criterion/<group>/<engine>[_ or /]<case>/new/estimates.json).

    python3 medians.py [TARGET_DIR]    # default: $CARGO_TARGET_DIR, else ./target
"""
import json
import os
import sys
from pathlib import Path

ENGINES = ("secrules", "zentinel-modsec")


def median_ns(path):
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def show(ns):
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= size:
            return f"{ns / size:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target"))
    root = target / "criterion"
    rows = {}
    for estimates in sorted(root.glob("*/**/new/estimates.json")):
        group, *rest = estimates.relative_to(root).parts[:-2]
        # load group: "<engine>_<case>"; transaction groups: "<engine>/<case>"
        name = "/".join(rest)
        for engine in ENGINES:
            for sep in ("/", "_"):
                if name.startswith(engine + sep):
                    case = name[len(engine) + 1:]
                    rows.setdefault((group, case), {})[engine] = median_ns(estimates)
    if not rows:
        sys.exit(f"no criterion results under {root}")
    print("| group | case | secrules | zentinel-modsec | zentinel-modsec / secrules |")
    print("|---|---|---:|---:|---:|")
    for (group, case), by_engine in rows.items():
        ours, theirs = by_engine.get(ENGINES[0]), by_engine.get(ENGINES[1])
        ratio = f"{theirs / ours:.2f}" if ours and theirs else "-"
        print(f"| {group} | {case} | {show(ours) if ours else '-'} | "
              f"{show(theirs) if theirs else '-'} | {ratio} |")


if __name__ == "__main__":
    main()
