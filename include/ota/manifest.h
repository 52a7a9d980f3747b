/*
 * Release manifests (docs/manifest.md): what a release offers, signed, and
 * what one device takes from it.
 *
 * A release is a static tree: manifest.json (strict JSON, format 1),
 * manifest.json.sig (a Secure Boot V2 signature sector over the manifest's
 * bytes, so the same keys and verifier as images serve), the full image,
 * and one patch per earlier release. The device
 *   1. parses the manifest (ota_manifest_parse: bounded, no malloc),
 *   2. checks its signature against the trusted key digest,
 *   3. decides (ota_manifest_decide): refused for a replayed serial, another
 *      project or chip; up to date; held back by the rollout; else a patch
 *      whose base is the running app, or the full image.
 * Everything here is pure: the caller owns every struct.
 *
 * Reentrancy and lifetimes: the parsed manifest is a copy (no pointer into
 * the text is kept), so the text buffer may be reused once parse returns.
 */
#ifndef OTA_MANIFEST_H
#define OTA_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/hash.h"

#define OTA_MANIFEST_FORMAT 1u
#define OTA_MANIFEST_MAX_LEN 4096u       /* bytes of manifest.json a device accepts */
#define OTA_MANIFEST_MAX_PATCHES 8u
#define OTA_MANIFEST_URI_MAX 128u        /* per URI, with the terminating NUL */
#define OTA_MANIFEST_NAME_MAX 32u        /* project and version, as in the app descriptor */
#define OTA_MANIFEST_CHIP_MAX 16u

struct ota_manifest_file {
    char uri[OTA_MANIFEST_URI_MAX];      /* relative to the manifest's URI, or absolute */
    uint32_t size;
    uint8_t sha256[OTA_SHA256_LEN];      /* of the whole file */
};

struct ota_manifest_patch {
    uint8_t base_app_sha256[OTA_SHA256_LEN];  /* the old image's appended SHA-256 */
    struct ota_manifest_file file;
};

struct ota_manifest {
    uint32_t format;                     /* the first key, so a newer format is told apart */
    char project[OTA_MANIFEST_NAME_MAX];
    char version[OTA_MANIFEST_NAME_MAX];
    uint32_t secure_version;
    char chip[OTA_MANIFEST_CHIP_MAX];    /* "esp32", "esp32s2", "esp32s3", "esp32c3" */
    uint32_t serial;
    uint32_t rollout_percent;            /* 0..100 */
    uint8_t app_sha256[OTA_SHA256_LEN];  /* the new image's appended SHA-256 */
    struct ota_manifest_file image;
    unsigned patch_count;
    struct ota_manifest_patch patches[OTA_MANIFEST_MAX_PATCHES];
};

/* Parse manifest.json. Errors: OTA_ERR_MANIFEST_SYNTAX (not the strict
 * JSON docs/manifest.md describes, a field missing, twice, unknown or out
 * of range, a file of size 0), OTA_ERR_MANIFEST_FORMAT (a format version from the future),
 * OTA_ERR_MANIFEST_TOO_BIG (longer than OTA_MANIFEST_MAX_LEN). */
int ota_manifest_parse(const char *text, size_t len, struct ota_manifest *m);

/* Check the signature sector `sig` (OTA_SIG_SECTOR_LEN bytes) over the
 * manifest's bytes, made with the key whose digest is trusted_key_digest.
 * Errors: OTA_ERR_MANIFEST_SIGNATURE (with the signature module's reason
 * in *why when why is not NULL; bytes appended to the signed text, which
 * the 0xFF padding would hide, are OTA_ERR_SIG_DIGEST there). work: the verifier's memory (~4 KiB). */
struct ota_sig_result;
int ota_manifest_verify(const uint8_t *text, size_t len, const uint8_t *sig,
                        const uint8_t trusted_key_digest[OTA_SHA256_LEN], struct ota_sig_result *work, int *why);

/* The chip id of a manifest's chip name; false for an unknown name. */
bool ota_manifest_chip_id(const char *name, uint16_t *chip);

/* Whether a device is in the rollout: a stable hash of its id and the
 * release (project, version) picks a bucket 0..99; the device is in when
 * its bucket is below rollout_percent. Widening the rollout keeps every
 * device that was already in. */
unsigned ota_manifest_bucket(const struct ota_manifest *m, const char *device_id);

/* What the device has, for the decision. */
struct ota_device_view {
    const char *project;                 /* the device's product; NULL or "": matches no release */
    uint16_t chip_id;                    /* OTA_CHIP_*; OTA_CHIP_ANY: not checked */
    uint8_t running_app_sha256[OTA_SHA256_LEN];
    uint32_t last_serial;                /* the highest serial accepted so far (0: none) */
    const uint8_t *rolled_back_app_sha256;  /* an app that failed its trial boot here; NULL: none */
    const char *device_id;
};

enum ota_manifest_action {
    OTA_MANIFEST_UP_TO_DATE = 0,         /* the running app is the release */
    OTA_MANIFEST_HELD_BACK = 1,          /* not in the rollout yet */
    OTA_MANIFEST_INSTALL_PATCH = 2,
    OTA_MANIFEST_INSTALL_FULL = 3,
    OTA_MANIFEST_ROLLED_BACK = 4,        /* the release's app rolled back on this device: skipped */
};

struct ota_manifest_decision {
    enum ota_manifest_action action;
    const struct ota_manifest_patch *patch;  /* INSTALL_PATCH: the one for the running app */
    unsigned bucket;
};

/* Decide for one device. Errors (nothing to install): OTA_ERR_MANIFEST_REPLAY
 * (serial below last_serial), OTA_ERR_MANIFEST_PROJECT (another project, or
 * either side has none: an empty name is never "any project"),
 * OTA_ERR_MANIFEST_CHIP. */
int ota_manifest_decide(const struct ota_manifest *m, const struct ota_device_view *dev,
                        struct ota_manifest_decision *d);

/* Resolve a manifest-relative URI against the manifest's own URI (the part
 * up to its path's last '/', before any query or fragment); an absolute one
 * (with "://") is copied. Errors: OTA_ERR_TOO_LONG when out is too small. */
int ota_manifest_resolve(const char *manifest_uri, const char *ref, char *out, size_t out_len);

#endif
