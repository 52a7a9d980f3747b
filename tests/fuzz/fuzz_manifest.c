#include "fuzz_common.h"
#include "ota/image.h"
#include "ota/manifest.h"

/* The strict manifest parser; a manifest it accepts goes on to the
 * decision and the URI resolution, and must hold what the parser promises. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_manifest m;
    static char out[4096 + OTA_MANIFEST_URI_MAX];
    struct ota_manifest_decision d;
    struct ota_device_view v;
    if (ota_manifest_parse((const char *)data, size, &m) != OTA_OK) {
        return 0;
    }
    if (!m.image.uri[0] || !m.image.size || m.patch_count > OTA_MANIFEST_MAX_PATCHES ||
        m.rollout_percent > 100 || !memchr(m.version, 0, sizeof(m.version))) {
        __builtin_trap();
    }
    memset(&v, 0, sizeof(v));
    v.project = m.project;
    v.chip_id = OTA_CHIP_ANY;
    v.device_id = "fuzz";
    memcpy(v.running_app_sha256, m.image.sha256, sizeof(v.running_app_sha256));
    v.rolled_back_app_sha256 = m.app_sha256;
    int err = ota_manifest_decide(&m, &v, &d);
    if ((err == OTA_OK && d.action == OTA_MANIFEST_INSTALL_PATCH && !d.patch) ||
        (!m.project[0] && err != OTA_ERR_MANIFEST_PROJECT)) {
        __builtin_trap();  /* an empty project never matches */
    }
    ota_manifest_resolve("https://h/r/manifest.json?X-Sig=a/b", m.image.uri, out, sizeof(out));
    for (unsigned i = 0; i < m.patch_count; i++) {
        if (!m.patches[i].file.size ||
            ota_manifest_resolve("https://h/r/manifest.json", m.patches[i].file.uri, out, sizeof(out)) != OTA_OK) {
            __builtin_trap();
        }
    }
    return 0;
}
