/* Descriptions of app images for `ota image info|verify|verify-signature`. */
#ifndef OTA_CLI_IMAGE_REPORT_H
#define OTA_CLI_IMAGE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/image.h"
#include "json.h"

void cli_print_hex(const uint8_t *p, size_t n);

/* The facts esptool's image_info (v4.8) prints, in its layout. */
void image_report_text(const struct ota_image_info *in, uint32_t file_size);

/* The same facts as members of the open JSON object. */
void image_report_json(struct json *j, const struct ota_image_info *in, uint32_t file_size);

/* Verify and describe the signature sector after the image in data, as text
 * or (j not NULL) as a "signature" member. Returns the verification error. */
int image_report_signature(const uint8_t *data, size_t len, uint32_t image_len, const uint8_t *trusted,
                           struct json *j);

#endif
