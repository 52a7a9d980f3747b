/* The host transport: dispatch by URI scheme. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ota/error.h"
#include "ota/host_mem.h"
#include "sources.h"

struct stream_handle {
    bool is_file;
    void *impl;
};

uint64_t ota_host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int t_open(void *ctx, const char *uri, const char *cert_pem, uint64_t offset, const char *if_range,
                  void **stream, struct ota_source_info *info)
{
    struct ota_host_transport *ht = ctx;
    const char *scheme;
    int err = ota_uri_scheme(uri, &scheme);
    if (err) {
        return err;
    }
    struct stream_handle *h = ota_host_calloc(1, sizeof(*h));
    if (!h) {
        return OTA_ERR_NO_MEM;
    }
    h->is_file = strcmp(scheme, "file") == 0;
    ota_item_clock_open(&ht->item_clock, uri, (uint32_t)ht->cfg.deadline_s, (uint32_t)ota_host_now_ms());
    memset(info, 0, sizeof(*info));
    info->content_length = info->total_length = OTA_LENGTH_UNKNOWN;
    err = h->is_file ? ota_host_file_open(ht, uri, offset, if_range, &h->impl, info)
                     : ota_host_http_open(ht, uri, cert_pem, offset, if_range, &h->impl, info);
    if (err) {
        ota_host_free(h);
        return err;
    }
    ht->streams_opened++;
    *stream = h;
    return OTA_OK;
}

static int t_read(void *ctx, void *stream, void *buf, size_t len)
{
    struct ota_host_transport *ht = ctx;
    struct stream_handle *h = stream;
    int n = h->is_file ? ota_host_file_read(h->impl, buf, len) : ota_host_http_read(h->impl, buf, len);
    if (n > 0) {
        ht->bytes_received += (uint64_t)n;
    }
    return n;
}

static void t_close(void *ctx, void *stream)
{
    struct stream_handle *h = stream;
    (void)ctx;
    if (h->is_file) {
        ota_host_file_close(h->impl);
    } else {
        ota_host_http_close(h->impl);
    }
    ota_host_free(h);
}

void ota_host_transport_init(struct ota_host_transport *ht, const struct ota_host_transport_config *cfg)
{
    memset(ht, 0, sizeof(*ht));
    if (cfg) {
        ht->cfg = *cfg;
    }
    if (ht->cfg.connect_timeout_ms <= 0) {
        ht->cfg.connect_timeout_ms = 5000;
    }
    if (ht->cfg.read_timeout_ms <= 0) {
        ht->cfg.read_timeout_ms = 10000;
    }
    if (ht->cfg.max_redirects <= 0) {
        ht->cfg.max_redirects = 5;
    }
    if (ht->cfg.low_speed_limit <= 0) {
        ht->cfg.low_speed_limit = 1024;
    }
    if (ht->cfg.low_speed_time_s <= 0) {
        ht->cfg.low_speed_time_s = 20;
    }
    if (ht->cfg.deadline_s <= 0) {
        ht->cfg.deadline_s = 900;
    }
    if (ht->cfg.deadline_s > (long)OTA_ITEM_CLOCK_MAX_S) {
        ht->cfg.deadline_s = (long)OTA_ITEM_CLOCK_MAX_S;
    }
    ht->transport.ctx = ht;
    ht->transport.open = t_open;
    ht->transport.read = t_read;
    ht->transport.close = t_close;
    ht->transport.exchange = ota_host_http_exchange;
}

int ota_host_transport_global_init(void)
{
    return ota_host_mem_curl_init();
}
