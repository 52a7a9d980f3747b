# Sourced by the app-item tests (a patch, a compressed image, a hostile
# patch, an encrypted image as `ota run --app`): one emulated device with
# two 3 MiB slots (the vectors' releases are up to 2.6 MB) in $D, and the
# checks they share. Needs $OTA and $T; lib.sh gives pass/fail.
mkdir -p "$T/www"
printf '%s\n' "nvs, data, nvs, , 0x4000" "otadata, data, ota, , 0x2000" "phy_init, data, phy, , 0x1000" \
    "ota_0, app, ota_0, , 3M" "ota_1, app, ota_1, , 3M" >"$T/table.csv"
D="$T/dev.img"

# device_running FILE: a fresh device whose running app (ota_0) is FILE
device_running() {
    rm -f "$D" "$D".*
    $OTA flash create "$D" --table "$T/table.csv" --size 8MB >/dev/null &&
        $OTA flash write "$D" ota_0 "$1" >/dev/null && $OTA boot "$D" >/dev/null 2>&1
}

# installed NAME FILE: ota_1 holds FILE byte for byte and the bootloader boots it
installed() {
    $OTA flash read "$D" ota_1 "$T/slot.bin" >/dev/null 2>&1
    if cmp -s -n "$(stat -c %s "$2")" "$T/slot.bin" "$2"; then pass "$1: byte for byte in ota_1"
    else fail "$1: ota_1 differs from the new image"; fi
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x310000"; then pass "$1: the new app boots"
    else fail "$1: the new app does not boot"; fi
}

# still_old NAME: the running app is untouched and keeps booting
still_old() {
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x10000"; then pass "$1: the old app boots"
    else fail "$1: the old app does not boot"; fi
}

# received: the bytes the last run's transport took ($T/err holds its -v log)
received() { sed -n 's/.*received \([0-9]*\) bytes over \([0-9]*\) streams.*/\1/p' "$T/err" | tail -1; }
