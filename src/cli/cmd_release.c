/* ota release: publish a release into a static tree (docs/manifest.md):
 * the full image, a patch from each previous release, then the signed
 * manifest, renamed into place last so a reader sees the old release or
 * the new one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ota/error.h"
#include "ota/host_encrypt.h"
#include "ota/host_sign.h"
#include "ota/image.h"
#include "ota/manifest.h"
#include "ota/signature.h"
#include "cli.h"
#include "commands.h"
#include "cz_make.h"
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
    struct written_file files[MAX_PREVIOUS + 4];  /* image, compressed image, patches, signature, manifest */
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

/* Write DIR/name whole or not at all (cli_write_file renames a temporary
 * file into place); an error names DIR/name, never the temporary file. */
static int publish(struct release_out *ro, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", ro->dir, name);
    if (cli_write_file(path, data, len)) {
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

/* The serial DIR/manifest.json has now: 0 for a new tree (no manifest);
 * a manifest that cannot be read or parsed is an error, never replaced. */
static int current_serial(const char *dir, uint32_t *serial)
{
    char path[4096];
    uint8_t *text;
    size_t len;
    struct stat st;
    static struct ota_manifest m;
    *serial = 0;
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    if (stat(path, &st) != 0 && errno == ENOENT) {
        return CLI_OK;
    }
    if (cli_read_file(path, &text, &len)) {
        return CLI_FAIL;
    }
    int err = ota_manifest_parse((const char *)text, len, &m);
    free(text);
    if (err) {
        cli_error("%s: %s: not overwritten (its serial is unknown, so the next one cannot be chosen); "
                  "move it away to start a new tree", path, ota_strerror(err));
        return CLI_FAIL;
    }
    *serial = m.serial;
    return CLI_OK;
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

static int manifest_json(char *out, size_t cap, const struct release_image *im, const char *project,
                         const char *image_name, uint32_t serial, unsigned rollout, const struct patch_entry *p,
                         unsigned np)
{
    char app[2 * OTA_SHA256_LEN + 1], base[2 * OTA_SHA256_LEN + 1], file[256];
    const struct ota_app_desc *d = &im->info.desc;
    hex(app, im->info.hash_stored, OTA_SHA256_LEN);
    file_json(file, sizeof(file), image_name, im->len, im->file_sha);
    size_t n = (size_t)snprintf(out, cap,
        "{\n  \"format\": %u,\n  \"project\": \"%s\",\n  \"version\": \"%s\",\n  \"secure_version\": %u,\n"
        "  \"chip\": \"%s\",\n  \"serial\": %u,\n  \"rollout_percent\": %u,\n  \"app_sha256\": \"%s\",\n"
        "  \"image\": {%s},\n  \"patches\": [", OTA_MANIFEST_FORMAT, project, d->version,
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

/* A patch is published only when it is smaller than the full image: a
 * device would download more for nothing. */
static bool worth_it(const struct release_out *ro, const char *from, size_t patch, size_t image)
{
    if (patch < image) {
        return true;
    }
    fprintf(ro->json ? stderr : stdout, "patch from %s left out: %zu bytes, not smaller than the image (%zu bytes)\n",
            from, patch, image);
    return false;
}

/* The compressed image, when it is smaller than the patch from a previous
 * release, takes the patch's place: a device running that release installs
 * it through the same path (it names no base; the manifest binds it). */
struct compressed {
    const struct delta_buf *buf;
    const char *name;
};

static void pick_smaller(const struct release_out *ro, const struct compressed *cz, const char *from,
                         struct delta_buf *patch, const char **name)
{
    if (!cz->buf || cz->buf->len >= patch->len) {
        return;
    }
    fprintf(ro->json ? stderr : stdout, "from %s the compressed image is smaller than the patch (%zu < %zu bytes)\n",
            from, cz->buf->len, patch->len);
    free(patch->data);
    memset(patch, 0, sizeof(*patch));
    if (delta_buf_put(patch, cz->buf->data, cz->buf->len) == 0) {
        *name = cz->name;
    }
}

static int make_patches(struct release_out *ro, const char *format, const struct release_image *nw,
                        const char *const *prev, unsigned *np_io, struct patch_entry *out,
                        const struct compressed *cz)
{
    char app[17], base[17];
    unsigned np = *np_io, kept = 0;
    hex(app, nw->info.hash_stored, 8);
    for (unsigned k = 0; k < np; k++) {
        unsigned i = kept;  /* the next entry of out[] */
        static struct release_image old;
        memset(&old, 0, sizeof(old));
        old.path = prev[k];
        struct delta_buf buf = {0};
        int rc = load_image(&old);
        if (!rc && cli_delta_make_patch(format, old.data, old.len, nw->data, nw->len, &buf)) {
            cli_error("%s: out of memory making the patch", old.path);
            rc = CLI_FAIL;
        }
        const char *cz_name = NULL;
        if (!rc) {
            pick_smaller(ro, cz, old.path, &buf, &cz_name);
        }
        if (!rc && worth_it(ro, old.path, buf.len, nw->len)) {
            kept++;
            hex(base, old.info.hash_stored, 8);
            snprintf(out[i].name, sizeof(out[i].name), "patch-%s-%s.%s", base, app, format);
            if (cz_name) {
                snprintf(out[i].name, sizeof(out[i].name), "%s", cz_name);
            }
            memcpy(out[i].base, old.info.hash_stored, OTA_SHA256_LEN);
            out[i].size = buf.len;
            ota_sha256_ctx sha;
            ota_sha256_init(&sha);
            ota_sha256_update(&sha, buf.data, buf.len);
            ota_sha256_finish(&sha, out[i].sha);
            rc = cz_name ? CLI_OK : publish(ro, out[i].name, buf.data, buf.len);  /* the compressed one is out already */
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
    *np_io = kept;
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

/* A whole decimal number 0..max, or false. */
static bool parse_uint(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (!s[0]) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > max) {
            return false;
        }
    }
    *out = (uint32_t)v;
    return true;
}

static int parse_numbers(const char *serial_s, const char *rollout_s, uint32_t *serial, unsigned *rollout)
{
    uint32_t r = 100;
    *serial = 0;
    if (serial_s && (!parse_uint(serial_s, UINT32_MAX, serial) || *serial == 0)) {
        cli_error("--serial %s: a whole number from 1 to %u", serial_s, (unsigned)UINT32_MAX);
        return CLI_USAGE;
    }
    if (rollout_s && !parse_uint(rollout_s, 100, &r)) {
        cli_error("--rollout %s: a percentage 0..100", rollout_s);
        return CLI_USAGE;
    }
    *rollout = r;
    return CLI_OK;
}

/* The serial to publish: the given one, which must be higher than the
 * tree's (--force: a warning), or the tree's plus 1. */
static int choose_serial(const char *dir, const char *serial_s, bool force, uint32_t *serial)
{
    uint32_t now;
    int rc = current_serial(dir, &now);
    if (rc) {
        return rc;
    }
    if (!serial_s) {
        if (now == UINT32_MAX) {
            cli_error("%s/manifest.json has serial %u, the highest there is: no next serial", dir, (unsigned)now);
            return CLI_FAIL;
        }
        *serial = now + 1;
        return CLI_OK;
    }
    if (*serial > now) {
        return CLI_OK;
    }
    if (!force) {
        cli_error("--serial %u is not higher than %u, the serial of %s/manifest.json: devices refuse a serial "
                  "lower than the one they accepted (give a higher one, or --force)", (unsigned)*serial,
                  (unsigned)now, dir);
        return CLI_USAGE;
    }
    fprintf(stderr, "ota: warning: --force: serial %u is not higher than %u in %s/manifest.json; devices that "
            "accepted a higher serial refuse this release (OTA_ERR_MANIFEST_REPLAY)\n", (unsigned)*serial,
            (unsigned)now, dir);
    return CLI_OK;
}

/* DIR and its parents, as mkdir -p. */
static int make_dir(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                cli_error("cannot create %s: %s", path, strerror(errno));
                return CLI_FAIL;
            }
            *p = c;
            if (!c) {
                return CLI_OK;
            }
        }
    }
}

struct release_args {
    const char *image, *key, *format, *project, *encrypt_to;
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

/* --encrypt-to: the published file is the image encrypted to the devices'
 * key (esp_encrypted_img); the manifest signs that file, and names the app
 * inside by its own SHA-256. */
static int encrypt_image(struct release_image *im, const char *pub)
{
    uint8_t *enc;
    size_t len;
    int err = ota_host_encrypt_esp(im->data, im->len, pub, &enc, &len);
    if (err) {
        cli_error("--encrypt-to %s: %s", pub, ota_strerror(err));
        return CLI_FAIL;
    }
    free(im->data);
    im->data = enc;
    im->len = len;
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, im->data, im->len);
    ota_sha256_finish(&sha, im->file_sha);
    return CLI_OK;
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
    const char *project = ra->project ? ra->project : nw.info.desc.project_name;
    if (!rc && !project[0]) {
        cli_error("%s has no project name (as ESP-ADF apps): name the product with --project; devices name it "
                  "too (ota run --project, CONFIG_OTA_RELEASE_PROJECT)", ra->image);
        rc = CLI_USAGE;
    } else if (!rc && ra->project && nw.info.desc.project_name[0] && strcmp(ra->project, nw.info.desc.project_name)) {
        cli_error("--project %s: %s is project '%s'", ra->project, ra->image, nw.info.desc.project_name);
        rc = CLI_USAGE;
    }
    if (!rc && ra->encrypt_to) {
        rc = encrypt_image(&nw, ra->encrypt_to);
    }
    if (!rc) {
        hex(app, nw.info.hash_stored, 8);
        snprintf(name, sizeof(name), "app-%s.%s", app, ra->encrypt_to ? "enc" : "bin");
        rc = publish(ro, name, nw.data, nw.len);
    }
    unsigned np = ra->np;
    struct delta_buf czb = {0};
    char cz_name[64];
    struct compressed cz = {NULL, cz_name};
    if (!rc && cz_compress(nw.data, nw.len, &czb) == 0) {
        snprintf(cz_name, sizeof(cz_name), "app-%s.cz", app);
        cz.buf = &czb;
        rc = publish(ro, cz_name, czb.data, czb.len);
    }
    if (!rc) {
        rc = make_patches(ro, ra->format, &nw, ra->prev, &np, patches, &cz);
    }
    free(czb.data);
    int len = rc ? -1 : manifest_json(text, sizeof(text) - 1, &nw, project, name, ra->serial, ra->rollout, patches,
                                      np);
    if (!rc && len < 0) {
        cli_error("the manifest would exceed %u bytes", OTA_MANIFEST_MAX_LEN);
        rc = CLI_FAIL;
    }
    if (!rc) {
        rc = publish_manifest(ro, ra->key, text, (size_t)len);
    }
    if (ro->json) {
        release_json(ro, text, len, patches, np, nw.len, rc);
    } else if (!rc) {
        printf("%s/manifest.json: serial %u, %s %s, rollout %u%%, image %s (%zu bytes), %u patches\n", ro->dir,
               (unsigned)ra->serial, project, nw.info.desc.version, ra->rollout, name, nw.len, np);
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
    bool json = false, force = false;
    struct cli_opt opts[] = {
        CLI_VALUE("image", &ra.image, "NEW.bin", "the release's full app image (required)"),
        CLI_VALUE_D("previous", &prev_row, "OLD.bin", "an earlier release to make a patch from (repeat the option for "
                    "each)", "none: the full image only"),
        CLI_VALUE("key", &ra.key, "KEY.pem", "the key that signs the manifest, ECDSA P-256 or RSA-3072 (required)"),
        CLI_VALUE_D("serial", &serial_s, "N", "the manifest's serial, 1..4294967295; must be higher than the tree's",
                    "the serial in DIR plus 1, else 1"),
        CLI_VALUE_D("rollout", &rollout_s, "PERCENT", "share of devices that take this release", "100"),
        CLI_VALUE("format", &ra.format, "compact|esp", "the patch format"),
        CLI_VALUE_D("encrypt-to", &ra.encrypt_to, "PUB.pem",
                    "publish the image encrypted to the devices' key (esp_encrypted_img; no patches)", "plain"),
        CLI_VALUE_D("project", &ra.project, "P", "the product the release is for (required when the image has "
                    "no project name)", "the image's project name"),
        CLI_FLAG("force", &force, "publish a serial that is not higher than the tree's (devices that accepted a "
                 "higher one refuse it)"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = take_previous(&argc, argv, ra.prev, &ra.np)) || (rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (!ra.image || !ra.key || (strcmp(ra.format, "compact") != 0 && strcmp(ra.format, "esp") != 0)) {
        cli_error("--image NEW.bin and --key KEY.pem are required; --format compact or esp");
        return CLI_USAGE;
    }
    if (ra.encrypt_to && ra.np) {
        cli_error("--encrypt-to publishes the full image only: patches would travel in the clear (drop --previous)");
        return CLI_USAGE;
    }
    if (!cli_key_usable(ra.key, true)) {
        return CLI_FAIL;
    }
    if ((rc = parse_numbers(serial_s, rollout_s, &ra.serial, &ra.rollout)) || (rc = make_dir(pos[0])) ||
        (rc = choose_serial(pos[0], serial_s, force, &ra.serial))) {
        return rc;
    }
    memset(&ro, 0, sizeof(ro));
    ro.dir = pos[0];
    ro.json = json;
    return release_publish(&ro, &ra);
}
