#include "fuzz_common.h"
#include "ota/manifest.h"
#include "ota/release.h"
#include "ota/signature.h"

/* A manifest and its signature file as a device receives them: the first
 * 2 bytes give the manifest's length, then the manifest, then the
 * signature file (short ones padded with 0xFF to a sector). The manifest
 * is also taken as a URI for the signature's URI. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sig[OTA_SIG_SECTOR_LEN];
    static struct ota_sig_result work;
    static char uri[OTA_MANIFEST_MAX_LEN + 1], out[OTA_RELEASE_URI_MAX];
    static const uint8_t trusted[32] = {1};
    int why;
    if (size < 2) {
        return 0;
    }
    size_t len = ((size_t)data[0] | (size_t)data[1] << 8) % (OTA_MANIFEST_MAX_LEN + 1);
    if (len > size - 2) {
        len = size - 2;
    }
    const uint8_t *text = data + 2;
    size_t rest = size - 2 - len;
    memset(sig, 0xFF, sizeof(sig));
    memcpy(sig, text + len, rest < sizeof(sig) ? rest : sizeof(sig));
    if (ota_manifest_verify(text, len, sig, trusted, &work, &why) == OTA_OK) {
        __builtin_trap();  /* no key has the digest {1, 0, ...} */
    }
    memcpy(uri, text, len);
    uri[len] = '\0';
    if (ota_release_sig_uri(uri, out, sizeof(out)) == OTA_OK && strlen(out) != strlen(uri) + 4) {
        __builtin_trap();
    }
    return 0;
}
