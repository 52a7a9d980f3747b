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
    case OTA_MANIFEST_INSTALL_COMPRESSED: return "compressed image";
    case OTA_MANIFEST_ROLLED_BACK: return "skipped: this release rolled back on this device";
    default: return "full image";
    }
}

/* One attempt: the whole resource into buf (at most cap bytes; one more is too_big). */
static int fetch_once(struct ota_service *svc, struct ota_item *item, uint8_t *buf, uint32_t cap, uint32_t *len,
                      int too_big)
{
    uint8_t extra;
    uint32_t n = 0;
    int got, err = ota_item_open_first(svc, item, 0, NULL);
    while (!err && n < cap && (got = ota_item_read(svc, buf + n, cap - n)) != 0) {
        err = got < 0 ? got : OTA_OK;
        n += got > 0 ? (uint32_t)got : 0;
    }
    if (!err && n == cap && (got = ota_item_read(svc, &extra, 1)) != 0) {
        err = got < 0 ? got : too_big;
    }
    ota_item_close(svc);
    *len = n;
    return err;
}

/* A small file (manifest or signature), retried after a dropped link. */
static int fetch_small(struct ota_service *svc, struct ota_item *item, const char *uri, uint8_t *buf, uint32_t cap,
                       uint32_t *len, int too_big)
{
    unsigned max = ota_item_max_retries(&svc->cfg);
    item->uri = uri;
    int err = fetch_once(svc, item, buf, cap, len, too_big);
    for (unsigned k = 0; ota_item_retryable(err) && k < max; k++) {
        unsigned ms = ota_item_backoff_ms(&svc->cfg, k);
        OTA_LOGW(TAG, "%s: %s; again in %u ms (%u of %u)", uri, ota_strerror(err), ms, k + 1, max);
        if (svc->cfg.sleep_ms) {
            svc->cfg.sleep_ms(svc->cfg.cb_ctx, ms);
        }
        err = fetch_once(svc, item, buf, cap, len, too_big);
    }
    return err;
}

/* uri with suffix inserted before its query ('?') or fragment ('#'). */
static int suffixed(const char *uri, const char *suffix, char *out, size_t out_len)
{
    size_t n = strlen(uri), k = strlen(suffix), at = 0;
    while (at < n && uri[at] != '?' && uri[at] != '#') {
        at++;  /* a presigned URL's query signs the path it follows: the suffix goes before it */
    }
    if (n + k + 1 > out_len) {
        return OTA_ERR_TOO_LONG;
    }
    memmove(out + at + k, uri + at, n - at + 1);
    memcpy(out, uri, at);
    memcpy(out + at, suffix, k);
    return OTA_OK;
}

int ota_release_sig_uri(const char *uri, char *out, size_t out_len)
{
    return suffixed(uri, ".sig", out, out_len);
}

/* The signature's URI into r->uri: the one the integrator named, else
 * the manifest's (format 2: manifest.json.v2) with ".sig". */
static int sig_uri(struct ota_release_item *r, bool v2)
{
    const char *named = r->cfg.manifest_sig_uri;
    if (!named) {
        return suffixed(r->cfg.manifest_uri, v2 ? ".v2.sig" : ".sig", r->uri, sizeof(r->uri));
    }
    size_t n = strlen(named);
    if (n >= OTA_RELEASE_URI_MAX) {
        return OTA_ERR_TOO_LONG;
    }
    memcpy(r->uri, named, n + 1);
    return OTA_OK;
}

static int fetch_manifest(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r, bool v2)
{
    const char *uri = r->cfg.manifest_uri;
    if (v2) {
        int err = suffixed(uri, ".v2", r->uri, sizeof(r->uri));
        if (err) {
            return err;
        }
        uri = r->uri;
    }
    int err = fetch_small(svc, item, uri, r->text, sizeof(r->text), &r->text_len, OTA_ERR_MANIFEST_TOO_BIG);
    if (err && !(v2 && ota_item_missing(err))) {
        OTA_LOGE(TAG, "cannot fetch %s: %s", uri, ota_strerror(err));
    } else if (err) {
        OTA_LOGI(TAG, "no %s (%s): reading the format 1 manifest", uri, ota_strerror(err));
    }
    return err;
}

/* The manifest and its signature, the signature checked before a byte of
 * the manifest is parsed. Format 2 (manifest.json.v2) first, unless the
 * integrator named the signature (it signs the manifest named); a server
 * without it (an error status, no such file) is a tree of format 1 only,
 * while a format 2 manifest whose signature fails is refused. */
static int fetch_verified(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    uint32_t sig_len = 0;
    bool v2 = !r->cfg.manifest_sig_uri;
    int err = v2 ? fetch_manifest(svc, item, r, true) : OTA_ERR_HTTP_STATUS;
    if (ota_item_missing(err)) {
        v2 = false;
        err = fetch_manifest(svc, item, r, false);
    }
    if (err) {
        return err;
    }
    if ((err = sig_uri(r, v2))) {
        OTA_LOGE(TAG, "the manifest signature's URI: %s", ota_strerror(err));
        return err;
    }
    err = fetch_small(svc, item, r->uri, r->sig, sizeof(r->sig), &sig_len, OTA_ERR_MANIFEST_SIG_TOO_BIG);
    if (err == OTA_ERR_HTTP_STATUS || err == OTA_ERR_FILE_NOT_FOUND || (!err && sig_len != sizeof(r->sig))) {
        OTA_LOGE(TAG, "%s: no signature sector (%s)", r->uri, err ? ota_strerror(err) : "wrong length");
        r->sig_why = OTA_ERR_SIG_MISSING;
        return OTA_ERR_MANIFEST_SIGNATURE;
    }
    if (err) {
        OTA_LOGE(TAG, "cannot fetch %s: %s", r->uri, ota_strerror(err));
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

/* The device's release record, before anything is fetched: no store (and
 * no opt-out) or a damaged record stops the item. */
static int load_record(struct ota_release_item *r)
{
    int err;
    memset(&r->record, 0, sizeof(r->record));
    if (strlen(r->cfg.manifest_uri) >= OTA_RELEASE_URI_MAX) {
        OTA_LOGE(TAG, "the manifest URI is longer than %u characters", (unsigned)OTA_RELEASE_URI_MAX - 1);
        return OTA_ERR_TOO_LONG;
    }
    if (!r->cfg.store) {
        if (!r->cfg.without_serial_store) {
            OTA_LOGE(TAG, "no release serial store: manifests are refused (%s)",
                     ota_strerror(OTA_ERR_RELEASE_NO_SERIAL_STORE));
            return OTA_ERR_RELEASE_NO_SERIAL_STORE;
        }
        OTA_LOGW(TAG, "no release serial store (opted out): replays are NOT refused");
        return OTA_OK;
    }
    if ((err = r->cfg.store->load(r->cfg.store->ctx, &r->record))) {
        OTA_LOGE(TAG, "cannot %s the release record: %s", "load", ota_strerror(err));
    }
    return err;
}

static int save_record(struct ota_release_item *r)
{
    int err = r->cfg.store ? r->cfg.store->save(r->cfg.store->ctx, &r->record) : OTA_OK;
    if (err) {
        OTA_LOGE(TAG, "cannot %s the release record: %s", "save", ota_strerror(err));
    }
    return err;
}

static bool any_byte(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return true;
        }
    }
    return false;
}

static void log_decision(const struct ota_release_item *r)
{
    const struct ota_manifest *m = &r->manifest;
    OTA_LOGI(TAG, "manifest serial %u (format %u): %s %s for %s, rollout %u%% (bucket %u): %s",
             (unsigned)m->serial, (unsigned)m->format, m->project, m->version, m->chip, (unsigned)m->rollout_percent,
             r->decision.bucket, ota_release_action_name(r->decision.action));
    for (unsigned i = 0; i < r->decision.candidate_count; i++) {
        const struct ota_manifest_file *f = r->decision.candidates[i];
        OTA_LOGI(TAG, "  candidate %u: the %s %s, %u bytes%s", i + 1, ota_manifest_kind_name(f->kind), f->uri,
                 (unsigned)f->size, f->encrypted ? ", encrypted" : "");
    }
}

/* The items this device can apply besides a plain image: patches and
 * compressed images go through the applier in the patch work area. */
static unsigned device_takes(const struct ota_service *svc)
{
    unsigned takes = 0;
#ifndef OTA_NO_DECRYPT
    takes |= svc->cfg.decrypt_key ? OTA_MANIFEST_TAKES_ENCRYPTED : 0;
#endif
    if (svc->cfg.patch_work) {
        takes |= OTA_MANIFEST_TAKES_PATCH;
#ifndef OTA_NO_COMPRESS
        takes |= OTA_MANIFEST_TAKES_COMPRESSED;
#endif
    }
    return takes;
}

int ota_release_decide(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    struct ota_device_view view;
    int err;
    if ((err = load_record(r)) || (err = fetch_verified(svc, item, r)) ||
        (err = ota_item_running_base(svc, &r->running))) {
        return err;
    }
    memset(&view, 0, sizeof(view));
    view.project = r->cfg.project ? r->cfg.project : r->running.has_desc ? r->running.desc.project_name : NULL;
    view.chip_id = svc->cfg.chip_id;
    memcpy(view.running_app_sha256, r->running.hash_stored, OTA_SHA256_LEN);
    view.last_serial = r->record.serial;
    if (any_byte(r->record.rolled_back_sha256, OTA_SHA256_LEN)) {
        view.rolled_back_app_sha256 = r->record.rolled_back_sha256;
    }
    view.device_id = r->cfg.device_id;
    view.takes = device_takes(svc);
    if ((err = ota_manifest_decide(&r->manifest, &view, &r->decision))) {
        OTA_LOGE(TAG, "manifest serial %u (%s %s, %s) refused: %s (device: serial %u, project '%s')",
                 (unsigned)r->manifest.serial, r->manifest.project, r->manifest.version, r->manifest.chip,
                 ota_strerror(err), (unsigned)view.last_serial, view.project ? view.project : "");
        return err;
    }
    r->accepted = true;
    log_decision(r);
    /* kept before a byte is installed: a power cut from here on cannot undo it */
    if (r->manifest.serial > r->record.serial) {
        r->record.serial = r->manifest.serial;
        err = save_record(r);
    }
    return err;
}

int ota_release_note_rolled_back(const struct ota_release_store *store, uint32_t serial,
                                 const uint8_t app_sha256[OTA_SHA256_LEN])
{
    struct ota_release_record rec;
    int err;
    if (!store || !app_sha256) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!(err = store->load(store->ctx, &rec))) {
        rec.rolled_back_serial = serial;
        memcpy(rec.rolled_back_sha256, app_sha256, OTA_SHA256_LEN);
        err = store->save(store->ctx, &rec);
    }
    if (err) {
        OTA_LOGE(TAG, "cannot remember the rolled-back release: %s", ota_strerror(err));
    }
    return err;
}

int ota_release_rolled_back(struct ota_release_item *rel)
{
    if (!rel || !rel->accepted) {
        return OTA_ERR_INVALID_ARG;
    }
    rel->rolled_back = true;
    rel->record.rolled_back_serial = rel->manifest.serial;
    memcpy(rel->record.rolled_back_sha256, rel->manifest.app_sha256, OTA_SHA256_LEN);
    return rel->cfg.store ? ota_release_note_rolled_back(rel->cfg.store, rel->manifest.serial, rel->manifest.app_sha256)
                          : OTA_OK;
}
