/* ota image info|make|verify */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ota/error.h"
#include "ota/host_file.h"
#include "ota/host_sign.h"
#include "ota/image.h"
#include "ota/signature.h"
#include "cli.h"
#include "commands.h"

/* Verify FILE (or partition LABEL of device image FILE) with opts. */
static int verify_source(const char *path, const char *label, struct ota_image_opts *opts,
                         struct ota_image_info *info, uint32_t *file_size)
{
    if (label) {
        struct ota_host_flash hf;
        static struct ota_ptable table;
        if (cli_open_device_ro(path, &hf, &table)) {
            return CLI_FAIL;
        }
        const struct ota_partition *p = cli_find_partition(&table, label, path);
        if (!p) {
            ota_host_flash_close(&hf);
            return CLI_FAIL;
        }
        int err = ota_image_verify_partition(&hf.flash, p, opts, info);
        ota_host_flash_close(&hf);
        *file_size = p->size;
        return err;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    static struct ota_image_verifier v;
    uint8_t buf[4096];
    size_t n;
    int err = OTA_OK;
    *file_size = 0;
    ota_image_verify_init(&v, opts);
    while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        *file_size += (uint32_t)n;
        err = ota_image_verify_feed(&v, buf, n);
    }
    fclose(f);
    if (err) {
        ota_image_verify_finish(&v, info);
        return err;
    }
    return ota_image_verify_finish(&v, info);
}

static int report_signature(const uint8_t *data, size_t len, uint32_t image_len, const uint8_t *trusted);

/* The region name of the chip's memory map (the core's table). */
static const char *memory_type(uint16_t chip, uint32_t a)
{
    const char *name = ota_chip_region_name(chip, a);
    return name ? name : "";
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
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
static void print_info(const struct ota_image_info *in, uint32_t file_size)
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
            print_hex(in->hash_stored, sizeof(in->hash_stored));
            printf(" (%s)\n", in->hash_valid ? "valid" : "invalid");
            if (!in->hash_valid) {
                printf("Calculated hash: ");
                print_hex(in->hash_computed, sizeof(in->hash_computed));
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
        print_hex(d->app_elf_sha256, sizeof(d->app_elf_sha256));
        printf("\nESP-IDF: %s\nMinimal eFuse block revision: %u.%u\nMaximal eFuse block revision: %u.%u\n",
               d->idf_ver, d->min_efuse_blk_rev / 100, d->min_efuse_blk_rev % 100, d->max_efuse_blk_rev / 100,
               d->max_efuse_blk_rev % 100);
        printf("Secure version: %u\n", d->secure_version);
    }
}

int cmd_image_info(int argc, char **argv)
{
    const char *pos[1], *label = NULL;
    int npos, rc;
    struct cli_opt opts[] = {{"label", &label, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    /* Report, do not judge: any chip, bootloader images too. */
    struct ota_image_opts o = ota_image_opts_app();
    o.is_app = false;
    struct ota_image_info info;
    uint32_t size = 0;
    memset(&info, 0, sizeof(info));
    int err = verify_source(pos[0], label, &o, &info, &size);
    if (err == CLI_FAIL) {
        return CLI_FAIL;
    }
    if (err && err != OTA_ERR_IMG_CHECKSUM && err != OTA_ERR_IMG_HASH && info.header.magic != OTA_IMAGE_MAGIC) {
        cli_error("%s: not an image: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    print_info(&info, size);
    if (!err && !label && info.trailing_len >= OTA_SIG_SECTOR_LEN) {
        uint8_t *data;
        size_t len;
        if (cli_read_file(pos[0], &data, &len) == CLI_OK) {
            report_signature(data, len, info.image_len, NULL);
            free(data);
        }
    }
    if (err) {
        cli_error("%s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_image_verify(int argc, char **argv)
{
    const char *pos[1], *label = NULL, *chip_s = "any", *max_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {{"label", &label, NULL}, {"chip", &chip_s, NULL}, {"max-size", &max_s, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    struct ota_image_opts o = ota_image_opts_app();
    if (!cli_parse_chip(chip_s, &o.chip_id)) {
        return CLI_USAGE;
    }
    if (max_s && !cli_parse_size(max_s, &o.max_len)) {
        cli_error("--max-size %s is not a size", max_s);
        return CLI_USAGE;
    }
    struct ota_image_info info;
    uint32_t size;
    int err = verify_source(pos[0], label, &o, &info, &size);
    if (err == CLI_FAIL) {
        return CLI_FAIL;
    }
    if (err) {
        cli_error("%s%s%s: invalid image: %s (%s)", pos[0], label ? ":" : "", label ? label : "",
                  ota_strerror(err), ota_errname(err));
        return CLI_FAIL;
    }
    printf("%s%s%s: valid %s app image, %u bytes, project %s, version %s, secure_version %u\n", pos[0],
           label ? ":" : "", label ? label : "", ota_chip_name(info.header.chip_id), info.image_len,
           info.desc.project_name, info.desc.version, info.desc.secure_version);
    return CLI_OK;
}

static int emit_file(void *ctx, const void *data, size_t len)
{
    return ota_host_outfile_write(ctx, data, len);
}

int cmd_image_make(int argc, char **argv)
{
    const char *pos[1], *project = NULL, *version = NULL, *secure_s = "0", *size_s = "262144", *chip_s = "esp32";
    const char *idf = "host-build";
    int npos, rc;
    struct cli_opt opts[] = {{"project", &project, NULL}, {"version", &version, NULL},
                             {"secure-version", &secure_s, NULL}, {"size", &size_s, NULL},
                             {"chip", &chip_s, NULL}, {"idf-version", &idf, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (!project || !version) {
        cli_error("--project and --version are required");
        return CLI_USAGE;
    }
    struct ota_image_build_params p;
    memset(&p, 0, sizeof(p));
    p.project_name = project;
    p.version = version;
    p.idf_ver = idf;
    if (!cli_parse_chip(chip_s, &p.chip_id) || p.chip_id == OTA_CHIP_ANY) {
        return CLI_USAGE;
    }
    if (!cli_parse_size(secure_s, &p.secure_version)) {
        cli_error("--secure-version %s is not a number", secure_s);
        return CLI_USAGE;
    }
    if (!cli_parse_size(size_s, &p.size) || p.size < OTA_IMAGE_BUILD_MIN) {
        cli_error("--size %s: give at least %u bytes", size_s, OTA_IMAGE_BUILD_MIN);
        return CLI_USAGE;
    }
    if (strlen(project) > 31 || strlen(version) > 31) {
        cli_error("project and version are at most 31 characters");
        return CLI_USAGE;
    }
    p.size = (p.size + 15u) & ~15u;
    /* Compile time like __DATE__ / __TIME__; SOURCE_DATE_EPOCH makes it reproducible. */
    char date[16], tm_s[16];
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t now = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof(date), "%b %e %Y", &tmv);
    strftime(tm_s, sizeof(tm_s), "%H:%M:%S", &tmv);
    p.date = date;
    p.time = tm_s;
    static struct ota_host_outfile f;
    int err = ota_host_outfile_open(&f, pos[0]);
    if (err) {
        cli_error("cannot create %s: %s", pos[0], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return CLI_FAIL;
    }
    err = ota_image_build(&p, emit_file, &f);
    if (err) {
        ota_host_outfile_abort(&f);
    } else {
        err = ota_host_outfile_commit(&f);
    }
    if (err) {
        cli_error("writing %s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    printf("made %s: %s %s, %u bytes, chip %s, secure_version %u\n", pos[0], project, version, p.size,
           ota_chip_name(p.chip_id), p.secure_version);
    return CLI_OK;
}

/* ---- Secure Boot V2 signatures ---------------------------------------------- */

static bool parse_hex32(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64) {
        return false;
    }
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return false;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

/* Verify and describe the signature sector after the image in data. */
static int report_signature(const uint8_t *data, size_t len, uint32_t image_len, const uint8_t *trusted)
{
    struct cli_mem src = {data, len};
    struct ota_sig_result res;
    int err = ota_sig_verify(cli_mem_read, &src, image_len, trusted, &res);
    printf("\nSecure Boot V2 signature\n========================\n");
    if (err == OTA_ERR_SIG_MISSING) {
        printf("none: no signature sector at 0x%x\n", ota_sig_sector_offset(image_len));
        return err;
    }
    const struct ota_sig_block *b = &res.block;
    printf("Signature sector at 0x%x, %u valid block(s)\n", ota_sig_sector_offset(image_len), res.blocks);
    printf("Block 0: version %u (%s)\n", b->version,
           b->version == OTA_SIG_VERSION_RSA ? "RSA-3072-PSS" : b->version == OTA_SIG_VERSION_ECDSA ? "ECDSA P-256" : "unknown");
    printf("Image digest: ");
    print_hex(b->image_digest, 32);
    printf(" (%s)\n", memcmp(b->image_digest, res.digest, 32) == 0 ? "matches the image" : "does NOT match the image");
    printf("CRC: 0x%08x (%s)\n", b->crc_stored, b->crc_stored == b->crc_computed ? "valid" : "invalid");
    printf("Public key digest: ");
    print_hex(b->key_digest, 32);
    printf("\nSignature: %s\n", err ? ota_strerror(err) : "verified");
    return err;
}

int cmd_image_sign(int argc, char **argv)
{
    const char *pos[2], *key = NULL;
    bool deterministic = false;
    int npos, rc;
    struct cli_opt opts[] = {{"key", &key, NULL}, {"deterministic", NULL, &deterministic}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    if (!key) {
        cli_error("--key KEY.pem (RSA-3072 or EC P-256 private key) is required");
        return CLI_USAGE;
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    static struct ota_host_outfile f;
    int err = ota_host_outfile_open(&f, pos[1]);
    if (err) {
        cli_error("cannot create %s: %s", pos[1], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        free(data);
        return CLI_FAIL;
    }
    err = ota_host_sign(data, len, key, deterministic, emit_file, &f);
    free(data);
    if (err) {
        ota_host_outfile_abort(&f);  /* the output stays as it was */
    } else {
        err = ota_host_outfile_commit(&f);
    }
    if (err) {
        cli_error("signing %s with %s: %s", pos[0], key, ota_strerror(err));
        return CLI_FAIL;
    }
    uint8_t digest[32];
    ota_host_key_digest(key, digest);
    printf("signed %s -> %s (signature sector at 0x%x); key digest ", pos[0], pos[1],
           ota_sig_sector_offset((uint32_t)len));
    print_hex(digest, 32);
    printf("\n");
    return CLI_OK;
}

int cmd_image_verify_signature(int argc, char **argv)
{
    const char *pos[1], *pub = NULL, *digest_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {{"pub", &pub, NULL}, {"key-digest", &digest_s, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint8_t trusted[32];
    bool have_trusted = false;
    if (pub) {
        int err = ota_host_key_digest(pub, trusted);
        if (err) {
            cli_error("%s: %s", pub, ota_strerror(err));
            return CLI_FAIL;
        }
        have_trusted = true;
    } else if (digest_s) {
        if (!parse_hex32(digest_s, trusted)) {
            cli_error("--key-digest wants 64 hex digits");
            return CLI_USAGE;
        }
        have_trusted = true;
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    static struct ota_image_verifier v;
    struct ota_image_info info;
    struct ota_image_opts o = ota_image_opts_app();
    o.is_app = false;
    ota_image_verify_init(&v, &o);
    int err = ota_image_verify_feed(&v, data, len);
    int fin = ota_image_verify_finish(&v, &info);
    if (err || fin) {
        cli_error("%s: not a valid image: %s", pos[0], ota_strerror(err ? err : fin));
        free(data);
        return CLI_FAIL;
    }
    err = report_signature(data, len, info.image_len, have_trusted ? trusted : NULL);
    free(data);
    if (err) {
        cli_error("%s: signature not accepted: %s (%s)", pos[0], ota_strerror(err), ota_errname(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}
