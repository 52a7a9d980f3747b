/*
 * Delta updates: a patch turns the running app (the old image) into the new
 * one, streaming, in caller-owned memory of fixed size.
 *
 * Three patch forms are accepted; the applier tells them apart by their
 * first bytes:
 *   - esp_delta_ota: a 64-byte header (magic 0xfccdde10 little-endian, the
 *     old image's SHA-256, 28 zero bytes) and a detools sequential patch;
 *   - a bare detools sequential patch (no header, hence no base check);
 *   - our compact format (docs/delta-format.md): magic "OTAΔ", format
 *     version, sizes, the old and new images' SHA-256, a range-coded body.
 *
 * The applier is push-style: the caller feeds patch bytes in chunks of any
 * size; new-image bytes come out in order through out(); the old image is
 * read at random offsets through read_old() (on a device: the running slot
 * through the flash port). Nothing here allocates or keeps static state;
 * struct ota_delta plus its buffers is at most OTA_DELTA_STATE_MAX bytes
 * (a unit test asserts it).
 */
#ifndef OTA_DELTA_H
#define OTA_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/compress.h"
#include "ota/hash.h"

#define OTA_DELTA_ESP_MAGIC 0xfccdde10u
#define OTA_DELTA_ESP_HEADER_LEN 64u
#define OTA_DELTA_COMPACT_MAGIC 0x94544f4fu /* "OOT\x94" read little-endian: never 0xE9 or 0x10 first */
#define OTA_DELTA_COMPACT_VERSION 8u          /* sync points (a decoder can resume there) */
#define OTA_DELTA_COMPACT_VERSION_NO_SYNC 7u  /* none */
#define OTA_DELTA_COMPACT_SYNC_DEFAULT (256u * 1024u) /* new-image bytes between sync points */
#define OTA_DELTA_COMPACT_HEADER_LEN 84u
/* Header flags (byte 5): bit 0, relocations predicted (a map section
 * before the first command; the applier needs ota_delta_set_scratch). */
#define OTA_DELTA_FLAG_RELOC 0x01u
#define OTA_DELTA_RELOC_SEGS 16u      /* segments of an app image (esp image format's limit) */
#define OTA_DELTA_RELOC_REC 12u       /* bytes of one map record in the scratch region */
#define OTA_DELTA_RELOC_MAGIC 0x504d4c52u /* "RLMP": the scratch area's last record */
/* Enough leading bytes for ota_delta_parse_header on any form (a
 * compressed image's header is shorter). */
#define OTA_DELTA_HEADER_MAX 84u
#define OTA_DELTA_STATE_MAX (16u * 1024u)
/* Steps (diff, extra, seek) in a row that produce nothing: more is a patch
 * that consumes input without output (OTA_ERR_DELTA_STALLED). Real patches
 * (detools' and our maker's, on the vectors) have at most 3 in a row. */
#define OTA_DELTA_IDLE_STEPS_MAX 64u

enum ota_delta_form {
    OTA_DELTA_NONE = 0,      /* not a patch (a full image, say) */
    OTA_DELTA_ESP = 1,       /* esp_delta_ota header + detools sequential */
    OTA_DELTA_DETOOLS = 2,   /* bare detools sequential patch */
    OTA_DELTA_COMPACT = 3,   /* ours */
    OTA_DELTA_COMPRESSED = 4, /* a compressed full image (ota/compress.h): no base */
};

struct ota_delta_header {
    enum ota_delta_form form;
    bool has_base;                         /* base_sha256 is known (not for bare detools) */
    uint8_t base_sha256[OTA_SHA256_LEN];   /* the old image's appended SHA-256 */
    bool has_new;                          /* compact only: */
    uint8_t new_sha256[OTA_SHA256_LEN];    /* SHA-256 of the whole new image */
    uint32_t old_size;                     /* compact only (0 = unknown) */
    uint32_t new_size;                     /* 0 until known (detools: after its size field) */
    uint32_t header_len;                   /* bytes before the patch body */
    uint32_t sync;                         /* compressed, compact: output bytes between sync points, 0 none */
    uint8_t flags;                         /* compact: OTA_DELTA_FLAG_* */
};

/* Where a decoder can start again after a power cut (a sync point: the
 * range coder flushed, every adaptive model reset, a compact patch's old
 * cursor at the new offset; the history it matches into is the output, in
 * flash). 52 bytes: the patch header's identity, its form and two offsets;
 * the running SHA-256 is not kept, it is recomputed from the output already
 * in flash. A compact patch's base is the old image the decoder was begun
 * with (its expect_base): the caller binds the checkpoint to it. */
struct ota_delta_checkpoint {
    uint32_t in_off;                       /* patch offset of the sync point's first body byte */
    uint32_t out_off;                      /* image bytes before it: a multiple of sync */
    uint32_t image_len;                    /* the header's image length */
    uint32_t sync;                         /* the header's sync interval */
    uint8_t image_sha256[OTA_SHA256_LEN];  /* the header's SHA-256 of the image */
    uint32_t form;                         /* OTA_DELTA_COMPRESSED or OTA_DELTA_COMPACT; bits 8-15 the header's flags */
};

/* Does a stream starting with these bytes carry a patch with a header (esp
 * or compact)? Needs 4 bytes; a bare detools patch is not recognised here
 * (its first byte is not distinctive), only by ota_delta_begin. */
bool ota_delta_is_patch(const uint8_t *first, size_t len);

/* Parse the header of a patch from its first bytes. Returns 0, or
 * OTA_ERR_DELTA_TRUNCATED when len is too short to tell (give
 * OTA_DELTA_HEADER_MAX bytes), OTA_ERR_DELTA_FORMAT, or
 * OTA_ERR_DELTA_UNSUPPORTED (a compact version from the future). */
int ota_delta_parse_header(const uint8_t *buf, size_t len, struct ota_delta_header *h);

/* Random access to the old image: copy len bytes at offset into buf.
 * Return 0 or a negative ota_err. */
typedef int (*ota_delta_read_fn)(void *ctx, uint32_t offset, void *buf, uint32_t len);
/* New-image bytes, in order. Return 0 or a negative ota_err (it stops the
 * applier and is returned by ota_delta_write / finish). */
typedef int (*ota_delta_out_fn)(void *ctx, const uint8_t *data, uint32_t len);

#define OTA_DELTA_OLD_BUF 512u
#define OTA_DELTA_OUT_BUF 512u
#define OTA_DELTA_IN_BUF 248u
#define OTA_DELTA_HS_WINDOW_MAX 2048u  /* heatshrink window 2^11 at most */

/* Adaptive binary model of the range coder: one 12-bit probability. */
typedef uint16_t ota_delta_prob;

#define OTA_DELTA_ZERO_CTX_BITS 11u
#define OTA_DELTA_DIFF_CTX 2u
#define OTA_DELTA_X1_BITS 10u  /* extra bytes: order-1 hashed counters */
#define OTA_DELTA_XM_CTX 32u   /* extra bytes: matched-byte counters */
#define OTA_DELTA_PHASES 4u   /* extra bytes: one order-0 tree and weight set per phase */
#define OTA_DELTA_REPS 4u      /* recent alignments a seek can name by index */

/* An integer model: bit length (6-bit tree), the bits below the leading one
 * (the first three with context: lengths of 24 bits and more share one,
 * no image is that big), a sign. */
#define OTA_DELTA_INT_HIGH 25u
struct ota_delta_int_model {
    ota_delta_prob nbits[64];
    ota_delta_prob high[OTA_DELTA_INT_HIGH][8];
    ota_delta_prob sign;
};

/* Decoder of heatshrink (detools' compression 4). */
struct ota_delta_hs {
    uint8_t window_bits, lookahead_bits;
    uint32_t acc;          /* bit accumulator, MSB first */
    uint8_t nacc;          /* valid bits in acc */
    uint16_t head;         /* next write position in window */
    uint8_t window[OTA_DELTA_HS_WINDOW_MAX];
};

/* Parser of the detools sequential stream (after decompression). */
struct ota_delta_dt {
    uint8_t state;
    uint8_t size_shift;    /* bits gathered of the current size field */
    bool size_negative;
    uint32_t size_value;
    uint32_t chunk_left;   /* bytes left in the current diff / extra run */
};

/* Caller-provided scratch storage (ota_delta_set_scratch): on a device a
 * flash region (erase in 4096-byte units before programming), on a host a
 * buffer. Each returns 0 or a negative ota_err. */
struct ota_delta_scratch_ops {
    int (*erase)(void *ctx, uint32_t offset, uint32_t len);
    int (*program)(void *ctx, uint32_t offset, const void *buf, uint32_t len);
    int (*read)(void *ctx, uint32_t offset, void *buf, uint32_t len);
};

/* One segment of an app image: its data's file offset, load address and length. */
struct ota_delta_seg {
    uint32_t off, addr, len;
};

/* The sweep over the new image as it is written: its segment headers and,
 * in code segments, where instructions start. */
struct ota_delta_sweep {
    uint32_t next_hdr;       /* file offset of the next segment header (UINT32_MAX: none) */
    uint32_t seg_off, seg_end, seg_addr;  /* the current segment's data */
    uint32_t next_insn;      /* file offset of the next instruction start */
    uint8_t seg_left;        /* segment headers still to come */
    uint8_t hdr[8];          /* the segment header being read */
};

/* Relocation prediction (compact patches with OTA_DELTA_FLAG_RELOC). */
struct ota_delta_reloc {
    const struct ota_delta_scratch_ops *ops;
    void *ctx;
    uint32_t size;           /* scratch bytes */
    bool shared;             /* the scratch is the output's own storage: the image ends below the map */
    uint32_t base;           /* scratch offset of the first record: the map is the area's last bytes */
    uint32_t n;              /* map pieces */
    uint32_t lo, hi;         /* the first piece's start, the last one's end: no lookup outside */
    uint32_t hint;           /* the piece the last lookup found (checked before use) */
    uint32_t got;            /* pieces decoded so far */
    uint32_t end;            /* while decoding: the last piece's end address */
    int32_t shift;           /* while decoding: the last piece's address shift */
    uint32_t crc;            /* CRC-32 of the new image's SHA-256 and the records */
    uint8_t nsegs;
    struct ota_delta_seg old[OTA_DELTA_RELOC_SEGS];
    struct ota_delta_sweep sw;
};

/* Decoder of our compact format's body (docs/delta-format.md). */
struct ota_delta_compact {
    uint32_t range, code;
    uint8_t init_bytes;                /* code bytes read of the first 5 */
    uint8_t state;
    uint32_t run_left;                 /* bytes left in a diff or extra run */
    uint32_t copy_left;                /* bytes left of a match in an extra run */
    uint8_t nz_hist;                   /* bit i: diff byte i+1 back was non-zero */
    uint8_t old1, old2;                /* the old bytes under the last two diff bytes */
    uint8_t last_nz[4];                /* last non-zero diff byte per new offset & 3 */
    uint8_t rep_hist;                  /* bit i: seek i+1 back named a recent alignment */
    uint8_t phase;                     /* of the byte being decoded: rl_phase */
    uint8_t n1, n2;                    /* extra byte: the two new-image bytes before it */
    uint8_t mbyte;                     /* extra byte: the new-image byte at the last match distance */
    int32_t rep[OTA_DELTA_REPS];       /* recent alignments (old - new offset), latest first */
    ota_delta_prob is_rep[4];
    ota_delta_prob rep_idx[OTA_DELTA_REPS];
    struct ota_delta_int_model len_diff, len_extra, seek;
    ota_delta_prob zero[1u << OTA_DELTA_ZERO_CTX_BITS];
    ota_delta_prob repeat[16];
    ota_delta_prob diff[OTA_DELTA_DIFF_CTX][256];
    ota_delta_prob extra[OTA_DELTA_PHASES][256]; /* extra bytes, order 0 (a bit tree) per phase */
    uint16_t x1[1u << OTA_DELTA_X1_BITS];
    uint16_t xm[OTA_DELTA_XM_CTX];     /* extra bytes: the matched-byte input's counters */
    int32_t xw[OTA_DELTA_PHASES][8][2][3]; /* mixing weights per phase, bit position, match before */
    struct ota_cz_lz lz;               /* extra runs: matches into the new image so far */
    ota_delta_prob rl_flag[4][2];      /* relocations: does the prediction hold, per kind and its last flag */
    uint8_t rl_last;                   /* bit k: the last flag of kind k */
};

struct ota_delta {
    ota_delta_read_fn read_old;
    ota_delta_read_fn read_new; /* compressed images: the output already out */
    ota_delta_out_fn out;
    void *ctx;
    uint32_t old_size;      /* bound for reads of the old image */
    uint32_t out_max;       /* bound for the new image (ota_delta_set_bounds) */
    uint32_t in_left;       /* patch bytes the bound still allows */
    int error;              /* sticky: first error */
    bool finished;
    bool header_done;
    bool step_output;       /* the current step produced a byte */
    uint8_t idle_steps;     /* steps in a row that produced nothing */
    uint8_t compression;    /* detools: 0 none, 4 heatshrink */
    uint8_t hs_param;       /* detools: heatshrink window and lookahead */
    uint8_t hdr_have;       /* header bytes gathered in hdr_buf (<= OTA_DELTA_HEADER_MAX) */
    bool buf_holds_new;     /* old_buf holds new-image bytes read back (delta_peek_new) */
    struct ota_delta_header hdr;
    uint8_t hdr_buf[OTA_DELTA_HEADER_MAX];
    uint32_t new_pos;       /* new-image bytes produced */
    const uint8_t *expect_base;  /* digest the header must name, or NULL */

    int64_t old_pos;        /* next old byte a diff run adds to */
    uint32_t old_buf_off;   /* old image offset of old_buf[0] */
    uint32_t old_buf_len;
    uint8_t old_buf[OTA_DELTA_OLD_BUF];
    uint32_t out_len;
    uint8_t out_buf[OTA_DELTA_OUT_BUF];
    uint32_t in_len;        /* compact: buffered body bytes */
    uint32_t in_pos;        /* compact: the next of them to decode */
    uint32_t overread;      /* compact: bytes the decoder wanted past the end */
    uint8_t in_buf[OTA_DELTA_IN_BUF];
    ota_sha256_ctx sha;     /* compact: SHA-256 of the output */
    uint32_t body_in;       /* compressed, compact: body bytes fed */
    struct ota_delta_checkpoint cp;  /* the last sync point passed (out_off 0: none) */
    struct ota_delta_reloc rl;       /* compact with OTA_DELTA_FLAG_RELOC */

    union {
        struct {
            struct ota_delta_hs hs;
            struct ota_delta_dt dt;
        } detools;
        struct ota_delta_compact compact;
        struct ota_cz cz;
    } u;
};

/* Start applying a patch. old_size bounds the old image (reads beyond it are
 * a corrupt patch). expect_base, if not NULL, is the running app's SHA-256:
 * a patch whose header names another base fails with OTA_ERR_DELTA_BASE
 * before a single byte goes out (a bare detools patch names no base and is
 * then refused with OTA_ERR_DELTA_BASE too). */
int ota_delta_begin(struct ota_delta *d, uint32_t old_size, const uint8_t *expect_base,
                    ota_delta_read_fn read_old, ota_delta_out_fn out, void *ctx);

/* The last sync point the decoder passed (compressed images of version 2,
 * compact patches of version 4):
 * true and *cp filled, or false (none yet, or a form without them). Worth
 * keeping once the image's first cp->out_off bytes are durable. */
bool ota_delta_checkpoint(const struct ota_delta *d, struct ota_delta_checkpoint *cp);

/* Instead of a header: continue at checkpoint cp, right after
 * ota_delta_begin (and set_history, set_bounds). The image's first
 * cp->out_off bytes must be readable through read_new (the SHA-256 is
 * recomputed over them); the next bytes written are the patch's from
 * cp->in_off. A compact patch's resumes onto the old image and base given
 * to ota_delta_begin (a NULL expect_base: OTA_ERR_DELTA_CHECKPOINT). A
 * checkpoint that cannot be a sync point (out of range, off the interval,
 * a length over the bounds, another form) is OTA_ERR_DELTA_CHECKPOINT; one
 * of another image ends in OTA_ERR_DELTA_RESULT at the finish, as any
 * wrong output does. */
int ota_delta_resume(struct ota_delta *d, const struct ota_delta_checkpoint *cp);

/* Bound the stream (after begin, before the first byte): a header naming
 * a new image longer than out_max fails with OTA_ERR_DELTA_OUTPUT_BOUND
 * before any output, a patch longer than in_max with
 * OTA_ERR_DELTA_INPUT_BOUND when the byte past it arrives. A device sets
 * both: out_max the size the manifest signs or the target slot's size,
 * in_max the patch size the manifest signs or the slot's size. 0 is not
 * "no bound": OTA_ERR_INVALID_ARG. Without this call the applier is
 * bounded only by the header (host tools). Whatever the bounds, a patch
 * that stalls (OTA_DELTA_IDLE_STEPS_MAX empty steps) fails with
 * OTA_ERR_DELTA_STALLED. */
int ota_delta_set_bounds(struct ota_delta *d, uint32_t out_max, uint32_t in_max);

/* Compressed images (ota/compress.h) take their matches from the output
 * already produced: read_new(ctx, offset, buf, len) must return those bytes
 * (offset + len <= what out() was given). Without it, a compressed image
 * fails with OTA_ERR_DELTA_UNSUPPORTED. Call after ota_delta_begin. */
void ota_delta_set_history(struct ota_delta *d, ota_delta_read_fn read_new);

/* Compact patches that predict relocations keep their map (12 bytes a
 * piece, some thousands) not in RAM but in the last sectors of size bytes
 * of scratch storage the caller provides: its last 12 bytes say how many
 * pieces and their CRC-32, the pieces below, the sectors they take erased
 * before the first output byte. shared: the scratch is the output's own
 * storage (a device: the target slot below the journal), so the new image
 * must end below the map (else OTA_ERR_DELTA_OUTPUT_BOUND, before any
 * output); a host passes a buffer of its own (false). Without a scratch
 * such a patch fails with OTA_ERR_DELTA_UNSUPPORTED before any output.
 * size: a nonzero multiple of 4096. Call after ota_delta_begin. */
int ota_delta_set_scratch(struct ota_delta *d, const struct ota_delta_scratch_ops *ops, void *ctx, uint32_t size,
                          bool shared);

/* Feed the next len patch bytes (any len, including 0 and 1). Returns 0 or
 * the first error (sticky: later calls return it again). */
int ota_delta_write(struct ota_delta *d, const void *patch, size_t len);

/* The patch is complete: flush the last bytes and check the new image is
 * whole (and, for compact patches, its SHA-256). Returns 0 or an error. */
int ota_delta_finish(struct ota_delta *d);

/* The header, once its bytes have been fed (NULL before). */
const struct ota_delta_header *ota_delta_header_of(const struct ota_delta *d);

/* New-image bytes produced so far. */
uint32_t ota_delta_produced(const struct ota_delta *d);

#endif
