/* Partition table: binary parse/generate and gen_esp32part.py CSV. */
#include <string.h>

#include "ota/error.h"
#include "ota/hash.h"
#include "ota/hex.h"
#include "ota/image.h"
#include "ota/partition.h"
#include "bytes.h"

#define ROW_MAGIC 0x50AAu
#define MD5_MAGIC 0xEBEBu
#define END_MAGIC 0xFFFFu
#define TABLE_END (OTA_PT_OFFSET + 0x1000u) /* first byte a partition may use */
#define TYPE_BOOTLOADER 0x02u
#define TYPE_PTABLE 0x03u
#define DATA_COREDUMP 0x03u
#define DATA_TEE_OTA 0x90u

struct name_num {
    const char *name;
    uint8_t num;
};

static const struct name_num type_names[] = {
    {"app", 0x00}, {"data", 0x01}, {"bootloader", 0x02}, {"partition_table", 0x03},
};

static const struct name_num app_subtypes[] = {
    {"factory", 0x00}, {"test", 0x20},
    {"ota_0", 0x10}, {"ota_1", 0x11}, {"ota_2", 0x12}, {"ota_3", 0x13},
    {"ota_4", 0x14}, {"ota_5", 0x15}, {"ota_6", 0x16}, {"ota_7", 0x17},
    {"ota_8", 0x18}, {"ota_9", 0x19}, {"ota_10", 0x1A}, {"ota_11", 0x1B},
    {"ota_12", 0x1C}, {"ota_13", 0x1D}, {"ota_14", 0x1E}, {"ota_15", 0x1F},
    {"tee_0", 0x30}, {"tee_1", 0x31},
};

static const struct name_num data_subtypes[] = {
    {"ota", 0x00}, {"phy", 0x01}, {"nvs", 0x02}, {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05}, {"undefined", 0x06}, {"esphttpd", 0x80},
    {"fat", 0x81}, {"spiffs", 0x82}, {"littlefs", 0x83}, {"tee_ota", 0x90},
};

static const struct name_num boot_subtypes[] = {{"primary", 0x00}, {"ota", 0x01}, {"recovery", 0x02}};
static const struct name_num ptable_subtypes[] = {{"primary", 0x00}, {"ota", 0x01}};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct name_num *subtypes_of(uint8_t type, size_t *n)
{
    switch (type) {
    case 0x00: *n = COUNT(app_subtypes); return app_subtypes;
    case 0x01: *n = COUNT(data_subtypes); return data_subtypes;
    case 0x02: *n = COUNT(boot_subtypes); return boot_subtypes;
    case 0x03: *n = COUNT(ptable_subtypes); return ptable_subtypes;
    default: *n = 0; return NULL;
    }
}

static const char *name_of(const struct name_num *tab, size_t n, uint8_t num)
{
    for (size_t i = 0; i < n; i++) {
        if (tab[i].num == num) {
            return tab[i].name;
        }
    }
    return NULL;
}

const char *ota_pt_type_name(uint8_t type)
{
    return name_of(type_names, COUNT(type_names), type);
}

const char *ota_pt_subtype_name(uint8_t type, uint8_t subtype)
{
    size_t n;
    const struct name_num *tab = subtypes_of(type, &n);
    return tab ? name_of(tab, n, subtype) : NULL;
}

const char *ota_pt_usage(const struct ota_partition *p)
{
    /* Same wording as ESP-IDF's bootloader_utility.c partition listing. */
    if (p->type == OTA_PT_TYPE_APP) {
        if (p->subtype == OTA_PT_APP_FACTORY) {
            return "factory app";
        }
        if (p->subtype == OTA_PT_APP_TEST) {
            return "test app";
        }
        return (p->subtype & 0xF0) == OTA_PT_APP_OTA_0 ? "OTA app" : "Unknown app";
    }
    if (p->type == OTA_PT_TYPE_DATA) {
        switch (p->subtype) {
        case OTA_PT_DATA_OTA: return "OTA data";
        case OTA_PT_DATA_PHY: return "RF data";
        case OTA_PT_DATA_NVS: return "WiFi data";
        case 0x04: return "NVS keys";
        case 0x05: return "efuse";
        default: return "Unknown data";
        }
    }
    return "Unknown";
}

bool ota_pt_is_ota_app(const struct ota_partition *p)
{
    return p->type == OTA_PT_TYPE_APP && (p->subtype & 0xF0) == OTA_PT_APP_OTA_0;
}

static void diag_reset(struct ota_pt_diag *d)
{
    if (d) {
        memset(d, 0, sizeof(*d));
    }
}

static void diag_row(struct ota_pt_diag *d, unsigned line, const char *name, uint32_t value, uint32_t limit)
{
    if (!d) {
        return;
    }
    d->line = line;
    d->value = value;
    d->limit = limit;
    if (name) {
        size_t n = strlen(name);
        if (n >= sizeof(d->name)) {
            n = sizeof(d->name) - 1;
        }
        memcpy(d->name, name, n);
        d->name[n] = '\0';
    }
}

static void diag_other(struct ota_pt_diag *d, const char *name)
{
    if (d && name) {
        size_t n = strlen(name);
        if (n >= sizeof(d->other)) {
            n = sizeof(d->other) - 1;
        }
        memcpy(d->other, name, n);
        d->other[n] = '\0';
    }
}

/* ---- binary ---------------------------------------------------------- */

/* A broken rule: the value it judged and its limit into vl[2], its error out. */
static int broken(uint32_t vl[2], uint32_t value, uint32_t limit, int err)
{
    vl[0] = value;
    vl[1] = limit;
    return err;
}

#define END_OF_TABLE 1

/* Row i of the binary table into out: OTA_OK (a partition, or the MD5 row
 * that matches), END_OF_TABLE, or the rule it breaks with vl as row_rule's
 * (a partition past the flash is left at out->entries[out->count]). */
static int binary_row(const uint8_t *buf, size_t i, uint32_t flash_size, struct ota_ptable *out, uint32_t vl[2])
{
    const uint8_t *r = buf + i * OTA_PT_ROW_LEN;
    uint16_t magic = get_le16(r);
    if (magic == END_MAGIC) {
        return END_OF_TABLE;
    }
    if (magic == MD5_MAGIC) {
        uint8_t md5[OTA_MD5_LEN];
        ota_md5(buf, i * OTA_PT_ROW_LEN, md5);
        if (memcmp(md5, r + 16, OTA_MD5_LEN) != 0) {
            return broken(vl, 0, 0, OTA_ERR_PT_MD5);
        }
        out->has_md5 = true;
        return OTA_OK;
    }
    if (magic != ROW_MAGIC) {
        return broken(vl, magic, ROW_MAGIC, OTA_ERR_PT_MAGIC);
    }
    if (out->count >= OTA_PT_MAX_ENTRIES) {
        return broken(vl, (uint32_t)i + 1, OTA_PT_MAX_ENTRIES, OTA_ERR_PT_TOO_MANY);
    }
    struct ota_partition *p = &out->entries[out->count];
    p->type = r[2];
    p->subtype = r[3];
    p->offset = get_le32(r + 4);
    p->size = get_le32(r + 8);
    memcpy(p->label, r + 12, OTA_PT_LABEL_LEN);
    p->label[OTA_PT_LABEL_LEN] = '\0';
    p->flags = get_le32(r + 28);
    if (flash_size && (p->offset > flash_size || p->size > flash_size - p->offset)) {
        return broken(vl, p->offset, flash_size, OTA_ERR_PT_BOUNDS);
    }
    out->count++;
    return OTA_OK;
}

int ota_pt_parse_binary(const uint8_t *buf, size_t len, uint32_t flash_size,
                        struct ota_ptable *out, struct ota_pt_diag *diag)
{
    diag_reset(diag);
    if (!buf || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < len / OTA_PT_ROW_LEN; i++) {
        uint32_t vl[2];
        int err = binary_row(buf, i, flash_size, out, vl);
        if (err == END_OF_TABLE) {
            break;
        }
        if (err) {
            const char *name = err == OTA_ERR_PT_BOUNDS ? out->entries[out->count].label : NULL;
            diag_row(diag, (unsigned)i, name, vl[0], vl[1]);
            return err;
        }
    }
    return out->count ? OTA_OK : OTA_ERR_PT_EMPTY;
}

int ota_pt_load_unchecked(const struct ota_flash *f, struct ota_ptable *out, struct ota_pt_diag *diag)
{
    uint8_t buf[OTA_PT_LEN];
    int err = ota_flash_read(f, OTA_PT_OFFSET, buf, sizeof(buf));
    if (err) {
        return err;
    }
    return ota_pt_parse_binary(buf, sizeof(buf), f->size, out, diag);
}

int ota_pt_load(const struct ota_flash *f, struct ota_ptable *out, struct ota_pt_diag *diag)
{
    /* A table on a device gets no benefit of the doubt: whatever wrote it,
     * the rules a new table must pass hold for it too, before anyone writes
     * a byte at the places it names. */
    int err = ota_pt_load_unchecked(f, out, diag);
    if (!err && (err = ota_pt_check(out, f->size, diag)) && diag) {
        diag->line--;  /* back to the 0-based binary row */
    }
    return err;
}

int ota_pt_to_binary(const struct ota_ptable *t, uint8_t out[OTA_PT_LEN])
{
    if (!t || !out || t->count > OTA_PT_MAX_ENTRIES) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0xFF, OTA_PT_LEN);
    uint8_t *r = out;
    for (unsigned i = 0; i < t->count; i++, r += OTA_PT_ROW_LEN) {
        const struct ota_partition *p = &t->entries[i];
        put_le16(r, ROW_MAGIC);
        r[2] = p->type;
        r[3] = p->subtype;
        put_le32(r + 4, p->offset);
        put_le32(r + 8, p->size);
        memset(r + 12, 0, OTA_PT_LABEL_LEN);
        memcpy(r + 12, p->label, strlen(p->label));
        put_le32(r + 28, p->flags);
    }
    put_le16(r, MD5_MAGIC);
    ota_md5(out, (size_t)(r - out), r + 16);
    return OTA_OK;
}

/* ---- lookup ------------------------------------------------------------ */

int ota_part_reader_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    const struct ota_part_reader *r = ctx;
    if (offset > r->part->size || len > r->part->size - offset) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    return ota_flash_read(r->flash, r->part->offset + offset, buf, len);
}

const struct ota_partition *ota_pt_find_label(const struct ota_ptable *t, const char *label)
{
    for (unsigned i = 0; t && label && i < t->count; i++) {
        if (strcmp(t->entries[i].label, label) == 0) {
            return &t->entries[i];
        }
    }
    return NULL;
}

const struct ota_partition *ota_pt_find(const struct ota_ptable *t, uint8_t type, uint8_t subtype)
{
    for (unsigned i = 0; t && i < t->count; i++) {
        if (t->entries[i].type == type && t->entries[i].subtype == subtype) {
            return &t->entries[i];
        }
    }
    return NULL;
}

/* ---- generator rules --------------------------------------------------- */

static uint32_t offset_alignment(uint8_t type)
{
    return type == OTA_PT_TYPE_APP ? 0x10000u : 0x1000u;
}

static unsigned row_line(const unsigned *lines, unsigned i)
{
    return lines ? lines[i] : i + 1;
}

/* The primary bootloader and the primary table are placed by the generator
 * itself, below the table end; they take no part in the order and
 * below-table rules (gen_esp32part v6.0). */
static bool is_fixed_region(const struct ota_partition *p)
{
    return (p->type == TYPE_BOOTLOADER || p->type == TYPE_PTABLE) && p->subtype == 0x00;
}

static bool overlaps(const struct ota_partition *a, const struct ota_partition *b)
{
    return a->offset < b->offset + (uint64_t)b->size && b->offset < a->offset + (uint64_t)a->size;
}

/* Rules on one row alone: size, alignment, placement, flags. */
static int row_rule(const struct ota_partition *p, uint32_t flash_size, uint32_t vl[2])
{
    uint32_t align = offset_alignment(p->type);
    if (p->size == 0) {
        return broken(vl, 0, 0, OTA_ERR_PT_SIZE);
    }
    if (p->offset % align) {
        int err = p->type == OTA_PT_TYPE_APP ? OTA_ERR_PT_APP_ALIGN : OTA_ERR_PT_OFFSET_ALIGN;
        return broken(vl, p->offset, align, err);
    }
    if (p->type == OTA_PT_TYPE_APP && p->size % 0x1000u) {
        return broken(vl, p->size, 0x1000u, OTA_ERR_PT_SIZE_ALIGN);
    }
    /* Any type, custom ones too: only the generator's own fixed regions live below the table. */
    if (!is_fixed_region(p) && p->offset < TABLE_END) {
        return broken(vl, p->offset, TABLE_END, OTA_ERR_PT_BELOW_TABLE);
    }
    if (flash_size && (p->offset > flash_size || p->size > flash_size - p->offset)) {
        return broken(vl, p->offset, flash_size, OTA_ERR_PT_BOUNDS);
    }
    if (p->type == OTA_PT_TYPE_DATA && (p->subtype == OTA_PT_DATA_OTA || p->subtype == DATA_COREDUMP) &&
        (p->flags & OTA_PT_FLAG_READONLY)) {
        return broken(vl, p->flags, 0, OTA_ERR_PT_READONLY);
    }
    if (p->type == OTA_PT_TYPE_DATA && p->subtype == OTA_PT_DATA_NVS && !(p->flags & OTA_PT_FLAG_READONLY) &&
        p->size < 0x3000u) {
        return broken(vl, p->size, 0x3000u, OTA_ERR_PT_NVS_SIZE);
    }
    return OTA_OK;
}

static int check_row(const struct ota_partition *p, unsigned line, uint32_t flash_size, struct ota_pt_diag *diag)
{
    uint32_t vl[2];
    int err = row_rule(p, flash_size, vl);
    if (err) {
        diag_row(diag, line, p->label, vl[0], vl[1]);  /* one call: a row rule's diagnosis is filled in one place */
    }
    return err;
}

/* Rules between row i and the rows before it: order, names, overlaps.
 * The first broken, with the other row (*other) and vl as row_rule's. */
static int pair_rule(const struct ota_ptable *t, unsigned i, uint32_t vl[2], const struct ota_partition **other)
{
    const struct ota_partition *p = &t->entries[i];
    for (unsigned j = i; j-- > 0;) {
        const struct ota_partition *q = *other = &t->entries[j];
        if (is_fixed_region(q) || is_fixed_region(p)) {
            continue;
        }
        if (p->offset < q->offset) {
            /* The generator lays rows out top to bottom, so a row that
             * starts before the previous one is an error even without overlap. */
            return broken(vl, p->offset, q->offset, OTA_ERR_PT_ORDER);
        }
        break;
    }
    for (unsigned j = 0; j < i; j++) {
        *other = &t->entries[j];
        if (strcmp((*other)->label, p->label) == 0) {
            return broken(vl, 0, 0, OTA_ERR_PT_DUP_NAME);
        }
    }
    for (unsigned j = 0; j < i; j++) {
        const struct ota_partition *q = *other = &t->entries[j];
        if (overlaps(p, q)) {
            return broken(vl, p->offset, q->offset + q->size, OTA_ERR_PT_OVERLAP);
        }
    }
    return OTA_OK;
}

static int check_against_others(const struct ota_ptable *t, unsigned i, const unsigned *lines,
                                struct ota_pt_diag *diag)
{
    uint32_t vl[2];
    const struct ota_partition *other;
    int err = pair_rule(t, i, vl, &other);
    if (err) {
        diag_row(diag, row_line(lines, i), t->entries[i].label, vl[0], vl[1]);
        diag_other(diag, other->label);
    }
    return err;
}

/* otadata and TEE otadata: at most one each, exactly 0x2000 bytes. */
static int check_unique_0x2000(const struct ota_ptable *t, uint8_t subtype, const unsigned *lines,
                               struct ota_pt_diag *diag)
{
    unsigned seen = 0;
    for (unsigned i = 0; i < t->count; i++) {
        const struct ota_partition *p = &t->entries[i];
        if (p->type == OTA_PT_TYPE_DATA && p->subtype == subtype && (++seen > 1 || p->size != 0x2000u)) {
            diag_row(diag, row_line(lines, i), p->label, p->size, 0x2000u);
            return OTA_ERR_PT_OTADATA;
        }
    }
    return OTA_OK;
}

static int check_table(const struct ota_ptable *t, uint32_t flash_size, const unsigned *lines,
                       struct ota_pt_diag *diag)
{
    int err;
    if (t->count == 0) {
        return OTA_ERR_PT_EMPTY;
    }
    for (unsigned i = 0; i < t->count; i++) {
        if ((err = check_row(&t->entries[i], row_line(lines, i), flash_size, diag)) ||
            (err = check_against_others(t, i, lines, diag))) {
            return err;
        }
    }
    if ((err = check_unique_0x2000(t, OTA_PT_DATA_OTA, lines, diag))) {
        return err;
    }
    return check_unique_0x2000(t, DATA_TEE_OTA, lines, diag);
}

int ota_pt_check(const struct ota_ptable *t, uint32_t flash_size, struct ota_pt_diag *diag)
{
    diag_reset(diag);
    if (!t) {
        return OTA_ERR_INVALID_ARG;
    }
    return check_table(t, flash_size, NULL, diag);
}

/* ---- CSV ----------------------------------------------------------------
 * The generator's input: host tooling. A device build may define
 * OTA_NO_PARTITION_CSV to leave it out (the bootloader and the service only
 * read the binary table). */
#ifndef OTA_NO_PARTITION_CSV


struct span {
    const char *p;
    size_t n;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static struct span trim(struct span s)
{
    while (s.n && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_space(s.p[s.n - 1])) {
        s.n--;
    }
    return s;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* The generator looks keywords up lower-cased: "APP", "Data", "OTA_0" are
 * names too. Flags stay case-sensitive, as there. */
static bool span_eq_nocase(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(s.p[i]) != lit[i]) {
            return false;
        }
    }
    return true;
}

static int digit_value(char c)
{
    int d = ota_hex_digit(c, true);
    return d < 0 ? 99 : d;
}

/* Python's int(v, 0) plus gen_esp32part's K/M suffixes; no sign. */
static bool parse_number(struct span s, uint32_t *out)
{
    uint64_t mult = 1;
    if (s.n && (lower(s.p[s.n - 1]) == 'k' || lower(s.p[s.n - 1]) == 'm')) {
        mult = lower(s.p[s.n - 1]) == 'k' ? 1024u : 1024u * 1024u;
        s.n--;
        s = trim(s);
    }
    unsigned base = 10;
    if (s.n > 2 && s.p[0] == '0' && (lower(s.p[1]) == 'x' || lower(s.p[1]) == 'o' || lower(s.p[1]) == 'b')) {
        base = lower(s.p[1]) == 'x' ? 16 : lower(s.p[1]) == 'o' ? 8 : 2;
        s.p += 2;
        s.n -= 2;
    } else if (s.n > 1 && s.p[0] == '0') {
        for (size_t i = 0; i < s.n; i++) {
            if (s.p[i] != '0') {
                return false;  /* Python rejects "010" */
            }
        }
    }
    if (s.n == 0) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '_' && i > 0 && i + 1 < s.n) {
            continue;
        }
        int d = digit_value(s.p[i]);
        if ((unsigned)d >= base) {
            return false;
        }
        v = v * base + (unsigned)d;
        if (v > 0xFFFFFFFFull) {
            return false;
        }
    }
    v *= mult;
    if (v > 0xFFFFFFFFull) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool lookup(const struct name_num *tab, size_t n, struct span s, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (span_eq_nocase(s, tab[i].name)) {
            *out = tab[i].num;
            return true;
        }
    }
    return false;
}

static int parse_type(struct span s, uint8_t *out)
{
    uint32_t v;
    if (lookup(type_names, COUNT(type_names), s, out)) {
        return OTA_OK;
    }
    if (s.n && digit_value(s.p[0]) <= 9) {
        if (!parse_number(s, &v)) {
            return OTA_ERR_PT_SYNTAX;
        }
        if (v > 0xFE) {
            return OTA_ERR_PT_UNKNOWN_TYPE;
        }
        *out = (uint8_t)v;
        return OTA_OK;
    }
    return OTA_ERR_PT_UNKNOWN_TYPE;
}

static int parse_subtype(uint8_t type, struct span s, uint8_t *out)
{
    size_t n;
    const struct name_num *tab = subtypes_of(type, &n);
    uint32_t v;
    if (s.n == 0) {
        if (type == OTA_PT_TYPE_APP) {
            return OTA_ERR_PT_UNKNOWN_TYPE;  /* an app needs a subtype */
        }
        *out = 0x06;  /* gen_esp32part: empty data subtype = "undefined" */
        return OTA_OK;
    }
    if (tab && lookup(tab, n, s, out)) {
        return OTA_OK;
    }
    if (digit_value(s.p[0]) <= 9) {
        if (!parse_number(s, &v)) {
            return OTA_ERR_PT_SYNTAX;
        }
        if (v > 0xFF) {
            return OTA_ERR_PT_UNKNOWN_TYPE;
        }
        *out = (uint8_t)v;
        return OTA_OK;
    }
    return OTA_ERR_PT_UNKNOWN_TYPE;
}

static int parse_flags(struct span s, uint32_t *out)
{
    *out = 0;
    while (s.n) {
        size_t k = 0;
        while (k < s.n && s.p[k] != ':') {
            k++;
        }
        struct span f = trim((struct span){s.p, k});
        if (span_eq(f, "encrypted")) {
            *out |= OTA_PT_FLAG_ENCRYPTED;
        } else if (span_eq(f, "readonly")) {
            *out |= OTA_PT_FLAG_READONLY;
        } else if (f.n) {
            return OTA_ERR_PT_FLAGS;
        }
        if (k == s.n) {
            break;
        }
        s.p += k + 1;
        s.n -= k + 1;
    }
    return OTA_OK;
}

static void span_copy(char *dst, size_t cap, struct span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* Bootloader and partition_table rows: the generator places them itself.
 * Their size is never read (the bootloader spans up to the table, a table
 * is one sector) and the primary ones' offsets are fixed, so those fields
 * may say anything, "N/A" by convention. The other subtypes (ota) take an
 * offset, or a blank one to follow the row above. */
static int fixed_fields(struct ota_partition *p, struct span offset, bool *offset_given)
{
    p->size = p->type == TYPE_BOOTLOADER ? OTA_PT_OFFSET - OTA_PT_BOOTLOADER_OFFSET : OTA_FLASH_SECTOR_SIZE;
    *offset_given = true;
    if (p->type == TYPE_BOOTLOADER && p->subtype == 0x00) {
        p->offset = OTA_PT_BOOTLOADER_OFFSET;
        return OTA_OK;
    }
    if (p->type == TYPE_BOOTLOADER && p->subtype == 0x02) {
        return OTA_ERR_PT_RECOVERY_OFFSET;  /* set in eFuse per device; we do not guess it */
    }
    if (p->type == TYPE_PTABLE && p->subtype == 0x00) {
        p->offset = OTA_PT_OFFSET;
        return OTA_OK;
    }
    *offset_given = offset.n != 0;
    return *offset_given && !parse_number(offset, &p->offset) ? OTA_ERR_PT_SYNTAX : OTA_OK;
}

uint32_t ota_pt_bootloader_offset(uint16_t chip_id)
{
    switch (chip_id) {
    case OTA_CHIP_ESP32:
    case OTA_CHIP_ESP32S2:
    case OTA_CHIP_ANY:
        return 0x1000u;
    case 0x0012u: /* ESP32-P4 */
    case 0x0017u: /* ESP32-C5: two sectors kept for the key manager */
        return 0x2000u;
    default:
        return 0x0u;
    }
}

struct ota_partition *ota_pt_place_bootloader(struct ota_ptable *t, uint32_t boot_offset)
{
    for (unsigned i = 0; i < t->count; i++) {
        struct ota_partition *p = &t->entries[i];
        if (p->type == TYPE_BOOTLOADER && p->subtype == 0x00) {
            p->offset = boot_offset;
            p->size = OTA_PT_OFFSET - boot_offset;
            return p;
        }
    }
    return NULL;
}

/* One CSV row into p; *offset_given tells whether the offset was blank. */
static int parse_row(struct span line, unsigned line_no, struct ota_partition *p, bool *offset_given,
                     struct ota_pt_diag *diag)
{
    struct span f[6] = {{0}};
    unsigned nf = 0;
    const char *s = line.p;
    const char *end = line.p + line.n;
    while (nf < 6) {
        const char *c = s;
        while (c < end && *c != ',') {
            c++;
        }
        f[nf++] = trim((struct span){s, (size_t)(c - s)});
        if (c >= end) {
            break;
        }
        s = c + 1;
    }
    char name[sizeof(diag->name)];
    span_copy(name, sizeof(name), f[0]);
    memset(p, 0, sizeof(*p));
    if (f[0].n > OTA_PT_LABEL_LEN) {
        diag_row(diag, line_no, name, (uint32_t)f[0].n, OTA_PT_LABEL_LEN);
        return OTA_ERR_PT_NAME_LEN;
    }
    span_copy(p->label, sizeof(p->label), f[0]);
    int err = parse_type(f[1], &p->type);
    if (!err) {
        err = parse_subtype(p->type, f[2], &p->subtype);
    }
    if (err) {
        diag_row(diag, line_no, name, 0, 0);
        return err;
    }
    if (p->type == TYPE_BOOTLOADER || p->type == TYPE_PTABLE) {
        err = fixed_fields(p, f[3], offset_given);
        if (!err) {
            err = parse_flags(f[5], &p->flags);
        }
        if (err) {
            diag_row(diag, line_no, name, 0, 0);
        }
        return err;
    }
    *offset_given = f[3].n != 0;
    if (*offset_given && !parse_number(f[3], &p->offset)) {
        diag_row(diag, line_no, name, 0, 0);
        return OTA_ERR_PT_SYNTAX;
    }
    if (f[4].n == 0) {
        diag_row(diag, line_no, name, 0, 0);
        return OTA_ERR_PT_SIZE;
    }
    if (!parse_number(f[4], &p->size)) {
        diag_row(diag, line_no, name, 0, 0);
        return OTA_ERR_PT_SYNTAX;
    }
    err = parse_flags(f[5], &p->flags);
    if (err) {
        diag_row(diag, line_no, name, 0, 0);
    }
    return err;
}

/* Line breaks as Python's str.splitlines() sees them in ASCII: \n, \r
 * (old Mac files), \r\n as one, and \v \f \x1c \x1d \x1e. */
static bool is_line_break(char c)
{
    return c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e;
}

static const char *next_line(const char *brk, const char *end)
{
    if (brk >= end) {
        return end;
    }
    return (brk[0] == '\r' && brk + 1 < end && brk[1] == '\n') ? brk + 2 : brk + 1;
}

int ota_pt_parse_csv(const char *text, size_t len, uint32_t flash_size,
                     struct ota_ptable *out, struct ota_pt_diag *diag)
{
    unsigned lines[OTA_PT_MAX_ENTRIES];
    uint64_t last_end = TABLE_END;
    unsigned line_no = 0;
    const char *p = text;
    const char *end = text + len;

    diag_reset(diag);
    if (!text || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;  /* UTF-8 byte order mark, as editors on Windows write it */
    }
    while (p < end) {
        const char *nl = p;
        while (nl < end && !is_line_break(*nl)) {
            nl++;
        }
        struct span line = trim((struct span){p, (size_t)(nl - p)});
        line_no++;
        p = next_line(nl, end);
        if (line.n == 0 || line.p[0] == '#') {
            continue;
        }
        if (out->count >= OTA_PT_MAX_ENTRIES) {
            diag_row(diag, line_no, NULL, out->count + 1, OTA_PT_MAX_ENTRIES);
            return OTA_ERR_PT_TOO_MANY;
        }
        struct ota_partition *e = &out->entries[out->count];
        bool offset_given;
        int err = parse_row(line, line_no, e, &offset_given, diag);
        if (err) {
            return err;
        }
        if (!offset_given) {
            uint32_t align = offset_alignment(e->type);
            if (last_end % align) {
                last_end += align - last_end % align;
            }
            if (last_end > 0xFFFFFFFFull) {
                diag_row(diag, line_no, e->label, 0, 0);
                return OTA_ERR_PT_BOUNDS;
            }
            e->offset = (uint32_t)last_end;
        }
        if (!is_fixed_region(e)) {
            last_end = (uint64_t)e->offset + e->size;
        }
        lines[out->count++] = line_no;
    }
    return check_table(out, flash_size, lines, diag);
}
#endif /* OTA_NO_PARTITION_CSV */
