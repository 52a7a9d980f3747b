/* JSON parts for the delta and release commands (see delta_report.h). */
#include "ota/hash.h"
#include "delta_report.h"

const char *delta_form_key(enum ota_delta_form f)
{
    return f == OTA_DELTA_ESP ? "esp" : f == OTA_DELTA_DETOOLS ? "detools" : f == OTA_DELTA_COMPACT ? "compact" : NULL;
}

const char *delta_form_name(enum ota_delta_form f)
{
    return f == OTA_DELTA_ESP ? "esp_delta_ota (detools sequential)"
         : f == OTA_DELTA_DETOOLS ? "detools sequential, no header"
         : f == OTA_DELTA_COMPACT ? "compact" : "not a patch";
}

void report_file_digest(struct json *j, const char *key, const char *path, size_t len,
                        const uint8_t sha[OTA_SHA256_LEN])
{
    json_object(j, key);
    json_str(j, "file", path);
    json_uint(j, "size", len);
    json_hex(j, "sha256", sha, OTA_SHA256_LEN);
    json_close(j);
}

void report_file(struct json *j, const char *key, const char *path, const uint8_t *data, size_t len)
{
    uint8_t sha[OTA_SHA256_LEN];
    ota_sha256_ctx ctx;
    ota_sha256_init(&ctx);
    ota_sha256_update(&ctx, data, len);
    ota_sha256_finish(&ctx, sha);
    report_file_digest(j, key, path, len, sha);
}

void report_delta_header(struct json *j, const struct ota_delta_header *h)
{
    json_str(j, "format", delta_form_key(h->form));
    json_str(j, "format_name", delta_form_name(h->form));
    /* the base is named by its appended SHA-256 (the image's last 32 bytes) */
    if (h->has_base) {
        json_hex(j, "base_app_sha256", h->base_sha256, OTA_SHA256_LEN);
    } else {
        json_null(j, "base_app_sha256");
    }
    if (h->has_new) {
        json_hex(j, "new_sha256", h->new_sha256, OTA_SHA256_LEN);
    } else {
        json_null(j, "new_sha256");
    }
    if (h->old_size) {
        json_uint(j, "old_size", h->old_size);
    } else {
        json_null(j, "old_size");
    }
    json_uint(j, "new_size", h->new_size);
    json_uint(j, "sync_interval", h->sync);  /* 0: no sync points, a device restarts from byte 0 */
    /* The header's flag: a compact patch's relocation map, or a compressed
     * image's Xtensa code transform (the decoder sweeps the image for both). */
    bool coded = h->form == OTA_DELTA_COMPRESSED;
    json_bool(j, "relocations", !coded && (h->flags & OTA_DELTA_FLAG_RELOC) != 0);
    json_bool(j, "code_transform", coded && (h->flags & OTA_DELTA_FLAG_RELOC) != 0);
}

static void manifest_file(struct json *j, const struct ota_manifest_file *f)
{
    json_str(j, "uri", f->uri);
    json_uint(j, "size", f->size);
    json_hex(j, "sha256", f->sha256, OTA_SHA256_LEN);
}

void report_manifest(struct json *j, const char *key, const struct ota_manifest *m)
{
    json_object(j, key);
    json_uint(j, "format", m->format);
    json_str(j, "project", m->project);
    json_str(j, "version", m->version);
    json_uint(j, "secure_version", m->secure_version);
    json_str(j, "chip", m->chip);
    json_uint(j, "serial", m->serial);
    json_uint(j, "rollout_percent", m->rollout_percent);
    json_hex(j, "app_sha256", m->app_sha256, OTA_SHA256_LEN);
    json_object(j, "image");
    manifest_file(j, &m->image);
    json_close(j);
    json_array(j, "patches");
    for (unsigned i = 0; i < m->patch_count; i++) {
        json_object(j, NULL);
        json_hex(j, "base_app_sha256", m->patches[i].base_app_sha256, OTA_SHA256_LEN);
        manifest_file(j, &m->patches[i].file);
        json_close(j);
    }
    json_close(j);
    json_close(j);
}
