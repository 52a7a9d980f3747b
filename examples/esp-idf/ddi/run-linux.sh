#!/usr/bin/env bash
# The DDI example built for ESP-IDF's linux target, against the DDI test
# server: a device image with v1, a deployment of v2, one poll (install),
# the restart (`ota boot`), one more poll (the outcome reported).
# Usage: run-linux.sh OTA ELF   (prints ok/FAIL lines; exit 1 on a failure)
set -u
OTA=$1
ELF=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../../..
T=$(mktemp -d)
. "$ROOT/tests/cli/lib.sh"
SRV=
trap '[ -n "$SRV" ] && kill "$SRV"; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/st"
for v in 1 2; do $OTA image make "$T/v$v.bin" --project lamp --version "v$v.0.0" --size 300000 >/dev/null; done
$OTA flash create "$T/dev.img" --table "$HERE/partitions.csv" --rollback >/dev/null
$OTA flash write "$T/dev.img" ota_0 "$T/v1.bin" >/dev/null
$OTA boot "$T/dev.img" >/dev/null 2>&1
python3 "$ROOT/tests/integration/ddi_server.py" --state "$T/st" --port-file "$T/port" 2>/dev/null &
SRV=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
cat >"$T/st/esp-linux.json" <<J
{"action": {"id": "5", "chunks": [{"part": "os", "name": "app", "version": "v2.0.0", "file": "$T/v2.bin"}]},
 "config_data": true}
J
export OTA_FLASH_IMAGE=$T/dev.img OTA_DDI_SERVER=http://127.0.0.1:$(cat "$T/port")
expect_ok "the ESP-IDF client installs the deployment" timeout 60 "$ELF"
expect_ok "  the server got its attributes" grep -q '"running_slot": "ota_0"' "$T/st/esp-linux.log.jsonl"
expect_ok "  and proceeding feedback" grep -q '"installed; restarting into the new app"' "$T/st/esp-linux.log.jsonl"
$OTA boot "$T/dev.img" --rollback --self-test pass >"$T/boot.out" 2>&1
expect_ok "  the restart boots v2, its self-test passes" grep -q "App version: *v2.0.0" "$T/boot.out"
expect_ok "the next poll reports the outcome" timeout 60 "$ELF"
expect_ok "  the server has closed/success for action 5" grep -q '"state": "closed", "result": "success"\|"result": "success"' "$T/st/esp-linux.server.json"
echo "work dir: $T"; finish
