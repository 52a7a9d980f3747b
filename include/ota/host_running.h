/*
 * Which app runs on an emulated device: what its last boot booted.
 *
 * On a chip the port asks the hardware (esp_ota_get_running_partition());
 * here `ota boot` records the partition it booted in a file beside the
 * device image (IMAGE.running), and the service is told that, never a
 * guess from otadata (after a fallback the two differ).
 */
#ifndef OTA_HOST_RUNNING_H
#define OTA_HOST_RUNNING_H

#include <stdint.h>

/* Record that the app at `offset` booted. */
int ota_host_running_save(const char *image, uint32_t offset);

/* The offset of the app the last boot booted; OTA_ERR_NOT_FOUND when the
 * device has not booted since it was made, OTA_ERR_CONFIG_SYNTAX when the
 * record is malformed. */
int ota_host_running_load(const char *image, uint32_t *offset);

#endif
