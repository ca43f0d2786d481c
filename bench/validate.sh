#!/usr/bin/env bash
# validate on 10,000 generated Deployments in one stream vs merely loading them with PyYAML's
# libyaml loader (CSafeLoader); manifests per second; findings identical for 1 and 2 threads.
set -euo pipefail
bin=$1
shared=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 "$shared/bench/gen_deployments.py" 10000 "$tmp/g" --single "$tmp/d10k.yaml" > /dev/null
hyperfine -N -i --warmup 1 --runs 5 --export-json "$tmp/v.json" \
    "/usr/bin/python3 -c \"import yaml; [0 for _ in yaml.load_all(open('$tmp/d10k.yaml'), Loader=yaml.CSafeLoader)]\"" \
    "$bin validate -f $tmp/d10k.yaml -o json" > /dev/null
python3 - "$tmp/v.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
p, v = r[0]["median"], r[1]["median"]
print(f"validate 10,000 Deployments: PyYAML CSafeLoader {p:.2f} s, validate {v:.3f} s, ratio {p/v:.1f}x (target >= 5x); "
      f"{10000/v:,.0f} manifests/s (target >= 10,000/s)")
PY
"$bin" validate -j1 -f "$tmp/d10k.yaml" -o json > "$tmp/j1.json" || true
"$bin" validate -j2 -f "$tmp/d10k.yaml" -o json > "$tmp/j2.json" || true
if cmp -s "$tmp/j1.json" "$tmp/j2.json"; then echo "findings identical with 1 and 2 threads ($(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$tmp/j1.json") findings)"; else echo "findings DIFFER between thread counts"; exit 1; fi
