/* The low-speed limit: fewer than `limit` bytes within any window of
 * window_ms fails the transfer, as the host port does with libcurl's
 * low-speed options (a trickle is not progress). Times are milliseconds of
 * any monotonic clock (FreeRTOS ticks on the device); plain C, so the host
 * suite tests it. */
#include "ota/error.h"
#include "idf_pace.h"

void idf_pace_start(struct idf_pace *p, uint32_t limit, uint32_t window_ms, uint32_t now_ms)
{
    p->limit = limit;
    p->window_ms = window_ms;
    p->window_start = now_ms;
    p->window_bytes = 0;
    p->ask = IDF_PACE_ASK_START;
    p->read_start = now_ms;
}

size_t idf_pace_ask(struct idf_pace *p, size_t len, uint32_t now_ms)
{
    p->read_start = now_ms;
    if (!p->limit) {
        return len;  /* no limit: nothing to bound */
    }
    return len < p->ask ? len : p->ask;
}

/* Ask for more after a quick, full read; for less after a slow one. */
static void adapt(struct idf_pace *p, size_t n, uint32_t took_ms)
{
    if (took_ms < IDF_PACE_FAST_MS && n >= p->ask) {
        p->ask = p->ask * 2 > IDF_PACE_ASK_MAX ? IDF_PACE_ASK_MAX : p->ask * 2;
    } else if (took_ms > IDF_PACE_SLOW_MS) {
        p->ask = p->ask / 4 ? p->ask / 4 : 1;
    }
}

int idf_pace_got(struct idf_pace *p, size_t n, uint32_t now_ms)
{
    if (!p->limit) {
        return OTA_OK;
    }
    uint32_t took = now_ms - p->read_start;
    adapt(p, n, took);
    /* One read that outlasted a window is judged by its own rate: its
     * bytes must not let a trickle pass in a window they mostly missed. */
    if (took >= p->window_ms && (uint64_t)n * p->window_ms < (uint64_t)p->limit * took) {
        return OTA_ERR_LOW_SPEED;
    }
    p->window_bytes += n;
    uint32_t elapsed = now_ms - p->window_start;
    if (elapsed < p->window_ms) {
        return OTA_OK;
    }
    /* the window's rate, over the time it really lasted */
    if (p->window_bytes * p->window_ms < (uint64_t)p->limit * elapsed) {
        return OTA_ERR_LOW_SPEED;
    }
    p->window_start = now_ms;
    p->window_bytes = 0;
    return OTA_OK;
}
