/* A real board: Wi-Fi station with the menuconfig credentials, the SD card
 * on the SDMMC slot mounted with FATFS at the service's mount point. */
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_vfs_fat.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "nvs_flash.h"
#include "sdkconfig.h"
#include "soc/soc_caps.h"
#if SOC_SDMMC_HOST_SUPPORTED
#include "driver/sdmmc_host.h"
#endif

#include "board.h"

#define GOT_IP BIT0

static EventGroupHandle_t s_net;

void board_prepare_flash(void)
{
    /* the chip's own flash: nothing to prepare */
}

const char *board_app_uri(void)
{
    return CONFIG_FIRMWARE_UPGRADE_URI;
}

void board_adjust_service(struct ota_service_config *sc)
{
    (void)sc;  /* menuconfig's settings, as they are */
}

static void on_net_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)data;
    if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
        esp_wifi_connect();  /* keep trying until the access point answers */
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
        xEventGroupSetBits(s_net, GOT_IP);
    }
}

void board_connect_network(void)
{
    esp_err_t e = nvs_flash_init();  /* the Wi-Fi driver keeps its calibration in NVS */
    if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        e = nvs_flash_init();
    }
    ESP_ERROR_CHECK(e);
    s_net = xEventGroupCreate();
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    esp_netif_create_default_wifi_sta();
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    ESP_ERROR_CHECK(esp_wifi_init(&init));
    ESP_ERROR_CHECK(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_net_event, NULL));
    ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_net_event, NULL));
    wifi_config_t wc = {0};
    strncpy((char *)wc.sta.ssid, CONFIG_WIFI_SSID, sizeof(wc.sta.ssid));
    strncpy((char *)wc.sta.password, CONFIG_WIFI_PASSWORD, sizeof(wc.sta.password));
    ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
    ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &wc));
    ESP_ERROR_CHECK(esp_wifi_start());
    ESP_LOGI("PERIPH_WIFI", "waiting for '%s'", CONFIG_WIFI_SSID);
    xEventGroupWaitBits(s_net, GOT_IP, pdFALSE, pdTRUE, portMAX_DELAY);
}

void board_mount_sdcard(void)
{
#if SOC_SDMMC_HOST_SUPPORTED
    esp_vfs_fat_sdmmc_mount_config_t mount = {
        .format_if_mount_failed = false,  /* never wipe the user's card */
        .max_files = 4,
        .allocation_unit_size = 16 * 1024,
    };
    sdmmc_host_t host = SDMMC_HOST_DEFAULT();
    sdmmc_slot_config_t slot = SDMMC_SLOT_CONFIG_DEFAULT();
    slot.width = 1;  /* the audio boards wire one data line */
    sdmmc_card_t *card;
    esp_err_t e = esp_vfs_fat_sdmmc_mount(CONFIG_OTA_SDCARD_MOUNT_POINT, &host, &slot, &mount, &card);
    if (e != ESP_OK) {
        ESP_LOGE("SDCARD", "mount at %s failed: %s (file:// items will fail)", CONFIG_OTA_SDCARD_MOUNT_POINT,
                 esp_err_to_name(e));
        return;
    }
    ESP_LOGI("SDCARD", "base path=%s", CONFIG_OTA_SDCARD_MOUNT_POINT);
#else
    ESP_LOGW("SDCARD", "this chip has no SDMMC host: file:// items will fail");
#endif
}

void board_done(int failed)
{
    (void)failed;  /* the device keeps running the current app */
}
