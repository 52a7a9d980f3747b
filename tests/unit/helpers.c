#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/delta.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/host_log.h"

const char seed_csv[] =
    "# Name,   Type, SubType, Offset,   Size, Flags\n"
    "nvs,        data, nvs,     ,        0x4000,\n"
    "otadata,    data, ota,     ,        0x2000,\n"
    "phy_init,   data, phy,     ,        0x1000,\n"
    "ota_0,      app,  ota_0,   ,        1M,\n"
    "ota_1,      app,  ota_1,   ,        1M,\n"
    "flash_tone, data, 0xff,    ,        1M,\n";

int buf_emit(void *ctx, const void *data, size_t len)
{
    struct buf *b = ctx;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) {
            cap *= 2;
        }
        uint8_t *n = realloc(b->data, cap);
        if (!n) {
            return OTA_ERR_NO_MEM;
        }
        b->data = n;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return OTA_OK;
}

void buf_free(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

struct buf make_image(const char *project, const char *version, uint32_t size, uint16_t chip)
{
    struct buf b = {0};
    struct ota_image_build_params p = {project, version, 0, chip, size, "12:00:00", "Jan  1 2026", "test"};
    assert_int_equal(ota_image_build(&p, buf_emit, &b), OTA_OK);
    assert_int_equal(b.len, size);
    return b;
}

static uint32_t le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct buf image_variant(const struct buf *in, const char *version, unsigned seed)
{
    struct buf b = {0};
    assert_int_equal(buf_emit(&b, in->data, in->len), OTA_OK);
    assert_int_equal(b.data[0], 0xE9);
    assert_true(strlen(version) < 32);
    size_t desc = 24 + 8; /* segment 0's data starts with the app descriptor */
    memset(b.data + desc + 16, 0, 32);
    memcpy(b.data + desc + 16, version, strlen(version));
    size_t pos = 24, seg_start[16], seg_len[16];
    unsigned nseg = b.data[1];
    assert_true(nseg >= 1 && nseg <= 16);
    for (unsigned i = 0; i < nseg; i++) {
        seg_len[i] = le32_at(b.data + pos + 4);
        seg_start[i] = pos + 8;
        pos += 8 + seg_len[i];
        assert_true(pos <= b.len);
    }
    assert_true(seg_len[0] > 1024);
    for (unsigned k = 0; k < 8; k++) { /* a few scattered changes past the descriptor */
        size_t at = seg_start[0] + 256 + (seed * 7919u + k * 104729u) % (seg_len[0] - 512);
        b.data[at] ^= 0x5A;
    }
    uint8_t check = 0xEF;
    for (unsigned i = 0; i < nseg; i++) {
        for (size_t j = 0; j < seg_len[i]; j++) {
            check ^= b.data[seg_start[i] + j];
        }
    }
    size_t end = (pos + 1 + 15) / 16 * 16; /* the checksum is the last byte of the padding */
    b.data[end - 1] = check;
    if (b.data[23] == 1) {
        ota_sha256_ctx sha;
        assert_true(end + 32 <= b.len);
        ota_sha256_init(&sha);
        ota_sha256_update(&sha, b.data, end);
        ota_sha256_finish(&sha, b.data + end);
    }
    return b;
}

void tmp_flash_create(struct tmp_flash *t, uint32_t size)
{
    strcpy(t->path, "/tmp/ota-test-flash-XXXXXX");
    int fd = mkstemp(t->path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ota_host_flash_create(&t->hf, t->path, size), OTA_OK);
    ota_host_log_set_level(OTA_LOG_ERROR);
}

void tmp_flash_reopen(struct tmp_flash *t)
{
    ota_host_flash_close(&t->hf);
    assert_int_equal(ota_host_flash_open(&t->hf, t->path), OTA_OK);
}

void tmp_flash_destroy(struct tmp_flash *t)
{
    ota_host_flash_close(&t->hf);
    unlink(t->path);
}

void make_seed_device(struct tmp_flash *t, struct ota_ptable *table)
{
    uint8_t bin[OTA_PT_LEN];
    struct ota_pt_diag d;
    tmp_flash_create(t, 4u * 1024 * 1024);
    assert_int_equal(ota_pt_parse_csv(seed_csv, strlen(seed_csv), t->hf.flash.size, table, &d), OTA_OK);
    assert_int_equal(ota_pt_to_binary(table, bin), OTA_OK);
    assert_int_equal(ota_flash_program(&t->hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
}

void write_partition(struct tmp_flash *t, const struct ota_partition *p, const void *data, size_t len)
{
    uint32_t erase = ((uint32_t)len + OTA_FLASH_SECTOR_SIZE - 1) & ~(OTA_FLASH_SECTOR_SIZE - 1);
    assert_true(len <= p->size);
    assert_int_equal(ota_flash_erase(&t->hf.flash, p->offset, erase), OTA_OK);
    assert_int_equal(ota_flash_program(&t->hf.flash, p->offset, data, (uint32_t)len), OTA_OK);
}

const char *vector_path(const char *name)
{
    static char path[512];
    const char *dir = getenv("OTA_VECTORS");
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : OTA_VECTORS_DIR, name);
    return stat(path, &st) == 0 ? path : NULL;
}

struct buf read_file(const char *path)
{
    struct buf b = {0};
    FILE *f = fopen(path, "rb");
    uint8_t chunk[8192];
    size_t n;
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(buf_emit(&b, chunk, n), OTA_OK);
    }
    fclose(f);
    return b;
}

static bool under_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

bool vectors_absent(void)
{
    if (vector_path("README.md")) {
        return false;
    }
    if (under_ci()) {
        fail_msg("test vectors not found (../shared/vectors): CI=true runs everything");
    }
    return true;
}

void require_vectors(void)
{
    if (!vector_path("README.md")) {
        printf("test vectors not found (../shared/vectors): %s\n", under_ci() ? "CI=true runs everything" : "skipped");
        exit(under_ci() ? 1 : 77);
    }
}

void put_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

const struct ota_boot_result *assert_boots(const struct ota_flash *f, const char *label)
{
    static struct ota_boot_result res;
    struct ota_boot_opts bo = {false, OTA_CHIP_ESP32, 0, NULL, 0, false};
    assert_int_equal(ota_boot(f, &bo, &res), OTA_OK);
    assert_string_equal(res.part.label, label);
    return &res;
}

uint32_t booted_app_offset(const struct ota_flash *f)
{
    static struct ota_boot_result res;
    struct ota_boot_opts bo = {false, OTA_CHIP_ANY, 300, NULL, 0, true};
    assert_int_equal(ota_boot(f, &bo, &res), OTA_OK);
    return res.part.offset;
}

static void put_le32_buf(struct buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(buf_emit(b, le, 4), 0);
}

/* esp_delta_ota's header, then detools': sequential, compression, size. */
static void stalling_detools_header(struct buf *b, const uint8_t base[32], uint32_t new_size, bool heatshrink)
{
    uint8_t zeros[28] = {0};
    put_le32_buf(b, 0xfccdde10u);
    assert_int_equal(buf_emit(b, base, 32), 0);
    assert_int_equal(buf_emit(b, zeros, sizeof(zeros)), 0);
    uint8_t h[8];
    size_t n = 0;
    h[n++] = heatshrink ? 4 : 0;
    h[n++] = (uint8_t)((new_size & 0x3f) | (new_size >> 6 ? 0x80 : 0));
    for (uint32_t v = new_size >> 6; v; v >>= 7) {
        h[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    }
    if (heatshrink) {
        h[n++] = 0x44;  /* window 2^8, lookahead 2^7: esp_delta_ota's */
    }
    assert_int_equal(buf_emit(b, h, n), 0);
}

struct buf make_stalling_patch(enum stall_form form, const uint8_t base[32], uint32_t old_size, uint32_t new_size,
                               size_t body_len)
{
    struct buf b = {0};
    if (form == STALL_COMPACT) {
        uint8_t version[4] = {OTA_DELTA_COMPACT_VERSION_NO_SYNC, 0, 0, 0}, new_sha[32];  /* its body from byte 80 */
        memset(new_sha, 0x5a, sizeof(new_sha));
        put_le32_buf(&b, 0x94544f4fu);
        assert_int_equal(buf_emit(&b, version, 4), 0);
        put_le32_buf(&b, old_size);
        put_le32_buf(&b, new_size);
        assert_int_equal(buf_emit(&b, base, 32), 0);
        assert_int_equal(buf_emit(&b, new_sha, 32), 0);
    } else {
        stalling_detools_header(&b, base, new_size, form == STALL_HEATSHRINK);
    }
    uint8_t *zeros = calloc(1, body_len ? body_len : 1);
    assert_non_null(zeros);
    assert_int_equal(buf_emit(&b, zeros, body_len), 0);
    free(zeros);
    return b;
}
