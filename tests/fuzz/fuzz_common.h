/* Shared bits of the fuzz targets: a RAM flash (NOR rules not needed here:
 * the targets only read) and a reader over the input. */
#ifndef OTA_FUZZ_COMMON_H
#define OTA_FUZZ_COMMON_H

#include <stdint.h>
#include <string.h>

#include "ota/error.h"
#include "ota/flash.h"

struct ram_flash {
    struct ota_flash flash;
    const uint8_t *data;
};

static int ram_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const struct ram_flash *r = ctx;
    memcpy(buf, r->data + addr, len);  /* ota_flash_read checked the bounds */
    return OTA_OK;
}

static int ram_refuse(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx; (void)addr; (void)buf; (void)len;
    return OTA_ERR_IO;
}

static int ram_refuse_erase(void *ctx, uint32_t addr, uint32_t len)
{
    (void)ctx; (void)addr; (void)len;
    return OTA_ERR_IO;
}

static inline void ram_flash_init(struct ram_flash *r, const uint8_t *data, uint32_t size)
{
    r->flash.ctx = r;
    r->flash.size = size;
    r->flash.read = ram_read;
    r->flash.program = ram_refuse;
    r->flash.erase = ram_refuse_erase;
    r->data = data;
}

/* A read callback (ota_read_fn) over the fuzzer's input. */
struct mem_src {
    const uint8_t *data;
    size_t len;
};

static inline int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct mem_src *s = ctx;
    if (off > s->len || len > s->len - off) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, s->data + off, len);
    return OTA_OK;
}

#endif
