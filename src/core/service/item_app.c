/* The default app procedure: a client of the push-style app update. */
#include <string.h>

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

static const struct item_sink APP_SINK = {app_seek, app_write, app_set_source, app_written};

static int app_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    struct ota_app_options opt;
    uint32_t offset = 0;
    int err;
    memset(&opt, 0, sizeof(opt));
    opt.image_len = OTA_LENGTH_UNKNOWN;
    opt.check_version = svc->cfg.force_version_check;
    opt.source_id = w->source_id;
    if (item->label && !(opt.target = ota_pt_find_label(&svc->dev.table, item->label))) {
        OTA_LOGE(TAG, "no partition labelled '%s'", item->label);
        return OTA_ERR_NOT_FOUND;
    }
    if ((err = ota_app_begin(&w->up.app, &svc->dev, &opt))) {
        return err;
    }
    w->part = w->up.app.pw.part;
    w->writer = &w->up.app.pw;
    OTA_LOGI("esp_https_ota", "Starting OTA...");
    const char *validator = ota_app_resume_hint(&w->up.app, &offset);
    if ((err = ota_item_open_first(svc, item, validator ? offset : 0, validator)) ||
        (err = ota_item_attach(svc, item, &APP_SINK))) {
        return err;
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
    int err = ota_item_peek(svc, OTA_APP_HEAD_LEN);
    if (err) {
        OTA_LOGE(TAG, "cannot read the incoming app descriptor: %s", ota_strerror(err));
        return err;
    }
    ota_app_desc_decode(w->buf + OTA_APP_DESC_OFFSET, &incoming);
    if (w->buf[0] == OTA_IMAGE_MAGIC && incoming.magic == OTA_APP_DESC_MAGIC) {
        OTA_LOGI(TAG, "Running firmware version: %s, the incoming firmware version %s",
                 w->up.app.has_running_desc ? w->up.app.running_desc.version : "(none)", incoming.version);
    }
    return ota_app_check_head(&w->up.app, w->buf);
}

static int app_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    int err = ota_item_pump(svc, item, &APP_SINK);
    if (err) {
        ota_app_abort(&w->up.app);
        return err;
    }
    OTA_LOGI(TAG, "Image bytes read: %u", (unsigned)ota_app_written(&w->up.app));
    return ota_app_finish(&w->up.app, NULL);
}


void ota_item_app_ops(struct ota_item_ops *ops)
{
    ops->prepare = app_prepare;
    ops->need_upgrade = app_need_upgrade;
    ops->execute = app_execute;
}
