/*
 * Push-style updates: the caller has the bytes (from HTTP, BLE, MQTT, a
 * UART, a file) and pushes them in, in chunks of any size.
 *
 *   struct ota_device dev;          // once: flash, table, running app
 *   struct ota_app_update up;       // per update: caller-owned, ~2.9 KiB
 *   ota_device_open(&dev, &flash, running_app_offset);
 *   ota_app_begin(&up, &dev, &opts);          // checks; writes nothing
 *   while (more) ota_app_write(&up, buf, n);  // verify, erase ahead, write
 *   ota_app_finish(&up, &info);               // verify in flash, select
 *   // or at any point: ota_app_abort(&up);   // otadata untouched
 *
 * The app update checks before its first write: the image magic, the app
 * descriptor, the chip, anti-rollback (secure_version) and, when asked,
 * that the version is higher than the running app's. Every byte is
 * verified as it streams (segments, checksum, SHA-256); the finish verifies
 * the image again as it stands in flash, then the Secure Boot V2 signature
 * when the device has a trusted key, and only then changes otadata. The
 * running app, otadata, the bootloader and the partition table are never
 * written, whatever the table says.
 *
 * The data update (ota_data_*) is power-safe: a journal in the partition's
 * last 8 KiB says WRITING before the first byte changes, the first page is
 * programmed last, everything is read back, an optional content check runs,
 * and only then one bit commits COMPLETE (docs/data-partition-safety.md).
 *
 * Reentrancy and lifetimes: every function works only on the structs it is
 * given (no static state); two updates may run at once on different
 * partitions. Pointers handed in (the device, the flash, the options'
 * strings and callbacks) must stay valid until finish or abort returns.
 * Callbacks (the data content check) run synchronously in the caller's
 * context, from within ota_data_finish.
 */
#ifndef OTA_UPDATE_H
#define OTA_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/decrypt.h"
#include "ota/delta.h"
#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/image.h"
#include "ota/part_writer.h"
#include "ota/partition.h"
#include "ota/source.h"

/* ---- the device ------------------------------------------------------------ */

struct ota_device {
    const struct ota_flash *flash;
    struct ota_ptable table;              /* loaded from flash, checked as strictly as a new one */
    const struct ota_partition *running;  /* the app that runs now, as the port knows it */
    uint16_t chip_id;                     /* OTA_CHIP_*; OTA_CHIP_ANY accepts any */
    uint16_t chip_rev;                    /* major*100 + minor */
    bool rollback;                        /* bootloader has rollback: new apps boot on trial */
    const uint8_t *trusted_key_digest;    /* Secure Boot V2 key digest (eFuse), NULL: off */
    uint32_t secure_version;              /* anti-rollback counter (eFuse) */
    const struct ota_crypto_key *decrypt_key;  /* opens encrypted images (ota/decrypt.h); NULL: none */
    uint8_t *decrypt_work;                /* OTA_CHUNKED_WORK_LEN bytes for our chunked format; NULL: refused */
};

/* Load and check the partition table and find the running app: the app
 * partition that starts at running_app_offset (what the port knows ran;
 * on ESP-IDF esp_ota_get_running_partition()->address). Chip fields take
 * ESP32 rev 3.00 defaults; set them after. Errors: the table's,
 * OTA_ERR_NOT_FOUND when no app partition starts at running_app_offset. */
int ota_device_open(struct ota_device *dev, const struct ota_flash *flash, uint32_t running_app_offset);

/* Whether [addr, addr+len) touches what an update must never write: the
 * bootloader and partition table region, otadata, the running app. */
bool ota_device_protected(const struct ota_device *dev, uint32_t addr, uint32_t len);

/* esp_ota_get_next_update_partition: the OTA slot after the running one. */
const struct ota_partition *ota_device_next_slot(const struct ota_device *dev);

/* The journal key of a source (SHA-256 of its URI or name, first 12 bytes). */
void ota_source_id(const char *name, uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN]);

/* ---- app update ---------------------------------------------------------- */

/* Bytes held back before the first write, for the checks. */
#define OTA_APP_HEAD_LEN (OTA_APP_DESC_OFFSET + OTA_APP_DESC_LEN)

struct ota_app_options {
    const struct ota_partition *target;  /* NULL: the next OTA slot after the running app */
    int64_t image_len;                   /* announced length, or OTA_LENGTH_UNKNOWN */
    bool check_version;                  /* refuse an image whose version is not higher */
    const char *project;                 /* refuse another project name; NULL: any */
    /* Resume: a transfer of the same source (same id, length, validator)
     * interrupted earlier (power cut, dropped link) continues where its
     * journal says; NULL source_id: no journal. */
    const uint8_t *source_id;
    const char *validator;               /* the source's ETag / Last-Modified, or NULL */
};

enum ota_update_phase { OTA_PHASE_IDLE = 0, OTA_PHASE_OPEN, OTA_PHASE_DONE, OTA_PHASE_FAILED };

struct ota_app_update {
    const struct ota_device *dev;
    struct ota_app_options opt;
    enum ota_update_phase phase;
    struct ota_part_writer pw;
    struct ota_image_opts img;
    struct ota_image_verifier verifier;
    struct ota_app_desc running_desc;
    bool has_running_desc;
    uint8_t head[OTA_APP_HEAD_LEN];      /* the first bytes, held until checked */
    uint32_t head_len;
    bool head_checked;
    struct ota_image_info info;          /* after finish */
#ifndef OTA_NO_DECRYPT
    struct ota_decrypt dec;              /* an encrypted image's layer (ota/decrypt.h) */
#endif
};

/* Check and prepare; nothing is written. Errors: OTA_ERR_PENDING_VERIFY
 * (the running app is on trial), OTA_ERR_NO_OTA_SLOT, OTA_ERR_TARGET_NOT_OTA
 * (a factory or test app: otadata cannot select it), OTA_ERR_PROTECTED
 * (target is the running app, otadata, or below the table's end),
 * OTA_ERR_IMG_TOO_BIG (announced length beyond the slot). */
int ota_app_begin(struct ota_app_update *u, const struct ota_device *dev, const struct ota_app_options *opt);

/* Bytes of the image already in flash from an interrupted transfer of the
 * same source: push from this offset (or from 0: repeated bytes are
 * compared with flash, not rewritten). 0: start at the beginning. */
uint32_t ota_app_resume_offset(const struct ota_app_update *u);

/* Before a transfer: what the journal holds of an interrupted transfer of
 * this source. Returns its validator (for an If-Range request of the rest
 * from *offset), or NULL when there is nothing to resume. */
const char *ota_app_resume_hint(const struct ota_app_update *u, uint32_t *offset);

/* Once the source has answered: its length and validator. Decides whether
 * the journal's bytes are reused (same source, length and validator).
 * Returns the bytes already in flash (>= 0), or a negative ota_err
 * (OTA_ERR_IMG_TOO_BIG). ota_app_begin calls it with the options' values. */
int ota_app_set_source(struct ota_app_update *u, int64_t image_len, const char *validator);

/* The next byte pushed is at image offset `off` (0 or up to the resume
 * offset / the bytes written so far), e.g. after a reconnect. Further is
 * refused with OTA_ERR_SEEK_UNWRITTEN and changes nothing: the update goes
 * on from where it was. */
int ota_app_seek(struct ota_app_update *u, uint64_t off);

/* Take the next len bytes of the image (any chunk size; len 0 is a no-op,
 * data may then be NULL). Errors end the update (abort it): the checks'
 * errors (OTA_ERR_IMG_*, OTA_ERR_NOT_NEWER, OTA_ERR_SECURE_VERSION, ...),
 * OTA_ERR_MORE_THAN_ANNOUNCED (bytes past the announced length), flash
 * errors, OTA_ERR_SOURCE_CHANGED when repeated bytes differ from flash (the
 * caller may ota_app_restart). */
int ota_app_write(struct ota_app_update *u, const void *data, size_t len);

/* Throw away what was written and take the image from byte 0 again (the
 * source changed: new length and validator). */
int ota_app_restart(struct ota_app_update *u, int64_t image_len, const char *validator);

/* Bytes of the image in flash so far (of an encrypted image: the encrypted
 * bytes taken, where a reconnection continues). */
uint32_t ota_app_written(const struct ota_app_update *u);

#ifndef OTA_NO_DECRYPT
/* After ota_app_begin: keep the SHA-256 of an encrypted image's bytes (what a
 * release manifest signs); ota_app_encrypted_digest gives it once the image
 * was taken whole (NULL for a plain image, before its end, or not asked). */
void ota_app_keep_encrypted_digest(struct ota_app_update *u);

/* After ota_app_begin: an encrypted image whose decrypted bytes are a delta
 * patch (for the running app) or a compressed image (ota/delta.h) is applied
 * in `work` (about 16 KiB, caller-owned, until finish or abort) and written
 * as the image it makes. Without it such a payload is refused
 * (OTA_ERR_DELTA_UNSUPPORTED). Plain patches are not told here: the caller
 * applies them (the service does). */
void ota_app_apply_decrypted(struct ota_app_update *u, struct ota_delta *work);
const uint8_t *ota_app_encrypted_digest(const struct ota_app_update *u);

/* An encrypted image taken whole: its authentication checked and the
 * applier's last bytes written, so the slot holds the whole image before
 * the caller's own checks of it (a release item compares it with the signed
 * manifest); ota_app_finish then only verifies and selects. OTA_OK for a
 * plain image. Errors: OTA_ERR_DECRYPT_LENGTH (cut short), OTA_ERR_DECRYPT_TAG,
 * the applier's. */
int ota_app_decrypt_complete(struct ota_app_update *u);
#else
/* Without the layer no image is taken encrypted: the four do nothing,
 * inline, so that a caller's encrypted-only paths fold away. */
static inline void ota_app_keep_encrypted_digest(struct ota_app_update *u)
{
    (void)u;
}
static inline void ota_app_apply_decrypted(struct ota_app_update *u, struct ota_delta *work)
{
    (void)u;
    (void)work;
}
static inline const uint8_t *ota_app_encrypted_digest(const struct ota_app_update *u)
{
    (void)u;
    return NULL;
}
static inline int ota_app_decrypt_complete(struct ota_app_update *u)
{
    (void)u;
    return 0;
}
#endif

/* Verify (stream, then flash, then signature), commit the journal and
 * select the new slot in otadata: NEW (trial boot) when the device has
 * rollback, else VALID. info (optional) receives the image's facts. */
int ota_app_finish(struct ota_app_update *u, struct ota_image_info *info);

/* Stop: otadata is not touched, the running app boots as before. */
void ota_app_abort(struct ota_app_update *u);

/* The checks ota_app_write makes on the image's first OTA_APP_HEAD_LEN
 * bytes, for a caller that wants them before it starts a transfer. */
int ota_app_check_head(const struct ota_app_update *u, const uint8_t head[OTA_APP_HEAD_LEN]);

/* ---- data update ------------------------------------------------------------ */

/* A content check of the whole written image, run before the commit. */
typedef int (*ota_data_check_fn)(void *ctx, const struct ota_flash *f, const struct ota_partition *part,
                                 uint32_t len);

struct ota_data_options {
    int64_t image_len;            /* announced length, or OTA_LENGTH_UNKNOWN */
    const uint8_t *source_id;     /* resume key (see ota_app_options); NULL: none */
    const char *validator;
    ota_data_check_fn check;      /* optional: e.g. the tone check */
    void *check_ctx;
};

struct ota_data_update {
    const struct ota_device *dev;
    struct ota_data_options opt;
    enum ota_update_phase phase;
    struct ota_part_writer pw;
    ota_sha256_ctx sha;           /* of every byte of the image, for the read-back */
};

/* Check and prepare the data partition `part`; nothing is written.
 * Errors: OTA_ERR_NOT_FOUND (an app partition or none), OTA_ERR_PROTECTED,
 * OTA_ERR_DATA_TOO_BIG (no room for the journal, or the announced length). */
int ota_data_begin(struct ota_data_update *u, const struct ota_device *dev, const struct ota_partition *part,
                   const struct ota_data_options *opt);
uint32_t ota_data_resume_offset(const struct ota_data_update *u);
const char *ota_data_resume_hint(const struct ota_data_update *u, uint32_t *offset);
int ota_data_set_source(struct ota_data_update *u, int64_t image_len, const char *validator);
int ota_data_seek(struct ota_data_update *u, uint64_t off);
int ota_data_write(struct ota_data_update *u, const void *data, size_t len);
int ota_data_restart(struct ota_data_update *u, int64_t image_len, const char *validator);
uint32_t ota_data_written(const struct ota_data_update *u);

/* Program page 0, read everything back, run the content check, commit. */
int ota_data_finish(struct ota_data_update *u);

/* Stop. Once the first byte was written the old content is gone (as after a
 * power cut): the journal says WRITING, so readers know the partition is
 * incomplete, and a later update of the same source resumes. */
void ota_data_abort(struct ota_data_update *u);

#endif
