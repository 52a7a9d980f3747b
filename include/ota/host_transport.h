/*
 * Host port transport: http:// and https:// through libcurl, and
 * file://sdcard/PATH from a folder that plays the SD card.
 *
 * HTTP: connect and read timeouts, a bounded number of redirects, the
 * status checked (>= 400 is OTA_ERR_HTTP_STATUS), Content-Length checked
 * against what arrives (short = OTA_ERR_SHORT_READ), TLS peer and host
 * verification always on (CA from the item's PEM, else the system store).
 * file://: the path must stay inside the SD card folder ("..", absolute
 * paths and symlinks leading out are OTA_ERR_PATH_ESCAPE).
 */
#ifndef OTA_HOST_TRANSPORT_H
#define OTA_HOST_TRANSPORT_H

#include <stdint.h>

#include "ota/source.h"

struct ota_host_transport_config {
    const char *sdcard_dir;     /* the SD card's folder; NULL: file:// is refused */
    long connect_timeout_ms;    /* 0: 5000 */
    long read_timeout_ms;       /* no byte for this long fails the transfer; 0: 10000 */
    long max_redirects;         /* 0: 5 */
};

struct ota_host_transport {
    struct ota_transport transport;  /* hand &ht->transport to the service */
    struct ota_host_transport_config cfg;
    uint64_t bytes_received;         /* body bytes over all streams, for tests */
    unsigned streams_opened;
};

void ota_host_transport_init(struct ota_host_transport *ht, const struct ota_host_transport_config *cfg);

/* Once per process, before threads: curl_global_init. */
int ota_host_transport_global_init(void);

#endif
