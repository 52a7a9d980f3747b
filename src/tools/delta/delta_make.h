/*
 * Host-side patch maker: plan the patch (bsdiff-style approximate matching
 * over a suffix array of the old image), then write it in esp_delta_ota's
 * format (detools sequential + heatshrink) or in our compact format.
 */
#ifndef OTA_DELTA_MAKE_H
#define OTA_DELTA_MAKE_H

#include <stddef.h>
#include <stdint.h>

/* One step of a plan: diff_len bytes = new - old (from the old cursor, which
 * advances with them), extra_len bytes of new taken as they are, then the
 * old cursor moves by seek. */
struct delta_cmd {
    uint32_t diff_len, extra_len;
    int64_t seek;
};

struct delta_plan {
    struct delta_cmd *cmds;
    size_t count, cap;
};

/* A growable byte buffer for the patch being written. */
struct delta_buf {
    uint8_t *data;
    size_t len, cap;
};

int delta_buf_put(struct delta_buf *b, const void *p, size_t n);
int delta_buf_byte(struct delta_buf *b, uint8_t v);

/* 0, or -1 when memory runs out. */
int delta_plan_make(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len, struct delta_plan *plan);
void delta_plan_free(struct delta_plan *plan);

/* heatshrink with window 2^w and lookahead 2^l (esp_delta_ota: 8 and 7). */
int delta_heatshrink_encode(const uint8_t *in, size_t len, unsigned w, unsigned l, struct delta_buf *out);

/* The whole patch file in either format. base is the old image's appended
 * SHA-256 (its last 32 bytes). */
int delta_write_esp(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                    const struct delta_plan *plan, struct delta_buf *out);
int delta_write_compact(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                        const struct delta_plan *plan, struct delta_buf *out);
/* The compact format with a sync point every `sync` new-image bytes (a
 * multiple of OTA_CZ_SYNC_UNIT; delta_write_compact uses
 * OTA_DELTA_COMPACT_SYNC_DEFAULT), where a device can resume after a power
 * cut; 0 writes format 3, without them. */
int delta_write_compact_sync(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                             const struct delta_plan *plan, uint32_t sync, struct delta_buf *out);

/* The compact format with header flags (OTA_DELTA_FLAG_RELOC: relocations
 * predicted, both images must be ESP app images). */
int delta_write_compact_opts(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                             const struct delta_plan *plan, uint32_t sync, unsigned flags, struct delta_buf *out);

struct ota_delta_seg;
/* An app image's segment table (at most 16): 0, or not an app image. */
int delta_image_segs(const uint8_t *img, size_t len, struct ota_delta_seg *segs, uint8_t *n);

/* The map of old load addresses to their address shift, from the plan:
 * pieces {start, length, shift} sorted by start, not overlapping (malloc'd
 * into *pieces). 0, or -1 when an image is not an app image or memory runs
 * out. */
int delta_reloc_map(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                    const struct delta_plan *plan, uint32_t (**pieces)[3], size_t *count);

#endif
