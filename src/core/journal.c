/* Data-partition update journal (docs/data-partition-safety.md). */
#include <string.h>

#include "ota/error.h"
#include "ota/hash.h"
#include "ota/journal.h"
#include "bytes.h"

/*
 * Record, 32 bytes, little-endian:
 *   0  u32 magic 0x4A41544F ("OTAJ")
 *   4  u32 seq            larger wins; 0xFFFFFFFF never used
 *   8  u32 state          1 WRITING, 2 COMPLETE
 *  12  u32 length
 *  16  u8[12] source id   SHA-256(URI)[0..11]
 *  28  u32 CRC-32/IEEE of bytes 0..27
 * An erased record (all 0xFF) fails the magic; a torn one fails the CRC.
 */

uint32_t ota_journal_data_capacity(const struct ota_partition *part)
{
    /* at least one sector of data beside the journal, and whole sectors */
    if (part->size % OTA_FLASH_SECTOR_SIZE || part->size < OTA_JOURNAL_LEN + OTA_FLASH_SECTOR_SIZE) {
        return 0;
    }
    return part->size - OTA_JOURNAL_LEN;
}

static uint32_t record_addr(const struct ota_partition *part, int copy)
{
    return part->offset + ota_journal_data_capacity(part) + (uint32_t)copy * OTA_FLASH_SECTOR_SIZE;
}

void ota_journal_encode(const struct ota_journal_record *r, uint8_t raw[OTA_JOURNAL_RECORD_LEN])
{
    put_le32(raw, OTA_JOURNAL_MAGIC);
    put_le32(raw + 4, r->seq);
    put_le32(raw + 8, r->state);
    put_le32(raw + 12, r->length);
    memcpy(raw + 16, r->source_id, sizeof(r->source_id));
    put_le32(raw + 28, ota_crc32(0, raw, 28));
}

bool ota_journal_decode(const uint8_t raw[OTA_JOURNAL_RECORD_LEN], struct ota_journal_record *r)
{
    if (get_le32(raw) != OTA_JOURNAL_MAGIC || get_le32(raw + 28) != ota_crc32(0, raw, 28)) {
        return false;
    }
    r->seq = get_le32(raw + 4);
    r->state = get_le32(raw + 8);
    r->length = get_le32(raw + 12);
    memcpy(r->source_id, raw + 16, sizeof(r->source_id));
    return r->state == OTA_JOURNAL_WRITING || r->state == OTA_JOURNAL_COMPLETE;
}

/* Index of the newest valid copy, or -1; recs gets both decodings. */
static int newest(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal_record recs[2],
                  bool valid[2], int *err)
{
    *err = OTA_OK;
    for (int i = 0; i < 2; i++) {
        uint8_t raw[OTA_JOURNAL_RECORD_LEN];
        *err = ota_flash_read(f, record_addr(part, i), raw, sizeof(raw));
        if (*err) {
            return -1;
        }
        valid[i] = ota_journal_decode(raw, &recs[i]);
    }
    if (valid[0] && valid[1]) {
        return recs[1].seq > recs[0].seq ? 1 : 0;
    }
    return valid[0] ? 0 : valid[1] ? 1 : -1;
}

int ota_journal_read(const struct ota_flash *f, const struct ota_partition *part, enum ota_journal_state *state,
                     struct ota_journal_record *rec)
{
    struct ota_journal_record recs[2];
    bool valid[2];
    int err;
    if (!f || !part || !state || ota_journal_data_capacity(part) == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    int i = newest(f, part, recs, valid, &err);
    if (err) {
        return err;
    }
    *state = i < 0 ? OTA_JOURNAL_NONE : (enum ota_journal_state)recs[i].state;
    if (rec && i >= 0) {
        *rec = recs[i];
    }
    return OTA_OK;
}

int ota_journal_write(const struct ota_flash *f, const struct ota_partition *part, uint32_t state, uint32_t length,
                      const uint8_t source_id[12])
{
    struct ota_journal_record recs[2], r;
    bool valid[2];
    uint8_t raw[OTA_JOURNAL_RECORD_LEN];
    int err;
    if (!f || !part || ota_journal_data_capacity(part) == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    int i = newest(f, part, recs, valid, &err);
    if (err) {
        return err;
    }
    /* Write the sector that does not hold the newest record, so a cut during
     * this write leaves the newest one intact. */
    int target = i < 0 ? 0 : i ^ 1;
    memset(&r, 0, sizeof(r));
    r.seq = i < 0 ? 1 : recs[i].seq + 1;
    r.state = state;
    r.length = length;
    if (source_id) {
        memcpy(r.source_id, source_id, sizeof(r.source_id));
    }
    ota_journal_encode(&r, raw);
    uint32_t addr = record_addr(part, target);
    if ((err = ota_flash_erase(f, addr, OTA_FLASH_SECTOR_SIZE))) {
        return err;
    }
    return ota_flash_program(f, addr, raw, sizeof(raw));
}
