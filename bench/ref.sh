#!/usr/bin/env bash
# ref -f: references parsed per second on one core (1,000,000 mixed references).
set -euo pipefail
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/refs.txt" <<'PY'
import sys
base = ["nginx", "nginx:1.27.2", "quay.io/prometheus/node-exporter:v1.8.2", "registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:" + "ab"*32,
        "localhost:5000/dev/api", "ghcr.io/acme/worker@sha256:" + "cd"*32, "${IMAGE}", "bitnami/redis:7.2", "[::1]:5000/app:1", "Foo/bar"]
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        f.write(base[i % len(base)] + "\n")
PY
for fmt in text json; do
    start=$(date +%s.%N)
    taskset -c 0 "$bin" ref -o $fmt -f "$tmp/refs.txt" > /dev/null || true
    end=$(date +%s.%N)
    python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'ref -f -o $fmt: 1,000,000 refs in {t:.2f} s = {1e6/t:,.0f} refs/s on one core (target >= 1,000,000/s)')" "$start" "$end"
done
