/* The release item, second half: install what the manifest decided, its
 * candidates smallest first (a patch or a compressed image through the
 * delta applier, the plain image as a direct app item), falling back to
 * the next on a failure the next could avoid, and check the result
 * against the signed manifest before otadata changes. */
#include <stddef.h>
#include <string.h>

#include "../bytes.h"
#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/release.h"
#include "release_internal.h"

static const char *TAG = "OTA_RELEASE";

/* Without the decrypt layer no encrypted file is a candidate (the device
 * does not take them): its paths fold away. */
static bool encrypted(const struct ota_manifest_file *f)
{
#ifdef OTA_NO_DECRYPT
    (void)f;
    return false;
#else
    return f->encrypted;
#endif
}

/* The item being tried: the decision's candidates, smallest first. */
static const struct ota_manifest_file *current(const struct ota_release_item *r)
{
    return r->decision.candidates[r->tried];
}

static bool through_applier(const struct ota_manifest_file *f)
{
    return f->kind != OTA_MANIFEST_KIND_PLAIN;  /* a patch or a compressed image */
}

/* An encrypted patch or compressed image goes to the app writer as it is
 * served: the writer decrypts it and applies it in the patch work area. */
static bool decrypted_in_writer(const struct ota_manifest_file *f)
{
    return encrypted(f) && through_applier(f);
}

/* ---- the applier path: transport -> patch or decoder -> app writer ------ */

static int applier_digest_err(const struct ota_manifest_file *f)
{
    return f->kind == OTA_MANIFEST_KIND_COMPRESSED ? OTA_ERR_MANIFEST_COMPRESSED_DIGEST : OTA_ERR_MANIFEST_PATCH_DIGEST;
}

/* The file as it arrived must be the one the manifest signed: its size and
 * SHA-256 (of an encrypted file: of its ciphertext). */
static int check_signed_file(const struct ota_manifest_file *f, uint64_t bytes, const uint8_t *digest)
{
    if (bytes != f->size || !digest || memcmp(digest, f->sha256, OTA_SHA256_LEN) != 0) {
        OTA_LOGE(TAG, "%s (%u bytes) is not the one the manifest signed (%u bytes)", f->uri,
                 (unsigned)bytes, (unsigned)f->size);
        return applier_digest_err(f);
    }
    return OTA_OK;
}

static int applier_complete(struct ota_service *svc, struct ota_release_item *r, const struct ota_manifest_file *f)
{
    uint8_t digest[OTA_SHA256_LEN];
    int err = ota_item_patch_finish(svc, digest);
    /* Resumed at a checkpoint, the bytes before it are not here to hash: its
     * size is checked, and the image in the slot against the signed app's
     * SHA-256 (check_installed), as for every applier's output. */
    return err ? err : check_signed_file(f, r->patch_bytes, svc->work.patch->from_checkpoint ? f->sha256 : digest);
}

/* An encrypted item: the file served must be the one the manifest signed
 * (its size and the SHA-256 of its ciphertext); then its tag and the
 * applier's last bytes, so that the image in the slot is whole for the
 * checks of check_installed, before ota_app_finish selects it. */
static int decrypted_complete(struct ota_app_update *u, struct ota_release_item *r, const struct ota_manifest_file *f)
{
    r->patch_bytes = ota_app_written(u);
    int err = check_signed_file(f, r->patch_bytes, ota_app_encrypted_digest(u));
    return err ? err : ota_app_decrypt_complete(u);
}

/* ---- prepare ---------------------------------------------------------------- */

/* The app writer for candidate f; with a journal for a full image and for
 * an applier's output that may resume (journal: not an encrypted one). */
static int begin_app(struct ota_service *svc, struct ota_release_item *r, const struct ota_manifest_file *f,
                     bool journal)
{
    struct ota_app_options opt;
    memset(&opt, 0, sizeof(opt));
    bool made_here = through_applier(f) && !encrypted(f);  /* by the service's applier */
    opt.image_len = (int64_t)(made_here ? r->manifest.app_size : f->size);
    opt.check_version = svc->cfg.force_version_check;
    /* A project the integrator named is the product's, not the image's (ESP-ADF apps carry
     * none): the image is then bound by its SHA-256 in the signed manifest alone. */
    opt.project = r->cfg.project ? NULL : r->manifest.project;
    opt.source_id = journal ? svc->work.source_id : NULL;
    int err = ota_item_app_begin(svc, &opt);
    ota_app_keep_encrypted_digest(&svc->work.up.app);  /* the manifest signs the file served */
    if (decrypted_in_writer(f) && svc->work.patch) {
        /* the service's applier stays idle: its work area is the writer's */
        ota_app_apply_decrypted(&svc->work.up.app, &svc->work.patch->delta);
    }
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

/* The source continues at the journal's checkpoint: the decoder resumes
 * there if the record's identity can (the manifest's image length, the
 * running app as a compact patch's base), else the record is retired and
 * the file taken from byte 0. */
static int resume_applier(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r,
                          const struct ota_manifest_file *f, const uint32_t cp[2])
{
    struct ota_image_info base;
    uint8_t id[OTA_JOURNAL_DECODER_ID_LEN];
    int err = ota_item_checkpoint_id(svc, cp[0], cp[1], id, &base);
    if (!err && get_le32(id) != r->manifest.app_size) {
        err = OTA_ERR_DELTA_CHECKPOINT;
    }
    if (err) {
        return (err = ota_item_checkpoint_refused(svc, item, err)) ? err : 1;
    }
    ota_item_patch_setup(svc, &r->running, (int64_t)r->manifest.app_size, f->size, applier_digest_err(f));
    return ota_item_patch_resume_at(svc, item, f->uri, id, cp[0], cp[1]);
}

/* From the file's byte 0: a patch or compressed image with sync points
 * journals its output (and resumes after a cut), another none. */
static int start_applier(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r,
                         const struct ota_manifest_file *f)
{
    struct ota_delta_header hdr;
    uint32_t n = f->size < OTA_DELTA_HEADER_MAX ? (uint32_t)f->size : OTA_DELTA_HEADER_MAX;
    bool resumable = !ota_item_peek(svc, n) && !ota_delta_parse_header(svc->work.buf, n, &hdr) &&
                     ota_item_patch_resumable(&hdr);
    int err = OTA_OK;
    if (!resumable) {  /* the decoder says what is wrong with a header it cannot parse */
        ota_app_abort(&svc->work.up.app);
        err = begin_app(svc, r, f, false);
    }
    /* a file longer than the manifest says is not the one it signed */
    ota_item_patch_setup(svc, &r->running, (int64_t)r->manifest.app_size, f->size, applier_digest_err(f));
    if (resumable) {
        ota_item_patch_journal(svc, &hdr, r->running.hash_stored);
    }
    return err ? err : ota_item_attach(svc, item, &ota_item_patch_sink);
}

static int prepare_applier(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r,
                           const struct ota_manifest_file *f)
{
    int err = set_uri(svc, item, r, f);
    if (err || (err = begin_app(svc, r, f, !encrypted(f)))) {
        return err;
    }
    if (decrypted_in_writer(f)) {  /* no resume: the applier's state cannot survive a power cut */
        err = ota_item_open_first(svc, item, 0, NULL);
        return err ? err : ota_item_attach(svc, item, &ota_item_app_sink);
    }
    const char *validator = ota_pw_checkpoint_hint(&svc->work.up.app.pw);
    const uint32_t cp[2] = {svc->work.up.app.pw.journal.cp_in, svc->work.up.app.pw.journal.cp_out};
    if ((err = ota_item_open_first(svc, item, validator ? cp[0] : 0, validator))) {
        return err;
    }
    if (validator && svc->work.stream_pos == cp[0]) {
        err = resume_applier(svc, item, r, f, cp);
        return err == 1 ? prepare_applier(svc, item, r, f) : err;  /* 1: retired, from byte 0 */
    }
    return start_applier(svc, item, r, f);
}

static int prepare_full(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r,
                        const struct ota_manifest_file *f)
{
    uint32_t offset = 0;
    int err = set_uri(svc, item, r, f);
    if (err || (err = begin_app(svc, r, f, true))) {
        return err;
    }
    const char *validator = ota_app_resume_hint(&svc->work.up.app, &offset);
    if ((err = ota_item_open_first(svc, item, validator ? offset : 0, validator))) {
        return err;
    }
    return ota_item_attach(svc, item, &ota_item_app_sink);
}

/* ---- one candidate after the other ----------------------------------------- */

/* A failure of this item that another item could avoid: it is missing or
 * cut short on the server, made for another base (a reflash), the decoder
 * refuses it, or what arrived is not what the manifest signed. Refusals
 * of the image itself (project, anti-rollback, signature) are not. */
static bool avoidable(int err, const struct ota_manifest_file *f)
{
    /* an encrypted file that does not open or authenticate is altered (or cut) on the server */
    bool altered = encrypted(f) && err <= OTA_ERR_DECRYPT_HEADER && err >= OTA_ERR_DECRYPT_LENGTH;
    return altered || ota_item_missing(err) || err == OTA_ERR_SHORT_READ ||
           (err <= OTA_ERR_DELTA_FORMAT && err >= OTA_ERR_DELTA_VERSION) || err == OTA_ERR_MANIFEST_PATCH_DIGEST ||
           err == OTA_ERR_MANIFEST_COMPRESSED_DIGEST || err == OTA_ERR_MANIFEST_IMAGE_DIGEST;
}

/* The current candidate failed with err: note it; move to the next one
 * (OTA_OK) when that could help, else return err. Nothing of the failed
 * one is kept: otadata was never touched, the transfer starts afresh. */
static int next_candidate(struct ota_service *svc, struct ota_release_item *r, int err)
{
    const struct ota_manifest_file *f = current(r);
    r->failed[r->failed_count].item = f;
    r->failed[r->failed_count++].err = err;
    if (!avoidable(err, f) || r->tried + 1 >= r->decision.candidate_count) {
        return err;
    }
    const struct ota_manifest_file *next = r->decision.candidates[++r->tried];
    OTA_LOGW(TAG, "the %s %s failed (%s): taking the %s %s (%u bytes)", ota_manifest_kind_name(f->kind), f->uri,
             ota_strerror(err), ota_manifest_kind_name(next->kind), next->uri, (unsigned)next->size);
    ota_app_abort(&svc->work.up.app);
    ota_item_close(svc);
    ota_item_work_reset(svc);
    r->fell_back = true;
    return OTA_OK;
}

static int prepare_candidates(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    int err;
    do {
        const struct ota_manifest_file *f = current(r);
        r->decision.action = ota_manifest_install_action(f);
        err = through_applier(f) ? prepare_applier(svc, item, r, f) : prepare_full(svc, item, r, f);
    } while (err && (err = next_candidate(svc, r, err)) == OTA_OK);
    return err;
}

static bool installs(const struct ota_release_item *r)
{
    return r->decision.action == OTA_MANIFEST_INSTALL_PATCH || r->decision.action == OTA_MANIFEST_INSTALL_FULL ||
           r->decision.action == OTA_MANIFEST_INSTALL_COMPRESSED;
}

static int release_prepare(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    r->svc = svc;
    int err = ota_release_decide(svc, item, r);
    if (err || !installs(r)) {
        if (!err) {
            item->reboot_flag = false;  /* nothing installed: no restart */
        }
        return err;
    }
    return prepare_candidates(svc, item, r);
}

/* ---- need_upgrade, execute ------------------------------------------------ */

static int release_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    if (!installs(r) || through_applier(current(r))) {
        return OTA_OK;  /* an applier's output is checked by the app writer as it arrives */
    }
    return ota_item_app_need_upgrade(svc, item);
}

/* SHA-256 of the slot's first len bytes into digest. */
static int slot_digest(struct ota_item_work *w, uint32_t len, uint8_t digest[OTA_SHA256_LEN])
{
    ota_sha256_ctx sha;
    int err = OTA_OK;
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < len && !err;) {
        uint32_t n = len - off < sizeof(w->buf) ? len - off : (uint32_t)sizeof(w->buf);
        if (!(err = ota_pw_read_image(&w->up.app.pw, off, w->buf, n))) {
            ota_sha256_update(&sha, w->buf, n);
            off += n;
        }
    }
    ota_sha256_finish(&sha, digest);
    return err;
}

/* The image as it stands in the slot must be the one the manifest signed:
 * the plain file's size and SHA-256, or, made by an applier, the app's
 * size and appended SHA-256 (over all bytes before it, and stored there). */
static int check_installed(struct ota_service *svc, const struct ota_release_item *r, const struct ota_manifest_file *f)
{
    struct ota_item_work *w = &svc->work;
    uint8_t digest[OTA_SHA256_LEN];
    bool made = through_applier(f);
    uint32_t size = made ? r->manifest.app_size : f->size;
    const uint8_t *want = made ? r->manifest.app_sha256 : f->sha256;
    if (ota_app_written(&w->up.app) != size || (made && size <= OTA_SHA256_LEN)) {
        return OTA_ERR_MANIFEST_IMAGE_DIGEST;
    }
    const uint8_t *encrypted = ota_app_encrypted_digest(&w->up.app);
    if (encrypted && !made) {  /* the manifest signs the file it serves: the encrypted one */
        return memcmp(encrypted, want, OTA_SHA256_LEN) ? OTA_ERR_MANIFEST_IMAGE_DIGEST : OTA_OK;
    }
    uint32_t hashed = made ? size - OTA_SHA256_LEN : size;
    int err = slot_digest(w, hashed, digest);
    if (!err && made) {
        err = ota_pw_read_image(&w->up.app.pw, hashed, w->buf, OTA_SHA256_LEN);
    }
    if (!err && (memcmp(digest, want, OTA_SHA256_LEN) != 0 || (made && memcmp(w->buf, want, OTA_SHA256_LEN) != 0))) {
        err = OTA_ERR_MANIFEST_IMAGE_DIGEST;
    }
    return err;
}

static int install_current(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r)
{
    const struct ota_manifest_file *f = current(r);
    bool applier = through_applier(f) && !encrypted(f);
    int err = ota_item_pump(svc, item, applier ? &ota_item_patch_sink : &ota_item_app_sink);
    r->patch_bytes = applier ? svc->work.patch->bytes : 0;
    if (!err && applier) {
        err = applier_complete(svc, r, f);
    } else if (!err && decrypted_in_writer(f)) {
        err = decrypted_complete(&svc->work.up.app, r, f);
    }
    if (!err && (err = check_installed(svc, r, f))) {
        OTA_LOGE(TAG, "the image in %s is not the one the manifest signed", svc->work.part->label);
        (void)ota_pw_forget(&svc->work.up.app.pw);  /* never resumed onto: the next run starts afresh */
    }
    return err;
}

static int release_execute(struct ota_service *svc, struct ota_item *item)
{
    struct ota_release_item *r = item->user;
    int err;
    if (!installs(r)) {
        return OTA_OK;
    }
    /* never after the switch: only failures before ota_app_finish move on */
    while ((err = install_current(svc, item, r)) && (err = next_candidate(svc, r, err)) == OTA_OK) {
        if ((err = prepare_candidates(svc, item, r)) || (err = release_need_upgrade(svc, item))) {
            break;
        }
    }
    if (err) {
        ota_app_abort(&svc->work.up.app);
        return err;
    }
    r->installed = current(r);
    OTA_LOGI(TAG, "%s: %u image bytes from the %s %s (%u bytes)", r->manifest.version,
             (unsigned)r->manifest.app_size, ota_manifest_kind_name(r->installed->kind), r->installed->uri,
             (unsigned)r->installed->size);
    return ota_item_app_activate(svc);  /* as an app item */
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
