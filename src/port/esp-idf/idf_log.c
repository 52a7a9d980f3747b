/* The core's log lines through esp_log: same tags, levels and timestamps as
 * the rest of the firmware. The line is formatted into a bounded stack
 * buffer first, so the ESP_LOG macros add the usual prefix and colours. */
#include <stdarg.h>
#include <stdio.h>

#include "esp_log.h"

#include "ota/log.h"

#define LINE_MAX_LEN 200  /* longer lines are cut, never allocated */

void ota_log(enum ota_log_level level, const char *tag, const char *fmt, ...)
{
    char line[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    switch (level) {
    case OTA_LOG_ERROR:
        ESP_LOGE(tag, "%s", line);
        break;
    case OTA_LOG_WARN:
        ESP_LOGW(tag, "%s", line);
        break;
    case OTA_LOG_INFO:
        ESP_LOGI(tag, "%s", line);
        break;
    default:
        ESP_LOGD(tag, "%s", line);
        break;
    }
}
