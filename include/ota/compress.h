/*
 * Compressed full app images (docs/compress-format.md): LZ77 matches at any
 * distance into the image's own already-written bytes, and literals coded
 * by a small context-mixing model, one range-coded stream.
 *
 * The delta applier (ota/delta.h) decodes them as one more form: same
 * push-style calls, same caller-owned state, the output through out(). The
 * decoder keeps no window in RAM: a match's source bytes are read back
 * from what it has already written (ota_delta_set_history), in 512-byte
 * reads, so its memory does not grow with the distance it reaches.
 */
#ifndef OTA_COMPRESS_H
#define OTA_COMPRESS_H

#include <stdint.h>

#define OTA_CZ_MAGIC 0x95544f4fu /* "OOT\x95" read little-endian: never 0xE9, 0x10 or a compact patch */
#define OTA_CZ_VERSION 5u          /* 5: two literal counters (no instruction input); 1-4 (older models) are refused */
#define OTA_CZ_FLAG_XTENSA 0x01u    /* header flag: CALLn and L32R offsets coded as targets (Xtensa app images) */
#define OTA_CZ_SYNC_DEFAULT (256u * 1024u) /* output bytes between sync points: +0.1 % size */
#define OTA_CZ_SYNC_UNIT 4096u     /* sync points fall on flash sector boundaries */
#define OTA_CZ_HEADER_LEN 48u

#define OTA_CZ_REPS 4u
#define OTA_CZ_O1_BITS 11u   /* literal counters: order 1, the previous byte's top 3 bits x 256 nodes */
#define OTA_CZ_O0_CTRS (3u * 3u * 256u) /* literal counters: order 0, by instruction phase x agreement x node */
#define OTA_CZ_MIX_SETS 96u  /* weight sets: bit position x predicted-byte agreement x after a match x instruction phase */
#define OTA_CZ_MIX_INPUTS 2u  /* two counters */
#define OTA_CZ_SQUASH_STEPS 256u /* the logistic curve as a table, 1/16 apart */
#define OTA_CZ_LEN_CTX 3u    /* distance bit-length trees by match length: 2, 3, 4+ */

/* An integer: its bit length (6-bit tree), the first three bits below the
 * leading one with context, the rest direct. */
struct ota_cz_int {
    uint16_t nbits[64];
    uint16_t high[33][8];
};

/* The LZ77 part (match or literal, recent distances, lengths, distances),
 * shared by compressed images and the extra runs of compact patches. */
struct ota_cz_lz {
    uint8_t kinds;                  /* bit i: symbol i+1 back was a match */
    uint32_t rep[OTA_CZ_REPS];      /* recent match distances, latest first */
    uint16_t is_match[32];
    uint16_t is_rep[8];
    uint16_t rep_idx[4];
    struct ota_cz_int len_new, len_rep;
    uint16_t dist_nbits[OTA_CZ_LEN_CTX][64];
    uint16_t dist_high[33][8];
    uint16_t dist_low[16];          /* the lowest two bits of distances of 6 bits or more */
};

struct ota_cz {
    uint32_t range, code;
    uint8_t init_bytes;
    uint8_t state;
    uint8_t since_match;            /* literals since the last match, capped */
    uint32_t run_left;              /* bytes left of the match being copied */
    uint32_t stop;                  /* decoder: the next sync point or the end (0: not yet known) */
    uint8_t c1;                     /* the last output byte */
    uint8_t ph, ilen;               /* byte of the instruction (Xtensa: 2 or 3 bytes, by its opcode nibble), its length */
    uint8_t xt_left;                /* OTA_CZ_FLAG_XTENSA: bytes left of a coded instruction (0: none) */
    uint8_t xt_op;                  /* its first byte */
    uint32_t xt_pc;                 /* its address */
    uint8_t xt_fresh;               /* a match starts: its source's instruction not known yet */
    uint32_t xt_dst;                /* the rest of its addend and the borrow: coded to image bytes */
    uint32_t xt_src;                /* the same for the match source's instruction: image to coded bytes */
    struct ota_cz_lz lz;
    uint16_t o0[OTA_CZ_O0_CTRS];    /* by instruction phase, agreement with the predicted byte, the bits so far */
    uint16_t o1[1u << OTA_CZ_O1_BITS];
    int32_t w[OTA_CZ_MIX_SETS][OTA_CZ_MIX_INPUTS];
    uint16_t squash[OTA_CZ_SQUASH_STEPS];
};

#endif
