/* Where the image's bytes come from. The update does not care: the source
 * calls back with each chunk as it arrives, of whatever size the link
 * gives (a UART's receive buffer, a BLE write, a file read). One
 * implementation per kind of target. */
#ifndef OTA_PUSH_BYTE_SOURCE_H
#define OTA_PUSH_BYTE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* Takes one chunk; returns 0 to go on, or an ota_err that stops the source. */
typedef int (*byte_sink_fn)(void *ctx, const uint8_t *data, size_t len);

/* Make the flash ready (on the linux target: map the flash file). */
void byte_source_prepare_flash(void);

/* Open the link and learn the image's length (OTA_LENGTH_UNKNOWN when the
 * sender does not say). Returns 0 or an ota_err. */
int byte_source_open(int64_t *image_len);

/* Deliver the image's bytes to sink until the sender is done (0), the
 * link fails (OTA_ERR_SHORT_READ, OTA_ERR_IO), or the sink refuses a
 * chunk (its error). */
int byte_source_run(byte_sink_fn sink, void *ctx);

void byte_source_close(void);

/* The update did not restart the device: end the run (status 1 when failed). */
void byte_source_done(int failed);

#endif
