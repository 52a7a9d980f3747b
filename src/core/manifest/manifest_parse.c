/*
 * A strict reader of release manifests, format 1 (manifest.json) and
 * format 2 (manifest.json.v2) (docs/manifest.md): exactly the JSON a
 * release needs and nothing else. Strings are printable ASCII without
 * escapes, numbers are unsigned 32-bit integers, every key is known and
 * appears once. Anything else is refused rather than guessed at: the
 * manifest decides what a device installs, so ambiguity is an attack
 * surface. Bounded recursion (two levels), no allocation.
 */
#include <string.h>

#include "ota/error.h"
#include "ota/hex.h"
#include "ota/manifest.h"

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

/* Consume `ch` (after whitespace); false when the next character differs. */
static bool eat(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static int parse_string(struct cursor *c, char *out, size_t cap)
{
    size_t n = 0;
    if (!eat(c, '"')) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch < 0x20 || ch > 0x7e || ch == '\\' || n + 1 >= cap) {
            return OTA_ERR_MANIFEST_SYNTAX;  /* no escapes, no control or non-ASCII bytes, bounded */
        }
        out[n++] = (char)ch;
    }
    if (c->p >= c->end) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    c->p++;
    out[n] = '\0';
    return OTA_OK;
}

static int parse_u32(struct cursor *c, uint32_t *out)
{
    uint64_t v = 0;
    const char *start;
    skip_ws(c);
    start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        v = v * 10u + (uint64_t)(*c->p++ - '0');
        if (v > UINT32_MAX) {
            return OTA_ERR_MANIFEST_SYNTAX;
        }
    }
    if (c->p == start || (c->p - start > 1 && *start == '0')) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* empty, or a leading zero */
    }
    *out = (uint32_t)v;
    return OTA_OK;
}

/* 64 lower-case hex digits. */
static int parse_sha256(struct cursor *c, uint8_t out[OTA_SHA256_LEN])
{
    char hex[2 * OTA_SHA256_LEN + 1];
    int err = parse_string(c, hex, sizeof(hex));
    bool whole = !err && strlen(hex) == 2 * OTA_SHA256_LEN && ota_hex_decode(hex, out, OTA_SHA256_LEN, false);
    return whole ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

/* An object's members: for each key, `member` parses the value and marks
 * the key seen (bit i of *seen); a repeated key is refused. */
typedef int (*member_fn)(struct cursor *c, const char *key, void *obj, uint32_t *seen);

static int parse_object(struct cursor *c, member_fn member, void *obj, uint32_t *seen)
{
    char key[24];
    int err;
    if (!eat(c, '{')) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    if (eat(c, '}')) {
        return OTA_OK;
    }
    do {
        if ((err = parse_string(c, key, sizeof(key))) || !eat(c, ':') || (err = member(c, key, obj, seen))) {
            return err ? err : OTA_ERR_MANIFEST_SYNTAX;
        }
    } while (eat(c, ','));
    return eat(c, '}') ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

/* The index of key among names (each ended by its NUL, the list by an
 * empty one), or -1: a walk of a few dozen bytes, not a table of pointers. */
static int name_index(const char *names, const char *key)
{
    for (int k = 0; *names; k++, names += strlen(names) + 1) {
        if (strcmp(names, key) == 0) {
            return k;
        }
    }
    return -1;
}

/* Mark key number `bit` as seen; a second time is an error. */
static int mark(uint32_t *seen, unsigned bit)
{
    if (*seen & (1u << bit)) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    *seen |= 1u << bit;
    return OTA_OK;
}

/* An entry's keys, by bit: format 1 files have uri, size, sha256 (and
 * base_app_sha256 for a patch); format 2 items add kind and encrypted. */
static const char ENTRY_KEYS[] = "uri\0size\0sha256\0base_app_sha256\0kind\0encrypted\0";
#define FILE_KEYS 0x07u
#define BASE_KEY 0x08u
#define ITEM_KEYS 0x37u  /* a format 2 item: the file's, kind, encrypted */

static int parse_kind(struct cursor *c, uint8_t *kind)
{
    char name[12];
    int k = parse_string(c, name, sizeof(name)) ? -1 : name_index("plain\0compressed\0patch\0", name);
    if (k < 0) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* a kind this device does not know is not guessed at */
    }
    *kind = (uint8_t)k;  /* enum ota_manifest_kind */
    return OTA_OK;
}

static int parse_bool(struct cursor *c, bool *out)
{
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    *out = left >= 4 && memcmp(c->p, "true", 4) == 0;
    size_t n = *out ? 4 : left >= 5 && memcmp(c->p, "false", 5) == 0 ? 5 : 0;
    c->p += n;
    return n ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

static int entry_member(struct cursor *c, const char *key, void *obj, uint32_t *seen)
{
    struct ota_manifest_patch *pt = obj;
    struct ota_manifest_file *f = &pt->file;
    int k = name_index(ENTRY_KEYS, key);
    if (k < 0 || mark(seen, (unsigned)k)) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    switch (k) {
    case 0: return parse_string(c, f->uri, sizeof(f->uri));
    case 1: return parse_u32(c, &f->size);
    case 2: return parse_sha256(c, f->sha256);
    case 3: return parse_sha256(c, pt->base_app_sha256);
    case 4: return parse_kind(c, &f->kind);
    default: return parse_bool(c, &f->encrypted);
    }
}

/* An entry with exactly the keys `want` (a format 2 item: its kind says
 * whether it names a base). */
static int parse_entry(struct cursor *c, struct ota_manifest_patch *pt, uint32_t want)
{
    uint32_t seen = 0;
    int err = parse_object(c, entry_member, pt, &seen);
    if (err) {
        return err;
    }
    if (want == ITEM_KEYS && pt->file.kind == OTA_MANIFEST_KIND_PATCH) {
        want |= BASE_KEY;
    }
    /* a size of 0 would be "no bound" to a stream: no file is empty */
    return seen == want && pt->file.uri[0] && pt->file.size ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

/* `each` is called for every element of a JSON array of objects. */
typedef int (*element_fn)(struct cursor *c, struct ota_manifest *m, uint32_t *prev_size);

static int parse_array(struct cursor *c, struct ota_manifest *m, element_fn each)
{
    uint32_t prev_size = 0;
    int err;
    if (!eat(c, '[')) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    if (eat(c, ']')) {
        return OTA_OK;
    }
    do {
        if ((err = each(c, m, &prev_size))) {
            return err;
        }
    } while (eat(c, ','));
    return eat(c, ']') ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

/* Format 1: a patch (or a compressed image) for one base. */
static int format1_patch(struct cursor *c, struct ota_manifest *m, uint32_t *prev_size)
{
    (void)prev_size;
    if (m->patch_count >= OTA_MANIFEST_MAX_PATCHES) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    struct ota_manifest_patch *pt = &m->patches[m->patch_count];
    int err = parse_entry(c, pt, FILE_KEYS | BASE_KEY);
    pt->file.kind = OTA_MANIFEST_KIND_PATCH;
    m->patch_count += err ? 0 : 1;
    return err;
}

static bool base_listed(const struct ota_manifest *m, const uint8_t base[OTA_SHA256_LEN])
{
    for (unsigned i = 0; i < m->patch_count; i++) {
        if (memcmp(m->patches[i].base_app_sha256, base, OTA_SHA256_LEN) == 0) {
            return true;
        }
    }
    return false;
}

/* Format 2: one item, no smaller than the one before; one plain image, at
 * most one compressed, at most one patch per base. */
static int format2_item(struct cursor *c, struct ota_manifest *m, uint32_t *prev_size)
{
    struct ota_manifest_patch e;
    memset(&e, 0, sizeof(e));
    int err = parse_entry(c, &e, ITEM_KEYS);
    if (err) {
        return err;
    }
    if (e.file.size < *prev_size) {
        return OTA_ERR_MANIFEST_ITEM_ORDER;
    }
    *prev_size = e.file.size;
    struct ota_manifest_file *whole = e.file.kind == OTA_MANIFEST_KIND_PLAIN ? &m->image : &m->compressed;
    if (e.file.kind != OTA_MANIFEST_KIND_PATCH) {
        if (whole->size) {
            return OTA_ERR_MANIFEST_SYNTAX;  /* a second one: which is meant? */
        }
        *whole = e.file;
        return OTA_OK;
    }
    if (m->patch_count >= OTA_MANIFEST_MAX_PATCHES || base_listed(m, e.base_app_sha256)) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    m->patches[m->patch_count++] = e;
    return OTA_OK;
}

static const char TOP_KEYS[] = "format\0project\0version\0secure_version\0chip\0serial\0rollout_percent\0"
                               "app_sha256\0image\0patches\0app_size\0items\0";
#define COMMON_KEYS 0xFFu                          /* format .. app_sha256 */
#define FORMAT1_KEYS (COMMON_KEYS | 0x300u)        /* image, patches */
#define FORMAT2_KEYS (COMMON_KEYS | 0xC00u)        /* app_size, items */

static uint32_t keys_of(uint32_t format)
{
    return format == OTA_MANIFEST_FORMAT ? FORMAT1_KEYS : FORMAT2_KEYS;
}

static int top_value(struct cursor *c, unsigned k, struct ota_manifest *m)
{
    struct ota_manifest_patch image;
    int err;
    switch (k) {
    case 0: return parse_u32(c, &m->format) ? OTA_ERR_MANIFEST_SYNTAX
                 : m->format == OTA_MANIFEST_FORMAT || m->format == OTA_MANIFEST_FORMAT2 ? OTA_OK
                 : OTA_ERR_MANIFEST_FORMAT;
    case 1: return parse_string(c, m->project, sizeof(m->project));
    case 2: return parse_string(c, m->version, sizeof(m->version));
    case 3: return parse_u32(c, &m->secure_version);
    case 4: return parse_string(c, m->chip, sizeof(m->chip));
    case 5: return parse_u32(c, &m->serial);
    case 6: err = parse_u32(c, &m->rollout_percent);
            return err ? err : m->rollout_percent <= 100 ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
    case 7: return parse_sha256(c, m->app_sha256);
    case 8: memset(&image, 0, sizeof(image));
            err = parse_entry(c, &image, FILE_KEYS);
            m->image = image.file;
            m->app_size = image.file.size;
            return err;
    case 9: return parse_array(c, m, format1_patch);
    case 10: err = parse_u32(c, &m->app_size);
             return err ? err : m->app_size ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
    default: return parse_array(c, m, format2_item);
    }
}

static int top_member(struct cursor *c, const char *key, void *obj, uint32_t *seen)
{
    int k = name_index(TOP_KEYS, key);
    if (k < 0 || (!(*seen & 1u) && k != 0)) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* "format" comes first: a newer format is then told apart */
    }
    /* a key of the other format is unknown in this one */
    bool known = k == 0 || (keys_of(((struct ota_manifest *)obj)->format) & (1u << k));
    return !known || mark(seen, (unsigned)k) ? OTA_ERR_MANIFEST_SYNTAX : top_value(c, (unsigned)k, obj);
}

int ota_manifest_parse(const char *text, size_t len, struct ota_manifest *m)
{
    struct cursor c = {text, text + len};
    uint32_t seen = 0;
    int err;
    if (!text || !m) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len > OTA_MANIFEST_MAX_LEN) {
        return OTA_ERR_MANIFEST_TOO_BIG;
    }
    memset(m, 0, sizeof(*m));
    if ((err = parse_object(&c, top_member, m, &seen))) {
        return err;
    }
    skip_ws(&c);
    /* an empty project parses: the decision refuses it as a mismatch, never "any project" */
    if (c.p != c.end || seen != keys_of(m->format) || !m->image.size) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* trailing bytes, or a field missing */
    }
    return OTA_OK;
}
