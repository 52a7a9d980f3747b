/* ota image compress / decompress: compressed full app images
 * (docs/compress-format.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cz_make.h"
#include "json.h"
#include "ota/delta.h"
#include "ota/error.h"
#include "ota/image.h"

static void result_json(const char *path, int err, size_t in_len, size_t out_len)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "output", path);
    json_bool(&j, "ok", !err);
    if (err) {
        json_error(&j, "error", err);
    } else {
        json_uint(&j, "input_size", in_len);
        json_uint(&j, "output_size", out_len);
    }
    json_end(&j);
}

/* Only app images are compressed: a device installs them as one. */
static int check_app_image(const char *path, const uint8_t *data, size_t len)
{
    struct ota_image_opts o = ota_image_opts_app();
    struct ota_image_verifier v;
    o.chip_id = OTA_CHIP_ANY;
    ota_image_verify_init(&v, &o);
    int err = ota_image_verify_feed(&v, data, len);
    err = err ? err : ota_image_verify_finish(&v, NULL);
    if (err) {
        cli_error("%s is not a valid app image: %s (%s)", path, ota_strerror(err), ota_errname(err));
    }
    return err;
}

int cmd_image_compress(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    bool json = false, any = false, plain_code = false;
    const char *sync_s = NULL;
    struct cli_opt opts[] = {CLI_FLAG("any", &any, "compress any file, not only a valid app image"),
                             CLI_FLAG("no-code-transform", &plain_code,
                                      "leave Xtensa calls and loads as they are (about 3 % larger; for devices "
                                      "whose firmware predates the transform: they refuse it)"),
                             CLI_NUMBER("sync", &sync_s, CLI_BYTES, "BYTES",
                                        "image bytes between sync points, where a device resumes after a power cut "
                                        "(a multiple of 4K)", "256K"),
                             CLI_JSON(&json), CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    uint32_t sync = OTA_CZ_SYNC_DEFAULT;
    if (sync_s) {
        cli_parse_size(sync_s, &sync);  /* checked by cli_parse */
    }
    if (sync % OTA_CZ_SYNC_UNIT) {
        cli_error("--sync %s: not a multiple of %u bytes", sync_s, OTA_CZ_SYNC_UNIT);
        return CLI_USAGE;
    }
    uint8_t *in;
    size_t len;
    if (cli_read_file(pos[0], &in, &len)) {
        return CLI_FAIL;
    }
    struct delta_buf out = {0};
    int err = any ? 0 : check_app_image(pos[0], in, len);
    if (!err && cz_compress_code(in, len, sync, !plain_code, &out)) {
        err = OTA_ERR_NO_MEM;
    }
    if (!err && cli_write_file(pos[1], out.data, out.len)) {
        err = OTA_ERR_IO;
    }
    if (err && !json) {
        cli_error("%s: %s (%s)", pos[1], ota_strerror(err), ota_errname(err));
    } else if (json) {
        result_json(pos[1], err, len, out.len);
    } else {
        printf("%s: %zu bytes for an image of %zu bytes (%.1f %%)\n", pos[1], out.len, len,
               len ? 100.0 * (double)out.len / (double)len : 0.0);
    }
    free(in);
    free(out.data);
    return err ? CLI_FAIL : CLI_OK;
}

/* The most `ota image decompress` reserves up front for the image the
 * header declares (no ESP32 flash holds more). */
#define DECOMPRESS_RESERVE_MAX (64u << 20)

static int put_out(void *ctx, const uint8_t *p, uint32_t n)
{
    return delta_buf_put(ctx, p, n) ? OTA_ERR_NO_MEM : 0;
}

static int read_back(void *ctx, uint32_t off, void *buf, uint32_t n)
{
    struct delta_buf *g = ctx;
    if ((uint64_t)off + n > g->len) {
        return OTA_ERR_INVALID_ARG;
    }
    memcpy(buf, g->data + off, n);
    return 0;
}

static int no_old(void *ctx, uint32_t off, void *buf, uint32_t n)
{
    (void)ctx, (void)off, (void)buf, (void)n;
    return OTA_ERR_DELTA_CORRUPT;
}

int cmd_image_decompress(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    bool json = false;
    struct cli_opt opts[] = {CLI_JSON(&json), CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    uint8_t *in;
    size_t len;
    if (cli_read_file(pos[0], &in, &len)) {
        return CLI_FAIL;
    }
    struct delta_buf g = {0};
    struct ota_delta *d = malloc(sizeof(*d));
    struct ota_delta_header h;
    int err = !d ? OTA_ERR_NO_MEM : ota_delta_parse_header(in, len, &h);
    if (!err && h.form != OTA_DELTA_COMPRESSED) {
        err = OTA_ERR_DELTA_FORMAT;
    }
    if (!err && h.new_size <= DECOMPRESS_RESERVE_MAX) {
        /* room for the length the header declares, so the output is not
         * copied as it grows; a larger claim grows as the bytes come */
        g.data = malloc(h.new_size ? h.new_size : 1);
        g.cap = g.data ? h.new_size : 0;
    }
    if (!err && !(err = ota_delta_begin(d, 0, NULL, no_old, put_out, &g))) {
        ota_delta_set_history(d, read_back);
        err = ota_delta_write(d, in, len);
        err = err ? err : ota_delta_finish(d);
    }
    if (!err && cli_write_file(pos[1], g.data, g.len)) {
        err = OTA_ERR_IO;
    }
    if (err && !json) {
        cli_error("%s: %s (%s)", pos[0], ota_strerror(err), ota_errname(err));
    } else if (json) {
        result_json(pos[1], err, len, g.len);
    } else {
        printf("%s: %zu bytes from %zu compressed bytes\n", pos[1], g.len, len);
    }
    free(in);
    free(d);
    free(g.data);
    return err ? CLI_FAIL : CLI_OK;
}
