/* sdkconfig reader: bounded buffers, no allocation. */
#include <stdbool.h>
#include <string.h>

#include "ota/error.h"
#include "ota/sdkconfig.h"

#define FIELD_MAX 256

static bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) {
        p++;
    }
    return p;
}

/* "# CONFIG_X is not set" -> key X; false when the comment is anything else. */
static bool not_set_key(const char *p, const char *end, char *key)
{
    static const char pre[] = "# CONFIG_", post[] = " is not set";
    size_t n = (size_t)(end - p);
    if (n < sizeof(pre) - 1 + sizeof(post) || memcmp(p, pre, sizeof(pre) - 1) != 0 ||
        memcmp(end - (sizeof(post) - 1), post, sizeof(post) - 1) != 0) {
        return false;
    }
    const char *k = p + sizeof(pre) - 1, *kend = end - (sizeof(post) - 1);
    if (kend - k <= 0 || kend - k >= FIELD_MAX) {
        return false;
    }
    for (const char *c = k; c < kend; c++) {
        if (!is_key_char(*c)) {
            return false;
        }
    }
    memcpy(key, k, (size_t)(kend - k));
    key[kend - k] = '\0';
    return true;
}

static int parse_line(const char *p, const char *end, char *key, char *value)
{
    static const char pre[] = "CONFIG_";
    const char *k;
    size_t n;
    if ((size_t)(end - p) < sizeof(pre) || memcmp(p, pre, sizeof(pre) - 1) != 0) {
        return OTA_ERR_CONFIG_SYNTAX;
    }
    k = p += sizeof(pre) - 1;
    while (p < end && is_key_char(*p)) {
        p++;
    }
    n = (size_t)(p - k);
    if (n == 0 || n >= FIELD_MAX || p >= end || *p != '=') {
        return OTA_ERR_CONFIG_SYNTAX;
    }
    memcpy(key, k, n);
    key[n] = '\0';
    p++;
    n = 0;
    if (p < end && *p == '"') {
        for (p++; p < end && *p != '"'; p++) {
            if (*p == '\\') {
                if (++p >= end) {
                    return OTA_ERR_CONFIG_SYNTAX;
                }
            }
            if (n + 1 >= FIELD_MAX) {
                return OTA_ERR_CONFIG_SYNTAX;
            }
            value[n++] = *p;
        }
        if (p >= end) {
            return OTA_ERR_CONFIG_SYNTAX;  /* unterminated string */
        }
        p = skip_ws(p + 1, end);
        if (p != end) {
            return OTA_ERR_CONFIG_SYNTAX;
        }
    } else {
        const char *v = p;  /* the line arrives trimmed: the value runs to its end */
        n = (size_t)(end - v);
        if (n >= FIELD_MAX) {
            return OTA_ERR_CONFIG_SYNTAX;
        }
        memcpy(value, v, n);
    }
    value[n] = '\0';
    return OTA_OK;
}

int ota_sdkconfig_parse(const char *text, size_t len, ota_sdkconfig_cb cb, void *ctx, unsigned *bad_line)
{
    char key[FIELD_MAX], value[FIELD_MAX];
    const char *p = text, *end = text + len;
    unsigned line = 0;
    if (!text || !cb) {
        return OTA_ERR_INVALID_ARG;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = skip_ws(p, le);
        const char *e = le;
        line++;
        p = nl ? nl + 1 : end;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
            e--;
        }
        if (s == e) {
            continue;
        }
        if (*s == '#') {
            if (not_set_key(s, e, key)) {
                int rc = cb(ctx, key, "n");
                if (rc) {
                    return rc;
                }
            }
            continue;
        }
        if (parse_line(s, e, key, value) != OTA_OK) {
            if (bad_line) {
                *bad_line = line;
            }
            return OTA_ERR_CONFIG_SYNTAX;
        }
        int rc = cb(ctx, key, value);
        if (rc) {
            return rc;
        }
    }
    return OTA_OK;
}
