/*
 * ESP-ADF tone partition ("flash_tone"), formats 0 and 1, as written by
 * ESP-ADF's mk_audio_tone.py. ../shared/docs/esp-formats.md section 6.
 *
 * The image is read through a callback, one header, descriptor or 64-byte
 * table entry at a time, so it can sit in flash, in a file or in memory.
 *
 * Reentrancy: every function works on the caller's structs; the read
 * callback runs synchronously during the call and its ctx need be valid only
 * until the call returns.
 */
#ifndef OTA_TONE_H
#define OTA_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/reader.h"

#include "ota/image.h"

#define OTA_TONE_TAG 0x2053u
#define OTA_TONE_HEADER_LEN 8u
#define OTA_TONE_DESC_LEN 256u
#define OTA_TONE_DESC_MAGIC 0xF55F9876u
#define OTA_TONE_PROJECT "ESP_TONE_BIN"
#define OTA_TONE_ENTRY_LEN 64u
#define OTA_TONE_ENTRY_TAG 0x28u
#define OTA_TONE_TAIL 0xDFACu
#define OTA_TONE_TRAILER_LEN 6u  /* u32 CRC + u16 tail, format 1 */

enum ota_tone_type { OTA_TONE_MP3 = 0, OTA_TONE_WAV = 1 };

struct ota_tone_desc {
    uint32_t magic;
    char version[33];
    char project[33];
    char time[17];
    char date[17];
};

struct ota_tone_file {
    uint8_t tag;
    uint8_t index;
    uint8_t type;
    uint8_t version;
    uint32_t offset;  /* absolute, from the image start */
    uint32_t length;
};

struct ota_tone_info {
    uint16_t tag;
    uint16_t count;
    uint32_t format;
    bool has_desc;
    struct ota_tone_desc desc;
    uint32_t table_offset;
    uint32_t first_file_offset;
    uint32_t files_end;       /* end of the last file, 4-byte aligned */
    uint32_t image_len;       /* files_end, plus the trailer for format 1 */
    uint32_t crc_stored;      /* format 1 */
    uint32_t crc_computed;
    bool crc_valid;
    uint16_t tail;
};

/* Decode the 8-byte header: OTA_ERR_TONE_TAG, OTA_ERR_TONE_FORMAT. */
int ota_tone_parse_header(const uint8_t hdr[OTA_TONE_HEADER_LEN], uint16_t *count, uint32_t *format);

void ota_tone_desc_decode(const uint8_t raw[OTA_TONE_DESC_LEN], struct ota_tone_desc *d);

/* Read entry i of the file table. */
int ota_tone_file_at(ota_read_fn read, void *ctx, const struct ota_tone_info *info, unsigned i,
                     struct ota_tone_file *out);

/* Parse and verify a whole tone image of at most avail bytes: header,
 * descriptor (format 1), every table entry (tag, index, range within
 * avail), and for format 1 the CRC and tail. Fills *info as far as it got.
 * Errors: OTA_ERR_TONE_TAG, _FORMAT, _DESC, _TABLE, _TRUNCATED, _CRC, _TAIL,
 * or the read callback's error. */
int ota_tone_verify(ota_read_fn read, void *ctx, uint32_t avail, struct ota_tone_info *info);

/* ---- builder (mk_audio_tone.py) ---------------------------------------- */

struct ota_tone_writer {
    ota_emit_fn emit;
    void *ctx;
    uint32_t format;
    uint32_t pos;
    uint32_t crc;
    uint32_t file_pos;  /* bytes of the current file written */
};

struct ota_tone_build_params {
    uint32_t format;        /* 0 or 1 */
    uint16_t count;
    const uint32_t *lengths;  /* count file lengths */
    const uint8_t *types;     /* count ota_tone_type values */
    const char *version;    /* format 1: "v1.0" */
    const char *time;       /* format 1: "HH:MM:SS" */
    const char *date;       /* format 1: "YYYY-MM-DD" */
};

/* Emit header, descriptor (format 1) and file table. Then for each file in
 * order: ota_tone_write_data() with its bytes and ota_tone_write_file_end();
 * then ota_tone_write_end() for the format-1 trailer. */
int ota_tone_write_begin(struct ota_tone_writer *w, const struct ota_tone_build_params *p,
                         ota_emit_fn emit, void *ctx);
int ota_tone_write_data(struct ota_tone_writer *w, const void *data, size_t len);
int ota_tone_write_file_end(struct ota_tone_writer *w);
int ota_tone_write_end(struct ota_tone_writer *w);

#endif
