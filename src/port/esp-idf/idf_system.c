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
#include "ota/partition.h"

void ota_idf_sleep_ms(void *ctx, unsigned ms)
{
    (void)ctx;
    TickType_t ticks = pdMS_TO_TICKS(ms);
    vTaskDelay(ticks ? ticks : 1);
}

void ota_idf_use_running_partition(struct ota_service *svc)
{
#if CONFIG_IDF_TARGET_LINUX
    /* No app_update on the linux target: the bootloader's choice by otadata
     * (what ota_service_init found) is the running app. */
    (void)svc;
#else
    /* The app really executing can differ from otadata's choice (factory
     * reset by GPIO, a test app, a fallback after a bad image): the next
     * slot must never be the one we run from. */
    const esp_partition_t *run = esp_ota_get_running_partition();
    const struct ota_partition *p = run ? ota_pt_find_label(&svc->table, run->label) : NULL;
    if (p && p->offset == run->address) {
        if (p != svc->running) {
            OTA_LOGW("ota_idf", "running from %s, not otadata's choice %s", p->label,
                     svc->running ? svc->running->label : "(none)");
        }
        svc->running = p;
    }
#endif
}
