/* http:// and https:// through libcurl's multi interface, read pull-style.
 *
 * libcurl pushes body bytes into a write callback; read() lends it the
 * caller's buffer for one round of curl_multi_perform. Whatever does not
 * fit is kept in a spill buffer: 16 KiB, the read size libcurl is asked
 * for (the core reads 4 KiB at a time, served from the spill without a
 * system call; a 4 KiB read size cost one recv and one ACK per 4 KiB and
 * about a tenth of the CPU time of an update from loopback); it grows
 * only if libcurl delivers a larger piece (at most CURL_MAX_WRITE_SIZE a
 * call, SPILL_MAX in all), beyond that the transfer pauses and libcurl
 * keeps the data. Memory is bounded whatever the size
 * of the image.
 *
 * Redirects are followed here, hop by hop, not by libcurl: each target is
 * checked against the plain-http policy before it is contacted, an http://
 * hop is logged as unauthenticated, and a 3xx without Location is an error
 * (its body is never taken for the image). Every transfer ends: besides the
 * read timeout (no byte for N ms), fewer than low_speed_limit bytes within
 * any low_speed_time window, or the item's overall deadline, fails it. */
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

#define READ_SIZE 16384
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
    char *location;       /* the response's Location header, if any */
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
    uint64_t window_start_ms;   /* low-speed check: the current window */
    uint64_t window_bytes;      /* bytes (headers and body) in that window */
    long low_speed_limit, low_speed_time_s;
    const struct ota_item_clock *clock;  /* the transport's: outlives the stream */
    char *url;                  /* the current hop, as given (no length limit) */
};

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

/* The Location value, trimmed, whatever its length. */
static void keep_location(struct http_stream *s, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) {
        n--;
    }
    ota_host_free(s->location);
    s->location = n ? ota_host_malloc(n + 1) : NULL;
    if (s->location) {
        memcpy(s->location, v, n);
        s->location[n] = '\0';
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct http_stream *s = ctx;
    size_t len = size * n;
    s->last_progress_ms = ota_host_now_ms();
    s->window_bytes += len;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        ota_host_free(s->location);  /* a new response begins */
        s->location = NULL;
        s->etag[0] = s->last_modified[0] = '\0';
        s->total_length = OTA_LENGTH_UNKNOWN;
    } else if (len >= 9 && strncasecmp(data, "Location:", 9) == 0) {
        keep_location(s, data + 9, len - 9);
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
        if (code < 200) {
            return len;  /* an interim response: the real one follows */
        }
        s->status = code;
        s->headers_done = true;
        if (code >= 300 && code < 400) {
            return 0;  /* a redirect: its body is not wanted; the open loop decides */
        }
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
    s->last_progress_ms = ota_host_now_ms();
    s->window_bytes += len;
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

/* A trickle is not progress: fewer than low_speed_limit bytes in a window
 * of low_speed_time seconds ends the transfer, and so does the item's
 * overall deadline, however the bytes come. */
static void check_pace(struct http_stream *s)
{
    uint64_t now = ota_host_now_ms();
    if (ota_item_clock_passed(s->clock, (uint32_t)now)) {
        s->done = true;
        s->err = OTA_ERR_DEADLINE;
        snprintf(s->errbuf, sizeof(s->errbuf), "the item's deadline passed after %llu bytes",
                 (unsigned long long)s->received);
        return;
    }
    if (now - s->window_start_ms < (uint64_t)s->low_speed_time_s * 1000u) {
        return;
    }
    if (s->window_bytes < (uint64_t)s->low_speed_limit) {
        s->done = true;
        s->err = OTA_ERR_LOW_SPEED;
        snprintf(s->errbuf, sizeof(s->errbuf), "%llu bytes in %ld s, below the limit of %ld bytes",
                 (unsigned long long)s->window_bytes, s->low_speed_time_s, s->low_speed_limit);
        return;
    }
    s->window_start_ms = now;
    s->window_bytes = 0;
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
    /* Our own read timeout, headers included: libcurl's low-speed check
     * averages whole bytes per second over a window, so a slow but honest
     * trickle would trip it by rounding, and it cannot say "no byte for N
     * ms". A trickle is for check_pace. */
    if (!s->done && s->got == 0 && ota_host_now_ms() - s->last_progress_ms > (uint64_t)s->read_timeout_ms) {
        s->done = true;
        s->result = CURLE_OPERATION_TIMEDOUT;
        snprintf(s->errbuf, sizeof(s->errbuf), "no data for %ld ms", s->read_timeout_ms);
    }
    if (!s->done) {
        check_pace(s);
    }
}

static char *dup_str(const char *v)
{
    size_t n = strlen(v);
    char *d = ota_host_malloc(n + 1);
    if (d) {
        memcpy(d, v, n + 1);
    }
    return d;
}

/* A fresh easy handle for one hop, added to the multi handle. */
static int start_hop(struct http_stream *s, const struct ota_host_transport *ht, const char *cert_pem,
                     const char *if_range)
{
    s->easy = curl_easy_init();
    if (!s->easy) {
        return OTA_ERR_NO_MEM;
    }
    s->headers_done = s->done = false;
    s->status = 0;
    s->result = CURLE_OK;
    s->errbuf[0] = '\0';
    s->last_progress_ms = s->window_start_ms = ota_host_now_ms();
    s->window_bytes = 0;
    curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);  /* we follow, checking each hop */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, ht->cfg.forbid_plain_http ? "https" : "http,https");
#endif
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, ht->cfg.connect_timeout_ms);
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
    /* headers per hop: a redirect elsewhere loses the credentials */
    curl_slist_free_all(s->headers);
    s->headers = ota_host_auth_header(ht, s->url, NULL);
    if (s->offset_requested) {
        char range[32];
        snprintf(range, sizeof(range), "%llu-", (unsigned long long)s->offset_requested);
        curl_easy_setopt(s->easy, CURLOPT_RANGE, range);
        if (if_range && *if_range) {
            char h[OTA_VALIDATOR_LEN + 16];
            snprintf(h, sizeof(h), "If-Range: %s", if_range);
            s->headers = curl_slist_append(s->headers, h);
        }
    }
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_multi_add_handle(s->multi, s->easy);
    /* Run until this hop's final response headers are in (or it failed). */
    while (!s->headers_done && !s->done) {
        pump(s);
    }
    return OTA_OK;
}

static void end_hop(struct http_stream *s)
{
    if (s->easy) {
        curl_multi_remove_handle(s->multi, s->easy);
        curl_easy_cleanup(s->easy);
        s->easy = NULL;
    }
    s->spill_off = s->spill_len = 0;
    s->received = 0;
    s->paused = false;
}

/* The policy for a URL about to be contacted; hop 0 is the item's own URI
 * (the service has checked and logged it). */
static int check_hop(const struct ota_host_transport *ht, const char *url, unsigned hop)
{
    if (strncasecmp(url, "https://", 8) == 0) {
        return OTA_OK;
    }
    if (strncasecmp(url, "http://", 7) != 0) {
        OTA_LOGE(TAG, "redirect to %s: only http and https are followed", url);
        return OTA_ERR_URI;
    }
    if (ht->cfg.forbid_plain_http) {
        OTA_LOGE(TAG, "%s %s: plain http is forbidden by configuration", hop ? "redirect to" : "", url);
        return OTA_ERR_INSECURE;
    }
    if (hop) {
        OTA_LOGW(TAG, "redirect to %s: plain http, the transfer is not authenticated", url);
    }
    return OTA_OK;
}

/* Location resolved against the current URL (it may be relative). */
static char *resolve(const char *base, const char *location)
{
    CURLU *u = curl_url();
    char *out = NULL, *next = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
        next = dup_str(out);
    }
    curl_free(out);
    curl_url_cleanup(u);
    return next;
}

/* After a 3xx: on to the next hop, if there is one and the policy allows. */
static int next_hop(struct http_stream *s, const struct ota_host_transport *ht, unsigned hop)
{
    if (!s->location) {
        OTA_LOGE(TAG, "HTTP %ld from %s without a Location header", s->status, s->url);
        return OTA_ERR_REDIRECT_NO_LOCATION;
    }
    if (hop >= (unsigned)ht->cfg.max_redirects) {
        OTA_LOGE(TAG, "%s: more than %ld redirects", s->url, ht->cfg.max_redirects);
        return OTA_ERR_TOO_MANY_REDIRECTS;
    }
    char *next = resolve(s->url, s->location);
    if (!next) {
        OTA_LOGE(TAG, "HTTP %ld from %s: Location '%s' is not a URL", s->status, s->url, s->location);
        return OTA_ERR_URI;
    }
    OTA_LOGI(TAG, "HTTP %ld: %s -> %s", s->status, s->url, next);
    end_hop(s);
    ota_host_free(s->url);
    s->url = next;
    return check_hop(ht, s->url, hop + 1);
}

/* The hop's outcome once its headers are in, or it failed before. */
static int hop_result(struct http_stream *s)
{
    if (s->headers_done) {
        return s->err;
    }
    int err = map_curl_error(s);
    if (!err) {
        err = OTA_ERR_STREAM;
    }
    OTA_LOGE(TAG, "%s: %s (%s)", s->url, s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result), ota_strerror(err));
    return err;
}

int ota_host_http_open(const struct ota_host_transport *ht, const char *uri, const char *cert_pem, uint64_t offset,
                     const char *if_range, void **stream, struct ota_source_info *info)
{
    struct http_stream *s = ota_host_calloc(1, sizeof(*s));
    if (!s) {
        return OTA_ERR_NO_MEM;
    }
    s->url = dup_str(uri);
    s->content_length = OTA_LENGTH_UNKNOWN;
    s->total_length = OTA_LENGTH_UNKNOWN;
    s->offset_requested = offset;
    s->spill = ota_host_malloc(READ_SIZE);
    s->spill_cap = s->spill ? READ_SIZE : 0;
    s->multi = curl_multi_init();
    s->read_timeout_ms = ht->cfg.read_timeout_ms;
    s->low_speed_limit = ht->cfg.low_speed_limit;
    s->low_speed_time_s = ht->cfg.low_speed_time_s;
    s->clock = &ht->item_clock;
    int err = (!s->url || !s->multi) ? OTA_ERR_NO_MEM : check_hop(ht, uri, 0);
    for (unsigned hop = 0; !err; hop++) {
        err = start_hop(s, ht, cert_pem, if_range);
        if (!err) {
            err = hop_result(s);
        }
        if (err || s->status < 300 || s->status >= 400) {
            break;
        }
        err = next_hop(s, ht, hop);
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
             s->status == 206 ? " (resumed)" : "", s->url);
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
    ota_host_free(s->location);
    ota_host_free(s->url);
    ota_host_free(s->spill);
    ota_host_free(s);
}
