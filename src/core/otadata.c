/* otadata: read, choose, select, mark. Compatibility with ESP-IDF wins over
 * taste here: CRC over seq only, states as esp_ota_img_states_t. */
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/otadata.h"
#include "bytes.h"

uint32_t ota_otadata_crc(uint32_t seq)
{
    /* ESP-IDF: esp_rom_crc32_le(UINT32_MAX, &seq, 4). The ROM routine
     * inverts on entry and exit, so this is zlib's crc32(seq, 0xFFFFFFFF):
     * the register starts at 0, not at 0xFFFFFFFF. The vectors (seq 1 ->
     * 0x4743989A) pin it down. */
    uint8_t b[4];
    put_le32(b, seq);
    return ota_crc32(0xFFFFFFFFu, b, sizeof(b));
}

void ota_otadata_decode(const uint8_t raw[OTA_OTADATA_ENTRY_LEN], struct ota_select_entry *e)
{
    e->seq = get_le32(raw);
    memcpy(e->seq_label, raw + 4, sizeof(e->seq_label));
    e->state = get_le32(raw + 24);
    e->crc = get_le32(raw + 28);
}

void ota_otadata_encode(const struct ota_select_entry *e, uint8_t raw[OTA_OTADATA_ENTRY_LEN])
{
    put_le32(raw, e->seq);
    memcpy(raw + 4, e->seq_label, sizeof(e->seq_label));
    put_le32(raw + 24, e->state);
    put_le32(raw + 28, e->crc);
}

bool ota_otadata_usable(const struct ota_select_entry *e)
{
    return e->seq != 0xFFFFFFFFu && e->state != OTA_IMG_INVALID && e->state != OTA_IMG_ABORTED &&
           e->crc == ota_otadata_crc(e->seq);
}

int ota_otadata_active(const struct ota_otadata *od)
{
    bool u0 = ota_otadata_usable(&od->copy[0]);
    bool u1 = ota_otadata_usable(&od->copy[1]);
    if (u0 && u1) {
        return od->copy[1].seq > od->copy[0].seq ? 1 : 0;
    }
    return u0 ? 0 : u1 ? 1 : -1;
}

int ota_otadata_read(const struct ota_flash *f, const struct ota_partition *part, struct ota_otadata *od)
{
    if (!part || !od || part->size < 2 * OTA_FLASH_SECTOR_SIZE) {
        return OTA_ERR_INVALID_ARG;
    }
    for (int i = 0; i < 2; i++) {
        uint8_t raw[OTA_OTADATA_ENTRY_LEN];
        int err = ota_flash_read(f, part->offset + (uint32_t)i * OTA_FLASH_SECTOR_SIZE, raw, sizeof(raw));
        if (err) {
            return err;
        }
        ota_otadata_decode(raw, &od->copy[i]);
    }
    return OTA_OK;
}

int ota_otadata_write(const struct ota_flash *f, const struct ota_partition *part,
                      struct ota_otadata *od, int idx, const struct ota_select_entry *e)
{
    uint8_t raw[OTA_OTADATA_ENTRY_LEN];
    uint32_t addr;
    int err;
    if (!part || !od || !e || idx < 0 || idx > 1) {
        return OTA_ERR_INVALID_ARG;
    }
    addr = part->offset + (uint32_t)idx * OTA_FLASH_SECTOR_SIZE;
    ota_otadata_encode(e, raw);
    err = ota_flash_erase(f, addr, OTA_FLASH_SECTOR_SIZE);
    if (!err) {
        err = ota_flash_program(f, addr, raw, sizeof(raw));
    }
    if (!err) {
        od->copy[idx] = *e;
    }
    return err;
}

int ota_otadata_boot_slot(const struct ota_otadata *od, unsigned app_count)
{
    int active = ota_otadata_active(od);
    if (active < 0 || app_count == 0) {
        return OTA_ERR_OTADATA_NONE;
    }
    return (int)((od->copy[active].seq - 1) % app_count);
}

/* esp_rewrite_ota_data() (ESP-IDF v6.0): the smallest seq = (slot + 1) % n
 * + i * n not below the active one. Computed wide: past 0xFFFFFFFE there
 * is none (0xFFFFFFFF reads as a blank copy). */
static uint64_t seq_for_slot(uint32_t cur, unsigned slot, unsigned app_count)
{
    uint64_t base = (slot + 1u) % app_count;
    if (cur <= base) {
        return base;
    }
    return base + (((uint64_t)cur - base + app_count - 1u) / app_count) * app_count;
}

/* Which copy to write and with which seq, as esp_rewrite_ota_data() picks:
 * the slot already active keeps its sector and seq (only the state
 * changes); another slot takes the other sector and the next seq that maps
 * to it; with no usable copy, copy 0 and seq = slot + 1. */
static int plan_select(const struct ota_otadata *od, unsigned slot, unsigned app_count, int *idx, uint32_t *seq)
{
    int active = ota_otadata_active(od);
    if (active < 0) {
        *idx = 0;
        *seq = slot + 1u;
        return OTA_OK;
    }
    uint32_t cur = od->copy[active].seq;
    if ((cur - 1u) % app_count == slot) {
        *idx = active;
        *seq = cur;
        return OTA_OK;
    }
    uint64_t next = seq_for_slot(cur, slot, app_count);
    if (next >= 0xFFFFFFFFull) {
        return OTA_ERR_OTADATA_SEQ_WRAP;
    }
    *idx = active ^ 1;
    *seq = (uint32_t)next;
    return OTA_OK;
}

int ota_otadata_select(const struct ota_flash *f, const struct ota_partition *part,
                       struct ota_otadata *od, unsigned slot, unsigned app_count, bool rollback)
{
    struct ota_otadata after;
    int idx, err;
    uint32_t seq;
    if (!od || app_count == 0 || slot >= app_count) {
        return OTA_ERR_OTADATA_NO_SLOT;
    }
    if ((err = plan_select(od, slot, app_count, &idx, &seq))) {
        return err;
    }
    /* ESP-IDF rewrites the entry it read from that sector: seq, state and
     * CRC change, its seq_label stays. */
    after = *od;
    after.copy[idx].seq = seq;
    after.copy[idx].state = rollback ? OTA_IMG_NEW : OTA_IMG_UNDEFINED;
    after.copy[idx].crc = ota_otadata_crc(seq);
    /* Never report "selected" for a choice the bootloader would not make. */
    if (ota_otadata_active(&after) != idx || ota_otadata_boot_slot(&after, app_count) != (int)slot) {
        return OTA_ERR_OTADATA_SEQ_WRAP;
    }
    return ota_otadata_write(f, part, od, idx, &after.copy[idx]);
}

int ota_otadata_set_state(const struct ota_flash *f, const struct ota_partition *part,
                          struct ota_otadata *od, uint32_t state)
{
    int active = ota_otadata_active(od);
    struct ota_select_entry e;
    if (active < 0) {
        return OTA_ERR_OTADATA_NONE;
    }
    e = od->copy[active];
    e.state = state;
    return ota_otadata_write(f, part, od, active, &e);
}

const char *ota_img_state_name(uint32_t state)
{
    switch (state) {
    case OTA_IMG_NEW: return "NEW";
    case OTA_IMG_PENDING_VERIFY: return "PENDING_VERIFY";
    case OTA_IMG_VALID: return "VALID";
    case OTA_IMG_INVALID: return "INVALID";
    case OTA_IMG_ABORTED: return "ABORTED";
    case OTA_IMG_UNDEFINED: return "UNDEFINED";
    default: return "?";
    }
}

/* esp_ota_check_rollback_is_possible(): the other copy's slot (mapped over
 * esp_ota_get_app_partition_count()) holds an app that verifies, or, when
 * the other copy is not usable, the factory app verifies. */
static bool rollback_possible(const struct ota_flash *f, const struct ota_ptable *t, const struct ota_otadata *od,
                              int active)
{
    const struct ota_select_entry *other = &od->copy[active ^ 1];
    const struct ota_partition *slots[16];
    const struct ota_partition *p;
    struct ota_image_info info;
    unsigned count = ota_boot_ota_slots(t, slots);
    if (!ota_otadata_usable(other)) {
        p = ota_pt_find(t, OTA_PT_TYPE_APP, OTA_PT_APP_FACTORY);
    } else {
        p = count ? slots[(other->seq - 1u) % count] : NULL;
    }
    return p && ota_image_verify_partition(f, p, NULL, &info) == OTA_OK;
}

/* esp_ota_current_ota_is_workable(): the active copy belongs to the running
 * app. Valid: rewritten only when not VALID yet. Invalid: refused, writing
 * nothing, when rollback is not possible (ESP_ERR_OTA_ROLLBACK_FAILED). No
 * active copy or no OTA app ("Running firmware is factory"):
 * OTA_ERR_OTADATA_NONE. */
static int mark_running(const struct ota_flash *f, const struct ota_ptable *t, uint32_t state)
{
    const struct ota_partition *p = ota_pt_find(t, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    const struct ota_partition *slots[16];
    struct ota_otadata od;
    int err, active;
    if (!p) {
        return OTA_ERR_NOT_FOUND;
    }
    if ((err = ota_otadata_read(f, p, &od))) {
        return err;
    }
    active = ota_otadata_active(&od);
    if (active < 0 || ota_boot_ota_slots(t, slots) == 0) {
        return OTA_ERR_OTADATA_NONE;
    }
    if (state == OTA_IMG_VALID && od.copy[active].state == OTA_IMG_VALID) {
        return OTA_OK;
    }
    if (state == OTA_IMG_INVALID && !rollback_possible(f, t, &od, active)) {
        return OTA_ERR_OTA_ROLLBACK_FAILED;
    }
    return ota_otadata_set_state(f, p, &od, state);
}

int ota_app_mark_valid(const struct ota_flash *f, const struct ota_ptable *t)
{
    return mark_running(f, t, OTA_IMG_VALID);
}

int ota_app_mark_invalid(const struct ota_flash *f, const struct ota_ptable *t)
{
    return mark_running(f, t, OTA_IMG_INVALID);
}
