/* Which URIs an item may name, where a file:// one may lead, and the
 * deadline of the item a URI is. */
#include <string.h>

#include "ota/error.h"
#include "ota/source.h"

int ota_uri_scheme(const char *uri, const char **scheme)
{
    static const char *const schemes[] = {"http", "https", "file"};
    if (!uri) {
        return OTA_ERR_URI;
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(uri, schemes[i], n) == 0 && strncmp(uri + n, "://", 3) == 0 && uri[n + 3] != '\0') {
            if (scheme) {
                *scheme = schemes[i];
            }
            return OTA_OK;
        }
    }
    return OTA_ERR_URI;
}

bool ota_card_path_escapes(const char *path)
{
    if (*path == '\0' || *path == '/') {
        return true;
    }
    for (const char *c = path; *c;) {  /* each component */
        size_t n = 0;
        while (c[n] && c[n] != '/') {
            n++;
        }
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            return true;
        }
        c += c[n] ? n + 1 : n;
    }
    return false;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h;
}

void ota_item_clock_open(struct ota_item_clock *c, const char *uri, uint32_t deadline_s, uint32_t now_ms)
{
    uint32_t h = fnv1a(uri);
    if (c->running && c->uri_hash == h) {
        return;
    }
    if (deadline_s > OTA_ITEM_CLOCK_MAX_S) {
        deadline_s = OTA_ITEM_CLOCK_MAX_S;
    }
    c->uri_hash = h;
    c->deadline_ms = now_ms + deadline_s * 1000u;
    c->running = true;
}

bool ota_item_clock_passed(const struct ota_item_clock *c, uint32_t now_ms)
{
    return c->running && (int32_t)(now_ms - c->deadline_ms) >= 0;
}
