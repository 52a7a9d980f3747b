#include "delta_internal.h"
#include "ota/error.h"

void delta_compact_start(struct ota_delta *d)
{
    (void)d;
}

int delta_compact_feed(struct ota_delta *d, const uint8_t *p, size_t len)
{
    (void)d;
    (void)p;
    (void)len;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_compact_end(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}
