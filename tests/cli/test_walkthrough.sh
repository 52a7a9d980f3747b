#!/usr/bin/env bash
# The README's fleet walkthrough runs as written, from an empty folder, with
# `ota` on the PATH and OTA_CLONE naming the clone (no ../shared needed), and
# ends where its comments say. The one change: nginx listens on a free port
# instead of 8080 (tests run side by side).
# Usage: test_walkthrough.sh OTA_BINARY
set -u
OTA=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap '[ -s "$T/run/nginx/nginx.pid" ] && kill "$(cat "$T/run/nginx/nginx.pid")" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/integration/servers.sh"

# The indented block after "The fleet walkthrough, from an empty folder",
# from its first indented line up to the next unindented text.
awk '/^The fleet walkthrough, from an empty folder/ {on = 1; next}
     on && /^    / {print substr($0, 5); seen = 1; next}
     on && seen && /^$/ {print; next}
     on && seen {exit}' "$SRC/README.md" >"$T/walk.sh"
if [ "$(grep -c . "$T/walk.sh")" -ge 20 ] && grep -q "ota release" "$T/walk.sh"; then
    pass "README: the walkthrough block found ($(grep -c . "$T/walk.sh") lines)"
else fail "README: the walkthrough block found" "$T/walk.sh"; fi
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then skip "the walkthrough (no nginx)"; finish; exit; fi

PORT=$(free_port)
sed -i "s/127\.0\.0\.1:8080/127.0.0.1:$PORT/g" "$T/walk.sh"
chmod 755 "$T"  # nginx, started as root, reads the files as its worker user
mkdir -p "$T/bin" "$T/run"
ln -s "$OTA" "$T/bin/ota"
(cd "$T/run" && PATH="$T/bin:$PATH" OTA_CLONE="$SRC" bash -e "$T/walk.sh") >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ]; then pass "README: the walkthrough runs as written"; else tail -20 "$T/err" >"$T/tail"; fail "README: the walkthrough runs as written (exit $rc)" "$T/tail"; fi
cp "$T/err" "$T/log"

# What its comments promise.
n=$(grep -c "received, a patch)" "$T/log")
[ "$n" -eq 4 ] && pass "four updates, each a patch" || fail "four updates, each a patch ($n)" "$T/log"
# The quiet summary's sizes (manifest, signature and patch together): "(5.0 KiB received, a patch)".
big=$(grep -o "([0-9.]* [KMG]*i*B received, a patch)" "$T/log" |
    awk '{v = substr($1, 2); u = $2; m = u == "KiB" ? 1024 : u == "MiB" ? 1048576 : 1; print int(v * m)}' | sort -n | tail -1)
[ -n "$big" ] && [ "$big" -lt 26214 ] && pass "the patches help: the largest download is $big bytes of a 262144-byte image" ||
    fail "the patches help (largest: ${big:-none})" "$T/log"
[ "$(grep -c "on trial (PENDING_VERIFY)" "$T/out")" -eq 4 ] && [ "$(grep -c "marked VALID" "$T/out")" -eq 4 ] &&
    pass "each new app boots on trial and is marked valid" || fail "each new app boots on trial and is marked valid" "$T/out"
if [ "$(grep -c "(trial boot)" "$T/log")" -eq 4 ] && grep -q "nothing installed: held back (rollout)" "$T/log" &&
    grep -q "^lamp-2: exit 4" "$T/out"; then
    pass "at 60 %: lamp-1 takes v1.2.0, lamp-2 is held back (exit 4)"
else fail "at 60 %: one device in, one held back" "$T/out"; fi
for d in lamp-1 lamp-2; do
    if "$OTA" image info "$T/run/$d.img" --label ota_0 2>/dev/null | grep -q "v1.2.0" &&
        "$OTA" boot "$T/run/$d.img" 2>&1 | grep -q "^booted: ota_0"; then pass "$d ends on v1.2.0"
    else fail "$d ends on v1.2.0"; fi
done
[ -s "$T/run/nginx/nginx.pid" ] && kill -0 "$(cat "$T/run/nginx/nginx.pid")" 2>/dev/null &&
    fail "the walkthrough stops its server" || pass "the walkthrough stops its server"
finish
