/* The host transport's sources (private to the host port). */
#ifndef OTA_HOST_SOURCES_H
#define OTA_HOST_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/host_transport.h"

/* Milliseconds of CLOCK_MONOTONIC: pace, timeouts and the item clock. */
uint64_t ota_host_now_ms(void);

int ota_host_file_open(const struct ota_host_transport *ht, const char *uri, uint64_t offset, const char *if_range,
                     void **stream, struct ota_source_info *info);
int ota_host_file_read(void *stream, void *buf, size_t len);
void ota_host_file_close(void *stream);

int ota_host_http_open(const struct ota_host_transport *ht, const char *uri, const char *cert_pem, uint64_t offset,
                     const char *if_range, void **stream, struct ota_source_info *info);
int ota_host_http_read(void *stream, void *buf, size_t len);
void ota_host_http_close(void *stream);

/* libcurl is the HTTP side of the host port. */
struct curl_slist;

/* The Authorization header for url when it is in the configured scope,
 * appended to list (which is returned). */
struct curl_slist *ota_host_auth_header(const struct ota_host_transport *ht, const char *url, struct curl_slist *list);

/* The transport's exchange (http_exchange.c). */
int ota_host_http_exchange(void *ctx, struct ota_http_exchange *x);

#endif
