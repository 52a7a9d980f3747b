/* Shared helpers of the `ota` command-line tool (a client of the public headers). */
#ifndef OTA_CLI_H
#define OTA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/host_flash.h"
#include "ota/partition.h"

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

struct cli_command {
    const char *group;  /* "flash", "image", ... */
    const char *name;   /* "create", ...; NULL for a one-word command */
    int (*run)(int argc, char **argv);
    const char *usage;  /* printed by --help and on bad usage */
};

/* Print "ota: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage text of a command, to stdout (help) or stderr (misuse). */
int cli_usage(const struct cli_command *cmd, bool misuse);

/* True if any argument is -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Whole file into a malloc'd buffer (files this tool reads whole are small:
 * tables, CSVs, test images). */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
int cli_write_file(const char *path, const void *data, size_t len);

/* "4MB", "4M", "1024K", "0x400000", "4194304". */
bool cli_parse_size(const char *s, uint32_t *out);

/* Open a device image and load its partition table; reports errors. */
int cli_open_device(const char *path, struct ota_host_flash *hf, struct ota_ptable *table);

/* Find a partition by label in a loaded table; reports errors. */
const struct ota_partition *cli_find_partition(const struct ota_ptable *t, const char *label, const char *image);

/* A partition-table refusal as "FILE:LINE: row 'name': rule (details)". */
void cli_report_pt_error(const char *file, int err, const struct ota_pt_diag *d, bool csv);

/* Load a table from a CSV or a binary file (chosen by content). */
int cli_load_table_file(const char *path, uint32_t flash_size, struct ota_ptable *t);

extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;



/* Minimal option parsing: "--name value" or "--name=value" options, flags,
 * and positional arguments in any order. Reports misuse itself. */
struct cli_opt {
    const char *name;     /* without the leading "--" */
    const char **value;   /* for an option that takes a value */
    bool *flag;           /* for a flag */
};

int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **pos, int min_pos, int max_pos,
              int *npos);
/* "esp32", "esp32s2", ..., "any" (OTA_CHIP_ANY); reports unknown names. */
bool cli_parse_chip(const char *s, uint16_t *chip);

/* What ESP-IDF's cpu_start prints about the app it starts. */
struct ota_image_info;
void cli_log_app_info(const struct ota_image_info *info);

/* Power on the device: run the bootloader, then the app starts. On a trial
 * boot (PENDING_VERIFY) the app's self-test decides: "pass" marks it valid,
 * "fail" marks it invalid and restarts (the previous app boots), "skip"
 * leaves it on trial (the next boot rolls back). Prints what happens;
 * returns CLI_OK when an app runs. */
int cli_power_on(const char *image, bool rollback, uint16_t chip, const char *self_test);

/* The app that runs on the device: what its last boot booted, or (never
 * booted) what the bootloader would boot. Reports its own errors. */
struct ota_boot_opts;
int cli_running_app(const char *image, const struct ota_flash *f, const struct ota_boot_opts *bo, uint32_t *offset);

/* A read callback (ota_read_fn) over a buffer in memory. */
struct cli_mem {
    const uint8_t *data;
    size_t len;
};
int cli_mem_read(void *ctx, uint32_t off, void *buf, uint32_t len);

#endif
