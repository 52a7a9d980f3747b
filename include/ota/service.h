/*
 * The OTA service: ESP-ADF's ota_service model in portable C.
 *
 * An ordered upgrade list of items, each with four callbacks (prepare,
 * need_upgrade, execute, finished_check) and two flags (reboot_flag,
 * break_after_fail). ota_service_start() runs them in order and reports a
 * RESULT event per item and a FINISH event; a reboot is requested only
 * when an item that asked for it succeeded. Flash and sources come through
 * the port; the service itself makes no OS call and allocates nothing.
 *
 * The service is a client of the push-style writers (ota/update.h): it
 * pulls bytes from the transport and pushes them into an ota_app_update or
 * ota_data_update, reconnecting and resuming as the journal allows.
 *
 * Reentrancy and context: all state is in the caller's struct ota_service
 * (about 11 KiB; place it where the firmware wants, e.g. static or in a
 * task's memory), plus the optional patch work area (cfg.patch_work, about
 * 16 KiB) when app items may be delta patches. ota_service_start blocks; every callback (item ops,
 * events, progress, cancel, sleep) runs synchronously in the calling task.
 * The config, the item list and the strings it points to must stay valid
 * until ota_service_start returns.
 */
#ifndef OTA_SERVICE_H
#define OTA_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/delta.h"
#include "ota/flash.h"
#include "ota/image.h"
#include "ota/partition.h"
#include "ota/source.h"
#include "ota/update.h"
#include "ota/version.h"

/* Result codes with ESP-ADF's names and values (ota_service_err_reason_t). */
enum ota_result {
    OTA_RESULT_SUCCESS = 0,
    OTA_RESULT_UNKNOWN = -1,
    OTA_RESULT_NULL_POINTER = 0x90001,
    OTA_RESULT_URL_PARSE_FAIL = 0x90002,
    OTA_RESULT_ERROR_VERSION = 0x90003,
    OTA_RESULT_NO_HIGHER_VERSION = 0x90004,
    OTA_RESULT_ERROR_MAGIC_WORD = 0x90005,
    OTA_RESULT_ERROR_PROJECT_NAME = 0x90006,
    OTA_RESULT_FILE_NOT_FOUND = 0x90007,
    OTA_RESULT_PARTITION_NOT_FOUND = 0x90008,
    OTA_RESULT_PARTITION_WT_FAIL = 0x90009,
    OTA_RESULT_PARTITION_RD_FAIL = 0x9000A,
    OTA_RESULT_STREAM_INIT_FAIL = 0x9000B,
    OTA_RESULT_STREAM_RD_FAIL = 0x9000C,
    OTA_RESULT_GET_NEW_APP_DESC_FAIL = 0x9000D,
};

const char *ota_result_name(int result);  /* "NO_HIGHER_VERSION" */

/* The seed's coarse result for a precise ota_err (which travels beside it). */
int ota_result_from_err(int err);

enum ota_item_type { OTA_ITEM_APP = 0, OTA_ITEM_DATA = 1 };

struct ota_service;
struct ota_item;

/* Callbacks return 0 or a negative ota_err. finished_check gets the error so
 * far and returns the item's final error (the default returns it as is:
 * a rejected item is never reported as a success). check_content (data
 * items) checks the written image in flash before it is committed: a
 * failed check leaves the partition marked incomplete, never installed. */
struct ota_item_ops {
    int (*prepare)(struct ota_service *svc, struct ota_item *item);
    int (*need_upgrade)(struct ota_service *svc, struct ota_item *item);
    int (*execute)(struct ota_service *svc, struct ota_item *item);
    int (*finished_check)(struct ota_service *svc, struct ota_item *item, int err);
    int (*check_content)(struct ota_service *svc, const struct ota_partition *part, uint32_t len);
};

struct ota_item {
    enum ota_item_type type;
    const char *label;       /* data: partition label; app: NULL = next OTA slot */
    const char *uri;
    const char *cert_pem;    /* CA for https; NULL = the system store */
    struct ota_item_ops ops; /* zero members take the default procedure */
    bool reboot_flag;
    bool break_after_fail;
    void *user;              /* for replacement callbacks */
    /* app: a full image to take instead when uri is a patch made for
     * another running app (OTA_ERR_DELTA_BASE) or in a patch version this
     * applier does not know, or when the source has nothing at uri (an HTTP
     * error status, no such file on the card); NULL: no fallback, the item
     * fails. */
    const char *fallback_uri;
};

enum ota_event_type { OTA_EVENT_RESULT, OTA_EVENT_FINISH };

struct ota_event {
    enum ota_event_type type;
    unsigned id;          /* RESULT: index in the list */
    int result;           /* RESULT: enum ota_result */
    int err;              /* RESULT: the precise ota_err behind it */
    bool reboot;          /* FINISH: a restart is requested */
};

typedef void (*ota_event_cb)(void *ctx, const struct ota_event *ev);
typedef void (*ota_progress_cb)(void *ctx, unsigned id, uint64_t done, int64_t total);
/* Asked between chunks: true stops the item (OTA_ERR_CANCELLED; otadata
 * untouched, the running app boots as before). */
typedef bool (*ota_cancel_cb)(void *ctx, unsigned id);

#define OTA_RETRY_BACKOFF_MAX_MS 30000u  /* the doubling wait between reconnections stops here */

struct ota_item_patch;

struct ota_service_config {
    const struct ota_flash *flash;
    const struct ota_transport *transport;
    uint32_t running_app_offset;   /* the app that runs now, as the port knows it (never guessed) */
    ota_event_cb on_event;
    ota_progress_cb on_progress;   /* optional */
    ota_cancel_cb cancel;          /* optional */
    void *cb_ctx;
    bool force_version_check;      /* CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER */
    bool rollback;                 /* select new apps as NEW (trial boot) */
    bool allow_plain_http;         /* false refuses http:// (OTA_ERR_INSECURE) */
    uint16_t chip_id;              /* the device's chip (OTA_CHIP_ANY: any) */
    uint16_t chip_rev;
    unsigned max_retries;          /* reconnections after a dropped transfer; 0: 4 */
    bool no_retry;                 /* fail at the first dropped transfer */
    unsigned retry_backoff_ms;     /* first wait before reconnecting, doubled each time up to
                                    * OTA_RETRY_BACKOFF_MAX_MS; 0: 250 */
    void (*sleep_ms)(void *ctx, unsigned ms);  /* the port's wait; NULL: no wait */
    const uint8_t *trusted_key_digest; /* Secure Boot V2 on: apps must be signed by this key (eFuse digest) */
    uint32_t secure_version;       /* the device's anti-rollback counter (eFuse) */
    const struct ota_crypto_key *decrypt_key;  /* opens encrypted app images (ota/decrypt.h); NULL: none */
    uint8_t *decrypt_work;         /* OTA_CHUNKED_WORK_LEN bytes: chunked encrypted images; NULL: refused */
    /* Working memory for app items that are delta patches (about 16 KiB,
     * caller-owned like the service). NULL: this firmware takes full images
     * only; a patch item then takes its fallback_uri, or fails with
     * OTA_ERR_DELTA_UNSUPPORTED, and a release item takes the full image. */
    struct ota_item_patch *patch_work;
    /* Activation under the app's control (both optional; NULL: yes). Asked
     * with cb_ctx after an app item's image is verified in its slot and
     * before otadata selects it: false leaves it unselected (the item ends
     * with OTA_ERR_ACTIVATION_DEFERRED, the running app stays) to be done
     * on a later run. Asked at the end of the list before a restart is
     * requested: false requests none (the new app boots at the next
     * restart, whenever the app makes it). */
    bool (*may_activate)(void *ctx, unsigned id);
    bool (*may_restart)(void *ctx);
};

#define OTA_SERVICE_BUF_LEN 4096u

/* An app item whose bytes are a delta patch: the applier between the stream
 * and the app writer (the old image is the running app, read from its slot). */
struct ota_item_patch {
    bool active;                          /* the item's bytes are a patch */
    uint64_t bytes;                       /* patch bytes fed since the last start from byte 0 */
    uint64_t max_bytes;                   /* 0: no bound; more bytes fail with over_err */
    int over_err;
    int64_t new_len;                      /* the new image's length if known, else OTA_LENGTH_UNKNOWN */
    uint32_t base_len;                    /* the running app's image length */
    uint8_t base_sha256[OTA_SHA256_LEN];  /* and its appended SHA-256, which the patch must name */
    ota_sha256_ctx sha;                   /* of the patch bytes */
    bool resumable;                       /* sync points (compressed, compact): checkpoints journaled */
    bool from_checkpoint;                 /* the decoder went on from the journal's checkpoint */
    uint32_t saved_out;                   /* output offset of the last checkpoint journaled */
    uint32_t resume_in, resume_out;       /* where the next start resumes (resume_out 0: from byte 0) */
    uint8_t decoder_id[OTA_JOURNAL_DECODER_ID_LEN];  /* the compressed image's identity, for the journal */
    struct ota_delta delta;
};

/* Per-item working state of the default procedures (caller-owned memory,
 * through struct ota_service). */
struct ota_item_work {
    void *stream;
    struct ota_source_info info;      /* of the current response */
    bool stream_done;                 /* read() returned 0 */
    uint64_t stream_pos;              /* resource offset of the next byte the stream delivers */
    int64_t total;                    /* the resource's length, or OTA_LENGTH_UNKNOWN */
    char validator[OTA_VALIDATOR_LEN + 1];  /* of the first response: resumes use If-Range */
    const struct ota_partition *part; /* where the bytes go */
    const struct ota_part_writer *writer;  /* the image as it stands, for peeks on a resume */
    uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN];
    uint32_t buffered;                /* bytes peeked into buf, not yet consumed */
    unsigned retries;                 /* reconnections so far */
    bool resumed;                     /* continued an earlier attempt (journal or reconnect) */
    const char *uri;                  /* the URI in use when not the item's own (its fallback_uri) */
    bool fell_back;                   /* the item's patch did not fit: its fallback_uri was taken */
    uint8_t buf[OTA_SERVICE_BUF_LEN];
    union {
        struct ota_app_update app;
        struct ota_data_update data;
    } up;
    struct ota_item_patch *patch;     /* cfg.patch_work: the applier when the app item's bytes are a patch */
};

struct ota_service {
    struct ota_service_config cfg;
    struct ota_device dev;                /* table, running app, chip, keys */
    const struct ota_partition *running;  /* the app that runs now (dev.running) */
    struct ota_item *items;
    unsigned count;
    unsigned current;
    struct ota_item_work work;
};

/* Check cfg, load the partition table (checked as strictly as a new one)
 * and find the running app. Errors: OTA_ERR_INVALID_ARG, the table's,
 * OTA_ERR_NOT_FOUND (no app partition at running_app_offset). */
int ota_service_init(struct ota_service *svc, const struct ota_service_config *cfg);

/* The list is used in place (not copied) until ota_service_start returns. */
int ota_service_set_upgrade_list(struct ota_service *svc, struct ota_item *items, unsigned count);

/* Run the list. Returns OTA_OK when every item that ran succeeded, else the
 * error of the last failed item. *reboot (optional) tells whether a restart
 * was requested. */
int ota_service_start(struct ota_service *svc, bool *reboot);

/* ---- building blocks for replacement callbacks --------------------------- */

/* Default procedures, for an item type. */
struct ota_item_ops ota_default_ops(enum ota_item_type type);

/* Make sure the first n bytes of the image are in work.buf (n <= buffer),
 * without consuming them: execute writes them. */
int ota_item_peek(struct ota_service *svc, uint32_t n);

/* Read the item's next bytes (peeked ones first): > 0 bytes, 0 at the end of
 * a complete stream, or a negative ota_err. For replacement execute callbacks;
 * buf may be work.buf itself. */
int ota_item_read(struct ota_service *svc, void *buf, uint32_t len);

/* Which app the bootloader would pick by otadata alone, without verifying.
 * Not the running app (a fallback can differ): a port tells that. */
const struct ota_partition *ota_running_partition(const struct ota_flash *f, const struct ota_ptable *t);

#endif
