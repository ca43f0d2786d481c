#!/usr/bin/env bash
# rewrite on the real corpus vs kubectl kustomize with an images transformer; linearity
# (1,000 vs 10,000 Deployments); thread scaling; peak RSS against the input size.
set -euo pipefail
bin=$1
shared=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/k"
cp "$shared"/corpus/real/*.yaml "$tmp/k/"
{
    echo "resources:"
    for f in "$tmp"/k/*.yaml; do [ "$(basename "$f")" = kustomization.yaml ] || echo "- $(basename "$f")"; done
    echo "images:"
    echo "- name: nginx"
    echo "  newName: private.example.com/mirror/library/nginx"
} > "$tmp/k/kustomization.yaml"
median() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(str(x['median']) for x in r))" "$1"; }
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/c.json" \
    "kubectl kustomize $tmp/k" \
    "$bin rewrite -f $tmp/k --registry private.example.com/mirror --pull-secret regcred" > /dev/null
read -r k m < <(median "$tmp/c.json")
python3 -c "k,m=$k,$m; print(f'corpus (9.3 MB): kustomize {k:.2f} s, rewrite {m:.3f} s, ratio {k/m:.1f}x (target >= 20x)')"
python3 "$shared/bench/gen_deployments.py" 1000 "$tmp/g1" --single "$tmp/d1k.yaml" > /dev/null
python3 "$shared/bench/gen_deployments.py" 10000 "$tmp/g10" --single "$tmp/d10k.yaml" > /dev/null
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/l.json" \
    "$bin rewrite -f $tmp/d1k.yaml --registry r.example.com --pull-secret s" \
    "$bin rewrite -f $tmp/d10k.yaml --registry r.example.com --pull-secret s" \
    "$bin rewrite -j 1 -f $tmp/d10k.yaml --registry r.example.com --pull-secret s" > /dev/null
read -r a b c < <(median "$tmp/l.json")
python3 -c "a,b,c=$a,$b,$c; print(f'10k/1k Deployments: {b:.2f} s / {a:.3f} s = {b/a:.1f}x (target <= 12x); 1 thread {c:.2f} s vs 2 threads {b:.2f} s = {c/b:.2f}x (target >= 1.6x)')"
size=$(stat -c %s "$tmp/d10k.yaml")
rss=$( { /usr/bin/time -f "%M" "$bin" rewrite -f "$tmp/d10k.yaml" --registry r.example.com --pull-secret s > /dev/null; } 2>&1 | tail -1)
python3 -c "s,r=$size,$rss*1024; print(f'peak RSS {r/2**20:.1f} MiB for {s/2**20:.1f} MiB input; budget 2x input + 32 MiB = {(2*s)/2**20+32:.1f} MiB')"
