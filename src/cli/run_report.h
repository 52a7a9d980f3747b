/* What `ota run` tells: per-item results, the progress display, flash wear,
 * memory; as log lines on stderr and, with --json, one document on stdout. */
#ifndef OTA_CLI_RUN_REPORT_H
#define OTA_CLI_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ota/host_flash.h"
#include "ota/host_mem.h"
#include "ota/host_transport.h"
#include "ota/release.h"
#include "ota/service.h"
#include "cli.h"
#include "json.h"

#define RUN_MAX_ITEMS 2

struct run_item_fact {
    bool done;               /* a RESULT event arrived */
    int err;                 /* the precise ota error, OTA_OK on success */
    int result;              /* the seed's coarse result */
    uint64_t bytes;          /* body bytes received for this item (every attempt) */
    bool resumed;            /* continued an earlier attempt (journal or reconnect) */
    char slot[17];           /* the partition written ("" if none was chosen) */
    bool patch;              /* the app came as a delta patch */
    uint64_t patch_bytes;    /* patch bytes fed to the applier (its last start from byte 0) */
    bool fell_back;          /* the patch was for another app: the item's fallback_uri was taken */
    char cause[200];         /* the first error logged for it: the real cause of a failure */
};

struct run_report {
    const struct ota_service *svc;        /* read at each RESULT: where the item went */
    const struct ota_host_transport *ht;  /* byte counter */
    const struct ota_item *items;
    unsigned count;
    struct run_item_fact item[RUN_MAX_ITEMS];
    uint64_t bytes_before;                /* transport's counter at the previous RESULT */
    bool tty;                             /* progress bar on stderr (a terminal, not -q) */
    bool progress_open;                   /* the bar's line is not ended yet */
    int last_progress;                    /* percent shown, -1 none */
    struct timespec item_start;           /* of the item in progress, for rate and time left */
    uint64_t first_done;                  /* bytes at item_start: the rate counts what came after */
    bool reboot;                          /* a restart was requested */
    bool power_cut;
    bool restarted;                       /* the device restarted and an app runs */
    struct cli_boot_report boot;
    const struct ota_release_item *release;  /* --manifest: the release decision; else NULL */
    char first_error[200];                /* the first error line since the last RESULT */
    bool summary;                         /* default verbosity: run_summary's lines, not the device's log */
    /* --ddi: writes the "ddi" section of --json (NULL: "ddi": null) */
    void (*ddi_json)(struct json *j, const void *ctx);
    const void *ddi_ctx;
};

void run_report_init(struct run_report *r, bool tty);

/* Service callbacks; ctx is the run_report. */
void run_on_event(void *ctx, const struct ota_event *ev);
void run_on_progress(void *ctx, unsigned id, uint64_t done, int64_t total);

/* Ends the progress bar's line (hooked before every log line). */
void run_end_progress_line(void *ctx);

/* Flash wear, bytes and memory as log lines. */
void run_log_totals(const struct run_report *r, const struct ota_flash_counters *c, uint32_t slot_size);

/* The exit status for the items' results (see exit_codes.h). */
int run_exit_status(const struct run_report *r);

/* The whole run as one JSON document on stdout. */
void run_report_json(const struct run_report *r, const char *image, const struct ota_flash_counters *c, int status);

#endif
