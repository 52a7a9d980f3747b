/* Partition table: CSV syntax, the generator's rules, binary round trips. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/image.h"

#define FOUR_MB (4u * 1024u * 1024u)

static struct ota_ptable table;
static struct ota_pt_diag diag;

static int parse(const char *csv)
{
    return ota_pt_parse_csv(csv, strlen(csv), FOUR_MB, &table, &diag);
}

static void seed_csv_fills_blank_offsets(void **state)
{
    (void)state;
    assert_int_equal(parse(seed_csv), OTA_OK);
    assert_int_equal(table.count, 6);
    static const struct { const char *label; uint8_t type, sub; uint32_t off, size; } want[] = {
        {"nvs", 1, 2, 0x9000, 0x4000},     {"otadata", 1, 0, 0xd000, 0x2000},
        {"phy_init", 1, 1, 0xf000, 0x1000}, {"ota_0", 0, 0x10, 0x10000, 0x100000},
        {"ota_1", 0, 0x11, 0x110000, 0x100000}, {"flash_tone", 1, 0xff, 0x210000, 0x100000},
    };
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(table.entries[i].label, want[i].label);
        assert_int_equal(table.entries[i].type, want[i].type);
        assert_int_equal(table.entries[i].subtype, want[i].sub);
        assert_int_equal(table.entries[i].offset, want[i].off);
        assert_int_equal(table.entries[i].size, want[i].size);
    }
}

static void syntax_numbers_names_flags(void **state)
{
    (void)state;
    const char *csv = "  # comment\n\n"
                      "factory, app, factory, , 1024K\n"
                      "store, data, spiffs, 0x110000, 65536, encrypted : readonly\n"
                      "custom, 0x40, 7, , 4K,\n"
                      "fat, data, fat, , 0x2000, readonly\n";
    assert_int_equal(parse(csv), OTA_OK);
    assert_int_equal(table.count, 4);
    assert_int_equal(table.entries[0].offset, 0x10000);  /* app aligned to 64 KiB */
    assert_int_equal(table.entries[0].size, 0x100000);
    assert_int_equal(table.entries[1].subtype, 0x82);
    assert_int_equal(table.entries[1].flags, OTA_PT_FLAG_ENCRYPTED | OTA_PT_FLAG_READONLY);
    assert_int_equal(table.entries[2].type, 0x40);
    assert_int_equal(table.entries[2].offset, 0x120000);
    assert_int_equal(table.entries[3].flags, OTA_PT_FLAG_READONLY);
    assert_non_null(ota_pt_find_label(&table, "fat"));
    assert_null(ota_pt_find_label(&table, "nope"));
    assert_ptr_equal(ota_pt_find(&table, OTA_PT_TYPE_DATA, 0x81), &table.entries[3]);
    assert_null(ota_pt_find(&table, OTA_PT_TYPE_APP, OTA_PT_APP_OTA_0));
}

struct rule_case {
    const char *csv;
    int err;
    unsigned line;
    const char *name;
};

static void every_rule_names_row_and_rule(void **state)
{
    (void)state;
    static const struct rule_case cases[] = {
        {"a, data, nvs, 0x9000, 0x4000\nb, data, phy, 0xa000, 0x1000\n", OTA_ERR_PT_OVERLAP, 2, "b"},
        {"ota_0, app, ota_0, 0x11000, 1M\n", OTA_ERR_PT_APP_ALIGN, 1, "ota_0"},
        {"ota_0, app, ota_0, 0x10000, 0x10800\n", OTA_ERR_PT_SIZE_ALIGN, 1, "ota_0"},
        {"x, data, phy, , 4K\n# c\nx, data, phy, , 4K\n", OTA_ERR_PT_DUP_NAME, 3, "x"},
        {"o1, data, ota, , 0x2000\no2, data, ota, , 0x2000\n", OTA_ERR_PT_OTADATA, 2, "o2"},
        {"otadata, data, ota, , 0x3000\n", OTA_ERR_PT_OTADATA, 1, "otadata"},
        {"big, app, ota_0, 0x10000, 4M\n", OTA_ERR_PT_BOUNDS, 1, "big"},
        {"x, foo, nvs, , 4K\n", OTA_ERR_PT_UNKNOWN_TYPE, 1, "x"},
        {"x, data, nvx, , 4K\n", OTA_ERR_PT_UNKNOWN_TYPE, 1, "x"},
        {"x, app, , , 64K\n", OTA_ERR_PT_UNKNOWN_TYPE, 1, "x"},
        {"x, data, nvs, 0x9z00, 16K\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, , 16Q\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, , \n", OTA_ERR_PT_SIZE, 1, "x"},
        {"abcdefghijklmnopq, data, nvs, , 16K\n", OTA_ERR_PT_NAME_LEN, 1, "abcdefghijklmnopq"},
        {"x, data, nvs, 0x7000, 16K\n", OTA_ERR_PT_BELOW_TABLE, 1, "x"},
        {"x, data, nvs, , 0x2000\n", OTA_ERR_PT_NVS_SIZE, 1, "x"},
        {"x, data, phy, 0x9800, 4K\n", OTA_ERR_PT_OFFSET_ALIGN, 1, "x"},
        {"x, data, phy, , 4K, secret\n", OTA_ERR_PT_FLAGS, 1, "x"},
        {"# nothing\n", OTA_ERR_PT_EMPTY, 0, ""},
        /* absurd numbers: negative, past 32 bits, overflowing with a suffix */
        {"x, data, nvs, , -1\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, , 99999999999\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, , 0x100000000\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, , 4096M\n", OTA_ERR_PT_SYNTAX, 1, "x"},
        {"x, data, nvs, 0xFFFFF000, 0x2000\n", OTA_ERR_PT_BOUNDS, 1, "x"},
        {"a, data, nvs, 0xFFFF0000, 0xF000\nb, data, phy, , 0x10000\n", OTA_ERR_PT_BOUNDS, 1, "a"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = parse(cases[i].csv);
        if (err != cases[i].err || diag.line != cases[i].line || strcmp(diag.name, cases[i].name) != 0) {
            print_error("case %zu: got %s line %u name '%s'\n", i, ota_errname(err), diag.line, diag.name);
        }
        assert_int_equal(err, cases[i].err);
        assert_int_equal(diag.line, cases[i].line);
        assert_string_equal(diag.name, cases[i].name);
    }
    /* An overlap names the partition it runs into. */
    assert_int_equal(parse(cases[0].csv), OTA_ERR_PT_OVERLAP);
    assert_string_equal(diag.other, "a");
    assert_int_equal(diag.limit, 0xd000);
}

static void too_many_rows(void **state)
{
    (void)state;
    static char csv[95 * 40];
    size_t n = 0;
    for (int i = 0; i < 95; i++) {
        n += (size_t)snprintf(csv + n, sizeof(csv) - n, "p%d, data, phy, , 4K\n", i);
    }
    assert_int_equal(ota_pt_parse_csv(csv, n, 0, &table, &diag), OTA_ERR_PT_TOO_MANY);
    assert_int_equal(diag.line, 95);
    /* 94 is the most that fits beside the MD5 row. */
    n = 0;
    for (int i = 0; i < 94; i++) {
        n += (size_t)snprintf(csv + n, sizeof(csv) - n, "p%d, data, phy, , 4K\n", i);
    }
    assert_int_equal(ota_pt_parse_csv(csv, n, 0, &table, &diag), OTA_OK);
    uint8_t bin[OTA_PT_LEN];
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    assert_int_equal(bin[94 * 32], 0xEB);
}

static void binary_round_trip(void **state)
{
    (void)state;
    uint8_t bin[OTA_PT_LEN], bin2[OTA_PT_LEN];
    static struct ota_ptable back;
    assert_int_equal(parse(seed_csv), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    /* rows, MD5 row at 6 * 32, then 0xFF */
    assert_int_equal(bin[0xC0], 0xEB);
    assert_int_equal(bin[0xC1], 0xEB);
    for (int i = 0xE0; i < (int)OTA_PT_LEN; i++) {
        assert_int_equal(bin[i], 0xFF);
    }
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &back, &diag), OTA_OK);
    assert_true(back.has_md5);
    assert_int_equal(ota_pt_check(&back, FOUR_MB, &diag), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&back, bin2), OTA_OK);
    assert_memory_equal(bin, bin2, sizeof(bin));
}

static void binary_errors(void **state)
{
    (void)state;
    uint8_t bin[OTA_PT_LEN];
    assert_int_equal(parse(seed_csv), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);

    bin[0x2C] ^= 1; /* flip a label bit: MD5 no longer matches */
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &table, &diag), OTA_ERR_PT_MD5);
    assert_int_equal(diag.line, 6);
    bin[0x2C] ^= 1;

    /* Bounds against the flash: the seed table needs 3 MiB. */
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), 2u * 1024 * 1024, &table, &diag), OTA_ERR_PT_BOUNDS);
    assert_string_equal(diag.name, "ota_1");

    bin[0x40] = 0x12; /* bad magic in row 2 */
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &table, &diag), OTA_ERR_PT_MAGIC);
    assert_int_equal(diag.line, 2);

    memset(bin, 0xFF, sizeof(bin));
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &table, &diag), OTA_ERR_PT_EMPTY);

    /* A table without MD5 row is still readable (old generators). */
    assert_int_equal(parse(seed_csv), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    memset(bin + 0xC0, 0xFF, 32);
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &table, &diag), OTA_OK);
    assert_false(table.has_md5);
    /* Every row filled and no end marker: 96 rows of 0x50AA. */
    for (unsigned i = 0; i < OTA_PT_LEN / 32; i++) {
        memcpy(bin + i * 32, bin, 32);
    }
    assert_int_equal(ota_pt_parse_binary(bin, sizeof(bin), FOUR_MB, &table, &diag), OTA_ERR_PT_TOO_MANY);
}

static void names_and_usage(void **state)
{
    (void)state;
    struct ota_partition p = {0};
    assert_string_equal(ota_pt_type_name(1), "data");
    assert_null(ota_pt_type_name(0x40));
    assert_string_equal(ota_pt_subtype_name(0, 0x1F), "ota_15");
    assert_null(ota_pt_subtype_name(1, 0xFF));
    p.type = 1;
    p.subtype = 2;
    assert_string_equal(ota_pt_usage(&p), "WiFi data");
    p.subtype = 0xFF;
    assert_string_equal(ota_pt_usage(&p), "Unknown data");
    p.type = 0;
    p.subtype = 0x11;
    assert_string_equal(ota_pt_usage(&p), "OTA app");
    assert_true(ota_pt_is_ota_app(&p));
}

/* gen_esp32part v6.0 refuses these; each failed to be refused before. */
static void generator_v6_refusals(void **state)
{
    (void)state;
    static const struct rule_case cases[] = {
        /* a custom type below the table end, at 0x1000 and at the table itself */
        {"c, 0x40, 0, 0x1000, 0x1000\n", OTA_ERR_PT_BELOW_TABLE, 1, "c"},
        {"c, 0x40, 0, 0x8000, 0x1000\n", OTA_ERR_PT_BELOW_TABLE, 1, "c"},
        {"b, bootloader, ota, 0x4000, N/A\n", OTA_ERR_PT_BELOW_TABLE, 1, "b"},
        /* offsets out of order, no overlap */
        {"a, data, nvs, 0x20000, 0x4000\nb, data, phy, 0x10000, 0x1000\n", OTA_ERR_PT_ORDER, 2, "b"},
        /* otadata and coredump are always read-write */
        {"otadata, data, ota, , 0x2000, readonly\n", OTA_ERR_PT_READONLY, 1, "otadata"},
        {"core, data, coredump, , 64K, encrypted:readonly\n", OTA_ERR_PT_READONLY, 1, "core"},
        /* TEE otadata: one, of 0x2000 */
        {"t1, data, tee_ota, , 0x2000\nt2, data, tee_ota, , 0x2000\n", OTA_ERR_PT_OTADATA, 2, "t2"},
        {"t1, data, tee_ota, , 0x3000\n", OTA_ERR_PT_OTADATA, 1, "t1"},
        /* the recovery bootloader's offset comes from eFuse: not guessed */
        {"r, bootloader, recovery, N/A, N/A\n", OTA_ERR_PT_RECOVERY_OFFSET, 1, "r"},
        /* flags keep their case, as in the generator */
        {"x, data, nvs, , 16K, READONLY\n", OTA_ERR_PT_FLAGS, 1, "x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = parse(cases[i].csv);
        if (err != cases[i].err || diag.line != cases[i].line || strcmp(diag.name, cases[i].name) != 0) {
            print_error("case %zu: got %s line %u name '%s'\n", i, ota_errname(err), diag.line, diag.name);
        }
        assert_int_equal(err, cases[i].err);
        assert_int_equal(diag.line, cases[i].line);
        assert_string_equal(diag.name, cases[i].name);
    }
}

/* What gen_esp32part v6.0 accepts and documents; the binaries it made from
 * the same text are pinned here by their rows. */
static void generator_v6_acceptances(void **state)
{
    (void)state;
    uint8_t plain[OTA_PT_LEN], other[OTA_PT_LEN];
    const char *base = "nvs, data, nvs, , 0x4000,\notadata, data, ota, , 0x2000,\nota_0, app, ota_0, , 1M,\n";
    assert_int_equal(parse(base), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&table, plain), OTA_OK);
    static const char *const same[] = {
        "nvs, DATA, NVS, , 0x4000,\notadata, Data, OTA, , 0x2000,\nota_0, APP, Ota_0, , 1M,\n",
        "\xEF\xBB\xBFnvs, data, nvs, , 0x4000,\notadata, data, ota, , 0x2000,\nota_0, app, ota_0, , 1M,\n",
        "nvs, data, nvs, , 0x4000,\rotadata, data, ota, , 0x2000,\rota_0, app, ota_0, , 1M,\r",
        "nvs, data, nvs, , 0x4000,\r\notadata, data, ota, , 0x2000,\r\nota_0, app, ota_0, , 1M,\r\n",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        if (parse(same[i]) != OTA_OK) {
            print_error("variant %zu: %s at line %u\n", i, ota_errname(parse(same[i])), diag.line);
        }
        assert_int_equal(parse(same[i]), OTA_OK);
        assert_int_equal(ota_pt_to_binary(&table, other), OTA_OK);
        assert_memory_equal(plain, other, sizeof(plain));
    }
    /* CR-only lines count as lines: the error names line 3. */
    assert_int_equal(parse("a, data, phy, , 4K\r# c\ra, data, phy, , 4K\r"), OTA_ERR_PT_DUP_NAME);
    assert_int_equal(diag.line, 3);

    /* N/A for the rows the generator places itself; they do not move the
     * next blank offset; the ota subtypes follow the row above. */
    assert_int_equal(parse("bootloader, bootloader, primary, N/A, N/A,\n"
                           "partition_table, partition_table, primary, N/A, N/A,\n"
                           "nvs, data, nvs, , 0x4000,\n"
                           "blota, bootloader, ota, , N/A,\n"
                           "ptota, partition_table, ota, , N/A,\n"),
                     OTA_OK);
    assert_int_equal(table.entries[0].offset, OTA_PT_BOOTLOADER_OFFSET);
    assert_int_equal(table.entries[0].size, OTA_PT_OFFSET - OTA_PT_BOOTLOADER_OFFSET);
    assert_int_equal(table.entries[1].offset, OTA_PT_OFFSET);
    assert_int_equal(table.entries[1].size, 0x1000);
    assert_int_equal(table.entries[2].offset, 0x9000);
    assert_int_equal(table.entries[3].offset, 0xD000);
    assert_int_equal(table.entries[3].size, 0x7000);
    assert_int_equal(table.entries[4].offset, 0x14000);
    /* gen_esp32part --primary-bootloader-offset per chip: the row follows the
     * chip, the rest of the table stays, and the table still checks. */
    assert_int_equal(ota_pt_bootloader_offset(OTA_CHIP_ESP32), 0x1000);
    assert_int_equal(ota_pt_bootloader_offset(OTA_CHIP_ESP32S2), 0x1000);
    assert_int_equal(ota_pt_bootloader_offset(OTA_CHIP_ESP32C3), 0x0);
    assert_int_equal(ota_pt_bootloader_offset(OTA_CHIP_ESP32S3), 0x0);
    assert_ptr_equal(ota_pt_place_bootloader(&table, 0x0), &table.entries[0]);
    assert_int_equal(table.entries[0].offset, 0x0);
    assert_int_equal(table.entries[0].size, 0x8000);
    assert_int_equal(table.entries[2].offset, 0x9000);
    assert_int_equal(ota_pt_check(&table, 0, NULL), OTA_OK);

    /* TEE subtypes */
    assert_int_equal(parse("tee_otadata, data, tee_ota, , 0x2000,\ntee_0, app, tee_0, , 192K,\n"
                           "tee_1, app, tee_1, , 192K,\n"),
                     OTA_OK);
    assert_int_equal(table.entries[0].subtype, 0x90);
    assert_int_equal(table.entries[1].subtype, 0x30);
    assert_int_equal(table.entries[2].subtype, 0x31);
    assert_string_equal(ota_pt_subtype_name(0, 0x31), "tee_1");
    assert_string_equal(ota_pt_subtype_name(1, 0x90), "tee_ota");

    /* 16 bytes is the longest name the binary holds; longer is refused (not truncated). */
    assert_int_equal(parse("abcdefghijklmnop, data, nvs, , 16K\n"), OTA_OK);
    assert_int_equal(parse("abcdefghijklmnopq, data, nvs, , 16K\n"), OTA_ERR_PT_NAME_LEN);
}

/* A table read from a device is held to the same rules (ota_pt_load); the
 * bootloader's reading (ota_pt_load_unchecked) stays as lenient as ESP-IDF's. */
static void device_table_checked_like_a_new_one(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t bin[OTA_PT_LEN];
    static struct ota_ptable loaded;
    make_seed_device(&t, &table);
    assert_int_equal(ota_pt_load(&t.hf.flash, &loaded, &diag), OTA_OK);

    /* ota_1 moved onto ota_0: overlap; row 4 (0-based) */
    table.entries[4].offset = table.entries[3].offset;
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    assert_int_equal(ota_flash_erase(&t.hf.flash, OTA_PT_OFFSET, OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_flash_program(&t.hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
    assert_int_equal(ota_pt_load(&t.hf.flash, &loaded, &diag), OTA_ERR_PT_OVERLAP);
    assert_int_equal(diag.line, 4);
    assert_string_equal(diag.name, "ota_1");
    assert_int_equal(ota_pt_load_unchecked(&t.hf.flash, &loaded, &diag), OTA_OK);

    /* a custom-type partition over the bootloader */
    table.entries[4].offset = 0x110000;
    table.entries[5].type = 0x40;
    table.entries[5].offset = 0x0;
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    assert_int_equal(ota_flash_erase(&t.hf.flash, OTA_PT_OFFSET, OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_flash_program(&t.hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
    assert_int_equal(ota_pt_load(&t.hf.flash, &loaded, &diag), OTA_ERR_PT_BELOW_TABLE);
    assert_int_equal(diag.line, 5);
    tmp_flash_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_csv_fills_blank_offsets),
        cmocka_unit_test(syntax_numbers_names_flags),
        cmocka_unit_test(every_rule_names_row_and_rule),
        cmocka_unit_test(too_many_rows),
        cmocka_unit_test(binary_round_trip),
        cmocka_unit_test(binary_errors),
        cmocka_unit_test(names_and_usage),
        cmocka_unit_test(generator_v6_refusals),
        cmocka_unit_test(generator_v6_acceptances),
        cmocka_unit_test(device_table_checked_like_a_new_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
