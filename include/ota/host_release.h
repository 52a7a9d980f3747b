/*
 * Host port: the highest release-manifest serial the emulated device has
 * accepted, in IMG.manifest beside the flash image
 * (CONFIG_MANIFEST_SERIAL=<n>). It only goes up, so a replayed older
 * manifest is refused. A missing file is a device that never accepted one.
 */
#ifndef OTA_HOST_RELEASE_H
#define OTA_HOST_RELEASE_H

#include <stdint.h>

int ota_host_manifest_serial_load(const char *image_path, uint32_t *serial);

/* Raise the kept serial to `serial` (a lower one changes nothing); the file
 * is replaced by rename, so a crash leaves the old or the new value. */
int ota_host_manifest_serial_save(const char *image_path, uint32_t serial);

#endif
