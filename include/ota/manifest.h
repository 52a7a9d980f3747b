/*
 * Release manifests (docs/manifest.md): what a release offers, signed, and
 * what one device takes from it.
 *
 * A release is a static tree: manifest.json (strict JSON, format 1, what
 * every device reads), manifest.json.v2 (format 2: every item with its
 * size, smallest first), each with a .sig (a Secure Boot V2 signature
 * sector over the manifest's bytes, so the same keys and verifier as
 * images serve), the full image plain and compressed, and one patch per
 * earlier release. The device
 *   1. parses the manifest (ota_manifest_parse: either format, bounded, no malloc),
 *   2. checks its signature against the trusted key digest,
 *   3. decides (ota_manifest_decide): refused for a replayed serial, another
 *      project or chip; up to date; held back by the rollout; else the
 *      items it can apply (a patch whose base is the running app, the
 *      compressed and the plain image), smallest first.
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

#define OTA_MANIFEST_FORMAT 1u           /* manifest.json: what every device in the field reads */
#define OTA_MANIFEST_FORMAT2 2u          /* manifest.json.v2: every item with its size and kind */
#define OTA_MANIFEST_MAX_LEN 4096u       /* bytes of manifest.json a device accepts */
#define OTA_MANIFEST_MAX_PATCHES 8u
#define OTA_MANIFEST_URI_MAX 128u        /* per URI, with the terminating NUL */
#define OTA_MANIFEST_NAME_MAX 32u        /* project and version, as in the app descriptor */
#define OTA_MANIFEST_CHIP_MAX 16u
#define OTA_MANIFEST_MAX_CANDIDATES 3u   /* for one device: its patch, the compressed, the plain image */

/* What an item's bytes are. A format-1 patch entry may also be a
 * compressed image (the applier tells them apart by their magic). */
enum ota_manifest_kind {
    OTA_MANIFEST_KIND_PLAIN = 0,
    OTA_MANIFEST_KIND_COMPRESSED = 1,
    OTA_MANIFEST_KIND_PATCH = 2,
};

struct ota_manifest_file {
    char uri[OTA_MANIFEST_URI_MAX];      /* relative to the manifest's URI, or absolute */
    uint32_t size;
    uint8_t sha256[OTA_SHA256_LEN];      /* of the whole file (encrypted: of the ciphertext) */
    uint8_t kind;                        /* enum ota_manifest_kind */
    bool encrypted;                      /* format 2: encrypted to the devices' key */
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
    uint32_t app_size;                   /* the new image's length (format 1: the image file's) */
    struct ota_manifest_file image;      /* the full image as it is (plain or encrypted) */
    struct ota_manifest_file compressed; /* format 2: the full image compressed; size 0: none */
    unsigned patch_count;
    struct ota_manifest_patch patches[OTA_MANIFEST_MAX_PATCHES];
};

/* Parse a manifest of format 1 or 2. Errors: OTA_ERR_MANIFEST_SYNTAX (not the strict
 * JSON docs/manifest.md describes, a field missing, twice, unknown or out
 * of range, a file of size 0, an unknown item kind, more items than the
 * bounds), OTA_ERR_MANIFEST_ITEM_ORDER (format 2 items not smallest first),
 * OTA_ERR_MANIFEST_FORMAT (a format version from the future),
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
    unsigned takes;                      /* OTA_MANIFEST_TAKES_*: the items it can apply besides a plain image */
};

#define OTA_MANIFEST_TAKES_PATCH 1u      /* it has a patch work area */
#define OTA_MANIFEST_TAKES_COMPRESSED 2u /* built with the decoder (not -DOTA_NO_COMPRESS) */
#define OTA_MANIFEST_TAKES_ENCRYPTED 4u  /* it holds a decryption key */

enum ota_manifest_action {
    OTA_MANIFEST_UP_TO_DATE = 0,         /* the running app is the release */
    OTA_MANIFEST_HELD_BACK = 1,          /* not in the rollout yet */
    OTA_MANIFEST_INSTALL_PATCH = 2,
    OTA_MANIFEST_INSTALL_FULL = 3,
    OTA_MANIFEST_ROLLED_BACK = 4,        /* the release's app rolled back on this device: skipped */
    OTA_MANIFEST_INSTALL_COMPRESSED = 5, /* the compressed full image (format 2) */
};

struct ota_manifest_decision {
    enum ota_manifest_action action;     /* for an install: the kind of candidates[0] */
    const struct ota_manifest_patch *patch;  /* the release's patch for the running app, if it has one */
    unsigned bucket;
    unsigned candidate_count;            /* installs: 1..OTA_MANIFEST_MAX_CANDIDATES */
    const struct ota_manifest_file *candidates[OTA_MANIFEST_MAX_CANDIDATES];  /* smallest first */
};

/* "patch", "compressed image", "full image": an item's kind for people. */
const char *ota_manifest_kind_name(unsigned kind);

/* The action that installs an item of this kind. */
enum ota_manifest_action ota_manifest_install_action(const struct ota_manifest_file *f);

/* Decide for one device. The items it can apply (a patch only for its
 * running app, a compressed one only with the decoder, an encrypted one
 * only with a key: dev->takes) are its candidates, smallest first.
 * Errors (nothing to install): OTA_ERR_MANIFEST_REPLAY
 * (serial below last_serial), OTA_ERR_MANIFEST_PROJECT (another project, or
 * either side has none: an empty name is never "any project"),
 * OTA_ERR_MANIFEST_CHIP, OTA_ERR_MANIFEST_NO_ITEM (it would install, and
 * can apply no item). */
int ota_manifest_decide(const struct ota_manifest *m, const struct ota_device_view *dev,
                        struct ota_manifest_decision *d);

/* Resolve a manifest-relative URI against the manifest's own URI (the part
 * up to its path's last '/', before any query or fragment); an absolute one
 * (with "://") is copied. Errors: OTA_ERR_TOO_LONG when out is too small. */
int ota_manifest_resolve(const char *manifest_uri, const char *ref, char *out, size_t out_len);

#endif
