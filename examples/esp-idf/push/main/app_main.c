/* The push-style API on ESP-IDF: no URI, no service. The bytes of a new
 * app arrive from some link (byte_source.h); each chunk goes straight into
 * ota_app_write, which checks and writes it; at the end ota_app_finish
 * verifies the image in flash and switches otadata, and the device
 * restarts into the new app. On any error the update is aborted: otadata
 * is untouched and the running app boots again. */
#include <stdbool.h>
#include <string.h>

#include "esp_log.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/update.h"
#include "byte_source.h"

static const char *TAG = "OTA_PUSH";

/* The device (its partition table) and the update (~2.9 KiB) are too large
 * for a task stack: static. */
static struct ota_idf_flash s_flash;
static struct ota_device s_dev;
static struct ota_app_update s_up;
static bool s_check_version;

struct push_progress {
    struct ota_app_update *up;
    int64_t total;
    uint64_t done;
    int last_quarter;
};

/* The flash, the partition table, the running app, and what the chip and
 * its eFuses say: the same facts the service would use. */
static int open_device(void)
{
    struct ota_service_config sc;
    struct ota_idf_transport_config tc;  /* unused: no transport here */
    struct ota_idf_efuse efuse;
    uint32_t running;
    int err;
    if ((err = ota_idf_flash_init(&s_flash)) || (err = ota_idf_efuse_read(&efuse)) ||
        (err = ota_idf_running_app_offset(&s_flash.flash, &running)) ||
        (err = ota_device_open(&s_dev, &s_flash.flash, running))) {
        return err;
    }
    ota_idf_config_from_kconfig(&sc, &tc);
    s_dev.chip_id = sc.chip_id;
    s_dev.chip_rev = sc.chip_rev;
    s_dev.rollback = sc.rollback;
    s_dev.secure_version = efuse.secure_version;
    /* the digest must outlive the update: keep it beside the device */
    static uint8_t key_digest[32];
    memcpy(key_digest, efuse.key_digest, sizeof(key_digest));
    s_dev.trusted_key_digest = efuse.key_burned ? key_digest : NULL;
    s_check_version = sc.force_version_check;
    ESP_LOGI(TAG, "running app: %s at 0x%lx", s_dev.running->label, (unsigned long)s_dev.running->offset);
    return OTA_OK;
}

/* Called by the source for every chunk, whatever its size. */
static int on_bytes(void *ctx, const uint8_t *data, size_t len)
{
    struct push_progress *p = ctx;
    int err = ota_app_write(p->up, data, len);
    if (err) {
        return err;
    }
    p->done += len;
    if (p->total > 0) {
        int quarter = (int)(p->done * 4 / (uint64_t)p->total);
        if (quarter != p->last_quarter) {
            ESP_LOGI(TAG, "%llu of %lld bytes written", (unsigned long long)p->done, (long long)p->total);
            p->last_quarter = quarter;
        }
    }
    return OTA_OK;
}

/* Begin, push every chunk, finish; abort on the first error. */
static int push_update(void)
{
    struct ota_app_options opt = {.check_version = s_check_version};
    struct push_progress progress = {.up = &s_up, .last_quarter = 0};
    struct ota_image_info info;
    int err;
    if ((err = byte_source_open(&opt.image_len))) {
        return err;
    }
    progress.total = opt.image_len;
    if ((err = ota_app_begin(&s_up, &s_dev, &opt))) {
        byte_source_close();
        return err;
    }
    ESP_LOGI(TAG, "writing to %s at 0x%lx", s_up.pw.part->label, (unsigned long)s_up.pw.part->offset);
    err = byte_source_run(on_bytes, &progress);
    byte_source_close();
    if (!err) {
        err = ota_app_finish(&s_up, &info);
    }
    if (err) {
        ota_app_abort(&s_up);
        return err;
    }
    ESP_LOGI(TAG, "new app: %s %s, %lu bytes, verified", info.desc.project_name, info.desc.version,
             (unsigned long)info.image_len);
    return OTA_OK;
}

void app_main(void)
{
    byte_source_prepare_flash();
    int err = open_device();
    if (err) {
        ESP_LOGE(TAG, "cannot open the device: %s (%s)", ota_errname(err), ota_strerror(err));
        byte_source_done(1);
        return;
    }
    err = push_update();
    if (err) {
        ESP_LOGE(TAG, "update aborted: %s (%s)", ota_errname(err), ota_strerror(err));
        ESP_LOGW(TAG, "otadata untouched: %s stays the app that boots", s_dev.running->label);
        byte_source_done(1);
        return;
    }
    ESP_LOGW(TAG, "restart into the new app");
    vTaskDelay(pdMS_TO_TICKS(100));  /* let the log drain */
    esp_restart();
}
