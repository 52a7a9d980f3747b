/* ota boot: run the second-stage bootloader on a device image. Running it
 * again on the same file is the host's "restart". */
#include <stdio.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_power.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static void on_booted(void *ctx, const struct ota_boot_result *res)
{
    struct cli_boot_report *rep = ctx;
    struct cli_boot_fact *b = &rep->boot[rep->boots < 2 ? rep->boots : 1];
    rep->boots++;
    snprintf(b->label, sizeof(b->label), "%s", res->part.label);
    b->offset = res->part.offset;
    b->fell_back = res->fell_back;
    b->trial = res->otadata_state == OTA_IMG_PENDING_VERIFY;
    snprintf(b->project, sizeof(b->project), "%s", res->info.desc.project_name);
    snprintf(b->version, sizeof(b->version), "%s", res->info.desc.version);
    b->secure_version = res->info.desc.secure_version;
    cli_log_app_info(&res->info);
    if (rep->print) {
        printf("booted: %s (offset 0x%x)%s%s\n", b->label, b->offset,
               b->fell_back ? ", fallback: the selected app did not verify" : "",
               b->trial ? ", on trial (PENDING_VERIFY)" : "");
    }
}

static void on_marked(void *ctx, const struct ota_boot_result *res, bool valid)
{
    struct cli_boot_report *rep = ctx;
    if (rep->print) {
        printf(valid ? "app %s marked VALID\n" : "app %s marked INVALID; restart\n", res->part.label);
    }
}

static enum ota_host_self_test self_test_of(const char *s)
{
    return strcmp(s, "pass") == 0 ? OTA_HOST_SELF_TEST_PASS
           : strcmp(s, "fail") == 0 ? OTA_HOST_SELF_TEST_FAIL
                                    : OTA_HOST_SELF_TEST_SKIP;
}

/* A power-on that stopped, in the words each step has always used. */
static void report_stop(const char *image, const struct ota_host_power_result *r, const char *self_test)
{
    const char *err = ota_strerror(r->err);
    switch (r->failed_step) {
    case OTA_HOST_STEP_EFUSE: cli_error("%s.efuse: %s", image, err); break;
    case OTA_HOST_STEP_RECORD: cli_error("%s.running: the running-app record cannot be read or removed: %s", image, err); break;
    case OTA_HOST_STEP_BOOT: cli_error("%s: no app boots: %s", image, err); break;
    case OTA_HOST_STEP_MARK:
        cli_error("%s: marking the app %s: %s", image, strcmp(self_test, "pass") == 0 ? "valid" : "invalid", err);
        break;
    case OTA_HOST_STEP_COUNTER: cli_error("%s: raising the secure version: %s", image, err); break;
    default: cli_error("%s: %s", image, err); break;
    }
}

static void report_record_err(const char *image, int err)
{
    cli_error("%s.running: cannot record the running app: %s; the next command boots the device first", image,
              err == OTA_ERR_NO_SPACE ? "the disk is full" : ota_strerror(err));
}

/* The device's result into the report the text and JSON print from. */
static int fill_report(const char *image, const struct ota_host_power_result *r, const char *self_test,
                       struct cli_boot_report *rep)
{
    rep->counter_before = r->counter_before;
    rep->counter_after = r->counter_after;
    rep->self_test = r->trial && r->boots ? self_test : NULL;
    rep->rolled_back = r->rolled_back;
    rep->record_err = r->record_err;
    if (r->err) {
        report_stop(image, r, self_test);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_running_app(const char *image, const struct ota_flash *f, const struct ota_device_props *props,
                    const char *self_test, uint32_t *offset)
{
    static struct ota_host_power_result r;
    static struct cli_boot_report quiet;  /* a power-on before the run: logged, not printed */
    memset(&quiet, 0, sizeof(quiet));
    struct ota_host_power_hooks hooks = {on_booted, NULL, &quiet};
    enum ota_host_fresh_reason fresh;
    int err = ota_host_running_app(f, image, props, self_test_of(self_test), &hooks, &r, &fresh, offset);
    if (err) {
        report_stop(image, &r, self_test);
        cli_error("%s: which app runs is not known: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    if (r.record_err) {
        report_record_err(image, r.record_err);
    }
    return CLI_OK;
}

int cli_power_on(const char *image, const struct ota_device_props *props, const char *self_test,
                 struct cli_boot_report *rep)
{
    static struct ota_host_power_result r;
    struct ota_host_flash hf;
    int rc = cli_open_device(image, &hf, NULL);
    if (rc) {
        return rc;
    }
    struct ota_host_power_hooks hooks = {on_booted, on_marked, rep};
    ota_host_power_on(&hf.flash, image, props, self_test_of(self_test), &hooks, &r);
    ota_host_flash_close(&hf);
    rc = fill_report(image, &r, self_test, rep);
    if (!rc && r.record_err) {
        report_record_err(image, r.record_err);
    }
    return rc;
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
    const char *pos[1], *chip_s = NULL, *rev_s = NULL, *self_test = "skip";
    bool rollback = false, json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_FLAG("rollback", &rollback, "app rollback enabled: a NEW app boots on trial (PENDING_VERIFY)"),
        CLI_VALUE("self-test", &self_test, "pass|fail|skip",
                  "on a trial boot: mark the app valid, mark it invalid and restart, or leave it on trial"),
        CLI_VALUE_D("chip", &chip_s, "C", "the device's chip: esp32, esp32s2, esp32c3, esp32s3 or any; recorded with the device the first time", "the recorded chip, else esp32"),
        CLI_VALUE_D("chip-revision", &rev_s, "vX.Y", "the chip's revision; recorded with the device the first time",
                    "the recorded revision, else the one the chip is sold as"),
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
    if ((rc = cli_device_props(pos[0], chip_s, rollback, &props)) || (rc = cli_device_chip_rev(pos[0], rev_s, &props))) {
        return rc;
    }
    struct cli_boot_report rep;
    memset(&rep, 0, sizeof(rep));
    rep.print = !json;
    rc = cli_power_on(pos[0], &props, self_test, &rep);
    if (!rc && rep.record_err) {
        rc = CLI_FAIL;  /* the app runs, but `ota boot` is also the record's writer */
    }
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
