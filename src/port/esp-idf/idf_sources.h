/* The ESP-IDF transport's sources (private to the port). */
#ifndef OTA_IDF_SOURCES_H
#define OTA_IDF_SOURCES_H

#include <stddef.h>

#include "ota/idf_port.h"

int idf_file_open(const struct ota_idf_transport *t, const char *uri, uint64_t offset, const char *if_range,
                  void **stream, struct ota_source_info *info);
int idf_file_read(void *stream, void *buf, size_t len);
void idf_file_close(void *stream);

int idf_http_open(struct ota_idf_transport *t, const char *uri, const char *cert_pem, uint64_t offset,
                  const char *if_range, void **stream, struct ota_source_info *info);
int idf_http_read(void *stream, void *buf, size_t len);
void idf_http_close(void *stream);

/* The transport's exchange (idf_exchange.c), and whether uri gets the credentials. */
int idf_exchange(void *ctx, struct ota_http_exchange *x);
bool idf_in_auth_scope(const struct ota_idf_transport *t, const char *uri);

#endif
