#include "fuzz_common.h"
#include "ota/journal.h"

static uint8_t flash[3 * OTA_FLASH_SECTOR_SIZE];

/* A program clears bits, as on NOR (retiring a record programs its state word). */
static int nor_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    for (uint32_t i = 0; i < len; i++) {
        flash[addr + i] &= ((const uint8_t *)buf)[i];
    }
    return OTA_OK;
}

/* A 12 KiB partition whose two journal sectors are the input: loaded, then
 * retired. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_journal j;
    struct ram_flash rf;
    struct ota_partition p = {1, 0x81, 0, sizeof(flash), 0, "data"};
    memset(flash, 0xFF, sizeof(flash));
    memcpy(flash + OTA_FLASH_SECTOR_SIZE, data, size < 2 * OTA_FLASH_SECTOR_SIZE ? size : 2 * OTA_FLASH_SECTOR_SIZE);
    ram_flash_init(&rf, flash, sizeof(flash));
    rf.flash.program = nor_program;
    if (ota_journal_load(&rf.flash, &p, &j) == OTA_OK) {
        /* a record, if any, is one of the two sectors; entries stay inside the sector */
        if (j.copy < -1 || j.copy > 1 || (j.copy < 0 && j.state != OTA_JOURNAL_NONE) ||
            j.next_entry > (OTA_FLASH_SECTOR_SIZE - 392u) / 8u) {
            __builtin_trap();
        }
    }
    /* whatever the sectors hold, retiring leaves no record that speaks for the content */
    if (ota_journal_retire(&rf.flash, &p) != OTA_OK || ota_journal_load(&rf.flash, &p, &j) != OTA_OK ||
        j.state != OTA_JOURNAL_NONE) {
        __builtin_trap();
    }
    return 0;
}
