/* On a chip: the image arrives on a UART (menuconfig "OTA push example"):
 * a 4-byte little-endian length, then the image. Each read hands on what
 * the driver's receive buffer holds, so chunk sizes vary with the timing.
 * Five seconds without a byte is a lost link. */
#include <stdint.h>

#include "driver/uart.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "sdkconfig.h"

#include "ota/error.h"
#include "byte_source.h"

#define PUSH_UART ((uart_port_t)CONFIG_PUSH_UART_PORT)
#define PUSH_IDLE_MS 5000

static const char *TAG = "PUSH_SOURCE";
static uint32_t s_len;

void byte_source_prepare_flash(void)
{
    /* the chip's own flash: nothing to prepare */
}

/* Exactly len bytes, or OTA_ERR_SHORT_READ when the sender goes quiet. */
static int read_exact(uint8_t *buf, uint32_t len)
{
    uint32_t got = 0;
    while (got < len) {
        int n = uart_read_bytes(PUSH_UART, buf + got, len - got, pdMS_TO_TICKS(PUSH_IDLE_MS));
        if (n <= 0) {
            return n < 0 ? OTA_ERR_IO : OTA_ERR_SHORT_READ;
        }
        got += (uint32_t)n;
    }
    return OTA_OK;
}

int byte_source_open(int64_t *image_len)
{
    const uart_config_t cfg = {
        .baud_rate = CONFIG_PUSH_UART_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    uint8_t hdr[4];
    int err;
    if (uart_driver_install(PUSH_UART, 8192, 0, 0, NULL, 0) != ESP_OK || uart_param_config(PUSH_UART, &cfg) != ESP_OK ||
        uart_set_pin(PUSH_UART, CONFIG_PUSH_UART_TX_PIN, CONFIG_PUSH_UART_RX_PIN, UART_PIN_NO_CHANGE,
                     UART_PIN_NO_CHANGE) != ESP_OK) {
        return OTA_ERR_IO;
    }
    ESP_LOGI(TAG, "waiting for an image on UART%d", CONFIG_PUSH_UART_PORT);
    if ((err = read_exact(hdr, sizeof(hdr)))) {
        return err;
    }
    s_len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
    *image_len = s_len;
    ESP_LOGI(TAG, "image of %lu bytes announced", (unsigned long)s_len);
    return OTA_OK;
}

int byte_source_run(byte_sink_fn sink, void *ctx)
{
    static uint8_t buf[1024];
    uint32_t left = s_len;
    while (left > 0) {
        size_t buffered = 0;
        uart_get_buffered_data_len(PUSH_UART, &buffered);
        uint32_t want = buffered ? (uint32_t)buffered : 1;  /* block for one byte when the buffer is empty */
        want = want > sizeof(buf) ? sizeof(buf) : want;
        want = want > left ? left : want;
        int n = uart_read_bytes(PUSH_UART, buf, want, pdMS_TO_TICKS(PUSH_IDLE_MS));
        if (n <= 0) {
            ESP_LOGW(TAG, "link lost with %lu bytes to go", (unsigned long)left);
            return n < 0 ? OTA_ERR_IO : OTA_ERR_SHORT_READ;
        }
        int err = sink(ctx, buf, (size_t)n);
        if (err) {
            return err;
        }
        left -= (uint32_t)n;
    }
    return OTA_OK;
}

void byte_source_close(void)
{
    uart_driver_delete(PUSH_UART);
}

void byte_source_done(int failed)
{
    /* The running app goes on running; a later image may be sent again. */
    ESP_LOGI(TAG, "done (%s); the running app keeps running", failed ? "failed" : "nothing to restart for");
}
