#include <string.h>

#include "ota/error.h"
#include "ota/journal.h"
#include "ota/log.h"
#include "ota/tone.h"
#include "tone_upgrade.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

/* What the app may trust: nothing while an update of the partition is unfinished. */
static bool partition_complete(const struct ota_flash *f, const struct ota_partition *part)
{
    enum ota_journal_state st;
    return ota_journal_read(f, part, &st) == OTA_OK && st != OTA_JOURNAL_WRITING;
}

void tone_log_partition(const struct ota_flash *f, const struct ota_partition *part)
{
    uint8_t hdr[OTA_TONE_HEADER_LEN];
    uint16_t count;
    uint32_t format;
    if (!partition_complete(f, part)) {
        OTA_LOGW("TONE_PARTITION", "partition %s: an update was interrupted, its content is incomplete", part->label);
        return;
    }
    if (ota_flash_read(f, part->offset, hdr, sizeof(hdr)) == OTA_OK &&
        ota_tone_parse_header(hdr, &count, &format) == OTA_OK) {
        OTA_LOGI("TONE_PARTITION", "tone partition format %u, total %u", (unsigned)format, count);
    } else {
        OTA_LOGI("TONE_PARTITION", "partition %s holds no tone image", part->label);
    }
}

static int tone_need_upgrade(struct ota_service *svc, struct ota_item *item)
{
    struct ota_item_work *w = &svc->work;
    uint8_t cur_hdr[OTA_TONE_HEADER_LEN];
    uint16_t in_count, cur_count;
    uint32_t in_format, cur_format;
    int err;
    (void)item;

    if ((err = ota_item_peek(svc, OTA_TONE_HEADER_LEN))) {
        return err;
    }
    if ((err = ota_tone_parse_header(w->buf, &in_count, &in_format))) {
        OTA_LOGE(TAG, "incoming data is not a tone image: %s", ota_strerror(err));
        return err;
    }
    bool cur_ok = partition_complete(svc->cfg.flash, w->part) &&
                  ota_flash_read(svc->cfg.flash, w->part->offset, cur_hdr, sizeof(cur_hdr)) == OTA_OK &&
                  ota_tone_parse_header(cur_hdr, &cur_count, &cur_format) == OTA_OK;
    OTA_LOGI(TAG, "format %d : %u", cur_ok ? (int)cur_format : -1, (unsigned)in_format);
    if (in_format != 1) {
        return OTA_OK;  /* format 0 carries no version: always written */
    }
    if ((err = ota_item_peek(svc, OTA_TONE_HEADER_LEN + OTA_TONE_DESC_LEN))) {
        return err;
    }
    struct ota_tone_desc in_desc, cur_desc;
    ota_tone_desc_decode(w->buf + OTA_TONE_HEADER_LEN, &in_desc);
    if (in_desc.magic != OTA_TONE_DESC_MAGIC) {
        OTA_LOGE(TAG, "tone descriptor magic 0x%08x is wrong", (unsigned)in_desc.magic);
        return OTA_ERR_TONE_DESC;
    }
    if (strcmp(in_desc.project, OTA_TONE_PROJECT) != 0) {
        OTA_LOGE(TAG, "tone descriptor project '%s' is not %s", in_desc.project, OTA_TONE_PROJECT);
        return OTA_ERR_PROJECT_NAME;
    }
    if (!cur_ok || cur_format != 1) {
        return OTA_OK;
    }
    uint8_t raw[OTA_TONE_DESC_LEN];
    if ((err = ota_flash_read(svc->cfg.flash, w->part->offset + OTA_TONE_HEADER_LEN, raw, sizeof(raw)))) {
        return err;
    }
    ota_tone_desc_decode(raw, &cur_desc);
    int32_t in_v = ota_version_parse(in_desc.version);
    int32_t cur_v = ota_version_parse(cur_desc.version);
    OTA_LOGI(TAG, "tone version: running %s, incoming %s", cur_desc.version, in_desc.version);
    if (in_v < 0) {
        return OTA_ERR_VERSION_FORMAT;
    }
    if (in_v <= cur_v) {
        return OTA_ERR_NOT_NEWER;
    }
    return OTA_OK;
}

/* Check what is in flash, as the app will read it, before the update is
 * committed: a corrupt or truncated tone file never counts as installed. */
static int tone_check_content(struct ota_service *svc, const struct ota_partition *part, uint32_t len)
{
    struct ota_part_reader r = {svc->cfg.flash, part};
    struct ota_tone_info info;
    int err = ota_tone_verify(ota_part_reader_read, &r, len, &info);
    if (err) {
        OTA_LOGE(TAG, "tone image in %s does not verify: %s: not committed", part->label, ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "tone image verified: format %u, %u files%s", (unsigned)info.format, info.count,
             info.format == 1 ? ", CRC and tail valid" : "");
    return OTA_OK;
}

void tone_upgrade_ops(struct ota_item_ops *ops)
{
    ops->need_upgrade = tone_need_upgrade;
    ops->check_content = tone_check_content;
}
