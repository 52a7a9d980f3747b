/* The release item of `ota run --manifest`. */
#ifndef OTA_CLI_RUN_RELEASE_H
#define OTA_CLI_RUN_RELEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/release.h"
#include "cli.h"

struct run_release {
    struct ota_item item;
    struct ota_release_item rel;
    struct ota_release_store store;   /* the device's release record (IMAGE.manifest) */
    uint8_t key_digest[32];
};

/* What the command line and the sdkconfig say about the release. */
struct run_release_args {
    const char *image, *uri, *sig_uri, *pub, *device_id, *project, *ca_pem;
};

/* Fill rr->item for the device image. Returns CLI_OK, or an exit code
 * after reporting. */
int run_release_setup(struct run_release *rr, const struct run_release_args *a);

/* Log what the item did; true when it had nothing to install (up to date,
 * held back by the rollout, or an image that rolled back here before). */
bool run_release_report(const struct run_release *rr);

/* The release's items in --json: the format read, the item installed, the
 * ones that failed before it (kind, uri, size, encrypted, error). */
struct json;
void run_release_items_json(struct json *j, const struct ota_release_item *r);

/* After the restart: when the app this release installed failed its
 * self-test and the device rolled back, the device remembers the image
 * and the run fails (CLI_FAIL); otherwise status is returned unchanged. */
int run_release_after_restart(struct run_release *rr, const struct cli_boot_report *boot, int status);

#endif
