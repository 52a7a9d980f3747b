/* A redirect's Location made absolute against the URL that answered it.
 * Servers may send a relative reference (RFC 9110 allows it: "/path",
 * "//host/path", "file.bin"); the port's policy (http and https only) is
 * then checked on the absolute result, so a relative reference can never
 * slip past it. Plain C, no ESP-IDF header: the host suite tests it. */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "idf_location.h"

/* Length of "scheme:" when s starts with a scheme (RFC 3986: a letter, then
 * letters, digits, '+', '-', '.'), else 0. */
static size_t scheme_len(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }
    while (s[i] && s[i] != ':') {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
                  c == '-' || c == '.';
        if (!ok) {
            return 0;
        }
        i++;
    }
    return s[i] == ':' ? i + 1 : 0;
}

/* Copy the first n bytes of a, then b, into out; OTA_ERR_URI when it does not fit. */
static int join(char *out, size_t cap, const char *a, size_t n, const char *b)
{
    int w = snprintf(out, cap, "%.*s%s", (int)n, a, b);
    return (w < 0 || (size_t)w >= cap) ? OTA_ERR_URI : OTA_OK;
}

int idf_resolve_location(const char *base, const char *location, char *out, size_t cap)
{
    size_t bs = scheme_len(base);
    if (!location[0] || !bs || strncmp(base + bs, "//", 2) != 0) {
        return OTA_ERR_URI;
    }
    if (scheme_len(location)) {
        return join(out, cap, location, 0, location);           /* absolute */
    }
    if (strncmp(location, "//", 2) == 0) {
        return join(out, cap, base, bs, location);             /* same scheme, other host */
    }
    const char *authority_end = base + bs + 2 + strcspn(base + bs + 2, "/?#");
    if (location[0] == '/') {
        return join(out, cap, base, (size_t)(authority_end - base), location);  /* same host */
    }
    /* a relative path: beside the base's last path segment (query dropped) */
    size_t path_len = strcspn(authority_end, "?#");
    const char *dir_end = authority_end;
    for (const char *p = authority_end; p < authority_end + path_len; p++) {
        if (*p == '/') {
            dir_end = p + 1;
        }
    }
    if (dir_end == authority_end) {  /* no path at all: the root */
        size_t n = (size_t)(authority_end - base);
        int w = snprintf(out, cap, "%.*s/%s", (int)n, base, location);
        return (w < 0 || (size_t)w >= cap) ? OTA_ERR_URI : OTA_OK;
    }
    return join(out, cap, base, (size_t)(dir_end - base), location);
}
