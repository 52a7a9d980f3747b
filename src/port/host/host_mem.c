/* Counting allocators (see include/ota/host_mem.h). Each block carries its
 * size in a header aligned like max_align_t. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ota/error.h"
#include "ota/host_mem.h"

#define HDR ((sizeof(size_t) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

struct pool {
    size_t now, peak;
};
static struct pool port_pool, curl_pool;

static void *pool_alloc(struct pool *pl, size_t n, int zero)
{
    unsigned char *p = zero ? calloc(1, HDR + n) : malloc(HDR + n);
    if (!p) {
        return NULL;
    }
    memcpy(p, &n, sizeof(n));
    pl->now += n;
    if (pl->now > pl->peak) {
        pl->peak = pl->now;
    }
    return p + HDR;
}

static void pool_free(struct pool *pl, void *q)
{
    if (q) {
        unsigned char *p = (unsigned char *)q - HDR;
        size_t n;
        memcpy(&n, p, sizeof(n));
        pl->now -= n;
        free(p);
    }
}

static void *pool_realloc(struct pool *pl, void *q, size_t n)
{
    if (!q) {
        return pool_alloc(pl, n, 0);
    }
    unsigned char *p = (unsigned char *)q - HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    unsigned char *r = realloc(p, HDR + n);
    if (!r) {
        return NULL;
    }
    memcpy(r, &n, sizeof(n));
    pl->now = pl->now - old + n;
    if (pl->now > pl->peak) {
        pl->peak = pl->now;
    }
    return r + HDR;
}

void *ota_host_malloc(size_t n) { return pool_alloc(&port_pool, n, 0); }
void *ota_host_calloc(size_t n, size_t size) { return n && size > (size_t)-1 / n ? NULL : pool_alloc(&port_pool, n * size, 1); }
void *ota_host_realloc(void *p, size_t n) { return pool_realloc(&port_pool, p, n); }
void ota_host_free(void *p) { pool_free(&port_pool, p); }

static void *c_malloc(size_t n) { return pool_alloc(&curl_pool, n, 0); }
static void c_free(void *p) { pool_free(&curl_pool, p); }
static void *c_realloc(void *p, size_t n) { return pool_realloc(&curl_pool, p, n); }
static void *c_calloc(size_t n, size_t size) { return n && size > (size_t)-1 / n ? NULL : pool_alloc(&curl_pool, n * size, 1); }
static char *c_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = c_malloc(n);
    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

int ota_host_mem_curl_init(void)
{
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, c_malloc, c_free, c_realloc, c_strdup, c_calloc) == CURLE_OK
               ? OTA_OK : OTA_ERR_STREAM;
}

void ota_host_mem_stats(struct ota_host_mem_stats *s)
{
    s->port_now = port_pool.now;
    s->port_peak = port_pool.peak;
    s->curl_now = curl_pool.now;
    s->curl_peak = curl_pool.peak;
}

void ota_host_mem_reset_peaks(void)
{
    port_pool.peak = port_pool.now;
    curl_pool.peak = curl_pool.now;
}
