/* What the service needs from the running system: waits, and which app
 * partition is executing right now. */
#include <string.h>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#if !CONFIG_IDF_TARGET_LINUX
#include "esp_ota_ops.h"
#endif

#include "ota/idf_port.h"
#include "ota/log.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/image.h"

void ota_idf_sleep_ms(void *ctx, unsigned ms)
{
    (void)ctx;
    TickType_t ticks = pdMS_TO_TICKS(ms);
    vTaskDelay(ticks ? ticks : 1);
}

int ota_idf_running_app_offset(const struct ota_flash *f, uint32_t *offset)
{
#if CONFIG_IDF_TARGET_LINUX
    /* No app_update on the linux target: the process plays the app the
     * bootloader boots from this flash (decided, nothing written). */
    static struct ota_boot_result res;  /* 3.5 KiB: too much for a task stack */
    struct ota_boot_opts opts = {.chip_id = OTA_CHIP_ANY, .dry_run = true};
    int err = ota_boot(f, &opts, &res);
    if (err) {
        return err;
    }
    *offset = res.part.offset;
    return OTA_OK;
#else
    /* The app really executing, which can differ from otadata's choice
     * (a fallback after a bad image, a factory reset): the slot written
     * must never be the one we run from. */
    (void)f;
    const esp_partition_t *run = esp_ota_get_running_partition();
    if (!run) {
        return OTA_ERR_NOT_FOUND;
    }
    *offset = run->address;
    return OTA_OK;
#endif
}
