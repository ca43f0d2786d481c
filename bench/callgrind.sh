#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) for the two paths a refactor must not slow down:
#   1. rewrite of 2,000 Deployments, one thread
#   2. registry resolve of 50 tags behind bearer-token auth (private testbed)
# Counts are deterministic enough to compare two builds within 2%; run both in one session:
#   bench/callgrind.sh BIN [BASELINE_BIN]      (needs valgrind, docker-registry, python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${IMAGE_SECURE_SHARED:-$here/../../shared}
bins=("$(realpath "$1")")
[ $# -ge 2 ] && bins+=("$(realpath "$2")")
export TESTBED_DIR=${BENCH_TESTBED_DIR:-/tmp/image-secure-callgrind-testbed} TESTBED_PORT_BASE=${BENCH_PORT_BASE:-5460}
tb=$here/../tests/registry/testbed.sh
work=$(mktemp -d)
trap '"$tb" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
python3 "$shared/bench/gen_deployments.py" 2000 "$work/g" --single "$work/d2k.yaml" >/dev/null
"$tb" start >/dev/null 2>&1
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
mapfile -t refs < <(for n in $(seq -f %02g 1 "$TESTBED_TAGS"); do echo "$TESTBED_TOKEN/bench/many:t$n"; done)
instructions() { # OUT-PREFIX CMD... -> prints Ir total
    local out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log" || { tail -5 "$out.log" >&2; return 1; }
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
for i in "${!bins[@]}"; do
    b=${bins[$i]}
    r=$(instructions "$work/rw$i" "$b" rewrite -j 1 -f "$work/d2k.yaml" --registry r.example.com --pull-secret s)
    printf pusher-secret >"$work/pw"
    s=$(instructions "$work/rs$i" "$b" registry resolve "${refs[@]}" --certs-dir "$TESTBED_CERTS_D" \
        --docker-username pusher --password-file "$work/pw")
    echo "$b: rewrite 2,000 Deployments -j 1: $r Ir; registry resolve $TESTBED_TAGS tags: $s Ir"
    eval "rw$i=$r rs$i=$s"
done
if [ ${#bins[@]} -eq 2 ]; then
    python3 -c "
a,b,c,d=$rw0,$rw1,$rs0,$rs1
print(f'rewrite: {a/b:.4f}x of baseline ({(a-b)/b*100:+.2f}%); resolve: {c/d:.4f}x of baseline ({(c-d)/d*100:+.2f}%)')"
fi
