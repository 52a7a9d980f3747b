#include <stdbool.h>

#include "fuzz_common.h"
#include "ota/idf_serial.h"
#include "ota/partition.h"

/* The ESP-IDF port's release record partition (two copies, idf_serial.c):
 * the fuzzer writes the first 64 bytes of each copy (what the store reads),
 * then a record to save and a power-cut point. Whatever the copies hold:
 * a refused load leaves the record zero and refuses the save too (nothing
 * written over a record it could not read); an accepted load is followed
 * by a save that reads back as saved; and a save cut at any operation,
 * cleanly or halfway, reads back as the old record or the new one. */

#define COPY 64u
#define PART_SIZE (2u * OTA_FLASH_SECTOR_SIZE)

struct nor {
    struct ota_flash flash;
    uint8_t mem[PART_SIZE];
    unsigned ops, cut_at;  /* cut_at: the operation the power fails in (0: never) */
    bool torn;             /* the cut operation happens halfway, not at all */
};

static bool power_fails(struct nor *n)
{
    return n->cut_at && ++n->ops >= n->cut_at;
}

static int nor_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const struct nor *n = ctx;
    memcpy(buf, n->mem + addr, len);
    return OTA_OK;
}

static int nor_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    struct nor *n = ctx;
    const uint8_t *b = buf;
    bool cut = power_fails(n);
    uint32_t k = cut ? (n->torn ? len / 2 : 0) : len;
    for (uint32_t i = 0; i < k; i++) {
        n->mem[addr + i] &= b[i];  /* NOR: a program only clears bits */
    }
    return cut ? OTA_ERR_POWER_LOST : OTA_OK;
}

static int nor_erase(void *ctx, uint32_t addr, uint32_t len)
{
    struct nor *n = ctx;
    bool cut = power_fails(n);
    memset(n->mem + addr, 0xFF, cut ? (n->torn ? len / 2 : 0) : len);
    return cut ? OTA_ERR_POWER_LOST : OTA_OK;
}

static void nor_init(struct nor *n, const uint8_t *copies, size_t len)
{
    memset(n, 0, sizeof(*n));
    memset(n->mem, 0xFF, sizeof(n->mem));
    for (unsigned i = 0; i < 2 && len > i * COPY; i++) {
        size_t k = len - i * COPY < COPY ? len - i * COPY : COPY;
        memcpy(n->mem + i * OTA_FLASH_SECTOR_SIZE, copies + i * COPY, k);
    }
    n->flash.ctx = n;
    n->flash.size = PART_SIZE;
    n->flash.read = nor_read;
    n->flash.program = nor_program;
    n->flash.erase = nor_erase;
}

static void store_open(struct ota_idf_serial_store *s, struct nor *n)
{
    struct ota_partition part = {.type = OTA_PT_TYPE_DATA, .offset = 0, .size = PART_SIZE};
    if (ota_idf_serial_store_init(s, &n->flash, &part) != OTA_OK) {
        __builtin_trap();
    }
}

static bool same(const struct ota_release_record *a, const struct ota_release_record *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static void check_cut(const uint8_t *data, size_t size, const struct ota_release_record *old,
                      const struct ota_release_record *rec, unsigned cut_at, bool torn)
{
    static struct nor n;  /* 8 KiB: off the fuzzer's stack */
    struct ota_idf_serial_store s;
    struct ota_release_record got;
    nor_init(&n, data, size);
    n.cut_at = cut_at;
    n.torn = torn;
    store_open(&s, &n);
    (void)s.store.save(s.store.ctx, rec);
    n.cut_at = 0;  /* power back */
    if (s.store.load(s.store.ctx, &got) != OTA_OK || !(same(&got, old) || same(&got, rec))) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ota_release_record zero;
    static struct nor n;
    struct ota_idf_serial_store s;
    struct ota_release_record old, rec, got;
    if (size < 2 * COPY + sizeof(rec) + 1) {
        return 0;
    }
    memcpy(&rec, data + 2 * COPY, sizeof(rec));
    unsigned cut_at = 1 + data[2 * COPY + sizeof(rec)] % 4;  /* a save is a read, an erase and a program */
    nor_init(&n, data, 2 * COPY);
    store_open(&s, &n);
    if (s.store.load(s.store.ctx, &old) != OTA_OK) {
        if (!same(&old, &zero) || s.store.save(s.store.ctx, &rec) == OTA_OK) {
            __builtin_trap();  /* a damaged record is never replaced blindly */
        }
        return 0;
    }
    if (s.store.save(s.store.ctx, &rec) != OTA_OK || s.store.load(s.store.ctx, &got) != OTA_OK || !same(&got, &rec)) {
        __builtin_trap();
    }
    check_cut(data, 2 * COPY, &old, &rec, cut_at, false);
    check_cut(data, 2 * COPY, &old, &rec, cut_at, true);
    return 0;
}
