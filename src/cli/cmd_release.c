/* ota release: publish a release into a static tree (docs/manifest.md):
 * the full image, a patch from each previous release, then the signed
 * manifest, renamed into place last so a reader sees the old release or
 * the new one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_sign.h"
#include "ota/image.h"
#include "ota/manifest.h"
#include "ota/signature.h"
#include "cli.h"
#include "commands.h"
#include "delta_make.h"
#include "delta_report.h"
#include "json.h"

#define MAX_PREVIOUS OTA_MANIFEST_MAX_PATCHES

/* What a publication wrote (for --json): each file with its size and digest. */
struct written_file {
    char path[4200];
    size_t size;
    uint8_t sha[OTA_SHA256_LEN];
};

struct release_out {
    const char *dir;
    bool json;             /* results go into one JSON document, not lines */
    unsigned nfiles;
    struct written_file files[MAX_PREVIOUS + 3];  /* image, patches, signature, manifest */
};

struct release_image {
    const char *path;
    uint8_t *data;
    size_t len;
    struct ota_image_info info;
    uint8_t file_sha[OTA_SHA256_LEN];
};

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

/* Read and verify an app image; it must carry its appended SHA-256 (the
 * identity the manifest and patches use). */
static int load_image(struct release_image *im)
{
    struct ota_image_verifier v;
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = OTA_CHIP_ANY;
    if (cli_read_file(im->path, &im->data, &im->len)) {
        return CLI_FAIL;
    }
    ota_image_verify_init(&v, &o);
    int err = ota_image_verify_feed(&v, im->data, im->len);
    if (!err) {
        err = ota_image_verify_finish(&v, &im->info);
    }
    if (!err && !im->info.header.hash_appended) {
        err = OTA_ERR_IMG_HASH;
    }
    if (err) {
        cli_error("%s: not a valid app image: %s", im->path, ota_strerror(err));
        return CLI_FAIL;
    }
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, im->data, im->len);
    ota_sha256_finish(&sha, im->file_sha);
    return CLI_OK;
}

static void record(struct release_out *ro, const char *path, const void *data, size_t len)
{
    if (ro->nfiles < sizeof(ro->files) / sizeof(ro->files[0])) {
        struct written_file *f = &ro->files[ro->nfiles++];
        ota_sha256_ctx sha;
        snprintf(f->path, sizeof(f->path), "%s", path);
        f->size = len;
        ota_sha256_init(&sha);
        ota_sha256_update(&sha, data, len);
        ota_sha256_finish(&sha, f->sha);
    }
}

/* Write DIR/name through a temporary name and a rename. */
static int publish(struct release_out *ro, const char *name, const void *data, size_t len)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", ro->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (cli_write_file(tmp, data, len)) {
        return CLI_FAIL;
    }
    if (rename(tmp, path) != 0) {
        cli_error("cannot rename %s to %s: %s", tmp, path, strerror(errno));
        remove(tmp);
        return CLI_FAIL;
    }
    record(ro, path, data, len);
    return CLI_OK;
}

static const char *chip_name(uint16_t id)
{
    return id == OTA_CHIP_ESP32 ? "esp32" : id == OTA_CHIP_ESP32S2 ? "esp32s2" : id == OTA_CHIP_ESP32S3 ? "esp32s3"
         : id == OTA_CHIP_ESP32C3 ? "esp32c3" : NULL;
}

/* The serial after the one DIR/manifest.json has now (1 for a new tree). */
static uint32_t next_serial(const char *dir)
{
    char path[4096];
    uint8_t *text;
    size_t len;
    static struct ota_manifest m;
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 1;
    }
    fclose(f);
    if (cli_read_file(path, &text, &len)) {
        return 1;
    }
    int err = ota_manifest_parse((const char *)text, len, &m);
    free(text);
    return err ? 1 : m.serial + 1;
}

/* One manifest entry for a file: "uri", "size", "sha256". */
static int file_json(char *out, size_t cap, const char *uri, size_t size, const uint8_t sha[OTA_SHA256_LEN])
{
    char h[2 * OTA_SHA256_LEN + 1];
    hex(h, sha, OTA_SHA256_LEN);
    return snprintf(out, cap, "\"uri\": \"%s\", \"size\": %zu, \"sha256\": \"%s\"", uri, size, h);
}

struct patch_entry {
    char from[4096];  /* the previous release's image file */
    char name[96];
    uint8_t base[OTA_SHA256_LEN];
    size_t size;
    uint8_t sha[OTA_SHA256_LEN];
};

static int manifest_json(char *out, size_t cap, const struct release_image *im, const char *image_name,
                         uint32_t serial, unsigned rollout, const struct patch_entry *p, unsigned np)
{
    char app[2 * OTA_SHA256_LEN + 1], base[2 * OTA_SHA256_LEN + 1], file[256];
    const struct ota_app_desc *d = &im->info.desc;
    hex(app, im->info.hash_stored, OTA_SHA256_LEN);
    file_json(file, sizeof(file), image_name, im->len, im->file_sha);
    size_t n = (size_t)snprintf(out, cap,
        "{\n  \"format\": %u,\n  \"project\": \"%s\",\n  \"version\": \"%s\",\n  \"secure_version\": %u,\n"
        "  \"chip\": \"%s\",\n  \"serial\": %u,\n  \"rollout_percent\": %u,\n  \"app_sha256\": \"%s\",\n"
        "  \"image\": {%s},\n  \"patches\": [", OTA_MANIFEST_FORMAT, d->project_name, d->version,
        (unsigned)d->secure_version, chip_name(im->info.header.chip_id), (unsigned)serial, rollout, app, file);
    for (unsigned i = 0; i < np && n < cap; i++) {
        hex(base, p[i].base, OTA_SHA256_LEN);
        file_json(file, sizeof(file), p[i].name, p[i].size, p[i].sha);
        n += (size_t)snprintf(out + n, cap - n, "%s\n    {\"base_app_sha256\": \"%s\", %s}", i ? "," : "", base,
                              file);
    }
    if (n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%s]\n}\n", np ? "\n  " : "");
    }
    return n < cap ? (int)n : -1;
}

/* Keep only the signature sector of what the image signer emits. */
struct sig_capture {
    size_t pos, sector;
    uint8_t sig[OTA_SIG_SECTOR_LEN];
};

static int capture(void *ctx, const void *data, size_t len)
{
    struct sig_capture *c = ctx;
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++, c->pos++) {
        if (c->pos >= c->sector && c->pos - c->sector < sizeof(c->sig)) {
            c->sig[c->pos - c->sector] = p[i];
        }
    }
    return 0;
}

static int make_patches(struct release_out *ro, const char *format, const struct release_image *nw,
                        const char *const *prev, unsigned np, struct patch_entry *out)
{
    char app[17], base[17];
    hex(app, nw->info.hash_stored, 8);
    for (unsigned i = 0; i < np; i++) {
        static struct release_image old;
        memset(&old, 0, sizeof(old));
        old.path = prev[i];
        struct delta_buf buf = {0};
        int rc = load_image(&old);
        if (!rc && cli_delta_make_patch(format, old.data, old.len, nw->data, nw->len, &buf)) {
            cli_error("%s: out of memory making the patch", old.path);
            rc = CLI_FAIL;
        }
        if (!rc) {
            hex(base, old.info.hash_stored, 8);
            snprintf(out[i].name, sizeof(out[i].name), "patch-%s-%s.%s", base, app, format);
            memcpy(out[i].base, old.info.hash_stored, OTA_SHA256_LEN);
            out[i].size = buf.len;
            ota_sha256_ctx sha;
            ota_sha256_init(&sha);
            ota_sha256_update(&sha, buf.data, buf.len);
            ota_sha256_finish(&sha, out[i].sha);
            rc = publish(ro, out[i].name, buf.data, buf.len);
            snprintf(out[i].from, sizeof(out[i].from), "%s", old.path);
            if (!ro->json) {
                printf("patch from %s: %s, %zu bytes (%.1f%% of the image)\n", old.path, out[i].name, buf.len,
                       100.0 * (double)buf.len / (double)nw->len);
            }
        }
        free(old.data);
        free(buf.data);
        if (rc) {
            return rc;
        }
    }
    return CLI_OK;
}

/* Sign the manifest, then put the signature and the manifest in place
 * (the manifest last: it is what readers look for). */
static int publish_manifest(struct release_out *ro, const char *key, const char *text, size_t len)
{
    static struct sig_capture cap;
    memset(&cap, 0, sizeof(cap));
    cap.sector = ota_sig_sector_offset((uint32_t)len);
    int err = ota_host_sign((const uint8_t *)text, len, key, true, capture, &cap);
    if (err) {
        cli_error("signing the manifest with %s: %s", key, ota_strerror(err));
        return CLI_FAIL;
    }
    if (publish(ro, "manifest.json.sig", cap.sig, sizeof(cap.sig))) {
        return CLI_FAIL;
    }
    return publish(ro, "manifest.json", text, len);
}

/* Take every "--previous FILE" out of argv (the option repeats). */
static int take_previous(int *argc, char **argv, const char **prev, unsigned *np)
{
    int w = 0;
    *np = 0;
    for (int i = 0; i < *argc; i++) {
        if (strncmp(argv[i], "--previous=", 11) == 0 && argv[i][11] && *np < MAX_PREVIOUS) {
            prev[(*np)++] = argv[i] + 11;
        } else if (strcmp(argv[i], "--previous") != 0) {
            argv[w++] = argv[i];
        } else if (i + 1 >= *argc || *np >= MAX_PREVIOUS) {
            cli_error("--previous OLD.bin (at most %u of them)", MAX_PREVIOUS);
            return CLI_USAGE;
        } else {
            prev[(*np)++] = argv[++i];
        }
    }
    *argc = w;
    return CLI_OK;
}

static int parse_numbers(const char *serial_s, const char *rollout_s, const char *dir, uint32_t *serial,
                         unsigned *rollout)
{
    char *end;
    *serial = serial_s ? (uint32_t)strtoul(serial_s, &end, 10) : next_serial(dir);
    if ((serial_s && (*end || !serial_s[0])) || *serial == 0) {
        cli_error("--serial: a positive number");
        return CLI_USAGE;
    }
    *rollout = rollout_s ? (unsigned)strtoul(rollout_s, &end, 10) : 100;
    if (rollout_s && (*end || !rollout_s[0] || *rollout > 100)) {
        cli_error("--rollout: a percentage 0..100");
        return CLI_USAGE;
    }
    return CLI_OK;
}

struct release_args {
    const char *image, *key, *format;
    const char *prev[MAX_PREVIOUS];
    unsigned np, rollout;
    uint32_t serial;
};

static void release_json(const struct release_out *ro, const char *text, int len, const struct patch_entry *p,
                         unsigned np, size_t image_len, int rc)
{
    static struct ota_manifest m;  /* what readers will parse: the published bytes, parsed back */
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "dir", ro->dir);
    json_bool(&j, "ok", rc == CLI_OK);
    if (rc == CLI_OK && ota_manifest_parse(text, (size_t)len, &m) == OTA_OK) {
        report_manifest(&j, "manifest", &m);
    } else {
        json_null(&j, "manifest");
    }
    json_array(&j, "patches");
    for (unsigned i = 0; i < np && rc == CLI_OK; i++) {
        json_object(&j, NULL);
        json_str(&j, "from", p[i].from);
        json_str(&j, "file", p[i].name);
        json_uint(&j, "size", p[i].size);
        json_double(&j, "percent_of_image", 100.0 * (double)p[i].size / (double)image_len);
        json_close(&j);
    }
    json_close(&j);
    json_array(&j, "files");  /* in the order written; manifest.json last */
    for (unsigned i = 0; i < ro->nfiles; i++) {
        report_file_digest(&j, NULL, ro->files[i].path, ro->files[i].size, ro->files[i].sha);
    }
    json_close(&j);
    json_end(&j);
}

/* The image, the patches, then the signed manifest. */
static int release_publish(struct release_out *ro, const struct release_args *ra)
{
    static struct release_image nw;
    static struct patch_entry patches[MAX_PREVIOUS];
    static char text[OTA_MANIFEST_MAX_LEN + 1];
    char name[64], app[17];
    nw.path = ra->image;
    int rc = load_image(&nw);
    if (!rc && !chip_name(nw.info.header.chip_id)) {
        cli_error("%s: chip id %u has no manifest name", ra->image, nw.info.header.chip_id);
        rc = CLI_FAIL;
    }
    if (!rc) {
        hex(app, nw.info.hash_stored, 8);
        snprintf(name, sizeof(name), "app-%s.bin", app);
        rc = publish(ro, name, nw.data, nw.len);
    }
    if (!rc) {
        rc = make_patches(ro, ra->format, &nw, ra->prev, ra->np, patches);
    }
    int len = rc ? -1 : manifest_json(text, sizeof(text) - 1, &nw, name, ra->serial, ra->rollout, patches, ra->np);
    if (!rc && len < 0) {
        cli_error("the manifest would exceed %u bytes", OTA_MANIFEST_MAX_LEN);
        rc = CLI_FAIL;
    }
    if (!rc) {
        rc = publish_manifest(ro, ra->key, text, (size_t)len);
    }
    if (ro->json) {
        release_json(ro, text, len, patches, ra->np, nw.len, rc);
    } else if (!rc) {
        printf("%s/manifest.json: serial %u, %s %s, rollout %u%%, image %s (%zu bytes), %u patches\n", ro->dir,
               (unsigned)ra->serial, nw.info.desc.project_name, nw.info.desc.version, ra->rollout, name, nw.len,
               ra->np);
    }
    free(nw.data);
    return rc;
}

int cmd_release(int argc, char **argv)
{
    const char *pos[1], *serial_s = NULL, *rollout_s = NULL;
    const char *prev_row = NULL;  /* take_previous removes them first: the row is the help */
    static struct release_out ro;
    struct release_args ra = {.format = "compact"};
    int npos, rc;
    bool json = false;
    struct cli_opt opts[] = {
        CLI_VALUE("image", &ra.image, "NEW.bin", "the release's full app image (required)"),
        CLI_VALUE_D("previous", &prev_row, "OLD.bin", "an earlier release to make a patch from (repeat the option for "
                    "each)", "none: the full image only"),
        CLI_VALUE("key", &ra.key, "KEY.pem", "the key that signs the manifest, ECDSA P-256 or RSA-3072 (required)"),
        CLI_VALUE_D("serial", &serial_s, "N", "the manifest's serial; must rise with each publication",
                    "the serial in DIR plus 1, else 1"),
        CLI_VALUE_D("rollout", &rollout_s, "PERCENT", "share of devices that take this release", "100"),
        CLI_VALUE("format", &ra.format, "compact|esp", "the patch format"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = take_previous(&argc, argv, ra.prev, &ra.np)) || (rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (!ra.image || !ra.key || (strcmp(ra.format, "compact") != 0 && strcmp(ra.format, "esp") != 0)) {
        cli_error("--image NEW.bin and --key KEY.pem are required; --format compact or esp");
        return CLI_USAGE;
    }
    if ((rc = parse_numbers(serial_s, rollout_s, pos[0], &ra.serial, &ra.rollout))) {
        return rc;
    }
    memset(&ro, 0, sizeof(ro));
    ro.dir = pos[0];
    ro.json = json;
    return release_publish(&ro, &ra);
}
