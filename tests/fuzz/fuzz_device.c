/* The device properties file (IMG.device): chip, revision, rollback and
 * what the eFuses were burned to. */
#include "fuzz_common.h"
#include "ota/host_device.h"
#include "ota/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero[32];
    struct ota_device_props p;
    int err = ota_host_props_parse((const char *)data, size, &p);
    if (err != OTA_OK && err != OTA_ERR_DEVICE_PROPS) {
        __builtin_trap();
    }
    if (err) {
        return 0;
    }
    /* Accepted: a real chip, a revision the verifier checks, and a
     * burned key only together with its digest. */
    bool digest = memcmp(p.burned.key_digest, zero, 32) != 0;
    if (p.chip == OTA_CHIP_ANY || ota_host_props_chip_rev(&p) == OTA_CHIP_REV_ANY || p.burned.key_burned != digest) {
        __builtin_trap();
    }
    return 0;
}
