/* ota boot: run the second-stage bootloader on a device image. Running it
 * again on the same file is the host's "restart". */
#include <stdio.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_efuse.h"
#include "ota/host_running.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "cli.h"
#include "commands.h"

static int boot_once(const char *image, const struct ota_boot_opts *bo, struct ota_boot_result *res)
{
    struct ota_host_flash hf;
    if (cli_open_device(image, &hf, NULL)) {
        return CLI_FAIL;
    }
    int err = ota_boot(&hf.flash, bo, res);
    ota_host_flash_close(&hf);
    if (err) {
        cli_error("%s: no app boots: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    /* What runs is what booted: the service is told this, not a guess. */
    if ((err = ota_host_running_save(image, res->part.offset))) {
        cli_error("%s.running: cannot record the running app: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    cli_log_app_info(&res->info);
    printf("booted: %s (offset 0x%x)%s%s\n", res->part.label, res->part.offset,
           res->fell_back ? ", fallback: the selected app did not verify" : "",
           res->otadata_state == OTA_IMG_PENDING_VERIFY ? ", on trial (PENDING_VERIFY)" : "");
    return CLI_OK;
}

/* Anti-rollback: a valid app raises the eFuse counter to its secure_version. */
static int raise_counter(const char *image, const struct ota_boot_result *res)
{
    struct ota_efuse e;
    if (ota_host_efuse_load(image, &e) == OTA_OK && res->info.desc.secure_version > e.secure_version) {
        int err = ota_host_efuse_raise_secure_version(image, res->info.desc.secure_version);
        if (err) {
            cli_error("%s: raising the secure version: %s", image, ota_strerror(err));
            return CLI_FAIL;
        }
        OTA_LOGI("efuse", "anti-rollback counter raised from %u to %u", (unsigned)e.secure_version,
                 (unsigned)res->info.desc.secure_version);
    }
    return CLI_OK;
}

int cli_running_app(const char *image, const struct ota_flash *f, const struct ota_boot_opts *bo, uint32_t *offset)
{
    int err = ota_host_running_load(image, offset);
    if (err == OTA_ERR_NOT_FOUND) {
        /* Never booted since it was made: what would boot is what runs. */
        static struct ota_boot_result res;
        struct ota_boot_opts dry = *bo;
        dry.dry_run = true;
        err = ota_boot(f, &dry, &res);
        *offset = res.part.offset;
    }
    if (err) {
        cli_error("%s: which app runs is not known: %s", image, ota_strerror(err));
    }
    return err;
}

int cli_power_on(const char *image, bool rollback, uint16_t chip, const char *self_test)
{
    struct ota_efuse efuse;
    int err = ota_host_efuse_load(image, &efuse);
    if (err) {
        cli_error("%s.efuse: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    struct ota_boot_opts bo = {rollback, chip, 300, efuse.key_burned ? efuse.key_digest : NULL, efuse.secure_version, false};
    static struct ota_boot_result res;
    int rc = boot_once(image, &bo, &res);
    if (rc || res.otadata_state != OTA_IMG_PENDING_VERIFY || strcmp(self_test, "skip") == 0) {
        if (!rc && res.otadata_state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGW("APP", "self-test skipped: the app stays on trial; the next boot rolls back");
        } else if (!rc) {
            rc = raise_counter(image, &res);  /* a VALID (or no-rollback) app runs */
        }
        return rc;
    }
    struct ota_host_flash hf;
    static struct ota_ptable table;
    if (cli_open_device(image, &hf, &table)) {
        return CLI_FAIL;
    }
    bool pass = strcmp(self_test, "pass") == 0;
    err = pass ? ota_app_mark_valid(&hf.flash, &table) : ota_app_mark_invalid(&hf.flash, &table);
    ota_host_flash_close(&hf);
    if (err) {
        cli_error("%s: marking the app %s: %s", image, pass ? "valid" : "invalid", ota_strerror(err));
        return CLI_FAIL;
    }
    if (pass) {
        OTA_LOGI("APP", "self-test passed: app marked valid, rollback cancelled");
        printf("app %s marked VALID\n", res.part.label);
        return raise_counter(image, &res);
    }
    OTA_LOGE("APP", "self-test failed: app marked invalid, rolling back and restarting");
    printf("app %s marked INVALID; restart\n", res.part.label);
    rc = boot_once(image, &bo, &res);
    return rc ? rc : raise_counter(image, &res);
}

int cmd_boot(int argc, char **argv)
{
    const char *pos[1], *chip_s = "esp32", *self_test = "skip";
    bool rollback = false;
    int npos, rc;
    struct cli_opt opts[] = {{"rollback", NULL, &rollback}, {"chip", &chip_s, NULL}, {"self-test", &self_test, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint16_t chip;
    if (!cli_parse_chip(chip_s, &chip)) {
        return CLI_USAGE;
    }
    if (strcmp(self_test, "pass") != 0 && strcmp(self_test, "fail") != 0 && strcmp(self_test, "skip") != 0) {
        cli_error("--self-test pass|fail|skip, not '%s'", self_test);
        return CLI_USAGE;
    }
    return cli_power_on(pos[0], rollback, chip, self_test);
}
