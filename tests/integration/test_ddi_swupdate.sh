#!/usr/bin/env bash
# A real third-party DDI client checks our DDI test server: Debian's
# swupdate, whose suricatta daemon is a hawkBit client, polls
# tests/integration/ddi_server.py, reads the deployment, downloads the
# artifact (a signed .swu that installs one file), installs it and posts
# its feedback; restarted with "-c 2" (the update confirmed after the
# reboot, as its bootloader flow does) it closes the action with success.
# The server must have seen every step with the target token.
# Usage: test_ddi_swupdate.sh   (skipped, exit 77, without swupdate/openssl)
set -u
command -v swupdate >/dev/null && command -v openssl >/dev/null || { echo "swupdate or openssl missing"; exit 77; }
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
SWU_PID=
SRV_PID=
cleanup() {
    [ -n "$SWU_PID" ] && kill "$SWU_PID" 2>/dev/null
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/st" "$T/installed" "$T/tmp"

# A signing certificate (swupdate as Debian builds it takes CMS-signed images only).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj "/CN=ddi-test" \
    -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=emailProtection" 2>/dev/null
# The .swu: a cpio ("newc" with CRC) of sw-description, its signature, and the payload.
python3 - "$T" <<'PY'
import hashlib, subprocess, sys
t = sys.argv[1]
payload = b"installed through the DDI test server\n"
desc = ('software = {\n  version = "2.0.0";\n  hardware-compatibility: [ "1.0" ];\n'
        '  files: ( { filename = "payload.txt"; path = "%s/installed/payload.txt"; sha256 = "%s"; } );\n};\n'
        % (t, hashlib.sha256(payload).hexdigest())).encode()
open(t + "/sw-description", "wb").write(desc)
sig = subprocess.run(["openssl", "cms", "-sign", "-in", t + "/sw-description", "-signer", t + "/cert.pem",
                      "-inkey", t + "/key.pem", "-outform", "DER", "-nosmimecap", "-binary"],
                     capture_output=True, check=True).stdout
def entry(name, data, ino):
    hdr = "070702%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
        ino, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, sum(data) & 0xffffffff)
    out = hdr.encode() + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    return out + data + b"\0" * (-len(data) % 4)
blob = b"".join(entry(n, d, i + 1) for i, (n, d) in
                enumerate([("sw-description", desc), ("sw-description.sig", sig), ("payload.txt", payload)]))
blob += entry("TRAILER!!!", b"", 0)
open(t + "/update.swu", "wb").write(blob + b"\0" * (-len(blob) % 512))
PY

python3 "$HERE/ddi_server.py" --state "$T/st" --port-file "$T/port" --token tok123 2>"$T/server.log" &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
cat >"$T/st/swu-device.json" <<EOF
{"action": {"id": "21", "chunks": [{"part": "os", "name": "rootfs", "version": "2.0.0", "file": "$T/update.swu"}]},
 "sleep": "00:00:01"}
EOF
LOG="$T/st/swu-device.log.jsonl"

# run_swupdate ARGS... UNTIL_PATTERN: suricatta until the server's log shows the pattern (30 s at most)
run_swupdate() {
    local until=${*: -1}
    set -- "${@:1:$#-1}"
    TMPDIR="$T/tmp" swupdate -v -m -H board:1.0 -k "$T/cert.pem" \
        -u "-t DEFAULT -u http://127.0.0.1:$PORT -i swu-device -k tok123 -p 1 $*" >>"$T/swupdate.log" 2>&1 &
    SWU_PID=$!
    for _ in $(seq 300); do
        grep -q -- "$until" "$LOG" 2>/dev/null && break
        sleep 0.1
    done
    kill "$SWU_PID" 2>/dev/null
    wait "$SWU_PID" 2>/dev/null
    SWU_PID=
}

run_swupdate "All Chunks Installed"
# feedbacks NAME PYTHON-CONDITION: some accepted feedback satisfies the condition on (body, status)
has() {
    python3 - "$LOG" "$2" ${3:-} <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
test = all if sys.argv[3:] == ["all"] else any
ok = test(eval(sys.argv[2], {}, {"e": e, "st": e.get("body", {}).get("status", {})}) for e in entries)
sys.exit(0 if ok else 1)
PY
    if [ $? -eq 0 ]; then pass "$1"; else fail "$1" "$LOG"; fi
}
has "swupdate polled the controller base resource" \
    "e.get('req') == 'GET' and e['path'] == '/DEFAULT/controller/v1/swu-device'"
has "  it followed the deploymentBase link" "e.get('req') == 'GET' and '/deploymentBase/21?c=' in e['path']"
has "  it downloaded the artifact through the download-http link" \
    "e.get('req') == 'GET' and e['path'].endswith('/softwaremodules/1/artifacts/update.swu')"
has "  no request went without the target token" "not e.get('req') or e['auth'] == 'TargetToken tok123'" all
has "  it posted proceeding feedback with progress" \
    "e.get('feedback') == 'deploymentBase' and st['execution'] == 'proceeding' and 'progress' in st['result']"
expect_ok "  and the payload is installed" grep -q "installed through the DDI test server" "$T/installed/payload.txt"

run_swupdate "-c 2" '"closed"'
has "after the confirmed reboot it closed action 21 with success" \
    "e.get('feedback') == 'deploymentBase' and e['action'] == '21' and st['execution'] == 'closed' and st['result']['finished'] == 'success'"
expect_ok "  the server's action is closed" grep -q '"state": "closed"' "$T/st/swu-device.server.json"
finish
