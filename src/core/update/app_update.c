/* The push-style app update: check, stream-verify, write, verify, select. */
#include <string.h>

#include "app_internal.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/journal.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/signature.h"
#include "ota/update.h"
#include "ota/version.h"

static const char *TAG = "OTA_APP";

static int app_inspect(void *ctx, const uint8_t *p, uint32_t n)
{
    struct ota_app_update *u = ctx;
    int err = ota_image_verify_feed(&u->verifier, p, n);
    if (err) {
        OTA_LOGE(TAG, "incoming image refused at byte %u: %s", (unsigned)u->pw.fed, ota_strerror(err));
    }
    return err;
}

static int running_on_trial(const struct ota_device *dev)
{
    const struct ota_partition *od_part = ota_pt_find(&dev->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    struct ota_otadata od;
    if (od_part && ota_otadata_read(dev->flash, od_part, &od) == OTA_OK) {
        int active = ota_otadata_active(&od);
        if (active >= 0 && od.copy[active].state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGE(TAG, "the running app is on trial (PENDING_VERIFY): mark it valid first");
            return OTA_ERR_PENDING_VERIFY;
        }
    }
    return OTA_OK;
}

static int pick_target(struct ota_app_update *u)
{
    const struct ota_device *dev = u->dev;
    const struct ota_partition *t = u->opt.target ? u->opt.target : ota_device_next_slot(dev);
    int err;
    if (!t || t->type != OTA_PT_TYPE_APP) {
        OTA_LOGE(TAG, "no %s partition to write", "OTA app");
        return u->opt.target ? OTA_ERR_NOT_FOUND : OTA_ERR_NO_OTA_SLOT;
    }
    if (!ota_pt_is_ota_app(t)) {
        /* otadata names OTA slots only: a factory or test app written here
         * could never be selected, and the finish would select another slot */
        OTA_LOGE(TAG, "%s is not an OTA slot: otadata cannot boot it", t->label);
        return OTA_ERR_TARGET_NOT_OTA;
    }
    if ((err = ota_device_writable(dev, t))) {
        return err;
    }
    u->opt.target = t;
    return OTA_OK;
}

static void read_running_desc(struct ota_app_update *u)
{
    uint8_t raw[OTA_APP_DESC_LEN];
    const struct ota_partition *r = u->dev->running;
    if (r && ota_flash_read(u->dev->flash, r->offset + OTA_APP_DESC_OFFSET, raw, sizeof(raw)) == OTA_OK) {
        ota_app_desc_decode(raw, &u->running_desc);
        u->has_running_desc = u->running_desc.magic == OTA_APP_DESC_MAGIC;
    }
}

static int fail(struct ota_app_update *u, int err)
{
    if (err) {
        u->phase = OTA_PHASE_FAILED;
#ifndef OTA_NO_DECRYPT
        ota_app_decrypt_stop(u);
#endif
    }
    return err;
}

static void init_verifier(struct ota_app_update *u)
{
    ota_image_verify_init(&u->verifier, &u->img);
    u->head_len = 0;
    u->head_checked = false;
}

int ota_app_begin(struct ota_app_update *u, const struct ota_device *dev, const struct ota_app_options *opt)
{
    int err;
    if (!u || !dev || !opt) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(u, 0, sizeof(*u));
    u->dev = dev;
    u->opt = *opt;
    u->phase = OTA_PHASE_FAILED;
    if ((err = running_on_trial(dev)) || (err = pick_target(u))) {
        return err;
    }
    read_running_desc(u);
    ota_pw_init(&u->pw, dev->flash, u->opt.target, u->opt.target->size, OTA_ERR_IMG_TOO_BIG, app_inspect, u);
    if (opt->source_id && (err = ota_pw_use_journal(&u->pw, opt->source_id, opt->validator))) {
        return err;
    }
    u->phase = OTA_PHASE_OPEN;
    if ((err = ota_app_set_source(u, opt->image_len, opt->validator)) < 0) {
        return err;
    }
    return OTA_OK;
}

const char *ota_app_resume_hint(const struct ota_app_update *u, uint32_t *offset)
{
    const char *validator = ota_pw_resume_hint(&u->pw, offset);
#ifndef OTA_NO_DECRYPT
    if (validator && u->pw.journal.chunk_log2) {
        *offset = ota_app_decrypt_resume_offset(u->pw.journal.durable, u->pw.journal.chunk_log2);
    }
#endif
    return validator;
}

int ota_app_set_source(struct ota_app_update *u, int64_t image_len, const char *validator)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    const struct ota_partition *t = u->opt.target;
    int64_t resumed = 0;
#ifndef OTA_NO_DECRYPT
    ota_app_decrypt_stop(u);
    u->dec.state = OTA_DECRYPT_OFF;  /* the image is told apart again at its first byte */
#endif
    if (image_len != OTA_LENGTH_UNKNOWN && (image_len < 0 || image_len > (int64_t)t->size)) {
        OTA_LOGE(TAG, OTA_LOG_DOES_NOT_FIT, "image", (long long)image_len, t->label, (unsigned)t->size, "");
        return fail(u, OTA_ERR_IMG_TOO_BIG);
    }
#ifndef OTA_NO_DECRYPT
    resumed = ota_app_decrypt_resumable(u, image_len, validator);  /* an encrypted offset, or 0 */
#endif
    if (!resumed) {
        /* An image that needs the slot's last 8 KiB leaves no room for the
         * journal: it updates as safely (otadata changes only after it
         * verified), but cannot resume after a power cut. */
        uint32_t room = ota_journal_data_capacity(t);
        bool journal = u->pw.journal_loaded && image_len != OTA_LENGTH_UNKNOWN && image_len <= (int64_t)room;
        u->pw.journaled = journal;
        u->pw.limit = journal ? room : t->size;
        ota_pw_reset(&u->pw, image_len, validator);
        resumed = ota_pw_resume(&u->pw);  /* 0 when the journal speaks of something else */
    }
    u->img = ota_image_opts_app();
    u->img.chip_id = u->dev->chip_id;
    u->img.chip_rev = u->dev->chip_rev;
    u->img.check_mapping = true;
    u->img.flash_offset = t->offset;
    u->img.max_len = u->pw.limit;
    init_verifier(u);
    return (int)resumed;
}

void ota_app_set_limit(struct ota_app_update *u, uint32_t limit)
{
    u->pw.limit = limit;
    u->img.max_len = limit;
    init_verifier(u);
}

uint32_t ota_app_resume_offset(const struct ota_app_update *u)
{
#ifndef OTA_NO_DECRYPT
    if (u->dec.state == OTA_DECRYPT_RESUMABLE) {
        return (uint32_t)u->dec.taken;  /* a chunked transfer continues at an encrypted offset */
    }
#endif
    return u->pw.written;
}

uint32_t ota_app_written(const struct ota_app_update *u)
{
#ifndef OTA_NO_DECRYPT
    if (u->dec.state != OTA_DECRYPT_OFF) {
        return (uint32_t)u->dec.taken;
    }
#endif
    return u->pw.written;
}

int ota_app_check_head(const struct ota_app_update *u, const uint8_t head[OTA_APP_HEAD_LEN])
{
    struct ota_app_desc in;
    if (head[0] != OTA_IMAGE_MAGIC) {
        OTA_LOGE(TAG, "incoming data is not an app image (first byte 0x%02x)", head[0]);
        return OTA_ERR_IMG_MAGIC;
    }
    ota_app_desc_decode(head + OTA_APP_DESC_OFFSET, &in);
    if (in.magic != OTA_APP_DESC_MAGIC) {
        OTA_LOGE(TAG, "incoming app descriptor magic 0x%08x is wrong", (unsigned)in.magic);
        return OTA_ERR_IMG_DESC;
    }
    if (u->opt.project && strcmp(in.project_name, u->opt.project) != 0) {
        OTA_LOGE(TAG, "incoming project '%s' is not '%s'", in.project_name, u->opt.project);
        return OTA_ERR_PROJECT_NAME;
    }
    if (in.secure_version < u->dev->secure_version) {
        OTA_LOGE(TAG, "incoming secure_version %u is below the anti-rollback counter %u",
                 (unsigned)in.secure_version, (unsigned)u->dev->secure_version);
        return OTA_ERR_SECURE_VERSION;
    }
    if (!u->opt.check_version) {
        return OTA_OK;
    }
    int32_t in_v = ota_version_parse(in.version);
    int32_t run_v = u->has_running_desc ? ota_version_parse(u->running_desc.version) : -1;
    if (in_v < 0) {
        OTA_LOGE(TAG, "incoming version '%s' is not vA.B.C", in.version);
        return OTA_ERR_VERSION_FORMAT;
    }
    if (in_v <= run_v) {
        OTA_LOGW(TAG, "incoming version %s is not higher than the running %s: no upgrade", in.version,
                 u->running_desc.version);
        return OTA_ERR_NOT_NEWER;
    }
    return OTA_OK;
}

/* The head is gathered from the image's first bytes, wherever they come
 * from (pushed, or replayed from flash on a resume). */
static int gather_head(struct ota_app_update *u, const uint8_t *p, uint32_t n, uint32_t *used)
{
    uint32_t k = OTA_APP_HEAD_LEN - u->head_len < n ? OTA_APP_HEAD_LEN - u->head_len : n;
    memcpy(u->head + u->head_len, p, k);
    u->head_len += k;
    *used = k;
    return OTA_OK;
}

int ota_app_seek(struct ota_app_update *u, uint64_t off)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
#ifndef OTA_NO_DECRYPT
    if (u->dec.state != OTA_DECRYPT_OFF) {
        return fail(u, ota_app_decrypt_seek(u, off));
    }
#endif
    return ota_app_seek_plain(u, off);
}

int ota_app_seek_plain(struct ota_app_update *u, uint64_t off)
{
    if (off > u->pw.written) {
        /* refused, nothing changed: the update goes on from where it was */
        OTA_LOGE(TAG, "seek past the %u bytes in flash", (unsigned)u->pw.written);
        return OTA_ERR_SEEK_UNWRITTEN;
    }
    if (off == 0 && !u->head_checked) {
        u->head_len = 0;  /* the head held in RAM comes again from its first byte */
    }
    if (off > 0 && !u->head_checked) {
        /* resuming past the head: it is in flash, check it from there */
        uint8_t head[OTA_APP_HEAD_LEN];
        int err = ota_pw_read_image(&u->pw, 0, head, sizeof(head));  /* written > 0: the head went first */
        if (!err) {
            err = ota_app_check_head(u, head);
        }
        if (err) {
            return fail(u, err);
        }
        u->head_checked = true;
    }
    return fail(u, ota_pw_seek(&u->pw, off));
}

int ota_app_write(struct ota_app_update *u, const void *data, size_t len)
{
    if (!u || (len && !data) || u->phase != OTA_PHASE_OPEN || len > UINT32_MAX) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len == 0) {
        return OTA_OK;  /* data may be NULL: nothing to gather or push */
    }
#ifndef OTA_NO_DECRYPT
    if (ota_app_decrypt_claims(u, data, len)) {
        return fail(u, ota_app_decrypt_write(u, data, len));
    }
#endif
    return ota_app_push_plain(u, data, len);
}

int ota_app_push_plain(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    int err;
    if (!u->head_checked) {
        uint32_t used;
        gather_head(u, p, (uint32_t)len, &used);
        p += used;
        len -= used;
        if (u->head_len < OTA_APP_HEAD_LEN) {
            return OTA_OK;  /* nothing is written before the checks */
        }
        u->head_checked = true;
        if ((err = ota_app_check_head(u, u->head)) || (err = ota_pw_push(&u->pw, u->head, OTA_APP_HEAD_LEN))) {
            return fail(u, err);
        }
    }
    return len ? fail(u, ota_pw_push(&u->pw, p, (uint32_t)len)) : OTA_OK;
}

int ota_app_restart(struct ota_app_update *u, int64_t image_len, const char *validator)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    u->pw.journal.state = OTA_JOURNAL_NONE;  /* what was written is not resumed: a new record follows */
    int err = ota_app_set_source(u, image_len, validator);
    return err < 0 ? err : OTA_OK;
}

static int verify_in_flash(struct ota_app_update *u, struct ota_image_info *info)
{
    const struct ota_partition *t = u->pw.part;
    int err = ota_image_verify_finish(&u->verifier, info);
    if (!err && u->pw.total != OTA_LENGTH_UNKNOWN && (int64_t)u->pw.written != u->pw.total) {
        err = OTA_ERR_SHORT_READ;  /* the image ended before the announced length */
    }
    if (!err) {
        /* What counts is what is in flash: verify it there before the switch. */
        err = ota_image_verify_partition(u->dev->flash, t, &u->img, info);
    }
    if (err) {
        OTA_LOGE(TAG, "image in %s does not verify: %s", t->label, ota_strerror(err));
        int forget = ota_pw_forget(&u->pw);  /* never resume onto this content */
        (void)forget;  /* the verification error is the one to report */
        return err;
    }
    ota_image_log_segments(t, info);
    if (u->dev->trusted_key_digest) {
        /* Secure Boot V2: the signature, checked in flash, before the switch. */
        struct ota_sig_result sig;
        err = ota_sig_verify_partition(u->dev->flash, t, info->image_len, u->dev->trusted_key_digest, &sig);
        if (err) {
            OTA_LOGE(TAG, "image in %s: %s: not activated", t->label, ota_strerror(err));
            return err;
        }
        OTA_LOGI(TAG, "signature verified (%s, trusted key)",
                 sig.block.version == OTA_SIG_VERSION_RSA ? "RSA-3072-PSS" : "ECDSA P-256");
    }
    return OTA_OK;
}

static int select_slot(struct ota_app_update *u)
{
    const struct ota_device *dev = u->dev;
    const struct ota_partition *slots[16];
    const struct ota_partition *od_part = ota_pt_find(&dev->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    struct ota_otadata od;
    unsigned count = ota_boot_ota_slots(&dev->table, slots);
    int err;
    if (!od_part) {
        return OTA_ERR_NOT_FOUND;
    }
    if ((err = ota_otadata_read(dev->flash, od_part, &od)) ||
        (err = ota_otadata_select(dev->flash, od_part, &od, u->pw.part->subtype & 0xFu, count, dev->rollback))) {
        OTA_LOGE(TAG, "setting the boot partition: %s", ota_strerror(err));
    }
    return err;
}

int ota_app_finish(struct ota_app_update *u, struct ota_image_info *info)
{
    int err;
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
#ifndef OTA_NO_DECRYPT
    if (u->dec.state != OTA_DECRYPT_OFF && (err = ota_app_decrypt_finish(u))) {
        return fail(u, err);
    }
#endif
    if (!u->head_checked) {
        OTA_LOGE(TAG, "the image ended at byte %u, before its descriptor", (unsigned)u->head_len);
        return fail(u, OTA_ERR_IMG_TRUNCATED);
    }
    if ((err = verify_in_flash(u, &u->info)) || (err = ota_pw_commit(&u->pw)) || (err = select_slot(u))) {
        return fail(u, err);
    }
    OTA_LOGI(TAG, "boot partition set to %s (%s %s)%s", u->pw.part->label, u->info.desc.project_name,
             u->info.desc.version, u->dev->rollback ? ": trial boot, the app must mark itself valid" : "");
    if (info) {
        *info = u->info;
    }
    u->phase = OTA_PHASE_DONE;
    return OTA_OK;
}

void ota_app_abort(struct ota_app_update *u)
{
    if (u && u->phase == OTA_PHASE_OPEN) {
        u->phase = OTA_PHASE_FAILED;  /* otadata was never touched: the running app boots */
    }
#ifndef OTA_NO_DECRYPT
    if (u) {
        ota_app_decrypt_stop(u);
    }
#endif
}
