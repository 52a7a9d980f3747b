/*
 * A deploymentBase response, read into a bounded struct: the action id, the
 * download and update modes, the maintenance window, and per chunk its one
 * artifact (size, SHA-256, download link). Fields we do not use (sha1, md5,
 * metadata, actionHistory, links we do not follow) may be present; fields
 * we use must be there and well-formed, or the deployment is refused.
 */
#include <string.h>

#include "ota/ddi.h"
#include "ota/error.h"
#include "ota/hex.h"
#include "ota/partition.h"

static int get_sha256(const struct ota_json *j, int idx, uint8_t out[OTA_SHA256_LEN])
{
    char hex[2 * OTA_SHA256_LEN + 1];
    int err = ota_json_string(j, idx, hex, sizeof(hex));
    bool whole = !err && strlen(hex) == 2 * OTA_SHA256_LEN && ota_hex_decode(hex, out, OTA_SHA256_LEN, true);
    return whole ? OTA_OK : OTA_ERR_DDI_FIELD;
}

/* A string into a fixed field: too long is its own error, not "missing". */
static int get_text(const struct ota_json *j, int idx, char *out, size_t cap)
{
    if (idx >= 0 && j->tok[idx].type == OTA_JSON_STRING && j->tok[idx].len >= cap) {
        return OTA_ERR_TOO_LONG;
    }
    return ota_json_string(j, idx, out, cap);
}

static int get_mode(const struct ota_json *j, int idx, enum ota_ddi_mode *m)
{
    char v[8];
    if (ota_json_string(j, idx, v, sizeof(v))) {
        return OTA_ERR_DDI_FIELD;
    }
    if (strcmp(v, "skip") == 0) {
        *m = OTA_DDI_SKIP;
    } else if (strcmp(v, "attempt") == 0) {
        *m = OTA_DDI_ATTEMPT;
    } else if (strcmp(v, "forced") == 0) {
        *m = OTA_DDI_FORCED;
    } else {
        return OTA_ERR_DDI_FIELD;
    }
    return OTA_OK;
}

/* An id the client puts into URIs: decimal digits only. */
int ota_ddi_get_id(const struct ota_json *j, int idx, char out[OTA_DDI_ID_MAX + 1]);
int ota_ddi_get_id(const struct ota_json *j, int idx, char out[OTA_DDI_ID_MAX + 1])
{
    int err = get_text(j, idx, out, OTA_DDI_ID_MAX + 1);
    for (size_t i = 0; !err && out[i]; i++) {
        if (out[i] < '0' || out[i] > '9') {
            err = OTA_ERR_DDI_FIELD;
        }
    }
    return err;
}

static bool is_app_part(const char *part)
{
    return strcmp(part, "os") == 0 || strcmp(part, "bApp") == 0 || strcmp(part, "app") == 0;
}

/* The download link: https first ("download"), then plain http. */
static int get_link(const struct ota_json *j, int art, char *uri)
{
    int href = ota_json_path(j, art, "_links.download.href");
    if (href < 0) {
        href = ota_json_path(j, art, "_links.download-http.href");
    }
    return get_text(j, href, uri, OTA_DDI_URI_MAX);
}

static int get_artifact(const struct ota_json *j, int art, struct ota_ddi_artifact *a)
{
    uint64_t size;
    int err = get_text(j, ota_json_member(j, art, "filename"), a->name, sizeof(a->name));
    if (err || (err = ota_json_u64(j, ota_json_member(j, art, "size"), &size)) ||
        (err = get_sha256(j, ota_json_path(j, art, "hashes.sha256"), a->sha256)) || (err = get_link(j, art, a->uri))) {
        return err;
    }
    if (size == 0 || size > UINT32_MAX) {
        return OTA_ERR_DDI_FIELD;  /* nothing to install, or more than any flash holds */
    }
    a->size = size;
    return OTA_OK;
}

/* Which partition a data chunk names: its name, else its part. */
static int data_label(const struct ota_json *j, int chunk, const struct ota_ptable *table, struct ota_ddi_artifact *a)
{
    char v[OTA_DDI_TEXT_MAX];
    const char *keys[2] = {"name", "part"};
    for (unsigned k = 0; k < 2; k++) {
        if (ota_json_string(j, ota_json_member(j, chunk, keys[k]), v, sizeof(v)) || strlen(v) > OTA_PT_LABEL_LEN) {
            continue;
        }
        if (!table || ota_pt_find_label(table, v)) {
            memcpy(a->label, v, strlen(v) + 1);
            return OTA_OK;
        }
    }
    return OTA_ERR_DDI_DEPLOYMENT;
}

static int get_chunk(const struct ota_json *j, int chunk, const struct ota_ptable *table, struct ota_ddi_artifact *a)
{
    char part[OTA_DDI_TEXT_MAX];
    int arts = ota_json_member(j, chunk, "artifacts");
    int err = get_text(j, ota_json_member(j, chunk, "part"), part, sizeof(part));
    if (err) {
        return err;
    }
    if (arts < 0 || j->tok[arts].type != OTA_JSON_ARRAY || j->tok[arts].count != 1) {
        return OTA_ERR_DDI_DEPLOYMENT;
    }
    if ((err = get_text(j, ota_json_member(j, chunk, "version"), a->version, sizeof(a->version)))) {
        return err;
    }
    a->app = is_app_part(part);
    if (!a->app && (err = data_label(j, chunk, table, a))) {
        return err;
    }
    return get_artifact(j, arts + 1, a);
}

static int get_chunks(const struct ota_json *j, int dep, const struct ota_ptable *table, struct ota_ddi_deployment *d)
{
    int chunks = ota_json_member(j, dep, "chunks");
    bool app = false;
    if (chunks < 0 || j->tok[chunks].type != OTA_JSON_ARRAY) {
        return OTA_ERR_DDI_FIELD;
    }
    if (j->tok[chunks].count == 0 || j->tok[chunks].count > OTA_DDI_MAX_ITEMS) {
        return OTA_ERR_DDI_DEPLOYMENT;
    }
    int c = chunks + 1;
    for (unsigned i = 0; i < j->tok[chunks].count; i++, c = j->tok[c].next) {
        if (j->tok[c].type != OTA_JSON_OBJECT) {
            return OTA_ERR_DDI_FIELD;
        }
        int err = get_chunk(j, c, table, &d->art[i]);
        if (err) {
            return err;
        }
        if (d->art[i].app && app) {
            return OTA_ERR_DDI_DEPLOYMENT;  /* one app at a time */
        }
        app |= d->art[i].app;
        d->count++;
    }
    return OTA_OK;
}

int ota_ddi_parse_deployment(const char *text, size_t len, const struct ota_ptable *table,
                             struct ota_ddi_deployment *d, struct ota_json_tok *tok, unsigned cap)
{
    struct ota_json j;
    char w[16];
    memset(d, 0, sizeof(*d));
    int err = ota_json_parse(&j, text, len, tok, cap);
    if (err) {
        return err;
    }
    int dep = ota_json_member(&j, 0, "deployment");
    if ((err = ota_ddi_get_id(&j, ota_json_member(&j, 0, "id"), d->action_id)) ||
        (err = get_mode(&j, ota_json_member(&j, dep, "download"), &d->download)) ||
        (err = get_mode(&j, ota_json_member(&j, dep, "update"), &d->update))) {
        return err;
    }
    int win = ota_json_member(&j, dep, "maintenanceWindow");
    if (win >= 0) {
        if (ota_json_string(&j, win, w, sizeof(w))) {
            return OTA_ERR_DDI_FIELD;
        }
        d->window = strcmp(w, "available") == 0     ? OTA_DDI_WINDOW_AVAILABLE
                    : strcmp(w, "unavailable") == 0 ? OTA_DDI_WINDOW_UNAVAILABLE
                                                    : OTA_DDI_WINDOW_NONE;
        if (d->window == OTA_DDI_WINDOW_NONE) {
            return OTA_ERR_DDI_FIELD;
        }
    }
    return get_chunks(&j, dep, table, d);
}
