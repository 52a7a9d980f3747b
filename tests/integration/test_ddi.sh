#!/usr/bin/env bash
# ota run --ddi against the DDI test server (tests/integration/ddi_server.py):
# a full deployment whose outcome the server gets after the restart, exactly
# once; a rolled-back trial reported as such; a cancel before and after the
# switch; update mode skip and the maintenance window; and a hostile server
# (bad SHA-256, missing artifact, garbage, huge, deep, slow, silent, wrong
# token), each with its own error and the device still booting v1.
# Usage: test_ddi.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
for v in 1 2; do
    $OTA image make "$T/v$v.bin" --project lamp --version "v$v.0.0" --size 300000 >/dev/null
done
mkdir -p "$T/st"
python3 "$HERE/ddi_server.py" --state "$T/st" --port-file "$T/port" --token s3cret 2>"$T/server.log" &
SERVER_PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/port")"

new_device() {  # NAME: v1 in ota_0, booted, with a bootloader that rolls back
    rm -f "$T/$1".* "$T/st/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" --rollback >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "$T/v1.bin" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null 2>&1
}
offer() {  # NAME JSON: what the server offers controller NAME
    printf '%s\n' "$2" >"$T/st/$1.json"
}
app_action() {  # ID [EXTRA CHUNK FIELDS] [EXTRA ACTION FIELDS]
    printf '{"id": "%s", "chunks": [{"part": "os", "name": "app", "version": "v2.0.0", "file": "%s"%s}]%s}' \
        "$1" "$T/v2.bin" "${2:-}" "${3:-}"
}
poll() {  # NAME [ARGS...]: one poll, output in $T/err, status in RC
    local dev=$1; shift
    $OTA -v run "$T/$dev.img" --ddi "$URL" --controller-id "$dev" --token s3cret --retry-backoff 10 "$@" \
        >"$T/out" 2>"$T/err"
    RC=$?
}
expect_rc() {  # NAME STATUS PATTERN: the last poll ended with STATUS and logged PATTERN
    if [ "$RC" -ne "$2" ]; then fail "$1 (exit $RC, wanted $2)" "$T/err"; return; fi
    if ! grep -Eq -- "$3" "$T/err"; then fail "$1 (log lacks /$3/)" "$T/err"; return; fi
    pass "$1"
}
boots() {  # NAME VERSION: the device's next boot runs VERSION
    if $OTA boot "$T/$1.img" >"$T/boot.out" 2>&1 && grep -q "App version: *$2" "$T/boot.out"; then
        pass "  $1 boots $2"
    else
        fail "  $1 should boot $2" "$T/boot.out"
    fi
}
# expect_json NAME EXPR: the last poll's --json document (stdout) has a "ddi" section d for which EXPR holds
expect_json() {
    if python3 -c "import json, sys; d = json.load(open('$T/out'))['ddi']; sys.exit(not ($2))" 2>"$T/json.err"; then
        pass "$1"
    else
        fail "$1 (not: $2)" "$T/out"
    fi
}
# finals NAME: the final (closed/rejected) feedbacks the server took, one line each
finals() {
    python3 - "$T/st/$1.log.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    st = e.get("body", {}).get("status", {})
    if e.get("feedback") and st.get("execution") in ("closed", "rejected", "canceled", "downloaded"):
        print(e["feedback"], e["action"], st["execution"], st["result"]["finished"], " | ".join(st.get("details", [])))
PY
}
expect_finals() {  # NAME DEV PATTERN COUNT: COUNT final feedbacks, the last matching PATTERN
    finals "$2" >"$T/finals"
    local n
    n=$(wc -l <"$T/finals")
    if [ "$n" -ne "$4" ]; then fail "$1 ($n final feedbacks, wanted $4)" "$T/finals"; return; fi
    if [ "$4" -gt 0 ] && ! tail -1 "$T/finals" | grep -Eq -- "$3"; then fail "$1 (last lacks /$3/)" "$T/finals"; return; fi
    pass "$1"
}

# ---- a full deployment, its outcome after the restart, exactly once -------------
new_device a
offer a "{\"action\": $(app_action 7), \"config_data\": true}"
poll a --rollback --json
expect_json "  --json: the action, the feedback the server took, the outcome known after the restart, its report pending" \
    "d['action'] == '7' and d['execution'] == 'proceeding' and d['result'] == 'none' and d['server_reached'] and
     d['outcome']['success'] and 'self-test passed' in d['outcome']['reason'] and d['final_report_pending'] and
     not d['outcome_reported'] and d['config_sent'] and d['error'] is None and not d['manifest_ran']"
expect_rc "a deployment installs and restarts into a trial boot" 0 "feedback deploymentBase 7: proceeding/none: installed"
expect_ok "  the download and the API calls carried the token" \
    python3 -c "import json,sys; a=[json.loads(l).get('auth') for l in open('$T/st/a.log.jsonl') if 'req' in l]; sys.exit(not a or any(x != 'TargetToken s3cret' for x in a))"
expect_ok "  configData got the attributes" grep -q '"running_slot": "ota_0".*"version": "v1.0.0"' "$T/st/a.log.jsonl"
expect_finals "  no final report before the restart's outcome is known" a "" 0
expect_ok "  proceeding feedbacks with rising progress (one per 10 % at most) came before the last one" python3 -c "
import json, sys
fb = [json.loads(l)['body']['status'] for l in open('$T/st/a.log.jsonl') if '\"feedback\"' in l]
prog = [s['result']['progress'] for s in fb if 'progress' in s['result']]
cnt = [p['cnt'] for p in prog]
last = fb[-1]
sys.exit(not (5 <= len(cnt) <= 10 and cnt == sorted(set(cnt)) and cnt[-1] == 100 and
              all(p['of'] == 100 for p in prog) and all(s['execution'] == 'proceeding' for s in fb) and
              'progress' not in last['result'] and 'installed' in last['details'][0]))"
expect_ok "  the pending-action record is kept beside the device" grep -q "^state=outcome" "$T/a.img.ddi"
poll a --rollback --json
expect_rc "the next poll reports the outcome" 0 "closed/success: trial boot: self-test passed"
expect_json "  --json: closed/success taken, nothing pending" \
    "d['action'] == '7' and d['execution'] == 'closed' and d['result'] == 'success' and d['outcome_reported'] and
     not d['final_report_pending'] and d['error'] is None"
expect_finals "  the server has closed/success for action 7" a "deploymentBase 7 closed success .*self-test passed" 1
boots a v2.0.0
poll a --rollback
expect_rc "  a third poll follows installedBase: the action is installed, nothing to do" 0 \
    "installedBase: action 7 is installed; nothing to do"
expect_ok "  (it was read)" grep -q '"path": "/DEFAULT/controller/v1/a/installedBase/7"' "$T/st/a.log.jsonl"
expect_finals "  a third poll reports nothing again" a "" 1
expect_ok "  the record says reported" grep -q "^state=reported" "$T/a.img.ddi"
expect_ok "ota status shows the record" $OTA status "$T/a.img"
expect_out "  with the action and its outcome" "DDI action 7: reported"
expect_out "  and why" "outcome: success: trial boot: self-test passed, app confirmed \\(reported to the server\\)"
expect_ok "ota status --json" $OTA status "$T/a.img" --json
expect_out "  carries the outcome" '"success": true'
expect_ok "ota status on a device that never polled" $OTA status "$T/v1.bin"
expect_out "  says so" "no server-driven update recorded"

# ---- an action that waits for the device's confirmation (confirmationBase) ---------
new_device w
offer w "{\"action\": $(app_action 4), \"confirm\": true}"
poll w --rollback
expect_rc "an action waiting for confirmation is confirmed, then installed in the same poll" 0 \
    "action 4 waits for a confirmation: confirmed"
expect_rc "  (installed)" 0 "feedback deploymentBase 4: proceeding/none: installed"
expect_ok "  the server took confirmed for action 4" python3 -c "
import json, sys
c = [json.loads(l) for l in open('$T/st/w.log.jsonl') if '\"confirmation\"' in l]
sys.exit(not (len(c) == 1 and c[0]['action'] == '4' and c[0]['confirmation']['confirmation'] == 'confirmed'))"
boots w v2.0.0
new_device x
offer x "{\"action\": $(app_action 3), \"confirm\": true, \"confirm_id\": \"3/../../x\"}"
poll x --rollback
expect_rc "a confirmationBase whose id is not an action id is refused, nothing confirmed" 1 \
    "confirmationBase .*lacks a field the client needs"
expect_ok "  (no confirmation posted)" python3 -c "
import sys; sys.exit(any('\"confirmation\"' in l for l in open('$T/st/x.log.jsonl')))"
boots x v1.0.0

# ---- progress reports the server refuses do not fail the install -------------------
new_device p
offer p "{\"action\": $(app_action 6), \"fail_progress\": true}"
poll p --rollback
expect_rc "a refused progress report does not fail the install" 0 "progress report refused: no more of them"
expect_ok "  and no more are sent for that action" python3 -c "
import json, sys
n = sum(1 for l in open('$T/st/p.log.jsonl') if '\"req\": \"POST\"' in l)
sys.exit(n != 3)"  # downloading, one refused progress report, installed
boots p v2.0.0

# ---- configData: sent once, and again when the attributes change -----------------
configs() {  # NAME: the configData bodies the server took, one "version slot" line each
    python3 - "$T/st/$1.log.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "config" in e:
        d = e["config"]["data"]
        print(d.get("version"), d.get("running_slot"), d.get("chip"), d.get("chip_revision"),
              len(d.get("partition_table_sha256", "")), d.get("project"), d.get("secure_version"))
PY
}
expect_configs() {  # NAME DEV COUNT PATTERN: COUNT bodies taken, the last matching PATTERN
    configs "$2" >"$T/configs"
    local n
    n=$(wc -l <"$T/configs")
    if [ "$n" -ne "$3" ]; then fail "$1 ($n configData bodies, wanted $3)" "$T/configs"; return; fi
    if [ "$3" -gt 0 ] && ! tail -1 "$T/configs" | grep -Eq -- "$4"; then fail "$1 (last lacks /$4/)" "$T/configs"; return; fi
    pass "$1"
}
new_device q
poll q --rollback
expect_configs "the first poll sends the attributes unasked" q 1 "^v1.0.0 ota_0 ESP32 v[0-9]+\.[0-9]+ 64 lamp 0$"
poll q --rollback
expect_configs "  a second poll without change sends none" q 1 "^v1.0.0"
offer q "{\"action\": $(app_action 5)}"
poll q --rollback
expect_configs "  nor does the poll that installs" q 1 "^v1.0.0"
poll q --rollback
expect_configs "  after the update the next poll sends them again (v2.0.0 in ota_1)" q 2 "^v2.0.0 ota_1 "
poll q --rollback
expect_configs "  and then no more" q 2 "^v2.0.0"
new_device u
offer u '{"fail_config": 1}'
poll u --rollback
expect_rc "a refused configData PUT (HTTP 500) is logged, the poll goes on" 0 "PUT .*configData.*HTTP 500"
expect_configs "  none taken" u 0 ""
poll u --rollback
expect_configs "  sent again at the next poll, and taken" u 1 "^v1.0.0"
poll u --rollback
expect_configs "  then not again" u 1 "^v1.0.0"
# The record as it stood when the server took the attributes is what a
# power cut before the device's next save leaves: it must not claim them.
# A trial app sends its attributes (v2.0.0 in ota_1), the cut comes, the
# trial rolls back to v1.0.0 in ota_0 (the attributes the record named
# before): the server has v2.0.0's, so v1.0.0's are sent again.
new_device y
poll y --rollback
offer y "{\"action\": $(app_action 8), \"record_snapshot\": \"$T/y.img.ddi\"}"
poll y --rollback --self-test skip
poll y --rollback --self-test skip
expect_configs "a trial app sends its attributes" y 2 "^v2.0.0 ota_1 "
cp "$T/y.img.ddi.at-put" "$T/y.img.ddi"
$OTA boot "$T/y.img" >/dev/null 2>&1
boots y v1.0.0
poll y --rollback
expect_configs "  a cut before the device kept their digest, a rollback: v1.0.0's are sent again" y 3 "^v1.0.0 ota_0 "
expect_ok "  the record keeps only the digest (no action)" grep -q "^state=none" "$T/u.img.ddi"
expect_ok "  ota status on it" $OTA status "$T/u.img"
expect_out "  says no update is recorded" "no server-driven update recorded"

# ---- a trial that fails its self-test: rolled back, reported as a failure --------
new_device b
offer b "{\"action\": $(app_action 8)}"
poll b --rollback --self-test fail
expect_rc "a new app that fails its self-test rolls back" 0 "rolled back: self-test failed; reported at the next poll"
poll b --rollback
expect_finals "  the server gets closed/failure with the reason" b "deploymentBase 8 closed failure rolled back: self-test failed" 1
boots b v1.0.0

# ---- no restart yet: nothing is judged before it ------------------------------
new_device n
offer n "{\"action\": $(app_action 17)}"
poll n --rollback --no-reboot
expect_rc "installed without a restart (--no-reboot)" 0 "installed; restarting"
poll n --rollback
expect_rc "  the next poll waits for the restart" 0 "the restart into it has not happened yet"
expect_finals "  and reports nothing yet" n "" 0
$OTA boot "$T/n.img" --rollback --self-test skip >/dev/null 2>&1
poll n --rollback
expect_rc "  restarted, the app on trial: still nothing to report" 0 "runs on trial"
expect_finals "  (no final report)" n "" 0
$OTA otadata mark "$T/n.img" valid >/dev/null 2>&1
poll n --rollback
expect_finals "  confirmed: one final report" n "deploymentBase 17 closed success .*the installed app runs" 1

# ---- the final report is resent until the server takes it -----------------------
new_device c
offer c "{\"action\": $(app_action 9), \"fail_final_feedback\": 2}"
poll c --rollback
poll c --rollback
expect_rc "a final report the server refuses (HTTP 500) is kept" 0 "HTTP 500"
expect_ok "  the record still waits" grep -q "^state=outcome" "$T/c.img.ddi"
# the operator assigns a newer action meanwhile: it must wait for the old report
offer c "{\"action\": $(app_action 19), \"fail_final_feedback\": 2}"
poll c --rollback
expect_rc "  a newer action waits while the old outcome is unreported" 0 "action 19 waits: the outcome of action 9"
expect_ok "  and the record of action 9 is kept" grep -q "^action=9" "$T/c.img.ddi"
poll c --rollback
expect_finals "  after two refusals the server takes it, once" c "deploymentBase 9 closed success" 1

# ---- power cuts: during the download, and around the switch ---------------------
# flash operations of a whole install, from a reference device
new_device ref
offer ref "{\"action\": $(app_action 30)}"
poll ref --rollback
flash_ops() {  # the flash operations the last run made (from its FLASH line)
    sed -n 's/.*FLASH: \([0-9]*\) sector erases, \([0-9]*\) block erases.*, \([0-9]*\) page programs.*/\1 \2 \3/p' \
        "$T/err" | awk '{print $1 + $2 + $3}'
}
OPS=$(flash_ops)
[ "${OPS:-0}" -gt 100 ] && pass "a whole install takes $OPS flash operations" || fail "no flash count" "$T/err"
new_device k
offer k "{\"action\": $(app_action 31)}"
poll k --rollback --power-cut-at $((OPS / 2))
expect_rc "a power cut during the download leaves no record of an action" 3 "power cut"
# (the record holds the digest of the attributes the first poll sent, no action)
grep -q "^state=none" "$T/k.img.ddi" && pass "  IMG.ddi: state none" || fail "  IMG.ddi: state none" "$T/k.img.ddi"
poll k --rollback
cp "$T/err" "$T/k-second.err"
poll k --rollback
expect_finals "  the next polls install, and report once" k "deploymentBase 31 closed success" 1 || cat "$T/k-second.err"
boots k v2.0.0
# Cuts at the last operations (the switch and the writes just before it):
# whatever boots afterwards, the server gets exactly one final report, and
# it says what booted. The count of operations varies from run to run (a
# page the network's reads split is programmed twice: two modes some 28
# apart on loopback), and the window between the record and the switch is
# one or two operations wide, so the cut walks towards it: up after a cut
# that came before the record, down after one that came after the outcome
# was known, and to just before the end of a run that ended uncut (its own
# count, read from its log) (40 tries at most, at least 7). Upwards the
# step doubles (up to 8) while the cuts keep coming before the record: a
# run in the mode 28 operations longer is otherwise out of reach of steps
# of one in 40 tries; a cut after the outcome steps back by one.
recorded=0
cut=$((OPS - 3))
step=1
for try in $(seq 0 39); do
    [ "$try" -ge 7 ] && [ "$recorded" -gt 0 ] && break
    dev=m$try
    new_device $dev
    offer $dev "{\"action\": $(app_action $((40 + try)))}"
    poll $dev --rollback --power-cut-at $cut
    if [ "$RC" -ne 3 ]; then  # no cut: the install took fewer operations; aim at that run's end
        n=$(flash_ops)
        cut=$(( ${n:-$cut} - 1 ))
        step=1
        continue
    fi
    state=$(sed -n 's/^state=//p' "$T/$dev.img.ddi" 2>/dev/null)
    [ "$state" = installed ] && recorded=$((recorded + 1))
    for _ in 1 2 3; do poll $dev --rollback; done
    $OTA boot "$T/$dev.img" --rollback >"$T/boot.out" 2>&1
    v=$(sed -n 's/.*App version: *//p' "$T/boot.out")
    want=$([ "$v" = v2.0.0 ] && echo success || echo failure)
    expect_finals "a cut at operation $cut (about $OPS in all): one final report, saying what boots ($v)" $dev \
        "deploymentBase $((40 + try)) closed $want" 1
    case "$state" in
    installed) ;;
    ""|none) cut=$((cut + step)); step=$((step < 8 ? step * 2 : 8)) ;;  # no record yet: the cut came before it
    *) cut=$((cut - 1)); step=1 ;;   # the outcome is already known: the cut came after the switch
    esac
done
[ "$recorded" -gt 0 ] && pass "  $recorded of those cuts came after the record was kept" || fail "  no cut after the record"

# ---- cancelAction ------------------------------------------------------------
new_device d
offer d "{\"action\": $(app_action 10), \"cancel_after_download\": true}"
poll d --rollback
expect_rc "a cancel that arrives before the switch stops the update" 1 "OTA_ERR_DDI_CANCELLED|cancelled before the switch"
expect_finals "  and is acknowledged on the cancel resource" d "cancelAction 10 closed success cancelled before the switch" 1
boots d v1.0.0

new_device e
offer e "{\"action\": $(app_action 11), \"fail_final_feedback\": 1}"
poll e --rollback
offer e "{\"action\": $(app_action 11), \"fail_final_feedback\": 1, \"cancel\": true}"
poll e --rollback
expect_finals "a cancel after the switch is refused with a reason" e "cancelAction 11 rejected none too late to cancel" 1
boots e v2.0.0

# ---- modes and the maintenance window --------------------------------------------
new_device f
offer f "{\"action\": $(app_action 12 '' ', "update": "skip"')}"
poll f --rollback
expect_rc "update mode skip: downloaded and verified, not installed" 0 "downloaded/success"
boots f v1.0.0
new_device g
offer g "{\"action\": $(app_action 13 '' ', "window": "unavailable"')}"
poll g --rollback
expect_rc "a closed maintenance window postpones the switch" 0 "waiting for the maintenance window"
boots g v1.0.0
offer g "{\"action\": $(app_action 13 '' ', "window": "available"')}"
poll g --rollback
expect_rc "  the open window lets it install" 0 "installed; restarting"
boots g v2.0.0

# forced and attempt install alike; forced does not take the switch from the app
new_device fa
offer fa "{\"action\": $(app_action 15 '' ', "update": "attempt"')}"
poll fa --rollback
expect_rc "update mode attempt: installed" 0 "installed; restarting"
boots fa v2.0.0
new_device fo
offer fo "{\"action\": $(app_action 16 '' ', "update": "forced"')}"
poll fo --rollback --defer-activation
expect_rc "update mode forced, the app defers: verified, not switched" 0 "waiting for the maintenance window or the app"
boots fo v1.0.0
poll fo --rollback
expect_rc "  forced, the app agrees: installed" 0 "installed; restarting"
boots fo v2.0.0

# ---- a hostile server: bounded, clear errors, the device unchanged ---------------
new_device h
offer h "{\"action\": $(app_action 14 ', "bad_sha256": true')}"
poll h --rollback --json
expect_rc "an artifact whose SHA-256 differs is refused" 1 "OTA_ERR_DDI_DIGEST|SHA-256 differs"
expect_json "  --json: closed/failure sent, the error named" \
    "d['action'] == '14' and d['execution'] == 'closed' and d['result'] == 'failure' and d['error'] == 'OTA_ERR_DDI_DIGEST'
     and d['outcome'] is None and not d['final_report_pending']"
expect_finals "  and reported as closed/failure with our error" h "deploymentBase 14 closed failure OTA_ERR_DDI_DIGEST" 1
boots h v1.0.0
new_device i
offer i "{\"action\": $(app_action 15 ', "missing": true')}"
poll i --rollback
expect_rc "an artifact the server does not have (404)" 1 "HTTP 404"
expect_finals "  reported as closed/failure" i "deploymentBase 15 closed failure OTA_ERR_HTTP_STATUS" 1
boots i v1.0.0
new_device l
offer l "{\"action\": $(app_action 18 ", \"artifact_host\": \"localhost:${URL##*:}\"")}"
poll l --rollback
expect_rc "an artifact on another host is fetched without the token (and refused there: 401)" 1 "HTTP 401|HTTP error status"
expect_ok "  the token never left for that host" python3 -c "
import json, sys
r = [json.loads(l) for l in open('$T/st/l.log.jsonl') if '\"req\"' in l]
art = [e for e in r if '/artifacts/' in e['path']]
sys.exit(not art or any(e['auth'] for e in art) or not all(e['auth'] for e in r if e not in art))"
boots l v1.0.0
new_device j
for fault in garbage huge deep status500; do
    offer j "{\"action\": $(app_action 16), \"fault\": \"$fault\"}"
    poll j --rollback
    case $fault in
        garbage|deep) want="OTA_ERR_DDI_SYNTAX|not strict JSON" ;;
        huge) want="longer than the client's response buffer" ;;
        status500) want="HTTP error status" ;;
    esac
    expect_rc "a controller resource that is $fault: exit 1, clear error" 1 "$want"
done
poll j --rollback --json
expect_json "  --json: the server not reached, the error named" \
    "not d['server_reached'] and d['action'] is None and d['execution'] is None and d['error'] == 'OTA_ERR_HTTP_STATUS'"
boots j v1.0.0
for fault in slow never; do
    offer j "{\"action\": $(app_action 16), \"fault\": \"$fault\"}"
    start=$(date +%s)
    poll j --rollback --connect-timeout 1000 --read-timeout 2000
    took=$(($(date +%s) - start))
    expect_rc "a $fault server ends in a timeout" 1 "timed out|OTA_ERR_TIMEOUT|timeout"
    [ "$took" -le 10 ] && pass "  within the timeouts ($took s)" || fail "  took $took s"
done
boots j v1.0.0
offer j "{\"action\": $(app_action 16)}"
$OTA -v run "$T/j.img" --ddi "$URL" --controller-id j --token wrong >"$T/out" 2>"$T/err"
RC=$?
expect_rc "a wrong token (HTTP 401) is an error" 1 "HTTP 401"
boots j v1.0.0
# ---- https with the server's own CA ----------------------------------------------
bash "$HERE/make_certs.sh" "$T/pki"
mkdir -p "$T/sst"
python3 "$HERE/ddi_server.py" --state "$T/sst" --port-file "$T/sport" --token s3cret \
    --tls "$T/pki/good.pem" "$T/pki/good.key" 2>"$T/tls-server.log" &
SERVER_PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/sport" ] && break; sleep 0.05; done
SURL="https://127.0.0.1:$(cat "$T/sport")"
new_device s
printf '%s\n' "{\"action\": $(app_action 50)}" >"$T/sst/s.json"
$OTA -v run "$T/s.img" --ddi "$SURL" --controller-id s --token s3cret --rollback --forbid-http \
    --ca "$T/pki/other-ca.pem" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "https: a server whose certificate another CA signed is refused" 1 "OTA_ERR_TLS|TLS"
boots s v1.0.0
$OTA -v run "$T/s.img" --ddi "$SURL" --controller-id s --token s3cret --rollback --forbid-http \
    --ca "$T/pki/ca.pem" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "https with the server's CA (--ca), plain http forbidden: installs" 0 "installed; restarting"
boots s v2.0.0

poll j --rollback --forbid-http
expect_rc "a plain-http DDI server with --forbid-http is refused" 1 "plain http is forbidden"

expect_fail "--ddi without --controller-id is bad usage" 2 "controller-id" $OTA -v run "$T/j.img" --ddi "$URL"
expect_fail "--ddi with --app is bad usage" 2 "no --app" $OTA -v run "$T/j.img" --ddi "$URL" --controller-id j --app "$URL/x"
expect_fail "a controller id with a slash is refused" 2 "letters, digits" \
    $OTA -v run "$T/j.img" --ddi "$URL" --controller-id "../x"
printf 'ota-ddi-record 1\nstate=outcome\n' >"$T/j.img.ddi"
poll j --rollback
expect_rc "a torn pending-action record is an error, not 'no record'" 1 "pending-action record is unreadable or malformed"
# ---- an artifact refused by its SHA-256 is never resumed onto ----------------------
# nginx serves the artifact (hawkBit's artifacts have a validator, so a
# cut download resumes with If-Range). A corrupted copy with the same size
# and date is being written when the power goes; the right one is served
# again. The resumed image is refused (OTA_ERR_DDI_DIGEST), and the next
# action for the same artifact must download it afresh, not resume onto
# the refused bytes again.
mkdir -p "$T/good" "$T/www/DEFAULT/controller/v1/z/softwaremodules/1/artifacts"
ART="$T/www/DEFAULT/controller/v1/z/softwaremodules/1/artifacts/v2.bin"
cp -p "$T/v2.bin" "$T/good/v2.bin"
python3 - "$T/good/v2.bin" "$ART" <<'PY2'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[12288:12288 + 64] = bytes(x ^ 0x5A for x in b[12288:12288 + 64])
open(sys.argv[2], "wb").write(bytes(b))
PY2
touch -r "$T/good/v2.bin" "$ART"
start_nginx "$T/www"
zact() {  # ID: the action, its artifact on nginx
    printf '{"id": "%s", "chunks": [{"part": "os", "name": "app", "version": "v2.0.0", "file": "%s", "artifact_host": "127.0.0.1:%s"}]}' \
        "$1" "$T/good/v2.bin" "$NGINX_PORT"
}
new_device z
offer z "{\"action\": $(zact 20)}"
poll z --rollback --power-cut-at 200
expect_rc "a power cut while a corrupted artifact is written" 3 "power cut"
cp -p "$T/good/v2.bin" "$ART"
poll z --rollback
expect_rc "  resumed onto the corrupted bytes: refused" 1 "resuming the interrupted transfer"
grep -q "OTA_ERR_DDI_DIGEST" "$T/err" && pass "  by its SHA-256" || fail "  by its SHA-256" "$T/err"
offer z "{\"action\": $(zact 21)}"
poll z --rollback
expect_rc "  the next action downloads the artifact afresh and installs" 0 "feedback deploymentBase 21: proceeding/none: installed"
grep -q "resuming the interrupted transfer" "$T/err" && fail "  it did not resume" "$T/err" || pass "  it did not resume"
boots z v2.0.0
finish
