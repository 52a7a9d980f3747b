/* The release item, second half: install what the manifest decided, a
 * patch through the delta applier or the full image, and check the result
 * against the signed manifest before otadata changes. */
#include <stddef.h>
#include <string.h>

#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/release.h"
#include "release_internal.h"

static const char *TAG = "OTA_RELEASE";

/* ---- the patch path: transport -> patch producer -> app writer --------- */

static int patch_complete(struct ota_service *svc, struct ota_release_item *r)
{
    uint8_t digest[OTA_SHA256_LEN];
    int err = ota_item_patch_finish(svc, digest);
    if (err) {
        return err;
    }
    if (r->patch_bytes != r->decision.patch->file.size ||
        memcmp(digest, r->decision.patch->file.sha256, OTA_SHA256_LEN) != 0) {
        OTA_LOGE(TAG, "the patch (%llu bytes) is not the one the manifest signed (%u bytes)",
                 (unsigned long long)r->patch_bytes, (unsigned)r->decision.patch->file.size);
        return OTA_ERR_MANIFEST_PATCH_DIGEST;
    }
    return OTA_OK;
}

/* ---- prepare ---------------------------------------------------------------- */

static int begin_app(struct ota_service *svc, struct ota_release_item *r, bool patch)
{
    struct ota_app_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.image_len = (int64_t)r->manifest.image.size;
    opt.check_version = svc->cfg.force_version_check;
    /* A project the integrator named is the product's, not the image's (ESP-ADF apps carry
     * none): the image is then bound by its SHA-256 in the signed manifest alone. */
    opt.project = r->cfg.project ? NULL : r->manifest.project;
    opt.source_id = patch ? NULL : svc->work.source_id;
    int err = ota_app_begin(&svc->work.up.app, &svc->dev, &opt);
    ota_app_keep_encrypted_digest(&svc->work.up.app);  /* the manifest signs the file served */
    svc->work.part = svc->work.up.app.pw.part;
    svc->work.writer = &svc->work.up.app.pw;
    return err;
}

static int set_uri(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r,
                   const struct ota_manifest_file *f)
{
    int err = ota_manifest_resolve(r->cfg.manifest_uri, f->uri, r->uri, sizeof(r->uri));
    item->uri = r->uri;
    ota_source_id(r->uri, svc->work.source_id);
    return err;
}

static int prepare_patch(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    int err = set_uri(svc, item, r, &r->decision.patch->file);
    if (err || (err = begin_app(svc, r, true))) {
        return err;
    }
    /* a patch longer than the manifest says is not the one it signed */
    ota_item_patch_setup(svc, &r->running, (int64_t)r->manifest.image.size, r->decision.patch->file.size,
                         OTA_ERR_MANIFEST_PATCH_DIGEST);
    err = ota_item_open_first(svc, item, 0, NULL);
    if (ota_item_missing(err)) {
        OTA_LOGW(TAG, "the patch for this app is missing (%s): taking the full image", ota_strerror(err));
        ota_app_abort(&svc->work.up.app);
        r->fell_back = true;
        r->decision.action = OTA_MANIFEST_INSTALL_FULL;
        return OTA_ERR_NOT_FOUND;
    }
    return err ? err : ota_item_attach(svc, item, &ota_item_patch_sink);
}

static int prepare_full(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    uint32_t offset = 0;
    int err = set_uri(svc, item, r, &r->manifest.image);
    if (err || (err = begin_app(svc, r, false))) {
        return err;
    }
    const char *validator = ota_app_resume_hint(&svc->work.up.app, &offset);
    if ((err = ota_item_open_first(svc, item, validator ? offset : 0, validator))) {
        return err;
    }
    return ota_item_attach(svc, item, &ota_item_app_sink);
}

static int release_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    r->svc = svc;
    int err = ota_release_decide(svc, item, r);
    if (err || !(r->decision.action == OTA_MANIFEST_INSTALL_PATCH || r->decision.action == OTA_MANIFEST_INSTALL_FULL)) {
        if (!err) {
            item->reboot_flag = false;  /* nothing installed: no restart */
        }
        return err;
    }
    if (r->decision.action == OTA_MANIFEST_INSTALL_PATCH && !svc->work.patch) {
        OTA_LOGW(TAG, "this firmware takes no patches (no patch work area): taking the full image");
        r->decision.action = OTA_MANIFEST_INSTALL_FULL;
    }
    if (r->decision.action == OTA_MANIFEST_INSTALL_PATCH) {
        err = prepare_patch(svc, item, r);
        if (err != OTA_ERR_NOT_FOUND || !r->fell_back) {
            return err;
        }
        memset(&svc->work.up, 0, sizeof(svc->work.up));
        svc->work.patch->active = false;
    }
    return prepare_full(svc, item, r);
}

/* ---- need_upgrade, execute ------------------------------------------------ */

static bool installs(const struct ota_release_item *r)
{
    return r->decision.action == OTA_MANIFEST_INSTALL_PATCH || r->decision.action == OTA_MANIFEST_INSTALL_FULL;
}

static int release_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    if (r->decision.action != OTA_MANIFEST_INSTALL_FULL) {
        return OTA_OK;  /* a patch's output is checked by the app writer as it arrives */
    }
    return ota_item_app_need_upgrade(svc, item);
}

/* The image as it stands in the slot must be the one the manifest signed. */
static int check_installed(struct ota_service *svc, const struct ota_manifest_file *image)
{
    struct ota_item_work *w = &svc->work;
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_ctx sha;
    int err = OTA_OK;
    if (ota_app_written(&w->up.app) != image->size) {
        return OTA_ERR_MANIFEST_IMAGE_DIGEST;
    }
    const uint8_t *encrypted = ota_app_encrypted_digest(&w->up.app);
    if (encrypted) {  /* the manifest signs the file it serves: the encrypted one */
        return memcmp(encrypted, image->sha256, OTA_SHA256_LEN) ? OTA_ERR_MANIFEST_IMAGE_DIGEST : OTA_OK;
    }
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < image->size && !err;) {
        uint32_t n = image->size - off < sizeof(w->buf) ? image->size - off : (uint32_t)sizeof(w->buf);
        if (!(err = ota_pw_read_image(&w->up.app.pw, off, w->buf, n))) {
            ota_sha256_update(&sha, w->buf, n);
            off += n;
        }
    }
    ota_sha256_finish(&sha, digest);
    if (!err && memcmp(digest, image->sha256, OTA_SHA256_LEN) != 0) {
        err = OTA_ERR_MANIFEST_IMAGE_DIGEST;
    }
    return err;
}

static int release_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    bool patch = r->decision.action == OTA_MANIFEST_INSTALL_PATCH;
    int err;
    if (!installs(r)) {
        return OTA_OK;
    }
    err = ota_item_pump(svc, item, patch ? &ota_item_patch_sink : &ota_item_app_sink);
    r->patch_bytes = patch ? svc->work.patch->bytes : 0;
    if (!err && patch) {
        err = patch_complete(svc, r);
    }
    if (!err && (err = check_installed(svc, &r->manifest.image))) {
        OTA_LOGE(TAG, "the image in %s is not the one the manifest signed", svc->work.part->label);
    }
    if (err) {
        ota_app_abort(&svc->work.up.app);
        return err;
    }
    OTA_LOGI(TAG, "%s: %u image bytes from %llu %s bytes", r->manifest.version, (unsigned)r->manifest.image.size,
             (unsigned long long)(patch ? r->patch_bytes : r->manifest.image.size), patch ? "patch" : "image");
    if (svc->cfg.may_activate && !svc->cfg.may_activate(svc->cfg.cb_ctx, svc->current)) {
        OTA_LOGW(TAG, "the app defers the activation: %s stays unselected", svc->work.part->label);
        ota_app_abort(&svc->work.up.app);
        return OTA_ERR_ACTIVATION_DEFERRED;  /* as for an app item */
    }
    return ota_app_finish(&svc->work.up.app, NULL);
}

void ota_release_item_init(struct ota_item *item, struct ota_release_item *rel, const struct ota_release_config *cfg)
{
    memset(item, 0, sizeof(*item));
    memset(rel, 0, sizeof(*rel));
    rel->cfg = *cfg;
    item->type = OTA_ITEM_APP;
    item->uri = cfg->manifest_uri;
    item->cert_pem = cfg->cert_pem;
    item->reboot_flag = true;
    item->user = rel;
    item->ops.prepare = release_prepare;
    item->ops.need_upgrade = release_need_upgrade;
    item->ops.execute = release_execute;
}
