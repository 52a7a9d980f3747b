/*
 * Host port: the emulated device powering on, one model for every caller
 * (`ota boot`, the restart after `ota run`, the tests, the fleet bench).
 *
 * A power-on is what a board does: the bootloader picks and verifies an app
 * (ota_boot, with the device's chip, revision, rollback setting and eFuses);
 * on a trial boot (PENDING_VERIFY) the app's self-test marks it valid, or
 * marks it invalid and the device restarts into the previous app; a valid
 * app raises the anti-rollback counter to its secure_version; and the app
 * that runs is recorded in IMAGE.running (host_running.h). The record is
 * removed before the bootloader runs, so a record that cannot be written
 * afterwards (a full disk) is missing, never stale: the next command boots
 * first and finds the truth.
 *
 * The caller opens the device (writer lock) and passes its flash; it parses
 * and prints, the device object decides. Hooks let it print each step in
 * the order the device takes them.
 */
#ifndef OTA_HOST_POWER_H
#define OTA_HOST_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/boot.h"
#include "ota/flash.h"
#include "ota/host_device.h"

/* What a trial app's self-test does. */
enum ota_host_self_test {
    OTA_HOST_SELF_TEST_SKIP,  /* never marks itself: stays on trial, the next boot rolls back */
    OTA_HOST_SELF_TEST_PASS,  /* marks itself valid */
    OTA_HOST_SELF_TEST_FAIL,  /* marks itself invalid: the device restarts into the previous app */
};

/* Whether a power-on rolled back, and why. */
enum ota_host_rollback {
    OTA_HOST_ROLLBACK_NONE,
    OTA_HOST_ROLLBACK_SELF_TEST_FAILED,  /* the trial app failed its self-test */
    OTA_HOST_ROLLBACK_NOT_BOOTED,        /* the selected app did not verify: the bootloader fell back */
};

/* The step a failed power-on stopped at. */
enum ota_host_power_step {
    OTA_HOST_STEP_NONE,
    OTA_HOST_STEP_EFUSE,    /* the eFuses could not be read (host_efuse.h) */
    OTA_HOST_STEP_RECORD,   /* the old running record could not be removed */
    OTA_HOST_STEP_BOOT,     /* no app boots */
    OTA_HOST_STEP_MARK,     /* the self-test's mark could not be written */
    OTA_HOST_STEP_COUNTER,  /* the anti-rollback counter could not be raised */
};

struct ota_host_power_hooks {
    void (*booted)(void *ctx, const struct ota_boot_result *res);          /* after each boot */
    void (*marked)(void *ctx, const struct ota_boot_result *res, bool valid); /* after the self-test's mark */
    void *ctx;
};

struct ota_host_power_result {
    unsigned boots;                    /* 1, or 2 when a failed self-test restarted the device */
    struct ota_boot_result boot[2];    /* each boot; boot[boots - 1] is what runs */
    bool trial;                        /* the first boot was a trial (PENDING_VERIFY) */
    enum ota_host_rollback rolled_back;
    uint32_t counter_before, counter_after;  /* anti-rollback eFuse counter */
    enum ota_host_power_step failed_step;    /* with err: where the power-on stopped */
    int err;
    int record_err;  /* an app runs but IMAGE.running was not written: the next command boots first */
};

/* Power the device on. OTA_OK when an app runs (r->record_err may still be
 * set); otherwise r->err, stopped at r->failed_step. */
int ota_host_power_on(const struct ota_flash *f, const char *image, const struct ota_device_props *props,
                      enum ota_host_self_test self_test, const struct ota_host_power_hooks *hooks,
                      struct ota_host_power_result *r);

/* Why a caller's power-on came first (ota_host_running_app). */
enum ota_host_fresh_reason {
    OTA_HOST_FRESH_NONE,       /* the record was believed: no power-on */
    OTA_HOST_FRESH_NO_RECORD,  /* never booted, or the record could not be written */
    OTA_HOST_FRESH_MALFORMED,  /* the record is not one we wrote */
    OTA_HOST_FRESH_STALE,      /* the flash no longer holds the recorded image there */
};

/* The app that runs: the record's, while the flash still holds that image;
 * otherwise the device counts as freshly flashed and powers on first (r
 * and *fresh say so; the reason is also logged). The offset of the running
 * app in *offset. */
int ota_host_running_app(const struct ota_flash *f, const char *image, const struct ota_device_props *props,
                         enum ota_host_self_test self_test, const struct ota_host_power_hooks *hooks,
                         struct ota_host_power_result *r, enum ota_host_fresh_reason *fresh, uint32_t *offset);

#endif
