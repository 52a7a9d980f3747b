/* Boot selection, after ESP-IDF's bootloader_utility.c. */
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/signature.h"

static const char *TAG = "boot";

void ota_boot_log_table(const struct ota_ptable *t)
{
    OTA_LOGI(TAG, "Partition Table:");
    OTA_LOGI(TAG, "## Label            Usage          Type ST Offset   Length");
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        OTA_LOGI(TAG, "%2u %-16s %-16s %02x %02x %08x %08x", i, p->label, ota_pt_usage(p), p->type,
                 p->subtype, (unsigned)p->offset, (unsigned)p->size);
    }
    OTA_LOGI(TAG, "End of partition table");
}

/* Fills slots by subtype; returns esp_ota_get_app_partition_count(): the
 * OTA slots counted from ota_0 up to the first missing one. */
unsigned ota_boot_ota_slots(const struct ota_ptable *t, const struct ota_partition *slots[16])
{
    unsigned count = 0;
    memset(slots, 0, 16 * sizeof(slots[0]));
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        if (ota_pt_is_ota_app(p) && !slots[p->subtype & 0xF]) {
            slots[p->subtype & 0xF] = p;
        }
    }
    while (count < 16 && slots[count]) {
        count++;
    }
    return count;
}

unsigned ota_boot_slot_count(const struct ota_ptable *t)
{
    /* bootloader_utility_load_partition_table(): ++app_count per OTA row. */
    unsigned count = 0;
    for (unsigned i = 0; i < t->count; i++) {
        count += ota_pt_is_ota_app(&t->entries[i]);
    }
    return count;
}

void ota_image_log_segments(const struct ota_partition *part, const struct ota_image_info *info)
{
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const struct ota_image_segment *s = &info->segments[i];
        bool mapped = ota_image_addr_is_mapped(info->header.chip_id, s->load_addr);
        OTA_LOGI("esp_image", "segment %u: paddr=0x%08x vaddr=0x%08x size=0x%05x (%6u) %s", i,
                 (unsigned)(part->offset + s->header_offset + 8), (unsigned)s->load_addr,
                 (unsigned)s->data_len, (unsigned)s->data_len, mapped ? "map" : "load");
    }
}

struct slots {
    const struct ota_partition *factory;
    const struct ota_partition *test;
    const struct ota_partition *ota[16];
    unsigned app_count;  /* the bootloader's: every OTA row */
};

static const struct ota_partition *index_to_partition(const struct slots *s, int index)
{
    if (index == OTA_BOOT_FACTORY) {
        return s->factory;
    }
    if (index == OTA_BOOT_TEST) {
        return s->test;
    }
    /* bootloader_utility.c index_to_partition(): only below app_count */
    return (index >= 0 && index < 16 && index < (int)s->app_count) ? s->ota[index] : NULL;
}

static void describe(char *buf, size_t cap, int index)
{
    /* "factory", "test" or "ota_N" without snprintf */
    const char *name = index == OTA_BOOT_FACTORY ? "factory" : index == OTA_BOOT_TEST ? "test" : NULL;
    if (name) {
        strncpy(buf, name, cap - 1);
        buf[cap - 1] = '\0';
        return;
    }
    buf[0] = 'o'; buf[1] = 't'; buf[2] = 'a'; buf[3] = '_';
    if (index >= 10) {
        buf[4] = '1';
        buf[5] = (char)('0' + index - 10);
        buf[6] = '\0';
    } else {
        buf[4] = (char)('0' + index);
        buf[5] = '\0';
    }
}

/* Verify and "load" one partition; logs why it does not boot. */
static bool try_load(const struct ota_flash *f, const struct ota_boot_opts *opts, const struct slots *s,
                     int index, struct ota_image_info *info)
{
    const struct ota_partition *p = index_to_partition(s, index);
    char name[8];
    if (!p) {
        return false;
    }
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = opts->chip_id;
    o.chip_rev = opts->chip_rev;
    int err = ota_image_verify_partition(f, p, &o, info);
    ota_image_log_segments(p, info);
    describe(name, sizeof(name), index);
    if (!err && info->desc.secure_version < opts->secure_version) {
        OTA_LOGE(TAG, "app secure_version %u is below the anti-rollback counter %u", (unsigned)info->desc.secure_version,
                 (unsigned)opts->secure_version);
        err = OTA_ERR_SECURE_VERSION;
    }
    if (!err && opts->trusted_key_digest) {
        struct ota_sig_result sig;
        err = ota_sig_verify_partition(f, p, info->image_len, opts->trusted_key_digest, &sig);
        if (!err) {
            OTA_LOGI("secure_boot_v2", "verified %s signature of the image at 0x%x",
                     sig.block.version == OTA_SIG_VERSION_RSA ? "RSA-PSS" : "ECDSA", (unsigned)p->offset);
        }
    }
    if (err) {
        OTA_LOGE("esp_image", "image at 0x%x does not verify: %s", (unsigned)p->offset, ota_strerror(err));
        OTA_LOGE(TAG, "%s app partition %s is not bootable", index >= 0 ? "OTA" : "Factory", name);
        return false;
    }
    return true;
}

/* Rewrite copy idx with a new state; in a dry run only in memory. */
static int put_state(const struct ota_flash *f, const struct ota_partition *part, struct ota_otadata *od, int idx,
                     uint32_t state, bool dry_run)
{
    struct ota_select_entry e = od->copy[idx];
    e.state = state;
    if (dry_run) {
        od->copy[idx] = e;
        return OTA_OK;
    }
    return ota_otadata_write(f, part, od, idx, &e);
}

/* bootloader_common_ota_select_invalid(): blank seq or a dead state; the
 * CRC is not looked at. */
static bool select_invalid(const struct ota_select_entry *e)
{
    return e->seq == 0xFFFFFFFFu || e->state == OTA_IMG_INVALID || e->state == OTA_IMG_ABORTED;
}

static bool blank_or_bad_crc(const struct ota_select_entry *e)
{
    return e->seq == 0xFFFFFFFFu || e->crc != ota_otadata_crc(e->seq);
}

/* The index otadata chooses, as bootloader_utility_get_selected_boot_partition()
 * does: with rollback, every PENDING_VERIFY copy (an unconfirmed trial)
 * becomes ABORTED first, and the chosen copy NEW -> PENDING_VERIFY before
 * its image is even loaded. *initial (ota_has_initial_contents): no factory
 * and both copies blank or with a bad CRC: the boot writes a first seq. */
static int choose_start(const struct ota_flash *f, const struct ota_boot_opts *opts, const struct slots *s,
                        const struct ota_partition *part, struct ota_otadata *od, bool *initial, int *start)
{
    int err = OTA_OK, active;
    *initial = false;
    *start = OTA_BOOT_FACTORY;
    for (int i = 0; i < 2 && opts->rollback && !err; i++) {
        if (od->copy[i].state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGW(TAG, "otadata[%d] still PENDING_VERIFY after a boot: marking ABORTED, rolling back", i);
            err = put_state(f, part, od, i, OTA_IMG_ABORTED, opts->dry_run);
        }
    }
    if (err) {
        return err;
    }
    if ((select_invalid(&od->copy[0]) && select_invalid(&od->copy[1])) || s->app_count == 0) {
        if (s->factory) {
            OTA_LOGI(TAG, "Defaulting to factory image");
            return OTA_OK;
        }
        OTA_LOGI(TAG, "No factory image, trying OTA 0");
        *initial = blank_or_bad_crc(&od->copy[0]) && blank_or_bad_crc(&od->copy[1]);
        *start = 0;
        return OTA_OK;
    }
    if ((active = ota_otadata_active(od)) < 0) {
        OTA_LOGE(TAG, "ota data partition invalid, %s", s->factory ? "falling back to factory" : "will try all partitions");
        return OTA_OK;
    }
    *start = (int)((od->copy[active].seq - 1) % s->app_count);
    OTA_LOGI(TAG, "otadata[%d] is active: seq %u, state %s -> ota_%d", active, (unsigned)od->copy[active].seq,
             ota_img_state_name(od->copy[active].state), *start);
    if (opts->rollback && od->copy[active].state == OTA_IMG_NEW) {
        OTA_LOGI(TAG, "otadata[%d]: NEW -> PENDING_VERIFY (trial boot; the app must mark itself valid)", active);
        err = put_state(f, part, od, active, OTA_IMG_PENDING_VERIFY, opts->dry_run);
    }
    return err;
}

/* ESP-IDF's order: the chosen index, then downwards to factory, then
 * upwards past it, then the test app. Returns the index that verified. */
static int first_bootable(const struct ota_flash *f, const struct ota_boot_opts *opts, const struct slots *s,
                          int start, struct ota_image_info *info)
{
    for (int i = start; i >= OTA_BOOT_FACTORY; i--) {
        if (try_load(f, opts, s, i, info)) {
            return i;
        }
    }
    for (int i = start + 1; i < (int)s->app_count; i++) {
        if (try_load(f, opts, s, i, info)) {
            return i;
        }
    }
    if (try_load(f, opts, s, OTA_BOOT_TEST, info)) {
        OTA_LOGW(TAG, "Falling back to test app as only bootable partition");
        return OTA_BOOT_TEST;
    }
    OTA_LOGE(TAG, "No bootable app partitions in the partition table");
    return OTA_BOOT_TEST - 1;
}

/* esp_ota_get_state_partition() for the app that booted: the first copy
 * with a right CRC whose seq maps (over esp_ota_get_app_partition_count())
 * to its slot; UNDEFINED for factory and test apps. */
static uint32_t booted_state(const struct ota_ptable *t, const struct ota_otadata *od, int booted)
{
    const struct ota_partition *slots[16];
    unsigned count = ota_boot_ota_slots(t, slots);
    for (int i = 0; i < 2 && booted >= 0 && count; i++) {
        const struct ota_select_entry *e = &od->copy[i];
        if ((e->seq - 1u) % count == (unsigned)booted && e->crc == ota_otadata_crc(e->seq)) {
            return e->state;
        }
    }
    return OTA_IMG_UNDEFINED;
}

/* set_actual_ota_seq(): on initial otadata, an OTA slot that boots gets
 * seq = index + 1, VALID, in copy 0. */
static int record_boot(const struct ota_flash *f, const struct ota_boot_opts *opts,
                       const struct ota_partition *otadata_part, struct ota_otadata *od, bool initial_otadata,
                       struct ota_boot_result *res)
{
    int err = OTA_OK;
    if (initial_otadata && res->booted >= 0 && !opts->dry_run) {
        struct ota_select_entry e;
        memset(&e, 0xFF, sizeof(e));
        e.seq = (uint32_t)res->booted + 1;
        e.state = OTA_IMG_VALID;
        e.crc = ota_otadata_crc(e.seq);
        if ((err = ota_otadata_write(f, otadata_part, od, 0, &e)) == OTA_OK) {
            OTA_LOGI(TAG, "Set actual ota_seq=%u in otadata[0]", (unsigned)e.seq);
        }
    }
    res->otadata_state = booted_state(&res->table, od, res->booted);
    return err;
}

int ota_boot(const struct ota_flash *f, const struct ota_boot_opts *opts, struct ota_boot_result *res)
{
    struct ota_pt_diag diag;
    struct slots s;
    struct ota_otadata od;
    bool initial_otadata = false;
    int start = OTA_BOOT_FACTORY;
    int err;

    if (!f || !opts || !res) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(res, 0, sizeof(*res));
    res->otadata_state = OTA_IMG_UNDEFINED;
    struct ota_ptable *const table = &res->table;
    if ((err = ota_pt_load_unchecked(f, table, &diag))) {
        OTA_LOGE(TAG, "Failed to verify partition table (row %u): %s", diag.line, ota_strerror(err));
        return err;
    }
    ota_boot_log_table(table);
    memset(&s, 0, sizeof(s));
    s.factory = ota_pt_find(table, OTA_PT_TYPE_APP, OTA_PT_APP_FACTORY);
    s.test = ota_pt_find(table, OTA_PT_TYPE_APP, OTA_PT_APP_TEST);
    ota_boot_ota_slots(table, s.ota);
    s.app_count = ota_boot_slot_count(table);
    const struct ota_partition *otadata_part = ota_pt_find(table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    if (otadata_part) {
        if ((err = ota_otadata_read(f, otadata_part, &od))) {
            return err;
        }
        if ((err = choose_start(f, opts, &s, otadata_part, &od, &initial_otadata, &start))) {
            return err;
        }
    }
    res->chosen = start;
    res->booted = first_bootable(f, opts, &s, start, &res->info);
    if (res->booted < OTA_BOOT_TEST) {
        return OTA_ERR_BOOT_NO_APP;
    }
    res->fell_back = res->booted != start;
    res->part = *index_to_partition(&s, res->booted);
    if (res->fell_back) {
        char a[8], b[8];
        describe(a, sizeof(a), start);
        describe(b, sizeof(b), res->booted);
        OTA_LOGW(TAG, "%s does not boot; falling back to %s", a, b);
    }
    OTA_LOGI(TAG, "Loaded app from partition at offset 0x%x", (unsigned)res->part.offset);
    if (otadata_part) {
        return record_boot(f, opts, otadata_part, &od, initial_otadata, res);
    }
    return OTA_OK;
}
