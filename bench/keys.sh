#!/usr/bin/env bash
# Cost per mapping key stays linear: validate and rewrite of a Pod whose annotations hold
# 20,000 and 200,000 keys (and a 200,000-key ConfigMap for validate). 10x the keys must cost
# at most 15x the time (it was quadratic: 200k keys > 120 s).
set -euo pipefail
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gen() { # N KIND FILE
    python3 - "$1" "$2" >"$3" <<'PY'
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
out = []
if kind == "pod":
    out.append("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:")
    out += ["    key%d: value%d" % (i, i) for i in range(n)]
    out.append("spec:\n  containers:\n  - name: a\n    image: nginx:1.27")
else:
    out.append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:")
    out += ["  key%d: value%d" % (i, i) for i in range(n)]
print("\n".join(out))
PY
}
for n in 20000 200000; do gen $n pod "$tmp/pod$n.yaml"; gen $n cm "$tmp/cm$n.yaml"; done
hyperfine -N -i --warmup 1 --runs 5 --export-json "$tmp/k.json" \
    "$bin validate -f $tmp/pod20000.yaml" "$bin validate -f $tmp/pod200000.yaml" \
    "$bin rewrite -f $tmp/pod20000.yaml --registry r.io" "$bin rewrite -f $tmp/pod200000.yaml --registry r.io" \
    "$bin validate -f $tmp/cm20000.yaml" "$bin validate -f $tmp/cm200000.yaml" >/dev/null
python3 - "$tmp/k.json" <<'PY'
import json, sys
r = [x["median"] for x in json.load(open(sys.argv[1]))["results"]]
worst = 0
for name, a, b in (("validate, Pod annotations", r[0], r[1]), ("rewrite, Pod annotations", r[2], r[3]),
                   ("validate, ConfigMap data", r[4], r[5])):
    worst = max(worst, b / a)
    print(f"{name}: 20k keys {a*1000:.0f} ms, 200k keys {b*1000:.0f} ms, growth {b/a:.1f}x for 10x keys (target <= 15x)")
sys.exit(0 if worst <= 15 else 1)
PY
