/* The eFuses that matter to updates (anti-rollback counter, Secure Boot V2
 * key), through the eFuse and secure boot APIs where the configuration has
 * them; a device without them reads as "nothing burned". */
#include <string.h>

#include "sdkconfig.h"
#if CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
#include "esp_efuse.h"
#endif
#if CONFIG_SECURE_BOOT_V2_ENABLED
#include "esp_secure_boot.h"
#endif

#include "ota/error.h"
#include "ota/idf_port.h"

int ota_idf_efuse_read(struct ota_idf_efuse *e)
{
    memset(e, 0, sizeof(*e));
#if CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
    e->secure_version = esp_efuse_read_secure_version();
#endif
#if CONFIG_SECURE_BOOT_V2_ENABLED
    /* With Secure Boot V2 on, the running app booted only because its key's
     * digest is burned in eFuse: that key is the one new apps must carry. */
    esp_image_sig_public_key_digests_t digests;
    if (esp_secure_boot_get_signature_blocks_for_running_app(true, &digests) != ESP_OK || digests.num_digests == 0) {
        return OTA_ERR_IO;
    }
    memcpy(e->key_digest, digests.key_digests[0], sizeof(e->key_digest));
    e->key_burned = true;
#endif
    return OTA_OK;
}
