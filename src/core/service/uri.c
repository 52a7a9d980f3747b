/* Which URIs an item may name. */
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
