/* ota tone info|make: ESP-ADF tone partition images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ota/error.h"
#include "ota/host_file.h"
#include "ota/journal.h"
#include "ota/tone.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static const char *file_type(uint8_t type);

static void print_tone(const struct ota_tone_info *in, ota_read_fn read, void *ctx, uint32_t avail)
{
    printf("tone image: tag 0x%04x, format %u, %u files\n", in->tag, in->format, in->count);
    if (in->has_desc) {
        printf("descriptor at 8: magic 0x%08x, project %s, version %s, time %s, date %s\n", in->desc.magic,
               in->desc.project, in->desc.version, in->desc.time, in->desc.date);
    }
    printf("file table at %u; first file at %u; files end at %u; image length %u (of %u bytes read)\n",
           in->table_offset, in->first_file_offset, in->files_end, in->image_len, avail);
    printf("  #  type  offset     length\n");
    for (unsigned i = 0; i < in->count; i++) {
        struct ota_tone_file f;
        if (ota_tone_file_at(read, ctx, in, i, &f)) {
            break;
        }
        printf("%3u  %-4s  %-9u  %u\n", f.index, file_type(f.type), f.offset, f.length);
    }
    if (in->format == 1) {
        printf("CRC-32: 0x%08x (%s), tail 0x%04x (%s)\n", in->crc_stored, in->crc_valid ? "valid" : "invalid",
               in->tail, in->tail == OTA_TONE_TAIL ? "present" : "missing");
    } else {
        printf("format 0 has no CRC or tail: completeness cannot be told from content\n");
    }
}

static const char *file_type(uint8_t type)
{
    return type == OTA_TONE_MP3 ? "mp3" : type == OTA_TONE_WAV ? "wav" : "?";
}

static void tone_json(struct json *j, const struct ota_tone_info *in, ota_read_fn read, void *ctx, uint32_t avail)
{
    json_uint(j, "tag", in->tag);
    json_uint(j, "format", in->format);
    if (in->has_desc) {
        json_object(j, "descriptor");
        json_uint(j, "magic", in->desc.magic);
        json_str(j, "project", in->desc.project);
        json_str(j, "version", in->desc.version);
        json_str(j, "time", in->desc.time);
        json_str(j, "date", in->desc.date);
        json_close(j);
    } else {
        json_null(j, "descriptor");
    }
    json_uint(j, "table_offset", in->table_offset);
    json_uint(j, "first_file_offset", in->first_file_offset);
    json_uint(j, "files_end", in->files_end);
    json_uint(j, "image_length", in->image_len);
    json_uint(j, "bytes_read", avail);
    json_array(j, "files");
    for (unsigned i = 0; i < in->count; i++) {
        struct ota_tone_file f;
        if (ota_tone_file_at(read, ctx, in, i, &f)) {
            break;
        }
        json_object(j, NULL);
        json_uint(j, "index", f.index);
        json_str(j, "type", file_type(f.type));
        json_uint(j, "offset", f.offset);
        json_uint(j, "length", f.length);
        json_close(j);
    }
    json_close(j);
    if (in->format == 1) {
        json_object(j, "crc");
        json_uint(j, "stored", in->crc_stored);
        json_bool(j, "valid", in->crc_valid);
        json_close(j);
        json_bool(j, "tail_present", in->tail == OTA_TONE_TAIL);
    }
}

/* The image's facts as text or JSON; nothing when not even its table parsed. */
static void report_tone(struct json *j, int err, const struct ota_tone_info *in, ota_read_fn read, void *ctx,
                        uint32_t avail)
{
    if (err && !in->count) {
        return;
    }
    if (j) {
        tone_json(j, in, read, ctx, avail);
    } else {
        print_tone(in, read, ctx, avail);
    }
}

static const char *journal_words(enum ota_journal_state js)
{
    return js == OTA_JOURNAL_COMPLETE ? "COMPLETE (the last update finished and read back equal)"
           : js == OTA_JOURNAL_WRITING ? "WRITING (an update was interrupted: content incomplete)"
                                       : "none (content as flashed)";
}

/* tone info --label: the image in a partition, and its update journal. */
static int tone_in_partition(const char *image, const char *label, struct json *j)
{
    struct ota_host_flash hf;
    static struct ota_ptable table;
    struct ota_tone_info info;
    int rc = cli_open_device_ro(image, &hf, &table);
    if (rc) {
        return rc;  /* CLI_FAIL or CLI_BUSY: a positive exit status, unlike the ota errors */
    }
    struct ota_part_reader src = {&hf.flash, cli_find_partition(&table, label, image)};
    if (!src.part) {
        ota_host_flash_close(&hf);
        return CLI_FAIL;
    }
    int err = ota_tone_verify(ota_part_reader_read, &src, src.part->size, &info);
    report_tone(j, err, &info, ota_part_reader_read, &src, src.part->size);
    enum ota_journal_state js;
    if (ota_journal_read(&hf.flash, src.part, &js) == OTA_OK) {
        if (j) {
            json_str(j, "journal", js == OTA_JOURNAL_COMPLETE ? "COMPLETE" : js == OTA_JOURNAL_WRITING ? "WRITING" : "none");
        } else {
            printf("update journal: %s\n", journal_words(js));
        }
        if (js == OTA_JOURNAL_WRITING && !err) {
            err = OTA_ERR_TONE_TRUNCATED;
        }
    }
    ota_host_flash_close(&hf);
    return err;
}

static int tone_in_file(const char *path, struct json *j)
{
    uint8_t *data;
    size_t len;
    struct ota_tone_info info;
    if (cli_read_file(path, &data, &len)) {
        return CLI_FAIL;
    }
    struct cli_mem src = {data, len};
    int err = ota_tone_verify(cli_mem_read, &src, (uint32_t)len, &info);
    report_tone(j, err, &info, cli_mem_read, &src, (uint32_t)len);
    free(data);
    return err;
}

int cmd_tone_info(int argc, char **argv)
{
    const char *pos[1], *label = NULL;
    bool json = false;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE_D("label", &label, "LABEL", "read partition LABEL of device image FILE", "FILE is a tone image"),
        CLI_JSON(&json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    struct json j;
    if (json) {
        json_begin(&j, stdout);
        json_str(&j, "file", pos[0]);
        json_str(&j, "label", label);
    }
    int err = label ? tone_in_partition(pos[0], label, json ? &j : NULL) : tone_in_file(pos[0], json ? &j : NULL);
    if (err > 0) {
        if (json) {
            json_bool(&j, "valid", false);  /* why is on stderr: the file or partition could not be read */
            json_end(&j);
        }
        return err;
    }
    if (json) {
        json_bool(&j, "valid", err == OTA_OK);
        json_error(&j, "error", err);
        json_end(&j);
    }
    if (err) {
        cli_error("%s%s%s: invalid tone image: %s (%s)", pos[0], label ? ":" : "", label ? label : "",
                  ota_strerror(err), ota_errname(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int emit_file(void *ctx, const void *data, size_t len)
{
    return ota_host_outfile_write(ctx, data, len);
}

static uint8_t type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    return (dot && strcmp(dot, ".wav") == 0) ? OTA_TONE_WAV : OTA_TONE_MP3;
}

#define MAX_TONE_FILES 255

int cmd_tone_make(int argc, char **argv)
{
    const char *pos[1 + MAX_TONE_FILES], *format_s = "0", *version = "v1.0";
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("format", &format_s, "0|1", "tone image format (1 adds a descriptor, CRC and tail)"),
        CLI_VALUE("version", &version, "vX.Y.Z", "version in the format-1 descriptor"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 1 + MAX_TONE_FILES, &npos))) {
        return rc;
    }
    if (strcmp(format_s, "0") != 0 && strcmp(format_s, "1") != 0) {
        cli_error("--format %s: 0 or 1", format_s);
        return CLI_USAGE;
    }
    static uint32_t lengths[MAX_TONE_FILES];
    static uint8_t types[MAX_TONE_FILES];
    uint16_t count = (uint16_t)(npos - 1);
    for (unsigned i = 0; i < count; i++) {
        struct stat st;
        if (stat(pos[1 + i], &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 0x7FFFFFFF) {
            cli_error("%s: not a readable regular file", pos[1 + i]);
            return CLI_FAIL;
        }
        lengths[i] = (uint32_t)st.st_size;
        types[i] = type_of(pos[1 + i]);
    }
    char tm_s[16], date[16];
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t now = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(tm_s, sizeof(tm_s), "%H:%M:%S", &tmv);
    strftime(date, sizeof(date), "%Y-%m-%d", &tmv);
    struct ota_tone_build_params p = {(uint32_t)(format_s[0] - '0'), count, lengths, types, version, tm_s, date};

    static struct ota_host_outfile out;
    int err = ota_host_outfile_open(&out, pos[0]);
    if (err) {
        cli_error("cannot create %s: %s", pos[0], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return CLI_FAIL;
    }
    struct ota_tone_writer w;
    err = ota_tone_write_begin(&w, &p, emit_file, &out);
    for (unsigned i = 0; !err && i < count; i++) {
        FILE *in = fopen(pos[1 + i], "rb");
        uint8_t buf[4096];
        size_t n, total = 0;
        if (!in) {
            err = OTA_ERR_IO;
            break;
        }
        while (!err && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
            err = ota_tone_write_data(&w, buf, n);
            total += n;
        }
        fclose(in);
        if (!err && total != lengths[i]) {
            err = OTA_ERR_IO;  /* the file changed under us */
        }
        if (!err) {
            err = ota_tone_write_file_end(&w);
        }
    }
    if (!err) {
        err = ota_tone_write_end(&w);
    }
    if (err) {
        ota_host_outfile_abort(&out);  /* the output stays as it was */
    } else {
        err = ota_host_outfile_commit(&out);
    }
    if (err) {
        cli_error("writing %s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    printf("made %s: tone format %s, %u files\n", pos[0], format_s, count);
    return CLI_OK;
}
