/* ESP-ADF's version rule: "v" then three dot-separated numbers, each <= 255. */
#include <string.h>

#include "ota/version.h"

int32_t ota_version_parse(const char *v)
{
    int32_t fields[3] = {0};
    int k = 0, digits = 0;
    if (!v || (v[0] != 'v' && v[0] != 'V') || strlen(v) > 32) {
        return -1;
    }
    for (const char *p = v + 1;; p++) {
        if (*p >= '0' && *p <= '9') {
            fields[k] = fields[k] * 10 + (*p - '0');
            if (++digits > 3 || fields[k] > 255) {
                return -1;
            }
        } else if ((*p == '.' || *p == '\0') && digits > 0) {
            if (*p == '\0') {
                break;
            }
            if (++k > 2) {
                return -1;
            }
            digits = 0;
        } else {
            return -1;
        }
    }
    if (k != 2) {
        return -1;
    }
    return (fields[0] << 16) | (fields[1] << 8) | fields[2];
}
