/* Hex digits (ota/hex.h). */
#include "ota/hex.h"

int ota_hex_digit(char c, bool any_case)
{
    if (any_case && c >= 'A' && c <= 'F') {
        c = (char)(c - 'A' + 'a');
    }
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool ota_hex_decode(const char *hex, uint8_t *out, size_t n, bool any_case)
{
    for (size_t i = 0; i < 2 * n; i++) {
        if (ota_hex_digit(hex[i], any_case) < 0) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint8_t)(ota_hex_digit(hex[2 * i], any_case) << 4 | ota_hex_digit(hex[2 * i + 1], any_case));
    }
    return true;
}
