/* Shared bits of the fuzz targets: a RAM flash (NOR rules not needed here:
 * the targets only read) and a reader over the input. */
#ifndef OTA_FUZZ_COMMON_H
#define OTA_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ota/delta.h"
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

static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A decoder checkpoint of form `form` from the input's next 48 bytes
 * (input offset, output offset, image length, sync interval, SHA-256);
 * false when fewer are left. */
static inline bool fuzz_take_checkpoint(const uint8_t **in, size_t *len, uint32_t form,
                                        struct ota_delta_checkpoint *cp)
{
    if (*len < 48) {
        return false;
    }
    cp->in_off = fuzz_le32(*in);
    cp->out_off = fuzz_le32(*in + 4);
    cp->image_len = fuzz_le32(*in + 8);
    cp->sync = fuzz_le32(*in + 12);
    memcpy(cp->image_sha256, *in + 16, OTA_SHA256_LEN);
    cp->form = form;
    *in += 48;
    *len -= 48;
    return true;
}

#endif
