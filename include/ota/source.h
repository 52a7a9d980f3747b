/*
 * Where upgrade bytes come from: the port's transport, behind one small
 * interface. The host port implements http:// and https:// with libcurl and
 * file://sdcard/... on a folder; a device port would use esp_http_client and
 * FATFS. The core never parses HTTP.
 *
 * Context and lifetimes: the core uses one transport struct from one context
 * at a time (the service's task), never two streams at once; the URI, PEM
 * and validator strings passed to open stay valid until the stream's close.
 */
#ifndef OTA_SOURCE_H
#define OTA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTA_LENGTH_UNKNOWN (-1)

#define OTA_VALIDATOR_LEN 92

struct ota_source_info {
    int64_t content_length;  /* bytes this response announces, or OTA_LENGTH_UNKNOWN */
    int64_t total_length;    /* length of the whole resource, or OTA_LENGTH_UNKNOWN */
    uint64_t offset;         /* resource offset of the first byte delivered: the requested
                              * offset when the source honoured it (HTTP 206), else 0 */
    char validator[OTA_VALIDATOR_LEN + 1];  /* ETag, else Last-Modified, else "" */
};

/* One request of an HTTP API (the DDI client's): a small body out, a
 * bounded body back. Filled by the caller except the outputs. */
struct ota_http_exchange {
    const char *method;      /* "GET", "POST", "PUT" */
    const char *uri;
    const char *cert_pem;    /* CA for https; NULL: the port's default */
    const char *body;        /* JSON to send, or NULL */
    size_t body_len;
    char *resp;              /* the response body goes here ... */
    size_t resp_cap;         /* ... at most this many bytes (more: OTA_ERR_DDI_TOO_BIG) */
    size_t resp_len;         /* out */
    long status;             /* out: the HTTP status, 0 when none arrived */
};

struct ota_transport {
    void *ctx;
    /* Open uri (with an optional CA certificate in PEM for https) from
     * byte `offset` (0: the whole resource). With if_range (a validator
     * from an earlier response), the source sends the range only if the
     * resource is unchanged, else all of it: info->offset tells which.
     * Fills info once the response headers are in. Returns a handle through
     * *stream, or a negative ota_err (OTA_ERR_URI, _RESOLVE, _CONNECT,
     * _TLS, _HTTP_STATUS, _FILE_NOT_FOUND, _PATH_ESCAPE, _TIMEOUT, ...). */
    int (*open)(void *ctx, const char *uri, const char *cert_pem, uint64_t offset, const char *if_range,
                void **stream, struct ota_source_info *info);
    /* Read up to len bytes. Returns the count (> 0), 0 at the end of a
     * complete stream, or a negative ota_err: a stream that ends before its
     * announced length is OTA_ERR_SHORT_READ, never 0. */
    int (*read)(void *ctx, void *stream, void *buf, size_t len);
    void (*close)(void *ctx, void *stream);
    /* Optional (NULL: this port speaks no HTTP API). One exchange, redirects
     * not followed, within the port's timeouts. Returns OTA_OK for a 2xx
     * status; OTA_ERR_HTTP_STATUS for any other (x->status tells which);
     * OTA_ERR_DDI_TOO_BIG for a body past resp_cap; transfer errors as open. */
    int (*exchange)(void *ctx, struct ota_http_exchange *x);
};

/* The scheme of uri: "http", "https", "file"; OTA_ERR_URI for anything else. */
int ota_uri_scheme(const char *uri, const char **scheme);

/* For a port's transport: whether PATH of file://sdcard/PATH would leave
 * the card by its text alone (empty, absolute, or a ".." component). A port
 * still checks what it resolves to where links exist. */
bool ota_card_path_escapes(const char *path);

/* For a port's transport: an item's overall deadline. Opening a URI other
 * than the one the clock runs for starts it; a reconnect or a resume of the
 * same URI keeps it. Times are milliseconds of any monotonic clock (its
 * wrap at 2^32 is allowed); a deadline is at most OTA_ITEM_CLOCK_MAX_S
 * ahead (longer ones are cut to that). Zero-initialised: not running. */
#define OTA_ITEM_CLOCK_MAX_S (24u * 86400u)
struct ota_item_clock {
    uint32_t uri_hash;
    uint32_t deadline_ms;
    bool running;
};
void ota_item_clock_open(struct ota_item_clock *c, const char *uri, uint32_t deadline_s, uint32_t now_ms);
bool ota_item_clock_passed(const struct ota_item_clock *c, uint32_t now_ms);

#endif
