/* Shared helpers of the `ota` command-line tool (a client of the public headers). */
#ifndef OTA_CLI_H
#define OTA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ota/host_flash.h"
#include "ota/partition.h"

#include "exit_codes.h"

/* cli_parse's answer when it printed the help: the command returns it,
 * main exits 0. */
#define CLI_HELP_SHOWN (-1)

struct cli_command {
    const char *group;  /* "flash", "image", ... */
    const char *name;   /* "create", ...; NULL for a one-word command */
    int (*run)(int argc, char **argv);
    const char *usage;  /* printed by --help and on bad usage */
    const char *about;  /* one sentence: what the command does */
};

/* The command main dispatched to (for cli_parse's help and messages). */
extern const struct cli_command *cli_current;

/* -q / -v: 0 normal, -1 quiet (warnings and errors only, no progress), 1 verbose. */
extern int cli_verbosity;

/* Print "ota: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage text of a command, to stdout (help) or stderr (misuse). */
int cli_usage(const struct cli_command *cmd, bool misuse);

/* The choice word is most likely a typo of (at most 3 edits away), or NULL
 * (also when word is one of them). */
const char *cli_nearest(const char *word, size_t len, const char *const *choices, size_t count);

/* True if any argument is -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* The text of `ota CMD --help`: usage, what it does, its options with their
 * defaults, the exit status. */
struct cli_opt;
void cli_print_help(const struct cli_command *cmd, const struct cli_opt *opts, FILE *out);

/* fopen(path, "rb"), or NULL after a message: the cause, or "is a
 * directory" (which fopen would open). */
FILE *cli_open_input(const char *path);
/* Whole file into a malloc'd buffer (files this tool reads whole are small:
 * tables, CSVs, test images). */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
/* Why writing a file failed, in the user's words: errno's sentence for
 * OTA_ERR_IO (call right after the failure), else the error's own. */
const char *cli_file_error(int err);
/* Whole or not at all (temporary file + rename); reports errors. */
int cli_write_file(const char *path, const void *data, size_t len);
/* The same, except that a pipe or character device (/dev/stdout) is
 * written to as a stream. */
int cli_write_dump(const char *path, const void *data, size_t len);

/* "4MiB", "4MB", "4M", "1024K", "1024KiB", "0x400000", "4194304" (a bare
 * number counts bytes; K and M are 1024 and 1024*1024, as in esptool and
 * ESP-IDF's partition tables). */
bool cli_parse_size(const char *s, uint32_t *out);
/* A whole number with no unit: "10", "0x0a". */
bool cli_parse_count(const char *s, uint32_t *out);
/* A size an ESP flash chip comes in: 1, 2, 4, 8, 16, 32, 64 or 128 MiB. */
bool cli_is_flash_size(uint32_t size);
/* "500ms", "5s", "2m", "1h", "1.5s"; a bare number counts bare_ms
 * milliseconds (1 or 1000). The result, in milliseconds, is whole. */
bool cli_parse_duration_ms(const char *s, uint32_t bare_ms, uint64_t *out_ms);

/* Open a device image and load its partition table; reports errors.
 * cli_open_device is for commands that write (exclusive lock), _ro for
 * those that only read (shared lock, read-only file). CLI_BUSY when
 * another command is writing the device. */
int cli_open_device(const char *path, struct ota_host_flash *hf, struct ota_ptable *table);
int cli_open_device_ro(const char *path, struct ota_host_flash *hf, struct ota_ptable *table);

/* The device's persistent properties, with --chip / --rollback of this
 * command: a chip given the first time, and rollback once enabled, are
 * recorded with the device; a chip that contradicts the recorded one is
 * refused. Call while no other open of the image holds its lock. */
struct ota_device_props;
int cli_device_props(const char *image, const char *chip_opt, bool rollback_opt, struct ota_device_props *p);

/* --chip-revision vX.Y into p (reports a malformed value). */
bool cli_parse_chip_rev(const char *s, struct ota_device_props *p);

/* After cli_device_props: the revision a command names (NULL: none) is
 * recorded the first time; one that contradicts the record is refused. */
int cli_device_chip_rev(const char *image, const char *rev_opt, struct ota_device_props *p);

/* Find a partition by label in a loaded table; reports errors. */
const struct ota_partition *cli_find_partition(const struct ota_ptable *t, const char *label, const char *image);

/* A partition-table refusal as "FILE:LINE: row 'name': rule (details)". */
void cli_report_pt_error(const char *file, int err, const struct ota_pt_diag *d, bool csv);

/* NULL if data is text (a CSV may be), else what it looks like instead:
 * "looks like a binary partition table", a device image, a binary file. */
const char *cli_not_csv(const uint8_t *data, size_t len);

/* Sign data (the file in) with the private key into emit: a file signed
 * before has its signature replaced, or (append) gets one more block in
 * the same sector (up to 3, as espsecure's --append_signatures). Reports
 * errors; *sector_at and *block say where the new signature is. */
int cli_sign_file(const char *in, const uint8_t *data, size_t len, const char *key, bool deterministic, bool append,
                  int (*emit)(void *ctx, const void *data, size_t len), void *ctx, uint32_t *sector_at,
                  unsigned *block);

/* Load a table from a CSV or a binary file (chosen by content). */
int cli_load_table_file(const char *path, uint32_t flash_size, struct ota_ptable *t);

extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;



/* Option parsing: "--name value" or "--name=value" options, flags, and
 * positional arguments in any order. Each command lists its options in a
 * table (CLI_VALUE / CLI_FLAG rows, ended by CLI_END); the table is also its
 * --help. A value option's default is what its variable holds before
 * parsing, unless the row names one (for defaults decided further down). */
struct cli_opt {
    const char *name;     /* without the leading "--" */
    const char **value;   /* for an option that takes a value */
    bool *flag;           /* for a flag */
    const char *arg;      /* the value's placeholder in help: "MS", "LABEL=URI" */
    const char *help;     /* what it does */
    const char *def;      /* the default in words, when *value does not show it */
    int kind;             /* CLI_TEXT, or a number cli_parse checks (below) */
};

/* Numbers are checked when the option is parsed: a bad one is a usage error
 * naming the option and the value. The command then reads *value as a
 * plain decimal number in the option's own unit (units and hex resolved). */
enum cli_kind {
    CLI_TEXT,         /* anything */
    CLI_COUNT,        /* a whole number >= 0 (decimal or 0x hex) */
    CLI_POSITIVE,     /* a whole number >= 1 */
    CLI_BYTES,        /* a size >= 1: 4096, 0x1000, 4K, 4KiB, 4M, 4MB, 4MiB -> bytes */
    CLI_FLASH_BYTES,  /* a size an ESP flash chip comes in (1..128 MiB) -> bytes */
    CLI_MILLIS,       /* a duration > 0, bare = ms: 500, 500ms, 5s, 2m -> ms */
    CLI_SECONDS,      /* a duration > 0, bare = s, whole seconds: 30, 30s, 2m -> s */
    CLI_SECONDS_MS,   /* a duration > 0, bare = s (curl's habit): 2, 0.5, 500ms -> ms */
};

#define CLI_VALUE(name, var, arg, help) {name, var, NULL, arg, help, NULL, CLI_TEXT}
#define CLI_VALUE_D(name, var, arg, help, def) {name, var, NULL, arg, help, def, CLI_TEXT}
/* A number option of a kind above. */
#define CLI_NUMBER(name, var, kind, arg, help, def) {name, var, NULL, arg, help, def, kind}
#define CLI_FLAG(name, var, help) {name, NULL, var, NULL, help, NULL, CLI_TEXT}
#define CLI_JSON(var) CLI_FLAG("json", var, "print one JSON document on stdout instead of text")
#define CLI_END {NULL, NULL, NULL, NULL, NULL, NULL, CLI_TEXT}

/* Parse; -h/--help prints the help and returns CLI_HELP_SHOWN. A missing
 * positional argument is named from the command's usage line. */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **pos, int min_pos, int max_pos,
              int *npos);
/* "pass", "fail" or "skip"; reports anything else. */
bool cli_parse_self_test(const char *s);

/* "esp32", "esp32s2", ..., "any" (OTA_CHIP_ANY); reports unknown names. */
bool cli_parse_chip(const char *s, uint16_t *chip, bool any_ok);
/* The device image exists and is a file, else a message saying which of
 * the two is wrong (before a side file such as IMG.device is blamed). */
int cli_check_device_image(const char *image);
/* The key file exists, is a file and can be read, and (need_private) is
 * not a public key; else a message saying which. */
bool cli_key_usable(const char *path, bool need_private);

/* What ESP-IDF's cpu_start prints about the app it starts. */
struct ota_image_info;
void cli_log_app_info(const struct ota_image_info *info);

/* What happened at power-on, for the text and JSON reports. */
struct cli_boot_report {
    unsigned boots;               /* 1, or 2 when a failed self-test restarted the device */
    struct cli_boot_fact {
        char label[17];
        uint32_t offset;
        bool fell_back;           /* the selected app did not verify */
        bool trial;               /* PENDING_VERIFY */
        char project[33], version[33];
        uint32_t secure_version;
    } boot[2];
    const char *self_test;        /* "pass" / "fail" / "skip" on a trial boot, else NULL */
    uint32_t counter_before, counter_after;  /* anti-rollback eFuse counter */
    bool print;                   /* text lines on stdout (off for --json) */
    int rolled_back;              /* enum ota_host_rollback: none, self-test failed, did not boot */
    int record_err;               /* an app runs, but its record was not written (said on stderr) */
};

/* Power on the device: run the bootloader, then the app starts. On a trial
 * boot (PENDING_VERIFY) the app's self-test decides: "pass" marks it valid,
 * "fail" marks it invalid and restarts (the previous app boots), "skip"
 * leaves it on trial (the next boot rolls back). Fills rep (rep->print:
 * also prints what happens); returns CLI_OK when an app runs. */
struct ota_device_props;
int cli_power_on(const char *image, const struct ota_device_props *props, const char *self_test,
                 struct cli_boot_report *rep);

/* The report as members of an open JSON object. */
struct json;
void cli_boot_report_json(struct json *j, const struct cli_boot_report *rep);

/* The app that runs on the device: what its last boot booted while the
 * flash still holds it, else the device powers on first (freshly flashed).
 * The caller holds the device open (f). Reports its own errors. */
int cli_running_app(const char *image, const struct ota_flash *f, const struct ota_device_props *props,
                    const char *self_test, uint32_t *offset);

/* A read callback (ota_read_fn) over a buffer in memory. */
struct cli_mem {
    const uint8_t *data;
    size_t len;
};
int cli_mem_read(void *ctx, uint32_t off, void *buf, uint32_t len);

#endif
