/* menuconfig's "OTA service" settings into the service and transport
 * configurations, so every firmware reads them the same way. */
#include <string.h>

#include "sdkconfig.h"
#if !CONFIG_IDF_TARGET_LINUX
#include "esp_chip_info.h"
#endif

#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/idf_serial.h"
#include "ota/image.h"
#include "ota/log.h"

void ota_idf_config_from_kconfig(struct ota_service_config *sc, struct ota_idf_transport_config *tc)
{
    memset(tc, 0, sizeof(*tc));
    tc->sdcard_mount = CONFIG_OTA_SDCARD_MOUNT_POINT[0] ? CONFIG_OTA_SDCARD_MOUNT_POINT : NULL;
    tc->connect_timeout_ms = CONFIG_OTA_CONNECT_TIMEOUT_MS;
    tc->read_timeout_ms = CONFIG_OTA_READ_TIMEOUT_MS;
    tc->max_redirects = CONFIG_OTA_MAX_REDIRECTS;
    tc->low_speed_limit = CONFIG_OTA_LOW_SPEED_LIMIT;
    tc->low_speed_time_s = CONFIG_OTA_LOW_SPEED_TIME;
    tc->item_deadline_s = CONFIG_OTA_DEADLINE;
#if CONFIG_OTA_USE_CERT_BUNDLE
    tc->use_cert_bundle = true;
#endif

    memset(sc, 0, sizeof(*sc));
#if CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER
    sc->force_version_check = true;
#endif
#if CONFIG_OTA_ROLLBACK
    sc->rollback = true;
#endif
#if CONFIG_OTA_FORBID_PLAIN_HTTP
    sc->allow_plain_http = false;
#else
    sc->allow_plain_http = true;
#endif
    sc->max_retries = CONFIG_OTA_MAX_RETRIES;
    sc->no_retry = CONFIG_OTA_MAX_RETRIES == 0;
    sc->retry_backoff_ms = CONFIG_OTA_RETRY_BACKOFF_MS;
    sc->sleep_ms = ota_idf_sleep_ms;
#if CONFIG_IDF_TARGET_LINUX
    sc->chip_id = OTA_CHIP_ESP32;
    sc->chip_rev = 300;
#else
    esp_chip_info_t info;
    esp_chip_info(&info);
    sc->chip_id = CONFIG_IDF_FIRMWARE_CHIP_ID;
    sc->chip_rev = info.revision;  /* major * 100 + minor, as the image header counts */
#endif
}

/* The serial store half of the release settings (it clears s first). */
static int release_store(struct ota_release_config *rc, struct ota_idf_serial_store *s, const struct ota_flash *flash,
                         const struct ota_ptable *t)
{
#if CONFIG_OTA_RELEASE_WITHOUT_SERIAL_STORE
    (void)s;
    (void)flash;
    (void)t;
    OTA_LOGW("OTA_SERIAL", "CONFIG_OTA_RELEASE_WITHOUT_SERIAL_STORE: no replay protection, an older signed "
             "release can be installed again");
    rc->store = NULL;
    rc->without_serial_store = true;
    return OTA_OK;
#else
    const struct ota_partition *p = ota_pt_find_label(t, CONFIG_OTA_RELEASE_SERIAL_PARTITION);
    if (!p) {
        OTA_LOGE("OTA_SERIAL", "no partition '%s' for the release serial: releases are refused",
                 CONFIG_OTA_RELEASE_SERIAL_PARTITION);
        rc->store = NULL;
        return OTA_ERR_NOT_FOUND;
    }
    int err = ota_idf_serial_store_init(s, flash, p);
    rc->store = err ? NULL : &s->store;
    rc->without_serial_store = false;
    return err;
#endif
}

int ota_idf_release_config_from_kconfig(struct ota_release_config *rc, struct ota_idf_serial_store *s,
                                        const struct ota_flash *flash, const struct ota_ptable *t)
{
    /* The store first: its init clears s, key digest included. */
    int err = release_store(rc, s, flash, t);
    rc->manifest_uri = CONFIG_OTA_MANIFEST_URI[0] ? CONFIG_OTA_MANIFEST_URI : NULL;
    rc->device_id = CONFIG_OTA_RELEASE_DEVICE_ID[0] ? CONFIG_OTA_RELEASE_DEVICE_ID : NULL;
    rc->project = CONFIG_OTA_RELEASE_PROJECT[0] ? CONFIG_OTA_RELEASE_PROJECT : NULL;
    rc->manifest_sig_uri = CONFIG_OTA_MANIFEST_SIG_URI[0] ? CONFIG_OTA_MANIFEST_SIG_URI : NULL;
    rc->manifest_key_digest = NULL;
    if (CONFIG_OTA_MANIFEST_KEY_DIGEST[0]) {
        if (ota_idf_hex_digest(CONFIG_OTA_MANIFEST_KEY_DIGEST, s->manifest_key_digest) != OTA_OK) {
            OTA_LOGE("OTA_SERIAL", "CONFIG_OTA_MANIFEST_KEY_DIGEST is not 64 hex digits: releases are refused");
            return OTA_ERR_INVALID_ARG;
        }
        rc->manifest_key_digest = s->manifest_key_digest;
    }
    return err;
}
