#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_file.h"
#include "ota/image.h"
#include "ota/log.h"
#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("ota: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage(const struct cli_command *cmd, bool misuse)
{
    FILE *out = misuse ? stderr : stdout;
    fprintf(out, "usage: %s\n", cmd->usage);
    return misuse ? CLI_USAGE : CLI_OK;
}

#define CLI_MAX_FILE (64u * 1024u * 1024u)

FILE *cli_open_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error("%s: is a directory, not a file", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
    }
    return f;
}

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
    /* Read in chunks without seeking, so pipes and /dev/fd/N work too. */
    FILE *f = cli_open_input(path);
    size_t cap = 0;
    if (!f) {
        return CLI_FAIL;
    }
    *data = NULL;
    *len = 0;
    for (;;) {
        if (*len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536 * 2;
            uint8_t *n = ncap <= CLI_MAX_FILE + 65536 * 2 ? realloc(*data, ncap) : NULL;
            if (!n) {
                cli_error("%s: larger than this tool reads whole (%u bytes)", path, CLI_MAX_FILE);
                break;
            }
            *data = n;
            cap = ncap;
        }
        size_t got = fread(*data + *len, 1, 65536, f);
        *len += got;
        if (got == 0) {
            if (ferror(f)) {
                cli_error("cannot read %s: %s", path, strerror(errno));
                break;
            }
            fclose(f);
            (*data)[*len] = 0;
            return CLI_OK;
        }
    }
    fclose(f);
    free(*data);
    *data = NULL;
    return CLI_FAIL;
}

const char *cli_file_error(int err)
{
    return err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err);
}

int cli_write_file(const char *path, const void *data, size_t len)
{
    int err = ota_host_write_file(path, data, len);
    if (err) {
        cli_error("cannot write %s: %s", path, cli_file_error(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_write_dump(const char *path, const void *data, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        return cli_write_file(path, data, len);  /* a file: whole or not at all */
    }
    /* A pipe or character device (/dev/stdout) streams: there is nothing
     * to replace, but a failed write (/dev/full) is still an error. */
    FILE *f = fopen(path, "wb");
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    errno = 0;
    size_t n = fwrite(data, 1, len, f);
    int e = errno;
    if (fclose(f) != 0 || n != len) {
        e = errno ? errno : e;
        cli_error("cannot write %s: %s", path, e == ENOSPC ? ota_strerror(OTA_ERR_NO_SPACE) : strerror(e));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* A whole number, decimal or 0x hex (never octal: "010" is ten); *end is
 * what follows it. */
static bool parse_whole(const char *s, unsigned long long *v, const char **end)
{
    char *e;
    if (!s || !(*s >= '0' && *s <= '9')) {
        return false;  /* no sign, no space, no empty string */
    }
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    errno = 0;
    *v = strtoull(s, &e, hex ? 16 : 10);
    if (errno || e == s + (hex ? 2 : 0)) {
        return false;
    }
    *end = e;
    return true;
}

bool cli_parse_count(const char *s, uint32_t *out)
{
    unsigned long long v;
    const char *end;
    if (!parse_whole(s, &v, &end) || *end || v > 0xFFFFFFFFull) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_size(const char *s, uint32_t *out)
{
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1},       {"B", 1},         {"K", 1024},        {"KB", 1024}, {"KiB", 1024},
                 {"M", 1 << 20}, {"MB", 1 << 20}, {"MiB", 1 << 20}};
    unsigned long long v;
    const char *end;
    if (!parse_whole(s, &v, &end)) {
        return false;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].suffix) == 0) {
            if (v > 0xFFFFFFFFull / units[i].mult) {
                return false;
            }
            *out = (uint32_t)(v * units[i].mult);
            return true;
        }
    }
    return false;
}

bool cli_is_flash_size(uint32_t size)
{
    for (uint32_t mb = 1; mb <= 128; mb *= 2) {
        if (size == mb << 20) {
            return true;
        }
    }
    return false;
}

bool cli_parse_duration_ms(const char *s, uint32_t bare_ms, uint64_t *out_ms)
{
    static const struct {
        const char *suffix;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000}};
    unsigned long long whole, frac = 0, scale = 1;
    const char *end;
    if (!s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || !parse_whole(s, &whole, &end) ||
        whole > 0xFFFFFFFFull) {
        return false;
    }
    if (*end == '.') {
        for (end++; *end >= '0' && *end <= '9'; end++) {
            if (scale >= 1000) {
                return false;  /* finer than a millisecond of a second */
            }
            frac = frac * 10 + (unsigned long long)(*end - '0');
            scale *= 10;
        }
        if (scale == 1) {
            return false;  /* "5." */
        }
    }
    uint64_t unit = *end ? 0 : bare_ms;
    for (size_t i = 0; !unit && i < sizeof(units) / sizeof(units[0]); i++) {
        unit = strcmp(end, units[i].suffix) == 0 ? units[i].ms : 0;
    }
    if (!unit || (frac * unit) % scale != 0) {
        return false;  /* no such unit, or not a whole number of milliseconds */
    }
    *out_ms = whole * unit + frac * unit / scale;
    return true;
}

static int open_device(const char *path, struct ota_host_flash *hf, struct ota_ptable *table, bool writer)
{
    struct ota_pt_diag diag;
    if (cli_check_device_image(path)) {
        return CLI_FAIL;
    }
    int err = writer ? ota_host_flash_open(hf, path) : ota_host_flash_open_readonly(hf, path);
    if (err) {
        cli_error("cannot open device image %s: %s", path, err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return err == OTA_ERR_DEVICE_BUSY ? CLI_BUSY : CLI_FAIL;
    }
    if (!table) {
        return CLI_OK;
    }
    err = ota_pt_load(&hf->flash, table, &diag);
    if (err) {
        cli_error("%s: partition table at 0x%x: row %u: %s", path, OTA_PT_OFFSET, diag.line, ota_strerror(err));
        ota_host_flash_close(hf);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_open_device(const char *path, struct ota_host_flash *hf, struct ota_ptable *table)
{
    return open_device(path, hf, table, true);
}

int cli_open_device_ro(const char *path, struct ota_host_flash *hf, struct ota_ptable *table)
{
    return open_device(path, hf, table, false);
}

int cli_device_props(const char *image, const char *chip_opt, bool rollback_opt, struct ota_device_props *p)
{
    uint16_t chip = OTA_CHIP_ESP32;
    if (cli_check_device_image(image)) {
        return CLI_FAIL;
    }
    int err = ota_host_props_load(image, p);
    if (err) {
        cli_error("%s.device: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    if (chip_opt && !cli_parse_chip(chip_opt, &chip, true)) {
        return CLI_USAGE;
    }
    if (chip_opt && p->chip_known && chip != p->chip && chip != OTA_CHIP_ANY) {
        cli_error("%s is an %s device, not %s", image, ota_host_chip_name(p->chip), chip_opt);
        return CLI_FAIL;
    }
    bool changed = (chip_opt && !p->chip_known && chip != OTA_CHIP_ANY) || (rollback_opt && !p->rollback);
    if (chip_opt && !p->chip_known && chip != OTA_CHIP_ANY) {
        p->chip = chip;
        p->chip_known = true;
    }
    p->rollback |= rollback_opt;
    if (changed && (err = ota_host_props_save(image, p))) {
        cli_error("%s.device: %s", image, err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

const struct ota_partition *cli_find_partition(const struct ota_ptable *t, const char *label, const char *image)
{
    const struct ota_partition *p = ota_pt_find_label(t, label);
    if (!p) {
        cli_error("%s: no partition labelled '%s'", image, label);
    }
    return p;
}

void cli_report_pt_error(const char *file, int err, const struct ota_pt_diag *d, bool csv)
{
    char where[96];
    if (csv) {
        snprintf(where, sizeof(where), "%s:%u", file, d->line);
    } else {
        snprintf(where, sizeof(where), "%s: row %u", file, d->line);
    }
    fprintf(stderr, "ota: %s: ", where);
    if (d->name[0]) {
        /* A name from a damaged binary table may hold any byte: never raw to the terminal. */
        fputs("partition '", stderr);
        for (size_t i = 0; i < sizeof(d->name) && d->name[i]; i++) {
            unsigned char c = (unsigned char)d->name[i];
            if (c >= 0x20 && c < 0x7F) {
                fputc(c, stderr);
            } else {
                fprintf(stderr, "\\x%02x", c);
            }
        }
        fputs("': ", stderr);
    }
    fprintf(stderr, "%s", ota_strerror(err));
    switch (err) {
    case OTA_ERR_PT_OVERLAP:
        fprintf(stderr, " (starts at 0x%x, inside '%s' which ends at 0x%x)", d->value, d->other, d->limit);
        break;
    case OTA_ERR_PT_ORDER:
        fprintf(stderr, " (starts at 0x%x, before '%s' above it at 0x%x)", d->value, d->other, d->limit);
        break;
    case OTA_ERR_PT_DUP_NAME:
        fprintf(stderr, " (name already used)");
        break;
    case OTA_ERR_PT_APP_ALIGN:
    case OTA_ERR_PT_OFFSET_ALIGN:
        fprintf(stderr, " (offset 0x%x, alignment 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_SIZE_ALIGN:
        fprintf(stderr, " (size 0x%x, must be a multiple of 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_OTADATA:
        fprintf(stderr, " (size 0x%x, must be the only one and exactly 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_BOUNDS:
        fprintf(stderr, " (offset 0x%x, flash size 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_BELOW_TABLE:
        fprintf(stderr, " (offset 0x%x, first free byte 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_NVS_SIZE:
        fprintf(stderr, " (size 0x%x, minimum 0x%x)", d->value, d->limit);
        break;
    case OTA_ERR_PT_TOO_MANY:
        fprintf(stderr, " (row %u, at most %u partitions)", d->value, d->limit);
        break;
    case OTA_ERR_PT_NAME_LEN:
        fprintf(stderr, " (%u characters, at most %u)", d->value, d->limit);
        break;
    case OTA_ERR_PT_MAGIC:
        fprintf(stderr, " (magic 0x%04x)", d->value);
        break;
    default:
        break;
    }
    fputc('\n', stderr);
}

const char *cli_not_csv(const uint8_t *data, size_t len)
{
    bool text = true;
    bool table = false;
    for (size_t i = 0; i < len; i++) {
        text &= data[i] != 0 && data[i] != 0xFF;
        table |= i % 32 == 0 && i + 1 < len && data[i] == 0xAA && data[i + 1] == 0x50;
    }
    if (text) {
        return NULL;
    }
    if (len > OTA_PT_OFFSET + 1 && data[OTA_PT_OFFSET] == 0xAA && data[OTA_PT_OFFSET + 1] == 0x50) {
        return "looks like a device image (its binary partition table is at 0x8000)";
    }
    return table ? "looks like a binary partition table" : "is a binary file";
}

int cli_load_table_file(const char *path, uint32_t flash_size, struct ota_ptable *t)
{
    uint8_t *data;
    size_t len;
    struct ota_pt_diag diag;
    int err;
    if (cli_read_file(path, &data, &len)) {
        return CLI_FAIL;
    }
    bool binary = len >= 2 && data[0] == 0xAA && data[1] == 0x50;
    const char *looks = binary ? NULL : cli_not_csv(data, len);
    if (looks) {
        cli_error("%s: %s, not a partition table CSV", path, looks);
        free(data);
        return CLI_FAIL;
    }
    if (binary) {
        err = ota_pt_parse_binary(data, len, flash_size, t, &diag);
        if (!err) {
            err = ota_pt_check(t, flash_size, &diag);
            if (err) {
                diag.line--;  /* ota_pt_check counts entries from 1 */
            }
        }
    } else {
        err = ota_pt_parse_csv((const char *)data, len, flash_size, t, &diag);
    }
    free(data);
    if (err) {
        cli_report_pt_error(path, err, &diag, !binary);
        return CLI_FAIL;
    }
    return CLI_OK;
}

bool cli_parse_chip_rev(const char *s, struct ota_device_props *p)
{
    if (!ota_host_chip_rev_parse(s, &p->chip_rev)) {
        cli_error("--chip-revision wants vMAJOR.MINOR (e.g. v0.4), not '%s'", s);
        return false;
    }
    p->chip_rev_known = true;
    return true;
}

int cli_device_chip_rev(const char *image, const char *rev_opt, struct ota_device_props *p)
{
    struct ota_device_props want = *p;
    if (!rev_opt) {
        return CLI_OK;
    }
    if (!cli_parse_chip_rev(rev_opt, &want)) {
        return CLI_USAGE;
    }
    if (p->chip_rev_known && p->chip_rev != want.chip_rev) {
        cli_error("%s is a chip revision v%u.%u device, not %s", image, p->chip_rev / 100u, p->chip_rev % 100u, rev_opt);
        return CLI_FAIL;
    }
    if (!p->chip_rev_known) {
        int err = ota_host_props_save(image, &want);
        if (err) {
            cli_error("%s.device: %s", image, ota_strerror(err));
            return CLI_FAIL;
        }
        *p = want;
    }
    return CLI_OK;
}

bool cli_parse_chip(const char *s, uint16_t *chip, bool any_ok)
{
    if (ota_host_chip_from_name(s, chip) && (any_ok || *chip != OTA_CHIP_ANY)) {
        return true;
    }
    if (ota_host_chip_from_name(s, chip)) {
        cli_error("--chip any does not apply here: name the chip (esp32, esp32s2, esp32c3, esp32s3)");
    } else {
        cli_error("unknown chip '%s' (esp32, esp32s2, esp32c3, esp32s3%s)", s, any_ok ? ", any" : "");
    }
    return false;
}

int cli_check_device_image(const char *image)
{
    struct stat st;
    if (stat(image, &st) != 0) {
        if (errno == ENOENT) {
            cli_error("%s: no such device image (ota flash create makes one)", image);
        } else {
            cli_error("cannot open device image %s: %s", image, strerror(errno));
        }
        return CLI_FAIL;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("%s: is a directory, not a device image", image);
        return CLI_FAIL;
    }
    return CLI_OK;
}

bool cli_key_usable(const char *path, bool need_private)
{
    struct stat st;
    char head[4096];
    if (stat(path, &st) != 0) {
        cli_error("cannot read key %s: %s", path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("%s: is a directory, not a key file", path);
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot read key %s: %s", path, strerror(errno));
        return false;
    }
    size_t n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[n] = 0;
    if (need_private && strstr(head, "PUBLIC KEY-----") && !strstr(head, "PRIVATE KEY-----")) {
        cli_error("%s is a public key: signing needs the private key it was made from", path);
        return false;
    }
    return true;
}


/* What ESP-IDF's cpu_start prints about the app it starts. */
void cli_log_app_info(const struct ota_image_info *info)
{
    const struct ota_app_desc *d = &info->desc;
    char sha[17];
    for (int i = 0; i < 8; i++) {
        snprintf(sha + 2 * i, 3, "%02x", d->app_elf_sha256[i]);
    }
    OTA_LOGI("cpu_start", "Application information:");
    OTA_LOGI("cpu_start", "Project name:     %s", d->project_name);
    OTA_LOGI("cpu_start", "App version:      %s", d->version);
    OTA_LOGI("cpu_start", "Compile time:     %s %s", d->date, d->time);
    OTA_LOGI("cpu_start", "ELF file SHA256:  %s...", sha);
    OTA_LOGI("cpu_start", "ESP-IDF:          %s", d->idf_ver);
}


int cli_mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct cli_mem *m = ctx;
    if (off > m->len || len > m->len - off) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, m->data + off, len);
    return OTA_OK;
}
