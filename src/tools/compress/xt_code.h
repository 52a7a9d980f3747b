/*
 * The coded form of an Xtensa app image's CALLn and L32R instructions
 * (docs/compress-format.md, "Code addresses"), as the compressor sees the
 * image: which bytes the decoder turns back, and which matches it can copy.
 */
#ifndef OTA_TOOLS_XT_CODE_H
#define OTA_TOOLS_XT_CODE_H

#include <stdint.h>


struct xt_code {
    const uint8_t *raw;  /* the image */
    uint8_t *coded;      /* the image with its CALLn and L32R offsets coded as targets */
    uint8_t *place;      /* 0: the byte is as it is; 1 + k: byte k of a coded instruction */
    uint32_t *pc;        /* at a coded instruction's first byte: its address */
};

/* The coded image of raw (len bytes, a sync point every sync bytes): 1 when
 * it is an app image with code to code, 0 when not (nothing allocated), -1
 * when memory runs out. */
int xt_code_make(struct xt_code *x, const uint8_t *raw, uint32_t len, uint32_t sync);

void xt_code_free(struct xt_code *x);

/* The finder's hook (struct lz_finder's copyable): of n bytes of x->coded
 * equal at dst and src, the first ones the decoder copies as they are. */
uint32_t xt_code_copyable(const void *x, uint32_t dst, uint32_t src, uint32_t n);

#endif
