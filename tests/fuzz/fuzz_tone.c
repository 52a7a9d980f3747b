#include "fuzz_common.h"
#include "ota/tone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem_src s = {data, size};
    struct ota_tone_info info;
    int err = ota_tone_verify(mem_read, &s, (uint32_t)size, &info);
    if (!err) {
        for (unsigned i = 0; i < info.count; i++) {
            struct ota_tone_file f;
            if (ota_tone_file_at(mem_read, &s, &info, i, &f) || (uint64_t)f.offset + f.length > size) {
                __builtin_trap();  /* verify promised every file is inside the image */
            }
        }
    }
    return 0;
}
