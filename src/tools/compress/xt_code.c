/*
 * The compressor's side of the Xtensa code transform: the image's coded
 * bytes as the decoder will compute them, and the rule the decoder follows
 * to copy a match (compress/cz_xtensa.h, shared with it word for word).
 */
#include "xt_code.h"

#include <stdlib.h>
#include <string.h>

#include "compress/cz_xtensa.h"
#include "ota/image.h"

/* An Xtensa chip's image: ESP32, ESP32-S2, ESP32-S3 (the chip id at offset
 * 12 of the header); the RISC-V chips' code is left as it is. */
static int xtensa_chip(const uint8_t *raw, uint32_t len)
{
    unsigned chip = len >= RL_IMAGE_HDR ? (unsigned)raw[12] | (unsigned)raw[13] << 8 : 0xFFFFu;
    return chip == OTA_CHIP_ESP32 || chip == OTA_CHIP_ESP32S2 || chip == OTA_CHIP_ESP32S3;
}

int xt_code_make(struct xt_code *x, const uint8_t *raw, uint32_t len, uint32_t sync)
{
    memset(x, 0, sizeof(*x));
    if (!xtensa_chip(raw, len)) {
        return 0;
    }
    x->raw = raw;
    x->coded = malloc(len);
    x->place = malloc(len);
    x->pc = malloc(sizeof(uint32_t) * len);
    if (!x->coded || !x->place || !x->pc) {
        xt_code_free(x);
        return -1;
    }
    struct ota_delta_sweep s;
    rl_sweep_init(&s);
    uint32_t stop = sync < len ? sync : len, v = 0, pc = 0;
    unsigned left = 0;
    int code = 0, bad = 0;
    for (uint32_t p = 0; p < len && !bad; p++) {
        if (p == stop) { /* a sync point: the decoder's sweep starts an instruction here */
            rl_sweep_sync(&s, p);
            stop = len - stop > sync ? stop + sync : len;
        }
        if (!left && cz_xt_insn_at(&s, p, stop, &pc) && cz_xt_kind(raw[p])) {
            v = cz_xt_addend(raw[p], pc);
            x->pc[p] = pc;
            left = CZ_XT_INSN;
        }
        x->place[p] = (uint8_t)(left ? 1u + CZ_XT_INSN - left : 0u);
        x->coded[p] = left ? cz_xt_add(&v, raw[p]) : raw[p];
        left -= left ? 1u : 0u;
        bad = rl_sweep_byte(&s, p, raw[p]) != 0; /* the decoder refuses the flag on anything else */
        code |= s.seg_off == p + 1u && rl_is_code(s.seg_addr);
    }
    if (bad || !code) {
        xt_code_free(x);
        return 0;
    }
    return 1;
}

void xt_code_free(struct xt_code *x)
{
    free(x->coded);
    free(x->place);
    free(x->pc);
    x->coded = x->place = NULL;
    x->pc = NULL;
}

/* The byte the decoder writes (coded) for image offset p from source s:
 * inside a coded instruction, the source taken as the same byte of the
 * same kind of instruction, as far back as the match reaches, and coded at
 * that address (decoder: cz_decode.c, xt_copy_byte). */
static uint8_t view(const struct xt_code *x, uint32_t p, uint32_t s)
{
    unsigned k = x->place[p] ? x->place[p] - 1u : 0u;
    if (!x->place[p] || s < k) {
        return x->raw[s];
    }
    uint32_t t = s - k, v = cz_xt_addend(x->raw[p - k], x->pc[p - k] - (p - s));
    for (uint32_t j = t; j < s; j++) {
        cz_xt_add(&v, x->raw[j]);
    }
    return cz_xt_add(&v, x->raw[s]);
}

uint32_t xt_code_copyable(const void *ctx, uint32_t dst, uint32_t src, uint32_t n)
{
    const struct xt_code *x = ctx;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t p = dst + j, s = src + j;
        unsigned kp = x->place[p], ks = x->place[s];
        /* Equal coded bytes the decoder copies without a second look: both
         * as they are, or the same byte of the same kind of instruction
         * as far back in addresses as in the image (one segment). */
        if (kp == ks && (!kp || (((x->raw[p - kp + 1u] ^ x->raw[s - ks + 1u]) & 15u) == 0 &&
                                 x->pc[p - kp + 1u] - x->pc[s - ks + 1u] == p - s))) {
            continue;
        }
        if (view(x, p, s) != x->coded[p]) {
            return j;
        }
    }
    return n;
}
