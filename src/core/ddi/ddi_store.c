/*
 * The pending-action record on flash, for ports without a file system: two
 * copies in a data partition (two sectors at least), each written whole in
 * its own sector:
 *
 *   magic "ODR1" | seq (u32 LE) | len (u32 LE) | crc32 (u32 LE, of seq, len, text) | text[len]
 *
 * A save goes to the sector that does not hold the newest valid copy, with
 * the next sequence number. A power cut during a save leaves that sector
 * erased or torn (its CRC fails) and the other copy intact: a load then
 * finds the previous record, never a mix. Both sectors blank: no record.
 */
#include <string.h>

#include "ddi_internal.h"
#include "ota/error.h"

#define MAGIC 0x3152444Fu /* "ODR1" */
#define HEAD 16u

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Copy k: OTA_OK (valid, *seq), OTA_ERR_NOT_FOUND (blank), OTA_ERR_DDI_RECORD (anything else). */
static int read_copy(const struct ota_ddi_store *s, unsigned k, uint8_t *buf, uint32_t *seq, struct ota_ddi_record *r)
{
    uint32_t at = s->part->offset + k * OTA_FLASH_SECTOR_SIZE;
    int err = ota_flash_read(s->flash, at, buf, HEAD);
    if (err) {
        return err;
    }
    static const uint8_t blank[HEAD] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (memcmp(buf, blank, HEAD) == 0) {
        return OTA_ERR_NOT_FOUND;
    }
    uint32_t len = get32(buf + 8), crc = get32(buf + 12);
    *seq = get32(buf + 4);
    if (get32(buf) != MAGIC || len > OTA_DDI_RECORD_TEXT_MAX ||
        ota_flash_read(s->flash, at + HEAD, buf + HEAD, len) != OTA_OK ||
        ota_crc32(ota_crc32(0, buf + 4, 8), buf + HEAD, len) != crc) {
        return OTA_ERR_DDI_RECORD;
    }
    return ota_ddi_record_parse((const char *)buf + HEAD, len, r);
}

int ota_ddi_store_init(struct ota_ddi_store *s, const struct ota_flash *flash, const struct ota_partition *part)
{
    memset(s, 0, sizeof(*s));
    if (!flash || !part || part->size < 2 * OTA_FLASH_SECTOR_SIZE || part->offset % OTA_FLASH_SECTOR_SIZE) {
        return OTA_ERR_INVALID_ARG;
    }
    s->flash = flash;
    s->part = part;
    s->current = -1;
    return OTA_OK;
}

int ota_ddi_store_load(void *ctx, struct ota_ddi_record *r)
{
    struct ota_ddi_store *s = ctx;
    uint8_t buf[HEAD + OTA_DDI_RECORD_TEXT_MAX];
    struct ota_ddi_record rec[2];
    uint32_t seq[2] = {0, 0};
    int err[2];
    for (unsigned k = 0; k < 2; k++) {
        err[k] = read_copy(s, k, buf, &seq[k], &rec[k]);
        if (err[k] && err[k] != OTA_ERR_NOT_FOUND && err[k] != OTA_ERR_DDI_RECORD) {
            return err[k];  /* the flash itself failed */
        }
    }
    s->current = -1;
    if (!err[0] && !err[1]) {
        s->current = (int32_t)(seq[1] - seq[0]) > 0 ? 1 : 0;  /* wrap-safe: the newer */
    } else if (!err[0] || !err[1]) {
        s->current = err[0] ? 1 : 0;
    }
    if (s->current < 0) {
        /* Cuts tear one copy at most (a save writes only the other): two
         * bad copies are damage, not a cut. Blank, or a torn first save
         * beside a blank copy: none was ever kept. */
        return err[0] == OTA_ERR_DDI_RECORD && err[1] == OTA_ERR_DDI_RECORD ? OTA_ERR_DDI_RECORD : OTA_ERR_NOT_FOUND;
    }
    s->seq = seq[s->current];
    *r = rec[s->current];
    return OTA_OK;
}

int ota_ddi_store_save(void *ctx, const struct ota_ddi_record *r)
{
    struct ota_ddi_store *s = ctx;
    uint8_t buf[HEAD + OTA_DDI_RECORD_TEXT_MAX];
    size_t len;
    int err = ota_ddi_record_format(r, (char *)buf + HEAD, OTA_DDI_RECORD_TEXT_MAX, &len);
    if (err) {
        return err;
    }
    unsigned k = s->current == 0 ? 1 : 0;
    uint32_t seq = s->current < 0 ? 1 : s->seq + 1;
    put32(buf, MAGIC);
    put32(buf + 4, seq);
    put32(buf + 8, (uint32_t)len);
    put32(buf + 12, ota_crc32(ota_crc32(0, buf + 4, 8), buf + HEAD, len));
    uint32_t at = s->part->offset + k * OTA_FLASH_SECTOR_SIZE;
    if ((err = ota_flash_erase(s->flash, at, OTA_FLASH_SECTOR_SIZE)) ||
        (err = ota_flash_program(s->flash, at, buf, HEAD + (uint32_t)len))) {
        return err;
    }
    s->current = (int)k;
    s->seq = seq;
    return OTA_OK;
}
