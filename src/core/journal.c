/* Update journal (docs/data-partition-safety.md). */
#include <string.h>

#include "ota/error.h"
#include "ota/hash.h"
#include "ota/journal.h"
#include "bytes.h"

/*
 * One journal sector, little-endian:
 *     0  u32 magic 0x4A41544F ("OTAJ")
 *     4  u32 seq                 larger wins
 *     8  u32 state               3 WRITING, 1 COMPLETE, 0 RETIRED (not under the CRC:
 *                                it changes by clearing bits, in place)
 *    12  u32 length
 *    16  u8[12] source id
 *    28  u32 CRC-32 of bytes 0..7 and 12..27
 *    32  u8[92] validator, NUL-padded
 *   124  u32 CRC-32 of bytes 32..123
 *   128  u8[256] stash of the image's first page
 *   384  u32 CRC-32 of bytes 128..383
 *   388  u32 chunked encrypted transfer: u8 log2 of its chunk size (9..12),
 *            u8 its complement, u16 0xFFFF; erased (0xFFFFFFFF) for any other
 *   392  progress entries, 8 bytes each: u32 pos, u32 ~pos; erased = unused
 *  3760  decoder identity: u8[76] (image length, sync interval, image SHA-256,
 *        form, base SHA-256 of a resumable patch header), u32 CRC-32 of them
 *  3840  decoder checkpoints, 16 slots of 16 bytes: u32 input offset, u32
 *        output offset, u32 CRC-32 of the identity, u32 CRC-32 of bytes 0..11;
 *        erased = unused, the valid one with the largest output offset counts
 */
#define OFF_STATE 8u
#define OFF_VALIDATOR 32u
#define OFF_VALIDATOR_CRC 124u
#define OFF_PAGE0 128u
#define OFF_PAGE0_CRC 384u
#define OFF_CHUNKED 388u
#define OFF_ENTRIES 392u
#define ENTRY_LEN 8u
#define OFF_DECODER_ID 3760u
#define OFF_CHECKPOINTS 3840u
#define CHECKPOINT_LEN 16u
#define MAX_CHECKPOINTS ((OTA_FLASH_SECTOR_SIZE - OFF_CHECKPOINTS) / CHECKPOINT_LEN)
#define MAX_ENTRIES ((OFF_DECODER_ID - OFF_ENTRIES) / ENTRY_LEN)

uint32_t ota_journal_data_capacity(const struct ota_partition *part)
{
    if (part->size % OTA_FLASH_SECTOR_SIZE || part->size < OTA_JOURNAL_LEN + OTA_FLASH_SECTOR_SIZE) {
        return 0;
    }
    return part->size - OTA_JOURNAL_LEN;
}

static uint32_t sector_addr(const struct ota_partition *part, int copy)
{
    return part->offset + ota_journal_data_capacity(part) + (uint32_t)copy * OTA_FLASH_SECTOR_SIZE;
}

static uint32_t header_crc(const uint8_t *h)
{
    return ota_crc32(ota_crc32(0, h, 8), h + 12, 16);
}

struct header {
    bool valid;
    uint32_t seq, state, length;
    uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN];
};

static int read_header(const struct ota_flash *f, const struct ota_partition *part, int copy, struct header *h)
{
    uint8_t raw[32];
    int err = ota_flash_read(f, sector_addr(part, copy), raw, sizeof(raw));
    if (err) {
        return err;
    }
    h->seq = get_le32(raw + 4);
    h->state = get_le32(raw + OFF_STATE);
    h->length = get_le32(raw + 12);
    memcpy(h->id, raw + 16, sizeof(h->id));
    h->valid = get_le32(raw) == OTA_JOURNAL_MAGIC && get_le32(raw + 28) == header_crc(raw) &&
               (h->state == OTA_JOURNAL_WRITING || h->state == OTA_JOURNAL_COMPLETE || h->state == OTA_JOURNAL_RETIRED);
    return OTA_OK;
}

static int load_entries(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j)
{
    uint8_t raw[OFF_ENTRIES];
    uint32_t base = sector_addr(part, j->copy);
    int err = ota_flash_read(f, base, raw, sizeof(raw));
    if (err) {
        return err;
    }
    if (get_le32(raw + OFF_VALIDATOR_CRC) == ota_crc32(0, raw + OFF_VALIDATOR, OTA_JOURNAL_VALIDATOR_LEN)) {
        memcpy(j->validator, raw + OFF_VALIDATOR, OTA_JOURNAL_VALIDATOR_LEN);
        j->validator[OTA_JOURNAL_VALIDATOR_LEN] = '\0';
    }
    if (get_le32(raw + OFF_PAGE0_CRC) == ota_crc32(0, raw + OFF_PAGE0, OTA_FLASH_PAGE_SIZE)) {
        memcpy(j->page0, raw + OFF_PAGE0, OTA_FLASH_PAGE_SIZE);
        j->has_page0 = true;
    }
    uint32_t w = get_le32(raw + OFF_CHUNKED);
    uint8_t log2 = (uint8_t)w;
    if (w >> 16 == 0xFFFFu && (uint8_t)(w >> 8) == (uint8_t)~log2 && log2 >= 9 && log2 <= 12) {
        j->chunk_log2 = log2;  /* a torn mark fails its complement: a plain record, never resumed as chunked */
    }
    /* Entries are appended in order; a torn one fails its complement and
     * is skipped, the first erased one ends the list. */
    for (unsigned i = 0; i < MAX_ENTRIES; i++) {
        uint8_t e[ENTRY_LEN];
        if ((err = ota_flash_read(f, base + OFF_ENTRIES + i * ENTRY_LEN, e, sizeof(e)))) {
            return err;
        }
        uint32_t pos = get_le32(e), inv = get_le32(e + 4);
        if (pos == 0xFFFFFFFFu && inv == 0xFFFFFFFFu) {
            j->next_entry = i;
            return OTA_OK;
        }
        if (pos == ~inv && pos > j->durable) {
            j->durable = pos;
        }
    }
    j->next_entry = MAX_ENTRIES;
    return OTA_OK;
}

static bool erased(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

/* The decoder identity and the checkpoints bound to it; a torn or stale
 * one (its identity's CRC differs) is never believed. */
static int load_checkpoints(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j)
{
    uint8_t raw[OTA_FLASH_SECTOR_SIZE - OFF_DECODER_ID];
    int err = ota_flash_read(f, sector_addr(part, j->copy) + OFF_DECODER_ID, raw, sizeof(raw));
    if (err) {
        return err;
    }
    uint32_t id_crc = ota_crc32(0, raw, OTA_JOURNAL_DECODER_ID_LEN);
    j->has_decoder_id = get_le32(raw + OTA_JOURNAL_DECODER_ID_LEN) == id_crc;
    for (unsigned i = 0; i < MAX_CHECKPOINTS; i++) {
        const uint8_t *e = raw + (OFF_CHECKPOINTS - OFF_DECODER_ID) + i * CHECKPOINT_LEN;
        if (!erased(e, CHECKPOINT_LEN)) {
            j->next_checkpoint = (uint8_t)(i + 1);
        }
        if (j->has_decoder_id && get_le32(e + 8) == id_crc && get_le32(e + 12) == ota_crc32(0, e, 12) &&
            get_le32(e + 4) >= j->cp_out) {
            j->cp_in = get_le32(e);
            j->cp_out = get_le32(e + 4);
        }
    }
    return OTA_OK;
}

int ota_journal_read_decoder_id(const struct ota_flash *f, const struct ota_partition *part,
                                const struct ota_journal *j, uint8_t id[OTA_JOURNAL_DECODER_ID_LEN])
{
    uint8_t blk[OTA_JOURNAL_DECODER_ID_LEN + 4];
    if (j->copy < 0 || !j->has_decoder_id) {
        return OTA_ERR_NOT_FOUND;
    }
    int err = ota_flash_read(f, sector_addr(part, j->copy) + OFF_DECODER_ID, blk, sizeof(blk));
    if (!err && get_le32(blk + OTA_JOURNAL_DECODER_ID_LEN) != ota_crc32(0, blk, OTA_JOURNAL_DECODER_ID_LEN)) {
        err = OTA_ERR_NOT_FOUND;
    }
    if (!err) {
        memcpy(id, blk, OTA_JOURNAL_DECODER_ID_LEN);
    }
    return err;
}

int ota_journal_decoder_id(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                           const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN])
{
    uint8_t blk[OTA_JOURNAL_DECODER_ID_LEN + 4];
    if (j->copy < 0 || j->state != OTA_JOURNAL_WRITING || j->has_decoder_id) {
        return OTA_ERR_INVALID_ARG;
    }
    memcpy(blk, id, OTA_JOURNAL_DECODER_ID_LEN);
    put_le32(blk + OTA_JOURNAL_DECODER_ID_LEN, ota_crc32(0, id, OTA_JOURNAL_DECODER_ID_LEN));
    int err = ota_flash_program(f, sector_addr(part, j->copy) + OFF_DECODER_ID, blk, sizeof(blk));
    if (!err) {
        j->has_decoder_id = true;
    }
    return err;
}

int ota_journal_checkpoint(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                           uint32_t in_off, uint32_t out_off, const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN])
{
    uint8_t e[CHECKPOINT_LEN], have[OTA_JOURNAL_DECODER_ID_LEN];
    int err = OTA_OK;
    if (!f || !part || !j || !id || j->copy < 0 || j->state != OTA_JOURNAL_WRITING || out_off == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    if (j->next_checkpoint >= MAX_CHECKPOINTS) {
        return OTA_OK;
    }
    if (!j->has_decoder_id) {
        err = ota_journal_decoder_id(f, part, j, id);
    } else if (!(err = ota_journal_read_decoder_id(f, part, j, have)) &&
               memcmp(have, id, OTA_JOURNAL_DECODER_ID_LEN) != 0) {
        err = OTA_ERR_INVALID_ARG;  /* one decoder per record */
    }
    if (err) {
        return err;
    }
    put_le32(e, in_off);
    put_le32(e + 4, out_off);
    put_le32(e + 8, ota_crc32(0, id, OTA_JOURNAL_DECODER_ID_LEN));
    put_le32(e + 12, ota_crc32(0, e, 12));
    uint32_t at = sector_addr(part, j->copy) + OFF_CHECKPOINTS + j->next_checkpoint * CHECKPOINT_LEN;
    err = ota_flash_program(f, at, e, sizeof(e));
    j->next_checkpoint++;  /* a failed program may have left bits: never reuse the slot */
    if (!err) {
        j->cp_in = in_off;
        j->cp_out = out_off;
    }
    return err;
}

int ota_journal_load(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j)
{
    struct header h[2];
    int err;
    if (!f || !part || !j || ota_journal_data_capacity(part) == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(j, 0, sizeof(*j));
    j->state = OTA_JOURNAL_NONE;
    j->copy = -1;
    for (int i = 0; i < 2; i++) {
        if ((err = read_header(f, part, i, &h[i]))) {
            return err;
        }
    }
    int c = (h[0].valid && h[1].valid) ? (h[1].seq > h[0].seq ? 1 : 0) : h[0].valid ? 0 : h[1].valid ? 1 : -1;
    if (c < 0) {
        return OTA_OK;
    }
    j->copy = c;
    j->seq = h[c].seq;
    j->state = h[c].state == OTA_JOURNAL_RETIRED ? OTA_JOURNAL_NONE : (enum ota_journal_state)h[c].state;
    j->length = h[c].length;
    memcpy(j->source_id, h[c].id, sizeof(j->source_id));
    err = load_entries(f, part, j);
    return err ? err : load_checkpoints(f, part, j);
}

int ota_journal_read(const struct ota_flash *f, const struct ota_partition *part, enum ota_journal_state *state)
{
    struct ota_journal j;
    int err = ota_journal_load(f, part, &j);
    if (!err) {
        *state = j.state;
    }
    return err;
}

int ota_journal_begin(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                      uint32_t length, const uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN], const char *validator)
{
    uint8_t raw[OFF_PAGE0];
    int err;
    if (!f || !part || !j || ota_journal_data_capacity(part) == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    int target = j->copy < 0 ? 0 : j->copy ^ 1;
    uint32_t seq = j->copy < 0 ? 1 : j->seq + 1;
    memset(raw, 0, sizeof(raw));
    put_le32(raw, OTA_JOURNAL_MAGIC);
    put_le32(raw + 4, seq);
    put_le32(raw + OFF_STATE, OTA_JOURNAL_WRITING);
    put_le32(raw + 12, length);
    if (source_id) {
        memcpy(raw + 16, source_id, OTA_JOURNAL_SOURCE_ID_LEN);
    }
    put_le32(raw + 28, header_crc(raw));
    size_t vlen = validator ? strlen(validator) : 0;
    if (vlen > OTA_JOURNAL_VALIDATOR_LEN) {
        vlen = 0;  /* too long to keep: resume then cannot use If-Range */
    }
    memcpy(raw + OFF_VALIDATOR, validator ? validator : "", vlen);
    put_le32(raw + OFF_VALIDATOR_CRC, ota_crc32(0, raw + OFF_VALIDATOR, OTA_JOURNAL_VALIDATOR_LEN));
    uint32_t addr = sector_addr(part, target);
    if ((err = ota_flash_erase(f, addr, OTA_FLASH_SECTOR_SIZE)) || (err = ota_flash_program(f, addr, raw, sizeof(raw)))) {
        return err;
    }
    memset(j, 0, sizeof(*j));
    j->state = OTA_JOURNAL_WRITING;
    j->copy = target;
    j->seq = seq;
    j->length = length;
    if (source_id) {
        memcpy(j->source_id, source_id, OTA_JOURNAL_SOURCE_ID_LEN);
    }
    memcpy(j->validator, raw + OFF_VALIDATOR, vlen);
    return OTA_OK;
}

int ota_journal_progress(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                         uint32_t pos)
{
    uint8_t e[ENTRY_LEN];
    if (j->copy < 0 || j->state != OTA_JOURNAL_WRITING) {
        return OTA_ERR_INVALID_ARG;
    }
    if (j->next_entry >= MAX_ENTRIES) {
        return OTA_OK;  /* full: later progress is not durable, which is safe, only slower to resume */
    }
    put_le32(e, pos);
    put_le32(e + 4, ~pos);
    int err = ota_flash_program(f, sector_addr(part, j->copy) + OFF_ENTRIES + j->next_entry * ENTRY_LEN, e, sizeof(e));
    if (!err) {
        j->next_entry++;
        j->durable = pos;
    }
    return err;
}

int ota_journal_mark_chunked(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                             uint8_t chunk_log2)
{
    uint8_t w[4] = {chunk_log2, (uint8_t)~chunk_log2, 0xFF, 0xFF};
    if (j->copy < 0 || j->state != OTA_JOURNAL_WRITING || j->next_entry || chunk_log2 < 9 || chunk_log2 > 12) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = ota_flash_program(f, sector_addr(part, j->copy) + OFF_CHUNKED, w, sizeof(w));
    if (!err) {
        j->chunk_log2 = chunk_log2;
    }
    return err;
}

int ota_journal_stash_page0(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                            const uint8_t page0[OTA_FLASH_PAGE_SIZE])
{
    uint8_t crc[4];
    if (j->copy < 0 || j->has_page0) {
        return j->copy < 0 ? OTA_ERR_INVALID_ARG : OTA_OK;
    }
    uint32_t base = sector_addr(part, j->copy);
    put_le32(crc, ota_crc32(0, page0, OTA_FLASH_PAGE_SIZE));
    int err = ota_flash_program(f, base + OFF_PAGE0, page0, OTA_FLASH_PAGE_SIZE);
    if (!err) {
        err = ota_flash_program(f, base + OFF_PAGE0_CRC, crc, sizeof(crc));
    }
    if (!err) {
        memcpy(j->page0, page0, OTA_FLASH_PAGE_SIZE);
        j->has_page0 = true;
    }
    return err;
}

int ota_journal_set_state(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                          enum ota_journal_state state)
{
    uint8_t w[4];
    if (j->copy < 0 || (state != OTA_JOURNAL_COMPLETE && state != OTA_JOURNAL_RETIRED)) {
        return OTA_ERR_INVALID_ARG;
    }
    put_le32(w, (uint32_t)state);
    int err = ota_flash_program(f, sector_addr(part, j->copy) + OFF_STATE, w, sizeof(w));
    if (!err) {
        j->state = state == OTA_JOURNAL_RETIRED ? OTA_JOURNAL_NONE : state;
    }
    return err;
}

int ota_journal_retire(const struct ota_flash *f, const struct ota_partition *part)
{
    struct header h[2];
    uint8_t zero[4] = {0, 0, 0, 0};
    int err;
    if (!f || !part || ota_journal_data_capacity(part) == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    for (int i = 0; i < 2; i++) {
        if ((err = read_header(f, part, i, &h[i]))) {
            return err;
        }
    }
    /* The older record first: should the newer one's program tear into an
     * invalid state word, what remains current is a retired record. */
    int older = h[0].valid && h[1].valid && h[0].seq > h[1].seq ? 1 : 0;
    for (int k = 0; k < 2; k++) {
        int c = older ^ k;
        if (h[c].valid && h[c].state != OTA_JOURNAL_RETIRED &&
            (err = ota_flash_program(f, sector_addr(part, c) + OFF_STATE, zero, sizeof(zero)))) {
            return err;
        }
    }
    return OTA_OK;
}
