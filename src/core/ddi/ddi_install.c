/*
 * A deployment installed through the service: one item per chunk (the app
 * through the app writer, full image or patch; a data partition through the
 * data writer), each checked against the deployment's size and SHA-256
 * before it counts. The app's last step is guarded: the cancel check, the
 * update mode and the maintenance window, the app's own say, and the
 * pending-action record, written before otadata changes.
 */
#include <string.h>

#include "../service/item_stream.h"
#include "ddi_internal.h"
#include "ota/error.h"
#include "ota/log.h"

static const char *TAG = "OTA_DDI";

static struct ota_ddi_artifact *artifact_of(struct ota_service *svc)
{
    struct ota_ddi_client *c = svc->items[svc->current].user;
    for (unsigned k = 0; k < OTA_DDI_MAX_ITEMS; k++) {
        if (&c->items[k] == &svc->items[svc->current]) {
            return &c->res->dep.art[k];
        }
    }
    return NULL;
}

/* SHA-256 of the first len bytes of what a writer holds. */
static int written_digest(struct ota_service *svc, const struct ota_part_writer *pw, uint32_t len,
                          uint8_t out[OTA_SHA256_LEN])
{
    ota_sha256_ctx sha;
    int err = OTA_OK;
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < len && !err;) {
        uint32_t n = len - off < sizeof(svc->work.buf) ? len - off : (uint32_t)sizeof(svc->work.buf);
        if (!(err = ota_pw_read_image(pw, off, svc->work.buf, n))) {
            ota_sha256_update(&sha, svc->work.buf, n);
            off += n;
        }
    }
    ota_sha256_finish(&sha, out);
    return err;
}

static int data_check(struct ota_service *svc, const struct ota_partition *part, uint32_t len)
{
    const struct ota_ddi_artifact *a = artifact_of(svc);
    uint8_t digest[OTA_SHA256_LEN];
    (void)part;
    int err = a && len == a->size ? written_digest(svc, &svc->work.up.data.pw, len, digest) : OTA_ERR_DDI_DIGEST;
    if (!err && memcmp(digest, a->sha256, OTA_SHA256_LEN) != 0) {
        err = OTA_ERR_DDI_DIGEST;
    }
    if (err) {
        OTA_LOGE(TAG, "%s: %s", a ? a->name : "?", ota_strerror(err));
    }
    return err;
}

/* The artifact arrived whole: a patch is checked as the patch, a full
 * image as the image; either way *digest is the new image's. */
static int check_artifact(struct ota_service *svc, const struct ota_ddi_artifact *a, uint8_t digest[OTA_SHA256_LEN])
{
    struct ota_item_work *w = &svc->work;
    uint8_t patch_digest[OTA_SHA256_LEN];
    bool patch = w->patch && w->patch->active;
    int err = patch ? ota_item_patch_finish(svc, patch_digest) : OTA_OK;
    uint32_t len = ota_app_written(&w->up.app);
    if (err || (err = written_digest(svc, &w->up.app.pw, len, digest))) {
        return err;
    }
    bool same = patch ? w->patch->bytes == a->size && memcmp(patch_digest, a->sha256, OTA_SHA256_LEN) == 0
                      : len == a->size && memcmp(digest, a->sha256, OTA_SHA256_LEN) == 0;
    return same ? OTA_OK : OTA_ERR_DDI_DIGEST;
}

/* Has the server cancelled this action meanwhile? (The controller resource
 * is read again; its cancelAction link names it.) */
static bool cancelled_now(struct ota_ddi_client *c)
{
    struct ota_json j;
    char href[OTA_DDI_URI_MAX];
    if (ota_ddi_get(c, c->base, &j)) {
        return false;  /* cannot tell: the action goes on */
    }
    int idx = ota_json_path(&j, 0, "_links.cancelAction.href");
    return idx >= 0 && !ota_json_string(&j, idx, href, sizeof(href)) && (memcpy(c->cancel_uri, href, sizeof(href)), true);
}

/* The last word before the switch: OTA_OK to switch, else why not. */
static int may_switch(struct ota_ddi_client *c)
{
    const struct ota_ddi_deployment *d = &c->res->dep;
    if (cancelled_now(c)) {
        int err = ota_ddi_feedback(c, "cancelAction", d->action_id, "closed", "success",
                                   "cancelled before the switch: the running app stays", NULL);
        c->res->cancelled = !err;
        return OTA_ERR_DDI_CANCELLED;
    }
    struct ota_service *svc = c->svc;
    if (d->update == OTA_DDI_SKIP || d->window == OTA_DDI_WINDOW_UNAVAILABLE ||
        (svc->cfg.may_activate && !svc->cfg.may_activate(svc->cfg.cb_ctx, svc->current))) {
        c->res->waiting = true;
        return OTA_ERR_ACTIVATION_DEFERRED;
    }
    return OTA_OK;
}

static int record_install(struct ota_ddi_client *c, const struct ota_ddi_artifact *a, const char *slot, uint32_t size,
                          const uint8_t digest[OTA_SHA256_LEN])
{
    struct ota_ddi_record *r = &c->rec;
    uint8_t config[OTA_SHA256_LEN];
    bool has_config = r->has_config;  /* the attributes the server took stay known */
    memcpy(config, r->config, sizeof(config));
    memset(r, 0, sizeof(*r));
    r->has_config = has_config;
    memcpy(r->config, config, sizeof(config));
    r->state = OTA_DDI_RECORD_INSTALLED;
    memcpy(r->action_id, c->res->dep.action_id, sizeof(r->action_id));
    memcpy(r->version, a->version, sizeof(r->version));
    memcpy(r->slot, slot, strlen(slot) + 1);
    r->size = size;
    memcpy(r->sha256, digest, OTA_SHA256_LEN);
    c->have_rec = true;
    return c->cfg.record_save ? c->cfg.record_save(c->cfg.record_ctx, r) : OTA_OK;
}

static int app_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_ddi_client *c = item->user;
    struct ota_item_work *w = &svc->work;
    const struct ota_ddi_artifact *a = artifact_of(svc);
    uint8_t digest[OTA_SHA256_LEN];
    bool patch = w->patch && w->patch->active;
    int err = ota_item_pump(svc, item, patch ? &ota_item_patch_sink : &ota_item_app_sink);
    if (!err && (err = check_artifact(svc, a, digest))) {
        OTA_LOGE(TAG, "%s: %s", a->name, ota_strerror(err));
        (void)ota_pw_forget(&w->up.app.pw);  /* never resumed onto: the next download starts afresh */
    }
    if (!err && !(err = may_switch(c))) {
        err = record_install(c, a, w->part->label, ota_app_written(&w->up.app), digest);
    }
    if (err) {
        ota_app_abort(&w->up.app);
        return err;
    }
    if ((err = ota_app_finish(&w->up.app, NULL)) && err != OTA_ERR_POWER_LOST) {
        /* the switch did not happen: the record says so before anything else */
        struct ota_ddi_text t;
        c->rec.state = OTA_DDI_RECORD_OUTCOME;
        ota_ddi_text_init(&t, c->rec.reason, sizeof(c->rec.reason));
        ota_ddi_put(&t, "not installed: ");
        ota_ddi_put(&t, ota_errname(err));
        if (c->cfg.record_save) {
            c->cfg.record_save(c->cfg.record_ctx, &c->rec);
        }
        return err;
    }
    if (err) {
        return err;  /* the device is off: the record, as written, is judged at the next poll */
    }
    c->res->installed = true;
    return OTA_OK;
}

static void build_items(struct ota_ddi_client *c)
{
    memset(c->items, 0, sizeof(c->items));
    for (unsigned k = 0; k < c->res->dep.count; k++) {
        struct ota_item *it = &c->items[k];
        const struct ota_ddi_artifact *a = &c->res->dep.art[k];
        it->uri = a->uri;
        it->cert_pem = c->cfg.cert_pem;
        it->user = c;
        it->break_after_fail = true;
        if (a->app) {
            it->type = OTA_ITEM_APP;
            it->reboot_flag = true;
            it->ops.execute = app_execute;
        } else {
            it->type = OTA_ITEM_DATA;
            it->label = a->label;
            it->ops.check_content = data_check;
        }
    }
}

/* The data chunks first, the app last (its switch ends the action). */
static void order_items(struct ota_ddi_client *c)
{
    struct ota_ddi_deployment *d = &c->res->dep;
    if (d->count == 2 && d->art[0].app) {
        struct ota_ddi_artifact t = d->art[0];
        d->art[0] = d->art[1];
        d->art[1] = t;
    }
}

static void report_end(struct ota_ddi_client *c, int err)
{
    const char *id = c->res->dep.action_id;
    if (err == OTA_ERR_DDI_CANCELLED || err == OTA_ERR_POWER_LOST) {
        return;  /* acknowledged on the cancel resource; or the device is off */
    }
    if (err == OTA_ERR_ACTIVATION_DEFERRED && c->res->waiting) {
        bool skip = c->res->dep.update == OTA_DDI_SKIP;
        ota_ddi_feedback(c, "deploymentBase", id, skip ? "downloaded" : "proceeding", skip ? "success" : "none",
                         skip ? "downloaded and verified; update mode skip: not installed"
                              : "verified; waiting for the maintenance window or the app to activate it",
                         NULL);
    } else if (err) {
        ota_ddi_feedback(c, "deploymentBase", id, "closed", "failure", ota_errname(err), ota_strerror(err));
    } else if (c->res->installed) {
        ota_ddi_feedback(c, "deploymentBase", id, "proceeding", "none", "installed; restarting into the new app",
                         c->rec.slot);
    } else {
        ota_ddi_feedback(c, "deploymentBase", id, "closed", "success", "data partitions installed", NULL);
    }
}

/* ---- progress: the service's callbacks, wrapped for the run ---------------- */

static void wrap_event(void *ctx, const struct ota_event *ev)
{
    struct ota_ddi_client *c = ctx;
    if (c->app.on_event) {
        c->app.on_event(c->app.cb_ctx, ev);
    }
}

/* One proceeding report per tenth of the action's bytes at most; a failed
 * one ends the reports (it never fails the install, nor slows it again). */
static void wrap_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    struct ota_ddi_client *c = ctx;
    const struct ota_ddi_deployment *d = &c->res->dep;
    char detail[48];
    struct ota_ddi_text t;
    if (c->app.on_progress) {
        c->app.on_progress(c->app.cb_ctx, id, done, total);
    }
    if (c->progress_off || id >= d->count || !d->art[id].size) {
        return;
    }
    uint64_t pct = done >= d->art[id].size ? 100 : done * 100 / d->art[id].size;
    unsigned step = (unsigned)((id * 100u + pct) / d->count / 10u);
    if (step <= c->progress_step) {
        return;
    }
    c->progress_step = step;
    ota_ddi_text_init(&t, detail, sizeof(detail));
    ota_ddi_put(&t, "downloading and installing: ");
    ota_ddi_put_u64(&t, step * 10u);
    ota_ddi_put(&t, " %");
    if (ota_ddi_progress(c, d->action_id, step * 10u, 100, detail)) {
        OTA_LOGW(TAG, "action %s: progress report refused: no more of them for this action", d->action_id);
        c->progress_off = true;
    }
}

static bool wrap_cancel(void *ctx, unsigned id)
{
    struct ota_ddi_client *c = ctx;
    return c->app.cancel && c->app.cancel(c->app.cb_ctx, id);
}

static bool wrap_may_activate(void *ctx, unsigned id)
{
    struct ota_ddi_client *c = ctx;
    return !c->app.may_activate || c->app.may_activate(c->app.cb_ctx, id);
}

static bool wrap_may_restart(void *ctx)
{
    struct ota_ddi_client *c = ctx;
    return !c->app.may_restart || c->app.may_restart(c->app.cb_ctx);
}

/* The list runs with the client's callbacks in front of the app's. */
static int run_items(struct ota_ddi_client *c)
{
    struct ota_service_config *cfg = &c->svc->cfg;
    c->app = *cfg;
    c->progress_step = 0;
    c->progress_off = false;
    cfg->on_event = wrap_event;
    cfg->on_progress = wrap_progress;
    cfg->cancel = wrap_cancel;
    cfg->may_activate = wrap_may_activate;
    cfg->may_restart = wrap_may_restart;
    cfg->cb_ctx = c;
    int err = ota_service_start(c->svc, &c->res->reboot);
    cfg->on_event = c->app.on_event;
    cfg->on_progress = c->app.on_progress;
    cfg->cancel = c->app.cancel;
    cfg->may_activate = c->app.may_activate;
    cfg->may_restart = c->app.may_restart;
    cfg->cb_ctx = c->app.cb_ctx;
    return err;
}

int ota_ddi_install(struct ota_ddi_client *c)
{
    struct ota_ddi_result *res = c->res;
    struct ota_json j;
    int err = ota_ddi_get(c, c->deploy_uri, &j);  /* only to read it into c->body; parsed below */
    if (err) {
        return err;
    }
    err = ota_ddi_parse_deployment(c->body, c->body_len, &c->svc->dev.table, &res->dep, c->tok, OTA_DDI_TOKENS_MAX);
    if (err) {
        OTA_LOGE(TAG, "deployment %s refused: %s", res->dep.action_id, ota_strerror(err));
        if (res->dep.action_id[0]) {
            ota_ddi_feedback(c, "deploymentBase", res->dep.action_id, "closed", "failure", ota_errname(err),
                             ota_strerror(err));
        }
        return err;
    }
    res->deployed = true;
    if (c->have_rec && strcmp(c->rec.action_id, res->dep.action_id) == 0) {
        OTA_LOGI(TAG, "action %s is installed already; its outcome is reported", res->dep.action_id);
        return OTA_OK;
    }
    if (c->have_rec && c->rec.state != OTA_DDI_RECORD_REPORTED) {
        /* the record holds the only trace of that outcome: it goes first */
        OTA_LOGW(TAG, "action %s waits: the outcome of action %s is not reported yet", res->dep.action_id,
                 c->rec.action_id);
        res->waiting = true;
        return OTA_OK;
    }
    if (res->dep.download == OTA_DDI_SKIP) {
        OTA_LOGI(TAG, "action %s: download mode skip, nothing fetched", res->dep.action_id);
        res->waiting = true;
        return OTA_OK;
    }
    order_items(c);
    build_items(c);
    OTA_LOGI(TAG, "action %s: %u chunk(s), download %u, update %u", res->dep.action_id, res->dep.count,
             (unsigned)res->dep.download, (unsigned)res->dep.update);
    ota_ddi_feedback(c, "deploymentBase", res->dep.action_id, "proceeding", "none", "downloading", NULL);
    ota_service_set_upgrade_list(c->svc, c->items, res->dep.count);
    res->ran = true;
    err = run_items(c);
    res->err = err;
    report_end(c, err);
    return OTA_OK;
}
