#include "fuzz_common.h"
#include "ota/image.h"
#include "ota/manifest.h"

/* The strict parser on format 2 manifests (manifest.json.v2): the first
 * byte picks the running app among the bases and the device's abilities,
 * the rest is the manifest. A manifest it accepts must hold what the
 * parser promises (one plain image, sizes, order, one patch per base), and
 * the decision's candidates must be items the device can apply, smallest
 * first. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_manifest m;
    struct ota_manifest_decision d;
    struct ota_device_view v;
    if (size < 1 || ota_manifest_parse((const char *)data + 1, size - 1, &m) != OTA_OK) {
        return 0;
    }
    if (!m.image.size || m.image.kind != OTA_MANIFEST_KIND_PLAIN || !m.app_size ||
        m.patch_count > OTA_MANIFEST_MAX_PATCHES ||
        (m.compressed.size && m.compressed.kind != OTA_MANIFEST_KIND_COMPRESSED)) {
        __builtin_trap();
    }
    for (unsigned i = 0; i < m.patch_count; i++) {
        if (!m.patches[i].file.size || m.patches[i].file.kind != OTA_MANIFEST_KIND_PATCH) {
            __builtin_trap();
        }
        for (unsigned j = 0; j < i && m.format == OTA_MANIFEST_FORMAT2; j++) {
            if (!memcmp(m.patches[i].base_app_sha256, m.patches[j].base_app_sha256, OTA_SHA256_LEN) ||
                m.patches[j].file.size > m.patches[i].file.size) {
                __builtin_trap();  /* one patch per base, smallest first */
            }
        }
    }
    memset(&v, 0, sizeof(v));
    v.project = m.project;
    v.chip_id = OTA_CHIP_ANY;
    v.device_id = "fuzz";
    v.takes = data[0] & 7u;
    if (m.patch_count) {
        memcpy(v.running_app_sha256, m.patches[(data[0] >> 3) % m.patch_count].base_app_sha256, OTA_SHA256_LEN);
    }
    int err = ota_manifest_decide(&m, &v, &d);
    if (err || d.action == OTA_MANIFEST_UP_TO_DATE || d.action == OTA_MANIFEST_HELD_BACK) {
        return 0;
    }
    if (d.candidate_count < 1 || d.candidate_count > OTA_MANIFEST_MAX_CANDIDATES ||
        d.action != ota_manifest_install_action(d.candidates[0])) {
        __builtin_trap();
    }
    for (unsigned i = 0; i < d.candidate_count; i++) {
        const struct ota_manifest_file *f = d.candidates[i];
        bool can = f->kind == OTA_MANIFEST_KIND_PLAIN ? true
                 : f->kind == OTA_MANIFEST_KIND_COMPRESSED ? (v.takes & OTA_MANIFEST_TAKES_COMPRESSED) != 0
                 : (v.takes & OTA_MANIFEST_TAKES_PATCH) && d.patch && f == &d.patch->file &&
                       !memcmp(d.patch->base_app_sha256, v.running_app_sha256, OTA_SHA256_LEN);
        if (!can || !f->size || (f->encrypted && !(v.takes & OTA_MANIFEST_TAKES_ENCRYPTED)) ||
            (i && d.candidates[i - 1]->size > f->size)) {
            __builtin_trap();  /* only what it can apply, smallest first */
        }
    }
    return 0;
}
