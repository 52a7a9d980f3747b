/* An item's transfer: open, peek, read, reconnect with If-Range, start over. */
#include <string.h>

#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"

const char ota_tag_default[] = "OTA_DEFAULT";
#define TAG ota_tag_default

void ota_item_close(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    if (w->stream) {
        svc->cfg.transport->close(svc->cfg.transport->ctx, w->stream);
        w->stream = NULL;
    }
}

/* Open the item's URI from `offset` (If-Range: only when unchanged). */
static int open_at(struct ota_service *svc, struct ota_item *item, uint64_t offset, const char *if_range)
{
    struct ota_item_work *w = &svc->work;
    if (offset && !(if_range && if_range[0])) {
        offset = 0;  /* without a validator a range could splice two versions */
        if_range = NULL;
    }
    ota_item_close(svc);
    w->buffered = 0;
    w->stream_done = false;
    int err = svc->cfg.transport->open(svc->cfg.transport->ctx, ota_item_uri(svc, item), item->cert_pem, offset,
                                       offset ? if_range : NULL, &w->stream, &w->info);
    if (err == OTA_ERR_RANGE && offset) {
        /* 416: the server kept an old validator or ignores If-Range: all of it */
        OTA_LOGW(TAG, "%s: 416 for a range from byte %u: asking for all of it", ota_item_uri(svc, item),
                 (unsigned)offset);
        return open_at(svc, item, 0, NULL);
    }
    if (err) {
        w->stream = NULL;
        OTA_LOGE(TAG, "cannot open %s: %s", ota_item_uri(svc, item), ota_strerror(err));
        return err;
    }
    w->stream_pos = w->info.offset;
    return OTA_OK;
}

static int check_policy(struct ota_service *svc, struct ota_item *item)
{
    const char *scheme;
    const char *uri = ota_item_uri(svc, item);
    int err = ota_uri_scheme(uri, &scheme);
    if (err) {
        OTA_LOGE(TAG, "URI '%s': %s", uri ? uri : "(null)", ota_strerror(err));
        return err;
    }
    if (strcmp(scheme, "http") == 0) {
        if (!svc->cfg.allow_plain_http) {
            OTA_LOGE(TAG, "%s: plain http is forbidden by configuration", ota_item_uri(svc, item));
            return OTA_ERR_INSECURE;
        }
        OTA_LOGW(TAG, "%s: plain http, the transfer is not authenticated", ota_item_uri(svc, item));
    }
    return OTA_OK;
}

bool ota_item_missing(int err)
{
    return err == OTA_ERR_HTTP_STATUS || err == OTA_ERR_FILE_NOT_FOUND;
}

int ota_item_open_first(struct ota_service *svc, struct ota_item *item, uint32_t offset, const char *validator)
{
    struct ota_item_work *w = &svc->work;
    int err = check_policy(svc, item);
    if (err || (err = open_at(svc, item, offset, validator))) {
        return err;
    }
    w->total = w->info.total_length;
    memcpy(w->validator, w->info.validator, sizeof(w->validator));
    if (offset && w->info.offset != offset) {
        OTA_LOGW(TAG, "%s does not continue the interrupted transfer (%s)", ota_item_uri(svc, item),
                 w->info.offset ? "changed" : "no range");
    }
    return OTA_OK;
}

int ota_item_attach(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink)
{
    struct ota_item_work *w = &svc->work;
    int resumed = sink->set_source(w, w->total, w->validator);
    if (resumed < 0) {
        return resumed;
    }
    uint64_t start = w->stream_pos <= (uint64_t)resumed ? w->stream_pos : 0;
    if (start != w->stream_pos) {
        /* a range the writer cannot use (the journal did not match): from 0 */
        int err = open_at(svc, item, 0, NULL);
        if (err) {
            return err;
        }
    }
    if (resumed > 0) {
        w->resumed = true;
        if (start) {
            OTA_LOGI(TAG, "resuming the interrupted transfer at byte %u of %lld (journal)", (unsigned)resumed,
                     (long long)w->total);
        } else {
            OTA_LOGI(TAG, "from byte 0: comparing the first %u bytes with flash", (unsigned)resumed);
        }
    }
    return sink->seek(w, w->stream_pos);
}

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

int ota_item_peek(struct ota_service *svc, uint32_t n)
{
    struct ota_item_work *w = &svc->work;
    if (n > sizeof(w->buf)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (w->stream_pos >= n && w->buffered == 0 && w->writer) {
        /* resumed past these bytes: they are in flash, not in the stream */
        return ota_pw_read_image(w->writer, 0, w->buf, n);
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

bool ota_item_retryable(int err)
{
    return err == OTA_ERR_SHORT_READ || err == OTA_ERR_TIMEOUT || err == OTA_ERR_STREAM ||
           err == OTA_ERR_CONNECT || err == OTA_ERR_RESOLVE;
}

unsigned ota_item_max_retries(const struct ota_service_config *cfg)
{
    return cfg->no_retry ? 0 : cfg->max_retries ? cfg->max_retries : 4;
}

unsigned ota_item_backoff_ms(const struct ota_service_config *cfg, unsigned k)
{
    unsigned ms = cfg->retry_backoff_ms ? cfg->retry_backoff_ms : 250;
    for (unsigned i = 0; i < k && ms < OTA_RETRY_BACKOFF_MAX_MS; i++) {
        ms *= 2;
    }
    return ms < OTA_RETRY_BACKOFF_MAX_MS ? ms : OTA_RETRY_BACKOFF_MAX_MS;
}

/* Take the source from byte 0 again: a new length and validator. */
static int start_over(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink)
{
    struct ota_item_work *w = &svc->work;
    OTA_LOGW(TAG, "%s changed during the transfer: starting over", ota_item_uri(svc, item));
    int err = open_at(svc, item, 0, NULL);
    if (err) {
        return err;
    }
    w->total = w->info.total_length;
    memcpy(w->validator, w->info.validator, sizeof(w->validator));
    int resumed = sink->set_source(w, w->total, w->validator);
    return resumed < 0 ? resumed : sink->seek(w, 0);
}

/* After a dropped transfer: wait, reconnect from what is in flash. */
static int reconnect(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink, int cause)
{
    struct ota_item_work *w = &svc->work;
    unsigned max = ota_item_max_retries(&svc->cfg);
    int err = cause;
    while (ota_item_retryable(err) && w->retries < max) {
        unsigned ms = ota_item_backoff_ms(&svc->cfg, w->retries);
        uint32_t at = sink->written(w);
        w->retries++;
        OTA_LOGW(TAG, "%s: %s at byte %u; reconnecting in %u ms (%u of %u)",
                 ota_item_uri(svc, item), ota_strerror(err), (unsigned)at, ms, w->retries, max);
        ota_item_close(svc);
        if (svc->cfg.sleep_ms) {
            svc->cfg.sleep_ms(svc->cfg.cb_ctx, ms);
        }
        err = open_at(svc, item, at, w->validator);
        if (!err) {
            w->resumed = true;
            if (w->info.total_length != w->total || strcmp(w->info.validator, w->validator) != 0) {
                return start_over(svc, item, sink);
            }
            return sink->seek(w, w->stream_pos);
        }
    }
    return err;
}

static void report_progress(struct ota_service *svc, uint32_t done)
{
    if (svc->cfg.on_progress) {
        svc->cfg.on_progress(svc->cfg.cb_ctx, svc->current, done, svc->work.total);
    }
}

int ota_item_pump(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink)
{
    struct ota_item_work *w = &svc->work;
    int err;
    for (;;) {
        if (svc->cfg.cancel && svc->cfg.cancel(svc->cfg.cb_ctx, svc->current)) {
            OTA_LOGW(TAG, "%s: cancelled at byte %u", ota_item_uri(svc, item), (unsigned)sink->written(w));
            return OTA_ERR_CANCELLED;
        }
        uint64_t pos = w->stream_pos;
        int got = ota_item_read(svc, w->buf, sizeof(w->buf));
        if (got == 0) {
            return OTA_OK;
        }
        bool read_failed = got < 0;
        err = read_failed ? got : sink->write(w, w->buf, (uint32_t)got);
        if (!read_failed && err == OTA_ERR_SOURCE_CHANGED) {
            OTA_LOGW(TAG, "%s: a byte before %u differs from flash", ota_item_uri(svc, item),
                     (unsigned)w->stream_pos);
            err = start_over(svc, item, sink);
        } else if (err && (read_failed || (w->patch && w->patch->active))) {
            /* the source's error, or the applier's at a patch byte (not a flash address) */
            OTA_LOGE(TAG, "reading %s at byte %u: %s", ota_item_uri(svc, item), (unsigned)pos,
                     ota_strerror(err));
            err = read_failed ? reconnect(svc, item, sink, err) : err;
        } else if (err && w->part) {
            OTA_LOGE(TAG, "writing %s near 0x%x: %s", w->part->label,
                     (unsigned)(w->part->offset + sink->written(w)), ota_strerror(err));
        }
        if (!read_failed) {
            report_progress(svc, sink->written(w));
        }
        if (err) {
            return err;
        }
    }
}
