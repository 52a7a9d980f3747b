/* The ESP-IDF transport's exchange: one small API request (the DDI
 * client's) over esp_http_client, the response body bounded by the
 * caller's buffer (more: OTA_ERR_DDI_TOO_BIG), redirects not followed, the
 * whole exchange bounded by the connect + read timeouts. Credentials
 * (cfg.authorization) go only to URIs under cfg.authorization_scope. */
#include <stdio.h>
#include <string.h>

#include "esp_http_client.h"
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
#include "esp_crt_bundle.h"
#endif
#include "idf_sources.h"
#include "ota/error.h"
#include "ota/log.h"

static const char *TAG = "OTA_API";

struct exchange_sink {
    struct ota_http_exchange *x;
    bool over;
};

static esp_err_t on_data(esp_http_client_event_t *ev)
{
    struct exchange_sink *k = ev->user_data;
    if (ev->event_id != HTTP_EVENT_ON_DATA || ev->data_len <= 0) {
        return ESP_OK;
    }
    if ((size_t)ev->data_len > k->x->resp_cap - k->x->resp_len) {
        k->over = true;
        return ESP_FAIL;  /* stops the transfer */
    }
    memcpy(k->x->resp + k->x->resp_len, ev->data, (size_t)ev->data_len);
    k->x->resp_len += (size_t)ev->data_len;
    return ESP_OK;
}

bool idf_in_auth_scope(const struct ota_idf_transport *t, const char *uri)
{
    const char *scope = t->cfg.authorization_scope;
    return t->cfg.authorization && scope && *scope && strncmp(uri, scope, strlen(scope)) == 0;
}

static esp_http_client_method_t method_of(const char *m)
{
    return strcmp(m, "POST") == 0 ? HTTP_METHOD_POST : strcmp(m, "PUT") == 0 ? HTTP_METHOD_PUT : HTTP_METHOD_GET;
}

static esp_http_client_handle_t client_for(const struct ota_idf_transport *t, const struct ota_http_exchange *x,
                                           struct exchange_sink *k)
{
    esp_http_client_config_t cfg = {
        .url = x->uri,
        .cert_pem = x->cert_pem,
        .timeout_ms = t->cfg.connect_timeout_ms + t->cfg.read_timeout_ms,
        .disable_auto_redirect = true,
        .event_handler = on_data,
        .user_data = k,
        .method = method_of(x->method),
        .user_agent = "ota-service/0.1",
    };
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    if (!x->cert_pem && t->cfg.use_cert_bundle) {
        cfg.crt_bundle_attach = esp_crt_bundle_attach;
    }
#endif
    esp_http_client_handle_t c = esp_http_client_init(&cfg);
    if (c && idf_in_auth_scope(t, x->uri)) {
        esp_http_client_set_header(c, "Authorization", t->cfg.authorization);
    }
    if (c) {
        esp_http_client_set_header(c, "Accept", "application/hal+json, application/json");
    }
    if (c && x->body) {
        esp_http_client_set_header(c, "Content-Type", "application/json;charset=UTF-8");
        esp_http_client_set_post_field(c, x->body, (int)x->body_len);
    }
    return c;
}

int idf_exchange(void *ctx, struct ota_http_exchange *x)
{
    const struct ota_idf_transport *t = ctx;
    struct exchange_sink k = {x, false};
    x->resp_len = 0;
    x->status = 0;
    if (strncmp(x->uri, "https://", 8) != 0 && strncmp(x->uri, "http://", 7) != 0) {
        return OTA_ERR_URI;
    }
    esp_http_client_handle_t c = client_for(t, x, &k);
    if (!c) {
        return OTA_ERR_NO_MEM;
    }
    esp_err_t e = esp_http_client_perform(c);
    x->status = esp_http_client_get_status_code(c);
    esp_http_client_cleanup(c);
    if (k.over) {
        OTA_LOGE(TAG, "%s %s: %s", x->method, x->uri, ota_strerror(OTA_ERR_DDI_TOO_BIG));
        return OTA_ERR_DDI_TOO_BIG;
    }
    if (e != ESP_OK) {
        OTA_LOGE(TAG, "%s %s: %s", x->method, x->uri, esp_err_to_name(e));
        return e == ESP_ERR_HTTP_EAGAIN || e == ESP_ERR_TIMEOUT ? OTA_ERR_TIMEOUT : OTA_ERR_CONNECT;
    }
    return x->status >= 200 && x->status < 300 ? OTA_OK : OTA_ERR_HTTP_STATUS;
}
