/* What the board gives the example before the service runs: the flash, the
 * network, the SD card. One implementation per kind of target. */
#ifndef OTA_EXAMPLE_BOARD_H
#define OTA_EXAMPLE_BOARD_H

void board_prepare_flash(void);
void board_connect_network(void);
void board_mount_sdcard(void);
/* The app's URI: menuconfig's CONFIG_FIRMWARE_UPGRADE_URI (on the linux
 * target OTA_APP_URI overrides it, so one build can try several servers). */
const char *board_app_uri(void);
struct ota_service_config;
/* Last word on the service's settings: a chip keeps menuconfig's; on the
 * linux target OTA_MAX_RETRIES overrides the reconnection count (0: none),
 * so one build can also play a device that does not resume. */
void board_adjust_service(struct ota_service_config *sc);
/* The list ran without a restart; failed: how many items failed. */
void board_done(int failed);

#endif
