/*
 * The OTA example's callbacks for the voice-tone data partition
 * (ESP-ADF examples/ota: its own need_upgrade for "flash_tone").
 *
 * need_upgrade reads the incoming tone header (and the format-1
 * descriptor) before anything is written; check_content verifies what
 * landed in the partition before the update is committed, so a short or
 * corrupt tone image is a failure that never counts as installed, and the
 * next run with the right file succeeds.
 */
#ifndef OTA_EXAMPLE_TONE_UPGRADE_H
#define OTA_EXAMPLE_TONE_UPGRADE_H

#include "ota/service.h"

/* Replace the data item's need_upgrade and check_content. */
void tone_upgrade_ops(struct ota_item_ops *ops);

/* Log "tone partition format F, total N" for what the partition holds now. */
void tone_log_partition(const struct ota_flash *f, const struct ota_partition *part);

#endif
