/* http:// and https:// through libcurl's multi interface, read pull-style.
 *
 * libcurl pushes body bytes into a write callback; read() lends it the
 * caller's buffer for one round of curl_multi_perform. Whatever does not
 * fit is kept in a spill buffer: 4 KiB, the read size libcurl is asked
 * for; it grows only if libcurl delivers a larger piece (at most
 * CURL_MAX_WRITE_SIZE a call, SPILL_MAX in all), beyond that the transfer
 * pauses and libcurl keeps the data. Memory is bounded whatever the size
 * of the image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "ota/error.h"
#include "ota/host_mem.h"
#include "ota/log.h"
#include "sources.h"

static const char *TAG = "HTTP_STREAM";

#define READ_SIZE 4096
#define SPILL_MAX (4 * CURL_MAX_WRITE_SIZE)

struct http_stream {
    CURL *easy;
    CURLM *multi;
    char errbuf[CURL_ERROR_SIZE];
    uint8_t *dst;         /* caller's buffer during a read */
    size_t room, got;
    uint8_t *spill;
    size_t spill_cap, spill_len, spill_off;
    bool paused;
    bool saw_location;    /* the response being received has a Location header */
    bool headers_done;
    bool done;            /* the transfer finished, well or not */
    CURLcode result;
    int err;              /* our verdict, when we stopped the transfer */
    long status;
    int64_t content_length;
    uint64_t received;
    long read_timeout_ms;
    uint64_t offset_requested;
    uint64_t offset;              /* where the delivered body starts in the resource */
    int64_t total_length;
    char etag[OTA_VALIDATOR_LEN + 1];
    char last_modified[OTA_VALIDATOR_LEN + 1];
    struct curl_slist *headers;
    uint64_t last_progress_ms;  /* when a byte last arrived (or the transfer began) */
    char url[512];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A header's value, trimmed, into dst (OTA_VALIDATOR_LEN + 1 bytes); too
 * long a value is dropped rather than cut. */
static void copy_header_value(char *dst, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) {
        n--;
    }
    if (n > OTA_VALIDATOR_LEN) {
        n = 0;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct http_stream *s = ctx;
    size_t len = size * n;
    s->last_progress_ms = now_ms();
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        s->saw_location = false;  /* a new response begins */
        s->etag[0] = s->last_modified[0] = '\0';
        s->total_length = OTA_LENGTH_UNKNOWN;
    } else if (len >= 9 && strncasecmp(data, "Location:", 9) == 0) {
        s->saw_location = true;
    } else if (len >= 5 && strncasecmp(data, "ETag:", 5) == 0) {
        copy_header_value(s->etag, data + 5, len - 5);
    } else if (len >= 14 && strncasecmp(data, "Last-Modified:", 14) == 0) {
        copy_header_value(s->last_modified, data + 14, len - 14);
    } else if (len >= 14 && strncasecmp(data, "Content-Range:", 14) == 0) {
        char v[128];
        unsigned long long a, b, total;
        copy_header_value(v, data + 14, len - 14 < sizeof(v) - 1 ? len - 14 : sizeof(v) - 1);
        if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &total) == 3) {
            s->offset = a;
            s->total_length = (int64_t)total;
        }
    }
    if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 || (code >= 300 && code < 400 && s->saw_location)) {
            return len;  /* an interim or redirect response: libcurl follows, more headers come */
        }
        s->status = code;
        s->headers_done = true;
        curl_off_t cl = -1;
        curl_easy_getinfo(s->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        s->content_length = cl >= 0 ? (int64_t)cl : OTA_LENGTH_UNKNOWN;
        if (code == 206 && s->offset != s->offset_requested) {
            OTA_LOGE(TAG, "%s: asked for byte %llu, got a range from %llu", s->url,
                     (unsigned long long)s->offset_requested, (unsigned long long)s->offset);
            s->err = OTA_ERR_STREAM;
            return 0;
        }
        if (code != 206) {
            s->offset = 0;
            s->total_length = s->content_length;
        }
        if (code >= 400) {
            OTA_LOGE(TAG, "HTTP %ld from %s", code, s->url);
            s->err = code == 416 ? OTA_ERR_RANGE : OTA_ERR_HTTP_STATUS;
            return 0;  /* stop the transfer: the body is an error page, not an image */
        }
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct http_stream *s = ctx;
    size_t len = size * n;
    size_t k = len < s->room ? len : s->room;
    s->last_progress_ms = now_ms();
    size_t over = len - k;
    if (over) {
        if (s->spill_off == s->spill_len) {
            s->spill_off = s->spill_len = 0;
        }
        if (over > s->spill_cap - s->spill_len) {
            /* Grow only for one piece larger than the whole buffer; else let
             * libcurl keep the data until the reader has drained the spill. */
            uint8_t *grown = (s->spill_len == 0 && over <= SPILL_MAX) ? ota_host_realloc(s->spill, over) : NULL;
            if (!grown) {
                s->paused = true;
                return CURL_WRITEFUNC_PAUSE;  /* nothing taken: libcurl delivers it again */
            }
            s->spill = grown;
            s->spill_cap = over;
        }
        memcpy(s->spill + s->spill_len, data + k, over);
        s->spill_len += over;
    }
    if (k > 0) {  /* during open() there is no destination yet */
        memcpy(s->dst + s->got, data, k);
        s->got += k;
        s->room -= k;
    }
    s->received += len;
    return len;
}

static int map_curl_error(struct http_stream *s)
{
    if (s->err) {
        return s->err;
    }
    switch (s->result) {
    case CURLE_OK:
        return OTA_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return OTA_ERR_RESOLVE;
    case CURLE_COULDNT_CONNECT:
        return OTA_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return OTA_ERR_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return OTA_ERR_TLS;
    case CURLE_TOO_MANY_REDIRECTS:
        return OTA_ERR_TOO_MANY_REDIRECTS;
    case CURLE_PARTIAL_FILE:
        return OTA_ERR_SHORT_READ;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return (s->content_length == OTA_LENGTH_UNKNOWN || (int64_t)s->received < s->content_length)
                   ? OTA_ERR_SHORT_READ : OTA_ERR_STREAM;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return OTA_ERR_URI;
    default:
        return OTA_ERR_STREAM;
    }
}

/* One round of the transfer: perform, wait a little if nothing came, collect
 * the end. */
static void pump(struct http_stream *s)
{
    int running = 0;
    uint64_t before = s->received;
    bool had_headers = s->headers_done;
    if (s->paused) {
        s->paused = false;
        curl_easy_pause(s->easy, CURLPAUSE_CONT);
    }
    curl_multi_perform(s->multi, &running);
    /* Wait only when nothing at all happened: a paused transfer has no
     * socket in the poll set, and new bytes or headers are for the caller. */
    bool progress = s->received != before || s->headers_done != had_headers || s->got > 0;
    if (running && !progress && !s->paused) {
        /* wait for the socket, or for libcurl's own next deadline (a
         * connect in progress may have no socket to wait on yet) */
        long wait = -1;
        curl_multi_timeout(s->multi, &wait);
        curl_multi_poll(s->multi, NULL, 0, (wait < 0 || wait > 100) ? 100 : (int)wait, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            s->done = true;
            s->result = msg->data.result;
        }
    }
    /* Our own read timeout: libcurl's low-speed check averages over a window
     * of seconds and cannot say "no byte for N ms". */
    if (!s->done && s->headers_done && s->got == 0 && now_ms() - s->last_progress_ms > (uint64_t)s->read_timeout_ms) {
        s->done = true;
        s->result = CURLE_OPERATION_TIMEDOUT;
        snprintf(s->errbuf, sizeof(s->errbuf), "no data for %ld ms", s->read_timeout_ms);
    }
}

int ota_host_http_open(const struct ota_host_transport *ht, const char *uri, const char *cert_pem, uint64_t offset,
                     const char *if_range, void **stream, struct ota_source_info *info)
{
    struct http_stream *s = ota_host_calloc(1, sizeof(*s));
    if (!s) {
        return OTA_ERR_NO_MEM;
    }
    snprintf(s->url, sizeof(s->url), "%s", uri);
    s->content_length = OTA_LENGTH_UNKNOWN;
    s->total_length = OTA_LENGTH_UNKNOWN;
    s->offset_requested = offset;
    s->spill = ota_host_malloc(READ_SIZE);
    s->spill_cap = s->spill ? READ_SIZE : 0;
    s->easy = curl_easy_init();
    s->multi = curl_multi_init();
    if (!s->easy || !s->multi) {
        ota_host_http_close(s);
        return OTA_ERR_NO_MEM;
    }
    s->read_timeout_ms = ht->cfg.read_timeout_ms;
    s->last_progress_ms = now_ms();
    curl_easy_setopt(s->easy, CURLOPT_URL, uri);
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(s->easy, CURLOPT_MAXREDIRS, ht->cfg.max_redirects);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(s->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, ht->cfg.connect_timeout_ms);
    /* Until the headers are in, the same silence limit applies through libcurl. */
    curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_TIME, (ht->cfg.read_timeout_ms + 999) / 1000);
    curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "ota-service/0.1");
    curl_easy_setopt(s->easy, CURLOPT_BUFFERSIZE, (long)READ_SIZE);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    if (cert_pem) {
        struct curl_blob blob = {(void *)cert_pem, strlen(cert_pem), CURL_BLOB_COPY};
        curl_easy_setopt(s->easy, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (offset) {
        char range[32];
        snprintf(range, sizeof(range), "%llu-", (unsigned long long)offset);
        curl_easy_setopt(s->easy, CURLOPT_RANGE, range);
        if (if_range && *if_range) {
            char h[OTA_VALIDATOR_LEN + 16];
            snprintf(h, sizeof(h), "If-Range: %s", if_range);
            s->headers = curl_slist_append(s->headers, h);
            curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
        }
    }
    curl_multi_add_handle(s->multi, s->easy);

    /* Run until the final response's headers are in (or it failed). */
    while (!s->headers_done && !s->done) {
        pump(s);
    }
    int err = OTA_OK;
    if (!s->headers_done) {
        err = map_curl_error(s);
        if (!err) {
            err = OTA_ERR_STREAM;
        }
        OTA_LOGE(TAG, "%s: %s (%s)", uri, s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result),
                 ota_strerror(err));
    } else if (s->err) {
        err = s->err;
    }
    if (err) {
        ota_host_http_close(s);
        return err;
    }
    info->content_length = s->content_length;
    info->total_length = s->total_length;
    info->offset = s->offset;
    snprintf(info->validator, sizeof(info->validator), "%s", s->etag[0] ? s->etag : s->last_modified);
    OTA_LOGI(TAG, "HTTP %ld, Content-Length %lld%s: %s", s->status, (long long)s->content_length,
             s->status == 206 ? " (resumed)" : "", uri);
    *stream = s;
    return OTA_OK;
}

int ota_host_http_read(void *stream, void *buf, size_t len)
{
    struct http_stream *s = stream;
    s->dst = buf;
    s->room = len;
    s->got = 0;
    if (s->spill_off < s->spill_len) {
        size_t k = s->spill_len - s->spill_off;
        if (k > len) {
            k = len;
        }
        memcpy(buf, s->spill + s->spill_off, k);
        s->spill_off += k;
        s->got = k;
        s->room -= k;
    }
    while (s->got == 0 && !s->done) {
        pump(s);
    }
    size_t got = s->got;
    s->dst = NULL;
    s->room = 0;
    if (got > 0) {
        return (int)got;
    }
    int err = map_curl_error(s);
    if (!err && s->content_length != OTA_LENGTH_UNKNOWN && (int64_t)s->received != s->content_length) {
        err = OTA_ERR_SHORT_READ;
    }
    if (err) {
        OTA_LOGE(TAG, "%s: after %llu of %lld bytes: %s (%s)", s->url, (unsigned long long)s->received,
                 (long long)s->content_length, s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result),
                 ota_strerror(err));
        return err;
    }
    return 0;
}

void ota_host_http_close(void *stream)
{
    struct http_stream *s = stream;
    if (s->multi && s->easy) {
        curl_multi_remove_handle(s->multi, s->easy);
    }
    if (s->easy) {
        curl_easy_cleanup(s->easy);
    }
    if (s->multi) {
        curl_multi_cleanup(s->multi);
    }
    curl_slist_free_all(s->headers);
    ota_host_free(s->spill);
    ota_host_free(s);
}
