#!/usr/bin/env bash
# `ota run --config`: every value a key cannot take is refused before
# anything runs, naming the file, line, key, value and what the key takes.
# Usage: test_config.sh OTA
set -u
OTA=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

mkdir -p "$T/sd"
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/sd/same.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA flash create "$T/base.img" --table "$HERE/../../examples/ota_example/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/old.bin" >/dev/null
$OTA boot "$T/base.img" >/dev/null 2>&1

# run_with LINE: a fresh device, a config of LINE, the same version offered
run_with() {
    copy_device "$T/base.img" "$T/dev.img"
    printf 'CONFIG_FIRMWARE_UPGRADE_URI="file://sdcard/same.bin"\n%s\n' "$1" >"$T/sdkconfig"
    cp "$T/dev.img" "$T/before.img"
    $OTA -v run "$T/dev.img" --config "$T/sdkconfig" --sdcard "$T/sd" --no-reboot >"$T/out" 2>"$T/err"
}

# The accepted forms: y checks the version (the same version is refused,
# exit 4); n and "is not set" do not (it installs, exit 0).
for line in "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER=y"; do
    run_with "$line"; rc=$?
    [ $rc -eq 4 ] && pass "$line checks the version" || fail "$line checks the version (exit $rc)" "$T/err"
done
for line in "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER=n" "# CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER is not set"; do
    run_with "$line"; rc=$?
    [ $rc -eq 0 ] && pass "'$line' is off" || fail "'$line' is off (exit $rc)" "$T/err"
done

# Anything else is bad usage: exit 2, nothing written, the message says what.
for v in yes 1 true Y no ''; do
    for key in FORCE_CHECK_FIRMWARE_VERSION_NUMBER OTA_FORBID_PLAIN_HTTP; do
        run_with "CONFIG_$key=$v"; rc=$?
        if [ $rc -ne 2 ]; then fail "CONFIG_$key=$v is refused (exit $rc, wanted 2)" "$T/err"; continue; fi
        if ! grep -Fq "sdkconfig:2: CONFIG_$key=$v: CONFIG_$key takes y or n" "$T/err"; then
            fail "CONFIG_$key=$v: the message names file, line, key, value and y or n" "$T/err"; continue
        fi
        if ! cmp -s "$T/dev.img" "$T/before.img"; then fail "CONFIG_$key=$v: the flash is untouched"; continue; fi
        pass "CONFIG_$key=$v is refused (exit 2, named, nothing written)"
    done
done

# Numbers: the same shape of message, exit 2.
for key in OTA_LOW_SPEED_LIMIT OTA_LOW_SPEED_TIME OTA_DEADLINE; do
    run_with "CONFIG_$key=ten"; rc=$?
    if [ $rc -eq 2 ] && grep -Fq "sdkconfig:2: CONFIG_$key=ten: CONFIG_$key takes a positive whole number" "$T/err"; then
        pass "CONFIG_$key=ten is refused, named (exit 2)"
    else
        fail "CONFIG_$key=ten is refused, named (exit $rc, wanted 2)" "$T/err"
    fi
done

finish
