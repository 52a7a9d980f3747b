/* Little-endian field access for on-flash formats (private to the core).
 * Never memcpy a struct to or from flash: encode byte by byte. */
#ifndef OTA_CORE_BYTES_H
#define OTA_CORE_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* At -Os the compiler prices a small function by its source and may call
 * it where its compiled body is smaller than the call: OTA_ALWAYS_INLINE
 * there. The field accessors below are priced byte by byte and called per
 * field, where each is one load or store on a target with unaligned access
 * (Cortex-M4: 408 B less in the device app). */
#if defined(__GNUC__)
#define OTA_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define OTA_ALWAYS_INLINE static inline
#endif

OTA_ALWAYS_INLINE uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

OTA_ALWAYS_INLINE uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

OTA_ALWAYS_INLINE void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

OTA_ALWAYS_INLINE void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A NUL-padded on-flash string field (at most n bytes) into a C string. */
static inline void copy_field_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t k = 0;
    while (k < n && k < cap - 1 && src[k]) {
        dst[k] = (char)src[k];
        k++;
    }
    dst[k] = '\0';
}

#endif
