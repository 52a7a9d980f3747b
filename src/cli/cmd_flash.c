/* ota flash create|write|read|erase: build and edit device images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_running.h"
#include "ota/image.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static int fail_op(const char *what, const char *path, int err)
{
    cli_error("%s %s: %s", what, path, cli_file_error(err));
    return CLI_FAIL;
}

static void report_created_json(const char *path, uint32_t size, const struct ota_ptable *t, uint32_t boot_at,
                                uint32_t boot_len)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "image", path);
    json_uint(&j, "size", size);
    json_uint(&j, "table_offset", OTA_PT_OFFSET);
    json_uint(&j, "partitions", t->count);
    if (boot_len) {
        json_object(&j, "bootloader");
        json_uint(&j, "offset", boot_at);
        json_uint(&j, "length", boot_len);
        json_close(&j);
    } else {
        json_null(&j, "bootloader");
    }
    json_end(&j);
}

static void report_created_text(const char *path, uint32_t size, const struct ota_ptable *t, uint16_t boot_chip)
{
    printf("created %s: %u bytes, %u partitions, table at 0x%x", path, size, t->count, OTA_PT_OFFSET);
    if (boot_chip != OTA_CHIP_ANY) {
        printf(", %s bootloader at 0x%x", ota_chip_name(boot_chip), ota_pt_bootloader_offset(boot_chip));
    }
    printf("\n");
}

/* A bootloader file: an ESP image whose header names the device's chip
 * (*chip; OTA_CHIP_ANY: none named, the file's chip is taken), that fits
 * between where that chip's ROM loads it and the table. Errors reported. */
static int check_bootloader(const char *path, const uint8_t *b, size_t len, uint16_t *chip)
{
    if (len < OTA_IMAGE_HEADER_LEN || b[0] != OTA_IMAGE_MAGIC) {
        cli_error("%s: not a bootloader image (no 0x%02X image header)", path, OTA_IMAGE_MAGIC);
        return CLI_FAIL;
    }
    uint16_t id = (uint16_t)(b[12] | b[13] << 8);
    if (*chip != OTA_CHIP_ANY && id != *chip) {
        cli_error("%s: a bootloader for the %s (chip id %u in its header), not for the %s this device is", path,
                  ota_chip_name(id), id, ota_chip_name(*chip));
        return CLI_FAIL;
    }
    if (!ota_chip_has_memory_map(id)) {
        cli_error("%s: a bootloader for chip id %u (%s); devices are esp32, esp32s2, esp32c3 or esp32s3", path, id,
                  ota_chip_name(id));
        return CLI_FAIL;
    }
    uint32_t at = ota_pt_bootloader_offset(id);
    if (len > OTA_PT_OFFSET - at) {
        cli_error("%s: %zu bytes does not fit between 0x%x (where the %s loads it) and the table at 0x%x", path, len,
                  at, ota_chip_name(id), OTA_PT_OFFSET);
        return CLI_FAIL;
    }
    *chip = id;
    return CLI_OK;
}

static bool is_binary_table(const char *path)
{
    uint8_t m[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(m, 1, sizeof(m), f);
        (void)n;
        fclose(f);
    }
    return m[0] == 0xAA && m[1] == 0x50;
}

/* The table's bootloader row where the chip's bootloader is, as
 * gen_esp32part --primary-bootloader-offset places it from a CSV; a binary
 * table made for another layout is refused, not rewritten. */
static int place_bootloader_row(const char *table_path, struct ota_ptable *t, uint16_t chip)
{
    uint32_t at = ota_pt_bootloader_offset(chip);
    const struct ota_partition *row = ota_pt_find(t, 0x02 /* bootloader */, 0x00 /* primary */);
    if (!row || row->offset == at || chip == OTA_CHIP_ANY) {
        return CLI_OK;  /* no chip named: the ESP32's layout, or a binary as given */
    }
    if (is_binary_table(table_path)) {
        cli_error("%s: its bootloader row is at 0x%x, but the %s loads its bootloader from 0x%x", table_path,
                  (unsigned)row->offset, ota_chip_name(chip), at);
        return CLI_FAIL;
    }
    ota_pt_place_bootloader(t, at);
    return CLI_OK;
}

/* The bootloader file (if any) and the table, laid out for *layout (the
 * chip named, or OTA_CHIP_ANY: the bootloader's chip, else the ESP32's). */
static int load_layout(const char *boot_s, const char *table_s, uint32_t size, uint16_t *layout, uint8_t **boot,
                       size_t *boot_len, struct ota_ptable *table)
{
    if (boot_s && (cli_read_file(boot_s, boot, boot_len) || check_bootloader(boot_s, *boot, *boot_len, layout))) {
        free(*boot);
        *boot = NULL;
        return CLI_FAIL;
    }
    if (cli_load_table_file(table_s, size, table) || place_bootloader_row(table_s, table, *layout)) {
        free(*boot);
        *boot = NULL;
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* flash create's size, table and the properties the device is made with. */
static int create_settings(const char *size_s, const char *table_s, const char *chip_s, const char *rev_s,
                           bool rollback, uint32_t *size, struct ota_device_props *props)
{
    if (!cli_parse_size(size_s, size) || *size == 0 || *size % OTA_FLASH_BLOCK_SIZE) {
        cli_error("--size %s: give a multiple of 64 KiB, e.g. 4MB", size_s);
        return CLI_USAGE;
    }
    if (!table_s) {
        cli_error("--table CSV|BIN is required");
        return CLI_USAGE;
    }
    /* Without --chip the chip stays open until a boot or run names one;
     * a bootloader names it (its header), else the layout is the ESP32's. */
    *props = (struct ota_device_props){.chip = OTA_CHIP_ESP32, .chip_known = chip_s != NULL, .rollback = rollback};
    if ((chip_s && !cli_parse_chip(chip_s, &props->chip, false)) ||
        (rev_s && !cli_parse_chip_rev(rev_s, props))) {
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_flash_create(int argc, char **argv)
{
    const char *pos[1], *size_s = "4MB", *table_s = NULL, *boot_s = NULL, *chip_s = NULL, *rev_s = NULL;
    bool rollback = false, json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("table", &table_s, "CSV|BIN", "partition table, CSV or binary (required)"),
        CLI_NUMBER("size", &size_s, CLI_FLASH_BYTES, "SIZE", "flash size: 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB or 128MB "
                   "(4MiB, 4M, 0x400000 too)", NULL),
        CLI_VALUE_D("bootloader", &boot_s, "FILE",
                    "bootloader image for the device's chip, written where its ROM loads it: 0x1000 on esp32 and "
                    "esp32s2, 0x0 on esp32c3 and esp32s3", "none"),
        CLI_VALUE_D("chip", &chip_s, "C", "the device's chip, recorded with the device (esp32, esp32s2, esp32c3, esp32s3)",
                    "none: the first boot or run that names one records it"),
        CLI_FLAG("rollback", &rollback, "the device's bootloader has app rollback enabled (recorded with the device)"),
        CLI_VALUE_D("chip-revision", &rev_s, "vX.Y", "the chip's revision, recorded with the device",
                    "the revision the chip is sold as"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint32_t size;
    struct ota_device_props props;
    if ((rc = create_settings(size_s, table_s, chip_s, rev_s, rollback, &size, &props))) {
        return rc;
    }
    uint16_t layout = chip_s ? props.chip : OTA_CHIP_ANY;
    uint8_t *boot = NULL;
    size_t boot_len = 0;
    static struct ota_ptable table;
    if (load_layout(boot_s, table_s, size, &layout, &boot, &boot_len, &table)) {
        return CLI_FAIL;
    }
    if (boot_s && !chip_s) {
        props.chip = layout;
        props.chip_known = true;
    }
    uint32_t boot_at = ota_pt_bootloader_offset(layout);
    uint8_t bin[OTA_PT_LEN];
    ota_pt_to_binary(&table, bin);

    struct ota_host_flash hf;
    /* Whole or not at all: the new image replaces pos[0] only once complete. */
    int err = ota_host_flash_create_staged(&hf, pos[0], size);
    if (err) {
        free(boot);
        cli_error("cannot create %s: %s", pos[0], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return err == OTA_ERR_DEVICE_BUSY ? CLI_BUSY : CLI_FAIL;
    }
    /* An erased otadata (both copies 0xFF) is ESP-IDF's initial state: the
     * bootloader then boots factory, or ota_0 and records seq 1. */
    err = ota_flash_program(&hf.flash, OTA_PT_OFFSET, bin, sizeof(bin));
    if (!err && boot) {
        err = ota_flash_program(&hf.flash, boot_at, boot, (uint32_t)boot_len);
    }
    free(boot);
    if (!err) {
        err = ota_host_flash_publish(&hf);
    }
    /* Still under the lock: the properties the device is made with. */
    if (!err) {
        err = ota_host_props_save(pos[0], &props);
    }
    ota_host_flash_close(&hf);
    if (err) {
        return fail_op("writing", pos[0], err);
    }
    if (json) {
        report_created_json(pos[0], size, &table, boot_at, boot_s ? (uint32_t)boot_len : 0);
    } else {
        report_created_text(pos[0], size, &table, boot_s ? layout : OTA_CHIP_ANY);
    }
    return CLI_OK;
}

/* A device image opened at one of its partitions. */
struct part_cmd {
    struct ota_host_flash hf;
    struct ota_ptable table;
    const struct ota_partition *p;
};

static int open_partition(const char *image, const char *label, struct part_cmd *c, bool writer)
{
    int rc = writer ? cli_open_device(image, &c->hf, &c->table) : cli_open_device_ro(image, &c->hf, &c->table);
    if (rc) {
        return rc;
    }
    c->p = cli_find_partition(&c->table, label, image);
    if (!c->p) {
        ota_host_flash_close(&c->hf);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Warnings before a write: what goes into an app slot should be an app
 * image, and the slot the device runs from is overwritten under it. */
static void warn_app_slot(const char *image, const struct ota_partition *p, const char *file, const uint8_t *data,
                          size_t len)
{
    struct ota_host_running run;
    if (p->type == OTA_PT_TYPE_APP && (len == 0 || data[0] != 0xE9)) {
        fprintf(stderr, "ota: warning: %s is not an app image (no 0xE9 magic byte): the bootloader will not boot "
                "'%s'\n", file, p->label);
    }
    if (p->type == OTA_PT_TYPE_APP && ota_host_running_load(image, &run) == OTA_OK && run.offset == p->offset) {
        fprintf(stderr, "ota: warning: '%s' is the slot the device runs from: the running app is replaced\n",
                p->label);
    }
}

/* esptool's form: an offset instead of a label. It must start a 4 KiB
 * sector (the sectors it covers are erased) and fit in the flash. */
static const struct ota_partition *offset_target(const char *image, const char *at_s, size_t len, struct part_cmd *c,
                                                 struct ota_partition *at)
{
    uint32_t off;
    if (at_s[0] < '0' || at_s[0] > '9' || !cli_parse_count(at_s, &off)) {
        return cli_find_partition(&c->table, at_s, image);
    }
    if (off % OTA_FLASH_SECTOR_SIZE || off >= c->hf.flash.size || len > c->hf.flash.size - off) {
        cli_error("offset %s: give a multiple of 0x1000 where %zu bytes fit in the %u-byte flash", at_s, len,
                  c->hf.flash.size);
        return NULL;
    }
    memset(at, 0, sizeof(*at));
    snprintf(at->label, sizeof(at->label), "0x%x", off);
    at->type = OTA_PT_TYPE_DATA;
    at->offset = off;
    at->size = c->hf.flash.size - off;
    for (unsigned i = 0; i < c->table.count; i++) {
        if (c->table.entries[i].offset == off) {
            *at = c->table.entries[i];  /* a partition's start: warn as for its label */
        }
    }
    return at;
}

int cmd_flash_write(int argc, char **argv)
{
    const char *pos[3];
    int npos, rc;
    struct cli_opt opts[] = {CLI_END};
    static struct part_cmd c;
    struct ota_partition at;
    uint8_t *data = NULL;
    size_t len = 0;
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos)) || (rc = cli_read_file(pos[2], &data, &len))) {
        return rc;
    }
    if ((rc = cli_open_device(pos[0], &c.hf, &c.table))) {
        free(data);
        return rc;
    }
    rc = CLI_FAIL;
    if (!(c.p = offset_target(pos[0], pos[1], len, &c, &at))) {
        /* reported */
    } else if (len > c.p->size) {
        cli_error("%s: %zu bytes do not fit in partition '%s' (%u bytes)", pos[2], len, c.p->label, c.p->size);
    } else {
        warn_app_slot(pos[0], c.p, pos[2], data, len);
        uint32_t erase_len = ((uint32_t)len + OTA_FLASH_SECTOR_SIZE - 1) & ~(OTA_FLASH_SECTOR_SIZE - 1);
        int err = ota_flash_erase(&c.hf.flash, c.p->offset, erase_len);
        if (!err) {
            err = ota_flash_program(&c.hf.flash, c.p->offset, data, (uint32_t)len);
        }
        if (err) {
            fail_op("writing", pos[0], err);
        } else {
            printf("wrote %zu bytes to '%s' at 0x%x\n", len, c.p->label, c.p->offset);
            rc = CLI_OK;
        }
    }
    free(data);
    ota_host_flash_close(&c.hf);
    return rc;
}

int cmd_flash_read(int argc, char **argv)
{
    const char *pos[3];
    int npos, rc;
    struct cli_opt opts[] = {CLI_END};
    static struct part_cmd c;
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos)) || (rc = open_partition(pos[0], pos[1], &c, false))) {
        return rc;
    }
    rc = CLI_FAIL;
    uint8_t *buf = malloc(c.p->size);
    int err = buf ? ota_flash_read(&c.hf.flash, c.p->offset, buf, c.p->size) : OTA_ERR_NO_MEM;
    if (err) {
        fail_op("reading", pos[0], err);
    } else if (!cli_write_dump(pos[2], buf, c.p->size)) {
        printf("read %u bytes of '%s' into %s\n", c.p->size, c.p->label, pos[2]);
        rc = CLI_OK;
    }
    free(buf);
    ota_host_flash_close(&c.hf);
    return rc;
}

int cmd_flash_erase(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    struct cli_opt opts[] = {CLI_END};
    static struct part_cmd c;
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos)) || (rc = open_partition(pos[0], pos[1], &c, true))) {
        return rc;
    }
    int err = ota_flash_erase(&c.hf.flash, c.p->offset, c.p->size);
    if (err) {
        fail_op("erasing", pos[0], err);
    } else {
        printf("erased '%s' (0x%x bytes at 0x%x)\n", c.p->label, c.p->size, c.p->offset);
    }
    ota_host_flash_close(&c.hf);
    return err ? CLI_FAIL : CLI_OK;
}
