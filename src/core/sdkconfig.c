/* sdkconfig reader: bounded buffers, no allocation. */
#include <stdbool.h>
#include <string.h>

#include "ota/error.h"
#include "ota/sdkconfig.h"

#define KEY_MAX 256  /* with the NUL */
#define VALUE_MAX (OTA_SDKCONFIG_VALUE_MAX + 1)

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
    if (kend - k <= 0 || kend - k >= KEY_MAX) {
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
    if (n >= KEY_MAX) {
        return OTA_ERR_TOO_LONG;
    }
    if (n == 0 || p >= end || *p != '=') {
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
            if (n + 1 >= VALUE_MAX) {
                return OTA_ERR_TOO_LONG;  /* refused, never cut */
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
        if (n >= VALUE_MAX) {
            return OTA_ERR_TOO_LONG;
        }
        memcpy(value, v, n);
    }
    value[n] = '\0';
    return OTA_OK;
}

static int stop_at(unsigned line, unsigned *bad_line, int rc)
{
    if (bad_line) {
        *bad_line = line;
    }
    return rc;
}

int ota_sdkconfig_parse(const char *text, size_t len, ota_sdkconfig_cb cb, void *ctx, unsigned *bad_line)
{
    char key[KEY_MAX], value[VALUE_MAX];
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
                    return stop_at(line, bad_line, rc);
                }
            }
            continue;
        }
        int rc = parse_line(s, e, key, value);
        if (rc == OTA_OK) {
            rc = cb(ctx, key, value);
        }
        if (rc) {
            return stop_at(line, bad_line, rc);
        }
    }
    return OTA_OK;
}

int ota_sdkconfig_bool(const char *value, bool *on)
{
    /* kconfiglib reads only the first character ("yes" is y, "no" is n);
     * we take the two values menuconfig writes and refuse the rest */
    if (!value || (value[0] != 'y' && value[0] != 'n') || value[1] != '\0') {
        return OTA_ERR_CONFIG_BOOL;
    }
    *on = value[0] == 'y';
    return OTA_OK;
}

/* Levenshtein distance between a and b, giving up above max (rows of at
 * most KEY_MAX entries on the stack). */
static size_t distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[KEY_MAX];
    if (la >= KEY_MAX || lb >= KEY_MAX || (la > lb ? la - lb : lb - la) > max) {
        return max + 1;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            v = up + 1 < v ? up + 1 : v;
            v = row[j - 1] + 1 < v ? row[j - 1] + 1 : v;
            row[j] = v;
            diag = up;
            best = v < best ? v : best;
        }
        if (best > max) {
            return max + 1;
        }
    }
    return row[lb];
}

const char *ota_sdkconfig_unknown(const char *key, const char *const *known, size_t count, bool *is_unknown)
{
    const char *best = NULL;
    size_t best_d = 4;  /* more than 3 edits away is not a typo of it */
    *is_unknown = true;
    for (size_t i = 0; i < count; i++) {
        size_t d = distance(key, known[i], best_d - 1);
        if (d == 0) {
            *is_unknown = false;
            return NULL;
        }
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}
