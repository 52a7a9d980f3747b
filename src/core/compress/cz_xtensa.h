/*
 * Branch and literal targets of Xtensa code in compressed images
 * (docs/compress-format.md, "Code addresses"), shared word for word by the
 * decoder (core) and the encoder (host tool). Change it only together with
 * the format.
 *
 * When code moves, every CALLn and L32R that reaches across the move
 * changes its pc-relative offset, so two calls of one function from two
 * places differ in their bytes. Coded with the offset turned into the
 * target's absolute word address, they are the same bytes, and matches
 * find them. The sweep of compact patches (compact_reloc.h) finds the
 * segments and instruction starts of the image as it is written; a match's
 * source is taken to be as far back in addresses as in the image (in the
 * same segment), so the decoder keeps no table of segments.
 */
#ifndef OTA_CZ_XTENSA_H
#define OTA_CZ_XTENSA_H

#include <stdint.h>

#include "../delta/compact_reloc.h"

#define CZ_XT_INSN 3u /* CALLn and L32R are 3 bytes long */

/* Whether an instruction with first byte b is one the format codes by its
 * target: CALL0/4/8/12 (op0 5) or L32R (op0 1). */
static inline int cz_xt_kind(uint8_t b)
{
    return (b & 15u) == 5u || (b & 15u) == 1u;
}

/* The addend that turns an instruction with first byte b at address pc
 * into its coded form (24 bits, little-endian like the instruction), or 0
 * for instructions that stay as they are: CALL0/4/8/12 (op0 5, an 18-bit
 * word offset at bit 6), L32R (op0 1, a 16-bit word offset at bit 8). */
static inline uint32_t cz_xt_addend(uint8_t b, uint32_t pc)
{
    switch (b & 15u) {
    case 5:
        return ((pc >> 2) << 6) & 0xFFFFFFu;
    case 1:
        return (((pc + 3u) >> 2) << 8) & 0xFFFFFFu;
    default:
        return 0;
    }
}

/* The next byte of an instruction plus (coded from raw) or minus (raw from
 * coded) its addend: *v holds the addend's bytes still to come and the
 * carry (or borrow) into the next, so the bytes can go one at a time. */
static inline uint8_t cz_xt_add(uint32_t *v, uint8_t b)
{
    uint32_t t = (uint32_t)b + (*v & 0xFFu);
    *v = (*v >> 8) + (t >> 8);
    return (uint8_t)t;
}

static inline uint8_t cz_xt_sub(uint32_t *v, uint8_t b)
{
    uint32_t t = (uint32_t)b - (*v & 0xFFu);
    *v = (*v >> 8) + ((t >> 8) & 1u);
    return (uint8_t)t;
}

/* Whether an instruction the sweep finds starts at p (the next byte, not
 * swept yet) in a code segment, all 3 of its bytes before stop (the next
 * sync point or the image's end); *pc its address. */
static inline int cz_xt_insn_at(const struct ota_delta_sweep *s, uint32_t p, uint32_t stop, uint32_t *pc)
{
    if (p != s->next_insn || p < s->seg_off || p >= s->seg_end || !rl_is_code(s->seg_addr) ||
        s->seg_end - p < CZ_XT_INSN || stop - p < CZ_XT_INSN) {
        return 0;
    }
    *pc = s->seg_addr + (p - s->seg_off);
    return 1;
}

#endif
