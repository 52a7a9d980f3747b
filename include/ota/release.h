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
 * prepare loads the device's release record from the port's store, fetches
 * manifest.json and its signature, checks the signature against the
 * trusted key digest, parses, and decides for the running app (serial,
 * project, chip, rollout, an image that rolled back here before). An
 * accepted manifest's serial is saved in the record before a byte is
 * installed: a power cut anywhere after that leaves it kept, and a rerun
 * of the same serial is accepted (a replayed older one is refused). A patch for the running app is applied through the
 * delta applier into the app writer (every check of a direct app item
 * runs on its output). The device tries the items it can apply smallest
 * first (its patch, the compressed image, the plain image) and takes the
 * next after a failure the next could avoid (missing on the server, made
 * for another base, refused by the decoder, not the signed bytes); never
 * after the switch. Before otadata changes, the new image's bytes in flash must
 * have the manifest's size and SHA-256, and a patch the manifest's.
 * Up to date and held back are successes that install nothing and clear
 * the item's reboot_flag.
 */
#ifndef OTA_RELEASE_H
#define OTA_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/manifest.h"
#include "ota/service.h"
#include "ota/signature.h"

/* The longest manifest (or signature) URI a device takes, with its NUL: a
 * presigned URL fits. A longer one is OTA_ERR_TOO_LONG, never cut. */
#define OTA_RELEASE_URI_MAX 4096u

/* What a device remembers about releases, kept by the port beside the
 * device's identity (replay protection must outlive any file or partition
 * the update writes). */
struct ota_release_record {
    uint32_t serial;                      /* the highest manifest serial accepted (0: none yet) */
    uint32_t rolled_back_serial;          /* the release whose app failed its trial boot (0: none) */
    uint8_t rolled_back_sha256[OTA_SHA256_LEN];  /* that release's app_sha256: skipped from then on */
};

/* The port's serial store. load fills the record; a device that never
 * accepted a release has none yet (OTA_OK, all zero); a record that exists
 * but is empty, cut short, oversized or malformed is an error (never serial
 * 0: that would reopen replays). save keeps the whole record or leaves the
 * old one (all or nothing, power cuts included). Both return 0 or an ota_err. */
struct ota_release_store {
    int (*load)(void *ctx, struct ota_release_record *rec);
    int (*save)(void *ctx, const struct ota_release_record *rec);
    void *ctx;
};

struct ota_release_config {
    const char *manifest_uri;             /* .../manifest.json[?query]; at most OTA_RELEASE_URI_MAX - 1 chars */
    const char *manifest_sig_uri;         /* NULL: the manifest's URI with ".sig" before its query or fragment */
    const char *cert_pem;                 /* CA for https; NULL: the system store */
    const uint8_t *manifest_key_digest;   /* SHA-256 of the trusted manifest key (as an eFuse digest) */
    const char *device_id;                /* for the rollout bucket */
    const char *project;                  /* the device's product; NULL: the running app's project name
                                           * (an app without one can take no release: name it here) */
    /* Replay protection. NULL refuses every manifest (OTA_ERR_RELEASE_NO_SERIAL_STORE)
     * unless without_serial_store: the integrator's explicit opt-out, warned at every run. */
    const struct ota_release_store *store;
    bool without_serial_store;
};

struct ota_release_item {
    struct ota_release_config cfg;
    /* outcome */
    struct ota_manifest manifest;
    struct ota_manifest_decision decision;
    struct ota_release_record record;     /* the device's record as loaded (and saved) */
    bool accepted;                        /* signature, serial, project and chip passed */
    bool fell_back;                       /* a candidate failed and the next was taken */
    unsigned tried;                       /* the decision's candidate being installed */
    const struct ota_manifest_file *installed;  /* the item that installed; NULL: none */
    unsigned failed_count;                /* the candidates that failed, in the order tried */
    struct ota_release_failure {
        const struct ota_manifest_file *item;
        int err;
    } failed[OTA_MANIFEST_MAX_CANDIDATES];
    bool rolled_back;                     /* the installed app failed its trial boot (ota_release_rolled_back) */
    int sig_why;                          /* the signature module's reason for a refusal */
    uint64_t patch_bytes;                 /* patch (or compressed image) bytes fed to the applier */
    /* working memory */
    char uri[OTA_RELEASE_URI_MAX + OTA_MANIFEST_URI_MAX];
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

/* "up to date", "held back (rollout)", "patch", "compressed image", "full image",
 * "skipped: this release rolled back on this device". */
const char *ota_release_action_name(enum ota_manifest_action a);

/* The app this release installed failed its trial boot and the device
 * rolled back: remember its image in the record, so later checks skip it
 * (OTA_MANIFEST_ROLLED_BACK) until a manifest names a different image.
 * Call once the device runs the previous app again. */
int ota_release_rolled_back(struct ota_release_item *rel);

/* The same for a port that learns of the rollback later, without the item
 * (ESP-IDF: at start-up, esp_ota_get_last_invalid_partition() names the
 * image the bootloader gave up): remember the image whose appended SHA-256
 * is app_sha256 (serial: the release's, or 0 when unknown) in the store. */
int ota_release_note_rolled_back(const struct ota_release_store *store, uint32_t serial,
                                 const uint8_t app_sha256[OTA_SHA256_LEN]);

/* URI with ".sig" inserted before its query ('?') or fragment ('#'), into
 * out. OTA_ERR_TOO_LONG when it does not fit. */
int ota_release_sig_uri(const char *uri, char *out, size_t out_len);

#endif
