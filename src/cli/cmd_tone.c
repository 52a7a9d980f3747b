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
        printf("%3u  %-4s  %-9u  %u\n", f.index, f.type == OTA_TONE_MP3 ? "mp3" : f.type == OTA_TONE_WAV ? "wav" : "?",
               f.offset, f.length);
    }
    if (in->format == 1) {
        printf("CRC-32: 0x%08x (%s), tail 0x%04x (%s)\n", in->crc_stored, in->crc_valid ? "valid" : "invalid",
               in->tail, in->tail == OTA_TONE_TAIL ? "present" : "missing");
    } else {
        printf("format 0 has no CRC or tail: completeness cannot be told from content\n");
    }
}

int cmd_tone_info(int argc, char **argv)
{
    const char *pos[1], *label = NULL;
    int npos, rc;
    struct cli_opt opts[] = {{"label", &label, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    struct ota_tone_info info;
    int err;
    if (label) {
        struct ota_host_flash hf;
        static struct ota_ptable table;
        if (cli_open_device_ro(pos[0], &hf, &table)) {
            return CLI_FAIL;
        }
        struct ota_part_reader src = {&hf.flash, cli_find_partition(&table, label, pos[0])};
        if (!src.part) {
            ota_host_flash_close(&hf);
            return CLI_FAIL;
        }
        err = ota_tone_verify(ota_part_reader_read, &src, src.part->size, &info);
        if (!err || info.count) {
            print_tone(&info, ota_part_reader_read, &src, src.part->size);
        }
        enum ota_journal_state js;
        if (ota_journal_read(&hf.flash, src.part, &js) == OTA_OK) {
            printf("update journal: %s\n", js == OTA_JOURNAL_COMPLETE ? "COMPLETE (the last update finished and read back equal)"
                                       : js == OTA_JOURNAL_WRITING ? "WRITING (an update was interrupted: content incomplete)"
                                                                   : "none (content as flashed)");
            if (js == OTA_JOURNAL_WRITING && !err) {
                err = OTA_ERR_TONE_TRUNCATED;
            }
        }
        ota_host_flash_close(&hf);
    } else {
        uint8_t *data;
        size_t len;
        if (cli_read_file(pos[0], &data, &len)) {
            return CLI_FAIL;
        }
        struct cli_mem src = {data, len};
        err = ota_tone_verify(cli_mem_read, &src, (uint32_t)len, &info);
        if (!err || info.count) {
            print_tone(&info, cli_mem_read, &src, (uint32_t)len);
        }
        free(data);
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
    struct cli_opt opts[] = {{"format", &format_s, NULL}, {"version", &version, NULL}, {0}};
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
