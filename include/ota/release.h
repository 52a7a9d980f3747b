/*
 * The release item: an upgrade-list item that follows a signed release
 * manifest (ota/manifest.h, docs/manifest.md) instead of one fixed URI.
 *
 *   static struct ota_release_item rel;   // caller-owned, ~10 KiB (the applier is in the service's work area)
 *   struct ota_item item;
 *   ota_release_item_init(&item, &rel, &cfg);
 *   ota_service_set_upgrade_list(&svc, &item, 1);
 *   ota_service_start(&svc, &reboot);
 *   // rel.decision.action: up to date, held back, patch or full image
 *
 * prepare fetches manifest.json and manifest.json.sig, checks the signature
 * against the trusted key digest, parses, and decides for the running app
 * (serial, project, chip, rollout). An accepted manifest's serial is handed
 * to save_serial before anything is installed, so a replayed older one is
 * refused from then on. A patch for the running app is applied through the
 * delta applier into the app writer (every check of a direct app item
 * runs on its output); a patch the server does not have falls back to the
 * full image. Before otadata changes, the new image's bytes in flash must
 * have the manifest's size and SHA-256, and a patch the manifest's.
 * Up to date and held back are successes that install nothing and clear
 * the item's reboot_flag.
 */
#ifndef OTA_RELEASE_H
#define OTA_RELEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/manifest.h"
#include "ota/service.h"
#include "ota/signature.h"

struct ota_release_config {
    const char *manifest_uri;             /* .../manifest.json; the signature is at URI + ".sig" */
    const char *cert_pem;                 /* CA for https; NULL: the system store */
    const uint8_t *manifest_key_digest;   /* SHA-256 of the trusted manifest key (as an eFuse digest) */
    const char *device_id;                /* for the rollout bucket */
    const char *project;                  /* the device's product; NULL: the running app's project name */
    uint32_t last_serial;                 /* the highest serial this device accepted */
    /* Keep an accepted serial on the device (return 0 or an ota_err). */
    int (*save_serial)(void *ctx, uint32_t serial);
    void *save_ctx;
};

struct ota_release_item {
    struct ota_release_config cfg;
    /* outcome */
    struct ota_manifest manifest;
    struct ota_manifest_decision decision;
    bool accepted;                        /* signature, serial, project and chip passed */
    bool fell_back;                       /* the patch was missing: the full image was taken */
    int sig_why;                          /* the signature module's reason for a refusal */
    uint64_t patch_bytes;                 /* patch bytes fed to the applier */
    /* working memory */
    char uri[2 * OTA_MANIFEST_URI_MAX];
    uint8_t text[OTA_MANIFEST_MAX_LEN];
    uint32_t text_len;
    uint8_t sig[OTA_SIG_SECTOR_LEN];
    struct ota_sig_result sig_work;
    struct ota_image_info running;        /* the running app, verified in flash */
    struct ota_service *svc;              /* while a patch is applied */
};

/* Make `item` a release item using `rel` (which must stay valid while the
 * service runs). The item's reboot_flag is set; clear it for no restart. */
void ota_release_item_init(struct ota_item *item, struct ota_release_item *rel, const struct ota_release_config *cfg);

/* "up to date", "held back (rollout)", "patch", "full image". */
const char *ota_release_action_name(enum ota_manifest_action a);

#endif
