/*
 * Random-access reading, the one shape every checker reads through: a
 * partition in flash (ota_part_reader), a file, a buffer in RAM.
 *
 * A reader runs synchronously in the caller's context; the core never keeps
 * ctx or buf after the call that was given them returns.
 */
#ifndef OTA_READER_H
#define OTA_READER_H

#include <stdint.h>

/* Copy len bytes at offset into buf. Returns 0 or a negative ota_err
 * (OTA_ERR_OUT_OF_BOUNDS past the end). */
typedef int (*ota_read_fn)(void *ctx, uint32_t offset, void *buf, uint32_t len);

#endif
