/* ota run --manifest: the release item's settings from the command line
 * and the device's files (the trusted key, the release record). */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_power.h"
#include "ota/host_release.h"
#include "ota/host_sign.h"
#include "ota/log.h"
#include "cli.h"
#include "json.h"
#include "run_release.h"

int run_release_setup(struct run_release *rr, const struct run_release_args *a)
{
    struct ota_release_config c;
    memset(&c, 0, sizeof(c));
    if (!a->pub) {
        cli_error("--manifest needs --manifest-pub PUB.pem (the key that signs releases)");
        return CLI_USAGE;
    }
    if (a->project && !a->project[0]) {
        cli_error("--project \"\": a release names its project; name the device's (an empty name matches none)");
        return CLI_USAGE;
    }
    int err = ota_host_key_digest(a->pub, rr->key_digest);
    if (err) {
        cli_error("%s: %s", a->pub, ota_strerror(err));
        return CLI_FAIL;
    }
    /* Without an id, the device image's file name stands for the device. */
    const char *slash = strrchr(a->image, '/');
    c.device_id = a->device_id ? a->device_id : slash ? slash + 1 : a->image;
    c.manifest_uri = a->uri;
    c.manifest_sig_uri = a->sig_uri;
    c.cert_pem = a->ca_pem;
    c.manifest_key_digest = rr->key_digest;
    c.project = a->project;
    ota_host_release_store(&rr->store, a->image);
    c.store = &rr->store;
    ota_release_item_init(&rr->item, &rr->rel, &c);
    return CLI_OK;
}

/* "patch patch-1-2.compact (404 ...); compressed image ... " into out. */
static void failures_text(const struct ota_release_item *r, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < r->failed_count && n < cap; i++) {
        const struct ota_release_failure *f = &r->failed[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%s %s: %s (%s)", i ? "; " : "",
                              ota_manifest_kind_name(f->item->kind), f->item->uri, ota_errname(f->err),
                              ota_strerror(f->err));
    }
}

bool run_release_report(const struct run_release *rr)
{
    const struct ota_release_item *r = &rr->rel;
    char failed[900];
    if (!r->accepted) {
        return false;
    }
    failures_text(r, failed, sizeof(failed));
    OTA_LOGI("OTA_RELEASE", "release: serial=%u format=%u version=%s action=%s%s patch_bytes=%llu bucket=%u "
             "installed=%s failed=[%s]", (unsigned)r->manifest.serial, (unsigned)r->manifest.format,
             r->manifest.version, ota_release_action_name(r->decision.action), r->fell_back ? " (fell back)" : "",
             (unsigned long long)r->patch_bytes, r->decision.bucket, r->installed ? r->installed->uri : "none", failed);
    return r->decision.action == OTA_MANIFEST_UP_TO_DATE || r->decision.action == OTA_MANIFEST_HELD_BACK ||
           r->decision.action == OTA_MANIFEST_ROLLED_BACK;
}

static void item_json(struct json *j, const char *key, const struct ota_manifest_file *f)
{
    json_object(j, key);
    json_str(j, "kind", ota_manifest_kind_name(f->kind));
    json_str(j, "uri", f->uri);
    json_uint(j, "size", f->size);
    json_bool(j, "encrypted", f->encrypted);
}

void run_release_items_json(struct json *j, const struct ota_release_item *r)
{
    json_uint(j, "manifest_format", r->manifest.format);
    if (r->installed) {
        item_json(j, "installed", r->installed);
        json_close(j);
    } else {
        json_null(j, "installed");
    }
    json_array(j, "failed");  /* in the order tried */
    for (unsigned i = 0; i < r->failed_count; i++) {
        item_json(j, NULL, r->failed[i].item);
        json_error(j, "error", r->failed[i].err);
        json_close(j);
    }
    json_close(j);
}

int run_release_after_restart(struct run_release *rr, const struct cli_boot_report *boot, int status)
{
    struct ota_release_item *r = &rr->rel;
    char digest[2 * OTA_SHA256_LEN + 1];
    bool installed = r->accepted && r->installed;
    const char *why = boot->rolled_back == OTA_HOST_ROLLBACK_SELF_TEST_FAILED ? "self-test failed"
                      : boot->rolled_back == OTA_HOST_ROLLBACK_NOT_BOOTED   ? "the new app did not boot"
                                                                            : NULL;
    if (!installed || !why) {
        return status;
    }
    for (unsigned i = 0; i < OTA_SHA256_LEN; i++) {
        snprintf(digest + 2 * i, 3, "%02x", r->manifest.app_sha256[i]);
    }
    int err = ota_release_rolled_back(r);
    cli_error("rolled back: %s: release serial %u (%s %s, app sha256 %s); this device skips it "
              "until a release names another image", why, (unsigned)r->manifest.serial, r->manifest.project,
              r->manifest.version, digest);
    if (err) {
        cli_error("the device could not remember the rolled-back release: %s", ota_strerror(err));
    }
    return CLI_FAIL;
}
