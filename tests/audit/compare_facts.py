#!/usr/bin/python3
"""compare_facts.py AUDIT.json DERIVED.json REF: every key the derivation has must equal the
audit's object for REF; prints each difference, exits 1 on any."""
import json
import sys

audit = {o["ref"]: o for o in json.load(open(sys.argv[1]))}
derived = json.load(open(sys.argv[2]))
ref = sys.argv[3]
if ref not in audit:
    sys.exit("compare: %s is not in the audit output (%s)" % (ref, ", ".join(audit)))
got = audit[ref]
bad = 0
for key, want in derived.items():
    have = got.get(key)
    if key == "package_dbs":
        have = [{"type": d["type"], "path": d["path"], "packages": d["packages"]} for d in have]
    if have != want:
        print("compare: %s %s: audit says %s, the extracted root says %s" % (ref, key, json.dumps(have), json.dumps(want)))
        bad += 1
sys.exit(1 if bad else 0)
