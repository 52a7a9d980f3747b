/* The low-speed limit of the ESP-IDF transport (private to the port). */
#ifndef OTA_IDF_PACE_H
#define OTA_IDF_PACE_H

#include <stddef.h>
#include <stdint.h>

/* esp_http_client_read returns only when it has every byte asked for (or
 * the read timeout passes with none), so a trickle can hold one read for as
 * long as the asked bytes take to arrive. The pace therefore asks for few
 * bytes at first, doubles the ask while reads come back at once, and cuts
 * it after a slow read: a steady trickle is seen soon after its window,
 * while a fast link soon reads IDF_PACE_ASK_MAX at a time. */
#define IDF_PACE_ASK_START 16u
#define IDF_PACE_ASK_MAX 2048u
#define IDF_PACE_FAST_MS 100u   /* a read this quick may ask for more */
#define IDF_PACE_SLOW_MS 500u   /* a read this slow asks for less */

struct idf_pace {
    uint32_t limit;          /* bytes per window; 0: no limit */
    uint32_t window_ms;
    uint32_t window_start;   /* ms */
    uint64_t window_bytes;
    uint32_t ask;            /* bytes asked of the next read */
    uint32_t read_start;     /* ms */
};

void idf_pace_start(struct idf_pace *p, uint32_t limit, uint32_t window_ms, uint32_t now_ms);

/* Before a read: how many of the len bytes wanted to ask for. */
size_t idf_pace_ask(struct idf_pace *p, size_t len, uint32_t now_ms);

/* After a read that brought n bytes (n >= 0): OTA_OK, or OTA_ERR_LOW_SPEED
 * when a whole window passed with fewer than limit bytes. */
int idf_pace_got(struct idf_pace *p, size_t n, uint32_t now_ms);

#endif
