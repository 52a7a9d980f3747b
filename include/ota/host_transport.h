/*
 * Host port transport: http:// and https:// through libcurl, and
 * file://sdcard/PATH from a folder that plays the SD card.
 *
 * HTTP: connect and read timeouts, a bounded number of redirects, the
 * status checked (>= 400 is OTA_ERR_HTTP_STATUS), redirects followed hop by
 * hop under the same policy (forbid_plain_http holds on every hop; a 3xx
 * without Location is OTA_ERR_REDIRECT_NO_LOCATION), Content-Length checked
 * against what arrives (short = OTA_ERR_SHORT_READ), TLS peer and host
 * verification always on (CA from the item's PEM, else the system store).
 * Every transfer ends: fewer than low_speed_limit bytes in low_speed_time_s
 * seconds is OTA_ERR_LOW_SPEED (defaults 1024 bytes in 20 s: a 1-byte-per-
 * second trickle ends within 20 s); an item that has not arrived deadline_s
 * seconds after its first request, reconnects included, is
 * OTA_ERR_DEADLINE (default 900 s).
 * file://: the path must stay inside the SD card folder ("..", absolute
 * paths and symlinks leading out are OTA_ERR_PATH_ESCAPE).
 */
#ifndef OTA_HOST_TRANSPORT_H
#define OTA_HOST_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/source.h"

struct ota_host_transport_config {
    const char *sdcard_dir;     /* the SD card's folder; NULL: file:// is refused */
    long connect_timeout_ms;    /* 0: 5000 */
    long read_timeout_ms;       /* no byte for this long fails the transfer; 0: 10000 */
    long max_redirects;         /* 0: 5 */
    long low_speed_limit;       /* bytes per window, see above; 0: 1024 */
    long low_speed_time_s;      /* the window; 0: 20 */
    long deadline_s;            /* per item; 0: 900 */
    bool forbid_plain_http;     /* refuse http://, redirect targets included */
    /* An API's credentials ("TargetToken T", "GatewayToken T"), sent as the
     * Authorization header only to URIs that begin with authorization_scope
     * (the API server: a link to another host never sees the token). */
    const char *authorization;
    const char *authorization_scope;
};

struct ota_host_transport {
    struct ota_transport transport;  /* hand &ht->transport to the service */
    struct ota_host_transport_config cfg;
    uint64_t bytes_received;         /* body bytes over all streams, for tests */
    unsigned streams_opened;
    /* The item clock: opens of the same URI (reconnects, resumes) share
     * one deadline; a different URI is the next item. */
    struct ota_item_clock item_clock;  /* CLOCK_MONOTONIC ms */
};

void ota_host_transport_init(struct ota_host_transport *ht, const struct ota_host_transport_config *cfg);

/* Once per process, before threads: curl_global_init. */
int ota_host_transport_global_init(void);

#endif
