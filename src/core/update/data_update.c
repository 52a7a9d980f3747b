/* The power-safe, push-style data partition update
 * (docs/data-partition-safety.md):
 *   1. journal: WRITING          (before the first byte of the partition changes)
 *   2. stream the data, holding page 0 back (stashed in the journal); hash
 *      every byte; journal each completed sector (resume point)
 *   3. program page 0
 *   4. read everything back and compare hashes
 *   5. the content check (e.g. a tone image's CRC and tail)
 *   6. journal: COMPLETE         (one bit: the only step that declares the content whole) */
#include <string.h>

#include "app_internal.h"
#include "ota/error.h"
#include "ota/journal.h"
#include "ota/log.h"
#include "ota/update.h"

static const char *TAG = "OTA_DATA";

static int data_inspect(void *ctx, const uint8_t *p, uint32_t n)
{
    struct ota_data_update *u = ctx;
    ota_sha256_update(&u->sha, p, n);
    return OTA_OK;
}

static int fail(struct ota_data_update *u, int err)
{
    if (err) {
        u->phase = OTA_PHASE_FAILED;
    }
    return err;
}

int ota_data_begin(struct ota_data_update *u, const struct ota_device *dev, const struct ota_partition *part,
                   const struct ota_data_options *opt)
{
    int err;
    if (!u || !dev || !opt) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(u, 0, sizeof(*u));
    u->dev = dev;
    u->opt = *opt;
    u->phase = OTA_PHASE_FAILED;
    if (!part || part->type == OTA_PT_TYPE_APP) {
        OTA_LOGE(TAG, "no %s partition to write", "data");
        return OTA_ERR_NOT_FOUND;
    }
    if ((err = ota_device_writable(dev, part))) {
        return err;
    }
    uint32_t room = ota_journal_data_capacity(part);
    if (room == 0) {
        OTA_LOGE(TAG, "partition %s (%u bytes) has no room beside its %u-byte journal", part->label,
                 (unsigned)part->size, OTA_JOURNAL_LEN);
        return OTA_ERR_DATA_TOO_BIG;
    }
    ota_pw_init(&u->pw, dev->flash, part, room, OTA_ERR_DATA_TOO_BIG, data_inspect, u);
    u->pw.hold_first_page = true;
    uint8_t anonymous[OTA_JOURNAL_SOURCE_ID_LEN];
    memset(anonymous, 0, sizeof(anonymous));  /* still journaled: power safety needs it */
    if ((err = ota_pw_use_journal(&u->pw, opt->source_id ? opt->source_id : anonymous, opt->validator))) {
        return err;
    }
    u->phase = OTA_PHASE_OPEN;
    if ((err = ota_data_set_source(u, opt->image_len, opt->validator)) < 0) {
        return err;
    }
    return OTA_OK;
}

const char *ota_data_resume_hint(const struct ota_data_update *u, uint32_t *offset)
{
    return u->opt.source_id ? ota_pw_resume_hint(&u->pw, offset) : NULL;
}

int ota_data_set_source(struct ota_data_update *u, int64_t image_len, const char *validator)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    const struct ota_partition *part = u->pw.part;
    if (image_len != OTA_LENGTH_UNKNOWN && (image_len < 0 || image_len > (int64_t)u->pw.limit)) {
        OTA_LOGE(TAG, OTA_LOG_DOES_NOT_FIT, "data", (long long)image_len, part->label, (unsigned)u->pw.limit,
                 " beside its journal");
        return fail(u, OTA_ERR_DATA_TOO_BIG);
    }
    ota_pw_reset(&u->pw, image_len, validator);
    ota_sha256_init(&u->sha);
    return u->opt.source_id ? (int)ota_pw_resume(&u->pw) : 0;
}

uint32_t ota_data_resume_offset(const struct ota_data_update *u)
{
    return u->pw.written;
}

uint32_t ota_data_written(const struct ota_data_update *u)
{
    return u->pw.written;
}

int ota_data_seek(struct ota_data_update *u, uint64_t off)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    return fail(u, ota_pw_seek(&u->pw, off));
}

int ota_data_write(struct ota_data_update *u, const void *data, size_t len)
{
    if (!u || (len && !data) || u->phase != OTA_PHASE_OPEN || len > UINT32_MAX) {
        return OTA_ERR_INVALID_ARG;
    }
    return len ? fail(u, ota_pw_push(&u->pw, data, (uint32_t)len)) : OTA_OK;
}

int ota_data_restart(struct ota_data_update *u, int64_t image_len, const char *validator)
{
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    u->pw.journal.state = OTA_JOURNAL_NONE;  /* what was written is not resumed: a new record follows */
    int err = ota_data_set_source(u, image_len, validator);
    return err < 0 ? err : OTA_OK;
}

static int read_back(struct ota_data_update *u)
{
    uint8_t want[OTA_SHA256_LEN], got[OTA_SHA256_LEN];
    ota_sha256_finish(&u->sha, want);
    int err = ota_pw_hash_flash(&u->pw, u->pw.written, got);
    if (!err && memcmp(got, want, OTA_SHA256_LEN) != 0) {
        err = OTA_ERR_READBACK;
    }
    if (err) {
        OTA_LOGE(TAG, "partition %s does not read back as written: %s", u->pw.part->label, ota_strerror(err));
    }
    return err;
}

int ota_data_finish(struct ota_data_update *u)
{
    int err;
    if (!u || u->phase != OTA_PHASE_OPEN) {
        return OTA_ERR_INVALID_ARG;
    }
    if (u->pw.total != OTA_LENGTH_UNKNOWN && (int64_t)u->pw.written != u->pw.total) {
        OTA_LOGE(TAG, "%u bytes arrived, %lld announced", (unsigned)u->pw.written, (long long)u->pw.total);
        return fail(u, OTA_ERR_SHORT_READ);
    }
    if ((err = ota_pw_flush_first_page(&u->pw)) || (err = read_back(u))) {
        return fail(u, err);
    }
    if (u->opt.check && (err = u->opt.check(u->opt.check_ctx, u->dev->flash, u->pw.part, u->pw.written))) {
        /* The content is whole but wrong: it stays WRITING (never counted
         * as installed), and nothing resumes onto it. */
        int forget = ota_pw_forget(&u->pw);
        (void)forget;  /* the check's error is the one to report */
        return fail(u, err);
    }
    if ((err = ota_pw_commit(&u->pw))) {
        return fail(u, err);
    }
    u->phase = OTA_PHASE_DONE;
    return OTA_OK;
}

void ota_data_abort(struct ota_data_update *u)
{
    if (u && u->phase == OTA_PHASE_OPEN) {
        u->phase = OTA_PHASE_FAILED;
    }
}
