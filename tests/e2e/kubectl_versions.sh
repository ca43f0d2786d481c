#!/usr/bin/env bash
# secret create as every kubectl prints it.
#  - kubectl 1.27 ... 1.33 (the Cloud SDK's kubectl.1.NN beside `kubectl`, and `kubectl`): the
#    live oracle (kubectl_secret.sh) on every secret case, ours told that version.
#  - current kubectl (1.34+, the default): no binary here, so the expected bytes are the 1.32
#    recordings minus `creationTimestamp: null` (apimachinery omits the zero value since 1.34,
#    kubernetes/kubernetes#130989), derived by this script, not by the tool.
# Usage: kubectl_versions.sh BINARY CASES_DIR      (exit 77: no kubectl)
set -u
bin=$(realpath "$1")
cases=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v kubectl >/dev/null || exit 77
real=$(dirname "$(realpath "$(command -v kubectl)")")
fail=0 pass=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
n=0
for k in "$(command -v kubectl)" "$real"/kubectl.1.*; do # two at a time
    [ -x "$k" ] || continue
    (KUBECTL=$k "$here/kubectl_secret.sh" live "$bin" "$cases" >"$logs/$(basename "$k").log" 2>&1
     echo $? >"$logs/$(basename "$k").rc") &
    n=$((n + 1))
    [ $((n % 2)) = 0 ] && wait
done
wait
for rc in "$logs"/*.rc; do
    name=$(basename "$rc" .rc)
    if [ "$(cat "$rc")" = 0 ]; then
        pass=$((pass + 1)); echo "ok   $(tail -1 "$logs/$name.log") ($name)"
    else
        fail=$((fail + 1)); echo "FAIL $name"; head -20 "$logs/$name.log"
    fi
done
# The current form, from the recordings.
derived=0
for dir in "$cases"/*/; do
    dir=${dir%/}
    [ -f "$dir/expected/stdout" ] || continue
    want=$(python3 - "$dir/expected/stdout" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", newline="").read().split("\n")
out = []
for i, line in enumerate(lines):
    if line == "  creationTimestamp: null":                      # YAML
        continue
    if line.strip() == '"creationTimestamp": null':               # JSON: the comma moves back
        if out and out[-1].endswith(",") and lines[i + 1].strip().startswith("}"):
            out[-1] = out[-1][:-1]
        continue
    out.append(line)
sys.stdout.write("\n".join(out))
PY
)
    args=(); while IFS= read -r line || [ -n "$line" ]; do args+=("$(printf '%b' "$line"; printf x)"); args[-1]=${args[-1]%x}; done <"$dir/args"
    stdin_file=/dev/null; [ -f "$dir/stdin" ] && stdin_file="$dir/stdin"
    got=$(cd "$dir" && env -u IMAGE_SECURE_KUBECTL_VERSION "$bin" "${args[@]}" <"$stdin_file" 2>/dev/null)
    derived=$((derived + 1))
    if [ "$got" = "$want" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL 1.34+ $(basename "$dir")"; diff <(echo "$want") <(echo "$got") | head; fi
done
echo "kubectl versions: $pass passed, $fail failed ($derived cases in the 1.34+ form)"
[ "$fail" = 0 ]
