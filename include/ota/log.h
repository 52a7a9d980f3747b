/*
 * Logging, as a link-time port function: the core formats nothing itself.
 * The host port prints ESP-IDF style lines ("I (123) boot: ..."); an MCU port
 * would forward to esp_log_writev or drop everything.
 *
 * Context: called from whatever context runs the core (a task, never an
 * ISR); it must not call back into the core.
 */
#ifndef OTA_LOG_H
#define OTA_LOG_H

enum ota_log_level {
    OTA_LOG_ERROR = 0,
    OTA_LOG_WARN = 1,
    OTA_LOG_INFO = 2,
    OTA_LOG_DEBUG = 3,
};

#if defined(__GNUC__)
#define OTA_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define OTA_PRINTF_LIKE(f, a)
#endif

void ota_log(enum ota_log_level level, const char *tag, const char *fmt, ...) OTA_PRINTF_LIKE(3, 4);

/* The most detailed level compiled in (-1 none, 0 errors .. 3 debug; all by
 * default), as ESP-IDF's CONFIG_LOG_MAXIMUM_LEVEL: a line above it leaves
 * the build with its format string, the largest part of a small device's
 * core. Its arguments are still type-checked, never evaluated. */
#ifndef OTA_LOG_MAXIMUM_LEVEL
#define OTA_LOG_MAXIMUM_LEVEL 3
#endif

#define OTA_LOG_AT(level, tag, ...)                 \
    do {                                            \
        if ((int)(level) <= OTA_LOG_MAXIMUM_LEVEL)  \
            ota_log(level, tag, __VA_ARGS__);       \
    } while (0)

#define OTA_LOGE(tag, ...) OTA_LOG_AT(OTA_LOG_ERROR, tag, __VA_ARGS__)
#define OTA_LOGW(tag, ...) OTA_LOG_AT(OTA_LOG_WARN, tag, __VA_ARGS__)
#define OTA_LOGI(tag, ...) OTA_LOG_AT(OTA_LOG_INFO, tag, __VA_ARGS__)
#define OTA_LOGD(tag, ...) OTA_LOG_AT(OTA_LOG_DEBUG, tag, __VA_ARGS__)

#endif
