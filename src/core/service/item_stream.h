/* Inside the service: an item's transfer, from the transport into a writer. */
#ifndef OTA_ITEM_STREAM_H
#define OTA_ITEM_STREAM_H

#include "ota/service.h"

/* Where the stream's bytes go: the app or data writer, seen alike. */
struct item_sink {
    int (*seek)(struct ota_item_work *w, uint64_t off);
    int (*write)(struct ota_item_work *w, const void *p, size_t n);
    int (*set_source)(struct ota_item_work *w, int64_t total, const char *validator);  /* >= 0: resumed bytes */
    uint32_t (*written)(const struct ota_item_work *w);
};

extern const char ota_tag_default[];

/* Check the URI against the policy, then open it: from `offset` with
 * If-Range `validator` when an interrupted transfer can go on (NULL: from 0). */
int ota_item_open_first(struct ota_service *svc, struct ota_item *item, uint32_t offset, const char *validator);

/* The source answered that it has no such file (an HTTP error status, or
 * nothing at that path on the card), as opposed to a transfer that failed:
 * an item with a full image to fall back on takes it then. */
bool ota_item_missing(int err);

/* After ota_item_open_first: tell the writer the source's length and validator
 * and position it where the stream starts. */
int ota_item_attach(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink);

/* Move the rest of the stream into the sink, reconnecting after drops and
 * starting over when the source changed. */
int ota_item_pump(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink);

void ota_item_close(struct ota_service *svc);

/* A fresh work area for an item (or a release's next candidate): nothing
 * of an earlier attempt is kept; the patch work area, idle, stays lent. */
void ota_item_work_reset(struct ota_service *svc);

/* A dropped transfer, worth another attempt (a short read, a timeout, a
 * broken stream or connection, a name not resolved); how many attempts the
 * configuration allows (0: none); the wait before attempt k (0-based),
 * doubling, capped at OTA_RETRY_BACKOFF_MAX_MS. */
bool ota_item_retryable(int err);
unsigned ota_item_max_retries(const struct ota_service_config *cfg);
unsigned ota_item_backoff_ms(const struct ota_service_config *cfg, unsigned k);

/* The URI the item is fetched from now: its own, or its fallback. */
static inline const char *ota_item_uri(const struct ota_service *svc, const struct ota_item *item)
{
    return svc->work.uri ? svc->work.uri : item->uri;  /* two loads: smaller inline than a call */
}

/* The app writer begun with opt as the item's writer (work.up.app, its
 * partition work.part). */
int ota_item_app_begin(struct ota_service *svc, const struct ota_app_options *opt);

/* The app writer as a sink, and the default app check of the incoming head
 * (for items that install an app their own way). */
extern const struct item_sink ota_item_app_sink;
int ota_item_app_need_upgrade(struct ota_service *svc, struct ota_item *item);
/* The written app activated (ota_app_finish), unless the app defers it
 * (may_activate): then aborted, the slot unselected,
 * OTA_ERR_ACTIVATION_DEFERRED. */
int ota_item_app_activate(struct ota_service *svc);

/* ---- patches (item_patch.c): transport -> delta applier -> app writer ---- */

/* The running app as a patch's base: verified in flash, with its appended
 * SHA-256 (a patch names its base by it). Errors: the image's, or
 * OTA_ERR_IMG_HASH when it has no appended SHA-256. */
int ota_item_running_base(struct ota_service *svc, struct ota_image_info *info);

/* Does the stream (at byte 0) start with a patch header (esp_delta_ota or
 * compact)? Peeks, consumes nothing. */
int ota_item_patch_detect(struct ota_service *svc, bool *is_patch);

/* Peek the patch header and check, before anything is written, that it
 * names the running app as its base (OTA_ERR_DELTA_BASE otherwise).
 * Fills base (the running app) and hdr. */
int ota_item_patch_check_base(struct ota_service *svc, struct ota_item *item, struct ota_image_info *base,
                              struct ota_delta_header *hdr);

/* Make work.up.patch the producer for an app writer already begun: base is
 * the running app (length, appended SHA-256), new_len the new image's length
 * (or OTA_LENGTH_UNKNOWN); max_bytes > 0 bounds the patch (more fails with
 * over_err, or OTA_ERR_DELTA_INPUT_BOUND when over_err is OTA_OK). Then
 * attach with ota_item_patch_sink. The applier is bounded
 * by new_len (else the slot's size: a header naming more fails with
 * OTA_ERR_DELTA_OUTPUT_BOUND) and by max_bytes (else the slot's size:
 * OTA_ERR_DELTA_INPUT_BOUND); a stalling patch fails with
 * OTA_ERR_DELTA_STALLED. A new_len of 0 is refused (OTA_ERR_INVALID_ARG). */
void ota_item_patch_setup(struct ota_service *svc, const struct ota_image_info *base, int64_t new_len,
                          uint64_t max_bytes, int over_err);

/* A resumable decoder's identity as the journal keeps it (the checkpoint's
 * image length, sync interval, image SHA-256, form; a compact patch's base
 * SHA-256, else NULL: zeros). */
void ota_item_decoder_id(const struct ota_delta_checkpoint *cp, const uint8_t *base,
                         uint8_t id[OTA_JOURNAL_DECODER_ID_LEN]);

/* Resuming a patch after a cut (the app item's and the release item's):
 * a compressed image or compact patch with sync points can
 * (ota_item_patch_resumable); after ota_item_patch_setup, its writer (begun
 * with a journal) journals the decoder's output under the header's
 * identity, a compact patch's bound to base_sha, the running app
 * (ota_item_patch_journal). When the source continues at the journal's
 * checkpoint, ota_item_checkpoint_id reads and checks the record's identity
 * (OTA_ERR_DELTA_CHECKPOINT off its interval or out of the slot,
 * OTA_ERR_DELTA_BASE another running app: retire the record, from byte 0)
 * and fills base with the running app (a compact patch's; on an error
 * ota_item_checkpoint_refused logs it, closes the source and retires the
 * record: the caller starts from byte 0); after
 * ota_item_patch_setup, ota_item_patch_resume_at has the decoder continue
 * there, logs it under name (the patch's URI) and attaches the source. */
bool ota_item_patch_resumable(const struct ota_delta_header *hdr);
void ota_item_patch_journal(struct ota_service *svc, const struct ota_delta_header *hdr, const uint8_t *base_sha);
int ota_item_checkpoint_id(struct ota_service *svc, uint32_t in_off, uint32_t out_off,
                           uint8_t id[OTA_JOURNAL_DECODER_ID_LEN], struct ota_image_info *base);
int ota_item_checkpoint_refused(struct ota_service *svc, struct ota_item *item, int why);
int ota_item_patch_resume_at(struct ota_service *svc, struct ota_item *item, const char *name,
                             const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN], uint32_t in_off, uint32_t out_off);

/* The producer as a sink: a restart from patch byte 0 (a source without
 * ranges, or one that changed) restarts the applier and the app writer
 * together; a reconnection continues at the patch byte it stopped at. */
extern const struct item_sink ota_item_patch_sink;

/* The patch ended: flush the applier, check the new image is whole.
 * digest (optional) receives the patch's SHA-256. */
int ota_item_patch_finish(struct ota_service *svc, uint8_t digest[OTA_SHA256_LEN]);

/* The default procedures of each item type. */
void ota_item_app_ops(struct ota_item_ops *ops);
void ota_item_data_ops(struct ota_item_ops *ops);

#endif
