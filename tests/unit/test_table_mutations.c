/* A device whose partition table was damaged or hand-edited: hundreds of
 * mutations of the seed table (offsets, sizes, types, subtypes, flags,
 * names, order, duplicated, missing and corrupted rows). For each one the
 * service either refuses the table before it writes a byte, or the table
 * is one the generator would accept; and a device that booted before the
 * run still boots after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_log.h"
#include "ota/host_transport.h"
#include "ota/service.h"

#define FLASH_SIZE (4u * 1024u * 1024u)

static char sd[64];
static struct ota_host_transport ht;
static struct ota_ptable seed;      /* the table every mutation starts from */
static uint8_t *pristine;           /* the whole device before any mutation */
static struct tmp_flash dev;

struct tally {
    unsigned mutations, refused, ran, booted_before, still_booting, not_booting;
};

/* The seed device running ota_example v1.0.0 from ota_0, and v2.0.0 on the card. */
static int setup(void **state)
{
    (void)state;
    strcpy(sd, "/tmp/ota-test-sd-XXXXXX");
    assert_non_null(mkdtemp(sd));
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);
    make_seed_device(&dev, &seed);
    struct buf b = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(&dev, ota_pt_find_label(&seed, "ota_0"), b.data, b.len);
    buf_free(&b);
    b = make_image("play_mp3_control", "v2.0.0", 64 * 1024, OTA_CHIP_ESP32);
    put_file(sd, "app.bin", b.data, b.len);
    buf_free(&b);
    pristine = malloc(FLASH_SIZE);
    assert_non_null(pristine);
    memcpy(pristine, dev.hf.map, FLASH_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    free(pristine);
    tmp_flash_destroy(&dev);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", sd);
    return system(cmd) == 0 ? 0 : -1;
}

/* Put the device back as it was, with these 3072 bytes as its table. */
static void device_with_table(const uint8_t bin[OTA_PT_LEN])
{
    memcpy(dev.hf.map, pristine, FLASH_SIZE);
    memset(dev.hf.map + OTA_PT_OFFSET, 0xFF, OTA_FLASH_SECTOR_SIZE);
    memcpy(dev.hf.map + OTA_PT_OFFSET, bin, OTA_PT_LEN);
    ota_host_flash_reset_counters(&dev.hf);
}

/* Power on; the app that booted is where the port says the running app is. */
static uint32_t running_offset;

static bool boots(void)
{
    static struct ota_boot_result res;
    struct ota_boot_opts bo = {false, OTA_CHIP_ESP32, 0, NULL, 0, false};
    if (ota_boot(&dev.hf.flash, &bo, &res) != OTA_OK) {
        return false;
    }
    running_offset = res.part.offset;
    return true;
}

/* The app item of the seed list, through the whole service. */
static int run_service(void)
{
    static struct ota_service svc;
    struct ota_service_config c;
    struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/app.bin", NULL, {0}, true, false, NULL, NULL};
    memset(&c, 0, sizeof(c));
    c.flash = &dev.hf.flash;
    c.transport = &ht.transport;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = running_offset;
    int err = ota_service_init(&svc, &c);
    if (err) {
        return err;
    }
    assert_int_equal(ota_service_set_upgrade_list(&svc, &item, 1), OTA_OK);
    return ota_service_start(&svc, NULL);
}

/* The device as it is now boots again without any update: the first boot
 * may itself write (the initial otadata), and a table that points that
 * write at the table or at the app bricks the device with no help from the
 * service. Only a device that survives a plain restart is judged. */
static bool boots_again_without_update(void)
{
    static uint8_t *state;
    if (!state) {
        state = malloc(FLASH_SIZE);
        assert_non_null(state);
    }
    memcpy(state, dev.hf.map, FLASH_SIZE);
    bool ok = boots();
    memcpy(dev.hf.map, state, FLASH_SIZE);
    return ok;
}

static void try_table(const uint8_t bin[OTA_PT_LEN], const char *what, struct tally *t)
{
    static struct ota_ptable parsed;
    struct ota_pt_diag d;
    device_with_table(bin);
    running_offset = seed.entries[3].offset;  /* ota_0, where the app was put */
    bool before = boots();
    uint32_t ran_from = running_offset;
    before = before && boots_again_without_update();
    running_offset = ran_from;
    /* The verdict of the rules on what the service will read. */
    int verdict = ota_pt_load(&dev.hf.flash, &parsed, &d);
    ota_host_flash_reset_counters(&dev.hf);
    int err = run_service();
    t->mutations++;
    if (verdict) {
        /* a broken table: refused with its own rule, and nothing written */
        if (err != verdict || dev.hf.count.ops != 0) {
            print_error("%s: table breaks %s, service returned %s after %llu flash writes\n", what,
                        ota_errname(verdict), ota_errname(err), (unsigned long long)dev.hf.count.ops);
        }
        assert_int_equal(err, verdict);
        assert_int_equal(dev.hf.count.ops, 0);
        t->refused++;
    } else {
        t->ran++;
    }
    if (before) {
        t->booted_before++;
        bool after = boots();
        if (!after) {
            print_error("%s: booted before the run (%s), not after\n", what, ota_errname(err));
        }
        assert_true(after);
        t->still_booting++;
    } else {
        t->not_booting++;
    }
}

static void try_entries(const struct ota_ptable *m, const char *what, struct tally *t)
{
    uint8_t bin[OTA_PT_LEN];
    assert_int_equal(ota_pt_to_binary(m, bin), OTA_OK);
    try_table(bin, what, t);
}

static void mutate_offsets(unsigned i, struct tally *t)
{
    static const uint32_t fixed[] = {0x0,      0x1000,   0x8000,   0x9000,   0xC000,   0xD000,  0xE000,
                                     0xF000,   0x10000,  0x20000,  0x100000, 0x110000, 0x200000, 0x210000,
                                     0x300000, 0x3F0000, 0x400000, 0xFFFF0000u};
    static struct ota_ptable m;
    char what[64];
    uint32_t o = seed.entries[i].offset;
    uint32_t rel[] = {o + 0x1000, o - 0x1000, o + 0x10000, o - 0x10000, o + 0x800};
    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]) + sizeof(rel) / sizeof(rel[0]); k++) {
        m = seed;
        m.entries[i].offset = k < sizeof(fixed) / sizeof(fixed[0]) ? fixed[k] : rel[k - sizeof(fixed) / sizeof(fixed[0])];
        snprintf(what, sizeof(what), "%s offset 0x%x", seed.entries[i].label, (unsigned)m.entries[i].offset);
        try_entries(&m, what, t);
    }
    for (unsigned j = 0; j < seed.count; j++) {  /* onto every other partition */
        if (j != i) {
            m = seed;
            m.entries[i].offset = seed.entries[j].offset;
            snprintf(what, sizeof(what), "%s onto %s", seed.entries[i].label, seed.entries[j].label);
            try_entries(&m, what, t);
        }
    }
}

static void mutate_sizes(unsigned i, struct tally *t)
{
    static struct ota_ptable m;
    char what[64];
    uint32_t s = seed.entries[i].size;
    uint32_t sizes[] = {0,        0x1000,   0x1800,   0x2000,   0x3000,      0x4000,  0x10000,
                        0x100000, 0x200000, 0x400000, 0xFFFFFFFFu, s * 2,   s + 0x1000, s - 0x1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        m = seed;
        m.entries[i].size = sizes[k];
        snprintf(what, sizeof(what), "%s size 0x%x", seed.entries[i].label, (unsigned)sizes[k]);
        try_entries(&m, what, t);
    }
}

static void mutate_kinds(unsigned i, struct tally *t)
{
    static const uint8_t types[] = {0x00, 0x01, 0x02, 0x03, 0x40, 0xFE, 0xFF};
    static const uint8_t subtypes[] = {0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20, 0x30, 0x90, 0xFF};
    static const uint32_t flags[] = {OTA_PT_FLAG_READONLY, OTA_PT_FLAG_ENCRYPTED, 3, 0xFFFFFFFFu};
    static struct ota_ptable m;
    char what[64];
    const char *label = seed.entries[i].label;
    for (size_t k = 0; k < sizeof(types); k++) {
        m = seed;
        m.entries[i].type = types[k];
        snprintf(what, sizeof(what), "%s type 0x%x", label, types[k]);
        try_entries(&m, what, t);
    }
    for (size_t k = 0; k < sizeof(subtypes); k++) {
        m = seed;
        m.entries[i].subtype = subtypes[k];
        snprintf(what, sizeof(what), "%s subtype 0x%x", label, subtypes[k]);
        try_entries(&m, what, t);
    }
    for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
        m = seed;
        m.entries[i].flags = flags[k];
        snprintf(what, sizeof(what), "%s flags 0x%x", label, (unsigned)flags[k]);
        try_entries(&m, what, t);
    }
    m = seed;
    strcpy(m.entries[i].label, seed.entries[(i + 1) % seed.count].label);
    snprintf(what, sizeof(what), "%s renamed as the next row", label);
    try_entries(&m, what, t);
}

/* Rows swapped, duplicated, removed; a second otadata; raw damage. */
static void mutate_structure(struct tally *t)
{
    static struct ota_ptable m;
    uint8_t bin[OTA_PT_LEN];
    char what[64];
    for (unsigned i = 0; i + 1 < seed.count; i++) {
        m = seed;
        m.entries[i] = seed.entries[i + 1];
        m.entries[i + 1] = seed.entries[i];
        snprintf(what, sizeof(what), "rows %u and %u swapped", i, i + 1);
        try_entries(&m, what, t);
    }
    for (unsigned i = 0; i < seed.count; i++) {
        m = seed;
        m.entries[m.count++] = seed.entries[i];
        snprintf(what, sizeof(what), "row %u repeated at the end", i);
        try_entries(&m, what, t);
        m = seed;
        memmove(&m.entries[i], &m.entries[i + 1], (m.count - i - 1) * sizeof(m.entries[0]));
        m.count--;
        snprintf(what, sizeof(what), "row %u removed", i);
        try_entries(&m, what, t);
    }
    m = seed;
    m.entries[m.count] = seed.entries[1];
    m.entries[m.count].offset = 0x310000;
    strcpy(m.entries[m.count++].label, "otadata2");
    try_entries(&m, "a second otadata", t);
    for (unsigned i = 0; i <= seed.count; i++) {  /* one byte of each row (and the MD5 row) */
        for (unsigned byte = 2; byte < 12; byte += 3) {
            assert_int_equal(ota_pt_to_binary(&seed, bin), OTA_OK);
            bin[i * OTA_PT_ROW_LEN + byte] ^= 0x10;
            snprintf(what, sizeof(what), "row %u byte %u flipped", i, byte);
            try_table(bin, what, t);
        }
    }
}

static void every_mutation_refused_or_harmless(void **state)
{
    (void)state;
    struct tally t = {0};
    ota_host_log_mute(true);
    for (unsigned i = 0; i < seed.count; i++) {
        mutate_offsets(i, &t);
        mutate_sizes(i, &t);
        mutate_kinds(i, &t);
    }
    mutate_structure(&t);
    ota_host_log_mute(false);
    printf("partition table mutations: %u tried, %u refused before any write, %u ran; "
           "%u booted (twice) before the run, %u of them still boot after; %u did not boot before\n",
           t.mutations, t.refused, t.ran, t.booted_before, t.still_booting, t.not_booting);
    assert_true(t.mutations >= 300);
    assert_int_equal(t.booted_before, t.still_booting);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mutation_refused_or_harmless),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
