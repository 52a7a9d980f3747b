/* The partition writer: compare, inspect, erase just ahead, program, journal. */
#include <string.h>

#include "ota/delta.h"
#include "ota/error.h"
#include "ota/part_writer.h"

#define CHUNK 256u  /* stack buffer for compares and replays: bounded, small */

void ota_pw_init(struct ota_part_writer *pw, const struct ota_flash *f, const struct ota_partition *part,
                 uint32_t limit, int too_big_err, ota_inspect_fn inspect, void *inspect_ctx)
{
    memset(pw, 0, sizeof(*pw));
    pw->flash = f;
    pw->part = part;
    pw->limit = limit;
    pw->too_big_err = too_big_err;
    pw->total = OTA_LENGTH_UNKNOWN;
    pw->inspect = inspect;
    pw->inspect_ctx = inspect_ctx;
    pw->journal.state = OTA_JOURNAL_NONE;
    memset(pw->first_page, 0xFF, sizeof(pw->first_page));
}

static void copy_validator(char dst[OTA_VALIDATOR_LEN + 1], const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n > OTA_VALIDATOR_LEN) {
        n = 0;  /* a validator that does not fit cannot be compared: none */
    }
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int ota_pw_use_journal(struct ota_part_writer *pw, const uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN],
                       const char *validator)
{
    if (ota_journal_data_capacity(pw->part) == 0) {
        return OTA_OK;
    }
    memcpy(pw->source_id, source_id, sizeof(pw->source_id));
    copy_validator(pw->validator, validator);
    pw->journaled = true;
    int err = ota_journal_load(pw->flash, pw->part, &pw->journal);
    pw->journal_loaded = err == OTA_OK;
    return err;
}

/* A record and a writer agree on whose output the image is: a plain
 * image's (no identity), or the same decoder's. */
static bool same_decoder(const struct ota_part_writer *pw)
{
    const struct ota_journal *j = &pw->journal;
    uint8_t id[OTA_JOURNAL_DECODER_ID_LEN];
    if (!pw->decoder_id || !j->has_decoder_id) {
        return !pw->decoder_id && !j->has_decoder_id;
    }
    return ota_journal_read_decoder_id(pw->flash, pw->part, j, id) == OTA_OK &&
           memcmp(id, pw->decoder_id, OTA_JOURNAL_DECODER_ID_LEN) == 0;
}

void ota_pw_set_decoder(struct ota_part_writer *pw, const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN])
{
    pw->decoder_id = id;
}

const char *ota_pw_checkpoint_hint(const struct ota_part_writer *pw)
{
    const struct ota_journal *j = &pw->journal;
    if (!pw->journal_loaded || j->state != OTA_JOURNAL_WRITING || !j->validator[0] || j->cp_out == 0 ||
        j->cp_out > j->durable || memcmp(j->source_id, pw->source_id, sizeof(pw->source_id)) != 0) {
        return NULL;
    }
    return j->validator;
}

uint32_t ota_pw_resume(struct ota_part_writer *pw)
{
    const struct ota_journal *j = &pw->journal;
    bool same = pw->journaled && j->state == OTA_JOURNAL_WRITING && j->durable > 0 && same_decoder(pw) &&
                memcmp(j->source_id, pw->source_id, sizeof(pw->source_id)) == 0 &&
                (!pw->hold_first_page || j->has_page0) && pw->total == (int64_t)j->length &&
                strcmp(j->validator, pw->validator) == 0 && j->durable <= pw->limit;
    if (!same) {
        return 0;
    }
    if (pw->hold_first_page) {
        memcpy(pw->first_page, j->page0, sizeof(pw->first_page));
    }
    pw->written = pw->erased = j->durable;
    pw->journal_begun = true;  /* the record in flash is ours to continue */
    return pw->written;
}

const char *ota_pw_resume_hint(const struct ota_part_writer *pw, uint32_t *offset)
{
    const struct ota_journal *j = &pw->journal;
    if (!pw->journal_loaded || j->state != OTA_JOURNAL_WRITING || j->durable == 0 || !j->validator[0] ||
        j->has_decoder_id ||
        memcmp(j->source_id, pw->source_id, sizeof(pw->source_id)) != 0 || (pw->hold_first_page && !j->has_page0)) {
        return NULL;
    }
    *offset = j->durable;
    return j->validator;
}

void ota_pw_reset(struct ota_part_writer *pw, int64_t total, const char *validator)
{
    pw->total = total;
    copy_validator(pw->validator, validator);
    pw->pos = 0;
    pw->written = pw->fed = pw->erased = 0;
    pw->journal_begun = false;
    pw->journal_retired = false;
    pw->journal_chunk_log2 = 0;
    memset(pw->first_page, 0xFF, sizeof(pw->first_page));
}

int ota_pw_read_image(const struct ota_part_writer *pw, uint32_t off, uint8_t *dst, uint32_t n)
{
    while (n && pw->hold_first_page && off < OTA_FLASH_PAGE_SIZE) {
        *dst++ = pw->first_page[off++];
        n--;
    }
    return n ? ota_flash_read(pw->flash, pw->part->offset + off, dst, n) : OTA_OK;
}

int ota_pw_hash_flash(const struct ota_part_writer *pw, uint32_t len, uint8_t out[OTA_SHA256_LEN])
{
    uint8_t chunk[CHUNK];
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < len;) {
        uint32_t n = len - off < CHUNK ? len - off : CHUNK;
        int err = ota_flash_read(pw->flash, pw->part->offset + off, chunk, n);
        if (err) {
            return err;
        }
        ota_sha256_update(&sha, chunk, n);
        off += n;
    }
    ota_sha256_finish(&sha, out);
    return OTA_OK;
}

static int feed(struct ota_part_writer *pw, const uint8_t *p, uint32_t n)
{
    int err = pw->inspect ? pw->inspect(pw->inspect_ctx, p, n) : OTA_OK;
    if (!err) {
        pw->fed += n;
    }
    return err;
}

int ota_pw_seek(struct ota_part_writer *pw, uint64_t off)
{
    uint8_t chunk[CHUNK];
    if (off > pw->written) {
        return OTA_ERR_SEEK_UNWRITTEN;
    }
    while (pw->fed < off) {
        uint32_t n = (uint32_t)off - pw->fed < CHUNK ? (uint32_t)off - pw->fed : CHUNK;
        int err = ota_pw_read_image(pw, pw->fed, chunk, n);
        if (!err) {
            err = feed(pw, chunk, n);
        }
        if (err) {
            return err;
        }
    }
    pw->pos = off;
    return OTA_OK;
}

/* Journal what is durable: page 0 once known, each completed sector. */
static int journal_progress(struct ota_part_writer *pw, uint32_t before)
{
    int err;
    if (!pw->journaled) {
        return OTA_OK;
    }
    if (!pw->journal_begun) {
        uint32_t length = pw->total == OTA_LENGTH_UNKNOWN ? 0xFFFFFFFFu : (uint32_t)pw->total;
        if ((err = ota_journal_begin(pw->flash, pw->part, &pw->journal, length, pw->source_id, pw->validator)) ||
            (pw->journal_chunk_log2 &&
             (err = ota_journal_mark_chunked(pw->flash, pw->part, &pw->journal, pw->journal_chunk_log2)))) {
            return err;
        }
        pw->journal_begun = true;
        if (pw->decoder_id && (err = ota_journal_decoder_id(pw->flash, pw->part, &pw->journal, pw->decoder_id))) {
            return err;
        }
    }
    if (pw->hold_first_page && pw->written >= OTA_FLASH_PAGE_SIZE && !pw->journal.has_page0 &&
        (err = ota_journal_stash_page0(pw->flash, pw->part, &pw->journal, pw->first_page))) {
        return err;
    }
    uint32_t done = pw->written & ~(OTA_FLASH_SECTOR_SIZE - 1);
    if (done > before && done > pw->journal.durable) {
        return ota_journal_progress(pw->flash, pw->part, &pw->journal, done);
    }
    return OTA_OK;
}

/* Erase just ahead of the writes: never the whole partition up front,
 * never a sector the data does not reach. A 64 KiB block erase (about as
 * slow as 3 sector erases, for 16 sectors) when the announced length fills
 * the whole aligned block. */
static int erase_ahead(struct ota_part_writer *pw, uint32_t end)
{
    const struct ota_partition *p = pw->part;
    while (pw->erased < end) {
        uint32_t unit = OTA_FLASH_SECTOR_SIZE;
        if ((p->offset + pw->erased) % OTA_FLASH_BLOCK_SIZE == 0 && pw->total != OTA_LENGTH_UNKNOWN &&
            (uint64_t)pw->erased + OTA_FLASH_BLOCK_SIZE <= (uint64_t)pw->total &&
            (uint64_t)pw->erased + OTA_FLASH_BLOCK_SIZE <= pw->limit) {
            unit = OTA_FLASH_BLOCK_SIZE;
        }
        if (p->size - pw->erased < unit) {
            return OTA_ERR_ALIGN;
        }
        int err = ota_flash_erase(pw->flash, p->offset + pw->erased, unit);
        if (err) {
            return err;
        }
        pw->erased += unit;
    }
    return OTA_OK;
}

/* New bytes at the end of what is written: inspected, then to flash. */
static int append(struct ota_part_writer *pw, const uint8_t *src, uint32_t len)
{
    uint32_t before = pw->written;
    int err;
    if (pw->total != OTA_LENGTH_UNKNOWN && (int64_t)pw->written + len > pw->total) {
        return OTA_ERR_MORE_THAN_ANNOUNCED;
    }
    if (pw->written > pw->limit || len > pw->limit - pw->written) {
        return pw->too_big_err;
    }
    if ((err = feed(pw, src, len))) {
        return err;
    }
    if (pw->journaled && !pw->journal_begun && (err = journal_progress(pw, before))) {
        return err;  /* WRITING goes to flash before the partition's first byte changes */
    }
    if (!pw->journaled && !pw->journal_retired) {
        /* e.g. a patch: a full image journaled earlier must not resume onto these bytes */
        if (ota_journal_data_capacity(pw->part) && (err = ota_journal_retire(pw->flash, pw->part))) {
            return err;
        }
        pw->journal_retired = true;
    }
    if (pw->hold_first_page && pw->written < OTA_FLASH_PAGE_SIZE) {
        uint32_t k = OTA_FLASH_PAGE_SIZE - pw->written < len ? OTA_FLASH_PAGE_SIZE - pw->written : len;
        memcpy(pw->first_page + pw->written, src, k);
        pw->written += k;
        src += k;
        len -= k;
    }
    if (len && (err = erase_ahead(pw, pw->written + len))) {
        return err;
    }
    if (len && (err = ota_flash_program(pw->flash, pw->part->offset + pw->written, src, len))) {
        return err;
    }
    pw->written += len;
    pw->pos = pw->written;
    return journal_progress(pw, before);
}

/* Bytes the stream repeats: they must equal what is in flash. */
static int compare(struct ota_part_writer *pw, const uint8_t *p, uint32_t k)
{
    uint8_t chunk[CHUNK];
    for (uint32_t done = 0; done < k;) {
        uint32_t n = k - done < CHUNK ? k - done : CHUNK;
        uint32_t at = (uint32_t)pw->pos + done;
        int err = ota_pw_read_image(pw, at, chunk, n);
        if (err) {
            return err;
        }
        if (memcmp(chunk, p + done, n) != 0) {
            return OTA_ERR_SOURCE_CHANGED;
        }
        if (at + n > pw->fed && (err = feed(pw, p + done + (pw->fed - at), at + n - pw->fed))) {
            return err;
        }
        done += n;
    }
    pw->pos += k;
    return OTA_OK;
}

int ota_pw_push(struct ota_part_writer *pw, const uint8_t *p, uint32_t len)
{
    int err;
    if (pw->pos < pw->written) {
        uint32_t k = pw->written - (uint32_t)pw->pos < len ? pw->written - (uint32_t)pw->pos : len;
        if ((err = compare(pw, p, k))) {
            return err;
        }
        p += k;
        len -= k;
    }
    return len ? append(pw, p, len) : OTA_OK;
}

int ota_pw_flush_first_page(struct ota_part_writer *pw)
{
    uint32_t head = pw->written < OTA_FLASH_PAGE_SIZE ? pw->written : OTA_FLASH_PAGE_SIZE;
    int err = OTA_OK;
    if (pw->hold_first_page && head) {
        err = erase_ahead(pw, head);  /* an image of one page never reached the erase */
        if (!err) {
            err = ota_flash_program(pw->flash, pw->part->offset, pw->first_page, head);
        }
    }
    pw->hold_first_page = false;
    return err;
}

int ota_pw_commit(struct ota_part_writer *pw)
{
    if (!pw->journaled) {
        return OTA_OK;
    }
    if (!pw->journal_begun) {
        int err = journal_progress(pw, pw->written);  /* an empty image still gets its record */
        if (err) {
            return err;
        }
    }
    return ota_journal_set_state(pw->flash, pw->part, &pw->journal, OTA_JOURNAL_COMPLETE);
}

int ota_pw_forget(struct ota_part_writer *pw)
{
    if (!pw->journaled || !pw->journal_begun) {
        return OTA_OK;
    }
    pw->journal_begun = false;
    return ota_journal_begin(pw->flash, pw->part, &pw->journal, 0xFFFFFFFFu, pw->source_id, "");
}

static uint32_t scratch_addr(void *ctx, uint32_t off)
{
    const struct ota_part_writer *pw = ctx;
    return pw->part->offset + off;
}

static int scratch_erase(void *ctx, uint32_t off, uint32_t len)
{
    return ota_flash_erase(((const struct ota_part_writer *)ctx)->flash, scratch_addr(ctx, off), len);
}

static int scratch_program(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    return ota_flash_program(((const struct ota_part_writer *)ctx)->flash, scratch_addr(ctx, off), buf, len);
}

static int scratch_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    return ota_flash_read(((const struct ota_part_writer *)ctx)->flash, scratch_addr(ctx, off), buf, len);
}

static const struct ota_delta_scratch_ops slot_scratch = {scratch_erase, scratch_program, scratch_read};

int ota_pw_lend_scratch(const struct ota_part_writer *pw, struct ota_delta *d)
{
    uint32_t cap = ota_journal_data_capacity(pw->part), top = cap ? cap : pw->part->size;
    if (top < 2 * OTA_FLASH_SECTOR_SIZE) {
        return OTA_OK; /* no room: a patch with a map is refused as unsupported */
    }
    return ota_delta_set_scratch(d, &slot_scratch, (void *)(uintptr_t)pw, top - OTA_FLASH_SECTOR_SIZE, true);
}
