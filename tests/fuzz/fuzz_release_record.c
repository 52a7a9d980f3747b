#include "fuzz_common.h"
#include "ota/host_release.h"

/* The host's release record (IMAGE.manifest): accepted only whole, every
 * key once; whatever is refused leaves the record all zero. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ota_release_record zero;
    struct ota_release_record rec;
    int err = ota_host_release_record_parse((const char *)data, size, &rec);
    if (err != OTA_OK && memcmp(&rec, &zero, sizeof(rec)) != 0) {
        __builtin_trap();
    }
    if (err == OTA_OK && (size == 0 || data[size - 1] != '\n')) {
        __builtin_trap();
    }
    return 0;
}
