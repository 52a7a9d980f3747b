/* App image: streaming verifier and builder. */
#include <string.h>

#include "ota/error.h"
#include "ota/image.h"
#include "bytes.h"

enum {
    ST_HEADER,
    ST_SEG_HEADER,
    ST_SEG_DATA,
    ST_PAD,
    ST_CHECKSUM,
    ST_HASH,
    ST_DONE,
};

/* Each chip's address ranges, from ESP-IDF v6.0's soc/<chip>/include/soc/soc.h:
 * what the second-stage bootloader maps from flash (IROM, DROM: should_map)
 * and where it loads segments (DRAM, IRAM, RTC memory: verify_load_addresses). */
enum { DROM, IROM, DRAM, IRAM, RTC_IRAM, RTC_DRAM, RTC_DATA, RTC_FAST, RTC };
static const char region_names[][sizeof("RTC_IRAM")] = {
    "DROM", "IROM", "DRAM", "IRAM", "RTC_IRAM", "RTC_DRAM", "RTC_DATA", "RTC_FAST", "RTC",
};

/* 8 bytes a row: every range starts and ends on an 8 KiB boundary, so its
 * length is a count of those; the chip ids fit a byte, the name is an index. */
#define REGION_UNIT 0x2000u

struct region {
    uint32_t lo;
    uint16_t units;  /* [lo, lo + units * REGION_UNIT) */
    uint8_t chip_id;
    uint8_t mapped : 1, name : 7;
};
/* A boundary off the 8 KiB grid fails to compile (an array of size -1). */
#define REGION_UNITS(lo, hi) \
    (uint16_t)(((hi) - (lo)) / REGION_UNIT + 0 * sizeof(char[(lo) % REGION_UNIT == 0 && (hi) % REGION_UNIT == 0 ? 1 : -1]))
#define REGION(lo, hi, chip, mapped, name) {lo, REGION_UNITS(lo, hi), chip, mapped, name}

static uint32_t region_hi(const struct region *r)
{
    return r->lo + (uint32_t)r->units * REGION_UNIT;
}

static const struct region regions[] = {
    REGION(0x3F400000u, 0x3F800000u, OTA_CHIP_ESP32, true, DROM),
    REGION(0x400D0000u, 0x40400000u, OTA_CHIP_ESP32, true, IROM),
    REGION(0x3FFAE000u, 0x40000000u, OTA_CHIP_ESP32, false, DRAM),
    REGION(0x40080000u, 0x400AA000u, OTA_CHIP_ESP32, false, IRAM),
    REGION(0x400C0000u, 0x400C2000u, OTA_CHIP_ESP32, false, RTC_IRAM),
    REGION(0x3FF80000u, 0x3FF82000u, OTA_CHIP_ESP32, false, RTC_DRAM),
    REGION(0x50000000u, 0x50002000u, OTA_CHIP_ESP32, false, RTC_DATA),

    REGION(0x3F000000u, 0x3FF80000u, OTA_CHIP_ESP32S2, true, DROM),
    REGION(0x40080000u, 0x40800000u, OTA_CHIP_ESP32S2, true, IROM),
    REGION(0x3FFB0000u, 0x40000000u, OTA_CHIP_ESP32S2, false, DRAM),
    REGION(0x40020000u, 0x40070000u, OTA_CHIP_ESP32S2, false, IRAM),
    REGION(0x40070000u, 0x40072000u, OTA_CHIP_ESP32S2, false, RTC_IRAM),
    REGION(0x3FF9E000u, 0x3FFA0000u, OTA_CHIP_ESP32S2, false, RTC_DRAM),
    REGION(0x50000000u, 0x50002000u, OTA_CHIP_ESP32S2, false, RTC_DATA),

    REGION(0x3C000000u, 0x3E000000u, OTA_CHIP_ESP32S3, true, DROM),
    REGION(0x42000000u, 0x44000000u, OTA_CHIP_ESP32S3, true, IROM),
    REGION(0x3FC88000u, 0x3FD00000u, OTA_CHIP_ESP32S3, false, DRAM),
    REGION(0x40370000u, 0x403E0000u, OTA_CHIP_ESP32S3, false, IRAM),
    REGION(0x600FE000u, 0x60100000u, OTA_CHIP_ESP32S3, false, RTC_FAST),
    REGION(0x50000000u, 0x50002000u, OTA_CHIP_ESP32S3, false, RTC_DATA),

    REGION(0x3C000000u, 0x3C800000u, OTA_CHIP_ESP32C3, true, DROM),
    REGION(0x42000000u, 0x42800000u, OTA_CHIP_ESP32C3, true, IROM),
    REGION(0x3FC80000u, 0x3FCE0000u, OTA_CHIP_ESP32C3, false, DRAM),
    REGION(0x4037C000u, 0x403E0000u, OTA_CHIP_ESP32C3, false, IRAM),
    REGION(0x50000000u, 0x50002000u, OTA_CHIP_ESP32C3, false, RTC),
};

static const struct region *region_of(uint16_t chip_id, uint32_t addr)
{
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
        const struct region *r = &regions[i];
        if (r->chip_id == chip_id && addr >= r->lo && addr < region_hi(r)) {
            return r;
        }
    }
    return NULL;
}

bool ota_chip_has_memory_map(uint16_t chip_id)
{
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
        if (regions[i].chip_id == chip_id) {
            return true;
        }
    }
    return false;
}

const char *ota_chip_region_name(uint16_t chip_id, uint32_t addr)
{
    const struct region *r = region_of(chip_id, addr);
    return r ? region_names[r->name] : NULL;
}

bool ota_image_addr_is_mapped(uint16_t chip_id, uint32_t load_addr)
{
    const struct region *r = region_of(chip_id, load_addr);
    return r && r->mapped;
}

/* The bootloader's judgement of one segment: not loaded at all (below
 * 0x10000000: padding), or whole inside one range: a DRAM/IRAM/RTC range
 * it is loaded into (verify_load_addresses), or the IROM/DROM window it is
 * mapped into (should_map picks it by its start; mmu_hal_map_region()
 * asserts mmu_hal_check_valid_ext_vaddr_region() over its whole length). */
static bool segment_placement_ok(uint16_t chip_id, uint32_t load_addr, uint32_t len)
{
    const struct region *r = region_of(chip_id, load_addr);
    if (load_addr < 0x10000000u || len == 0) {
        return true;
    }
    return r && len - 1u <= region_hi(r) - 1u - load_addr;
}

/* The chip ids and, in the same order, their names, each ended by its
 * NUL, then the name of any other id: a walk, not a table of pointers. */
static const uint8_t chip_ids[] = {OTA_CHIP_ESP32, OTA_CHIP_ESP32S2, OTA_CHIP_ESP32C3, OTA_CHIP_ESP32S3,
                                   0x0C,           0x0D,             0x10,             0x12};
static const char chip_names[] = "ESP32\0ESP32-S2\0ESP32-C3\0ESP32-S3\0ESP32-C2\0ESP32-C6\0ESP32-H2\0ESP32-P4\0unknown";

const char *ota_chip_name(uint16_t chip_id)
{
    const char *name = chip_names;
    for (size_t i = 0; i < sizeof(chip_ids) && chip_ids[i] != chip_id; i++) {
        while (*name++ != '\0') {
        }
    }
    return name;
}

struct ota_image_opts ota_image_opts_app(void)
{
    struct ota_image_opts o;
    memset(&o, 0, sizeof(o));
    o.chip_id = OTA_CHIP_ANY;
    o.chip_rev = OTA_CHIP_REV_ANY;
    o.is_app = true;
    return o;
}

void ota_app_desc_decode(const uint8_t raw[OTA_APP_DESC_LEN], struct ota_app_desc *d)
{
    memset(d, 0, sizeof(*d));
    d->magic = get_le32(raw);
    d->secure_version = get_le32(raw + 4);
    copy_field_str(d->version, sizeof(d->version), raw + 16, 32);
    copy_field_str(d->project_name, sizeof(d->project_name), raw + 48, 32);
    copy_field_str(d->time, sizeof(d->time), raw + 80, 16);
    copy_field_str(d->date, sizeof(d->date), raw + 96, 16);
    copy_field_str(d->idf_ver, sizeof(d->idf_ver), raw + 112, 32);
    memcpy(d->app_elf_sha256, raw + 144, 32);
    d->min_efuse_blk_rev = get_le16(raw + 176);
    d->max_efuse_blk_rev = get_le16(raw + 178);
    d->mmu_page_size = raw[180];
}

void ota_image_verify_init(struct ota_image_verifier *v, const struct ota_image_opts *opts)
{
    memset(v, 0, sizeof(*v));
    v->opts = opts ? *opts : ota_image_opts_app();
    v->state = ST_HEADER;
    v->need = OTA_IMAGE_HEADER_LEN;
    v->checksum = OTA_CHECKSUM_SEED;
    ota_sha256_init(&v->sha);
}

static int fail(struct ota_image_verifier *v, int err)
{
    if (!v->error) {
        v->error = err;
    }
    return v->error;
}

static void decode_header(const uint8_t *b, struct ota_image_header *h)
{
    h->magic = b[0];
    h->segment_count = b[1];
    h->spi_mode = b[2];
    h->spi_speed = b[3] & 0x0F;
    h->spi_size = b[3] >> 4;
    h->entry_addr = get_le32(b + 4);
    h->wp_pin = b[8];
    memcpy(h->spi_pin_drv, b + 9, 3);
    h->chip_id = get_le16(b + 12);
    h->min_chip_rev = b[14];
    h->min_chip_rev_full = get_le16(b + 15);
    h->max_chip_rev_full = get_le16(b + 17);
    h->hash_appended = b[23];
}

/* After the last segment: zero padding so the checksum is the 16th byte.
 * Inlined into its two callers it costs 44 B less than called. */
OTA_ALWAYS_INLINE void enter_padding(struct ota_image_verifier *v)
{
    uint32_t pad = 15u - v->pos % 16u;
    v->state = pad ? ST_PAD : ST_CHECKSUM;
    v->need = pad ? pad : 1u;
}

static void next_segment(struct ota_image_verifier *v)
{
    if (v->seg + 1 < v->info.header.segment_count) {
        v->seg++;
        v->state = ST_SEG_HEADER;
        v->need = OTA_IMAGE_SEG_HEADER_LEN;
    } else {
        enter_padding(v);
    }
}

static void desc_complete(struct ota_image_verifier *v)
{
    ota_app_desc_decode(v->desc_raw, &v->info.desc);
    v->info.has_desc = v->info.desc.magic == OTA_APP_DESC_MAGIC;
}

static int header_done(struct ota_image_verifier *v)
{
    struct ota_image_header *h = &v->info.header;
    const struct ota_image_opts *o = &v->opts;
    decode_header(v->field, h);
    if (h->magic != OTA_IMAGE_MAGIC) {
        return OTA_ERR_IMG_MAGIC;
    }
    if (h->segment_count > OTA_IMAGE_MAX_SEGMENTS) {
        return OTA_ERR_IMG_SEGMENTS;
    }
    if (o->chip_id != OTA_CHIP_ANY) {
        if (h->chip_id != o->chip_id) {
            return OTA_ERR_IMG_CHIP;
        }
        bool no_max = h->max_chip_rev_full == 0 || h->max_chip_rev_full == 0xFFFF;
        bool known = o->chip_rev != OTA_CHIP_REV_ANY;
        if (known && (o->chip_rev < h->min_chip_rev_full || (!no_max && o->chip_rev > h->max_chip_rev_full))) {
            return OTA_ERR_IMG_CHIP_REV;
        }
    }
    if (o->is_app && !ota_chip_has_memory_map(h->chip_id)) {
        return OTA_ERR_IMG_CHIP_MAP;  /* refused, never judged by another chip's map */
    }
    if (h->segment_count == 0) {
        if (o->is_app) {
            return OTA_ERR_IMG_SEG0_SMALL;
        }
        enter_padding(v);
        return OTA_OK;
    }
    v->seg = 0;
    v->state = ST_SEG_HEADER;
    v->need = OTA_IMAGE_SEG_HEADER_LEN;
    return OTA_OK;
}

static int segment_header_done(struct ota_image_verifier *v)
{
    struct ota_image_segment *s = &v->info.segments[v->seg];
    const struct ota_image_opts *o = &v->opts;
    s->load_addr = get_le32(v->field);
    s->data_len = get_le32(v->field + 4);
    s->header_offset = v->pos - OTA_IMAGE_SEG_HEADER_LEN;
    v->info.segments_seen = v->seg + 1;
    if (s->data_len % 4 || s->data_len >= OTA_IMAGE_MAX_SEG_LEN) {
        return OTA_ERR_IMG_SEG_LEN;
    }
    if (o->is_app && v->seg == 0 && s->data_len < OTA_APP_DESC_LEN) {
        return OTA_ERR_IMG_SEG0_SMALL;
    }
    if (o->is_app && !segment_placement_ok(v->info.header.chip_id, s->load_addr, s->data_len)) {
        return OTA_ERR_IMG_LOAD_ADDR;
    }
    if (o->check_mapping && ota_image_addr_is_mapped(v->info.header.chip_id, s->load_addr)) {
        uint32_t flash_addr = o->flash_offset + v->pos;
        if (flash_addr % 0x10000u != s->load_addr % 0x10000u) {
            return OTA_ERR_IMG_MAPPING;
        }
    }
    if (s->data_len == 0) {
        next_segment(v);
    } else {
        v->state = ST_SEG_DATA;
        v->need = s->data_len;
    }
    return OTA_OK;
}

/* The XOR of n bytes, 8 at a time: XOR is bytewise, so folding the
 * 64-bit lanes and then the lane's 8 bytes gives the same byte on any
 * byte order. The checksum covers every data byte: it is the hot loop. */
static uint8_t xor_span(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + sizeof(acc) <= n; i += sizeof(acc)) {
        uint64_t w;
        memcpy(&w, p + i, sizeof(w));
        acc ^= w;
    }
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    uint8_t x = (uint8_t)acc;
    for (; i < n; i++) {
        x ^= p[i];
    }
    return x;
}

/* Consume segment data: checksum, and the descriptor from segment 0. */
static int segment_data(struct ota_image_verifier *v, const uint8_t *p, uint32_t n)
{
    const struct ota_image_segment *s = &v->info.segments[v->seg];
    v->checksum ^= xor_span(p, n);
    if (v->seg == 0 && s->data_len >= OTA_APP_DESC_LEN) {
        uint32_t done = s->data_len - v->need;  /* bytes of this segment before p */
        if (done < OTA_APP_DESC_LEN) {
            uint32_t k = OTA_APP_DESC_LEN - done < n ? OTA_APP_DESC_LEN - done : n;
            memcpy(v->desc_raw + done, p, k);
            if (done + k == OTA_APP_DESC_LEN) {
                desc_complete(v);
                if (v->opts.is_app && !v->info.has_desc) {
                    return OTA_ERR_IMG_DESC;
                }
            }
        }
    }
    return OTA_OK;
}

/* Take n bytes (no more than the field in progress needs) into it. */
static int consume(struct ota_image_verifier *v, const uint8_t *p, uint32_t n)
{
    if (v->state != ST_HASH) {
        ota_sha256_update(&v->sha, p, n);  /* the appended hash covers all before it */
    }
    switch (v->state) {
    case ST_HEADER:
        memcpy(v->field + (OTA_IMAGE_HEADER_LEN - v->need), p, n);
        break;
    case ST_SEG_HEADER:
        memcpy(v->field + (OTA_IMAGE_SEG_HEADER_LEN - v->need), p, n);
        break;
    case ST_SEG_DATA:
        return segment_data(v, p, n);
    case ST_PAD:
        break;
    case ST_CHECKSUM:
        v->info.checksum_stored = p[0];
        break;
    case ST_HASH:
        memcpy(v->info.hash_stored + (OTA_SHA256_LEN - v->need), p, n);
        break;
    }
    return OTA_OK;
}

/* The checksum byte is in: compare, then the appended hash (if any). */
static void checksum_done(struct ota_image_verifier *v)
{
    v->info.checksum_computed = v->checksum;
    v->info.checksum_valid = v->info.checksum_stored == v->checksum;
    if (v->info.header.hash_appended == 1) {
        ota_sha256_finish(&v->sha, v->info.hash_computed);
        v->state = ST_HASH;
        v->need = OTA_SHA256_LEN;
    } else {
        v->state = ST_DONE;
    }
}

/* The field in progress is complete: judge it and move to the next. */
static int field_done(struct ota_image_verifier *v)
{
    switch (v->state) {
    case ST_HEADER:
        return header_done(v);
    case ST_SEG_HEADER:
        return segment_header_done(v);
    case ST_SEG_DATA:
        next_segment(v);
        break;
    case ST_PAD:
        v->state = ST_CHECKSUM;
        v->need = 1;
        break;
    case ST_CHECKSUM:
        checksum_done(v);
        break;
    case ST_HASH:
        v->info.hash_valid = memcmp(v->info.hash_stored, v->info.hash_computed, OTA_SHA256_LEN) == 0;
        v->state = ST_DONE;
        break;
    }
    return OTA_OK;
}

/* Whole spans at a time: each step takes as much of the input as the
 * field in progress still needs (all of a segment's data at once). */
int ota_image_verify_feed(struct ota_image_verifier *v, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (v->error) {
        return v->error;
    }
    uint64_t total = (uint64_t)v->pos + v->info.trailing_len + len;
    if (v->opts.max_len && total > v->opts.max_len) {
        return fail(v, OTA_ERR_IMG_TOO_BIG);
    }
    while (len > 0 && v->state != ST_DONE) {
        uint32_t n = v->need < len ? v->need : (uint32_t)len;
        int err = consume(v, p, n);
        if (err) {
            return fail(v, err);
        }
        v->pos += n;
        v->need -= n;
        p += n;
        len -= n;
        if (v->need) {
            continue;
        }
        if ((err = field_done(v))) {
            return fail(v, err);  /* the first refusal sticks: every later feed returns it */
        }
        if (v->state == ST_DONE) {
            v->info.image_len = v->pos;
        }
    }
    v->info.trailing_len += (uint32_t)len;
    return OTA_OK;
}

bool ota_image_verify_done(const struct ota_image_verifier *v)
{
    return v->state == ST_DONE;
}

bool ota_image_desc_ready(const struct ota_image_verifier *v)
{
    if (v->state == ST_HEADER) {
        return false;
    }
    if (v->info.header.segment_count == 0 || v->seg > 0 || v->state > ST_SEG_DATA) {
        return true;
    }
    return v->state == ST_SEG_DATA && v->info.segments[0].data_len - v->need >= OTA_APP_DESC_LEN;
}

int ota_image_verify_finish(struct ota_image_verifier *v, struct ota_image_info *info)
{
    int err = v->error;
    if (!err && v->state != ST_DONE) {
        err = OTA_ERR_IMG_TRUNCATED;
    }
    if (!err && !v->info.checksum_valid) {
        err = OTA_ERR_IMG_CHECKSUM;
    }
    if (!err && v->info.header.hash_appended == 1 && !v->info.hash_valid) {
        err = OTA_ERR_IMG_HASH;
    }
    if (info) {
        *info = v->info;
    }
    return err;
}

/* ---- builder ------------------------------------------------------------ */

struct builder {
    ota_emit_fn emit;
    void *ctx;
    ota_sha256_ctx sha;
    uint8_t checksum;
    uint32_t pos;
};

static int out(struct builder *b, const void *data, size_t len, bool segment_data)
{
    if (segment_data) {
        b->checksum ^= xor_span(data, len);
    }
    ota_sha256_update(&b->sha, data, len);
    b->pos += (uint32_t)len;
    return b->emit(b->ctx, data, len);
}

static int out_seg_header(struct builder *b, uint32_t addr, uint32_t len)
{
    uint8_t h[OTA_IMAGE_SEG_HEADER_LEN];
    put_le32(h, addr);
    put_le32(h + 4, len);
    return out(b, h, sizeof(h), false);
}

/* xorshift32: cheap, deterministic filler that does not compress away. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static int out_filler(struct builder *b, uint32_t len, uint32_t *seed)
{
    uint8_t buf[256];
    while (len) {
        uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
        for (uint32_t i = 0; i < n; i += 4) {
            put_le32(buf + i, next_rand(seed));
        }
        int err = out(b, buf, n, true);
        if (err) {
            return err;
        }
        len -= n;
    }
    return OTA_OK;
}

static void put_str(uint8_t *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    memcpy(dst, s ? s : "", n < cap ? n : cap);
}

struct chip_layout {
    uint16_t chip_id;
    uint32_t drom, dram, iram;
};

/* Where ESP-IDF's linker scripts put an app's first DROM byte (+0x20: the
 * headers before it keep vaddr and flash offset congruent modulo 64 KiB),
 * its data and its IRAM code, per chip. */
static const struct chip_layout layouts[] = {
    {OTA_CHIP_ESP32, 0x3F400020u, 0x3FFB0000u, 0x40080000u},
    {OTA_CHIP_ESP32S2, 0x3F000020u, 0x3FFBE000u, 0x40022000u},
    {OTA_CHIP_ESP32S3, 0x3C000020u, 0x3FC93000u, 0x40374000u},
    {OTA_CHIP_ESP32C3, 0x3C000020u, 0x3FC8A000u, 0x40380000u},
};

#define BUILD_DRAM_LEN 0x100u
#define BUILD_IRAM_LEN 0x400u
#define BUILD_FIXED (OTA_IMAGE_HEADER_LEN + 3 * OTA_IMAGE_SEG_HEADER_LEN + BUILD_DRAM_LEN + BUILD_IRAM_LEN)

static const struct chip_layout *layout_of(uint16_t chip_id)
{
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        if (layouts[i].chip_id == chip_id) {
            return &layouts[i];
        }
    }
    return NULL;
}

/* Segment 0 is the mapped DROM one: it must end inside the chip's DROM window. */
uint32_t ota_image_build_max_size(uint16_t chip_id)
{
    const struct chip_layout *lay = layout_of(chip_id);
    const struct region *r = lay ? region_of(chip_id, lay->drom) : NULL;
    if (!r) {
        return 0;
    }
    /* and stay below 16 MiB, as verify_segment_header() wants every segment */
    uint32_t seg0_max = region_hi(r) - lay->drom < 0x1000000u - 4u ? region_hi(r) - lay->drom : 0x1000000u - 4u;
    return (seg0_max + BUILD_FIXED + 3u + 1u + OTA_SHA256_LEN) & ~15u;
}

static bool build_params_ok(const struct ota_image_build_params *p)
{
    return p && p->project_name && p->version && p->size % 16 == 0 && p->size >= OTA_IMAGE_BUILD_MIN &&
           strlen(p->project_name) <= 31 && strlen(p->version) <= 31;
}

/* The image header: three segments, DIO, 4 MB at 40 MHz, hash appended. */
static int out_image_header(struct builder *b, const struct chip_layout *lay)
{
    uint8_t h[OTA_IMAGE_HEADER_LEN];
    memset(h, 0, sizeof(h));
    h[0] = OTA_IMAGE_MAGIC;
    h[1] = 3;
    h[2] = 2;     /* DIO */
    h[3] = 0x20;  /* 4 MB, 40 MHz */
    put_le32(h + 4, lay->iram + 4);
    h[8] = 0xEE;
    put_le16(h + 12, lay->chip_id);
    h[23] = 1;
    return out(b, h, sizeof(h), false);
}

/* The app descriptor; its ELF digest stands in for a real ELF's and also
 * seeds the filler, so each project/version/size fills differently. */
static void make_desc(const struct ota_image_build_params *p, uint8_t d[OTA_APP_DESC_LEN], uint32_t *seed)
{
    ota_sha256_ctx elf;
    uint8_t sz[4];
    memset(d, 0, OTA_APP_DESC_LEN);
    put_le32(d, OTA_APP_DESC_MAGIC);
    put_le32(d + 4, p->secure_version);
    put_str(d + 16, 32, p->version);
    put_str(d + 48, 32, p->project_name);
    put_str(d + 80, 16, p->time);
    put_str(d + 96, 16, p->date);
    put_str(d + 112, 32, p->idf_ver);
    put_le32(sz, p->size);
    ota_sha256_init(&elf);
    ota_sha256_update(&elf, p->project_name, strlen(p->project_name) + 1);
    ota_sha256_update(&elf, p->version, strlen(p->version) + 1);
    ota_sha256_update(&elf, sz, sizeof(sz));
    ota_sha256_finish(&elf, d + 144);
    for (int i = 0; i < 4; i++) {
        *seed ^= (uint32_t)d[144 + i] << (8 * i);
    }
    if (*seed == 0) {
        *seed = 1;
    }
    d[180] = 16;  /* 64 KiB MMU pages */
    d[181] = 2;
}

/* Zero padding to the 16th byte, the checksum, the appended hash. */
static int out_tail(struct builder *b)
{
    uint8_t buf[OTA_SHA256_LEN];
    memset(buf, 0, 16);
    uint32_t pad = 15u - b->pos % 16u;
    int err = out(b, buf, pad, false);
    if (err) {
        return err;
    }
    uint8_t cs = b->checksum;
    if ((err = out(b, &cs, 1, false))) {
        return err;
    }
    ota_sha256_finish(&b->sha, buf);
    return b->emit(b->ctx, buf, OTA_SHA256_LEN);
}

int ota_image_build(const struct ota_image_build_params *p, ota_emit_fn emit, void *ctx)
{
    struct builder b;
    uint8_t desc[OTA_APP_DESC_LEN];
    uint32_t seed = 0x9E3779B9u;
    int err;

    if (!build_params_ok(p) || !emit) {
        return OTA_ERR_INVALID_ARG;
    }
    const struct chip_layout *lay = layout_of(p->chip_id);
    if (!lay) {
        return OTA_ERR_IMG_CHIP_MAP;  /* never another chip's layout under this chip's id */
    }
    if (p->size > ota_image_build_max_size(p->chip_id)) {
        return OTA_ERR_IMG_LOAD_ADDR;  /* segment 0 would run past the mapping window */
    }
    /* Size budget: fixed parts + segment 0 + 3 zero pad bytes + checksum + hash. */
    uint32_t seg0_len = p->size - BUILD_FIXED - 3 - 1 - OTA_SHA256_LEN;

    memset(&b, 0, sizeof(b));
    b.emit = emit;
    b.ctx = ctx;
    b.checksum = OTA_CHECKSUM_SEED;
    ota_sha256_init(&b.sha);
    make_desc(p, desc, &seed);
    if ((err = out_image_header(&b, lay)) ||
        /* segment 0 (DROM, mapped): descriptor + payload */
        (err = out_seg_header(&b, lay->drom, seg0_len)) || (err = out(&b, desc, sizeof(desc), true)) ||
        (err = out_filler(&b, seg0_len - OTA_APP_DESC_LEN, &seed)) ||
        /* segment 1 (DRAM) and 2 (IRAM): loaded, not mapped */
        (err = out_seg_header(&b, lay->dram, BUILD_DRAM_LEN)) || (err = out_filler(&b, BUILD_DRAM_LEN, &seed)) ||
        (err = out_seg_header(&b, lay->iram, BUILD_IRAM_LEN)) || (err = out_filler(&b, BUILD_IRAM_LEN, &seed))) {
        return err;
    }
    return out_tail(&b);
}

int ota_image_verify_partition(const struct ota_flash *f, const struct ota_partition *part,
                               const struct ota_image_opts *opts, struct ota_image_info *info)
{
    struct ota_image_verifier v;
    struct ota_image_opts o = opts ? *opts : ota_image_opts_app();
    uint8_t buf[512];
    uint32_t off = 0;
    if (!f || !part) {
        return OTA_ERR_INVALID_ARG;
    }
    o.flash_offset = part->offset;
    o.max_len = part->size;
    o.check_mapping = true;
    ota_image_verify_init(&v, &o);
    while (!ota_image_verify_done(&v) && off < part->size) {
        /* Read no further than the field in progress needs, so a short
         * image is never read past its end into whatever follows. */
        uint32_t n = part->size - off;
        if (n > sizeof(buf)) {
            n = sizeof(buf);
        }
        if (n > v.need) {
            n = v.need;
        }
        int err = ota_flash_read(f, part->offset + off, buf, n);
        if (!err) {
            err = ota_image_verify_feed(&v, buf, n);
        }
        if (err) {
            if (info) {
                *info = v.info;
            }
            return err;
        }
        off += n;
    }
    return ota_image_verify_finish(&v, info);
}
