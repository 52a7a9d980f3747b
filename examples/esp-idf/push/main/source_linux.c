/* ESP-IDF's linux target: the flash is a file (OTA_FLASH_IMAGE, e.g. one
 * made by `ota flash create`); the image comes from a file or stdin
 * (OTA_PUSH_IMAGE, "-" for stdin), handed on in chunks of varying size as a
 * UART or BLE link would. OTA_PUSH_STOP_AFTER=N plays a link lost after N
 * bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "esp_log.h"
#include "esp_private/partition_linux.h"

#include "ota/error.h"
#include "ota/source.h"
#include "byte_source.h"

static const char *TAG = "PUSH_SOURCE";

/* Sizes a radio or a UART driver might deliver: single bytes, odd sizes,
 * chunks that straddle the image header the update holds back. */
static const size_t k_chunk_sizes[] = {1, 3, 200, 4096, 17, 1000, 64, 2500, 511, 1};

static FILE *s_in;
static uint64_t s_stop_after = UINT64_MAX;

void byte_source_prepare_flash(void)
{
    const char *image = getenv("OTA_FLASH_IMAGE");
    if (!image || !*image) {
        ESP_LOGW("FLASH", "OTA_FLASH_IMAGE not set: a blank temporary flash with the build's partition table");
        return;
    }
    /* Map that file as the chip, kept after the run (the point is to look at it). */
    esp_partition_file_mmap_ctrl_t *c = esp_partition_get_file_mmap_ctrl_input();
    snprintf(c->flash_file_name, sizeof(c->flash_file_name), "%s", image);
    c->flash_file_size = 0;
    c->partition_file_name[0] = '\0';
    c->remove_dump = false;
    ESP_LOGI("FLASH", "the flash is the file %s", image);
}

int byte_source_open(int64_t *image_len)
{
    const char *name = getenv("OTA_PUSH_IMAGE");
    if (!name || !*name) {
        ESP_LOGE(TAG, "OTA_PUSH_IMAGE not set (a file, or - for stdin)");
        return OTA_ERR_NOT_FOUND;
    }
    s_in = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    if (!s_in) {
        ESP_LOGE(TAG, "cannot open %s", name);
        return OTA_ERR_NOT_FOUND;
    }
    /* A regular file knows its length; a pipe does not (the update then
     * learns the end from the image itself). */
    struct stat st;
    *image_len = (fstat(fileno(s_in), &st) == 0 && S_ISREG(st.st_mode)) ? (int64_t)st.st_size : OTA_LENGTH_UNKNOWN;
    const char *stop = getenv("OTA_PUSH_STOP_AFTER");
    if (stop && *stop) {
        s_stop_after = strtoull(stop, NULL, 10);
    }
    if (*image_len == OTA_LENGTH_UNKNOWN) {
        ESP_LOGI(TAG, "image from %s, length unknown", strcmp(name, "-") == 0 ? "stdin" : name);
    } else {
        ESP_LOGI(TAG, "image from %s, %lld bytes", name, (long long)*image_len);
    }
    return OTA_OK;
}

int byte_source_run(byte_sink_fn sink, void *ctx)
{
    static uint8_t buf[4096];
    uint64_t sent = 0;
    unsigned chunks = 0;
    size_t smallest = SIZE_MAX, largest = 0;
    for (;;) {
        size_t want = k_chunk_sizes[chunks % (sizeof(k_chunk_sizes) / sizeof(k_chunk_sizes[0]))];
        if (sent + want > s_stop_after) {
            want = (size_t)(s_stop_after - sent);
        }
        size_t n = want ? fread(buf, 1, want, s_in) : 0;
        if (n == 0) {
            break;
        }
        int err = sink(ctx, buf, n);
        if (err) {
            return err;
        }
        sent += n;
        chunks++;
        smallest = n < smallest ? n : smallest;
        largest = n > largest ? n : largest;
    }
    ESP_LOGI(TAG, "%llu bytes in %u chunks of %zu to %zu bytes", (unsigned long long)sent, chunks,
             chunks ? smallest : 0, largest);
    if (ferror(s_in)) {
        return OTA_ERR_IO;
    }
    if (sent == s_stop_after) {
        ESP_LOGW(TAG, "link lost after %llu bytes", (unsigned long long)sent);
        return OTA_ERR_SHORT_READ;
    }
    return OTA_OK;
}

void byte_source_close(void)
{
    if (s_in && s_in != stdin) {
        fclose(s_in);
    }
    s_in = NULL;
}

void byte_source_done(int failed)
{
    /* No one restarts a process: the run ends here, its status the outcome. */
    exit(failed ? 1 : 0);
}
