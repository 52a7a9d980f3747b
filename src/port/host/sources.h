/* The host transport's sources (private to the host port). */
#ifndef OTA_HOST_SOURCES_H
#define OTA_HOST_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/host_transport.h"

int file_source_open(const struct ota_host_transport *ht, const char *uri, uint64_t offset, const char *if_range,
                     void **stream, struct ota_source_info *info);
int file_source_read(void *stream, void *buf, size_t len);
void file_source_close(void *stream);

int http_source_open(const struct ota_host_transport *ht, const char *uri, const char *cert_pem, uint64_t offset,
                     const char *if_range, void **stream, struct ota_source_info *info);
int http_source_read(void *stream, void *buf, size_t len);
void http_source_close(void *stream);

#endif
