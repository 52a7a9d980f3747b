/*
 * Host port heap accounting: the port's own allocations (stream state,
 * buffers) and libcurl's (through curl_global_init_mem) are counted
 * separately, so the update path's memory can be measured without a
 * profiler. The core allocates nothing: its state is caller-owned.
 */
#ifndef OTA_HOST_MEM_H
#define OTA_HOST_MEM_H

#include <stddef.h>

struct ota_host_mem_stats {
    size_t port_now, port_peak;    /* this port's allocations */
    size_t curl_now, curl_peak;    /* libcurl's (TLS libraries allocate on their own and are not counted) */
};

void *ota_host_malloc(size_t n);
void *ota_host_calloc(size_t n, size_t size);
void *ota_host_realloc(void *p, size_t n);
void ota_host_free(void *p);

/* Install the counting allocator for libcurl; call instead of curl_global_init. */
int ota_host_mem_curl_init(void);

void ota_host_mem_stats(struct ota_host_mem_stats *s);
void ota_host_mem_reset_peaks(void);

#endif
