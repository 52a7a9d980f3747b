/* The host transport's exchange: one small API request through libcurl's
 * easy interface. The response body is bounded by the caller's buffer (more
 * stops the transfer: OTA_ERR_DDI_TOO_BIG), redirects are not followed (an
 * API answers where it is asked), the plain-http policy and TLS
 * verification are the streams', and every exchange ends: the connect
 * timeout plus the read timeout bound it in all, and a trickle below the
 * low-speed limit ends it sooner. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ota/error.h"
#include "ota/log.h"
#include "sources.h"

static const char *TAG = "HTTP_API";

struct sink {
    struct ota_http_exchange *x;
    bool over;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct sink *k = ctx;
    size_t len = size * n;
    if (len > k->x->resp_cap - k->x->resp_len) {
        k->over = true;
        return 0;  /* stops the transfer */
    }
    memcpy(k->x->resp + k->x->resp_len, data, len);
    k->x->resp_len += len;
    return len;
}

struct curl_slist *ota_host_auth_header(const struct ota_host_transport *ht, const char *url, struct curl_slist *list)
{
    const char *scope = ht->cfg.authorization_scope;
    if (ht->cfg.authorization && scope && *scope && strncmp(url, scope, strlen(scope)) == 0) {
        char h[512];
        int n = snprintf(h, sizeof(h), "Authorization: %s", ht->cfg.authorization);
        if (n > 0 && (size_t)n < sizeof(h)) {
            list = curl_slist_append(list, h);
        }
    }
    return list;
}

static int map_result(CURLcode rc, bool over)
{
    switch (rc) {
    case CURLE_OK: return OTA_OK;
    case CURLE_WRITE_ERROR: return over ? OTA_ERR_DDI_TOO_BIG : OTA_ERR_STREAM;
    case CURLE_COULDNT_RESOLVE_HOST: return OTA_ERR_RESOLVE;
    case CURLE_COULDNT_CONNECT: return OTA_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return OTA_ERR_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE: return OTA_ERR_TLS;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return OTA_ERR_SHORT_READ;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return OTA_ERR_URI;
    default: return OTA_ERR_STREAM;
    }
}

static void set_options(CURL *e, const struct ota_host_transport *ht, const struct ota_http_exchange *x,
                        struct curl_slist *headers, struct sink *k, char *errbuf)
{
    curl_easy_setopt(e, CURLOPT_URL, x->uri);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, ht->cfg.forbid_plain_http ? "https" : "http,https");
#endif
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ht->cfg.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ht->cfg.connect_timeout_ms + ht->cfg.read_timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, ht->cfg.low_speed_limit);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, ht->cfg.low_speed_time_s);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ota-service/0.1");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    if (x->cert_pem) {
        struct curl_blob blob = {(void *)x->cert_pem, strlen(x->cert_pem), CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (strcmp(x->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->body_len);
    }
}

int ota_host_http_exchange(void *ctx, struct ota_http_exchange *x)
{
    const struct ota_host_transport *ht = ctx;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink k = {x, false};
    x->resp_len = 0;
    x->status = 0;
    if (strncasecmp(x->uri, "https://", 8) != 0 && strncasecmp(x->uri, "http://", 7) != 0) {
        return OTA_ERR_URI;
    }
    if (ht->cfg.forbid_plain_http && strncasecmp(x->uri, "http://", 7) == 0) {
        OTA_LOGE(TAG, "%s: plain http is forbidden by configuration", x->uri);
        return OTA_ERR_INSECURE;
    }
    CURL *e = curl_easy_init();
    if (!e) {
        return OTA_ERR_NO_MEM;
    }
    struct curl_slist *h = ota_host_auth_header(ht, x->uri, NULL);
    h = curl_slist_append(h, "Accept: application/hal+json, application/json");
    if (x->body) {
        h = curl_slist_append(h, "Content-Type: application/json;charset=UTF-8");
    }
    set_options(e, ht, x, h, &k, errbuf);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    int err = map_result(rc, k.over);
    if (err) {
        OTA_LOGE(TAG, "%s %s: %s (%s)", x->method, x->uri, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                 ota_strerror(err));
        return err;
    }
    return x->status >= 200 && x->status < 300 ? OTA_OK : OTA_ERR_HTTP_STATUS;
}
