/*
 * ESP-IDF port: the service on a real ESP32 (and on ESP-IDF's linux target).
 *
 * Flash: the core sees the whole chip; every access is routed to the
 * esp_partition that holds it (partition-relative, so flash encryption
 * stays the partition API's business). The partition table itself is
 * reached through its own partition entry.
 * Transport: http:// and https:// over esp_http_client, file://sdcard/...
 * through the VFS below a mount point. Hashes, signatures, log, eFuse and
 * sleep are the link-time port functions and the helpers below.
 * Everything here is caller-owned: no allocation outside the transport's
 * per-stream state.
 */
#ifndef OTA_IDF_PORT_H
#define OTA_IDF_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ddi.h"
#include "ota/flash.h"
#include "ota/service.h"
#include "ota/source.h"

#define OTA_IDF_MAX_PARTITIONS 32

struct esp_partition_t;

struct ota_idf_flash {
    struct ota_flash flash;   /* hand &f->flash to the service */
    /* every partition the partition API knows, in address order, plus the table's own */
    const void *parts[OTA_IDF_MAX_PARTITIONS];
    unsigned count;
};

/* Collect the partitions and the chip size. Errors: OTA_ERR_NOT_FOUND (no
 * partition table entry can be made), OTA_ERR_NO_MEM (more partitions than
 * OTA_IDF_MAX_PARTITIONS), OTA_ERR_IO (the chip size is unknown). */
int ota_idf_flash_init(struct ota_idf_flash *f);

struct ota_idf_transport_config {
    const char *sdcard_mount;   /* VFS path that file://sdcard/ maps to; NULL: file:// refused */
    int connect_timeout_ms;     /* 0: 5000 */
    int read_timeout_ms;        /* no byte for this long fails the transfer; 0: 10000 */
    int max_redirects;          /* 0: 5 */
    uint32_t low_speed_limit;   /* fewer bytes than this ... */
    uint32_t low_speed_time_s;  /* ... in a window this long fails the transfer; 0 (either): 1024 B in 20 s */
    uint32_t item_deadline_s;   /* an item not arrived within this, reconnects included, fails; 0: 900 */
    bool use_cert_bundle;       /* https without an item PEM: the ESP x509 bundle (else refused) */
    /* An API's credentials ("TargetToken T"), sent as Authorization only to
     * URIs that begin with authorization_scope (the DDI server). */
    const char *authorization;
    const char *authorization_scope;
};

struct ota_idf_transport {
    struct ota_transport transport;  /* hand &t->transport to the service */
    struct ota_idf_transport_config cfg;
    /* the item's overall deadline (FreeRTOS ms); ota_idf_transport_init
     * stops it, so a firmware that runs the service again inits its
     * transport again */
    struct ota_item_clock item_clock;
    uint64_t bytes_received;         /* body bytes over all streams */
    unsigned streams_opened;
};

void ota_idf_transport_init(struct ota_idf_transport *t, const struct ota_idf_transport_config *cfg);

/* The DDI client from menuconfig's "hawkBit DDI server" settings: the
 * record in its data partition, the token on the transport (scoped to the
 * server). Then ota_ddi_poll(&d->client, &svc, &res) at every poll.
 * OTA_ERR_NOT_FOUND: no server configured, or no record partition. */
struct ota_idf_ddi {
    struct ota_ddi_client client;
    struct ota_ddi_store store;
    char auth[160];
};
int ota_idf_ddi_setup(struct ota_idf_ddi *d, struct ota_idf_transport *t, const struct ota_flash *flash,
                      const struct ota_ptable *table, const char *server);  /* server NULL: CONFIG_OTA_DDI_SERVER */

/* The device's eFuses that matter to updates (Secure Boot V2 key digest,
 * anti-rollback counter), where the chip and the configuration have them. */
struct ota_idf_efuse {
    bool key_burned;
    uint8_t key_digest[32];
    uint32_t secure_version;
};
int ota_idf_efuse_read(struct ota_idf_efuse *e);

/* FreeRTOS delay, in the shape of ota_service_config.sleep_ms. */
void ota_idf_sleep_ms(void *ctx, unsigned ms);

/* The service and transport settings from menuconfig ("OTA service"):
 * timeouts, redirects, retries, plain http, the certificate bundle, the SD
 * card mount point, and this chip's id and revision for the image check
 * (on the linux target: an ESP32 v3.0, as the host tool emulates). The
 * caller still sets flash, transport, callbacks and the eFuse fields. */
void ota_idf_config_from_kconfig(struct ota_service_config *sc, struct ota_idf_transport_config *tc);

/* The start of the app partition that runs now, for
 * ota_service_config.running_app_offset or ota_device_open:
 * esp_ota_get_running_partition() on a chip; on the linux target (no
 * app_update) the app the bootloader would boot from this flash. */
int ota_idf_running_app_offset(const struct ota_flash *f, uint32_t *offset);

#endif
