/* Host port logging: ESP-IDF style lines on stderr, "L (ms) TAG: message"
 * (stdout is left to a tool's results). */
#ifndef OTA_HOST_LOG_H
#define OTA_HOST_LOG_H

#include <stdbool.h>

#include "ota/log.h"

/* Lines above this level are dropped (default OTA_LOG_INFO). */
void ota_host_log_set_level(enum ota_log_level level);

/* Called before each line is written (a progress display ends its line). */
void ota_host_log_before_line(void (*fn)(void *ctx), void *ctx);

/* Keep the first error line's message (without level and tag) in buf
 * while buf[0] is 0: a tool names the cause of a failure in its last line.
 * NULL stops. Errors are kept even when muted. */
void ota_host_log_keep_first_error(char *buf, unsigned long len);

/* Lines keep(level, tag) says no to are dropped (NULL: all kept); a tool's
 * default output leaves the device's own status lines to -v. */
void ota_host_log_filter(bool (*keep)(enum ota_log_level level, const char *tag));

/* Drop every line (power-cut sweeps run thousands of updates). */
void ota_host_log_mute(bool mute);

#endif
