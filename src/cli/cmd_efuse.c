/* ota efuse: the emulated eFuses beside a device image (Secure Boot V2 key
 * digest, anti-rollback counter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_efuse.h"
#include "ota/host_sign.h"
#include "cli.h"
#include "commands.h"

/* Burn what was asked (digest NULL: no key; version_s NULL: no counter). */
static int burn(const char *image, const uint8_t *digest, const char *version_s)
{
    int err;
    if (digest && (err = ota_host_efuse_burn_key(image, digest))) {
        cli_error("%s: %s", image, err == OTA_ERR_SIG_KEY ? "another key digest is already burned (write-once)"
                                                          : ota_strerror(err));
        return CLI_FAIL;
    }
    if (version_s) {
        uint32_t v;
        if (!cli_parse_size(version_s, &v)) {
            cli_error("--burn-secure-version wants a number");
            return CLI_USAGE;
        }
        if ((err = ota_host_efuse_raise_secure_version(image, v)) == OTA_ERR_EFUSE_DOWN) {
            struct ota_efuse e;
            ota_host_efuse_load(image, &e);
            cli_error("%s: the anti-rollback counter is at %u and only rises: %u cannot be burned", image,
                      (unsigned)e.secure_version, (unsigned)v);
            return CLI_FAIL;
        }
        if (err) {
            cli_error("%s: %s", image, ota_strerror(err));
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

int cmd_efuse(int argc, char **argv)
{
    const char *pos[1], *key = NULL, *digest_s = NULL, *version_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("burn-key", &key, "PEM", "burn the digest of this public (or private) key: secure boot on, write-once"),
        CLI_VALUE("burn-key-digest", &digest_s, "HEX", "burn this key digest (64 hex digits) instead"),
        CLI_VALUE("burn-secure-version", &version_s, "N", "raise the anti-rollback counter to N (never lowers it)"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint8_t digest[32];
    int err = OTA_OK;
    if ((rc = cli_check_device_image(pos[0])) || (key && !cli_key_usable(key, false))) {
        return rc ? rc : CLI_FAIL;
    }
    if (key && (err = ota_host_key_digest(key, digest))) {
        cli_error("%s: %s", key, ota_strerror(err));
        return CLI_FAIL;
    }
    if (digest_s) {
        for (int i = 0; i < 32; i++) {
            unsigned v;
            if (strlen(digest_s) != 64 || sscanf(digest_s + 2 * i, "%2x", &v) != 1) {
                cli_error("--burn-key-digest wants 64 hex digits");
                return CLI_USAGE;
            }
            digest[i] = (uint8_t)v;
        }
    }
    /* Burning changes the device: under its writer's lock, like any write. */
    struct ota_host_flash hf;
    bool burning = key || digest_s || version_s;
    if (burning && (rc = cli_open_device(pos[0], &hf, NULL))) {
        return rc;
    }
    rc = burning ? burn(pos[0], key || digest_s ? digest : NULL, version_s) : CLI_OK;
    if (burning) {
        ota_host_flash_close(&hf);
    }
    if (rc) {
        return rc;
    }
    struct ota_efuse e;
    if ((err = ota_host_efuse_load(pos[0], &e))) {
        cli_error("%s.efuse: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    printf("secure boot v2: %s", e.key_burned ? "enabled, key digest " : "disabled");
    for (int i = 0; e.key_burned && i < 32; i++) {
        printf("%02x", e.key_digest[i]);
    }
    printf("\nsecure version (anti-rollback counter): %u\n", (unsigned)e.secure_version);
    return CLI_OK;
}
