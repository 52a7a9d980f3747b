/* The patch producer: an app item's bytes that are a delta patch go through
 * the delta applier, which reads the old image from the running slot and
 * hands the new image to the app writer, as if it had been downloaded
 * whole. The direct app item and the release item both use it. */
#include <stddef.h>
#include <string.h>

#include "../bytes.h"
#include "item_stream.h"
#include "ota/error.h"
#include "ota/log.h"

#define TAG ota_tag_default

/* The sink callbacks get the work area only; it sits inside the service. */
static struct ota_service *service_of(const struct ota_item_work *w)
{
    return (struct ota_service *)((const char *)w - offsetof(struct ota_service, work));
}

int ota_item_running_base(struct ota_service *svc, struct ota_image_info *info)
{
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = OTA_CHIP_ANY;
    int err = ota_image_verify_partition(svc->cfg.flash, svc->running, &o, info);
    if (!err && !info->header.hash_appended) {
        err = OTA_ERR_IMG_HASH;  /* without its SHA-256 no patch can name it */
    }
    if (err) {
        OTA_LOGE(TAG, "the running app in %s does not verify: %s", svc->running->label, ota_strerror(err));
    }
    return err;
}

int ota_item_patch_detect(struct ota_service *svc, bool *is_patch)
{
    *is_patch = false;
    int err = ota_item_peek(svc, 4);
    if (err == OTA_ERR_SHORT_READ) {
        return OTA_OK;  /* shorter than any patch header: the image checks will say what it is */
    }
    if (!err) {
        *is_patch = ota_delta_is_patch(svc->work.buf, 4);
    }
    return err;
}

/* The first 8 bytes of a digest in hex, for the log. */
static void hex8(const uint8_t *d, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 8; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[16] = '\0';
}

int ota_item_patch_check_base(struct ota_service *svc, struct ota_item *item, struct ota_image_info *base,
                              struct ota_delta_header *hdr)
{
    char want[17], have[17];
    if (!svc->work.patch) {
        OTA_LOGE(TAG, "%s is a patch: this firmware has no patch work area", ota_item_uri(svc, item));
        return OTA_ERR_DELTA_UNSUPPORTED;
    }
    uint32_t n = OTA_DELTA_HEADER_MAX;  /* the longest header: enough for either form */
    if (svc->work.total >= 0 && svc->work.total < (int64_t)n) {
        n = (uint32_t)svc->work.total;  /* a tiny patch: parse says whether it is whole */
    }
    int err = ota_item_peek(svc, n);
    if (err || (err = ota_delta_parse_header(svc->work.buf, n, hdr))) {
        OTA_LOGE(TAG, "%s: patch header: %s", ota_item_uri(svc, item), ota_strerror(err));
        return err;
    }
    if (hdr->form == OTA_DELTA_COMPRESSED) {
        memset(base, 0, sizeof(*base));  /* a whole image: no base */
        OTA_LOGI(TAG, "%s is a compressed image of %u bytes", ota_item_uri(svc, item), (unsigned)hdr->new_size);
        return OTA_OK;
    }
    if ((err = ota_item_running_base(svc, base))) {
        return err;
    }
    if (!hdr->has_base || memcmp(hdr->base_sha256, base->hash_stored, OTA_SHA256_LEN) != 0 ||
        (hdr->old_size && hdr->old_size != base->image_len)) {
        hex8(hdr->base_sha256, want);
        hex8(base->hash_stored, have);
        OTA_LOGE(TAG, "%s is a patch for app %s..., not the running %s... (%s): nothing written",
                 ota_item_uri(svc, item), want, have, svc->running->label);
        return OTA_ERR_DELTA_BASE;
    }
    OTA_LOGI(TAG, "%s is a patch for the running app (%u bytes in %s)", ota_item_uri(svc, item),
             (unsigned)base->image_len, svc->running->label);
    return OTA_OK;
}

/* ---- the producer: applier callbacks and the sink ------------------------ */

static int read_running(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct ota_service *svc = ctx;
    return ota_flash_read(svc->cfg.flash, svc->running->offset + off, buf, len);
}

/* A compressed image's history: what the app writer has taken so far (its
 * first bytes wait in RAM until the head checks pass). */
static int read_written(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct ota_service *svc = ctx;
    const struct ota_app_update *u = &svc->work.up.app;
    if (!u->head_checked) {
        if ((uint64_t)off + len > u->head_len) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        memcpy(buf, u->head + off, len);
        return OTA_OK;
    }
    return ota_pw_read_image(&u->pw, off, buf, len);
}

static int write_new(void *ctx, const uint8_t *data, uint32_t len)
{
    struct ota_service *svc = ctx;
    return ota_app_write(&svc->work.up.app, data, len);
}

void ota_item_patch_setup(struct ota_service *svc, const struct ota_image_info *base, int64_t new_len,
                          uint64_t max_bytes, int over_err)
{
    struct ota_item_patch *p = svc->work.patch;
    memset(p, 0, offsetof(struct ota_item_patch, delta));
    p->active = true;
    p->new_len = new_len;
    p->max_bytes = max_bytes;
    p->over_err = over_err;
    p->base_len = base->image_len;
    memcpy(p->base_sha256, base->hash_stored, OTA_SHA256_LEN);
}

/* From patch byte 0: a fresh applier, the new image from its byte 0. The
 * applier checks the base again, before its first output byte. Its bounds:
 * the new image's signed length, else the slot; the patch's signed length,
 * else the slot. */
static int restart(struct ota_service *svc)
{
    struct ota_item_patch *p = svc->work.patch;
    uint32_t slot = svc->work.part->size;
    uint32_t out_max = p->new_len == OTA_LENGTH_UNKNOWN ? slot : (uint32_t)p->new_len;
    uint32_t in_max = p->max_bytes == 0 ? slot : p->max_bytes < UINT32_MAX ? (uint32_t)p->max_bytes : UINT32_MAX;
    p->bytes = 0;
    ota_sha256_init(&p->sha);
    int err = ota_delta_begin(&p->delta, p->base_len, p->base_sha256, read_running, write_new, svc);
    if (!err) {
        ota_delta_set_history(&p->delta, read_written);
        err = ota_pw_lend_scratch(&svc->work.up.app.pw, &p->delta);  /* a relocation map's place */
    }
    return err ? err : ota_delta_set_bounds(&p->delta, out_max, in_max);
}

void ota_item_decoder_id(const struct ota_delta_checkpoint *cp, const uint8_t *base,
                         uint8_t id[OTA_JOURNAL_DECODER_ID_LEN])
{
    put_le32(id, cp->image_len);
    put_le32(id + 4, cp->sync);
    memcpy(id + 8, cp->image_sha256, OTA_SHA256_LEN);
    put_le32(id + 40, cp->form);
    memset(id + 44, 0, OTA_SHA256_LEN);
    if (base) {
        memcpy(id + 44, base, OTA_SHA256_LEN);
    }
}

bool ota_item_patch_resumable(const struct ota_delta_header *hdr)
{
    return (hdr->form == OTA_DELTA_COMPRESSED || hdr->form == OTA_DELTA_COMPACT) && hdr->sync;
}

void ota_item_patch_journal(struct ota_service *svc, const struct ota_delta_header *hdr, const uint8_t *base_sha)
{
    struct ota_item_patch *p = svc->work.patch;
    uint32_t form = (uint32_t)hdr->form | (uint32_t)hdr->flags << 8;  /* a resumed applier needs the flags */
    struct ota_delta_checkpoint at = {0, 0, hdr->new_size, hdr->sync, {0}, form};
    memcpy(at.image_sha256, hdr->new_sha256, OTA_SHA256_LEN);
    ota_item_decoder_id(&at, hdr->form == OTA_DELTA_COMPACT ? base_sha : NULL, p->decoder_id);
    ota_pw_set_decoder(&svc->work.up.app.pw, p->decoder_id);
    p->resumable = true;
}

/* A journal identity's patch can resume at (in_off, out_off): its form
 * one with sync points, the offsets on its interval and in the slot, a
 * compact patch's base the running app (filled into *base). */
static int checkpoint_usable(struct ota_service *svc, const uint8_t *id, uint32_t in_off, uint32_t out_off,
                             struct ota_image_info *base)
{
    uint32_t len = get_le32(id), sync = get_le32(id + 4), room = svc->work.part->size;
    uint32_t form = get_le32(id + 40) & ~(OTA_DELTA_FLAG_RELOC << 8);  /* a compact patch's flags in bits 8-15 */
    uint32_t hlen = form == OTA_DELTA_COMPACT ? OTA_DELTA_COMPACT_HEADER_LEN : OTA_CZ_HEADER_LEN;
    if ((form != OTA_DELTA_COMPRESSED && form != OTA_DELTA_COMPACT) || len > room || in_off > room ||
        in_off < hlen || !sync || sync % OTA_CZ_SYNC_UNIT || out_off % sync || out_off >= len) {
        return OTA_ERR_DELTA_CHECKPOINT;
    }
    if (form == OTA_DELTA_COMPACT) {
        int err = ota_item_running_base(svc, base);
        return err ? err : memcmp(id + 44, base->hash_stored, OTA_SHA256_LEN) ? OTA_ERR_DELTA_BASE : OTA_OK;
    }
    return OTA_OK;
}

int ota_item_checkpoint_id(struct ota_service *svc, uint32_t in_off, uint32_t out_off,
                           uint8_t id[OTA_JOURNAL_DECODER_ID_LEN], struct ota_image_info *base)
{
    const struct ota_part_writer *pw = &svc->work.up.app.pw;
    memset(base, 0, sizeof(*base));
    memset(id, 0, OTA_JOURNAL_DECODER_ID_LEN);
    int err = ota_journal_read_decoder_id(pw->flash, pw->part, &pw->journal, id);
    return err ? err : checkpoint_usable(svc, id, in_off, out_off, base);
}

int ota_item_checkpoint_refused(struct ota_service *svc, struct ota_item *item, int why)
{
    const struct ota_part_writer *pw = &svc->work.up.app.pw;
    /* never stuck on a record that cannot be resumed: retire it, from byte 0 */
    OTA_LOGW(TAG, "%s: checkpoint cannot be resumed (%s): from byte 0", ota_item_uri(svc, item),
             ota_strerror(why));
    ota_item_close(svc);
    return ota_journal_retire(pw->flash, pw->part);
}

int ota_item_patch_resume_at(struct ota_service *svc, struct ota_item *item, const char *name,
                             const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN], uint32_t in_off, uint32_t out_off)
{
    struct ota_item_patch *p = svc->work.patch;
    memcpy(p->decoder_id, id, OTA_JOURNAL_DECODER_ID_LEN);
    ota_pw_set_decoder(&svc->work.up.app.pw, p->decoder_id);
    p->resumable = true;
    p->resume_in = in_off;
    p->resume_out = out_off;
    OTA_LOGI(TAG, "%s: resuming the %s at its checkpoint: patch byte %u, image byte %u", name,
             (get_le32(id + 40) & 0xFFu) == OTA_DELTA_COMPACT ? "compact patch" : "compressed image", (unsigned)in_off,
             (unsigned)out_off);
    return ota_item_attach(svc, item, &ota_item_patch_sink);
}

/* A decoder that went on from a journal checkpoint and then failed (its
 * output not the image, the checkpoint unusable): the checkpoint is never
 * believed again, the next run starts from patch byte 0. */
static int forget_checkpoint(struct ota_item_work *w, int err)
{
    struct ota_part_writer *pw = &w->up.app.pw;
    if (err && err != OTA_ERR_POWER_LOST && w->patch->from_checkpoint) {
        w->patch->from_checkpoint = false;
        OTA_LOGW(TAG, "resumed at a checkpoint, failed (%s): next from byte 0", ota_strerror(err));
        (void)ota_journal_retire(pw->flash, pw->part);  /* err is what the item reports */
    }
    return err;
}

/* The decoder at the journal's checkpoint, the app writer at its output
 * offset (the bytes before it replayed from flash into the checks):
 * returns the patch offset the transfer goes on from. */
static int resume_decoder(struct ota_item_work *w)
{
    struct ota_item_patch *p = w->patch;
    const uint8_t *id = p->decoder_id;
    struct ota_delta_checkpoint cp = {p->resume_in, p->resume_out, get_le32(id), get_le32(id + 4), {0},
                                      get_le32(id + 40)};
    memcpy(cp.image_sha256, id + 8, OTA_SHA256_LEN);
    p->resume_out = 0;  /* once: a later start is from byte 0 */
    p->from_checkpoint = true;
    int err = ota_app_seek(&w->up.app, cp.out_off);
    if (err || (err = ota_delta_resume(&p->delta, &cp))) {
        return forget_checkpoint(w, err);
    }
    p->bytes = cp.in_off;
    p->saved_out = cp.out_off;
    return (int)cp.in_off;
}

static int patch_set_source(struct ota_item_work *w, int64_t total, const char *validator)
{
    struct ota_item_patch *p = w->patch;
    (void)total;
    /* Only a compressed image or compact patch with sync points keeps a
     * journal (its checkpoints); another patch's state lives only in RAM and
     * a rerun starts from patch byte 0, the app writer comparing what it
     * rewrites. */
    int durable = ota_app_set_source(&w->up.app, p->new_len, p->resumable ? validator : NULL);
    int err = durable < 0 ? durable : restart(service_of(w));
    if (err) {
        return err;
    }
    if (p->resume_out > (uint32_t)durable) {
        p->resume_out = 0;  /* the journal did not match after all: from byte 0 */
    }
    return p->resume_out ? resume_decoder(w) : 0;
}

/* A sync point the decoder passed whose output is durable: journal it. */
static int save_checkpoint(struct ota_item_work *w)
{
    struct ota_item_patch *p = w->patch;
    struct ota_part_writer *pw = &w->up.app.pw;
    struct ota_delta_checkpoint cp;
    if (!p->resumable || !pw->journal_begun || !ota_delta_checkpoint(&p->delta, &cp) || cp.out_off <= p->saved_out ||
        pw->journal.durable < cp.out_off) {
        return OTA_OK;
    }
    p->saved_out = cp.out_off;
    return ota_journal_checkpoint(pw->flash, pw->part, &pw->journal, cp.in_off, cp.out_off, p->decoder_id);
}

static int patch_seek(struct ota_item_work *w, uint64_t off)
{
    if (off == w->patch->bytes) {
        return OTA_OK;  /* a reconnection continues where the applier is */
    }
    if (off != 0) {
        return OTA_ERR_INVALID_ARG;
    }
    w->patch->resume_out = 0;
    w->patch->saved_out = 0;
    w->patch->from_checkpoint = false;
    int err = ota_app_seek(&w->up.app, 0);
    return err ? err : restart(service_of(w));
}

static int patch_write(struct ota_item_work *w, const void *data, size_t n)
{
    struct ota_item_patch *p = w->patch;
    if (p->max_bytes && p->bytes + n > p->max_bytes) {
        return p->over_err ? p->over_err : OTA_ERR_DELTA_INPUT_BOUND;
    }
    ota_sha256_update(&p->sha, data, n);
    p->bytes += n;
    int err = forget_checkpoint(w, ota_delta_write(&p->delta, data, n));
    return err ? err : save_checkpoint(w);
}

static uint32_t patch_written(const struct ota_item_work *w)
{
    return (uint32_t)w->patch->bytes;
}

const struct item_sink ota_item_patch_sink = {patch_seek, patch_write, patch_set_source, patch_written};

int ota_item_patch_finish(struct ota_service *svc, uint8_t digest[OTA_SHA256_LEN])
{
    struct ota_item_patch *p = svc->work.patch;
    uint8_t d[OTA_SHA256_LEN];
    int err = forget_checkpoint(&svc->work, ota_delta_finish(&p->delta));
    ota_sha256_finish(&p->sha, d);
    if (digest) {
        memcpy(digest, d, OTA_SHA256_LEN);
    }
    if (err) {
        OTA_LOGE(TAG, "the patch does not apply: %s", ota_strerror(err));
    }
    return err;
}
