#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ota/host_log.h"

static enum ota_log_level max_level = OTA_LOG_INFO;
static bool muted;
static void (*before_line)(void *ctx);
static void *before_line_ctx;
static bool (*keep_line)(enum ota_log_level level, const char *tag);
static char *first_error;
static unsigned long first_error_len;

void ota_host_log_filter(bool (*keep)(enum ota_log_level level, const char *tag))
{
    keep_line = keep;
}

void ota_host_log_keep_first_error(char *buf, unsigned long len)
{
    first_error = buf;
    first_error_len = len;
}

void ota_host_log_before_line(void (*fn)(void *ctx), void *ctx)
{
    before_line = fn;
    before_line_ctx = ctx;
}

void ota_host_log_mute(bool mute)
{
    muted = mute;
}

void ota_host_log_set_level(enum ota_log_level level)
{
    max_level = level;
}

/* Milliseconds since the first log line, like esp_log_timestamp(). */
static unsigned long elapsed_ms(void)
{
    static struct timespec start;
    static int started;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!started) {
        start = now;
        started = 1;
    }
    return (unsigned long)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
}

void ota_log(enum ota_log_level level, const char *tag, const char *fmt, ...)
{
    static const char letters[] = "EWID";
    va_list ap;
    if (level == OTA_LOG_ERROR && first_error && first_error_len && !first_error[0]) {
        va_start(ap, fmt);
        vsnprintf(first_error, first_error_len, fmt, ap);
        va_end(ap);
    }
    if (muted || level > max_level || (keep_line && !keep_line(level, tag))) {
        return;
    }
    if (before_line) {
        before_line(before_line_ctx);
    }
    fprintf(stderr, "%c (%lu) %s: ", letters[level], elapsed_ms(), tag);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}
