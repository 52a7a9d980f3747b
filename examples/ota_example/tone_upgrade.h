/*
 * The OTA example's callbacks for the voice-tone data partition
 * (ESP-ADF examples/ota: its own need_upgrade for "flash_tone").
 *
 * need_upgrade reads the incoming tone header (and the format-1
 * descriptor) before anything is written; finished_check verifies what
 * landed in the partition, so a short or corrupt tone image is a failure,
 * not a success.
 */
#ifndef OTA_EXAMPLE_TONE_UPGRADE_H
#define OTA_EXAMPLE_TONE_UPGRADE_H

#include "ota/service.h"

/* Replace the data item's need_upgrade and finished_check. */
void tone_upgrade_ops(struct ota_item_ops *ops);

/* Log "tone partition format F, total N" for what the partition holds now. */
void tone_log_partition(const struct ota_flash *f, const struct ota_partition *part);

#endif
