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
#include "image_report.h"
#include "json.h"

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
    FILE *f = cli_open_input(path);
    if (!f) {
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

/* image info's document: the image's facts, its signature, the verdict. */
static void info_json(const char *path, const struct ota_image_info *info, uint32_t size, int err,
                      const uint8_t *data, size_t len)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "file", path);
    image_report_json(&j, info, size);
    if (data) {
        image_report_signature(data, len, info->image_len, NULL, &j);
    }
    json_bool(&j, "valid", err == OTA_OK);
    json_error(&j, "error", err);
    json_end(&j);
}

/* The signed file whole, when the image has a signature sector after it. */
static uint8_t *read_signed(const char *path, const char *label, const struct ota_image_info *info, int err,
                            size_t *len)
{
    uint8_t *data = NULL;
    if (!err && !label && info->trailing_len >= OTA_SIG_SECTOR_LEN && cli_read_file(path, &data, len) != CLI_OK) {
        data = NULL;
    }
    return data;
}

int cmd_image_info(int argc, char **argv)
{
    const char *pos[1], *label = NULL;
    bool json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE_D("label", &label, "LABEL", "read partition LABEL of device image FILE", "FILE is an image file"),
        CLI_JSON(&json),
        CLI_END};
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
    size_t len = 0;
    uint8_t *data = read_signed(pos[0], label, &info, err, &len);
    if (json) {
        info_json(pos[0], &info, size, err, data, len);
    } else {
        image_report_text(&info, size);
        if (data) {
            image_report_signature(data, len, info.image_len, NULL, NULL);
        }
    }
    free(data);
    if (err) {
        cli_error("%s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void verify_json(const char *path, const char *label, const struct ota_image_info *info, int err)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "file", path);
    json_str(&j, "label", label);
    json_bool(&j, "valid", err == OTA_OK);
    json_error(&j, "error", err);
    if (!err) {
        json_str(&j, "chip", ota_chip_name(info->header.chip_id));
        json_uint(&j, "image_size", info->image_len);
        json_str(&j, "project", info->desc.project_name);
        json_str(&j, "version", info->desc.version);
        json_uint(&j, "secure_version", info->desc.secure_version);
    }
    json_end(&j);
}

int cmd_image_verify(int argc, char **argv)
{
    const char *pos[1], *label = NULL, *chip_s = "any", *max_s = NULL;
    bool json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE_D("label", &label, "LABEL", "verify partition LABEL of device image FILE", "FILE is an image file"),
        CLI_VALUE("chip", &chip_s, "C", "the device's chip: esp32, esp32s2, esp32c3, esp32s3 or any"),
        CLI_VALUE_D("max-size", &max_s, "BYTES", "refuse an image longer than this (its slot)", "no limit"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    struct ota_image_opts o = ota_image_opts_app();
    if (!cli_parse_chip(chip_s, &o.chip_id, true)) {
        return CLI_USAGE;
    }
    if (max_s && !cli_parse_size(max_s, &o.max_len)) {
        cli_error("--max-size %s is not a size", max_s);
        return CLI_USAGE;
    }
    struct ota_image_info info;
    uint32_t size;
    memset(&info, 0, sizeof(info));
    int err = verify_source(pos[0], label, &o, &info, &size);
    if (err == CLI_FAIL) {
        return CLI_FAIL;
    }
    if (json) {
        verify_json(pos[0], label, &info, err);
    }
    if (err) {
        cli_error("%s%s%s: invalid image: %s (%s)", pos[0], label ? ":" : "", label ? label : "",
                  ota_strerror(err), ota_errname(err));
        return CLI_FAIL;
    }
    if (!json) {
        printf("%s%s%s: valid %s app image, %u bytes, project %s, version %s, secure_version %u\n", pos[0],
               label ? ":" : "", label ? label : "", ota_chip_name(info.header.chip_id), info.image_len,
               info.desc.project_name, info.desc.version, info.desc.secure_version);
    }
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
    struct cli_opt opts[] = {
        CLI_VALUE("project", &project, "P", "project name in the app descriptor (required)"),
        CLI_VALUE("version", &version, "V", "app version in the descriptor, e.g. v2.0.0 (required)"),
        CLI_VALUE("secure-version", &secure_s, "N", "anti-rollback secure_version"),
        CLI_VALUE("size", &size_s, "BYTES", "image size (rounded up to 16)"),
        CLI_VALUE("chip", &chip_s, "C", "target chip: esp32, esp32s2, esp32c3, esp32s3"),
        CLI_VALUE("idf-version", &idf, "S", "ESP-IDF version string in the descriptor"),
        CLI_END};
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
    if (!cli_parse_chip(chip_s, &p.chip_id, false)) {
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
    if (p.size > ota_image_build_max_size(p.chip_id)) {
        cli_error("--size %s: segment 0 of an %s image is mapped flash (DROM) and would run past the chip's "
                  "mapping window; at most %u bytes", size_s, ota_chip_name(p.chip_id),
                  ota_image_build_max_size(p.chip_id));
        return CLI_FAIL;
    }
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

/* Secure Boot V2 per chip: an image is signed only with a scheme its chip's
 * ROM and bootloader take (ota_sig_chip_schemes). */
static bool scheme_fits_chip(const uint8_t *data, size_t len, const char *in, const char *key)
{
    unsigned version;
    if (len < 24 || data[0] != 0xE9 || ota_host_key_scheme(key, &version)) {
        return true;  /* not an app image, or a key ota_host_sign reports itself */
    }
    uint16_t chip = (uint16_t)(data[12] | data[13] << 8);
    unsigned schemes = ota_sig_chip_schemes(chip);
    if (schemes & (1u << version)) {
        return true;
    }
    cli_error("%s is an %s image: its Secure Boot V2 takes %s signatures only, %s is an %s key; not signed "
              "(ECDSA is for chips that support it, e.g. ESP32-C6, -H2, -P4)",
              in, ota_chip_name(chip), ota_sig_schemes_name(schemes), key, ota_sig_schemes_name(1u << version));
    return false;
}

int cmd_image_sign(int argc, char **argv)
{
    const char *pos[2], *key = NULL;
    bool deterministic = false, append = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("key", &key, "KEY.pem",
                  "RSA-3072 or EC P-256 private key (required); the image's chip must take the scheme: "
                  "ESP32, -S2, -S3, -C3 take RSA-3072 only; ESP32-C6, -H2, -P4, -C5 either; -C2, -C61 ECDSA only"),
        CLI_FLAG("deterministic", &deterministic, "ECDSA with RFC 6979 nonces, for reproducible files"),
        CLI_FLAG("append", &append, "keep the signatures of a signed IN and add this one in the same sector (up to 3, "
                 "as espsecure's --append_signatures); without it a signed IN's signature is replaced"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    if (!key) {
        cli_error("--key KEY.pem (RSA-3072 or EC P-256 private key) is required");
        return CLI_USAGE;
    }
    if (!cli_key_usable(key, true)) {
        return CLI_FAIL;
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    if (!scheme_fits_chip(data, len, pos[0], key)) {
        free(data);
        return CLI_FAIL;
    }
    static struct ota_host_outfile f;
    int err = ota_host_outfile_open(&f, pos[1]);
    if (err) {
        cli_error("cannot create %s: %s", pos[1], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        free(data);
        return CLI_FAIL;
    }
    uint32_t sector_at;
    unsigned block;
    rc = cli_sign_file(pos[0], data, len, key, deterministic, append, emit_file, &f, &sector_at, &block);
    free(data);
    if (rc) {
        ota_host_outfile_abort(&f);  /* the output stays as it was */
        return rc;
    }
    if ((err = ota_host_outfile_commit(&f))) {
        cli_error("cannot write %s: %s", pos[1], cli_file_error(err));
        return CLI_FAIL;
    }
    uint8_t digest[32];
    ota_host_key_digest(key, digest);
    printf("signed %s -> %s (signature sector at 0x%x, block %u); key digest ", pos[0], pos[1], sector_at, block);
    cli_print_hex(digest, 32);
    printf("\n");
    return CLI_OK;
}

int cmd_image_verify_signature(int argc, char **argv)
{
    const char *pos[1], *pub = NULL, *digest_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE_D("pub", &pub, "PUB.pem", "accept only a signature by this key", "any key, reported"),
        CLI_VALUE_D("key-digest", &digest_s, "HEX", "accept only the key with this digest (as in eFuse)", "any key"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint8_t trusted[32];
    bool have_trusted = false;
    if (pub && !cli_key_usable(pub, false)) {
        return CLI_FAIL;
    }
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
    err = image_report_signature(data, len, info.image_len, have_trusted ? trusted : NULL, NULL);
    free(data);
    if (err) {
        cli_error("%s: signature not accepted: %s (%s)", pos[0], ota_strerror(err), ota_errname(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}
