/*
 * A strict JSON reader for server responses: the text is tokenised in
 * place into a caller-owned token array (no copies, no allocation), then
 * looked up by key. Strict means RFC 8259 and nothing more (no comments,
 * no trailing commas, no leading zeros, no bare control characters),
 * UTF-8 checked, and the client's limits on top: a bounded number of
 * values, bounded depth, one occurrence of each key per object. Recursion
 * is bounded by OTA_DDI_DEPTH_MAX.
 */
#include <string.h>

#include "ota/ddi.h"
#include "ota/error.h"

struct jp {
    const char *s;
    size_t len, pos;
    struct ota_json_tok *tok;
    unsigned cap, n;
};

static void skip_ws(struct jp *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r')) {
        p->pos++;
    }
}

static int new_tok(struct jp *p, uint8_t type, unsigned *idx)
{
    if (p->n >= p->cap || p->n >= 0xFFFFu) {
        return OTA_ERR_DDI_SYNTAX;
    }
    *idx = p->n++;
    memset(&p->tok[*idx], 0, sizeof(p->tok[*idx]));
    p->tok[*idx].type = type;
    p->tok[*idx].start = (uint32_t)p->pos;
    return OTA_OK;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d > 15) {
            return -1;
        }
        *v = *v << 4 | d;
    }
    return 0;
}

/* The length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned need = s[0] >= 0xF0 && s[0] <= 0xF4 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC2 && s[0] <= 0xDF ? 1 : 9;
    if (s[0] > 0xF4 || need > 3 || n <= need) {
        return 0;
    }
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    /* no overlong forms, no surrogates, nothing past U+10FFFF */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] >= 0x90)) {
        return 0;
    }
    return need + 1;
}

/* One escape after the backslash at p->pos - 1. */
static int escape(struct jp *p)
{
    unsigned v;
    if (p->pos >= p->len) {
        return OTA_ERR_DDI_SYNTAX;
    }
    char c = p->s[p->pos++];
    if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
        return OTA_OK;
    }
    if (c != 'u' || p->len - p->pos < 4 || hex4(p->s + p->pos, &v)) {
        return OTA_ERR_DDI_SYNTAX;
    }
    p->pos += 4;
    /* control characters and surrogates have no place in what we read */
    return v < 0x20 || (v >= 0xD800 && v <= 0xDFFF) ? OTA_ERR_DDI_SYNTAX : OTA_OK;
}

static int parse_string(struct jp *p, unsigned *idx)
{
    int err;
    p->pos++;  /* the opening quote */
    if ((err = new_tok(p, OTA_JSON_STRING, idx))) {
        return err;
    }
    while (p->pos < p->len && p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            return OTA_ERR_DDI_SYNTAX;
        }
        if (c == '\\') {
            p->pos++;
            if ((err = escape(p))) {
                return err;
            }
        } else if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
            if (!k) {
                return OTA_ERR_DDI_SYNTAX;
            }
            p->pos += k;
        } else {
            p->pos++;
        }
    }
    if (p->pos >= p->len) {
        return OTA_ERR_DDI_SYNTAX;
    }
    p->tok[*idx].len = (uint32_t)(p->pos - p->tok[*idx].start);
    p->pos++;
    return OTA_OK;
}

static size_t digits(struct jp *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        p->pos++;
    }
    return p->pos - start;
}

static int parse_number(struct jp *p, unsigned *idx)
{
    int err = new_tok(p, OTA_JSON_NUMBER, idx);
    if (err) {
        return err;
    }
    if (p->pos < p->len && p->s[p->pos] == '-') {
        p->pos++;
    }
    size_t first = p->pos;
    size_t n = digits(p);
    if (n == 0 || (n > 1 && p->s[first] == '0')) {
        return OTA_ERR_DDI_SYNTAX;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (!digits(p)) {
            return OTA_ERR_DDI_SYNTAX;
        }
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) {
            p->pos++;
        }
        if (!digits(p)) {
            return OTA_ERR_DDI_SYNTAX;
        }
    }
    p->tok[*idx].len = (uint32_t)(p->pos - p->tok[*idx].start);
    return OTA_OK;
}

static int parse_word(struct jp *p, const char *w, uint8_t type, unsigned *idx)
{
    size_t n = strlen(w);
    int err = new_tok(p, type, idx);
    if (err || p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) {
        return err ? err : OTA_ERR_DDI_SYNTAX;
    }
    p->pos += n;
    p->tok[*idx].len = (uint32_t)n;
    return OTA_OK;
}

static bool same_key(const struct jp *p, unsigned a, unsigned b)
{
    return p->tok[a].len == p->tok[b].len && memcmp(p->s + p->tok[a].start, p->s + p->tok[b].start, p->tok[a].len) == 0;
}

/* A key already in the object whose first member is at `first`? (Keys are
 * compared as written: an escaped spelling of a key counts as another key,
 * and a lookup never matches it, see ota_json_member.) */
static bool duplicate_key(const struct jp *p, unsigned first, unsigned key)
{
    for (unsigned k = first; k < key; k = p->tok[k + 1].next) {
        if (same_key(p, k, key)) {
            return true;
        }
    }
    return false;
}

static int parse_value(struct jp *p, unsigned depth, unsigned *idx);

/* An object or array after its opening bracket. */
static int parse_container(struct jp *p, unsigned depth, bool object, unsigned idx)
{
    char close = object ? '}' : ']';
    int err;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return OTA_OK;
    }
    for (;;) {
        unsigned key = 0, val;
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"' || (err = parse_string(p, &key))) {
                return OTA_ERR_DDI_SYNTAX;
            }
            if (duplicate_key(p, idx + 1, key)) {
                return OTA_ERR_DDI_SYNTAX;
            }
            p->tok[key].next = (uint16_t)p->n;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos++] != ':') {
                return OTA_ERR_DDI_SYNTAX;
            }
        }
        if ((err = parse_value(p, depth + 1, &val))) {
            return err;
        }
        p->tok[idx].count++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return OTA_OK;
        }
        return OTA_ERR_DDI_SYNTAX;
    }
}

static int parse_value(struct jp *p, unsigned depth, unsigned *idx)
{
    int err;
    skip_ws(p);
    if (p->pos >= p->len || depth > OTA_DDI_DEPTH_MAX) {
        return OTA_ERR_DDI_SYNTAX;
    }
    char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if ((err = new_tok(p, c == '{' ? OTA_JSON_OBJECT : OTA_JSON_ARRAY, idx))) {
            return err;
        }
        p->pos++;
        err = parse_container(p, depth, c == '{', *idx);
        p->tok[*idx].len = (uint32_t)(p->pos - p->tok[*idx].start);
    } else if (c == '"') {
        err = parse_string(p, idx);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        err = parse_number(p, idx);
    } else if (c == 't' || c == 'f' || c == 'n') {
        err = parse_word(p, c == 't' ? "true" : c == 'f' ? "false" : "null",
                         c == 't' ? OTA_JSON_TRUE : c == 'f' ? OTA_JSON_FALSE : OTA_JSON_NULL, idx);
    } else {
        err = OTA_ERR_DDI_SYNTAX;
    }
    if (!err) {
        p->tok[*idx].next = (uint16_t)p->n;
    }
    return err;
}

int ota_json_parse(struct ota_json *j, const char *text, size_t len, struct ota_json_tok *tok, unsigned cap)
{
    struct jp p = {text, len, 0, tok, cap, 0};
    unsigned root;
    memset(j, 0, sizeof(*j));
    if (!text || !tok || len > 0x7FFFFFFFu) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = parse_value(&p, 1, &root);
    skip_ws(&p);
    if (!err && p.pos != len) {
        err = OTA_ERR_DDI_SYNTAX;  /* one value, nothing after it */
    }
    if (err) {
        return err;
    }
    j->text = text;
    j->tok = tok;
    j->n = p.n;
    return OTA_OK;
}

int ota_json_member(const struct ota_json *j, int obj, const char *key)
{
    size_t n = strlen(key);
    if (obj < 0 || (unsigned)obj >= j->n || j->tok[obj].type != OTA_JSON_OBJECT) {
        return -1;
    }
    unsigned k = (unsigned)obj + 1;
    for (unsigned m = 0; m < j->tok[obj].count; m++) {
        const struct ota_json_tok *t = &j->tok[k];
        if (t->len == n && memcmp(j->text + t->start, key, n) == 0) {
            return (int)k + 1;
        }
        k = j->tok[k + 1].next;
    }
    return -1;
}

int ota_json_path(const struct ota_json *j, int obj, const char *path)
{
    char key[32];
    while (obj >= 0 && *path) {
        size_t n = 0;
        while (path[n] && path[n] != '.') {
            n++;
        }
        if (n == 0 || n >= sizeof(key)) {
            return -1;
        }
        memcpy(key, path, n);
        key[n] = '\0';
        obj = ota_json_member(j, obj, key);
        path += path[n] ? n + 1 : n;
    }
    return obj;
}

int ota_json_string(const struct ota_json *j, int idx, char *out, size_t cap)
{
    if (idx < 0 || (unsigned)idx >= j->n || j->tok[idx].type != OTA_JSON_STRING || j->tok[idx].len == 0) {
        return OTA_ERR_DDI_FIELD;
    }
    const char *s = j->text + j->tok[idx].start, *end = s + j->tok[idx].len;
    size_t n = 0;
    while (s < end) {
        unsigned c = (unsigned char)*s++;
        if (c == '\\') {
            c = (unsigned char)*s++;
            unsigned v = c;
            if (c == 'u') {
                hex4(s, &v);  /* checked by the parser */
                s += 4;
            } else if (c != '"' && c != '\\' && c != '/') {
                v = 0;  /* \b \f \n \r \t: control characters */
            }
            c = v;
        }
        if (c < 0x20 || c > 0x7E || n + 1 >= cap) {
            return OTA_ERR_DDI_FIELD;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return OTA_OK;
}

int ota_json_u64(const struct ota_json *j, int idx, uint64_t *v)
{
    if (idx < 0 || (unsigned)idx >= j->n || j->tok[idx].type != OTA_JSON_NUMBER) {
        return OTA_ERR_DDI_FIELD;
    }
    const char *s = j->text + j->tok[idx].start;
    uint64_t x = 0;
    for (uint32_t i = 0; i < j->tok[idx].len; i++) {
        if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - 9) / 10) {
            return OTA_ERR_DDI_FIELD;  /* negative, fraction, exponent, or too big */
        }
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return OTA_OK;
}
