/*
 * ESP-IDF app (and bootloader) image: header, segments, checksum, appended
 * SHA-256, app descriptor. ../shared/docs/esp-formats.md section 4.
 *
 * The verifier is a stream: feed bytes in chunks of any size; its memory is
 * this struct, whatever the image size. It keeps going after a checksum or
 * hash mismatch so `image info` can report both facts, and returns the first
 * error from ota_image_verify_finish().
 */
#ifndef OTA_IMAGE_H
#define OTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/hash.h"

#define OTA_IMAGE_MAGIC 0xE9u
#define OTA_IMAGE_HEADER_LEN 24u
#define OTA_IMAGE_SEG_HEADER_LEN 8u
#define OTA_IMAGE_MAX_SEGMENTS 16u
#define OTA_IMAGE_MAX_SEG_LEN 0x1000000u  /* 16 MiB, exclusive */
#define OTA_APP_DESC_OFFSET 0x20u         /* header + first segment header */
#define OTA_APP_DESC_LEN 256u
#define OTA_APP_DESC_MAGIC 0xABCD5432u
#define OTA_CHECKSUM_SEED 0xEFu

/* Chip ids as in the image header (esp_chip_id_t). */
#define OTA_CHIP_ESP32 0x0000u
#define OTA_CHIP_ESP32S2 0x0002u
#define OTA_CHIP_ESP32C3 0x0005u
#define OTA_CHIP_ESP32S3 0x0009u
#define OTA_CHIP_ANY 0xFFFFu  /* verifier option: accept any chip id */
#define OTA_CHIP_REV_ANY 0xFFFFu  /* verifier option: revision unknown, min/max not checked */

struct ota_image_header {
    uint8_t magic;
    uint8_t segment_count;
    uint8_t spi_mode;
    uint8_t spi_speed;       /* low nibble of byte 3 */
    uint8_t spi_size;        /* high nibble of byte 3 */
    uint32_t entry_addr;
    uint8_t wp_pin;
    uint8_t spi_pin_drv[3];
    uint16_t chip_id;
    uint8_t min_chip_rev;
    uint16_t min_chip_rev_full;
    uint16_t max_chip_rev_full;
    uint8_t hash_appended;
};

struct ota_image_segment {
    uint32_t load_addr;
    uint32_t data_len;
    uint32_t header_offset;  /* file offset of the segment's 8-byte header */
};

struct ota_app_desc {
    uint32_t magic;
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev;
    uint16_t max_efuse_blk_rev;
    uint8_t mmu_page_size;
};

struct ota_image_info {
    struct ota_image_header header;
    struct ota_image_segment segments[OTA_IMAGE_MAX_SEGMENTS];
    unsigned segments_seen;
    uint8_t checksum_stored;
    uint8_t checksum_computed;
    bool checksum_valid;
    uint8_t hash_stored[OTA_SHA256_LEN];
    uint8_t hash_computed[OTA_SHA256_LEN];
    bool hash_valid;          /* meaningful when header.hash_appended */
    bool has_desc;            /* segment 0 held a whole descriptor with the right magic */
    struct ota_app_desc desc;
    uint32_t image_len;       /* header through checksum (and hash) */
    uint32_t trailing_len;    /* bytes fed after the image (signature, padding) */
};

struct ota_image_opts {
    uint16_t chip_id;        /* OTA_CHIP_ANY to skip the chip check */
    uint16_t chip_rev;       /* device revision, major*100+minor; checked against min/max
                              * (OTA_CHIP_REV_ANY: not checked, e.g. a file verified off-device) */
    bool is_app;             /* app rules: segment 0 >= 256 bytes, descriptor magic, a known chip,
                              * every segment mapped or loaded inside the chip's memory map */
    bool check_mapping;      /* apply the 64 KiB mapping rule at flash_offset */
    uint32_t flash_offset;   /* flash address of image byte 0 (the partition offset) */
    uint32_t max_len;        /* bytes the partition holds; 0 = no limit */
};

/* Defaults for an app verified in place: any chip and revision, no mapping check. */
struct ota_image_opts ota_image_opts_app(void);

struct ota_image_verifier {
    struct ota_image_opts opts;
    struct ota_image_info info;
    int state;
    int error;               /* first structural error; sticky */
    uint32_t pos;            /* bytes consumed so far */
    uint32_t need;           /* bytes left in the current field */
    unsigned seg;            /* current segment index */
    uint8_t field[OTA_IMAGE_HEADER_LEN];
    uint8_t desc_raw[OTA_APP_DESC_LEN];
    uint8_t checksum;
    ota_sha256_ctx sha;
};

void ota_image_verify_init(struct ota_image_verifier *v, const struct ota_image_opts *opts);

/* Feed the next len bytes. Returns 0, or the first structural error (magic,
 * segment count/length, chip, mapping, size); once an error is returned,
 * later calls return it again. */
int ota_image_verify_feed(struct ota_image_verifier *v, const void *data, size_t len);

/* True once the checksum (and hash, if appended) have been consumed. */
bool ota_image_verify_done(const struct ota_image_verifier *v);

/* True once the header and the descriptor (if any) are in: enough for a
 * version check before writing the rest. */
bool ota_image_desc_ready(const struct ota_image_verifier *v);

/* Close the stream. Returns 0 when the image is whole and valid, else the
 * first error: structural, OTA_ERR_IMG_TRUNCATED, OTA_ERR_IMG_CHECKSUM,
 * OTA_ERR_IMG_HASH, OTA_ERR_IMG_DESC. *info (optional) gets every fact
 * gathered, even on error. */
int ota_image_verify_finish(struct ota_image_verifier *v, struct ota_image_info *info);

/* Is load_addr in a flash-mapped (IROM/DROM) range of this chip? */
bool ota_image_addr_is_mapped(uint16_t chip_id, uint32_t load_addr);

/* Chips whose memory map we know (ESP32, -S2, -S3, -C3). An app for any
 * other chip is refused (OTA_ERR_IMG_CHIP_MAP) by the verifier and the
 * builder, never judged by another chip's map. */
bool ota_chip_has_memory_map(uint16_t chip_id);

/* "DROM", "IROM", "DRAM", "IRAM", "RTC_..." for addr on this chip, or NULL. */
const char *ota_chip_region_name(uint16_t chip_id, uint32_t addr);

/* Parse a 256-byte app descriptor. */
void ota_app_desc_decode(const uint8_t raw[OTA_APP_DESC_LEN], struct ota_app_desc *d);

const char *ota_chip_name(uint16_t chip_id);

/* ---- builder ---------------------------------------------------------- */

struct ota_image_build_params {
    const char *project_name;
    const char *version;
    uint32_t secure_version;
    uint16_t chip_id;
    uint32_t size;           /* total image size; a multiple of 16, >= OTA_IMAGE_BUILD_MIN */
    const char *time;        /* "HH:MM:SS" as __TIME__ */
    const char *date;        /* "Mmm DD YYYY" as __DATE__ */
    const char *idf_ver;
};

#define OTA_IMAGE_BUILD_MIN 2048u

/* Sink for generated bytes: returns 0 or a negative ota_err to stop. */
typedef int (*ota_emit_fn)(void *ctx, const void *data, size_t len);

/* Emit a valid app image: segment 0 (DROM, mapped) holds the descriptor and
 * a deterministic pseudo-random payload, then a DRAM and an IRAM segment,
 * checksum and SHA-256. Memory is constant whatever the size. The
 * descriptor's ELF SHA-256 stands in for a real ELF's: SHA-256 of the
 * project name, version and size. */
int ota_image_build(const struct ota_image_build_params *p, ota_emit_fn emit, void *ctx);

/* The largest size ota_image_build makes for this chip: its segment 0 is
 * mapped DROM and must end inside the chip's DROM window, as the chip's
 * MMU takes it (a larger size: OTA_ERR_IMG_LOAD_ADDR). 0: no such chip. */
uint32_t ota_image_build_max_size(uint16_t chip_id);



/* ---- verifying an image that sits in flash ------------------------------ */
#include "ota/flash.h"
#include "ota/partition.h"

/* Stream the image at the start of part through the verifier, reading until
 * the image is complete (never past the partition). opts->flash_offset and
 * max_len are set from part; mapping is checked. */
int ota_image_verify_partition(const struct ota_flash *f, const struct ota_partition *part,
                               const struct ota_image_opts *opts, struct ota_image_info *info);
#endif
