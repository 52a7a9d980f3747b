/* ESP-ADF tone partition: verify and build (formats 0 and 1). */
#include <string.h>

#include "ota/error.h"
#include "ota/hash.h"
#include "ota/tone.h"
#include "bytes.h"

int ota_tone_parse_header(const uint8_t hdr[OTA_TONE_HEADER_LEN], uint16_t *count, uint32_t *format)
{
    if (get_le16(hdr) != OTA_TONE_TAG) {
        return OTA_ERR_TONE_TAG;
    }
    *count = get_le16(hdr + 2);
    *format = get_le32(hdr + 4);
    if (*format > 1) {
        return OTA_ERR_TONE_FORMAT;
    }
    return OTA_OK;
}

void ota_tone_desc_decode(const uint8_t raw[OTA_TONE_DESC_LEN], struct ota_tone_desc *d)
{
    /* Laid out like esp_app_desc_t. */
    memset(d, 0, sizeof(*d));
    d->magic = get_le32(raw);
    copy_field_str(d->version, sizeof(d->version), raw + 16, 32);
    copy_field_str(d->project, sizeof(d->project), raw + 48, 32);
    copy_field_str(d->time, sizeof(d->time), raw + 80, 16);
    copy_field_str(d->date, sizeof(d->date), raw + 96, 16);
}

int ota_tone_file_at(ota_read_fn read, void *ctx, const struct ota_tone_info *info, unsigned i,
                     struct ota_tone_file *out)
{
    uint8_t e[OTA_TONE_ENTRY_LEN];
    if (i >= info->count) {  /* the original accepted i == count */
        return OTA_ERR_INVALID_ARG;
    }
    int err = read(ctx, info->table_offset + i * OTA_TONE_ENTRY_LEN, e, sizeof(e));
    if (err) {
        return err;
    }
    out->tag = e[0];
    out->index = e[1];
    out->type = e[2];
    out->version = e[3];
    out->offset = get_le32(e + 4);
    out->length = get_le32(e + 8);
    return OTA_OK;
}

static int crc_range(ota_read_fn read, void *ctx, uint32_t len, uint32_t *crc)
{
    uint8_t buf[256];
    uint32_t off = 0;
    *crc = 0;
    while (off < len) {
        uint32_t n = len - off < sizeof(buf) ? len - off : (uint32_t)sizeof(buf);
        int err = read(ctx, off, buf, n);
        if (err) {
            return err;
        }
        *crc = ota_crc32(*crc, buf, n);
        off += n;
    }
    return OTA_OK;
}

int ota_tone_verify(ota_read_fn read, void *ctx, uint32_t avail, struct ota_tone_info *info)
{
    uint8_t hdr[OTA_TONE_HEADER_LEN];
    int err;

    memset(info, 0, sizeof(*info));
    if (avail < OTA_TONE_HEADER_LEN) {
        return OTA_ERR_TONE_TRUNCATED;
    }
    if ((err = read(ctx, 0, hdr, sizeof(hdr)))) {
        return err;
    }
    info->tag = get_le16(hdr);
    if ((err = ota_tone_parse_header(hdr, &info->count, &info->format))) {
        return err;
    }
    info->table_offset = OTA_TONE_HEADER_LEN;
    if (info->format == 1) {
        uint8_t raw[OTA_TONE_DESC_LEN];
        if (avail < OTA_TONE_HEADER_LEN + OTA_TONE_DESC_LEN) {
            return OTA_ERR_TONE_TRUNCATED;
        }
        if ((err = read(ctx, OTA_TONE_HEADER_LEN, raw, sizeof(raw)))) {
            return err;
        }
        ota_tone_desc_decode(raw, &info->desc);
        info->has_desc = true;
        if (info->desc.magic != OTA_TONE_DESC_MAGIC) {
            return OTA_ERR_TONE_DESC;
        }
        info->table_offset += OTA_TONE_DESC_LEN;
    }
    uint64_t first = (uint64_t)info->table_offset + (uint64_t)info->count * OTA_TONE_ENTRY_LEN;
    if (first > avail) {
        return OTA_ERR_TONE_TRUNCATED;
    }
    info->first_file_offset = (uint32_t)first;
    uint64_t end = first;
    for (unsigned i = 0; i < info->count; i++) {
        struct ota_tone_file f;
        if ((err = ota_tone_file_at(read, ctx, info, i, &f))) {
            return err;
        }
        uint64_t fend = (uint64_t)f.offset + f.length;
        if (f.tag != OTA_TONE_ENTRY_TAG || f.index != i || f.offset < first) {
            return OTA_ERR_TONE_TABLE;
        }
        if (fend > avail) {
            return OTA_ERR_TONE_TRUNCATED;
        }
        if (fend > end) {
            end = fend;
        }
    }
    end = (end + 3u) & ~(uint64_t)3u;
    info->files_end = (uint32_t)end;
    info->image_len = info->files_end;
    if (info->format == 0) {
        return OTA_OK;
    }
    /* Format 1: the trailer proves the image is whole. */
    uint8_t tr[OTA_TONE_TRAILER_LEN];
    if (end + OTA_TONE_TRAILER_LEN > avail) {
        return OTA_ERR_TONE_TAIL;
    }
    if ((err = read(ctx, info->files_end, tr, sizeof(tr)))) {
        return err;
    }
    info->crc_stored = get_le32(tr);
    info->tail = get_le16(tr + 4);
    info->image_len = info->files_end + OTA_TONE_TRAILER_LEN;
    if ((err = crc_range(read, ctx, info->files_end, &info->crc_computed))) {
        return err;
    }
    info->crc_valid = info->crc_computed == info->crc_stored;
    if (info->tail != OTA_TONE_TAIL) {
        return OTA_ERR_TONE_TAIL;
    }
    if (!info->crc_valid) {
        return OTA_ERR_TONE_CRC;
    }
    return OTA_OK;
}

/* ---- builder ------------------------------------------------------------ */

static int w_out(struct ota_tone_writer *w, const void *data, size_t len)
{
    w->crc = ota_crc32(w->crc, data, len);
    w->pos += (uint32_t)len;
    return w->emit(w->ctx, data, len);
}

static void put_str(uint8_t *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    memcpy(dst, s ? s : "", n < cap ? n : cap);
}

int ota_tone_write_begin(struct ota_tone_writer *w, const struct ota_tone_build_params *p,
                         ota_emit_fn emit, void *ctx)
{
    uint8_t buf[OTA_TONE_DESC_LEN];
    int err;
    if (!w || !p || !emit || p->format > 1 || (p->count && (!p->lengths || !p->types))) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(w, 0, sizeof(*w));
    w->emit = emit;
    w->ctx = ctx;
    w->format = p->format;

    put_le16(buf, OTA_TONE_TAG);
    put_le16(buf + 2, p->count);
    put_le32(buf + 4, p->format);
    if ((err = w_out(w, buf, OTA_TONE_HEADER_LEN))) {
        return err;
    }
    uint32_t table = OTA_TONE_HEADER_LEN;
    if (p->format == 1) {
        memset(buf, 0, sizeof(buf));
        put_le32(buf, OTA_TONE_DESC_MAGIC);
        put_str(buf + 16, 32, p->version);
        put_str(buf + 48, 32, OTA_TONE_PROJECT);
        put_str(buf + 80, 16, p->time);
        put_str(buf + 96, 16, p->date);
        if ((err = w_out(w, buf, OTA_TONE_DESC_LEN))) {
            return err;
        }
        table += OTA_TONE_DESC_LEN;
    }
    uint64_t offset = table + (uint64_t)p->count * OTA_TONE_ENTRY_LEN;
    for (unsigned i = 0; i < p->count; i++) {
        memset(buf, 0, OTA_TONE_ENTRY_LEN);
        buf[0] = OTA_TONE_ENTRY_TAG;
        buf[1] = (uint8_t)i;
        buf[2] = p->types[i];
        put_le32(buf + 4, (uint32_t)offset);
        put_le32(buf + 8, p->lengths[i]);
        if ((err = w_out(w, buf, OTA_TONE_ENTRY_LEN))) {
            return err;
        }
        offset += ((uint64_t)p->lengths[i] + 3u) & ~(uint64_t)3u;
        if (offset > 0xFFFFFFFFull) {
            return OTA_ERR_INVALID_ARG;
        }
    }
    return OTA_OK;
}

int ota_tone_write_data(struct ota_tone_writer *w, const void *data, size_t len)
{
    w->file_pos += (uint32_t)len;
    return w_out(w, data, len);
}

int ota_tone_write_file_end(struct ota_tone_writer *w)
{
    static const uint8_t ff[3] = {0xFF, 0xFF, 0xFF};
    uint32_t pad = (4u - w->file_pos % 4u) % 4u;
    w->file_pos = 0;
    return pad ? w_out(w, ff, pad) : OTA_OK;
}

int ota_tone_write_end(struct ota_tone_writer *w)
{
    uint8_t tr[OTA_TONE_TRAILER_LEN];
    if (w->format != 1) {
        return OTA_OK;
    }
    put_le32(tr, w->crc);
    put_le16(tr + 4, OTA_TONE_TAIL);
    return w->emit(w->ctx, tr, sizeof(tr));
}
