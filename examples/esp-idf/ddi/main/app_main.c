/* One poll of a hawkBit DDI server: report an earlier action's outcome,
 * answer a cancel, send the attributes, install a deployment; restart when
 * a new app was switched to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_LINUX
#include "esp_private/partition_linux.h"
#endif

#include "ota/ddi.h"
#include "ota/error.h"
#include "ota/idf_port.h"

static const char *TAG = "DDI_EXAMPLE";

/* Caller-owned, static: the service (about 11 KiB) and the client (about 16 KiB). */
static struct ota_service s_svc;
static struct ota_idf_flash s_flash;
static struct ota_idf_transport s_transport;
static struct ota_idf_ddi s_ddi;
static struct ota_ddi_result s_res;

static void on_event(void *ctx, const struct ota_event *ev)
{
    (void)ctx;
    if (ev->type == OTA_EVENT_RESULT) {
        ESP_LOGI(TAG, "List id: %u, %s (%s)", ev->id, ev->err ? "OTA failed" : "OTA success", ota_errname(ev->err));
    }
}

static void use_flash_file(void)
{
#if CONFIG_IDF_TARGET_LINUX
    const char *image = getenv("OTA_FLASH_IMAGE");
    if (image && *image) {
        esp_partition_file_mmap_ctrl_t *c = esp_partition_get_file_mmap_ctrl_input();
        snprintf(c->flash_file_name, sizeof(c->flash_file_name), "%s", image);
        c->flash_file_size = 0;
        c->partition_file_name[0] = '\0';
        c->remove_dump = false;
    }
#endif
}

static int start(void)
{
    struct ota_service_config sc;
    struct ota_idf_transport_config tc;
    int err = ota_idf_flash_init(&s_flash);
    if (err) {
        return err;
    }
    ota_idf_config_from_kconfig(&sc, &tc);
    ota_idf_transport_init(&s_transport, &tc);
    sc.flash = &s_flash.flash;
    sc.transport = &s_transport.transport;
    sc.on_event = on_event;
    if ((err = ota_idf_running_app_offset(&s_flash.flash, &sc.running_app_offset)) ||
        (err = ota_service_init(&s_svc, &sc))) {
        return err;
    }
    const char *server = getenv("OTA_DDI_SERVER");
    return ota_idf_ddi_setup(&s_ddi, &s_transport, &s_flash.flash, &s_svc.dev.table, server && *server ? server : NULL);
}

static void poll_task(void *arg)
{
    (void)arg;
    int err = start();
    if (err) {
        ESP_LOGE(TAG, "cannot set up: %s (%s)", ota_strerror(err), ota_errname(err));
        exit(1);
    }
    err = ota_ddi_poll(&s_ddi.client, &s_svc, &s_res);
    ESP_LOGI(TAG, "poll: %s; deployment: %s; next poll in %u s%s%s", ota_errname(err), ota_errname(s_res.err),
             (unsigned)s_res.sleep_s, s_res.reported ? "; outcome reported" : "", s_res.reboot ? "; restart" : "");
#if CONFIG_IDF_TARGET_LINUX
    exit(err || s_res.err ? 1 : 0);  /* the host's test reads the status; the restart is the next process */
#else
    if (s_res.reboot) {
        esp_restart();
    }
    vTaskDelete(NULL);
#endif
}

void app_main(void)
{
    use_flash_file();
    esp_event_loop_create_default();  /* esp_http_client posts to it */
    xTaskCreate(poll_task, "ddi_poll", 16 * 1024, NULL, 5, NULL);
}
