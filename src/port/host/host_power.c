/* The emulated device powering on (see include/ota/host_power.h). */
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_efuse.h"
#include "ota/host_power.h"
#include "ota/host_running.h"
#include "ota/log.h"
#include "ota/otadata.h"

static int stop(struct ota_host_power_result *r, enum ota_host_power_step step, int err)
{
    r->failed_step = step;
    r->err = err;
    return err;
}

static int boot_once(const struct ota_flash *f, const struct ota_boot_opts *bo,
                     const struct ota_host_power_hooks *hooks, struct ota_host_power_result *r)
{
    struct ota_boot_result *res = &r->boot[r->boots];
    int err = ota_boot(f, bo, res);
    if (err) {
        return stop(r, OTA_HOST_STEP_BOOT, err);
    }
    r->boots++;
    if (hooks && hooks->booted) {
        hooks->booted(hooks->ctx, res);
    }
    return OTA_OK;
}

/* Anti-rollback: the app that runs valid raises the eFuse counter to its secure_version. */
static int raise_counter(const char *image, struct ota_host_power_result *r)
{
    uint32_t v = r->boot[r->boots - 1].info.desc.secure_version;
    if (v <= r->counter_after) {
        return OTA_OK;
    }
    int err = ota_host_efuse_raise_secure_version(image, v);
    if (err) {
        return stop(r, OTA_HOST_STEP_COUNTER, err);
    }
    OTA_LOGI("efuse", "anti-rollback counter raised from %u to %u", (unsigned)r->counter_after, (unsigned)v);
    r->counter_after = v;
    return OTA_OK;
}

/* The trial app's self-test marks it; a failed one restarts the device. */
static int self_test(const struct ota_flash *f, const char *image, const struct ota_boot_opts *bo,
                     enum ota_host_self_test st, const struct ota_host_power_hooks *hooks,
                     struct ota_host_power_result *r)
{
    const struct ota_boot_result *first = &r->boot[0];
    if (st == OTA_HOST_SELF_TEST_SKIP) {
        OTA_LOGW("APP", "self-test skipped: the app stays on trial; the next boot rolls back");
        return OTA_OK;
    }
    bool pass = st == OTA_HOST_SELF_TEST_PASS;
    int err = pass ? ota_app_mark_valid(f, &first->table) : ota_app_mark_invalid(f, &first->table);
    if (err) {
        return stop(r, OTA_HOST_STEP_MARK, err);
    }
    if (pass) {
        OTA_LOGI("APP", "self-test passed: app marked valid, rollback cancelled");
    } else {
        OTA_LOGE("APP", "self-test failed: app marked invalid, rolling back and restarting");
    }
    if (hooks && hooks->marked) {
        hooks->marked(hooks->ctx, first, pass);
    }
    if (!pass) {
        r->rolled_back = OTA_HOST_ROLLBACK_SELF_TEST_FAILED;
        if ((err = boot_once(f, bo, hooks, r))) {
            return err;
        }
    }
    return raise_counter(image, r);
}

/* What runs is recorded; a record that cannot be written is reported, not fatal. */
static void record_running(const struct ota_flash *f, const char *image, struct ota_host_power_result *r)
{
    const struct ota_boot_result *res = &r->boot[r->boots - 1];
    struct ota_host_running rec;
    r->record_err = ota_host_running_measure(f, res->part.offset, res->info.image_len, &rec);
    if (!r->record_err) {
        r->record_err = ota_host_running_save(image, &rec);
    }
}

int ota_host_power_on(const struct ota_flash *f, const char *image, const struct ota_device_props *props,
                      enum ota_host_self_test st, const struct ota_host_power_hooks *hooks,
                      struct ota_host_power_result *r)
{
    struct ota_efuse efuse;
    memset(r, 0, sizeof(*r));
    int err = ota_host_efuse_load(image, &efuse);
    if (err) {
        return stop(r, OTA_HOST_STEP_EFUSE, err);
    }
    r->counter_before = r->counter_after = efuse.secure_version;
    /* Forgotten first: from here on, only what this power-on boots is recorded. */
    if ((err = ota_host_running_forget(image))) {
        return stop(r, OTA_HOST_STEP_RECORD, err);
    }
    struct ota_boot_opts bo = {.rollback = props->rollback,
                               .chip_id = props->chip,
                               .chip_rev = ota_host_props_chip_rev(props),
                               .trusted_key_digest = efuse.key_burned ? efuse.key_digest : NULL,
                               .secure_version = efuse.secure_version};
    if ((err = boot_once(f, &bo, hooks, r))) {
        return err;
    }
    r->rolled_back = r->boot[0].fell_back ? OTA_HOST_ROLLBACK_NOT_BOOTED : OTA_HOST_ROLLBACK_NONE;
    r->trial = r->boot[0].otadata_state == OTA_IMG_PENDING_VERIFY;
    err = r->trial ? self_test(f, image, &bo, st, hooks, r) : raise_counter(image, r);
    if (err) {
        return err;
    }
    record_running(f, image, r);
    return OTA_OK;
}

int ota_host_running_app(const struct ota_flash *f, const char *image, const struct ota_device_props *props,
                         enum ota_host_self_test st, const struct ota_host_power_hooks *hooks,
                         struct ota_host_power_result *r, enum ota_host_fresh_reason *fresh, uint32_t *offset)
{
    struct ota_host_running rec;
    int err = ota_host_running_load(image, &rec);
    memset(r, 0, sizeof(*r));
    if (!err && ota_host_running_still_there(f, &rec)) {
        *fresh = OTA_HOST_FRESH_NONE;
        *offset = rec.offset;
        return OTA_OK;
    }
    if (err && err != OTA_ERR_NOT_FOUND && err != OTA_ERR_CONFIG_SYNTAX) {
        return stop(r, OTA_HOST_STEP_RECORD, err);  /* unreadable: a directory, no permission */
    }
    *fresh = err == OTA_ERR_NOT_FOUND ? OTA_HOST_FRESH_NO_RECORD
             : err                    ? OTA_HOST_FRESH_MALFORMED
                                      : OTA_HOST_FRESH_STALE;
    static const char *const why[] = {"", "no running record", "the running record is malformed",
                                      "the flash no longer holds the app the running record names"};
    if (*fresh == OTA_HOST_FRESH_NO_RECORD) {
        OTA_LOGI("host", "%s: the device counts as freshly flashed and boots first", why[*fresh]);
    } else {
        OTA_LOGW("host", "%s: the device counts as freshly flashed and boots first", why[*fresh]);
    }
    if ((err = ota_host_power_on(f, image, props, st, hooks, r))) {
        return err;
    }
    *offset = r->boot[r->boots - 1].part.offset;
    return OTA_OK;
}
