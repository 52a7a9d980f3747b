/*
 * The ESP-IDF port's serial store (ota/release.h): the device's release
 * record in a small data partition of its own (two sectors), two copies
 * written in turn through the core's flash choke point. Each copy is
 * magic, a sequence number, the record and a CRC-32; the newest complete
 * copy is the record. A save erases and programs the other copy only, so
 * a power cut at any point leaves the previous record readable.
 *
 * Told apart: both copies erased is a device that never accepted a release
 * (serial 0: a new device, or a partition erased by the integrator); one
 * copy torn and the other erased is a first save cut by a power loss
 * (nothing was installed yet: serial 0 is the truth); no complete copy
 * otherwise (both damaged) is OTA_ERR_RELEASE_RECORD and stops releases.
 *
 * Plain C over struct ota_flash, so it is also tested on the host.
 */
#include <string.h>

#include "ota/error.h"
#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/hex.h"
#include "ota/idf_serial.h"
#include "ota/log.h"

static const char *TAG = "OTA_SERIAL";

#define COPY_MAGIC 0x4C525453u  /* "STRL" */
#define COPY_LEN 64u
#define CRC_AT 48u

enum copy_state { COPY_ERASED, COPY_TORN, COPY_VALID };

struct copy {
    enum copy_state state;
    uint32_t seq;
    struct ota_release_record rec;
};

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int read_copy(const struct ota_idf_serial_store *s, unsigned i, struct copy *c)
{
    uint8_t b[COPY_LEN];
    bool erased = true;
    int err = ota_flash_read(s->flash, s->offset + i * OTA_FLASH_SECTOR_SIZE, b, sizeof(b));
    if (err) {
        return err;
    }
    memset(c, 0, sizeof(*c));
    for (unsigned k = 0; k < sizeof(b); k++) {
        erased &= b[k] == 0xFF;
    }
    c->state = erased ? COPY_ERASED : COPY_TORN;
    if (!erased && get_le32(b) == COPY_MAGIC && get_le32(b + CRC_AT) == ota_crc32(0, b, CRC_AT)) {
        c->state = COPY_VALID;
        c->seq = get_le32(b + 4);
        c->rec.serial = get_le32(b + 8);
        c->rec.rolled_back_serial = get_le32(b + 12);
        memcpy(c->rec.rolled_back_sha256, b + 16, OTA_SHA256_LEN);
    }
    return OTA_OK;
}

/* Which copy holds the record (-1: none yet); an error when none can. */
static int newest(const struct ota_idf_serial_store *s, struct copy c[2], int *which)
{
    int err = read_copy(s, 0, &c[0]);
    if (err || (err = read_copy(s, 1, &c[1]))) {
        return err;
    }
    if (c[0].state == COPY_VALID && c[1].state == COPY_VALID) {
        *which = c[1].seq - c[0].seq < 0x80000000u && c[1].seq != c[0].seq ? 1 : 0;  /* seq wraps */
    } else if (c[0].state == COPY_VALID || c[1].state == COPY_VALID) {
        *which = c[0].state == COPY_VALID ? 0 : 1;
    } else if (c[0].state == COPY_TORN && c[1].state == COPY_TORN) {
        OTA_LOGE(TAG, "partition at 0x%x: neither copy of the release record is whole", (unsigned)s->offset);
        return OTA_ERR_RELEASE_RECORD;
    } else {
        *which = -1;  /* erased, or a first save cut short */
    }
    return OTA_OK;
}

static int store_load(void *ctx, struct ota_release_record *rec)
{
    struct copy c[2];
    int which;
    int err = newest(ctx, c, &which);
    memset(rec, 0, sizeof(*rec));
    if (!err && which >= 0) {
        *rec = c[which].rec;
    }
    return err;
}

static int store_save(void *ctx, const struct ota_release_record *rec)
{
    const struct ota_idf_serial_store *s = ctx;
    struct copy c[2];
    uint8_t b[COPY_LEN];
    int which;
    int err = newest(s, c, &which);
    if (err) {
        return err;
    }
    /* With no whole copy yet, the torn one (a first save cut short) is
     * written again and the erased one stays erased: a cut of this save
     * then leaves torn + erased, still "nothing accepted yet", never two
     * torn copies (an unreadable record). */
    unsigned target = which == 0 ? 1 : which == 1 ? 0 : c[1].state == COPY_TORN ? 1 : 0;
    uint32_t addr = s->offset + target * OTA_FLASH_SECTOR_SIZE;
    memset(b, 0xFF, sizeof(b));
    put_le32(b, COPY_MAGIC);
    put_le32(b + 4, which >= 0 ? c[which].seq + 1 : 1);
    put_le32(b + 8, rec->serial);
    put_le32(b + 12, rec->rolled_back_serial);
    memcpy(b + 16, rec->rolled_back_sha256, OTA_SHA256_LEN);
    put_le32(b + CRC_AT, ota_crc32(0, b, CRC_AT));
    if ((err = ota_flash_erase(s->flash, addr, OTA_FLASH_SECTOR_SIZE)) ||
        (err = ota_flash_program(s->flash, addr, b, sizeof(b)))) {
        return err;
    }
    struct copy check;
    err = read_copy(s, target, &check);
    return err ? err : check.state == COPY_VALID ? OTA_OK : OTA_ERR_READBACK;
}

int ota_idf_serial_store_init(struct ota_idf_serial_store *s, const struct ota_flash *flash,
                              const struct ota_partition *part)
{
    memset(s, 0, sizeof(*s));
    if (!flash || !part || part->type != OTA_PT_TYPE_DATA || part->size < 2 * OTA_FLASH_SECTOR_SIZE ||
        part->offset % OTA_FLASH_SECTOR_SIZE) {
        return OTA_ERR_INVALID_ARG;
    }
    s->flash = flash;
    s->offset = part->offset;
    s->store.load = store_load;
    s->store.save = store_save;
    s->store.ctx = s;
    return OTA_OK;
}

int ota_idf_hex_digest(const char *hex, uint8_t out[32])
{
    return hex && strlen(hex) == 64 && ota_hex_decode(hex, out, 32, true) ? OTA_OK : OTA_ERR_INVALID_ARG;
}
