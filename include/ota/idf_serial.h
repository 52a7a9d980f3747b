/*
 * ESP-IDF port: the release serial store (struct ota_release_store) in a
 * data partition of at least two sectors (menuconfig: "Release serial
 * partition", default label ota_serial), power-safe by two copies written
 * in turn. See src/port/esp-idf/idf_serial.c for how a new device, a torn
 * save and a damaged record are told apart.
 */
#ifndef OTA_IDF_SERIAL_H
#define OTA_IDF_SERIAL_H

#include <stdint.h>

#include "ota/flash.h"
#include "ota/partition.h"
#include "ota/release.h"

struct ota_idf_serial_store {
    struct ota_release_store store;   /* hand &s->store to ota_release_config.store */
    const struct ota_flash *flash;
    uint32_t offset;                  /* the partition's first sector */
    uint8_t manifest_key_digest[32];  /* CONFIG_OTA_MANIFEST_KEY_DIGEST, parsed */
};

/* 64 hex digits (either case, nothing else) into 32 bytes.
 * Errors: OTA_ERR_INVALID_ARG (empty, short, long or not hex: out untouched). */
int ota_idf_hex_digest(const char *hex, uint8_t out[32]);

/* Errors: OTA_ERR_INVALID_ARG (no partition, not a data partition, under
 * two sectors or not sector aligned). */
int ota_idf_serial_store_init(struct ota_idf_serial_store *s, const struct ota_flash *flash,
                              const struct ota_partition *part);

/* The release item's settings from menuconfig: the manifest's URI
 * (CONFIG_OTA_MANIFEST_URI), the release key's digest
 * (CONFIG_OTA_MANIFEST_KEY_DIGEST, kept in s), the device id
 * (CONFIG_OTA_RELEASE_DEVICE_ID), the project (CONFIG_OTA_RELEASE_PROJECT),
 * the signature's URI (CONFIG_OTA_MANIFEST_SIG_URI) and the serial store in
 * the partition CONFIG_OTA_RELEASE_SERIAL_PARTITION of table t, or none
 * when CONFIG_OTA_RELEASE_WITHOUT_SERIAL_STORE opts out (a warning is
 * logged at every call). An empty setting stays NULL: the caller may set
 * it; a release item without a key digest refuses every manifest.
 * Errors: OTA_ERR_NOT_FOUND (no such partition), OTA_ERR_INVALID_ARG (a key
 * digest that is not 64 hex digits, or a bad partition). */
int ota_idf_release_config_from_kconfig(struct ota_release_config *rc, struct ota_idf_serial_store *s,
                                        const struct ota_flash *flash, const struct ota_ptable *t);

#endif
