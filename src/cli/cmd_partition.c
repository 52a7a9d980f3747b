/* ota partition make|show */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

int cmd_partition_make(int argc, char **argv)
{
    const char *pos[2], *flash_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_NUMBER("flash-size", &flash_s, CLI_FLASH_BYTES, "SIZE", "check that every partition fits this flash size",
                   "no check"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    uint32_t flash_size = 0;
    if (flash_s && !cli_parse_size(flash_s, &flash_size)) {
        cli_error("--flash-size %s is not a size", flash_s);
        return CLI_USAGE;
    }
    static struct ota_ptable t;
    if (cli_load_table_file(pos[0], flash_size, &t)) {
        return CLI_FAIL;
    }
    uint8_t bin[OTA_PT_LEN];
    ota_pt_to_binary(&t, bin);
    return cli_write_file(pos[1], bin, sizeof(bin));
}

/* gen_esp32part.py's to_csv(): a size in M or K when it divides (0 too:
 * "0M"), else hex; an offset always in hex. */
static void print_size(uint32_t v)
{
    if (v % (1024 * 1024) == 0) {
        printf("%uM", v / (1024 * 1024));
    } else if (v % 1024 == 0) {
        printf("%uK", v / 1024);
    } else {
        printf("0x%x", v);
    }
}

/* A type or subtype: its keyword, else the number in decimal, as gen does. */
static void print_keyword(const char *name, unsigned num)
{
    if (name) {
        printf("%s,", name);
    } else {
        printf("%u,", num);
    }
}

/* gen_esp32part.py's to_csv() layout. */
static void print_csv(const struct ota_ptable *t)
{
    printf("# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        printf("%s,", p->label);
        print_keyword(ota_pt_type_name(p->type), p->type);
        print_keyword(ota_pt_subtype_name(p->type, p->subtype), p->subtype);
        printf("0x%x,", p->offset);
        print_size(p->size);
        printf(",");
        const char *sep = "";
        if (p->flags & OTA_PT_FLAG_ENCRYPTED) {
            printf("encrypted");
            sep = ":";
        }
        if (p->flags & OTA_PT_FLAG_READONLY) {
            printf("%sreadonly", sep);
        }
        printf("\n");
    }
}

static void print_table(const struct ota_ptable *t);

static void print_json(const struct ota_ptable *t)
{
    struct json j;
    json_begin(&j, stdout);
    json_array(&j, "partitions");
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        json_object(&j, NULL);
        json_uint(&j, "index", i);
        json_str(&j, "label", p->label);
        json_uint(&j, "type", p->type);
        json_uint(&j, "subtype", p->subtype);
        json_str(&j, "type_name", ota_pt_type_name(p->type));
        json_str(&j, "subtype_name", ota_pt_subtype_name(p->type, p->subtype));
        json_str(&j, "usage", ota_pt_usage(p));
        json_uint(&j, "offset", p->offset);
        json_uint(&j, "size", p->size);
        json_bool(&j, "encrypted", (p->flags & OTA_PT_FLAG_ENCRYPTED) != 0);
        json_bool(&j, "readonly", (p->flags & OTA_PT_FLAG_READONLY) != 0);
        json_close(&j);
    }
    json_close(&j);
    json_bool(&j, "md5", t->has_md5);
    json_end(&j);
}

int cmd_partition_show(int argc, char **argv)
{
    const char *pos[1];
    bool csv = false, json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_FLAG("csv", &csv, "print the table as gen_esp32part.py's CSV (round-trips through partition make)"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    /* A file larger than one table is a device image: the table is at 0x8000. */
    const uint8_t *table = data;
    size_t table_len = len;
    uint32_t flash_size = 0;
    /* Text is a CSV: shown like a binary table, as gen_esp32part takes both. */
    bool csv_in = !cli_not_csv(data, len);
    if (!csv_in && len > OTA_FLASH_SECTOR_SIZE) {
        if (len < OTA_PT_OFFSET + OTA_PT_LEN) {
            cli_error("%s: %zu bytes is neither a table nor a device image", pos[0], len);
            free(data);
            return CLI_FAIL;
        }
        table = data + OTA_PT_OFFSET;
        table_len = OTA_PT_LEN;
        flash_size = (uint32_t)len;
    }
    static struct ota_ptable t;
    struct ota_pt_diag diag;
    int err = csv_in ? ota_pt_parse_csv((const char *)data, len, 0, &t, &diag)
                     : ota_pt_parse_binary(table, table_len, flash_size, &t, &diag);
    free(data);
    if (err) {
        cli_report_pt_error(pos[0], err, &diag, csv_in);
        return CLI_FAIL;
    }
    if (json) {
        print_json(&t);
        return CLI_OK;
    }
    if (csv) {
        print_csv(&t);
        return CLI_OK;
    }
    print_table(&t);
    return CLI_OK;
}

/* The layout of the bootloader's partition table log. */
static void print_table(const struct ota_ptable *t)
{
    printf("## Label            Usage          Type ST Offset   Length   Flags\n");
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        printf("%2u %-16s %-16s %02x %02x %08x %08x%s%s\n", i, p->label, ota_pt_usage(p), p->type, p->subtype,
               p->offset, p->size, p->flags & OTA_PT_FLAG_ENCRYPTED ? " encrypted" : "",
               p->flags & OTA_PT_FLAG_READONLY ? " readonly" : "");
    }
    printf("MD5: %s\n", t->has_md5 ? "present, valid" : "absent");
}
