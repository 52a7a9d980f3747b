/*
 * A strict reader of manifest.json (docs/manifest.md): exactly the JSON a
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

/* Mark key number `bit` as seen; a second time is an error. */
static int mark(uint32_t *seen, unsigned bit)
{
    if (*seen & (1u << bit)) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    *seen |= 1u << bit;
    return OTA_OK;
}

#define FILE_KEYS 3u     /* uri, size, sha256 */
#define PATCH_KEYS 4u    /* ... and base_app_sha256 */

static int file_member(struct cursor *c, const char *key, void *obj, uint32_t *seen)
{
    struct ota_manifest_patch *pt = obj;
    struct ota_manifest_file *f = &pt->file;
    if (strcmp(key, "uri") == 0) {
        return mark(seen, 0) ? OTA_ERR_MANIFEST_SYNTAX : parse_string(c, f->uri, sizeof(f->uri));
    }
    if (strcmp(key, "size") == 0) {
        return mark(seen, 1) ? OTA_ERR_MANIFEST_SYNTAX : parse_u32(c, &f->size);
    }
    if (strcmp(key, "sha256") == 0) {
        return mark(seen, 2) ? OTA_ERR_MANIFEST_SYNTAX : parse_sha256(c, f->sha256);
    }
    if (strcmp(key, "base_app_sha256") == 0) {
        return mark(seen, 3) ? OTA_ERR_MANIFEST_SYNTAX : parse_sha256(c, pt->base_app_sha256);
    }
    return OTA_ERR_MANIFEST_SYNTAX;
}

/* {"uri", "size", "sha256"} plus "base_app_sha256" for a patch (is_patch). */
static int parse_file(struct cursor *c, struct ota_manifest_patch *pt, bool is_patch)
{
    uint32_t seen = 0;
    int err = parse_object(c, file_member, pt, &seen);
    uint32_t want = (1u << (is_patch ? PATCH_KEYS : FILE_KEYS)) - 1u;
    if (err) {
        return err;
    }
    /* a size of 0 would be "no bound" to a stream: no file is empty */
    return seen == want && pt->file.uri[0] && pt->file.size ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

static int parse_patches(struct cursor *c, struct ota_manifest *m)
{
    int err;
    if (!eat(c, '[')) {
        return OTA_ERR_MANIFEST_SYNTAX;
    }
    if (eat(c, ']')) {
        return OTA_OK;
    }
    do {
        if (m->patch_count >= OTA_MANIFEST_MAX_PATCHES) {
            return OTA_ERR_MANIFEST_SYNTAX;
        }
        if ((err = parse_file(c, &m->patches[m->patch_count], true))) {
            return err;
        }
        m->patch_count++;
    } while (eat(c, ','));
    return eat(c, ']') ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
}

static const char *const TOP_KEYS[] = {"format", "project", "version", "secure_version", "chip", "serial",
                                       "rollout_percent", "app_sha256", "image", "patches"};
#define TOP_KEY_COUNT (sizeof(TOP_KEYS) / sizeof(TOP_KEYS[0]))

static int top_value(struct cursor *c, unsigned k, struct ota_manifest *m)
{
    struct ota_manifest_patch image;
    int err;
    switch (k) {
    case 0: return parse_u32(c, &m->format) ? OTA_ERR_MANIFEST_SYNTAX
                 : m->format == OTA_MANIFEST_FORMAT ? OTA_OK : OTA_ERR_MANIFEST_FORMAT;
    case 1: return parse_string(c, m->project, sizeof(m->project));
    case 2: return parse_string(c, m->version, sizeof(m->version));
    case 3: return parse_u32(c, &m->secure_version);
    case 4: return parse_string(c, m->chip, sizeof(m->chip));
    case 5: return parse_u32(c, &m->serial);
    case 6: err = parse_u32(c, &m->rollout_percent);
            return err ? err : m->rollout_percent <= 100 ? OTA_OK : OTA_ERR_MANIFEST_SYNTAX;
    case 7: return parse_sha256(c, m->app_sha256);
    case 8: memset(&image, 0, sizeof(image));
            err = parse_file(c, &image, false);
            m->image = image.file;
            return err;
    default: return parse_patches(c, m);
    }
}

static int top_member(struct cursor *c, const char *key, void *obj, uint32_t *seen)
{
    if (!(*seen & 1u) && strcmp(key, TOP_KEYS[0]) != 0) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* "format" comes first: a newer format is then told apart */
    }
    for (unsigned k = 0; k < TOP_KEY_COUNT; k++) {
        if (strcmp(key, TOP_KEYS[k]) == 0) {
            return mark(seen, k) ? OTA_ERR_MANIFEST_SYNTAX : top_value(c, k, obj);
        }
    }
    return OTA_ERR_MANIFEST_SYNTAX;
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
    if (c.p != c.end || seen != (1u << TOP_KEY_COUNT) - 1u || !m->image.uri[0]) {
        return OTA_ERR_MANIFEST_SYNTAX;  /* trailing bytes, or a field missing */
    }
    return OTA_OK;
}
