/* ota delta make|apply|info: delta patches between app images, on files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/delta.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/host_file.h"
#include "cli.h"
#include "commands.h"
#include "delta_make.h"
#include "delta_report.h"

#define APPLY_CHECKPOINTS_MAX 256u

struct apply_ctx {
    const uint8_t *old;
    size_t old_len;
    struct ota_host_outfile out;  /* OUT appears whole, or stays as it was */
    int out_err;                  /* the output file's own failure, if that was what failed */
    ota_sha256_ctx sha;  /* of what is written: the result's digest for --json */
    bool digest;         /* --json: keep sha (else it would hash every byte a second time) */
    struct delta_buf image; /* the result so far, kept: the applier reads it back with no system call */
    size_t on_disk;      /* of it, bytes in the output file: written in large pieces */
    struct ota_delta_checkpoint cps[APPLY_CHECKPOINTS_MAX];  /* the sync points seen, in order */
    size_t ncp;
    uint8_t *scratch;    /* the relocation map's scratch storage */
};

static int read_old(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if ((size_t)offset + len > a->old_len) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, a->old + offset, len);
    return 0;
}

#define APPLY_WRITE_PIECE (256u * 1024u)

static int write_out(struct apply_ctx *a)
{
    int rc = ota_host_outfile_write(&a->out, a->image.data + a->on_disk, a->image.len - a->on_disk);
    a->on_disk = a->image.len;
    return a->out_err = rc;
}

static int write_new(void *ctx, const uint8_t *data, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if (a->digest) {
        ota_sha256_update(&a->sha, data, len);
    }
    if (delta_buf_put(&a->image, data, len)) {
        return OTA_ERR_NO_MEM;
    }
    return a->image.len - a->on_disk >= APPLY_WRITE_PIECE ? write_out(a) : 0;
}

/* Compact patches' matches into the new image: read back what was written. */
static int read_written(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if ((uint64_t)offset + len > a->image.len) {
        return OTA_ERR_IO;
    }
    memcpy(buf, a->image.data + offset, len);
    return 0;
}

/* The relocation map's scratch storage: RAM that behaves as flash
 * (erased to 0xFF, programming clears bits). */
#define APPLY_SCRATCH (1024u * 1024u)

static int scratch_erase(void *ctx, uint32_t off, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if ((uint64_t)off + len > APPLY_SCRATCH) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memset(a->scratch + off, 0xFF, len);
    return 0;
}

static int scratch_program(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if ((uint64_t)off + len > APPLY_SCRATCH) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    for (uint32_t i = 0; i < len; i++) {
        a->scratch[off + i] &= ((const uint8_t *)buf)[i];
    }
    return 0;
}

static int scratch_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct apply_ctx *a = ctx;
    if ((uint64_t)off + len > APPLY_SCRATCH) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, a->scratch + off, len);
    return 0;
}

static const struct ota_delta_scratch_ops scratch_ops = {scratch_erase, scratch_program, scratch_read};

/* The document of a failed command: what it was given and the error. */
static void error_json(const char *key, const char *path, int err)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, key, path);
    json_bool(&j, "ok", false);
    json_error(&j, "error", err);
    json_end(&j);
}

static void hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

/* The image's appended SHA-256 is its last 32 bytes (what esptool calls
 * "Validation Hash"); that is the digest a patch header names. */
static void print_header(const struct ota_delta_header *h)
{
    printf("patch: %s\n", delta_form_name(h->form));
    if (h->has_base) {
        printf("base sha256: ");
        hex(h->base_sha256, OTA_SHA256_LEN);
        printf("\n");
    }
    if (h->has_new) {
        printf("new sha256: ");
        hex(h->new_sha256, OTA_SHA256_LEN);
        printf("\n");
    }
    if (h->old_size) {
        printf("old size: %u\n", h->old_size);
    }
    printf("new size: %u\n", h->new_size);
    if (h->sync) {
        printf("sync interval: %u\n", h->sync);
    }
    if ((h->flags & OTA_DELTA_FLAG_RELOC) && h->form == OTA_DELTA_COMPRESSED) {
        printf("code: Xtensa calls and loads coded by their targets (OTA_CZ_FLAG_XTENSA)\n");
    } else if (h->flags & OTA_DELTA_FLAG_RELOC) {
        printf("relocations: predicted (the applier needs scratch storage for the map)\n");
    }
}

static void info_json(const char *path, const struct ota_delta_header *h, size_t len)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "patch", path);
    json_bool(&j, "ok", true);
    report_delta_header(&j, h);
    json_uint(&j, "patch_size", len);
    json_error(&j, "error", 0);
    json_end(&j);
}

int cmd_delta_info(int argc, char **argv)
{
    const char *pos[1];
    int npos, rc;
    bool json = false;
    struct cli_opt opts[] = {CLI_JSON(&json), CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint8_t *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    struct ota_delta_header h;
    int err = ota_delta_parse_header(data, len, &h);
    if (err) {
        cli_error("%s: %s (%s)", pos[0], ota_strerror(err), ota_errname(err));
        if (json) {
            error_json("patch", pos[0], err);
        }
        free(data);
        return CLI_FAIL;
    }
    if (json) {
        info_json(pos[0], &h, len);
    } else {
        print_header(&h);
        printf("patch size: %zu\n", len);
    }
    free(data);
    return CLI_OK;
}

/* The patch in chunks; the checkpoints it offers on the way noted in a. */
static int apply_stream(struct ota_delta *d, const uint8_t *patch, size_t len, size_t chunk, struct apply_ctx *a)
{
    int err = 0;
    for (size_t off = 0; off < len && !err; off += chunk) {
        err = ota_delta_write(d, patch + off, len - off < chunk ? len - off : chunk);
        struct ota_delta_checkpoint cp;
        if (!err && ota_delta_checkpoint(d, &cp) && a->ncp < APPLY_CHECKPOINTS_MAX &&
            (a->ncp == 0 || a->cps[a->ncp - 1].out_off != cp.out_off)) {
            a->cps[a->ncp++] = cp;
        }
    }
    return err ? err : ota_delta_finish(d);
}

/* Apply PATCH to OLD into the file at out_path, which appears only when the
 * patch applied in full; d and a hold the outcome (a->digest: hash it). */
static int apply_files(const uint8_t *old, size_t old_len, const uint8_t *patch, size_t patch_len,
                       const char *out_path, uint32_t chunk, struct ota_delta *d, struct apply_ctx *a)
{
    bool digest = a->digest;
    memset(a, 0, sizeof(*a));
    a->digest = digest;
    a->old = old;
    a->old_len = old_len;
    ota_sha256_init(&a->sha);
    int err = a->out_err = ota_host_outfile_open(&a->out, out_path);
    if (!err) {
        /* The base digest a patch names is checked against OLD's own. */
        const uint8_t *base = old_len >= OTA_SHA256_LEN ? old + old_len - OTA_SHA256_LEN : NULL;
        struct ota_delta_header h;
        bool bare = !ota_delta_parse_header(patch, patch_len, &h) && h.form == OTA_DELTA_DETOOLS;
        err = ota_delta_begin(d, (uint32_t)old_len, bare ? NULL : base, read_old, write_new, a);
        ota_delta_set_history(d, read_written);
        a->scratch = malloc(APPLY_SCRATCH);
        err = a->scratch ? ota_delta_set_scratch(d, &scratch_ops, a, APPLY_SCRATCH, false) : OTA_ERR_NO_MEM;
    }
    if (!err) {
        err = apply_stream(d, patch, patch_len, chunk, a);
    }
    free(a->scratch);
    a->scratch = NULL;
    if (!err) {
        err = write_out(a);
    }
    free(a->image.data);
    a->image = (struct delta_buf){0};
    if (err) {
        ota_host_outfile_abort(&a->out);
    } else {
        err = a->out_err = ota_host_outfile_commit(&a->out);
    }
    return err;
}

static void apply_json(const char *const pos[3], const uint8_t *old, size_t old_len, const uint8_t *patch,
                       size_t patch_len, const struct ota_delta *d, struct apply_ctx *a)
{
    uint8_t result_sha[OTA_SHA256_LEN];
    struct json j;
    ota_sha256_finish(&a->sha, result_sha);
    json_begin(&j, stdout);
    json_bool(&j, "ok", true);
    report_delta_header(&j, &d->hdr);
    report_file(&j, "base", pos[0], old, old_len);
    report_file(&j, "patch", pos[1], patch, patch_len);
    report_file_digest(&j, "result", pos[2], ota_delta_produced(d), result_sha);
    json_array(&j, "checkpoints");  /* where a device can resume: patch and image offsets */
    for (size_t i = 0; i < a->ncp; i++) {
        json_object(&j, NULL);
        json_uint(&j, "patch_offset", a->cps[i].in_off);
        json_uint(&j, "image_offset", a->cps[i].out_off);
        json_close(&j);
    }
    json_close(&j);
    json_error(&j, "error", 0);
    json_end(&j);
}

int cmd_delta_apply(int argc, char **argv)
{
    const char *pos[3], *chunk_s = NULL;
    int npos, rc;
    bool json = false;
    struct cli_opt opts[] = {
        CLI_NUMBER("chunk", &chunk_s, CLI_BYTES, "BYTES", "feed the patch to the applier in pieces of this size",
                   "4096"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos))) {
        return rc;
    }
    uint32_t chunk = 4096;
    if (chunk_s) {
        cli_parse_size(chunk_s, &chunk);  /* checked by cli_parse */
    }
    uint8_t *old, *patch;
    size_t old_len, patch_len;
    if (cli_read_file(pos[0], &old, &old_len)) {
        return CLI_FAIL;
    }
    if (cli_read_file(pos[1], &patch, &patch_len)) {
        free(old);
        return CLI_FAIL;
    }
    static struct ota_delta d; /* 16 KiB: not on the stack of a small device, not here either */
    struct apply_ctx a = {.digest = json};
    int err = apply_files(old, old_len, patch, patch_len, pos[2], chunk, &d, &a);
    if (err) {
        /* the file to blame: OUT when writing it failed, else the patch */
        const char *key = a.out_err ? "result" : "patch", *path = a.out_err ? pos[2] : pos[1];
        cli_error("%s: %s (%s)%s", path, a.out_err ? cli_file_error(err) : ota_strerror(err), ota_errname(err),
                  a.out_err ? "" : "; nothing written");
        if (json) {
            error_json(key, path, err);
        }
    } else if (json) {
        apply_json(pos, old, old_len, patch, patch_len, &d, &a);
    } else {
        printf("%s: %u bytes written from a %s patch of %zu bytes\n", pos[2], ota_delta_produced(&d),
               delta_form_name(d.hdr.form), patch_len);
    }
    free(old);
    free(patch);
    return err ? CLI_FAIL : CLI_OK;
}

bool cli_delta_both_apps(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len)
{
    struct ota_delta_seg segs[OTA_DELTA_RELOC_SEGS];
    uint8_t n = 0;
    return !delta_image_segs(old, old_len, segs, &n) && !delta_image_segs(nw, new_len, segs, &n);
}

int cli_delta_make_patch(const char *format, const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                      struct delta_buf *out)
{
    return cli_delta_make_patch_sync(format, old, old_len, nw, new_len, OTA_DELTA_COMPACT_SYNC_DEFAULT, out);
}

int cli_delta_make_patch_sync(const char *format, const uint8_t *old, size_t old_len, const uint8_t *nw,
                              size_t new_len, uint32_t sync, struct delta_buf *out)
{
    return cli_delta_make_patch_opts(format, old, old_len, nw, new_len, sync, false, out);
}

int cli_delta_make_patch_opts(const char *format, const uint8_t *old, size_t old_len, const uint8_t *nw,
                              size_t new_len, uint32_t sync, bool reloc, struct delta_buf *out)
{
    struct delta_plan plan;
    if (delta_plan_make(old, old_len, nw, new_len, &plan)) {
        return OTA_ERR_NO_MEM;
    }
    unsigned flags = reloc ? OTA_DELTA_FLAG_RELOC : 0;
    int err = strcmp(format, "compact") == 0
                  ? delta_write_compact_opts(old, old_len, nw, new_len, &plan, sync, flags, out)
                  : delta_write_esp(old, old_len, nw, new_len, &plan, out);
    delta_plan_free(&plan);
    return err ? OTA_ERR_NO_MEM : 0;
}

static void make_json(const char *const pos[3], const char *format, const uint8_t *old, size_t old_len,
                      const uint8_t *nw, size_t new_len, const struct delta_buf *out)
{
    struct json j;
    json_begin(&j, stdout);
    json_bool(&j, "ok", true);
    json_str(&j, "format", format);
    report_file(&j, "base", pos[0], old, old_len);
    /* what the patch header names the base by: its appended SHA-256 */
    if (old_len >= OTA_SHA256_LEN) {
        json_hex(&j, "base_app_sha256", old + old_len - OTA_SHA256_LEN, OTA_SHA256_LEN);
    } else {
        json_null(&j, "base_app_sha256");
    }
    report_file(&j, "result", pos[1], nw, new_len);
    report_file(&j, "patch", pos[2], out->data, out->len);
    json_uint(&j, "patch_size", out->len);
    json_double(&j, "patch_percent_of_result", new_len ? 100.0 * (double)out->len / (double)new_len : 0.0);
    json_error(&j, "error", 0);
    json_end(&j);
}

int cmd_delta_make(int argc, char **argv)
{
    const char *pos[3], *format = "esp", *sync_s = NULL;
    int npos, rc;
    bool json = false, no_reloc = false;
    struct cli_opt opts[] = {
        CLI_FLAG("no-reloc", &no_reloc,
                 "compact: do not predict relocations (for appliers without scratch storage for the map)"),
        CLI_VALUE("format", &format, "esp|compact",
                  "esp: esp_delta_ota's format (stock esp_delta_ota applies it); compact: ours, smaller"),
        CLI_NUMBER("sync", &sync_s, CLI_TEXT, "BYTES",
                   "compact: new-image bytes between sync points, where a device resumes after a power cut "
                   "(a multiple of 4K; 0: none, format 7)", "256K"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos))) {
        return rc;
    }
    uint32_t sync = OTA_DELTA_COMPACT_SYNC_DEFAULT;
    if (sync_s && strcmp(sync_s, "0") == 0) {
        sync = 0;  /* format 7: no sync points */
    } else if (sync_s && !cli_parse_size(sync_s, &sync)) {
        sync = 1;
    }
    if (sync % OTA_CZ_SYNC_UNIT) {
        cli_error("--sync %s: not 0 or a multiple of %u bytes", sync_s, OTA_CZ_SYNC_UNIT);
        return CLI_USAGE;
    }
    if (strcmp(format, "esp") != 0 && strcmp(format, "compact") != 0) {
        cli_error("--format: esp or compact, not '%s'", format);
        return CLI_USAGE;
    }
    uint8_t *old, *nw;
    size_t old_len, new_len;
    if (cli_read_file(pos[0], &old, &old_len)) {
        return CLI_FAIL;
    }
    if (cli_read_file(pos[1], &nw, &new_len)) {
        free(old);
        return CLI_FAIL;
    }
    struct delta_buf out = {0};
    int err = old_len > INT32_MAX || new_len > UINT32_MAX ? OTA_ERR_INVALID_ARG : 0;
    bool writing = false;
    if (!err) {
        bool reloc = !no_reloc && cli_delta_both_apps(old, old_len, nw, new_len);
        err = cli_delta_make_patch_opts(format, old, old_len, nw, new_len, sync, reloc, &out);
    }
    if (!err) {
        writing = true;
        err = ota_host_write_file(pos[2], out.data, out.len);  /* whole, or OUT as it was */
    }
    if (err) {
        cli_error("%s: %s (%s)", pos[2], writing ? cli_file_error(err) : ota_strerror(err), ota_errname(err));
        if (json) {
            error_json("patch", pos[2], err);
        }
    } else if (json) {
        make_json(pos, format, old, old_len, nw, new_len, &out);
    } else {
        printf("%s: %zu bytes (%s format) for a new image of %zu bytes\n", pos[2], out.len, format, new_len);
    }
    free(old);
    free(nw);
    free(out.data);
    return err ? CLI_FAIL : CLI_OK;
}
