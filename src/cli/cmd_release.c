/* ota release: publish a release into a static tree (docs/manifest.md):
 * the full image plain and compressed, a patch from each previous release
 * (all encrypted with --encrypt-to), then the signed manifests, format 2
 * (every item, smallest first) and format 1 (what devices in the field
 * read), each renamed into place last so a reader sees the old release or
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
    struct written_file files[MAX_PREVIOUS + 6];  /* image, compressed image, patches, two manifests, two signatures */
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

struct release_args {
    const char *image, *key, *format, *project, *encrypt_to;
    const char *prev[MAX_PREVIOUS];
    unsigned np, rollout;
    uint32_t serial;
    bool no_reloc;  /* patches without relocations, for appliers that predate them */
};

/* One published item: its bytes and what the manifests say of it. */
struct pub_item {
    char name[96];
    uint8_t kind;                  /* enum ota_manifest_kind */
    bool encrypted;
    uint8_t base[OTA_SHA256_LEN];  /* a patch's base: the previous release's appended SHA-256 */
    char from[4096];               /* a patch: the previous release's image file */
    struct delta_buf buf;
    uint8_t sha[OTA_SHA256_LEN];
};

/* Everything a publication offers. */
struct release_set {
    struct pub_item plain, compressed;  /* compressed.buf.len 0: the compressor failed */
    struct pub_item patches[MAX_PREVIOUS];
    unsigned np;
    size_t app_len;                /* the image's own length (before encryption) */
};

static void set_free(struct release_set *set)
{
    free(set->plain.buf.data);
    free(set->compressed.buf.data);
    for (unsigned i = 0; i < set->np; i++) {
        free(set->patches[i].buf.data);
    }
    memset(set, 0, sizeof(*set));
}

static void item_hash(struct pub_item *it)
{
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, it->buf.data, it->buf.len);
    ota_sha256_finish(&sha, it->sha);
}

/* Format 1 (manifest.json, what every device reads): the image, and for
 * each base the smaller of its patch and the compressed image (neither
 * when the items are encrypted: format 1 cannot say so). */
static size_t format1_items(char *out, size_t cap, const struct release_set *set)
{
    char base[2 * OTA_SHA256_LEN + 1], file[320];
    size_t n = 0;
    unsigned listed = 0;
    file_json(file, sizeof(file), set->plain.name, set->plain.buf.len, set->plain.sha);
    n += (size_t)snprintf(out + n, cap - n, "  \"image\": {%s},\n  \"patches\": [", file);
    for (unsigned i = 0; i < set->np && n < cap && !set->plain.encrypted; i++) {
        const struct pub_item *p = &set->patches[i];
        const struct pub_item *cz = &set->compressed;
        const struct pub_item *it = cz->buf.len && cz->buf.len < p->buf.len ? cz : p;
        hex(base, p->base, OTA_SHA256_LEN);
        file_json(file, sizeof(file), it->name, it->buf.len, it->sha);
        n += (size_t)snprintf(out + n, cap - n, "%s\n    {\"base_app_sha256\": \"%s\", %s}", listed++ ? "," : "",
                              base, file);
    }
    if (n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%s]\n}\n", listed ? "\n  " : "");
    }
    return n;
}

static int item_cmp(const void *a, const void *b)
{
    size_t x = (*(const struct pub_item *const *)a)->buf.len, y = (*(const struct pub_item *const *)b)->buf.len;
    return x < y ? -1 : x > y;
}

/* Format 2 (manifest.json.v2): every item, smallest first. */
static size_t format2_items(char *out, size_t cap, const struct release_set *set)
{
    static const char *const kinds[] = {"plain", "compressed", "patch"};
    const struct pub_item *all[MAX_PREVIOUS + 2];
    char base[2 * OTA_SHA256_LEN + 1], file[320], named[120];
    unsigned count = 0;
    size_t n = 0;
    all[count++] = &set->plain;
    if (set->compressed.buf.len && set->compressed.buf.len < set->plain.buf.len) {
        all[count++] = &set->compressed;  /* not smaller than the image: it would never be taken */
    }
    for (unsigned i = 0; i < set->np; i++) {
        all[count++] = &set->patches[i];
    }
    qsort(all, count, sizeof(all[0]), item_cmp);
    n += (size_t)snprintf(out + n, cap - n, "  \"app_size\": %zu,\n  \"items\": [", set->app_len);
    for (unsigned i = 0; i < count && n < cap; i++) {
        const struct pub_item *it = all[i];
        hex(base, it->base, OTA_SHA256_LEN);
        snprintf(named, sizeof(named), "\"base_app_sha256\": \"%s\", ", base);
        file_json(file, sizeof(file), it->name, it->buf.len, it->sha);
        n += (size_t)snprintf(out + n, cap - n, "%s\n    {\"kind\": \"%s\", %s%s, \"encrypted\": %s}", i ? "," : "",
                              kinds[it->kind], it->kind == OTA_MANIFEST_KIND_PATCH ? named : "", file,
                              it->encrypted ? "true" : "false");
    }
    if (n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "\n  ]\n}\n");
    }
    return n;
}

/* The manifest of `format`: the head both formats share, then its items. */
static int manifest_json(char *out, size_t cap, unsigned format, const struct release_image *im, const char *project,
                         uint32_t serial, unsigned rollout, const struct release_set *set)
{
    char app[2 * OTA_SHA256_LEN + 1];
    const struct ota_app_desc *d = &im->info.desc;
    hex(app, im->info.hash_stored, OTA_SHA256_LEN);
    size_t n = (size_t)snprintf(out, cap,
        "{\n  \"format\": %u,\n  \"project\": \"%s\",\n  \"version\": \"%s\",\n  \"secure_version\": %u,\n"
        "  \"chip\": \"%s\",\n  \"serial\": %u,\n  \"rollout_percent\": %u,\n  \"app_sha256\": \"%s\",\n", format,
        project, d->version, (unsigned)d->secure_version, chip_name(im->info.header.chip_id), (unsigned)serial,
        rollout, app);
    if (n < cap) {
        n += format == OTA_MANIFEST_FORMAT ? format1_items(out + n, cap - n, set)
                                           : format2_items(out + n, cap - n, set);
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

/* A patch is offered only when it is smaller than the full image: a
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

/* The patch from each previous release that pays off. */
static int make_patches(struct release_out *ro, const struct release_args *ra, const struct release_image *nw,
                        struct release_set *set)
{
    const char *format = ra->format;
    char app[17], base[17];
    hex(app, nw->info.hash_stored, 8);
    for (unsigned k = 0; k < ra->np; k++) {
        static struct release_image old;
        struct pub_item *p = &set->patches[set->np];
        memset(&old, 0, sizeof(old));
        old.path = ra->prev[k];
        int rc = load_image(&old);
        bool reloc = !rc && !ra->no_reloc && cli_delta_both_apps(old.data, old.len, nw->data, nw->len);
        if (!rc && cli_delta_make_patch_opts(format, old.data, old.len, nw->data, nw->len,
                                             OTA_DELTA_COMPACT_SYNC_DEFAULT, reloc, &p->buf)) {
            cli_error("%s: out of memory making the patch", old.path);
            rc = CLI_FAIL;
        }
        if (!rc && worth_it(ro, old.path, p->buf.len, nw->len)) {
            hex(base, old.info.hash_stored, 8);
            snprintf(p->name, sizeof(p->name), "patch-%s-%s.%s", base, app, format);
            snprintf(p->from, sizeof(p->from), "%s", old.path);
            p->kind = OTA_MANIFEST_KIND_PATCH;
            memcpy(p->base, old.info.hash_stored, OTA_SHA256_LEN);
            set->np++;
            if (set->compressed.buf.len && set->compressed.buf.len < p->buf.len) {
                fprintf(ro->json ? stderr : stdout, "from %s the compressed image is smaller than the patch "
                        "(%zu < %zu bytes)\n", old.path, set->compressed.buf.len, p->buf.len);
            }
        } else {
            free(p->buf.data);
            memset(&p->buf, 0, sizeof(p->buf));
        }
        free(old.data);
        if (rc) {
            return rc;
        }
    }
    return CLI_OK;
}

/* The image as it is, compressed, and the patches from earlier releases. */
static int make_items(struct release_out *ro, const struct release_args *ra, const struct release_image *nw,
                      struct release_set *set)
{
    char app[17];
    hex(app, nw->info.hash_stored, 8);
    set->app_len = nw->len;
    snprintf(set->plain.name, sizeof(set->plain.name), "app-%s.bin", app);
    set->plain.kind = OTA_MANIFEST_KIND_PLAIN;
    if (delta_buf_put(&set->plain.buf, nw->data, nw->len)) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    snprintf(set->compressed.name, sizeof(set->compressed.name), "app-%s.cz", app);
    set->compressed.kind = OTA_MANIFEST_KIND_COMPRESSED;
    if (cz_compress(nw->data, nw->len, &set->compressed.buf) != 0) {
        free(set->compressed.buf.data);
        memset(&set->compressed.buf, 0, sizeof(set->compressed.buf));
    }
    return make_patches(ro, ra, nw, set);
}

/* --encrypt-to: every item encrypted to the devices' key (esp_encrypted_img);
 * the manifests sign the ciphertext. The image keeps its name app-<app8>.enc,
 * the others gain ".enc". */
static int encrypt_item(struct pub_item *it, const char *pub)
{
    uint8_t *enc;
    size_t len;
    int err = ota_host_encrypt_esp(it->buf.data, it->buf.len, pub, &enc, &len);
    if (err) {
        cli_error("--encrypt-to %s: %s", pub, ota_strerror(err));
        return CLI_FAIL;
    }
    free(it->buf.data);
    it->buf.data = enc;
    it->buf.len = it->buf.cap = len;
    it->encrypted = true;
    size_t n = strlen(it->name);
    n -= it->kind == OTA_MANIFEST_KIND_PLAIN ? strlen(".bin") : 0;  /* app-<app8>.enc, as before */
    snprintf(it->name + n, sizeof(it->name) - n, ".enc");
    return CLI_OK;
}

/* Encrypt (--encrypt-to), hash, and write every item. */
static int publish_items(struct release_out *ro, struct release_set *set, const char *encrypt_to)
{
    struct pub_item *all[MAX_PREVIOUS + 2];
    unsigned count = 0;
    int rc = CLI_OK;
    all[count++] = &set->plain;
    if (set->compressed.buf.len) {
        all[count++] = &set->compressed;
    }
    for (unsigned i = 0; i < set->np; i++) {
        all[count++] = &set->patches[i];
    }
    for (unsigned i = 0; i < count && !rc; i++) {
        if (encrypt_to) {
            rc = encrypt_item(all[i], encrypt_to);
        }
        if (!rc) {
            item_hash(all[i]);
            rc = publish(ro, all[i]->name, all[i]->buf.data, all[i]->buf.len);
        }
    }
    return rc;
}

/* Sign a manifest, then put its signature and the manifest in place
 * (the manifest last: it is what readers look for). */
static int publish_manifest(struct release_out *ro, const char *key, const char *name, const char *text, size_t len)
{
    static struct sig_capture cap;
    char sig_name[64];
    memset(&cap, 0, sizeof(cap));
    cap.sector = ota_sig_sector_offset((uint32_t)len);
    int err = ota_host_sign((const uint8_t *)text, len, key, true, capture, &cap);
    if (err) {
        cli_error("signing %s with %s: %s", name, key, ota_strerror(err));
        return CLI_FAIL;
    }
    snprintf(sig_name, sizeof(sig_name), "%s.sig", name);
    if (publish(ro, sig_name, cap.sig, sizeof(cap.sig))) {
        return CLI_FAIL;
    }
    return publish(ro, name, text, len);
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

static void release_json(const struct release_out *ro, const char *text, int len, const struct release_set *set,
                         int rc)
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
    for (unsigned i = 0; i < set->np && rc == CLI_OK; i++) {
        const struct pub_item *p = &set->patches[i];
        json_object(&j, NULL);
        json_str(&j, "from", p->from);
        json_str(&j, "file", p->name);
        json_uint(&j, "size", p->buf.len);
        json_double(&j, "percent_of_image", 100.0 * (double)p->buf.len / (double)set->plain.buf.len);
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

/* The project the release is for: --project, else the image's. */
static int release_project(const struct release_args *ra, const struct release_image *nw, const char **project)
{
    *project = ra->project ? ra->project : nw->info.desc.project_name;
    if (!chip_name(nw->info.header.chip_id)) {
        cli_error("%s: chip id %u has no manifest name", ra->image, nw->info.header.chip_id);
        return CLI_FAIL;
    }
    if (!(*project)[0]) {
        cli_error("%s has no project name (as ESP-ADF apps): name the product with --project; devices name it "
                  "too (ota run --project, CONFIG_OTA_RELEASE_PROJECT)", ra->image);
        return CLI_USAGE;
    }
    if (ra->project && nw->info.desc.project_name[0] && strcmp(ra->project, nw->info.desc.project_name)) {
        cli_error("--project %s: %s is project '%s'", ra->project, ra->image, nw->info.desc.project_name);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* Both manifests, format 2 first: manifest.json, the one every device
 * reads, is renamed into place last. text receives format 1. */
static int publish_manifests(struct release_out *ro, const struct release_args *ra, const struct release_image *nw,
                             const char *project, const struct release_set *set, char *text, size_t cap, int *len)
{
    static char text2[OTA_MANIFEST_MAX_LEN + 1];
    int len2 = manifest_json(text2, OTA_MANIFEST_MAX_LEN + 1, OTA_MANIFEST_FORMAT2, nw, project, ra->serial,
                             ra->rollout, set);
    *len = manifest_json(text, cap, OTA_MANIFEST_FORMAT, nw, project, ra->serial, ra->rollout, set);
    if (*len < 0 || len2 < 0 || *len > (int)OTA_MANIFEST_MAX_LEN || len2 > (int)OTA_MANIFEST_MAX_LEN) {
        cli_error("the manifest would exceed %u bytes", OTA_MANIFEST_MAX_LEN);
        return CLI_FAIL;
    }
    int rc = publish_manifest(ro, ra->key, "manifest.json.v2", text2, (size_t)len2);
    return rc ? rc : publish_manifest(ro, ra->key, "manifest.json", text, (size_t)*len);
}

/* The items, then the signed manifests. */
static int release_publish(struct release_out *ro, const struct release_args *ra)
{
    static struct release_image nw;
    static struct release_set set;
    static char text[OTA_MANIFEST_MAX_LEN + 2];
    const char *project = "";
    int len = -1;
    nw.path = ra->image;
    int rc = load_image(&nw);
    if (!rc) {
        rc = release_project(ra, &nw, &project);
    }
    if (!rc) {
        rc = make_items(ro, ra, &nw, &set);
    }
    if (!rc) {
        rc = publish_items(ro, &set, ra->encrypt_to);
    }
    if (!rc) {
        rc = publish_manifests(ro, ra, &nw, project, &set, text, sizeof(text), &len);
    }
    if (ro->json) {
        release_json(ro, text, len, &set, rc);
    } else if (!rc) {
        printf("%s/manifest.json: serial %u, %s %s, rollout %u%%, image %s (%zu bytes), %u patches\n", ro->dir,
               (unsigned)ra->serial, project, nw.info.desc.version, ra->rollout, set.plain.name, set.plain.buf.len,
               set.plain.encrypted ? 0 : set.np);
        printf("%s/manifest.json.v2: the image, %s%u patches, smallest first%s\n", ro->dir,
               set.compressed.buf.len && set.compressed.buf.len < set.plain.buf.len ? "the compressed image, " : "",
               set.np, ra->encrypt_to ? ", encrypted" : "");
    }
    free(nw.data);
    set_free(&set);
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
        CLI_FLAG("no-reloc", &ra.no_reloc,
                 "compact patches that do not predict relocations (for devices whose firmware predates them)"),
        CLI_VALUE_D("encrypt-to", &ra.encrypt_to, "PUB.pem",
                    "publish every item encrypted to the devices' key (esp_encrypted_img): the image, "
                    "the compressed image, the patches", "plain"),
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
