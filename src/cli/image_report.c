/* How an app image is described: esptool's image_info layout as text, the
 * same facts as JSON, and the Secure Boot V2 signature sector. */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/signature.h"
#include "cli.h"
#include "image_report.h"

void cli_print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

/* The region name of the chip's memory map (the core's table). */
static const char *memory_type(uint16_t chip, uint32_t a)
{
    const char *name = ota_chip_region_name(chip, a);
    return name ? name : "";
}

static const char *flash_size_name(uint8_t v)
{
    static const char *names[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};
    return v < 8 ? names[v] : "unknown";
}

static const char *flash_freq_name(uint8_t v)
{
    switch (v) {
    case 0x0: return "40m";
    case 0x1: return "26m";
    case 0x2: return "20m";
    case 0xF: return "80m";
    default: return "unknown";
    }
}

static const char *flash_mode_name(uint8_t v)
{
    static const char *names[] = {"QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ"};
    return v < 6 ? names[v] : "unknown";
}

/* The facts esptool's image_info (v4.8) prints, in its layout. */
void image_report_text(const struct ota_image_info *in, uint32_t file_size)
{
    const struct ota_image_header *h = &in->header;
    const char *chip = ota_chip_name(h->chip_id);
    printf("File size: %u (bytes)\n", file_size);
    printf("Image size: %u bytes\n\n", in->image_len);
    printf("%s image header\n==================\n", chip);
    printf("Image version: 1\nEntry point: 0x%08x\nSegments: %u\n", h->entry_addr, h->segment_count);
    printf("Flash size: %s\nFlash freq: %s\nFlash mode: %s\n\n", flash_size_name(h->spi_size),
           flash_freq_name(h->spi_speed), flash_mode_name(h->spi_mode));
    printf("%s extended image header\n===========================\n", chip);
    printf("WP pin: 0x%02x%s\n", h->wp_pin, h->wp_pin == 0xEE ? " (disabled)" : "");
    printf("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, "
           "wp_drv: 0x%x\n", h->spi_pin_drv[0] & 0xF, h->spi_pin_drv[0] >> 4, h->spi_pin_drv[1] & 0xF,
           h->spi_pin_drv[1] >> 4, h->spi_pin_drv[2] & 0xF, h->spi_pin_drv[2] >> 4);
    printf("Chip ID: %u (%s)\n", h->chip_id, chip);
    printf("Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n", h->min_chip_rev_full / 100,
           h->min_chip_rev_full % 100, h->min_chip_rev);
    printf("Maximal chip revision: v%u.%u\n", h->max_chip_rev_full / 100, h->max_chip_rev_full % 100);
    printf("Hash appended: %s\n\n", h->hash_appended == 1 ? "yes" : "no");
    printf("Segments information\n====================\n");
    printf("Segment   Length   Load addr   File offs  Memory types\n");
    printf("-------  -------  ----------  ----------  ------------\n");
    for (unsigned i = 0; i < in->segments_seen; i++) {
        const struct ota_image_segment *s = &in->segments[i];
        printf("%7u  0x%05x  0x%08x  0x%08x  %s\n", i, s->data_len, s->load_addr, s->header_offset,
               memory_type(h->chip_id, s->load_addr));
    }
    printf("\n%s image footer\n==================\n", chip);
    if (in->image_len) {
        printf("Checksum: 0x%02x (%s)\n", in->checksum_stored,
               in->checksum_valid ? "valid" : "invalid");
        if (!in->checksum_valid) {
            printf("Calculated checksum: 0x%02x\n", in->checksum_computed);
        }
        if (h->hash_appended == 1) {
            printf("Validation hash: ");
            cli_print_hex(in->hash_stored, sizeof(in->hash_stored));
            printf(" (%s)\n", in->hash_valid ? "valid" : "invalid");
            if (!in->hash_valid) {
                printf("Calculated hash: ");
                cli_print_hex(in->hash_computed, sizeof(in->hash_computed));
                printf("\n");
            }
        }
    } else {
        printf("Checksum: (image incomplete)\n");
    }
    if (in->has_desc) {
        const struct ota_app_desc *d = &in->desc;
        printf("\nApplication information\n=======================\n");
        printf("Project name: %s\nApp version: %s\nCompile time: %s %s\nELF file SHA256: ", d->project_name,
               d->version, d->date, d->time);
        cli_print_hex(d->app_elf_sha256, sizeof(d->app_elf_sha256));
        printf("\nESP-IDF: %s\nMinimal eFuse block revision: %u.%u\nMaximal eFuse block revision: %u.%u\n",
               d->idf_ver, d->min_efuse_blk_rev / 100, d->min_efuse_blk_rev % 100, d->max_efuse_blk_rev / 100,
               d->max_efuse_blk_rev % 100);
        printf("Secure version: %u\n", d->secure_version);
    }
}

/* Verify and describe the signature sector after the image in data. */
static const char *sig_scheme(uint8_t version)
{
    return version == OTA_SIG_VERSION_RSA ? "RSA-3072-PSS" : version == OTA_SIG_VERSION_ECDSA ? "ECDSA P-256" : "unknown";
}

static void signature_text(const struct ota_sig_result *res, uint32_t image_len, int err)
{
    printf("\nSecure Boot V2 signature\n========================\n");
    if (err == OTA_ERR_SIG_MISSING) {
        printf("none: no signature sector at 0x%x\n", ota_sig_sector_offset(image_len));
        return;
    }
    const struct ota_sig_block *b = &res->block;
    printf("Signature sector at 0x%x, %u valid block(s)\n", ota_sig_sector_offset(image_len), res->blocks);
    printf("Block 0: version %u (%s)\n", b->version, sig_scheme(b->version));
    printf("Image digest: ");
    cli_print_hex(b->image_digest, 32);
    printf(" (%s)\n", memcmp(b->image_digest, res->digest, 32) == 0 ? "matches the image" : "does NOT match the image");
    printf("CRC: 0x%08x (%s)\n", b->crc_stored, b->crc_stored == b->crc_computed ? "valid" : "invalid");
    printf("Public key digest: ");
    cli_print_hex(b->key_digest, 32);
    printf("\nSignature: %s\n", err ? ota_strerror(err) : "verified");
}

static void signature_json(struct json *j, const struct ota_sig_result *res, uint32_t image_len, int err)
{
    const struct ota_sig_block *b = &res->block;
    json_object(j, "signature");
    json_uint(j, "sector_offset", ota_sig_sector_offset(image_len));
    json_bool(j, "present", err != OTA_ERR_SIG_MISSING);
    if (err != OTA_ERR_SIG_MISSING) {
        json_uint(j, "valid_blocks", res->blocks);
        json_uint(j, "version", b->version);
        json_str(j, "scheme", sig_scheme(b->version));
        json_hex(j, "image_digest", b->image_digest, 32);
        json_bool(j, "image_digest_matches", memcmp(b->image_digest, res->digest, 32) == 0);
        json_uint(j, "crc", b->crc_stored);
        json_bool(j, "crc_valid", b->crc_stored == b->crc_computed);
        json_hex(j, "key_digest", b->key_digest, 32);
    }
    json_bool(j, "verified", err == OTA_OK);
    json_error(j, "error", err);
    json_close(j);
}

int image_report_signature(const uint8_t *data, size_t len, uint32_t image_len, const uint8_t *trusted,
                           struct json *j)
{
    struct cli_mem src = {data, len};
    struct ota_sig_result res;
    memset(&res, 0, sizeof(res));
    int err = ota_sig_verify(cli_mem_read, &src, image_len, trusted, &res);
    if (j) {
        signature_json(j, &res, image_len, err);
    } else {
        signature_text(&res, image_len, err);
    }
    return err;
}

static void header_json(struct json *j, const struct ota_image_header *h)
{
    json_object(j, "header");
    json_uint(j, "entry", h->entry_addr);
    json_uint(j, "segments", h->segment_count);
    json_str(j, "flash_size", flash_size_name(h->spi_size));
    json_str(j, "flash_freq", flash_freq_name(h->spi_speed));
    json_str(j, "flash_mode", flash_mode_name(h->spi_mode));
    json_uint(j, "wp_pin", h->wp_pin);
    json_uint(j, "chip_id", h->chip_id);
    json_str(j, "chip", ota_chip_name(h->chip_id));
    json_uint(j, "min_chip_rev_full", h->min_chip_rev_full);
    json_uint(j, "max_chip_rev_full", h->max_chip_rev_full);
    json_bool(j, "hash_appended", h->hash_appended == 1);
    json_close(j);
}

static void segments_json(struct json *j, const struct ota_image_info *in)
{
    json_array(j, "segments");
    for (unsigned i = 0; i < in->segments_seen; i++) {
        const struct ota_image_segment *s = &in->segments[i];
        json_object(j, NULL);
        json_uint(j, "length", s->data_len);
        json_uint(j, "load_addr", s->load_addr);
        json_uint(j, "file_offset", s->header_offset);
        json_str(j, "memory", memory_type(in->header.chip_id, s->load_addr));
        json_close(j);
    }
    json_close(j);
}

static void integrity_json(struct json *j, const struct ota_image_info *in)
{
    if (!in->image_len) {
        json_null(j, "checksum");
        json_null(j, "hash");
        return;
    }
    json_object(j, "checksum");
    json_uint(j, "stored", in->checksum_stored);
    json_uint(j, "computed", in->checksum_computed);
    json_bool(j, "valid", in->checksum_valid);
    json_close(j);
    if (in->header.hash_appended != 1) {
        json_null(j, "hash");
        return;
    }
    json_object(j, "hash");
    json_hex(j, "stored", in->hash_stored, sizeof(in->hash_stored));
    json_hex(j, "computed", in->hash_computed, sizeof(in->hash_computed));
    json_bool(j, "valid", in->hash_valid);
    json_close(j);
}

static void desc_json(struct json *j, const struct ota_image_info *in)
{
    const struct ota_app_desc *d = &in->desc;
    if (!in->has_desc) {
        json_null(j, "app");
        return;
    }
    json_object(j, "app");
    json_str(j, "project", d->project_name);
    json_str(j, "version", d->version);
    json_str(j, "compile_date", d->date);
    json_str(j, "compile_time", d->time);
    json_hex(j, "elf_sha256", d->app_elf_sha256, sizeof(d->app_elf_sha256));
    json_str(j, "idf_version", d->idf_ver);
    json_uint(j, "min_efuse_blk_rev", d->min_efuse_blk_rev);
    json_uint(j, "max_efuse_blk_rev", d->max_efuse_blk_rev);
    json_uint(j, "secure_version", d->secure_version);
    json_close(j);
}

void image_report_json(struct json *j, const struct ota_image_info *in, uint32_t file_size)
{
    json_uint(j, "file_size", file_size);
    json_uint(j, "image_size", in->image_len);
    header_json(j, &in->header);
    segments_json(j, in);
    integrity_json(j, in);
    desc_json(j, in);
}
