/* The release item, first half: fetch the manifest and its signature,
 * check them, and decide what this device installs. */
#include <string.h>

#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/release.h"
#include "release_internal.h"

static const char *TAG = "OTA_RELEASE";

const char *ota_release_action_name(enum ota_manifest_action a)
{
    switch (a) {
    case OTA_MANIFEST_UP_TO_DATE: return "up to date";
    case OTA_MANIFEST_HELD_BACK: return "held back (rollout)";
    case OTA_MANIFEST_INSTALL_PATCH: return "patch";
    default: return "full image";
    }
}

static bool fetch_retryable(int err)
{
    return err == OTA_ERR_SHORT_READ || err == OTA_ERR_TIMEOUT || err == OTA_ERR_STREAM ||
           err == OTA_ERR_CONNECT || err == OTA_ERR_RESOLVE;
}

/* One attempt: the whole resource into buf (at most cap bytes). */
static int fetch_once(struct ota_service *svc, struct ota_item *item, uint8_t *buf, uint32_t cap, uint32_t *len)
{
    uint8_t extra;
    uint32_t n = 0;
    int got, err = ota_item_open_first(svc, item, 0, NULL);
    while (!err && n < cap && (got = ota_item_read(svc, buf + n, cap - n)) != 0) {
        err = got < 0 ? got : OTA_OK;
        n += got > 0 ? (uint32_t)got : 0;
    }
    if (!err && n == cap && (got = ota_item_read(svc, &extra, 1)) != 0) {
        err = got < 0 ? got : OTA_ERR_MANIFEST_TOO_BIG;
    }
    ota_item_close(svc);
    *len = n;
    return err;
}

/* A small file (manifest or signature), retried after a dropped link. */
static int fetch_small(struct ota_service *svc, struct ota_item *item, const char *uri, uint8_t *buf, uint32_t cap,
                       uint32_t *len)
{
    unsigned max = svc->cfg.no_retry ? 0 : svc->cfg.max_retries ? svc->cfg.max_retries : 4;
    unsigned ms = svc->cfg.retry_backoff_ms ? svc->cfg.retry_backoff_ms : 250;
    item->uri = uri;
    int err = fetch_once(svc, item, buf, cap, len);
    for (unsigned k = 0; err && fetch_retryable(err) && k < max; k++) {
        OTA_LOGW(TAG, "%s: %s; again in %u ms (%u of %u)", uri, ota_strerror(err), ms, k + 1, max);
        if (svc->cfg.sleep_ms) {
            svc->cfg.sleep_ms(svc->cfg.cb_ctx, ms);
        }
        ms = ms * 2 < OTA_RETRY_BACKOFF_MAX_MS ? ms * 2 : OTA_RETRY_BACKOFF_MAX_MS;
        err = fetch_once(svc, item, buf, cap, len);
    }
    return err;
}

/* manifest.json and manifest.json.sig, the signature checked before a
 * byte of the manifest is parsed. */
static int fetch_verified(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    uint32_t sig_len = 0;
    int err = fetch_small(svc, item, r->cfg.manifest_uri, r->text, sizeof(r->text), &r->text_len);
    if (err) {
        OTA_LOGE(TAG, "cannot fetch the manifest %s: %s", r->cfg.manifest_uri, ota_strerror(err));
        return err;
    }
    size_t n = strlen(r->cfg.manifest_uri);
    if (n + sizeof(".sig") > sizeof(r->uri)) {
        return OTA_ERR_URI;
    }
    memcpy(r->uri, r->cfg.manifest_uri, n);
    memcpy(r->uri + n, ".sig", sizeof(".sig"));
    err = fetch_small(svc, item, r->uri, r->sig, sizeof(r->sig), &sig_len);
    if (err == OTA_ERR_HTTP_STATUS || err == OTA_ERR_FILE_NOT_FOUND || (!err && sig_len != sizeof(r->sig))) {
        OTA_LOGE(TAG, "%s: no signature sector (%s)", r->uri, err ? ota_strerror(err) : "wrong length");
        r->sig_why = OTA_ERR_SIG_MISSING;
        return OTA_ERR_MANIFEST_SIGNATURE;
    }
    if (err) {
        return err;
    }
    err = ota_manifest_verify(r->text, r->text_len, r->sig, r->cfg.manifest_key_digest, &r->sig_work, &r->sig_why);
    if (err) {
        OTA_LOGE(TAG, "manifest signature refused: %s", ota_strerror(r->sig_why));
        return err;
    }
    if ((err = ota_manifest_parse((const char *)r->text, r->text_len, &r->manifest))) {
        OTA_LOGE(TAG, "manifest refused: %s", ota_strerror(err));
    }
    return err;
}

static void log_decision(const struct ota_release_item *r)
{
    const struct ota_manifest *m = &r->manifest;
    OTA_LOGI(TAG, "manifest serial %u: %s %s for %s, rollout %u%% (this device: bucket %u): %s",
             (unsigned)m->serial, m->project, m->version, m->chip, (unsigned)m->rollout_percent, r->decision.bucket,
             ota_release_action_name(r->decision.action));
}

int ota_release_decide(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    struct ota_device_view view;
    int err;
    if ((err = fetch_verified(svc, item, r)) || (err = ota_item_running_base(svc, &r->running))) {
        return err;
    }
    memset(&view, 0, sizeof(view));
    view.project = r->cfg.project ? r->cfg.project : r->running.has_desc ? r->running.desc.project_name : NULL;
    view.chip_id = svc->cfg.chip_id;
    memcpy(view.running_app_sha256, r->running.hash_stored, OTA_SHA256_LEN);
    view.last_serial = r->cfg.last_serial;
    view.device_id = r->cfg.device_id;
    if ((err = ota_manifest_decide(&r->manifest, &view, &r->decision))) {
        OTA_LOGE(TAG, "manifest serial %u (%s %s, %s) refused: %s (device: serial %u, project '%s')",
                 (unsigned)r->manifest.serial, r->manifest.project, r->manifest.version, r->manifest.chip,
                 ota_strerror(err), (unsigned)view.last_serial, view.project ? view.project : "");
        return err;
    }
    r->accepted = true;
    log_decision(r);
    if (r->cfg.save_serial && r->manifest.serial > r->cfg.last_serial &&
        (err = r->cfg.save_serial(r->cfg.save_ctx, r->manifest.serial))) {
        OTA_LOGE(TAG, "cannot keep the manifest serial on the device: %s", ota_strerror(err));
    }
    return err;
}
