# Helpers of the shell end-to-end tests (source it): counted checks, one line each.
#   expect NAME WANT-RC COMMAND...   runs COMMAND; stdout in $WORK/out, stderr in $WORK/err
#   has NAME FILE TEXT / lacks NAME FILE TEXT / same NAME GOT WANT
# The caller sets WORK and ends with `finish`.
failures=0 checks=0
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
expect() {
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want" "$(head -c 600 "$WORK/err")"; fi
}
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $(basename "$2")" "$(head -c 600 "$2")"; fi; }
lacks() { if grep -qF -- "$3" "$2"; then bad "$1: '$3' must not appear in $(basename "$2")"; else ok "$1"; fi; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" = 0 ]
}
