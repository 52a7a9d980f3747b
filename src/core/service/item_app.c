/* The default app procedure: a client of the push-style app update. */
#include <string.h>

#include "../bytes.h"
#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"

#define TAG ota_tag_default

static int app_seek(struct ota_item_work *w, uint64_t off)
{
    return ota_app_seek(&w->up.app, off);
}

static int app_write(struct ota_item_work *w, const void *p, size_t n)
{
    return ota_app_write(&w->up.app, p, n);
}

static int app_set_source(struct ota_item_work *w, int64_t total, const char *validator)
{
    return ota_app_set_source(&w->up.app, total, validator);
}

static uint32_t app_written(const struct ota_item_work *w)
{
    return ota_app_written(&w->up.app);
}

const struct item_sink ota_item_app_sink = {app_seek, app_write, app_set_source, app_written};
#define APP_SINK ota_item_app_sink

int ota_item_app_begin(struct ota_service *svc, const struct ota_app_options *opt)
{
    struct ota_item_work *w = &svc->work;
    int err = ota_app_begin(&w->up.app, &svc->dev, opt);
    w->part = w->up.app.pw.part;
    w->writer = &w->up.app.pw;
    return err;
}

static int begin_writer(struct ota_service *svc, struct ota_item *item, bool journal, int64_t len)
{
    struct ota_item_work *w = &svc->work;
    struct ota_app_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.image_len = len;
    opt.check_version = svc->cfg.force_version_check;
    opt.source_id = journal ? w->source_id : NULL;
    if (item->label && !(opt.target = ota_pt_find_label(&svc->dev.table, item->label))) {
        OTA_LOGE(TAG, "no partition labelled '%s'", item->label);
        return OTA_ERR_NOT_FOUND;
    }
    int err = ota_item_app_begin(svc, &opt);
    if (journal && w->patch) {
        /* An encrypted patch or compressed image is told only once decrypted,
         * in the writer: it gets the patch work area, free unless the item is
         * a plain patch (whose applier then feeds this writer, no journal). */
        ota_app_apply_decrypted(&w->up.app, &w->patch->delta);
    }
    return err;
}

/* The item's bytes are a patch: the base is checked before anything is
 * written, then the writer starts again without a journal (the applier's
 * state cannot survive a power cut: a rerun starts from patch byte 0). */
static int prepare_patch(struct ota_service *svc, struct ota_item *item)
{
    struct ota_image_info base;
    struct ota_delta_header hdr;
    int err = ota_item_patch_check_base(svc, item, &base, &hdr);
    if (err) {
        return err;
    }
    int64_t len = hdr.new_size ? (int64_t)hdr.new_size : OTA_LENGTH_UNKNOWN;
    if (hdr.new_size > svc->work.part->size) {
        OTA_LOGE(TAG, "%s: a %u-byte image does not fit %s", ota_item_uri(svc, item), (unsigned)hdr.new_size,
                 svc->work.part->label);
        return OTA_ERR_DELTA_OUTPUT_BOUND;
    }
    bool resumable = ota_item_patch_resumable(&hdr);
    ota_app_abort(&svc->work.up.app);
    if ((err = begin_writer(svc, item, resumable, len))) {
        return err;
    }
    ota_item_patch_setup(svc, &base, len, 0, OTA_OK);
    if (resumable) {
        ota_item_patch_journal(svc, &hdr, base.hash_stored);
    }
    return ota_item_attach(svc, item, &ota_item_patch_sink);
}

static int app_prepare(struct ota_service *svc, struct ota_item *item);

/* The source continues a compressed image or compact patch at the
 * journal's checkpoint: the decoder resumes there, the header is not read
 * again (the record, bound to this URI and validator, holds its identity;
 * a compact patch's names the base, which must still be the running app). */
static int prepare_patch_resume(struct ota_service *svc, struct ota_item *item, uint32_t in_off, uint32_t out_off)
{
    struct ota_image_info base;
    uint8_t id[OTA_JOURNAL_DECODER_ID_LEN];
    int err = ota_item_checkpoint_id(svc, in_off, out_off, id, &base);
    uint32_t len = get_le32(id);
    ota_item_patch_setup(svc, &base, 0, 0, OTA_OK);
    if (err) {
        return (err = ota_item_checkpoint_refused(svc, item, err)) ? err : app_prepare(svc, item);
    }
    ota_app_abort(&svc->work.up.app);
    if ((err = begin_writer(svc, item, true, len))) {
        return err;
    }
    svc->work.patch->new_len = len;
    return ota_item_patch_resume_at(svc, item, ota_item_uri(svc, item), id, in_off, out_off);
}

static bool wants_fallback(int err)
{
    return err == OTA_ERR_DELTA_BASE || err == OTA_ERR_DELTA_UNSUPPORTED;
}

/* A patch this device cannot use, or none at the URI: the item's full image
 * instead. */
static int prepare_fallback(struct ota_service *svc, struct ota_item *item, int why)
{
    struct ota_item_work *w = &svc->work;
    OTA_LOGW(TAG, "%s: %s: taking the full image %s", ota_item_uri(svc, item), ota_strerror(why),
             item->fallback_uri);
    ota_app_abort(&w->up.app);
    ota_item_close(svc);
    memset(&w->up, 0, sizeof(w->up));
    if (w->patch) {
        w->patch->active = false;
    }
    w->uri = item->fallback_uri;
    w->fell_back = true;
    w->buffered = 0;
    ota_source_id(item->fallback_uri, w->source_id);
    return app_prepare(svc, item);
}

static int app_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    uint32_t offset = 0;
    bool patch = false;
    int err = begin_writer(svc, item, true, OTA_LENGTH_UNKNOWN);
    if (err) {
        return err;
    }
    OTA_LOGI("esp_https_ota", "Starting OTA...");
    const char *validator = w->patch ? ota_pw_checkpoint_hint(&w->up.app.pw) : NULL;
    uint32_t cp_in = w->up.app.pw.journal.cp_in, cp_out = w->up.app.pw.journal.cp_out;
    bool at_checkpoint = validator != NULL;
    if (at_checkpoint) {
        offset = cp_in;  /* a compressed image's or compact patch's: its input offset */
    } else {
        validator = ota_app_resume_hint(&w->up.app, &offset);
    }
    err = ota_item_open_first(svc, item, validator ? offset : 0, validator);
    if (ota_item_missing(err) && item->fallback_uri && !w->fell_back) {
        return prepare_fallback(svc, item, err);  /* e.g. no patch was published for this release */
    }
    if (err) {
        return err;
    }
    if (at_checkpoint && w->stream_pos == cp_in) {
        return prepare_patch_resume(svc, item, cp_in, cp_out);
    }
    /* Else a journal's resumed range is of a full image. */
    if (w->stream_pos == 0 && (err = ota_item_patch_detect(svc, &patch))) {
        return err;
    }
    if (patch) {
        err = prepare_patch(svc, item);
        if (wants_fallback(err) && item->fallback_uri && !w->fell_back) {
            return prepare_fallback(svc, item, err);
        }
        return err;
    }
    if ((err = ota_item_attach(svc, item, &APP_SINK))) {
        return err;
    }
    OTA_LOGI("esp_https_ota", "Writing to partition subtype %u at offset 0x%x", w->part->subtype,
             (unsigned)w->part->offset);
    return OTA_OK;
}

int ota_item_app_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    struct ota_app_desc incoming;
    (void)item;
    if (w->patch && w->patch->active) {
        return OTA_OK;  /* the applier's output meets the same checks before its first write */
    }
    int err = ota_item_peek(svc, OTA_APP_HEAD_LEN);
    if (err) {
        OTA_LOGE(TAG, "cannot read the incoming app descriptor: %s", ota_strerror(err));
        return err;
    }
#ifndef OTA_NO_DECRYPT
    if (w->buf[0] == OTA_ESP_ENC_MAGIC0 || w->buf[0] == OTA_CHUNKED_MAGIC0) {
        return OTA_OK;  /* encrypted: the writer checks the decrypted head before its first write */
    }
#endif
    ota_app_desc_decode(w->buf + OTA_APP_DESC_OFFSET, &incoming);
    if (w->buf[0] == OTA_IMAGE_MAGIC && incoming.magic == OTA_APP_DESC_MAGIC) {
        OTA_LOGI(TAG, "Running firmware version: %s, the incoming firmware version %s",
                 w->up.app.has_running_desc ? w->up.app.running_desc.version : "(none)", incoming.version);
    }
    return ota_app_check_head(&w->up.app, w->buf);
}

static int app_execute(struct ota_service *svc, struct ota_item *item);

/* An encrypted patch is told only once decrypted: one for another base (or
 * of a version the applier does not know) is found while streaming, before
 * the applier's first output, and takes the fallback as a plain one would. */
static int execute_fallback(struct ota_service *svc, struct ota_item *item, int why)
{
    int err = prepare_fallback(svc, item, why);
    if (!err) {
        err = ota_item_app_need_upgrade(svc, item);
    }
    return err ? err : app_execute(svc, item);
}

static int app_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    bool patch = w->patch && w->patch->active;
    int err = ota_item_pump(svc, item, patch ? &ota_item_patch_sink : &APP_SINK);
    if (!err && patch) {
        err = ota_item_patch_finish(svc, NULL);
    }
    if (wants_fallback(err) && !patch && item->fallback_uri && !w->fell_back) {
        return execute_fallback(svc, item, err);
    }
    if (err) {
        ota_app_abort(&w->up.app);
        return err;
    }
    if (patch) {
        OTA_LOGI(TAG, "Image bytes read: %u, made from %u patch bytes", (unsigned)ota_app_written(&w->up.app),
                 (unsigned)w->patch->bytes);
    } else {
        OTA_LOGI(TAG, "Image bytes read: %u", (unsigned)ota_app_written(&w->up.app));
    }
    return ota_item_app_activate(svc);
}

int ota_item_app_activate(struct ota_service *svc)
{
    struct ota_item_work *w = &svc->work;
    if (svc->cfg.may_activate && !svc->cfg.may_activate(svc->cfg.cb_ctx, svc->current)) {
        OTA_LOGW(TAG, "the app defers the activation: %s stays unselected", w->part->label);
        ota_app_abort(&w->up.app);
        return OTA_ERR_ACTIVATION_DEFERRED;
    }
    return ota_app_finish(&w->up.app, NULL);
}


void ota_item_app_ops(struct ota_item_ops *ops)
{
    ops->prepare = app_prepare;
    ops->need_upgrade = ota_item_app_need_upgrade;
    ops->execute = app_execute;
}
