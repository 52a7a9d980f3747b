/* The release item of `ota run --manifest`. */
#ifndef OTA_CLI_RUN_RELEASE_H
#define OTA_CLI_RUN_RELEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/release.h"

struct run_release {
    struct ota_item item;
    struct ota_release_item rel;
    uint8_t key_digest[32];
};

/* Fill rr->item for the device image `image`. Returns CLI_OK, or an exit code
 * after reporting. */
int run_release_setup(struct run_release *rr, const char *image, const char *uri, const char *pub,
                      const char *device_id, const char *project, const char *ca_pem);

/* Log what the item did; true when it had nothing to install (up to date
 * or held back by the rollout). */
bool run_release_report(const struct run_release *rr);

#endif
