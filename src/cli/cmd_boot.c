/* ota boot: run the second-stage bootloader on a device image. Running it
 * again on the same file is the host's "restart". */
#include <stdio.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_efuse.h"
#include "ota/host_running.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static void record_boot(struct cli_boot_report *rep, const struct ota_boot_result *res)
{
    struct cli_boot_fact *b = &rep->boot[rep->boots < 2 ? rep->boots : 1];
    rep->boots++;
    snprintf(b->label, sizeof(b->label), "%s", res->part.label);
    b->offset = res->part.offset;
    b->fell_back = res->fell_back;
    b->trial = res->otadata_state == OTA_IMG_PENDING_VERIFY;
    snprintf(b->project, sizeof(b->project), "%s", res->info.desc.project_name);
    snprintf(b->version, sizeof(b->version), "%s", res->info.desc.version);
    b->secure_version = res->info.desc.secure_version;
    if (rep->print) {
        printf("booted: %s (offset 0x%x)%s%s\n", b->label, b->offset,
               b->fell_back ? ", fallback: the selected app did not verify" : "",
               b->trial ? ", on trial (PENDING_VERIFY)" : "");
    }
}

static int boot_once(const char *image, const struct ota_boot_opts *bo, struct ota_boot_result *res,
                     struct cli_boot_report *rep)
{
    struct ota_host_flash hf;
    int rc = cli_open_device(image, &hf, NULL);
    if (rc) {
        return rc;
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
    record_boot(rep, res);
    return CLI_OK;
}

/* Anti-rollback: a valid app raises the eFuse counter to its secure_version. */
static int raise_counter(const char *image, const struct ota_boot_result *res, struct cli_boot_report *rep)
{
    struct ota_efuse e;
    int err = ota_host_efuse_load(image, &e);
    if (err) {
        cli_error("%s.efuse: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    if (res->info.desc.secure_version > e.secure_version) {
        err = ota_host_efuse_raise_secure_version(image, res->info.desc.secure_version);
        if (err) {
            cli_error("%s: raising the secure version: %s", image, ota_strerror(err));
            return CLI_FAIL;
        }
        OTA_LOGI("efuse", "anti-rollback counter raised from %u to %u", (unsigned)e.secure_version,
                 (unsigned)res->info.desc.secure_version);
        rep->counter_after = res->info.desc.secure_version;
    }
    return CLI_OK;
}

/* The trial app's self-test marked it valid or invalid; on invalid the
 * device restarts into the previous app. */
static int after_self_test(const char *image, const struct ota_boot_opts *bo, struct ota_boot_result *res,
                           struct cli_boot_report *rep)
{
    struct ota_host_flash hf;
    static struct ota_ptable table;
    int rc = cli_open_device(image, &hf, &table);
    if (rc) {
        return rc;
    }
    bool pass = strcmp(rep->self_test, "pass") == 0;
    int err = pass ? ota_app_mark_valid(&hf.flash, &table) : ota_app_mark_invalid(&hf.flash, &table);
    ota_host_flash_close(&hf);
    if (err) {
        cli_error("%s: marking the app %s: %s", image, pass ? "valid" : "invalid", ota_strerror(err));
        return CLI_FAIL;
    }
    if (pass) {
        OTA_LOGI("APP", "self-test passed: app marked valid, rollback cancelled");
        if (rep->print) {
            printf("app %s marked VALID\n", res->part.label);
        }
        return raise_counter(image, res, rep);
    }
    OTA_LOGE("APP", "self-test failed: app marked invalid, rolling back and restarting");
    if (rep->print) {
        printf("app %s marked INVALID; restart\n", res->part.label);
    }
    rc = boot_once(image, bo, res, rep);
    return rc ? rc : raise_counter(image, res, rep);
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

int cli_power_on(const char *image, bool rollback, uint16_t chip, const char *self_test,
                 struct cli_boot_report *rep)
{
    struct ota_efuse efuse;
    int err = ota_host_efuse_load(image, &efuse);
    if (err) {
        cli_error("%s.efuse: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    rep->counter_before = rep->counter_after = efuse.secure_version;
    struct ota_boot_opts bo = {rollback, chip, 300, efuse.key_burned ? efuse.key_digest : NULL, efuse.secure_version, false};
    static struct ota_boot_result res;
    int rc = boot_once(image, &bo, &res, rep);
    if (rc) {
        return rc;
    }
    if (res.otadata_state != OTA_IMG_PENDING_VERIFY) {
        return raise_counter(image, &res, rep);  /* a VALID (or no-rollback) app runs */
    }
    rep->self_test = self_test;
    if (strcmp(self_test, "skip") == 0) {
        OTA_LOGW("APP", "self-test skipped: the app stays on trial; the next boot rolls back");
        return CLI_OK;
    }
    return after_self_test(image, &bo, &res, rep);
}

void cli_boot_report_json(struct json *j, const struct cli_boot_report *rep)
{
    json_array(j, "boots");
    for (unsigned i = 0; i < rep->boots && i < 2; i++) {
        const struct cli_boot_fact *b = &rep->boot[i];
        json_object(j, NULL);
        json_str(j, "partition", b->label);
        json_uint(j, "offset", b->offset);
        json_bool(j, "fell_back", b->fell_back);
        json_bool(j, "trial", b->trial);
        json_str(j, "project", b->project);
        json_str(j, "version", b->version);
        json_uint(j, "secure_version", b->secure_version);
        json_close(j);
    }
    json_close(j);
    json_str(j, "running", rep->boots ? rep->boot[rep->boots < 2 ? rep->boots - 1 : 1].label : NULL);
    json_str(j, "self_test", rep->self_test);
    json_uint(j, "anti_rollback_before", rep->counter_before);
    json_uint(j, "anti_rollback_after", rep->counter_after);
}

bool cli_parse_self_test(const char *s)
{
    if (strcmp(s, "pass") != 0 && strcmp(s, "fail") != 0 && strcmp(s, "skip") != 0) {
        cli_error("--self-test pass|fail|skip, not '%s'", s);
        return false;
    }
    return true;
}

int cmd_boot(int argc, char **argv)
{
    const char *pos[1], *chip_s = NULL, *self_test = "skip";
    bool rollback = false, json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_FLAG("rollback", &rollback, "app rollback enabled: a NEW app boots on trial (PENDING_VERIFY)"),
        CLI_VALUE("self-test", &self_test, "pass|fail|skip",
                  "on a trial boot: mark the app valid, mark it invalid and restart, or leave it on trial"),
        CLI_VALUE_D("chip", &chip_s, "C", "the device's chip: esp32, esp32s2, esp32c3, esp32s3 or any; recorded with the device the first time", "the recorded chip, else esp32"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (!cli_parse_self_test(self_test)) {
        return CLI_USAGE;
    }
    /* The chip and a rollback-enabled bootloader belong to the device. */
    struct ota_device_props props;
    if ((rc = cli_device_props(pos[0], chip_s, rollback, &props))) {
        return rc;
    }
    struct cli_boot_report rep;
    memset(&rep, 0, sizeof(rep));
    rep.print = !json;
    rc = cli_power_on(pos[0], props.rollback, props.chip, self_test, &rep);
    if (json) {
        struct json j;
        json_begin(&j, stdout);
        json_str(&j, "image", pos[0]);
        json_bool(&j, "booted", rc == CLI_OK && rep.boots > 0);
        cli_boot_report_json(&j, &rep);
        json_end(&j);
    }
    return rc;
}
