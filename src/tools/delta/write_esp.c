/*
 * esp_delta_ota's patch file: a 64-byte header (magic 0xfccdde10
 * little-endian, the old image's appended SHA-256, 28 zero bytes), then a
 * detools sequential patch: the byte 0x04 (sequential, heatshrink), the new
 * size, the heatshrink parameter byte 0x44 (window 2^8, lookahead 2^7), and
 * the heatshrink-compressed command stream.
 */
#include <stdlib.h>
#include <string.h>

#include "delta_make.h"
#include "ota/delta.h"

#define ESP_WINDOW_BITS 8u
#define ESP_LOOKAHEAD_BITS 7u

/* detools' header size: 6 bits in the first byte, then 7 per byte. */
static int put_header_size(struct delta_buf *b, uint64_t v)
{
    int err = delta_buf_byte(b, (uint8_t)((v & 0x3f) | (v > 0x3f ? 0x80 : 0)));
    for (v >>= 6; v && !err; v >>= 7) {
        err = delta_buf_byte(b, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
    }
    return err;
}

/* detools' signed size: bit 6 of the first byte is the sign. */
static int put_size(struct delta_buf *b, int64_t value)
{
    uint64_t v = value < 0 ? (uint64_t)(-value) : (uint64_t)value;
    uint8_t first = (uint8_t)((v & 0x3f) | (value < 0 ? 0x40 : 0) | (v > 0x3f ? 0x80 : 0));
    int err = delta_buf_byte(b, first);
    for (v >>= 6; v && !err; v >>= 7) {
        err = delta_buf_byte(b, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
    }
    return err;
}

/* The uncompressed command stream of a plan. */
static int command_stream(const uint8_t *old, const uint8_t *nw, const struct delta_plan *plan, struct delta_buf *s)
{
    size_t op = 0, np = 0;
    int err = put_size(s, 0); /* no data-format patch */
    for (size_t c = 0; c < plan->count && !err; c++) {
        const struct delta_cmd *cmd = &plan->cmds[c];
        err |= put_size(s, cmd->diff_len);
        for (uint32_t i = 0; i < cmd->diff_len && !err; i++) {
            err |= delta_buf_byte(s, (uint8_t)(nw[np++] - old[op++]));
        }
        err |= put_size(s, cmd->extra_len);
        err |= delta_buf_put(s, nw + np, cmd->extra_len);
        np += cmd->extra_len;
        err |= put_size(s, cmd->seek);
        op = (size_t)((int64_t)op + cmd->seek);
    }
    return err;
}

int delta_write_esp(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                    const struct delta_plan *plan, struct delta_buf *out)
{
    uint8_t hdr[OTA_DELTA_ESP_HEADER_LEN] = {0x10, 0xde, 0xcd, 0xfc};
    if (old_len >= 32) {
        memcpy(hdr + 4, old + old_len - 32, 32);
    }
    struct delta_buf stream = {0};
    int err = delta_buf_put(out, hdr, sizeof(hdr));
    err |= delta_buf_byte(out, 0x04);
    err |= put_header_size(out, new_len);
    err |= delta_buf_byte(out, (uint8_t)(((ESP_WINDOW_BITS - 4) << 4) | (ESP_LOOKAHEAD_BITS - 3)));
    err |= command_stream(old, nw, plan, &stream);
    if (!err) {
        err = delta_heatshrink_encode(stream.data, stream.len, ESP_WINDOW_BITS, ESP_LOOKAHEAD_BITS, out);
    }
    free(stream.data);
    return err;
}
