/* ota run --manifest: the release item's settings from the command line
 * and the device's files (the trusted key, the accepted serial). */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_release.h"
#include "ota/host_sign.h"
#include "ota/log.h"
#include "cli.h"
#include "run_release.h"

static int save_serial(void *ctx, uint32_t serial)
{
    return ota_host_manifest_serial_save(ctx, serial);
}

int run_release_setup(struct run_release *rr, const char *image, const char *uri, const char *pub,
                      const char *device_id, const char *project, const char *ca_pem)
{
    struct ota_release_config c;
    memset(&c, 0, sizeof(c));
    if (!pub) {
        cli_error("--manifest needs --manifest-pub PUB.pem (the key that signs releases)");
        return CLI_USAGE;
    }
    int err = ota_host_key_digest(pub, rr->key_digest);
    if (err) {
        cli_error("%s: %s", pub, ota_strerror(err));
        return CLI_FAIL;
    }
    if ((err = ota_host_manifest_serial_load(image, &c.last_serial))) {
        cli_error("%s.manifest: %s", image, ota_strerror(err));
        return CLI_FAIL;
    }
    /* Without an id, the device image's file name stands for the device. */
    const char *slash = strrchr(image, '/');
    c.device_id = device_id ? device_id : slash ? slash + 1 : image;
    c.manifest_uri = uri;
    c.cert_pem = ca_pem;
    c.manifest_key_digest = rr->key_digest;
    c.project = project;
    c.save_serial = save_serial;
    c.save_ctx = (void *)image;
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
    return r->decision.action == OTA_MANIFEST_UP_TO_DATE || r->decision.action == OTA_MANIFEST_HELD_BACK;
}
