#include "ota/hash.h"

/* Bitwise on purpose: 1 KiB of table is worth more than speed on an MCU for
 * the few hundred bytes otadata and tone headers need; tone CRCs over whole
 * images go at flash-read speed anyway. */
uint32_t ota_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}
