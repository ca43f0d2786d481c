#!/usr/bin/env bash
# secret create vs kubectl create secret docker-registry --dry-run=client (whole process, alternating).
set -euo pipefail
bin=$1
out=$(mktemp); trap 'rm -f "$out"' EXIT
hyperfine -N --warmup 3 --runs 30 --export-json "$out" \
    "kubectl create secret docker-registry regcred --docker-server=r.example.com --docker-username=u --docker-password=p -n ns --dry-run=client -o yaml" \
    "$bin secret create regcred --docker-server=r.example.com --docker-username=u --docker-password=p -n ns -o yaml" > /dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, m = r[0]["median"], r[1]["median"]
print(f"secret create: kubectl {k*1000:.1f} ms, image-secure {m*1000:.2f} ms, ratio {k/m:.1f}x (target >= 10x)")
PY
