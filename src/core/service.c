/* The OTA service engine: runs the upgrade list and reports honestly. */
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/journal.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/service.h"
#include "ota/signature.h"

static const char *TAG = "OTA_SERVICE";
static const char *TAG_DEF = "OTA_DEFAULT";

/* ---- results ------------------------------------------------------------- */

const char *ota_result_name(int result)
{
    switch (result) {
    case OTA_RESULT_SUCCESS: return "SUCCESS";
    case OTA_RESULT_UNKNOWN: return "UNKNOWN";
    case OTA_RESULT_NULL_POINTER: return "NULL_POINTER";
    case OTA_RESULT_URL_PARSE_FAIL: return "URL_PARSE_FAIL";
    case OTA_RESULT_ERROR_VERSION: return "ERROR_VERSION";
    case OTA_RESULT_NO_HIGHER_VERSION: return "NO_HIGHER_VERSION";
    case OTA_RESULT_ERROR_MAGIC_WORD: return "ERROR_MAGIC_WORD";
    case OTA_RESULT_ERROR_PROJECT_NAME: return "ERROR_PROJECT_NAME";
    case OTA_RESULT_FILE_NOT_FOUND: return "FILE_NOT_FOUND";
    case OTA_RESULT_PARTITION_NOT_FOUND: return "PARTITION_NOT_FOUND";
    case OTA_RESULT_PARTITION_WT_FAIL: return "PARTITION_WT_FAIL";
    case OTA_RESULT_PARTITION_RD_FAIL: return "PARTITION_RD_FAIL";
    case OTA_RESULT_STREAM_INIT_FAIL: return "STREAM_INIT_FAIL";
    case OTA_RESULT_STREAM_RD_FAIL: return "STREAM_RD_FAIL";
    case OTA_RESULT_GET_NEW_APP_DESC_FAIL: return "GET_NEW_APP_DESC_FAIL";
    default: return "?";
    }
}

int ota_result_from_err(int err)
{
    switch (err) {
    case OTA_OK:
        return OTA_RESULT_SUCCESS;
    case OTA_ERR_INVALID_ARG:
        return OTA_RESULT_NULL_POINTER;
    case OTA_ERR_URI:
    case OTA_ERR_INSECURE:
        return OTA_RESULT_URL_PARSE_FAIL;
    case OTA_ERR_VERSION_FORMAT:
        return OTA_RESULT_ERROR_VERSION;
    case OTA_ERR_NOT_NEWER:
        return OTA_RESULT_NO_HIGHER_VERSION;
    case OTA_ERR_IMG_MAGIC:
    case OTA_ERR_TONE_TAG:
    case OTA_ERR_TONE_DESC:
    case OTA_ERR_TONE_FORMAT:
        return OTA_RESULT_ERROR_MAGIC_WORD;
    case OTA_ERR_PROJECT_NAME:
        return OTA_RESULT_ERROR_PROJECT_NAME;
    case OTA_ERR_FILE_NOT_FOUND:
    case OTA_ERR_PATH_ESCAPE:
        return OTA_RESULT_FILE_NOT_FOUND;
    case OTA_ERR_NOT_FOUND:
    case OTA_ERR_NO_OTA_SLOT:
        return OTA_RESULT_PARTITION_NOT_FOUND;
    case OTA_ERR_IO:
    case OTA_ERR_ALIGN:
    case OTA_ERR_OUT_OF_BOUNDS:
    case OTA_ERR_POWER_LOST:
    case OTA_ERR_DATA_TOO_BIG:
    case OTA_ERR_IMG_TOO_BIG:
        return OTA_RESULT_PARTITION_WT_FAIL;
    case OTA_ERR_RESOLVE:
    case OTA_ERR_CONNECT:
    case OTA_ERR_TLS:
    case OTA_ERR_HTTP_STATUS:
    case OTA_ERR_TOO_MANY_REDIRECTS:
        return OTA_RESULT_STREAM_INIT_FAIL;
    case OTA_ERR_SHORT_READ:
    case OTA_ERR_TIMEOUT:
    case OTA_ERR_STREAM:
        return OTA_RESULT_STREAM_RD_FAIL;
    case OTA_ERR_IMG_DESC:
    case OTA_ERR_IMG_SEG0_SMALL:
        return OTA_RESULT_GET_NEW_APP_DESC_FAIL;
    default:
        return OTA_RESULT_UNKNOWN;
    }
}

/* ---- URIs and versions --------------------------------------------------- */

int ota_uri_scheme(const char *uri, const char **scheme)
{
    static const char *const schemes[] = {"http", "https", "file"};
    if (!uri) {
        return OTA_ERR_URI;
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(uri, schemes[i], n) == 0 && strncmp(uri + n, "://", 3) == 0 && uri[n + 3] != '\0') {
            if (scheme) {
                *scheme = schemes[i];
            }
            return OTA_OK;
        }
    }
    return OTA_ERR_URI;
}

int32_t ota_version_parse(const char *v)
{
    int32_t fields[3] = {0};
    int k = 0, digits = 0;
    if (!v || (v[0] != 'v' && v[0] != 'V') || strlen(v) > 32) {
        return -1;
    }
    for (const char *p = v + 1;; p++) {
        if (*p >= '0' && *p <= '9') {
            fields[k] = fields[k] * 10 + (*p - '0');
            if (++digits > 3 || fields[k] > 255) {
                return -1;
            }
        } else if ((*p == '.' || *p == '\0') && digits > 0) {
            if (*p == '\0') {
                break;
            }
            if (++k > 2) {
                return -1;
            }
            digits = 0;
        } else {
            return -1;
        }
    }
    if (k != 2) {
        return -1;
    }
    return (fields[0] << 16) | (fields[1] << 8) | fields[2];
}

/* ---- the device ------------------------------------------------------------ */

const struct ota_partition *ota_running_partition(const struct ota_flash *f, const struct ota_ptable *t)
{
    const struct ota_partition *slots[16];
    unsigned count = ota_boot_ota_slots(t, slots);
    const struct ota_partition *od_part = ota_pt_find(t, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    const struct ota_partition *factory = ota_pt_find(t, OTA_PT_TYPE_APP, OTA_PT_APP_FACTORY);
    struct ota_otadata od;
    if (od_part && count && ota_otadata_read(f, od_part, &od) == OTA_OK) {
        int slot = ota_otadata_boot_slot(&od, count);
        if (slot >= 0 && slots[slot]) {
            return slots[slot];
        }
    }
    return factory ? factory : slots[0];
}

/* esp_ota_get_next_update_partition: the OTA slot after the running one. */
static const struct ota_partition *next_update_partition(const struct ota_ptable *t,
                                                         const struct ota_partition *running)
{
    const struct ota_partition *slots[16];
    if (ota_boot_ota_slots(t, slots) == 0) {
        return NULL;
    }
    unsigned start = (running && ota_pt_is_ota_app(running)) ? (running->subtype & 0xFu) + 1u : 0u;
    for (unsigned k = 0; k < 16; k++) {
        const struct ota_partition *p = slots[(start + k) % 16];
        if (p && p != running) {
            return p;
        }
    }
    return NULL;
}

/* ---- the item's stream ------------------------------------------------------ */

static void close_stream(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    if (w->stream) {
        svc->cfg.transport->close(svc->cfg.transport->ctx, w->stream);
        w->stream = NULL;
    }
}

/* Open the item's URI from `offset` (If-Range with the validator we hold). */
static int open_at(struct ota_service *svc, struct ota_item *item, uint64_t offset)
{
    struct ota_item_work *w = &svc->work;
    const char *if_range = offset && w->validator[0] ? w->validator : NULL;
    if (offset && !if_range) {
        offset = 0;  /* without a validator a range could splice two versions */
    }
    w->buffered = 0;
    w->stream_done = false;
    int err = svc->cfg.transport->open(svc->cfg.transport->ctx, item->uri, item->cert_pem, offset, if_range,
                                       &w->stream, &w->info);
    if (err) {
        w->stream = NULL;
        OTA_LOGE(TAG_DEF, "cannot open %s: %s", item->uri, ota_strerror(err));
        return err;
    }
    w->stream_pos = w->info.offset;
    return OTA_OK;
}

/* The journal records an unfinished transfer of this same source (URI),
 * with bytes already durable in flash (and page 0 stashed, if held back). */
static bool journal_speaks_for_source(const struct ota_item_work *w)
{
    return w->journaled && w->journal.state == OTA_JOURNAL_WRITING && w->journal.durable > 0 &&
           memcmp(w->journal.source_id, w->source_id, sizeof(w->source_id)) == 0 &&
           (!w->hold_first_page || w->journal.has_page0);
}

static int open_first(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    const char *scheme;
    int err = ota_uri_scheme(item->uri, &scheme);
    if (err) {
        OTA_LOGE(TAG_DEF, "URI '%s': %s", item->uri ? item->uri : "(null)", ota_strerror(err));
        return err;
    }
    if (strcmp(scheme, "http") == 0) {
        if (!svc->cfg.allow_plain_http) {
            OTA_LOGE(TAG_DEF, "%s: plain http is forbidden by configuration", item->uri);
            return OTA_ERR_INSECURE;
        }
        OTA_LOGW(TAG_DEF, "%s: plain http, the transfer is not authenticated", item->uri);
    }
    /* A journal that speaks of an unfinished transfer of this same source:
     * ask for the rest only (If-Range guards against a changed source). */
    uint64_t offset = 0;
    if (journal_speaks_for_source(w) && w->journal.validator[0]) {
        memcpy(w->validator, w->journal.validator, sizeof(w->validator));
        offset = w->journal.durable;
    }
    if ((err = open_at(svc, item, offset))) {
        return err;
    }
    w->total = w->info.total_length;
    if (offset && (w->info.offset != offset || (int64_t)w->journal.length != w->total ||
                   strcmp(w->info.validator, w->journal.validator) != 0)) {
        OTA_LOGW(TAG_DEF, "%s: the source does not continue the interrupted transfer (%s): starting over",
                 item->uri, w->info.offset != offset ? "no range" : "changed");
    }
    memcpy(w->validator, w->info.validator, sizeof(w->validator));
    return OTA_OK;
}

/* Read into dst; returns bytes (> 0), 0 at a complete end, or an error. */
static int read_stream(struct ota_service *svc, void *dst, uint32_t len)
{
    struct ota_item_work *w = &svc->work;
    if (w->stream_done) {
        return 0;
    }
    int n = svc->cfg.transport->read(svc->cfg.transport->ctx, w->stream, dst, len);
    if (n == 0) {
        w->stream_done = true;
    }
    return n;
}

/* The image's bytes [off, off+n) as they stand: page 0 from RAM (or the
 * journal's stash) while it is held back, the rest from flash. */
static int read_image(struct ota_service *svc, uint32_t off, uint8_t *dst, uint32_t n)
{
    struct ota_item_work *w = &svc->work;
    while (n && w->hold_first_page && off < OTA_FLASH_PAGE_SIZE) {
        *dst++ = w->first_page[off++];
        n--;
    }
    return n ? ota_flash_read(svc->cfg.flash, w->part->offset + off, dst, n) : OTA_OK;
}

int ota_item_peek(struct ota_service *svc, uint32_t n)
{
    struct ota_item_work *w = &svc->work;
    if (n > sizeof(w->buf)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (w->stream_pos == w->written && w->written >= n && w->buffered == 0) {
        /* resumed past these bytes: they are in flash, not in the stream */
        return read_image(svc, 0, w->buf, n);
    }
    while (w->buffered < n) {
        int got = read_stream(svc, w->buf + w->buffered, n - w->buffered);
        if (got < 0) {
            return got;
        }
        if (got == 0) {
            return OTA_ERR_SHORT_READ;
        }
        w->buffered += (uint32_t)got;
    }
    return OTA_OK;
}

int ota_item_read(struct ota_service *svc, void *buf, uint32_t len)
{
    struct ota_item_work *w = &svc->work;
    int n;
    if (w->buffered && buf == w->buf) {
        /* reading into the work buffer: the peeked bytes are already there */
        n = (int)w->buffered;
        w->buffered = 0;
    } else if (w->buffered) {
        n = (int)(w->buffered < len ? w->buffered : len);
        memcpy(buf, w->buf, (size_t)n);
        memmove(w->buf, w->buf + n, w->buffered - (uint32_t)n);
        w->buffered -= (uint32_t)n;
    } else {
        n = read_stream(svc, buf, len);
    }
    if (n > 0) {
        w->stream_pos += (uint32_t)n;
    }
    return n;
}

/* ---- writing ------------------------------------------------------------------- */

/* Journal what is durable: the held page 0 once known, and every whole
 * sector as it is completed. */
static int journal_progress(struct ota_service *svc, uint32_t before)
{
    struct ota_item_work *w = &svc->work;
    int err;
    if (!w->journaled) {
        return OTA_OK;
    }
    if (w->hold_first_page && w->written >= OTA_FLASH_PAGE_SIZE && !w->journal.has_page0 &&
        (err = ota_journal_stash_page0(svc->cfg.flash, w->part, &w->journal, w->first_page))) {
        return err;
    }
    uint32_t done = w->written & ~(OTA_FLASH_SECTOR_SIZE - 1);
    if (done > before && done > w->journal.durable) {
        return ota_journal_progress(svc->cfg.flash, w->part, &w->journal, done);
    }
    return OTA_OK;
}

int ota_item_write(struct ota_service *svc, const void *data, uint32_t len)
{
    struct ota_item_work *w = &svc->work;
    const struct ota_partition *p = w->part;
    const uint8_t *src = data;
    uint32_t before = w->written;
    int err;
    if (!p) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t limit = w->limit ? w->limit : p->size;
    if (w->written > limit || len > limit - w->written) {
        return p->type == OTA_PT_TYPE_APP ? OTA_ERR_IMG_TOO_BIG : OTA_ERR_DATA_TOO_BIG;
    }
    if (w->hold_first_page && w->written < OTA_FLASH_PAGE_SIZE) {
        /* Page 0 is programmed last: until then the partition's first bytes
         * (a tone header's tag) read as erased, never as a valid header. */
        uint32_t k = OTA_FLASH_PAGE_SIZE - w->written < len ? OTA_FLASH_PAGE_SIZE - w->written : len;
        memcpy(w->first_page + w->written, src, k);
        w->written += k;
        src += k;
        len -= k;
    }
    /* Erase just ahead of the writes: never the whole partition up front,
     * never a sector the data does not reach. A 64 KiB block erase (about
     * as slow as 3 sector erases, for 16 sectors) when the announced length
     * fills the whole aligned block. */
    while (len && w->erased < w->written + len) {
        uint32_t unit = OTA_FLASH_SECTOR_SIZE;
        if ((p->offset + w->erased) % OTA_FLASH_BLOCK_SIZE == 0 && w->total != OTA_LENGTH_UNKNOWN &&
            (uint64_t)w->erased + OTA_FLASH_BLOCK_SIZE <= (uint64_t)w->total &&
            (uint64_t)w->erased + OTA_FLASH_BLOCK_SIZE <= limit) {
            unit = OTA_FLASH_BLOCK_SIZE;
        }
        if (p->size - w->erased < unit) {
            return OTA_ERR_ALIGN;
        }
        if ((err = ota_flash_erase(svc->cfg.flash, p->offset + w->erased, unit))) {
            return err;
        }
        w->erased += unit;
    }
    if (len && (err = ota_flash_program(svc->cfg.flash, p->offset + w->written, src, len))) {
        return err;
    }
    w->written += len;
    return journal_progress(svc, before);
}

static void report_progress(struct ota_service *svc)
{
    if (svc->cfg.on_progress) {
        svc->cfg.on_progress(svc->cfg.cb_ctx, svc->current, svc->work.written, svc->work.total);
    }
}

typedef int (*inspect_fn)(struct ota_service *svc, const uint8_t *p, uint32_t n);

/* Restart the item from nothing: state, journal record, and the hooks the
 * procedure needs (`fresh`), then the stream from byte 0. */
static int start_over(struct ota_service *svc, struct ota_item *item, int (*fresh)(struct ota_service *svc))
{
    struct ota_item_work *w = &svc->work;
    close_stream(svc);
    w->written = w->fed = w->erased = 0;
    w->journal.durable = 0;
    w->journal.state = OTA_JOURNAL_NONE;  /* a new record follows */
    int err = fresh(svc);
    if (!err) {
        w->validator[0] = '\0';
        err = open_at(svc, item, 0);
        if (!err) {
            w->total = w->info.total_length;
            memcpy(w->validator, w->info.validator, sizeof(w->validator));
        }
    }
    return err;
}

static bool retryable(int err)
{
    return err == OTA_ERR_SHORT_READ || err == OTA_ERR_TIMEOUT || err == OTA_ERR_STREAM ||
           err == OTA_ERR_CONNECT || err == OTA_ERR_RESOLVE;
}

/* After a dropped transfer: wait, reconnect from what is in flash. */
static int reconnect(struct ota_service *svc, struct ota_item *item, int cause)
{
    struct ota_item_work *w = &svc->work;
    unsigned max = svc->cfg.max_retries ? svc->cfg.max_retries : 4;
    unsigned wait = svc->cfg.retry_backoff_ms ? svc->cfg.retry_backoff_ms : 250;
    int err = cause;
    while (!svc->cfg.no_retry && retryable(err) && w->retries < max) {
        unsigned ms = wait << w->retries;
        w->retries++;
        OTA_LOGW(TAG_DEF, "%s: %s at byte %u; reconnecting in %u ms (%u of %u), from byte %u", item->uri,
                 ota_strerror(err), (unsigned)w->written, ms, w->retries, max, (unsigned)w->written);
        close_stream(svc);
        if (svc->cfg.sleep_ms) {
            svc->cfg.sleep_ms(svc->cfg.cb_ctx, ms);
        }
        err = open_at(svc, item, w->written);
        if (!err) {
            w->resumed = true;
            if (w->info.total_length != w->total || strcmp(w->info.validator, w->validator) != 0) {
                return OTA_ERR_CANCELLED;  /* the source changed: the caller starts over */
            }
            return OTA_OK;
        }
    }
    return err;
}

/* Move the stream into the partition. A stream may start at 0 or anywhere
 * up to `written`: bytes already in flash are compared, not rewritten;
 * bytes not yet hashed go through `inspect` before they are written, so a
 * bad image stops before it reaches flash. */
static int stream_to_partition(struct ota_service *svc, struct ota_item *item, inspect_fn inspect,
                               int (*fresh)(struct ota_service *svc))
{
    struct ota_item_work *w = &svc->work;
    static uint8_t cmp[512];
    int err;
    for (;;) {
        uint64_t pos = w->stream_pos;
        int got = ota_item_read(svc, w->buf, sizeof(w->buf));
        if (got < 0) {
            OTA_LOGE(TAG_DEF, "reading %s at byte %llu: %s", item->uri, (unsigned long long)pos, ota_strerror(got));
            err = reconnect(svc, item, got);
            if (err == OTA_ERR_CANCELLED) {
                OTA_LOGW(TAG_DEF, "%s changed during the transfer: starting over", item->uri);
                err = start_over(svc, item, fresh);
            }
            if (err) {
                return err;
            }
            continue;
        }
        if (got == 0) {
            break;
        }
        const uint8_t *p = w->buf;
        uint32_t n = (uint32_t)got;
        /* already in flash: compare */
        while (n && pos < w->written) {
            uint32_t k = w->written - pos < n ? (uint32_t)(w->written - pos) : n;
            if (k > sizeof(cmp)) {
                k = sizeof(cmp);
            }
            if ((err = read_image(svc, (uint32_t)pos, cmp, k))) {
                return err;
            }
            if (memcmp(cmp, p, k) != 0) {
                OTA_LOGW(TAG_DEF, "%s: byte %llu differs from what is in flash: starting over", item->uri,
                         (unsigned long long)pos);
                if ((err = start_over(svc, item, fresh))) {
                    return err;
                }
                goto next_chunk;
            }
            if (pos + k > w->fed && inspect) {
                uint32_t skip = w->fed > pos ? (uint32_t)(w->fed - pos) : 0;
                if ((err = inspect(svc, p + skip, k - skip))) {
                    return err;
                }
            }
            if (pos + k > w->fed) {
                w->fed = (uint32_t)(pos + k);
            }
            pos += k;
            p += k;
            n -= k;
        }
        if (n) {
            if (inspect && (err = inspect(svc, p, n))) {
                return err;
            }
            w->fed = (uint32_t)(pos + n);
            if ((err = ota_item_write(svc, p, n))) {
                OTA_LOGE(TAG_DEF, "writing %s at 0x%x: %s", w->part->label,
                         (unsigned)(w->part->offset + w->written), ota_strerror(err));
                return err;
            }
        }
        report_progress(svc);
    next_chunk:;
    }
    if (w->total != OTA_LENGTH_UNKNOWN && (int64_t)w->written != w->total) {
        OTA_LOGE(TAG_DEF, "%s: %u bytes arrived, %lld announced", item->uri, (unsigned)w->written, (long long)w->total);
        return OTA_ERR_SHORT_READ;
    }
    return OTA_OK;
}

/* Feed the image's first `upto` bytes, as they stand in flash, to `inspect`:
 * the state a resumed transfer continues from. */
static int replay_from_flash(struct ota_service *svc, inspect_fn inspect, uint32_t upto)
{
    struct ota_item_work *w = &svc->work;
    static uint8_t chunk[512];
    for (uint32_t off = 0; off < upto;) {
        uint32_t n = upto - off < sizeof(chunk) ? upto - off : (uint32_t)sizeof(chunk);
        int err = read_image(svc, off, chunk, n);
        if (!err) {
            err = inspect(svc, chunk, n);
        }
        if (err) {
            return err;
        }
        off += n;
    }
    w->fed = upto;
    return OTA_OK;
}

/* Set up the journal of the item's partition (when it has room for one). */
static int load_journal(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    ota_sha256_ctx sha;
    uint8_t id[OTA_SHA256_LEN];
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, item->uri, strlen(item->uri));
    ota_sha256_finish(&sha, id);
    memcpy(w->source_id, id, sizeof(w->source_id));
    w->journaled = ota_journal_data_capacity(w->part) > 0;
    return w->journaled ? ota_journal_load(svc->cfg.flash, w->part, &w->journal) : OTA_OK;
}

/* Continue from the journal when the source is the one it was writing:
 * same URI, length and validator. The stream then starts at the durable
 * point (the source honoured the range) or at 0 (it did not: the bytes
 * already in flash are compared, not rewritten). */
static bool resuming_from_journal(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    return journal_speaks_for_source(w) && (w->info.offset == w->journal.durable || w->info.offset == 0) &&
           w->total == (int64_t)w->journal.length && strcmp(w->info.validator, w->journal.validator) == 0;
}

/* Log how a journal resume goes on. */
static void log_resume(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    if (w->stream_pos == w->written) {
        OTA_LOGI(TAG_DEF, "resuming the interrupted transfer at byte %u of %lld (journal)", (unsigned)w->written,
                 (long long)w->total);
    } else {
        OTA_LOGI(TAG_DEF, "the source sends from byte 0: comparing the first %u bytes with flash instead of "
                 "rewriting them", (unsigned)w->written);
    }
}

static int begin_journal(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    if (!w->journaled) {
        return OTA_OK;
    }
    uint32_t length = w->total == OTA_LENGTH_UNKNOWN ? 0xFFFFFFFFu : (uint32_t)w->total;
    return ota_journal_begin(svc->cfg.flash, w->part, &w->journal, length, w->source_id, w->validator);
}

/* ---- default app procedure -------------------------------------------------- */

static int app_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    const struct ota_partition *od_part = ota_pt_find(&svc->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    struct ota_otadata od;
    int err;

    if (od_part && ota_otadata_read(svc->cfg.flash, od_part, &od) == OTA_OK) {
        int active = ota_otadata_active(&od);
        if (active >= 0 && od.copy[active].state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGE(TAG_DEF, "the running app is on trial (PENDING_VERIFY): mark it valid before a new OTA");
            return OTA_ERR_PENDING_VERIFY;
        }
    }
    w->part = item->label ? ota_pt_find_label(&svc->table, item->label)
                          : next_update_partition(&svc->table, svc->running);
    if (!w->part || w->part->type != OTA_PT_TYPE_APP || w->part == svc->running) {
        OTA_LOGE(TAG_DEF, "no OTA app partition to write (label %s)", item->label ? item->label : "(next slot)");
        return item->label ? OTA_ERR_NOT_FOUND : OTA_ERR_NO_OTA_SLOT;
    }
    if (svc->running) {
        uint8_t raw[OTA_APP_DESC_LEN];
        if (ota_flash_read(svc->cfg.flash, svc->running->offset + OTA_APP_DESC_OFFSET, raw, sizeof(raw)) == OTA_OK) {
            ota_app_desc_decode(raw, &w->running_desc);
            w->has_running_desc = w->running_desc.magic == OTA_APP_DESC_MAGIC;
        }
    }
    if ((err = load_journal(svc, item))) {
        return err;
    }
    OTA_LOGI("esp_https_ota", "Starting OTA...");
    if ((err = open_first(svc, item))) {
        return err;
    }
    if (w->total != OTA_LENGTH_UNKNOWN && w->total > (int64_t)w->part->size) {
        OTA_LOGE(TAG_DEF, "image of %lld bytes does not fit partition %s (%u bytes): nothing written",
                 (long long)w->total, w->part->label, (unsigned)w->part->size);
        return OTA_ERR_IMG_TOO_BIG;
    }
    /* An image that needs the slot's last 8 KiB leaves no room for the
     * journal: it updates as safely (otadata changes only after it
     * verified), but cannot resume after a power cut. */
    if (w->journaled && (w->total == OTA_LENGTH_UNKNOWN || w->total > (int64_t)ota_journal_data_capacity(w->part))) {
        w->journaled = false;
    }
    if (resuming_from_journal(svc)) {
        w->written = w->erased = w->journal.durable;
        w->resumed = true;
        log_resume(svc);
    }
    OTA_LOGI("esp_https_ota", "Writing to partition subtype %u at offset 0x%x", w->part->subtype,
             (unsigned)w->part->offset);
    return OTA_OK;
}

static int app_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    struct ota_app_desc incoming;
    (void)item;
    int err = ota_item_peek(svc, OTA_APP_DESC_OFFSET + OTA_APP_DESC_LEN);
    if (err) {
        OTA_LOGE(TAG_DEF, "cannot read the incoming app descriptor: %s", ota_strerror(err));
        return err;
    }
    if (w->buf[0] != OTA_IMAGE_MAGIC) {
        OTA_LOGE(TAG_DEF, "incoming data is not an app image (first byte 0x%02x)", w->buf[0]);
        return OTA_ERR_IMG_MAGIC;
    }
    ota_app_desc_decode(w->buf + OTA_APP_DESC_OFFSET, &incoming);
    if (incoming.magic != OTA_APP_DESC_MAGIC) {
        OTA_LOGE(TAG_DEF, "incoming app descriptor magic 0x%08x is wrong", (unsigned)incoming.magic);
        return OTA_ERR_IMG_DESC;
    }
    OTA_LOGI(TAG_DEF, "Running firmware version: %s, the incoming firmware version %s",
             w->has_running_desc ? w->running_desc.version : "(none)", incoming.version);
    if (incoming.secure_version < svc->cfg.secure_version) {
        OTA_LOGE(TAG_DEF, "incoming secure_version %u is below the device's anti-rollback counter %u: refused",
                 (unsigned)incoming.secure_version, (unsigned)svc->cfg.secure_version);
        return OTA_ERR_SECURE_VERSION;
    }
    if (!svc->cfg.force_version_check) {
        return OTA_OK;
    }
    int32_t in_v = ota_version_parse(incoming.version);
    int32_t run_v = w->has_running_desc ? ota_version_parse(w->running_desc.version) : -1;
    if (in_v < 0) {
        OTA_LOGE(TAG_DEF, "incoming version '%s' is not vA.B.C", incoming.version);
        return OTA_ERR_VERSION_FORMAT;
    }
    if (in_v <= run_v) {
        OTA_LOGW(TAG_DEF, "incoming version %s is not higher than the running %s: no upgrade", incoming.version,
                 w->running_desc.version);
        return OTA_ERR_NOT_NEWER;
    }
    return OTA_OK;
}

static int app_inspect(struct ota_service *svc, const uint8_t *p, uint32_t n)
{
    int err = ota_image_verify_feed(&svc->work.verifier, p, n);
    if (err) {
        OTA_LOGE(TAG_DEF, "incoming image refused at byte %u: %s", (unsigned)svc->work.fed, ota_strerror(err));
    }
    return err;
}

static struct ota_image_opts app_opts(struct ota_service *svc)
{
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = svc->cfg.chip_id;
    o.chip_rev = svc->cfg.chip_rev;
    o.check_mapping = true;
    o.flash_offset = svc->work.part->offset;
    o.max_len = svc->work.journaled ? ota_journal_data_capacity(svc->work.part) : svc->work.part->size;
    return o;
}

static int app_fresh(struct ota_service *svc)
{
    struct ota_image_opts o = app_opts(svc);
    ota_image_verify_init(&svc->work.verifier, &o);
    return begin_journal(svc);
}

static int app_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    struct ota_image_opts o = app_opts(svc);
    struct ota_image_info info;
    struct ota_otadata od;
    const struct ota_partition *slots[16];
    int err;

    w->limit = (uint32_t)o.max_len;
    if (w->written) {
        /* resumed: rebuild the verifier from what is in flash (or, when the
         * stream starts over at 0, from the stream as it is compared) */
        ota_image_verify_init(&w->verifier, &o);
        if (w->stream_pos == w->written && (err = replay_from_flash(svc, app_inspect, w->written))) {
            return err;
        }
    } else if ((err = app_fresh(svc))) {
        return err;
    }
    if ((err = stream_to_partition(svc, item, app_inspect, app_fresh))) {
        return err;
    }
    OTA_LOGI(TAG_DEF, "Image bytes read: %u", (unsigned)w->written);
    err = ota_image_verify_finish(&w->verifier, &info);
    if (!err) {
        /* What counts is what is in flash: verify it there before the switch. */
        err = ota_image_verify_partition(svc->cfg.flash, w->part, &o, &info);
    }
    if (err) {
        OTA_LOGE(TAG_DEF, "image in %s does not verify: %s", w->part->label, ota_strerror(err));
        if (w->journaled) {
            /* never resume onto this content again */
            w->written = 0;
            w->total = OTA_LENGTH_UNKNOWN;
            (void)begin_journal(svc);
        }
        return err;
    }
    ota_image_log_segments(w->part, &info);
    if (svc->cfg.trusted_key_digest) {
        /* Secure Boot V2: the signature, checked in flash, before the switch. */
        struct ota_sig_result sig;
        err = ota_sig_verify_partition(svc->cfg.flash, w->part, info.image_len, svc->cfg.trusted_key_digest, &sig);
        if (err) {
            OTA_LOGE(TAG_DEF, "image in %s: %s: not activated", w->part->label, ota_strerror(err));
            return err;
        }
        OTA_LOGI(TAG_DEF, "signature verified (%s, trusted key)",
                 sig.block.version == OTA_SIG_VERSION_RSA ? "RSA-3072-PSS" : "ECDSA P-256");
    }
    if (w->journaled && (err = ota_journal_set_state(svc->cfg.flash, w->part, &w->journal, OTA_JOURNAL_COMPLETE))) {
        return err;
    }
    const struct ota_partition *od_part = ota_pt_find(&svc->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    unsigned count = ota_boot_ota_slots(&svc->table, slots);
    if (!od_part) {
        return OTA_ERR_NOT_FOUND;
    }
    if ((err = ota_otadata_read(svc->cfg.flash, od_part, &od)) ||
        (err = ota_otadata_select(svc->cfg.flash, od_part, &od, w->part->subtype & 0xFu, count, svc->cfg.rollback))) {
        OTA_LOGE(TAG_DEF, "setting the boot partition: %s", ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG_DEF, "boot partition set to %s (%s %s)", w->part->label, info.desc.project_name, info.desc.version);
    return OTA_OK;
}

/* ---- default data procedure --------------------------------------------------- */

static int data_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    int err;
    OTA_LOGI(TAG_DEF, "data upgrade uri %s", item->uri ? item->uri : "(null)");
    w->part = item->label ? ota_pt_find_label(&svc->table, item->label) : NULL;
    if (!w->part || w->part->type == OTA_PT_TYPE_APP) {
        OTA_LOGE(TAG_DEF, "no data partition labelled '%s'", item->label ? item->label : "(none)");
        return OTA_ERR_NOT_FOUND;
    }
    w->limit = ota_journal_data_capacity(w->part);
    if (w->limit == 0) {
        OTA_LOGE(TAG_DEF, "partition %s (%u bytes) is too small for a power-safe update (its last %u bytes "
                 "hold the update journal)", w->part->label, (unsigned)w->part->size, OTA_JOURNAL_LEN);
        return OTA_ERR_DATA_TOO_BIG;
    }
    w->hold_first_page = true;
    if ((err = load_journal(svc, item)) || (err = open_first(svc, item))) {
        return err;
    }
    if (w->total != OTA_LENGTH_UNKNOWN && w->total > (int64_t)w->limit) {
        OTA_LOGE(TAG_DEF, "data of %lld bytes does not fit partition %s (%u bytes usable, the last %u hold the "
                 "update journal): nothing written", (long long)w->total, w->part->label, (unsigned)w->limit,
                 OTA_JOURNAL_LEN);
        return OTA_ERR_DATA_TOO_BIG;
    }
    if (resuming_from_journal(svc)) {
        memcpy(w->first_page, w->journal.page0, sizeof(w->first_page));
        w->written = w->erased = w->journal.durable;
        w->resumed = true;
        log_resume(svc);
    }
    return OTA_OK;
}

static int data_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    (void)svc;
    (void)item;
    return OTA_OK;
}

static int data_inspect(struct ota_service *svc, const uint8_t *p, uint32_t n)
{
    ota_sha256_update(&svc->work.sha, p, n);
    return OTA_OK;
}

/* A fresh start of a data update: journal WRITING before the first byte of
 * the partition changes, then sector 0 erased so the old header is gone. */
static int data_fresh(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    int err;
    ota_sha256_init(&w->sha);
    memset(w->first_page, 0xFF, sizeof(w->first_page));
    if ((err = begin_journal(svc))) {
        return err;
    }
    if ((err = ota_flash_erase(svc->cfg.flash, w->part->offset, OTA_FLASH_SECTOR_SIZE))) {
        return err;
    }
    w->erased = OTA_FLASH_SECTOR_SIZE;
    return OTA_OK;
}

/* Read back [0, written) of the partition and compare with the stream's hash. */
static int verify_written(struct ota_service *svc, const uint8_t want[OTA_SHA256_LEN])
{
    struct ota_item_work *w = &svc->work;
    ota_sha256_ctx sha;
    uint8_t got[OTA_SHA256_LEN];
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < w->written;) {
        uint32_t n = w->written - off < sizeof(w->buf) ? w->written - off : (uint32_t)sizeof(w->buf);
        int err = ota_flash_read(svc->cfg.flash, w->part->offset + off, w->buf, n);
        if (err) {
            return err;
        }
        ota_sha256_update(&sha, w->buf, n);
        off += n;
    }
    ota_sha256_finish(&sha, got);
    return memcmp(got, want, OTA_SHA256_LEN) == 0 ? OTA_OK : OTA_ERR_IO;
}

/* The power-safe data update (docs/data-partition-safety.md):
 *   1. journal: WRITING          (before the first byte of the partition changes)
 *   2. erase sector 0            (the old header is gone: the content reads as invalid)
 *   3. stream the data, holding page 0 back (stashed in the journal); hash every
 *      byte; journal each completed sector (resume point)
 *   4. program page 0
 *   5. read everything back and compare hashes
 *   6. journal: COMPLETE         (one bit: the only step that declares the content whole) */
static int data_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    uint8_t digest[OTA_SHA256_LEN];
    int err;

    if (w->written) {
        ota_sha256_init(&w->sha);
        if (w->stream_pos == w->written && (err = replay_from_flash(svc, data_inspect, w->written))) {
            return err;
        }
    } else if ((err = data_fresh(svc))) {
        return err;
    }
    if ((err = stream_to_partition(svc, item, data_inspect, data_fresh))) {
        return err;
    }
    uint32_t head = w->written < OTA_FLASH_PAGE_SIZE ? w->written : OTA_FLASH_PAGE_SIZE;
    w->hold_first_page = false;
    if ((err = ota_flash_program(svc->cfg.flash, w->part->offset, w->first_page, head))) {
        return err;
    }
    ota_sha256_finish(&w->sha, digest);
    if ((err = verify_written(svc, digest))) {
        OTA_LOGE(TAG_DEF, "partition %s does not read back as written: %s", w->part->label, ota_strerror(err));
        return err;
    }
    if ((err = ota_journal_set_state(svc->cfg.flash, w->part, &w->journal, OTA_JOURNAL_COMPLETE))) {
        return err;
    }
    OTA_LOGI(TAG_DEF, "partition %s upgrade successes (%u bytes, verified, committed)", item->label,
             (unsigned)w->written);
    return OTA_OK;
}

static int default_finished_check(struct ota_service *svc, struct ota_item *item, int err)
{
    (void)svc;
    (void)item;
    return err;  /* the original returned success here, whatever happened */
}

struct ota_item_ops ota_default_ops(enum ota_item_type type)
{
    struct ota_item_ops ops;
    if (type == OTA_ITEM_APP) {
        ops.prepare = app_prepare;
        ops.need_upgrade = app_need_upgrade;
        ops.execute = app_execute;
    } else {
        ops.prepare = data_prepare;
        ops.need_upgrade = data_need_upgrade;
        ops.execute = data_execute;
    }
    ops.finished_check = default_finished_check;
    return ops;
}

/* ---- the engine ------------------------------------------------------------------ */

int ota_service_init(struct ota_service *svc, const struct ota_service_config *cfg)
{
    struct ota_pt_diag diag;
    int err;
    if (!svc || !cfg || !cfg->flash || !cfg->transport || !cfg->transport->open || !cfg->transport->read ||
        !cfg->transport->close) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(svc, 0, sizeof(*svc));
    svc->cfg = *cfg;
    if ((err = ota_pt_load(cfg->flash, &svc->table, &diag))) {
        OTA_LOGE(TAG, "partition table: row %u: %s", diag.line, ota_strerror(err));
        return err;
    }
    svc->running = ota_running_partition(cfg->flash, &svc->table);
    return OTA_OK;
}

int ota_service_set_upgrade_list(struct ota_service *svc, struct ota_item *items, unsigned count)
{
    if (!svc || (count && !items)) {
        return OTA_ERR_INVALID_ARG;
    }
    svc->items = items;
    svc->count = count;
    return OTA_OK;
}

static void emit(struct ota_service *svc, const struct ota_event *ev)
{
    if (svc->cfg.on_event) {
        svc->cfg.on_event(svc->cfg.cb_ctx, ev);
    }
}

static int run_item(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_ops def = ota_default_ops(item->type);
    struct ota_item_ops ops = item->ops;
    int err;
    if (!ops.prepare) ops.prepare = def.prepare;
    if (!ops.need_upgrade) ops.need_upgrade = def.need_upgrade;
    if (!ops.execute) ops.execute = def.execute;
    if (!ops.finished_check) ops.finished_check = def.finished_check;

    memset(&svc->work, 0, sizeof(svc->work));
    err = ops.prepare(svc, item);
    if (!err) {
        err = ops.need_upgrade(svc, item);
    }
    if (!err) {
        err = ops.execute(svc, item);
    }
    err = ops.finished_check(svc, item, err);
    close_stream(svc);
    return err;
}

int ota_service_start(struct ota_service *svc, bool *reboot)
{
    bool want_reboot = false;
    int last_err = OTA_OK;
    if (!svc) {
        return OTA_ERR_INVALID_ARG;
    }
    for (svc->current = 0; svc->current < svc->count; svc->current++) {
        struct ota_item *item = &svc->items[svc->current];
        int err = run_item(svc, item);
        struct ota_event ev = {OTA_EVENT_RESULT, svc->current, ota_result_from_err(err), err, false};
        emit(svc, &ev);
        if (err) {
            last_err = err;
            if (item->break_after_fail) {
                OTA_LOGW(TAG, "list id %u failed and has break_after_fail: the rest of the list is skipped",
                         svc->current);
                break;
            }
        } else if (item->reboot_flag) {
            want_reboot = true;
        }
    }
    struct ota_event fin = {OTA_EVENT_FINISH, svc->count, OTA_RESULT_SUCCESS, last_err, want_reboot};
    OTA_LOGW(TAG, "OTA_END!");
    emit(svc, &fin);
    if (reboot) {
        *reboot = want_reboot;
    }
    return last_err;
}
