/* `ota run`'s default output: a few lines on stderr (each item: what, from
 * where, the result; which app boots after the restart; the cause of a
 * failure on the last line). The device's own log is -v's. */
#ifndef OTA_CLI_RUN_SUMMARY_H
#define OTA_CLI_RUN_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "run_report.h"

/* Default verbosity: the device's log is left out (its steps, status lines,
 * partition table, segments, wear and memory figures); errors of the
 * transfer and warnings that apply stay. */
void run_summary_begin(struct run_report *r, bool lines);
void run_summary_end(void);

/* One item's line, at its result (only with lines on). */
void run_summary_item(const struct run_report *r, unsigned id);

/* Which app runs after the restart (only with lines on). */
void run_summary_restart(const struct run_report *r);

/* The last line of a run whose items did not all succeed: each failed
 * item with its real cause. */
void run_summary_failures(const struct run_report *r, bool up_to_date);

/* "512 B", "195.3 KiB", "1.5 MiB". */
void run_human_size(char *buf, size_t len, uint64_t bytes);

#endif
