/* Host-side compressor of app images (docs/compress-format.md). */
#ifndef OTA_CZ_MAKE_H
#define OTA_CZ_MAKE_H

#include <stddef.h>
#include <stdint.h>

#include "delta_make.h"

/* The whole compressed file (header and body) of image `in`. 0, or -1 when
 * memory runs out or the image is larger than 4 GiB - 1. */
int cz_compress(const uint8_t *in, size_t len, struct delta_buf *out);

/* The same with a sync point every `sync` output bytes (a nonzero multiple
 * of OTA_CZ_SYNC_UNIT; cz_compress uses OTA_CZ_SYNC_DEFAULT): a decoder can
 * resume at each; every one costs a coder flush and models learnt anew. */
int cz_compress_sync(const uint8_t *in, size_t len, uint32_t sync, struct delta_buf *out);

/* The same with the Xtensa code transform (OTA_CZ_FLAG_XTENSA: on app
 * images with code, what cz_compress_sync does) left out when code is 0:
 * to measure what it gains. */
int cz_compress_code(const uint8_t *in, size_t len, uint32_t sync, int code, struct delta_buf *out);

#endif
