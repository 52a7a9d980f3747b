/* ESP-ADF's OTA example on ESP-IDF: the same upgrade list (the tone
 * partition from the SD card, then the app over HTTP with a reboot), the
 * service in its own task, RESULT and FINISH events logged, then restart. */
#include <stdbool.h>
#include <string.h>

#include "esp_log.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/service.h"
#include "board.h"
#include "tone_upgrade.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

/* The service's state is large (the partition table, a 4 KiB buffer): static. */
static struct ota_service s_svc;
static struct ota_idf_flash s_flash;
static struct ota_idf_transport s_transport;
static struct ota_idf_efuse s_efuse;
static struct ota_item s_items[2];
/* 16 KiB so that the app item may be a delta patch; leave it out (and
 * sc.patch_work NULL) for a firmware that takes full images only. */
static struct ota_item_patch s_patch_work;
static QueueHandle_t s_events;

static void on_event(void *ctx, const struct ota_event *ev)
{
    (void)ctx;
    xQueueSend(s_events, ev, portMAX_DELAY);
}

static void on_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    static int last = -1;
    (void)ctx;
    if (total <= 0) {
        return;
    }
    int quarter = (int)(done * 4 / (uint64_t)total);
    if (quarter != last) {
        ESP_LOGI("OTA_DEFAULT", "List id: %u, %llu of %lld bytes", id, (unsigned long long)done, (long long)total);
        last = quarter;
    }
}

static void service_task(void *arg)
{
    bool reboot = false;
    (void)arg;
    ota_service_start(&s_svc, &reboot);  /* the FINISH event carries the outcome */
    vTaskDelete(NULL);
}

static unsigned set_upgrade_list(void)
{
    unsigned n = 0;
    memset(s_items, 0, sizeof(s_items));
    if (CONFIG_DATA_UPGRADE_URI[0]) {
        s_items[n].type = OTA_ITEM_DATA;
        s_items[n].label = CONFIG_DATA_PARTITION_LABEL;
        s_items[n].uri = CONFIG_DATA_UPGRADE_URI;
        tone_upgrade_ops(&s_items[n].ops);  /* the example's own need_upgrade for tones */
        ESP_LOGI("OTA_DEFAULT", "data upgrade uri %s", CONFIG_DATA_UPGRADE_URI);
        n++;
    }
    if (board_app_uri()[0]) {
        s_items[n].type = OTA_ITEM_APP;
        s_items[n].uri = board_app_uri();  /* a full image or a patch */
        s_items[n].fallback_uri = CONFIG_FIRMWARE_FALLBACK_URI[0] ? CONFIG_FIRMWARE_FALLBACK_URI : NULL;
        s_items[n].reboot_flag = true;
        n++;
    }
    ota_service_set_upgrade_list(&s_svc, s_items, n);
    if (n && s_items[0].type == OTA_ITEM_DATA) {
        const struct ota_partition *p = ota_pt_find_label(&s_svc.dev.table, CONFIG_DATA_PARTITION_LABEL);
        if (p) {
            tone_log_partition(&s_flash.flash, p);
        }
    }
    return n;
}

static int create_service(void)
{
    struct ota_service_config sc;
    struct ota_idf_transport_config tc;
    int err;
    if ((err = ota_idf_flash_init(&s_flash)) || (err = ota_idf_efuse_read(&s_efuse))) {
        return err;
    }
    ota_idf_config_from_kconfig(&sc, &tc);
    ota_idf_transport_init(&s_transport, &tc);
    sc.flash = &s_flash.flash;
    if ((err = ota_idf_running_app_offset(&s_flash.flash, &sc.running_app_offset))) {
        return err;
    }
    sc.transport = &s_transport.transport;
    sc.on_event = on_event;
    sc.on_progress = on_progress;
    sc.trusted_key_digest = s_efuse.key_burned ? s_efuse.key_digest : NULL;
    sc.secure_version = s_efuse.secure_version;
    sc.patch_work = &s_patch_work;
    board_adjust_service(&sc);
    return ota_service_init(&s_svc, &sc);
}

void app_main(void)
{
    ESP_LOGI(TAG, "[1.0] Initialize peripherals management");
    board_prepare_flash();
    ESP_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network");
    board_connect_network();
    ESP_LOGI(TAG, "[1.2] Mount SDCard");
    board_mount_sdcard();

    ESP_LOGI(TAG, "[2.0] Create OTA service");
    s_events = xQueueCreate(4, sizeof(struct ota_event));
    int err = create_service();
    if (err) {
        ESP_LOGE(TAG, "cannot start the OTA service: %s (%s)", ota_strerror(err), ota_errname(err));
        return;
    }
    ESP_LOGI(TAG, "[2.1] Set upgrade list");
    unsigned count = set_upgrade_list();
    ESP_LOGI(TAG, "[2.2] Start OTA service");
    ESP_LOGI(TAG, "[2.3] Handle service event");
    xTaskCreate(service_task, "ota_service", 6 * 1024, NULL, 5, NULL);

    struct ota_event ev;
    int failed = 0;
    for (;;) {
        xQueueReceive(s_events, &ev, portMAX_DELAY);
        if (ev.type == OTA_EVENT_RESULT) {
            if (ev.err == OTA_OK) {
                ESP_LOGI(TAG, "List id: %u, OTA success", ev.id);
            } else {
                failed++;
                ESP_LOGE(TAG, "List id: %u, OTA failed: %s (%s: %s)", ev.id, ota_result_name(ev.result),
                         ota_errname(ev.err), ota_strerror(ev.err));
            }
            continue;
        }
        ESP_LOGI(TAG, "FINISH: %u items, received %llu bytes over %u streams", count,
                 (unsigned long long)s_transport.bytes_received, s_transport.streams_opened);
        break;
    }
    if (ev.reboot) {
        ESP_LOGW("OTA_SERVICE", "restart!");
        vTaskDelay(pdMS_TO_TICKS(100));  /* let the log drain */
        esp_restart();
    }
    ESP_LOGI(TAG, "[3.0] Nothing to restart for: done");
    board_done(failed);
}
