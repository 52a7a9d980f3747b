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

bool run_release_report(const struct run_release *rr)
{
    const struct ota_release_item *r = &rr->rel;
    if (!r->accepted) {
        return false;
    }
    OTA_LOGI("OTA_RELEASE", "release: serial=%u version=%s action=%s%s patch_bytes=%llu bucket=%u",
             (unsigned)r->manifest.serial, r->manifest.version, ota_release_action_name(r->decision.action),
             r->fell_back ? " (patch missing)" : "", (unsigned long long)r->patch_bytes, r->decision.bucket);
    return r->decision.action == OTA_MANIFEST_UP_TO_DATE || r->decision.action == OTA_MANIFEST_HELD_BACK ||
           r->decision.action == OTA_MANIFEST_ROLLED_BACK;
}

int run_release_after_restart(struct run_release *rr, const struct cli_boot_report *boot, int status)
{
    struct ota_release_item *r = &rr->rel;
    char digest[2 * OTA_SHA256_LEN + 1];
    bool installed = r->accepted && (r->decision.action == OTA_MANIFEST_INSTALL_PATCH ||
                                     r->decision.action == OTA_MANIFEST_INSTALL_FULL);
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
