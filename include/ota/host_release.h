/*
 * Host port: the emulated device's release record, its serial store
 * (ota/release.h), in IMAGE.manifest beside the image's real path (symlinks
 * resolved, like the eFuses: every path to the same image reaches one
 * record), in the sdkconfig syntax:
 *   CONFIG_MANIFEST_SERIAL=5                       the highest accepted serial
 *   CONFIG_MANIFEST_ROLLED_BACK_SERIAL=6           the release that rolled back (0: none)
 *   CONFIG_MANIFEST_ROLLED_BACK_SHA256=<64 hex>    its app_sha256 ("none": none)
 * The record is created at the first accepted manifest, so a missing file
 * is a device that never accepted one (serial 0). A file that exists is
 * read strictly: empty, cut short (every key is required and the last line
 * ends the file), oversized, a key twice or unknown, a value out of range:
 * OTA_ERR_RELEASE_RECORD, which stops a release install. It is written
 * whole (temp file, fsync, rename) through the host's one writer, so a
 * crash leaves the old or the new record.
 */
#ifndef OTA_HOST_RELEASE_H
#define OTA_HOST_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "ota/release.h"

/* The record's text (len bytes, any content) into rec. */
int ota_host_release_record_parse(const char *text, size_t len, struct ota_release_record *rec);

int ota_host_release_load(const char *image_path, struct ota_release_record *rec);

/* Keep rec; the serial never goes down (a lower one keeps the stored one). */
int ota_host_release_save(const char *image_path, const struct ota_release_record *rec);

/* The store for the device image image_path (which must outlive it). */
void ota_host_release_store(struct ota_release_store *store, const char *image_path);

#endif
