/* The OTA service engine: runs the upgrade list and reports honestly. */
#include <string.h>

#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"

static const char *TAG = "OTA_SERVICE";

static int default_finished_check(struct ota_service *svc, struct ota_item *item, int err)
{
    (void)svc;
    (void)item;
    return err;  /* the original returned success here, whatever happened */
}

struct ota_item_ops ota_default_ops(enum ota_item_type type)
{
    struct ota_item_ops ops;
    memset(&ops, 0, sizeof(ops));
    if (type == OTA_ITEM_APP) {
        ota_item_app_ops(&ops);
    } else {
        ota_item_data_ops(&ops);
    }
    ops.finished_check = default_finished_check;
    return ops;
}

int ota_service_init(struct ota_service *svc, const struct ota_service_config *cfg)
{
    int err;
    if (!svc || !cfg || !cfg->flash || !cfg->transport || !cfg->transport->open || !cfg->transport->read ||
        !cfg->transport->close) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(svc, 0, sizeof(*svc));
    svc->cfg = *cfg;
    if ((err = ota_device_open(&svc->dev, cfg->flash, cfg->running_app_offset))) {
        return err;
    }
    svc->dev.chip_id = cfg->chip_id;
    svc->dev.chip_rev = cfg->chip_rev;
    svc->dev.rollback = cfg->rollback;
    svc->dev.trusted_key_digest = cfg->trusted_key_digest;
    svc->dev.secure_version = cfg->secure_version;
    svc->dev.decrypt_key = cfg->decrypt_key;
    svc->dev.decrypt_work = cfg->decrypt_work;
    svc->running = svc->dev.running;
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

static struct ota_item_ops resolved_ops(const struct ota_item *item)
{
    struct ota_item_ops def = ota_default_ops(item->type);
    struct ota_item_ops ops = item->ops;
    if (!ops.prepare) ops.prepare = def.prepare;
    if (!ops.need_upgrade) ops.need_upgrade = def.need_upgrade;
    if (!ops.execute) ops.execute = def.execute;
    if (!ops.finished_check) ops.finished_check = def.finished_check;
    return ops;
}

void ota_item_work_reset(struct ota_service *svc)
{
    memset(&svc->work, 0, sizeof(svc->work));
    svc->work.patch = svc->cfg.patch_work;
    if (svc->work.patch) {
        svc->work.patch->active = false;
    }
}

static int run_item(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_ops ops = resolved_ops(item);
    int err;
    ota_item_work_reset(svc);
    if (item->uri) {
        ota_source_id(item->uri, svc->work.source_id);
    }
    err = ops.prepare(svc, item);
    if (!err) {
        err = ops.need_upgrade(svc, item);
    }
    if (!err) {
        err = ops.execute(svc, item);
    }
    err = ops.finished_check(svc, item, err);
    ota_item_close(svc);
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
                OTA_LOGW(TAG, "list id %u failed (break_after_fail): the rest is skipped", svc->current);
                break;
            }
        } else if (item->reboot_flag) {
            want_reboot = true;
        }
    }
    if (want_reboot && svc->cfg.may_restart && !svc->cfg.may_restart(svc->cfg.cb_ctx)) {
        OTA_LOGW(TAG, "the app defers the restart: the new app boots at the next one");
        want_reboot = false;
    }
    struct ota_event fin = {OTA_EVENT_FINISH, svc->count, OTA_RESULT_SUCCESS, last_err, want_reboot};
    OTA_LOGW(TAG, "OTA_END!");
    emit(svc, &fin);
    if (reboot) {
        *reboot = want_reboot;
    }
    return last_err;
}
