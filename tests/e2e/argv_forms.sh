#!/usr/bin/env bash
# Flag forms of every command, read the way kubectl (pflag) reads them: each group of
# spellings must give the same stdout and exit code; empty values stay empty; brackets stay
# literal; a bool flag takes only Go's bool words. (secret create is compared with real
# kubectl by argv_kubectl.py.)
#
# Usage: argv_forms.sh BINARY
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2
cp "$HERE/../../examples/app/deployment.yaml" app.yaml
failures=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }

run() { # ARGS... -> "$WORK/r.out" (stdout), "$WORK/r.err", $rc
    "$BIN" "$@" >"$WORK/r.out" 2>"$WORK/r.err" </dev/null
    rc=$?
}

same() { # NAME -- ARGS... ; -- ARGS... ; ... every spelling gives the first one's stdout and exit code
    local name=$1 first=1 want_rc want_out args=()
    shift
    while [ $# -gt 0 ]; do
        shift # the "--"
        args=()
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
        run "${args[@]}"
        if [ $first = 1 ]; then
            want_rc=$rc want_out=$(cat "$WORK/r.out")
            first=0
            [ "$want_rc" = 0 ] || [ "$want_rc" = 1 ] || bad "$name: the reference spelling failed ($rc)" "$(head -c 300 "$WORK/r.err")"
        elif [ "$rc" != "$want_rc" ] || [ "$(cat "$WORK/r.out")" != "$want_out" ]; then
            bad "$name: '${args[*]}' gave exit $rc / other output" "$(head -c 300 "$WORK/r.err")"
        else
            ok
        fi
    done
}

fails_with() { # NAME TEXT ARGS... : exit 2 and TEXT on stderr
    local name=$1 text=$2
    shift 2
    run "$@"
    if [ "$rc" = 2 ] && grep -qF -- "$text" "$WORK/r.err"; then ok; else bad "$name: exit $rc" "$(head -c 300 "$WORK/r.err")"; fi
}

# ---------------------------------------------------------------- ref
same "ref -o" -- ref -o text nginx -- ref -otext nginx -- ref -o=text nginx -- ref --output=text nginx \
    -- ref --output text nginx -- ref -o json -o text nginx -- ref nginx -otext
run ref -o text '[a,b]'
[ "$(cat r.out)" = "$(printf 'invalid\tinvalid reference format')" ] && [ "$rc" = 1 ] && ok || bad "ref: [a,b] is one literal reference" "$(cat r.out)"
run ref -o text '[::1]'
grep -q '^invalid' r.out && [ "$(wc -l <r.out)" = 1 ] && ok || bad "ref: [::1] is one literal reference" "$(cat r.out)"
run ref -o text -- -x nginx
[ "$(wc -l <r.out)" = 2 ] && [ "$rc" = 1 ] && ok || bad "ref: after -- a dash argument is a reference"
fails_with "ref: -o= is an empty value" "" ref -o= nginx
fails_with "ref: unknown flag" "unknown flag: --bogus" ref --bogus nginx
fails_with "ref: bad flag syntax" "bad flag syntax: ---x" ref ---x nginx
fails_with "ref: unknown shorthand" "unknown shorthand flag: 'Z' in -Z" ref -Z nginx
fails_with "ref: -f needs an argument" "flag needs an argument: -f" ref -f

# ---------------------------------------------------------------- images
same "images" -- images -f app.yaml -- images -fapp.yaml -- images -f=app.yaml -- images --filename=app.yaml \
    -- images --filename app.yaml -- images -f app.yaml -o text -- images -f app.yaml -otext
same "images --registry" -- images -f app.yaml --registry r.example.com/m -- images -f app.yaml --registry=r.example.com/m \
    -- images --registry=x -f app.yaml --registry=r.example.com/m
same "images -R" -- images -f app.yaml -R -- images -f app.yaml --recursive -- images -f app.yaml -R=true \
    -- images -Rf app.yaml -- images -f app.yaml --recursive=T -- images -f app.yaml --recursive=1
fails_with "images: --recursive=yes" 'invalid argument "yes" for "--recursive" flag' images -f app.yaml --recursive=yes
fails_with "images: -f= is an empty path, not the next flag" "" images -f= -R
fails_with "images: -o=yaml is refused" "" images -f app.yaml -o=yaml

# ---------------------------------------------------------------- rewrite
same "rewrite" -- rewrite -f app.yaml --registry r.example.com/m --pull-secret regcred \
    -- rewrite -f=app.yaml --registry=r.example.com/m --pull-secret=regcred \
    -- rewrite -fapp.yaml --registry r.example.com/m --pull-secret regcred --path-mode=keep \
    -- rewrite --pull-secret=regcred -f app.yaml --registry r.example.com/m --in-place=false
run rewrite -f app.yaml --registry= --pull-secret regcred
[ "$rc" = 2 ] && ! grep -q -- "--pull-secret" r.err && ok || bad "rewrite: --registry= is empty, --pull-secret still a flag" "$(cat r.err)"
run rewrite -f app.yaml --pull-secret '[a,b]' --registry r.example.com
[ "$rc" = 2 ] && ok || bad "rewrite: [a,b] is one (invalid) secret name, not two" "$(cat r.err)"
fails_with "rewrite: --diff=yes" 'invalid argument "yes" for "--diff" flag' rewrite -f app.yaml --registry r.io --diff=yes
fails_with "rewrite: --path-mode= is empty" "" rewrite -f app.yaml --registry r.io --path-mode=

# ---------------------------------------------------------------- validate
same "validate" -- validate -f app.yaml -- validate -f=app.yaml -- validate -fapp.yaml -- validate --filename=app.yaml \
    -- validate -f app.yaml -o text -- validate -f app.yaml -otext -- validate -f app.yaml --output=text
same "validate --fail-on" -- validate -f app.yaml --fail-on error -- validate -f app.yaml --fail-on=error \
    -- validate -f app.yaml --fail-on=info --fail-on=error
same "validate --allowed-registry" -- validate -f app.yaml --allowed-registry r.example.com \
    -- validate -f app.yaml --allowed-registry=r.example.com
fails_with "validate: --fail-on= is empty" "" validate -f app.yaml --fail-on=
fails_with "validate: -j= is empty" "" validate -f app.yaml -j=

# ---------------------------------------------------------------- onboard
same "onboard" -- onboard apps --docker-username=u --docker-password=p \
    -- onboard -n apps --docker-username u --docker-password p -- onboard -napps --docker-username=u --docker-password=p \
    -- onboard -n=apps --docker-username=u --docker-password=p -- onboard --namespace=apps --docker-username=u --docker-password=p
fails_with "onboard: [a,b] is one namespace name" '"[a,b]" is not a valid namespace name' onboard '[a,b]' --docker-username=u --docker-password=p
fails_with "onboard: -n= is empty" "" onboard -n= --docker-username=u --docker-password=p
fails_with "onboard: --create-namespace=yes" 'invalid argument "yes"' onboard apps --docker-username=u --docker-password=p --create-namespace=yes

# ---------------------------------------------------------------- registry, mirror (parsing only)
fails_with "registry resolve: --concurrency= is empty" "--concurrency" registry resolve --concurrency= nginx
fails_with "registry check: --docker-username= keeps the next flag a flag" "SERVER is required" registry check --docker-username= --password-stdin
fails_with "mirror: --registry= is empty" "" mirror nginx --registry= --dry-run
fails_with "mirror: --dry-run=maybe" 'invalid argument "maybe" for "--dry-run" flag' mirror nginx --registry r.io --dry-run=maybe

# ---------------------------------------------------------------- audit (checked before any request)
fails_with "audit: --fail-on= names no category" 'unknown --fail-on category ""' audit --fail-on= r.io/x:1
fails_with "audit: --fail-on=shell,shells" 'unknown --fail-on category "shells"' audit --fail-on=shell,shells r.io/x:1
fails_with "audit: --max-uncompressed=lots" 'invalid size "lots"' audit --max-uncompressed=lots r.io/x:1
fails_with "audit: --platform=linux" 'platform' audit --platform=linux r.io/x:1
fails_with "audit: --all-platforms=maybe" 'invalid argument "maybe"' audit --all-platforms=maybe r.io/x:1
fails_with "audit: -ojunit" 'junit' audit -ojunit r.io/x:1
fails_with "audit: REF and -f" 'give REF arguments or -f, not both' audit r.io/x:1 -f=-

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
