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

unsigned ota_boot_ota_slots(const struct ota_ptable *t, const struct ota_partition *slots[16])
{
    unsigned count = 0;
    memset(slots, 0, 16 * sizeof(slots[0]));
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        if (ota_pt_is_ota_app(p) && !slots[p->subtype & 0xF]) {
            slots[p->subtype & 0xF] = p;
            count++;
        }
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
    unsigned app_count;
};

static const struct ota_partition *index_to_partition(const struct slots *s, int index)
{
    if (index == OTA_BOOT_FACTORY) {
        return s->factory;
    }
    if (index == OTA_BOOT_TEST) {
        return s->test;
    }
    return (index >= 0 && index < 16) ? s->ota[index] : NULL;
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

/* A trial boot that never confirmed itself: abort it (the previous app boots). */
static int abort_unconfirmed_trial(const struct ota_flash *f, const struct ota_partition *otadata_part,
                                   struct ota_otadata *od, unsigned app_count)
{
    int active = ota_otadata_active(od);
    if (active < 0 || od->copy[active].state != OTA_IMG_PENDING_VERIFY) {
        return OTA_OK;
    }
    unsigned slot = (od->copy[active].seq - 1) % (app_count ? app_count : 1);
    OTA_LOGW(TAG, "otadata[%d] (ota_%u) still PENDING_VERIFY after a boot: marking ABORTED, rolling back", active,
             slot);
    struct ota_select_entry e = od->copy[active];
    e.state = OTA_IMG_ABORTED;
    return ota_otadata_write(f, otadata_part, od, active, &e);
}

/* The index otadata chooses (ESP-IDF's bootloader_utility_get_selected_boot_partition). */
static int choose_start(const struct ota_boot_opts *opts, const struct slots *s, const struct ota_otadata *od,
                        bool *initial_otadata)
{
    int active = ota_otadata_active(od);
    *initial_otadata = false;
    if (active >= 0 && s->app_count > 0) {
        int start = (int)((od->copy[active].seq - 1) % s->app_count);
        OTA_LOGI(TAG, "otadata[%d] is active: seq %u, state %s -> ota_%d", active, (unsigned)od->copy[active].seq,
                 ota_img_state_name(od->copy[active].state), start);
        return start;
    }
    if (s->factory) {
        OTA_LOGI(TAG, "Defaulting to factory image");
        return OTA_BOOT_FACTORY;
    }
    OTA_LOGI(TAG, "No factory image, trying OTA 0");
    *initial_otadata = !opts->dry_run && !ota_otadata_usable(&od->copy[0]) && !ota_otadata_usable(&od->copy[1]) &&
                       od->copy[0].state != OTA_IMG_ABORTED && od->copy[1].state != OTA_IMG_ABORTED;
    return 0;
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
    for (int i = start + 1; i < 16; i++) {
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

/* What the boot writes back to otadata: the first seq on a blank otadata,
 * or NEW -> PENDING_VERIFY on a trial boot. */
static int record_boot(const struct ota_flash *f, const struct ota_boot_opts *opts,
                       const struct ota_partition *otadata_part, struct ota_otadata *od, bool initial_otadata,
                       struct ota_boot_result *res)
{
    int active = ota_otadata_active(od);
    int err = OTA_OK;
    if (initial_otadata) {
        struct ota_select_entry e;
        memset(&e, 0xFF, sizeof(e));
        e.seq = (uint32_t)res->booted + 1;
        e.state = OTA_IMG_VALID;
        e.crc = ota_otadata_crc(e.seq);
        if ((err = ota_otadata_write(f, otadata_part, od, 0, &e)) == OTA_OK) {
            OTA_LOGI(TAG, "Set actual ota_seq=%u in otadata[0]", (unsigned)e.seq);
        }
    } else if (opts->rollback && !res->fell_back && active >= 0 && od->copy[active].state == OTA_IMG_NEW) {
        if ((err = ota_otadata_set_state(f, otadata_part, od, OTA_IMG_PENDING_VERIFY)) == OTA_OK) {
            OTA_LOGI(TAG, "otadata[%d]: NEW -> PENDING_VERIFY (trial boot; the app must mark itself valid)", active);
        }
    }
    active = ota_otadata_active(od);
    if (active >= 0) {
        res->otadata_state = od->copy[active].state;
    }
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
    if ((err = ota_pt_load(f, table, &diag))) {
        OTA_LOGE(TAG, "Failed to verify partition table (row %u): %s", diag.line, ota_strerror(err));
        return err;
    }
    ota_boot_log_table(table);
    memset(&s, 0, sizeof(s));
    s.factory = ota_pt_find(table, OTA_PT_TYPE_APP, OTA_PT_APP_FACTORY);
    s.test = ota_pt_find(table, OTA_PT_TYPE_APP, OTA_PT_APP_TEST);
    s.app_count = ota_boot_ota_slots(table, s.ota);
    const struct ota_partition *otadata_part = ota_pt_find(table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    if (otadata_part) {
        if ((err = ota_otadata_read(f, otadata_part, &od))) {
            return err;
        }
        if (opts->rollback && !opts->dry_run && (err = abort_unconfirmed_trial(f, otadata_part, &od, s.app_count))) {
            return err;
        }
        start = choose_start(opts, &s, &od, &initial_otadata);
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
    if (otadata_part && res->booted >= 0 && !opts->dry_run) {
        return record_boot(f, opts, otadata_part, &od, initial_otadata, res);
    }
    return OTA_OK;
}
