/* ota otadata show|select|mark: the boot selection, as esp_ota_ops does it. */
#include <stdio.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/otadata.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

struct device {
    struct ota_host_flash hf;
    struct ota_ptable table;
    const struct ota_partition *otadata;
    struct ota_otadata od;
};

static int open_otadata(const char *path, struct device *d, bool writer)
{
    int rc = writer ? cli_open_device(path, &d->hf, &d->table) : cli_open_device_ro(path, &d->hf, &d->table);
    if (rc) {
        return rc;
    }
    d->otadata = ota_pt_find(&d->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    if (!d->otadata) {
        cli_error("%s: the partition table has no otadata partition", path);
        ota_host_flash_close(&d->hf);
        return CLI_FAIL;
    }
    int err = ota_otadata_read(&d->hf.flash, d->otadata, &d->od);
    if (err) {
        cli_error("%s: reading otadata: %s", path, ota_strerror(err));
        ota_host_flash_close(&d->hf);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static bool blank(const struct ota_select_entry *e)
{
    return e->seq == 0xFFFFFFFFu && e->crc == 0xFFFFFFFFu;
}

static void show_text(const struct device *d, const struct ota_partition *const *slots, unsigned count)
{
    for (int i = 0; i < 2; i++) {
        const struct ota_select_entry *e = &d->od.copy[i];
        if (blank(e)) {
            printf("otadata[%d]: blank\n", i);
            continue;
        }
        printf("otadata[%d]: seq %u, state %s, crc 0x%08x (%s)%s\n", i, e->seq, ota_img_state_name(e->state),
               e->crc, e->crc == ota_otadata_crc(e->seq) ? "valid" : "invalid",
               ota_otadata_usable(e) ? "" : ", not usable");
    }
    int active = ota_otadata_active(&d->od);
    if (active < 0) {
        printf("active: none (the bootloader boots factory, else ota_0)\n");
    } else {
        int slot = ota_otadata_boot_slot(&d->od, count);
        printf("active: otadata[%d] -> slot %d%s%s\n", active, slot, slots[slot] ? ", partition " : "",
               slots[slot] ? slots[slot]->label : " (no such partition)");
    }
}

static void show_json(const struct device *d, const struct ota_partition *const *slots, unsigned count)
{
    struct json j;
    json_begin(&j, stdout);
    json_array(&j, "copies");
    for (int i = 0; i < 2; i++) {
        const struct ota_select_entry *e = &d->od.copy[i];
        if (blank(e)) {
            json_null(&j, NULL);
            continue;
        }
        json_object(&j, NULL);
        json_uint(&j, "seq", e->seq);
        json_str(&j, "state", ota_img_state_name(e->state));
        json_uint(&j, "crc", e->crc);
        json_bool(&j, "crc_valid", e->crc == ota_otadata_crc(e->seq));
        json_bool(&j, "usable", ota_otadata_usable(e));
        json_close(&j);
    }
    json_close(&j);
    int active = ota_otadata_active(&d->od);
    int slot = active < 0 ? -1 : ota_otadata_boot_slot(&d->od, count);
    if (active < 0) {
        json_null(&j, "active");
        json_null(&j, "boot_slot");
    } else {
        json_int(&j, "active", active);
        json_int(&j, "boot_slot", slot);
    }
    json_str(&j, "boot_partition", slot >= 0 && slots[slot] ? slots[slot]->label : NULL);
    json_end(&j);
}

int cmd_otadata_show(int argc, char **argv)
{
    const char *pos[1];
    bool json = false;
    int npos, rc;
    struct cli_opt opts[] = {CLI_JSON(&json), CLI_END};
    static struct device d;
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos)) || (rc = open_otadata(pos[0], &d, false))) {
        return rc;
    }
    const struct ota_partition *slots[16];
    ota_boot_ota_slots(&d.table, slots);
    unsigned count = ota_boot_slot_count(&d.table);  /* what boots: the bootloader's mapping */
    if (json) {
        show_json(&d, slots, count);
    } else {
        show_text(&d, slots, count);
    }
    ota_host_flash_close(&d.hf);
    return CLI_OK;
}

int cmd_otadata_select(int argc, char **argv)
{
    const char *pos[2];
    bool rollback = false, no_verify = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_FLAG("rollback", &rollback, "select as NEW: the app boots on trial and must mark itself valid"),
        CLI_FLAG("no-verify", &no_verify, "select even if the partition holds no valid image"),
        CLI_END};
    static struct device d;
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos)) || (rc = open_otadata(pos[0], &d, true))) {
        return rc;
    }
    rc = CLI_FAIL;
    const struct ota_partition *slots[16];
    unsigned count = ota_boot_ota_slots(&d.table, slots);
    const struct ota_partition *p = cli_find_partition(&d.table, pos[1], pos[0]);
    if (p && !ota_pt_is_ota_app(p)) {
        cli_error("'%s' is not an OTA app partition (ota_0..ota_15)", p->label);
    } else if (p) {
        /* esp_ota_set_boot_partition verifies the image before selecting it. */
        struct ota_image_info info;
        int err = no_verify ? OTA_OK : ota_image_verify_partition(&d.hf.flash, p, NULL, &info);
        if (err) {
            cli_error("'%s' holds no valid app image (%s); not selected", p->label, ota_strerror(err));
        } else if ((err = ota_otadata_select(&d.hf.flash, d.otadata, &d.od, p->subtype & 0xF, count, rollback))) {
            cli_error("selecting '%s': %s", p->label, ota_strerror(err));
        } else {
            int active = ota_otadata_active(&d.od);
            printf("selected %s: otadata[%d] seq %u, state %s\n", p->label, active, d.od.copy[active].seq,
                   ota_img_state_name(d.od.copy[active].state));
            rc = CLI_OK;
        }
    }
    ota_host_flash_close(&d.hf);
    return rc;
}

int cmd_otadata_mark(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    struct cli_opt opts[] = {CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    uint32_t state;
    if (strcmp(pos[1], "valid") == 0) {
        state = OTA_IMG_VALID;
    } else if (strcmp(pos[1], "invalid") == 0) {
        state = OTA_IMG_INVALID;
    } else {
        cli_error("mark what? 'valid' or 'invalid', not '%s'", pos[1]);
        return CLI_USAGE;
    }
    static struct device d;
    if ((rc = open_otadata(pos[0], &d, true))) {
        return rc;
    }
    /* As esp_ota_mark_app_valid_cancel_rollback / _invalid_rollback: invalid
     * is refused when nothing else would boot. */
    int err = state == OTA_IMG_VALID ? ota_app_mark_valid(&d.hf.flash, &d.table)
                                     : ota_app_mark_invalid(&d.hf.flash, &d.table);
    ota_host_flash_close(&d.hf);
    if (err == OTA_ERR_OTA_ROLLBACK_FAILED) {
        cli_error("%s: not marked invalid: %s; otadata is unchanged", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    if (err) {
        cli_error("%s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    printf("running app marked %s\n", ota_img_state_name(state));
    return CLI_OK;
}
