#!/usr/bin/env bash
# The oracle for `secret create`: runs the real kubectl with a case's arguments.
#   kubectl_secret.sh record CASES_DIR   rewrite expected/ of every secret case from kubectl
#   kubectl_secret.sh live BIN CASES_DIR compare BIN with kubectl on every case, now
# The case's args start with "secret create"; kubectl gets "create secret docker-registry"
# and --dry-run=client. Where kubectl exits non-zero we expect exit 2 and no stdout.
set -u
mode=$1; shift
if [ "$mode" = live ]; then bin=$(realpath "$1"); shift; fi
cases=$(cd "$1" && pwd)
KUBECTL=${KUBECTL:-kubectl}
if ! command -v "$KUBECTL" >/dev/null; then
    echo "kubectl not installed: cannot compare against the oracle"; exit 1
fi
# Ours prints what that kubectl version prints.
IMAGE_SECURE_KUBECTL_VERSION=$("$KUBECTL" version --client 2>/dev/null | grep -o 'v1\.[0-9]*' | head -1 | tr -d v)
export IMAGE_SECURE_KUBECTL_VERSION
read_args() {
    args=()
    local first=1 second=1
    while IFS= read -r line || [ -n "$line" ]; do
        if [ $first = 1 ]; then first=0; continue; fi          # "secret"
        if [ $second = 1 ]; then second=0; continue; fi        # "create"
        args+=("$(printf '%b' "$line"; printf x)")
        args[-1]=${args[-1]%x}
    done < "$1/args"
}
stdin_password() {
    # --password-stdin has no kubectl equivalent: pass the same password as --docker-password.
    local out=() a
    for a in "${args[@]}"; do
        if [ "$a" = --password-stdin ]; then
            local pw; pw=$(cat "$1/stdin"; printf x); pw=${pw%x}
            pw=${pw%$'\n'}; pw=${pw%$'\r'}
            out+=("--docker-password=$pw")
        else
            out+=("$a")
        fi
    done
    args=("${out[@]}")
}
fail=0 total=0
for dir in "$cases"/*/; do
    dir=${dir%/}
    [ -f "$dir/args" ] || continue
    total=$((total + 1))
    read_args "$dir"
    stdin_password "$dir"
    k_out=$(cd "$dir" && "$KUBECTL" create secret docker-registry "${args[@]}" --dry-run=client 2>/dev/null; echo "rc=$?")
    k_rc=${k_out##*rc=}; k_out=${k_out%rc=*}
    if [ "$mode" = record ]; then
        mkdir -p "$dir/expected"
        if [ "$k_rc" = 0 ]; then
            printf '%s' "$k_out" > "$dir/expected/stdout"; rm -f "$dir/expected/exit_code"
        else
            rm -f "$dir/expected/stdout"; echo 2 > "$dir/expected/exit_code"
        fi
        continue
    fi
    stdin_file=/dev/null; [ -f "$dir/stdin" ] && stdin_file="$dir/stdin"
    all=(); while IFS= read -r line || [ -n "$line" ]; do all+=("$(printf '%b' "$line"; printf x)"); all[-1]=${all[-1]%x}; done < "$dir/args"
    m_out=$(cd "$dir" && "$bin" "${all[@]}" < "$stdin_file" 2>/dev/null; echo "rc=$?")
    m_rc=${m_out##*rc=}; m_out=${m_out%rc=*}
    want_rc=0; [ "$k_rc" != 0 ] && want_rc=2
    want_out=""; [ "$k_rc" = 0 ] && want_out=$k_out
    if [ "$m_out" != "$want_out" ] || [ "$m_rc" != "$want_rc" ]; then
        echo "MISMATCH $(basename "$dir"): kubectl rc=$k_rc ours rc=$m_rc"
        diff <(printf '%s' "$k_out") <(printf '%s' "$m_out") | head -20
        fail=$((fail + 1))
    fi
done
if [ "$mode" = record ]; then
    kubectl version --client 2>/dev/null | head -1 > "$cases/KUBECTL_VERSION"
    echo "recorded $total cases with $(cat "$cases/KUBECTL_VERSION")"
    exit 0
fi
echo "kubectl $IMAGE_SECURE_KUBECTL_VERSION live comparison: $((total - fail)) passed, $fail failed"
[ "$fail" = 0 ]
