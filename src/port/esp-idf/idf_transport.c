/* The ESP-IDF transport: dispatch by URI scheme, count what arrives. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "idf_sources.h"

struct stream_handle {
    bool is_file;
    void *impl;
};

static int t_open(void *ctx, const char *uri, const char *cert_pem, uint64_t offset, const char *if_range,
                  void **stream, struct ota_source_info *info)
{
    struct ota_idf_transport *t = ctx;
    const char *scheme;
    int err = ota_uri_scheme(uri, &scheme);
    if (err) {
        return err;
    }
    struct stream_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        return OTA_ERR_NO_MEM;
    }
    h->is_file = strcmp(scheme, "file") == 0;
    memset(info, 0, sizeof(*info));
    info->content_length = info->total_length = OTA_LENGTH_UNKNOWN;
    err = h->is_file ? idf_file_open(t, uri, offset, if_range, &h->impl, info)
                     : idf_http_open(t, uri, cert_pem, offset, if_range, &h->impl, info);
    if (err) {
        free(h);
        return err;
    }
    t->streams_opened++;
    *stream = h;
    return OTA_OK;
}

static int t_read(void *ctx, void *stream, void *buf, size_t len)
{
    struct ota_idf_transport *t = ctx;
    struct stream_handle *h = stream;
    int n = h->is_file ? idf_file_read(h->impl, buf, len) : idf_http_read(h->impl, buf, len);
    if (n > 0) {
        t->bytes_received += (uint64_t)n;
    }
    return n;
}

static void t_close(void *ctx, void *stream)
{
    struct stream_handle *h = stream;
    (void)ctx;
    if (h->is_file) {
        idf_file_close(h->impl);
    } else {
        idf_http_close(h->impl);
    }
    free(h);
}

void ota_idf_transport_init(struct ota_idf_transport *t, const struct ota_idf_transport_config *cfg)
{
    memset(t, 0, sizeof(*t));
    if (cfg) {
        t->cfg = *cfg;
    }
    if (t->cfg.connect_timeout_ms <= 0) {
        t->cfg.connect_timeout_ms = 5000;
    }
    if (t->cfg.read_timeout_ms <= 0) {
        t->cfg.read_timeout_ms = 10000;
    }
    if (t->cfg.max_redirects <= 0) {
        t->cfg.max_redirects = 5;
    }
    if (!t->cfg.item_deadline_s) {
        t->cfg.item_deadline_s = 900;  /* the host port's default */
    }
    if (!t->cfg.low_speed_limit || !t->cfg.low_speed_time_s) {
        t->cfg.low_speed_limit = 1024;  /* the host port's defaults */
        t->cfg.low_speed_time_s = 20;
    }
    t->transport.ctx = t;
    t->transport.open = t_open;
    t->transport.read = t_read;
    t->transport.close = t_close;
    t->transport.exchange = idf_exchange;
}
