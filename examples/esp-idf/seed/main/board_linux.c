/* ESP-IDF's linux target: the flash is a file (OTA_FLASH_IMAGE, e.g. one
 * made by `ota flash create`), the host's network is the link, a folder is
 * the SD card. */
#include <stdio.h>
#include <stdlib.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "ota/service.h"
#include "sdkconfig.h"

#include "board.h"

void board_prepare_flash(void)
{
    const char *image = getenv("OTA_FLASH_IMAGE");
    if (!image || !*image) {
        ESP_LOGW("FLASH", "OTA_FLASH_IMAGE not set: a blank temporary flash with the build's partition table");
        return;
    }
    /* Map that file as the chip, kept after the run (the point is to look at it). */
    esp_partition_file_mmap_ctrl_t *c = esp_partition_get_file_mmap_ctrl_input();
    snprintf(c->flash_file_name, sizeof(c->flash_file_name), "%s", image);
    c->flash_file_size = 0;
    c->partition_file_name[0] = '\0';
    c->remove_dump = false;
    ESP_LOGI("FLASH", "the flash is the file %s", image);
}

const char *board_app_uri(void)
{
    const char *uri = getenv("OTA_APP_URI");
    return uri && *uri ? uri : CONFIG_FIRMWARE_UPGRADE_URI;
}

void board_adjust_service(struct ota_service_config *sc)
{
    const char *retries = getenv("OTA_MAX_RETRIES");
    if (retries && *retries) {
        sc->max_retries = (unsigned)strtoul(retries, NULL, 10);
        sc->no_retry = sc->max_retries == 0;
        ESP_LOGI("OTA_DEFAULT", "reconnections after a dropped transfer: %u (OTA_MAX_RETRIES)", sc->max_retries);
    }
}

void board_connect_network(void)
{
    /* esp_http_client posts its events to the default loop, as on a chip */
    esp_event_loop_create_default();
    ESP_LOGI("PERIPH_WIFI", "no Wi-Fi on the linux target: the host's network is the link (SSID '%s' unused)",
             CONFIG_WIFI_SSID);
}

void board_mount_sdcard(void)
{
    ESP_LOGI("SDCARD", "the SD card is the folder '%s'", CONFIG_OTA_SDCARD_MOUNT_POINT);
}

void board_done(int failed)
{
    /* No one restarts a process: the run ends here, its status the outcome. */
    exit(failed ? 1 : 0);
}
