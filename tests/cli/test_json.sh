#!/usr/bin/env bash
# `--json` output of every command that has it, parsed by python's json and
# checked fact by fact; the exit codes, one meaning each; --version, -q, -v,
# help text. Runs `ota run` against python's http.server on loopback.
# Usage: test_json.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../integration/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

# jcheck NAME PYTHON-EXPR: the last stdout is one JSON document d and EXPR holds
jcheck() {
    if python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if ($2) else 1)" "$T/out" 2>"$T/py.err"; then
        pass "$1"
    else
        fail "$1 (/$2/ on the JSON)" "$T/out"
    fi
}

# expect_rc NAME STATUS CMD...: exactly this exit status
expect_rc() {
    local name=$1 status=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq "$status" ]; then pass "$name"; else fail "$name (exit $rc, wanted $status)" "$T/err"; fi
}

mkdir -p "$T/www" "$T/sd" "$T/tones"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
mk() { $OTA image make "$T/www/$1" --project "$2" --version "$3" --size 200000 >/dev/null; }
mk old.bin ota_example v1.0.0
mk new.bin play_mp3_control v2.0.0
mk same.bin ota_example v1.0.0
cp "$T/www/new.bin" "$T/www/hash.bin"
flip_byte "$T/www/hash.bin" 199999   # stored SHA-256
head -c 3000 /dev/urandom >"$T/tones/a.mp3"
head -c 1234 /dev/urandom >"$T/tones/b.wav"
$OTA tone make "$T/sd/flash_tone.bin" "$T/tones/a.mp3" "$T/tones/b.wav" >/dev/null
$OTA tone make "$T/tone1.bin" "$T/tones/a.mp3" --format 1 --version v1.1.0 >/dev/null

# --- flash create, partition show, image info / verify, tone info -----------------
expect_ok "flash create --json" $OTA flash create "$T/base.img" --table "$T/partitions.csv" --json
jcheck "flash create: size and partitions" "d['size'] == 4194304 and d['partitions'] == 6 and d['table_offset'] == 0x8000 and d['bootloader'] is None"
expect_ok "partition show --json" $OTA partition show "$T/base.img" --json
jcheck "partition show: flash_tone row" "[p for p in d['partitions'] if p['label'] == 'flash_tone'][0] == {'index': 5, 'label': 'flash_tone', 'type': 1, 'subtype': 255, 'type_name': 'data', 'subtype_name': None, 'usage': 'Unknown data', 'offset': 0x210000, 'size': 0x100000, 'encrypted': False, 'readonly': False}"
jcheck "partition show: ota_0 and ota_1 are apps" "[p['subtype_name'] for p in d['partitions'] if p['type'] == 0] == ['ota_0', 'ota_1'] and d['md5'] is True"

expect_ok "image info --json" $OTA image info "$T/www/new.bin" --json
jcheck "image info: descriptor" "d['app']['project'] == 'play_mp3_control' and d['app']['version'] == 'v2.0.0' and d['app']['secure_version'] == 0"
jcheck "image info: sizes, chip, hash" "d['file_size'] == 200000 and d['image_size'] == 200000 and d['header']['chip'] == 'ESP32' and d['hash']['valid'] and d['hash']['stored'] == d['hash']['computed'] and len(d['hash']['stored']) == 64"
jcheck "image info: segments and verdict" "len(d['segments']) == d['header']['segments'] and d['segments'][0]['load_addr'] == 0x3f400020 and d['segments'][0]['memory'] == 'DROM' and d['valid'] and d['error'] is None"
expect_rc "image info --json of a corrupt image: exit 1" 1 $OTA image info "$T/www/hash.bin" --json
jcheck "image info: the invalid hash and its error" "not d['valid'] and not d['hash']['valid'] and d['hash']['stored'] != d['hash']['computed'] and d['error']['name'] == 'OTA_ERR_IMG_HASH' and d['error']['code'] == -55"
$OTA image sign "$T/www/new.bin" "$T/signed.bin" --key "$HERE/../data/test_rsa3072.pem" >/dev/null
expect_ok "image info --json of a signed image" $OTA image info "$T/signed.bin" --json
jcheck "image info: the signature block" "d['signature']['present'] and d['signature']['scheme'] == 'RSA-3072-PSS' and d['signature']['verified'] and d['signature']['image_digest_matches'] and len(d['signature']['key_digest']) == 64"

expect_ok "image verify --json" $OTA image verify "$T/www/new.bin" --json --chip esp32
jcheck "image verify: valid, facts" "d['valid'] and d['error'] is None and d['project'] == 'play_mp3_control' and d['image_size'] == 200000 and d['label'] is None"
expect_rc "image verify --json, too big: exit 1" 1 $OTA image verify "$T/www/new.bin" --json --max-size 100000
jcheck "image verify: the precise error" "not d['valid'] and d['error']['name'] == 'OTA_ERR_IMG_TOO_BIG' and 'project' not in d"

expect_ok "tone info --json (format 0)" $OTA tone info "$T/sd/flash_tone.bin" --json
jcheck "tone info: two files, types, lengths" "d['format'] == 0 and [(f['type'], f['length']) for f in d['files']] == [('mp3', 3000), ('wav', 1234)] and d['valid'] and d['descriptor'] is None"
expect_ok "tone info --json (format 1)" $OTA tone info "$T/tone1.bin" --json
jcheck "tone info: descriptor, CRC, tail" "d['format'] == 1 and d['descriptor']['version'] == 'v1.1.0' and d['crc']['valid'] and d['tail_present']"

# --- boot, otadata show -----------------------------------------------------------------
$OTA flash write "$T/base.img" ota_0 "$T/www/old.bin" >/dev/null
expect_ok "boot --json" $OTA boot "$T/base.img" --json
jcheck "boot: ota_0 runs ota_example" "d['booted'] and d['running'] == 'ota_0' and d['boots'][0]['project'] == 'ota_example' and not d['boots'][0]['fell_back'] and d['self_test'] is None"
[ ! -s "$T/err" ] || grep -q "cpu_start" "$T/err" && pass "boot --json: the log stays on stderr" || fail "boot --json: log on stderr" "$T/err"
expect_ok "otadata show --json" $OTA otadata show "$T/base.img" --json
jcheck "otadata show: seq 1 active, slot 0" "d['active'] == 0 and d['copies'][0]['seq'] == 1 and d['copies'][0]['crc_valid'] and d['copies'][1] is None and d['boot_slot'] == 0 and d['boot_partition'] == 'ota_0'"

# --- delta make / info / apply, release ---------------------------------------------------
sha() { sha256sum "$1" | cut -d' ' -f1; }
appsha() { tail -c 32 "$1" | od -An -tx1 | tr -d ' \n'; }
size() { stat -c %s "$1"; }
OLD=$T/www/old.bin NEW=$T/www/new.bin
expect_ok "delta make --json" $OTA delta make "$OLD" "$NEW" "$T/p.compact" --format compact --json
jcheck "delta make: format, base and result digests and sizes" "d['ok'] and d['format'] == 'compact' and d['base'] == {'file': '$OLD', 'size': 200000, 'sha256': '$(sha "$OLD")'} and d['result'] == {'file': '$NEW', 'size': 200000, 'sha256': '$(sha "$NEW")'} and d['base_app_sha256'] == '$(appsha "$OLD")'"
jcheck "delta make: the patch as written" "d['patch'] == {'file': '$T/p.compact', 'size': $(size "$T/p.compact"), 'sha256': '$(sha "$T/p.compact")'} and d['patch_size'] == $(size "$T/p.compact") and d['error'] is None"
expect_ok "delta info --json (compact)" $OTA delta info "$T/p.compact" --json
jcheck "delta info: base named by its appended SHA-256, result by its digest" "d['ok'] and d['format'] == 'compact' and d['base_app_sha256'] == '$(appsha "$OLD")' and d['new_sha256'] == '$(sha "$NEW")' and d['old_size'] == 200000 and d['new_size'] == 200000 and d['patch_size'] == $(size "$T/p.compact")"
expect_ok "delta apply --json" $OTA delta apply "$OLD" "$T/p.compact" "$T/applied.bin" --json
cmp -s "$T/applied.bin" "$NEW" && pass "delta apply: the result is the new image" || fail "delta apply: result differs"
jcheck "delta apply: result digest and size, base, patch" "d['ok'] and d['format'] == 'compact' and d['result'] == {'file': '$T/applied.bin', 'size': 200000, 'sha256': '$(sha "$NEW")'} and d['base']['sha256'] == '$(sha "$OLD")' and d['patch']['size'] == $(size "$T/p.compact") and d['new_sha256'] == d['result']['sha256']"
expect_ok "delta make --json (esp format)" $OTA delta make "$OLD" "$NEW" "$T/p.esp" --json
expect_ok "delta info --json (esp format)" $OTA delta info "$T/p.esp" --json
jcheck "delta info: esp carries the base digest, not the result's" "d['format'] == 'esp' and d['base_app_sha256'] == '$(appsha "$OLD")' and d['new_sha256'] is None and d['old_size'] is None and d['new_size'] == 200000"
expect_rc "delta info --json of a non-patch: exit 1" 1 $OTA delta info "$NEW" --json
jcheck "delta info: the precise error" "not d['ok'] and d['error']['name'] == 'OTA_ERR_DELTA_FORMAT'"
expect_rc "delta apply --json on the wrong base: exit 1" 1 $OTA delta apply "$NEW" "$T/p.compact" "$T/wrong.bin" --json
jcheck "delta apply: the error, one document" "not d['ok'] and d['error']['name'].startswith('OTA_ERR_DELTA')"
mkdir -p "$T/rel"
# the previous release of NEW (a patch is published only when smaller than the image)
PREV=$T/prev.bin
python3 "$HERE/../integration/app_variant.py" "$NEW" "$PREV" v1.9.0
expect_ok "release --json" $OTA release "$T/rel" --image "$NEW" --previous "$PREV" --key "$HERE/../data/test_p256.pem" --serial 7 --rollout 40 --json
jcheck "release: the manifest's fields" "d['ok'] and d['manifest']['project'] == 'play_mp3_control' and d['manifest']['version'] == 'v2.0.0' and d['manifest']['serial'] == 7 and d['manifest']['rollout_percent'] == 40 and d['manifest']['chip'] == 'esp32' and d['manifest']['app_sha256'] == '$(appsha "$NEW")' and d['manifest']['image']['sha256'] == '$(sha "$NEW")'"
jcheck "release: the patch from the previous release" "d['manifest']['patches'][0]['base_app_sha256'] == '$(appsha "$PREV")' and d['patches'][0]['from'] == '$PREV' and d['patches'][0]['file'] == d['manifest']['patches'][0]['uri']"
python3 -c "
import json, hashlib, sys
d = json.load(open(sys.argv[1]))
names = [f['file'].split('/')[-1] for f in d['files']]
ok = len(d['files']) == 7 and names[-1] == 'manifest.json' and 'manifest.json.sig' in names and 'manifest.json.v2' in names and any(n.endswith('.cz') for n in names)
for f in d['files']:
    b = open(f['file'], 'rb').read()
    ok = ok and f['size'] == len(b) and f['sha256'] == hashlib.sha256(b).hexdigest()
sys.exit(0 if ok else 1)" "$T/out" && pass "release: every file written, its size and SHA-256 as on disk" || fail "release: files" "$T/out"
expect_rc "release --json, a key that cannot sign: exit 1" 1 $OTA release "$T/rel" --image "$NEW" --key "$T/www/old.bin" --json
jcheck "release: not ok, no manifest, what was written" "not d['ok'] and d['manifest'] is None and len(d['files']) == 2"

# --- run ----------------------------------------------------------------------------------
start_python_server "$T/www"
PY=http://127.0.0.1:$PY_PORT
cp "$T/base.img" "$T/dev.img"
expect_ok "run --json: data and app items" $OTA -v run "$T/dev.img" --sdcard "$T/sd" \
    --data flash_tone=file://sdcard/flash_tone.bin --app "$PY/new.bin" --json
jcheck "run: one document, both items succeeded" "d['exit_status'] == 0 and [i['success'] for i in d['items']] == [True, True] and [i['type'] for i in d['items']] == ['data', 'app']"
jcheck "run: slots written, bytes, resumed" "d['items'][0]['slot'] == 'flash_tone' and d['items'][1]['slot'] == 'ota_1' and d['items'][1]['bytes_received'] == 200000 and d['items'][0]['bytes_received'] > 3000 + 1234 and not d['items'][1]['resumed']"
jcheck "run: results and errors" "d['items'][1]['result'] == 'SUCCESS' and d['items'][1]['error'] is None"
jcheck "run: reboot decision and the restart" "d['reboot'] and d['restart']['app_runs'] and d['restart']['running'] == 'ota_1' and d['restart']['boots'][0]['project'] == 'play_mp3_control'"
jcheck "run: flash counters and memory" "d['flash']['bytes_programmed'] >= 200000 and d['flash']['page_programs'] > 0 and d['memory']['service_state'] > 0 and d['memory']['patch_work_area'] > 16000 and d['memory']['port_heap_peak'] > 0 and not d['power_cut']"
grep -q "List id: 1, OTA success" "$T/err" && pass "run --json: log lines on stderr" || fail "run --json: log lines on stderr" "$T/err"

cp "$T/base.img" "$T/dev.img"
expect_rc "run --json, corrupt image: exit 1" 1 $OTA -v run "$T/dev.img" --app "$PY/hash.bin" --json
jcheck "run: the precise error of the failed item" "d['exit_status'] == 1 and not d['items'][0]['success'] and d['items'][0]['error']['name'] == 'OTA_ERR_IMG_HASH' and d['items'][0]['result'] == 'UNKNOWN' and not d['reboot'] and d['restart'] is None"
grep -q "OTA failed: UNKNOWN (OTA_ERR_IMG_HASH" "$T/err" && [ "$(grep -c OTA_ERR "$T/out")" -eq 1 ] && pass "run: the error is on stderr, once in the JSON" \
    || fail "run: error on stderr" "$T/err"

# --- exit codes, one meaning each ---------------------------------------------------------
cp "$T/base.img" "$T/dev.img"
expect_rc "exit 0: success" 0 $OTA -v run "$T/dev.img" --app "$PY/new.bin" --no-reboot -q
grep -q "^I " "$T/err" && fail "-q: no info lines" "$T/err" || pass "-q: warnings and errors only"
expect_rc "without -q: info lines" 0 $OTA -v run "$T/dev.img" --app "$PY/new.bin" --no-reboot
grep -q "^I " "$T/err" && pass "without -q: info lines on stderr" || fail "without -q: info lines" "$T/err"
cp "$T/base.img" "$T/dev.img"
expect_rc "exit 1: 404, the device runs what it ran" 1 $OTA -v run "$T/dev.img" --app "$PY/missing.bin"
$OTA boot "$T/dev.img" >"$T/out" 2>/dev/null && grep -q "^booted: ota_0" "$T/out" && pass "exit 1: ota_0 still boots" || fail "exit 1: ota_0 boots" "$T/out"
expect_rc "exit 2: bad usage" 2 $OTA -v run "$T/dev.img" --retries many --app "$PY/new.bin"
expect_rc "exit 3: emulated power cut" 3 $OTA -v run "$T/dev.img" --app "$PY/new.bin" --power-cut-at 5 --json
jcheck "power cut in the JSON" "d['power_cut'] and d['exit_status'] == 3"
cp "$T/base.img" "$T/dev.img"
expect_rc "exit 4: already up to date" 4 $OTA -v run "$T/dev.img" --app "$PY/same.bin" --force-version-check --json
jcheck "exit 4: the item says NO_HIGHER_VERSION" "d['exit_status'] == 4 and d['items'][0]['result'] == 'NO_HIGHER_VERSION' and d['items'][0]['error']['name'] == 'OTA_ERR_NOT_NEWER'"
cp "$T/base.img" "$T/dev.img"
$OTA -v run "$T/dev.img" --app "$PY/new.bin" --rollback --self-test skip >/dev/null 2>&1
expect_rc "exit 5: device busy (the running app is on trial)" 5 $OTA -v run "$T/dev.img" --app "$PY/new.bin" --rollback

# --- help and version -----------------------------------------------------------------------
expect_ok "--version" $OTA --version
expect_out "--version names the version" "^ota [0-9]+\.[0-9]+\.[0-9]+"
expect_ok "run --help" $OTA -v run --help
expect_out "help: the read timeout and its default" "--read-timeout MS .*no byte.*\(default: 10000\)"
expect_out "help: the low-speed limit and its default" "--low-speed-limit BYTES .*\(default: 1024"
expect_out "help: the deadline and its default" "--deadline S .*\(default: 900"
expect_out "help: retries default" "--retries N .*\(default: 4\)"
expect_out "help: backoff default" "--retry-backoff MS .*\(default: 250\)"
expect_out "help: connect timeout default" "--connect-timeout MS .*\(default: 5000\)"
expect_out "help: the exit codes" "^  4  nothing to do"
expect_ok "ota --help lists the exit codes" $OTA --help
expect_out "overview: exit 5" "^  5  device busy"
expect_fail "a missing argument is named" 2 "missing argument LABEL" $OTA flash write "$T/dev.img"
expect_rc "-v adds debug lines (and still works)" 0 $OTA -v partition show "$T/base.img"
# The overview's --json list names every command whose own --help offers --json.
$OTA --help >"$T/overview" 2>&1
for c in "flash create" "flash write" "flash read" "partition make" "partition show" "otadata show" "otadata select" \
         "image info" "image make" "image verify" "image sign" "tone info" "tone make" boot efuse run \
         "delta make" "delta apply" "delta info" release; do
    $OTA $c --help 2>&1 | grep -q -- "--json" || continue
    if python3 -c '
import re, sys
text = " ".join(open(sys.argv[1]).read().split())
listed = set()
for entry in re.search(r"--json \(([^)]*)\)", text).group(1).split(", "):
    words = entry.split(" ", 1)
    for sub in (words[1].split("|") if len(words) > 1 else [""]):
        listed.add((words[0] + " " + sub).strip())
sys.exit(0 if sys.argv[2] in listed else 1)' "$T/overview" "$c"; then pass "overview: the --json list names $c"
    else fail "overview: the --json list names $c (its --help offers --json)" "$T/overview"; fi
done

finish
