/* The default data procedure: a client of the power-safe data update. */
#include <string.h>

#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"

#define TAG ota_tag_default

static int data_seek(struct ota_item_work *w, uint64_t off)
{
    return ota_data_seek(&w->up.data, off);
}

static int data_write(struct ota_item_work *w, const void *p, size_t n)
{
    return ota_data_write(&w->up.data, p, n);
}

static int data_set_source(struct ota_item_work *w, int64_t total, const char *validator)
{
    return ota_data_set_source(&w->up.data, total, validator);
}

static uint32_t data_written(const struct ota_item_work *w)
{
    return ota_data_written(&w->up.data);
}

static const struct item_sink DATA_SINK = {data_seek, data_write, data_set_source, data_written};

/* The item's content check, called by the data update before its commit. */

static int run_content_check(void *ctx, const struct ota_flash *f, const struct ota_partition *part, uint32_t len)
{
    struct ota_service *svc = ctx;
    struct ota_item *item = &svc->items[svc->current];
    (void)f;
    return item->ops.check_content ? item->ops.check_content(svc, part, len) : OTA_OK;
}

static int data_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    struct ota_data_options opt;
    uint32_t offset = 0;
    int err;
    OTA_LOGI(TAG, "data upgrade uri %s", item->uri ? item->uri : "(null)");
    const struct ota_partition *part = item->label ? ota_pt_find_label(&svc->dev.table, item->label) : NULL;
    if (!part || part->type == OTA_PT_TYPE_APP) {
        OTA_LOGE(TAG, "no data partition labelled '%s'", item->label ? item->label : "(none)");
        return OTA_ERR_NOT_FOUND;
    }
    memset(&opt, 0, sizeof(opt));
    opt.image_len = OTA_LENGTH_UNKNOWN;
    opt.source_id = w->source_id;
    opt.check = run_content_check;
    opt.check_ctx = svc;
    if ((err = ota_data_begin(&w->up.data, &svc->dev, part, &opt))) {
        return err;
    }
    w->part = part;
    w->writer = &w->up.data.pw;
    const char *validator = ota_data_resume_hint(&w->up.data, &offset);
    if ((err = ota_item_open_first(svc, item, validator ? offset : 0, validator))) {
        return err;
    }
    return ota_item_attach(svc, item, &DATA_SINK);
}

static int data_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    (void)svc;
    (void)item;
    return OTA_OK;
}

static int data_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    int err = ota_item_pump(svc, item, &DATA_SINK);
    if (!err) {
        err = ota_data_finish(&w->up.data);
    }
    if (err) {
        ota_data_abort(&w->up.data);
        return err;
    }
    OTA_LOGI(TAG, "partition %s upgrade successes (%u bytes, verified, committed)", item->label,
             (unsigned)ota_data_written(&w->up.data));
    return OTA_OK;
}


void ota_item_data_ops(struct ota_item_ops *ops)
{
    ops->prepare = data_prepare;
    ops->need_upgrade = data_need_upgrade;
    ops->execute = data_execute;
}
