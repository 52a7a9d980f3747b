/* http:// and https:// over esp_http_client, read pull-style through its
 * streaming calls (open, fetch_headers, read), with the host port's
 * behaviour: Range + If-Range resume, ETag / Last-Modified validator,
 * redirects followed here under one policy (a bounded count, http and
 * https only), TLS with the item's PEM or the certificate bundle, a connect
 * timeout and a read timeout (no byte for that long fails), the status
 * checked, Content-Length checked against what arrived, and the low-speed
 * limit (fewer than N bytes in a window fails, idf_pace.c). esp_http_client
 * keeps one receive buffer per stream: memory does not grow with the image. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client.h"
#include "esp_tls_errors.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
#include "esp_crt_bundle.h"
#endif

#include "ota/error.h"
#include "ota/log.h"
#include "idf_location.h"
#include "idf_pace.h"
#include "idf_sources.h"

static const char *TAG = "HTTP_STREAM";

#define RX_BUFFER 2048
#define URL_LEN 512

struct http_stream {
    esp_http_client_handle_t c;
    int status;
    int64_t content_length;
    uint64_t received;
    uint64_t offset_requested;
    uint64_t offset;              /* where the delivered body starts in the resource */
    int64_t total_length;
    bool chunked;
    int read_timeout_ms;
    struct idf_pace pace;
    const struct ota_item_clock *clock;  /* the transport's: outlives the stream */
    char etag[OTA_VALIDATOR_LEN + 1];
    char last_modified[OTA_VALIDATOR_LEN + 1];
    char location[URL_LEN];       /* of the response being received */
    char url[URL_LEN];
};

/* Milliseconds since boot, for the low-speed window (wraps after 49 days;
 * the pace only subtracts). */
static uint32_t now_ms(void)
{
    return (uint32_t)(xTaskGetTickCount() * portTICK_PERIOD_MS);
}

/* A header's value into dst (OTA_VALIDATOR_LEN + 1 bytes); too long a
 * value is dropped rather than cut. */
static void copy_value(char *dst, const char *v)
{
    size_t n = strlen(v);
    if (n > OTA_VALIDATOR_LEN) {
        n = 0;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static esp_err_t on_event(esp_http_client_event_t *ev)
{
    struct http_stream *s = ev->user_data;
    if (ev->event_id != HTTP_EVENT_ON_HEADER || !ev->header_key || !ev->header_value) {
        return ESP_OK;
    }
    const char *k = ev->header_key, *v = ev->header_value;
    unsigned long long a, b, total;
    if (strcasecmp(k, "ETag") == 0) {
        copy_value(s->etag, v);
    } else if (strcasecmp(k, "Last-Modified") == 0) {
        copy_value(s->last_modified, v);
    } else if (strcasecmp(k, "Location") == 0) {
        snprintf(s->location, sizeof(s->location), "%s", v);
    } else if (strcasecmp(k, "Content-Range") == 0 && sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &total) == 3) {
        s->offset = a;
        s->total_length = (int64_t)total;
    }
    return ESP_OK;
}

/* Why a connection could not be made, from esp-tls's last error. */
static int connect_error(struct http_stream *s)
{
    int code = 0, flags = 0;
    esp_http_client_get_and_clear_last_tls_error(s->c, &code, &flags);
    switch (code) {
    case ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME:
        return OTA_ERR_RESOLVE;
    case ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT:
    case ESP_ERR_ESP_TLS_SERVER_HANDSHAKE_TIMEOUT:
        return OTA_ERR_TIMEOUT;
    case ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST:
    case ESP_ERR_ESP_TLS_CANNOT_CREATE_SOCKET:
    case 0:
        return OTA_ERR_CONNECT;
    default:
        return OTA_ERR_TLS;  /* handshake, certificate parse or verification */
    }
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The policy for a redirect: within the count, to http or https only,
 * checked on the target made absolute (a relative Location is legal). */
static int follow(struct http_stream *s, int *redirects, int max)
{
    const char *scheme;
    char target[URL_LEN];
    if (++*redirects > max) {
        OTA_LOGE(TAG, "%s: more than %d redirects", s->url, max);
        return OTA_ERR_TOO_MANY_REDIRECTS;
    }
    if (idf_resolve_location(s->url, s->location, target, sizeof(target)) != OTA_OK ||
        ota_uri_scheme(target, &scheme) != OTA_OK || strcmp(scheme, "file") == 0) {
        OTA_LOGE(TAG, "%s: redirect to '%s' refused (http and https only)", s->url, s->location);
        return OTA_ERR_URI;
    }
    /* The redirect's own body may already sit in the client's buffer (it
     * arrives with the headers): drop it, or the next response would start
     * with it. */
    esp_http_client_flush_response(s->c, NULL);
    esp_http_client_clear_response_buffer(s->c);
    if (esp_http_client_set_url(s->c, target) != ESP_OK) {
        return OTA_ERR_URI;
    }
    OTA_LOGI(TAG, "HTTP %d: redirected to %s", s->status, target);
    snprintf(s->url, sizeof(s->url), "%s", target);
    return OTA_OK;
}

/* Send the request and take the final response's headers, following
 * redirects. */
static int request(struct http_stream *s, const struct ota_idf_transport *t)
{
    int redirects = 0, err;
    for (;;) {
        s->etag[0] = s->last_modified[0] = s->location[0] = '\0';
        s->total_length = OTA_LENGTH_UNKNOWN;
        s->offset = 0;
        esp_http_client_set_timeout_ms(s->c, t->cfg.connect_timeout_ms);
        if (esp_http_client_open(s->c, 0) != ESP_OK) {
            err = connect_error(s);
            OTA_LOGE(TAG, "%s: cannot connect (%s)", s->url, ota_strerror(err));
            return err;
        }
        /* From here on, silence longer than the read timeout fails. */
        esp_http_client_set_timeout_ms(s->c, t->cfg.read_timeout_ms);
        int64_t cl = esp_http_client_fetch_headers(s->c);
        if (cl < 0) {
            OTA_LOGE(TAG, "%s: no response headers", s->url);
            return cl == -ESP_ERR_HTTP_EAGAIN ? OTA_ERR_TIMEOUT : OTA_ERR_STREAM;
        }
        s->status = esp_http_client_get_status_code(s->c);
        if (!is_redirect(s->status) || !s->location[0]) {
            s->chunked = esp_http_client_is_chunked_response(s->c);
            /* esp_http_client reports 0 for both "chunked" and "no length". */
            s->content_length = cl > 0 ? cl : OTA_LENGTH_UNKNOWN;
            return OTA_OK;
        }
        if ((err = follow(s, &redirects, t->cfg.max_redirects))) {
            return err;
        }
    }
}

/* The final response: its status, and where its body starts. */
static int check_response(struct http_stream *s)
{
    if (s->status == 416) {
        OTA_LOGW(TAG, "HTTP 416 from %s: the range cannot be sent", s->url);
        return OTA_ERR_RANGE;  /* the service then asks for the whole resource */
    }
    if (s->status >= 400 || s->status < 200 || is_redirect(s->status)) {
        OTA_LOGE(TAG, "HTTP %d from %s", s->status, s->url);
        return OTA_ERR_HTTP_STATUS;
    }
    if (s->status == 206 && s->offset != s->offset_requested) {
        OTA_LOGE(TAG, "%s: asked for byte %llu, got a range from %llu", s->url,
                 (unsigned long long)s->offset_requested, (unsigned long long)s->offset);
        return OTA_ERR_STREAM;
    }
    if (s->status != 206) {
        s->offset = 0;
        s->total_length = s->content_length;
    }
    return OTA_OK;
}

static int set_range(struct http_stream *s, uint64_t offset, const char *if_range)
{
    char range[40];
    if (!offset) {
        return OTA_OK;
    }
    snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)offset);
    if (esp_http_client_set_header(s->c, "Range", range) != ESP_OK ||
        (if_range && *if_range && esp_http_client_set_header(s->c, "If-Range", if_range) != ESP_OK)) {
        return OTA_ERR_NO_MEM;
    }
    return OTA_OK;
}

static int create_client(struct http_stream *s, const struct ota_idf_transport *t, const char *cert_pem)
{
    esp_http_client_config_t cfg = {
        .url = s->url,
        .cert_pem = cert_pem,
        .timeout_ms = t->cfg.connect_timeout_ms,
        .disable_auto_redirect = true,  /* redirects go through follow() */
        .max_redirection_count = t->cfg.max_redirects,
        .event_handler = on_event,
        .user_data = s,
        .buffer_size = RX_BUFFER,
        .user_agent = "ota-service/0.1",
    };
    if (!cert_pem && strncmp(s->url, "https:", 6) == 0) {
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
        if (t->cfg.use_cert_bundle) {
            cfg.crt_bundle_attach = esp_crt_bundle_attach;
        }
#endif
        if (!cfg.crt_bundle_attach) {
            OTA_LOGE(TAG, "%s: no CA for https (give the item a PEM or enable the certificate bundle)", s->url);
            return OTA_ERR_TLS;
        }
    }
    s->c = esp_http_client_init(&cfg);
    if (s->c && idf_in_auth_scope(t, s->url)) {
        esp_http_client_set_header(s->c, "Authorization", t->cfg.authorization);
    }
    return s->c ? OTA_OK : OTA_ERR_NO_MEM;
}

int idf_http_open(struct ota_idf_transport *t, const char *uri, const char *cert_pem, uint64_t offset,
                  const char *if_range, void **stream, struct ota_source_info *info)
{
    ota_item_clock_open(&t->item_clock, uri, t->cfg.item_deadline_s, now_ms());
    if (ota_item_clock_passed(&t->item_clock, now_ms())) {
        OTA_LOGE(TAG, "%s: the item's deadline (%lu s) passed: not reconnecting", uri,
                 (unsigned long)t->cfg.item_deadline_s);
        return OTA_ERR_DEADLINE;
    }
    struct http_stream *s = calloc(1, sizeof(*s));
    if (!s) {
        return OTA_ERR_NO_MEM;
    }
    s->clock = &t->item_clock;
    if ((size_t)snprintf(s->url, sizeof(s->url), "%s", uri) >= sizeof(s->url)) {
        free(s);
        return OTA_ERR_URI;
    }
    s->offset_requested = offset;
    s->read_timeout_ms = t->cfg.read_timeout_ms;
    int err = create_client(s, t, cert_pem);
    if (!err) {
        err = set_range(s, offset, if_range);
    }
    if (!err) {
        err = request(s, t);
    }
    if (!err) {
        err = check_response(s);
    }
    if (err) {
        idf_http_close(s);
        return err;
    }
    idf_pace_start(&s->pace, t->cfg.low_speed_limit, t->cfg.low_speed_time_s * 1000u, now_ms());
    info->content_length = s->content_length;
    info->total_length = s->total_length;
    info->offset = s->offset;
    snprintf(info->validator, sizeof(info->validator), "%s", s->etag[0] ? s->etag : s->last_modified);
    OTA_LOGI(TAG, "HTTP %d, Content-Length %lld%s: %s", s->status, (long long)s->content_length,
             s->status == 206 ? " (resumed)" : "", s->url);
    *stream = s;
    return OTA_OK;
}

/* The end of the body: complete, or short of what was announced. */
static int at_end(struct http_stream *s)
{
    bool complete = s->content_length != OTA_LENGTH_UNKNOWN ? (int64_t)s->received == s->content_length
                                                            : esp_http_client_is_complete_data_received(s->c);
    if (!complete) {
        OTA_LOGE(TAG, "%s: after %llu of %lld bytes: %s", s->url, (unsigned long long)s->received,
                 (long long)s->content_length, ota_strerror(OTA_ERR_SHORT_READ));
        return OTA_ERR_SHORT_READ;
    }
    return 0;
}

int idf_http_read(void *stream, void *buf, size_t len)
{
    struct http_stream *s = stream;
    if (s->content_length != OTA_LENGTH_UNKNOWN && (int64_t)s->received >= s->content_length) {
        return at_end(s);
    }
    size_t ask = idf_pace_ask(&s->pace, len, now_ms());
    int n = esp_http_client_read(s->c, buf, ask > INT32_MAX ? INT32_MAX : (int)ask);
    if (ota_item_clock_passed(s->clock, now_ms())) {
        OTA_LOGE(TAG, "%s: the item's deadline passed after %llu bytes", s->url, (unsigned long long)s->received);
        return OTA_ERR_DEADLINE;
    }
    if (n > 0) {
        s->received += (uint64_t)n;
        if (idf_pace_got(&s->pace, (size_t)n, now_ms()) != OTA_OK) {
            OTA_LOGE(TAG, "%s: fewer than %lu bytes in %lu s, after %llu bytes", s->url,
                     (unsigned long)s->pace.limit, (unsigned long)(s->pace.window_ms / 1000u),
                     (unsigned long long)s->received);
            return OTA_ERR_LOW_SPEED;
        }
        return n;
    }
    if (n == -ESP_ERR_HTTP_EAGAIN) {
        OTA_LOGE(TAG, "%s: no data for %d ms after %llu bytes", s->url, s->read_timeout_ms,
                 (unsigned long long)s->received);
        return OTA_ERR_TIMEOUT;
    }
    if (n == 0) {
        return at_end(s);
    }
    OTA_LOGE(TAG, "%s: read failed after %llu bytes", s->url, (unsigned long long)s->received);
    return OTA_ERR_SHORT_READ;
}

void idf_http_close(void *stream)
{
    struct http_stream *s = stream;
    if (s->c) {
        esp_http_client_close(s->c);
        esp_http_client_cleanup(s->c);
    }
    free(s);
}
