/*
 * Data-partition update journal: how a data partition update survives a
 * power cut. Format and states: docs/data-partition-safety.md.
 *
 * A data partition cannot be updated A/B (there is one), so while it is
 * rewritten it is necessarily incomplete; the journal makes that state
 * detectable. Two 32-byte records, one at the start of each of the
 * partition's last two sectors, chosen like otadata (valid CRC, larger seq
 * wins). The partition's last OTA_JOURNAL_LEN bytes are reserved for them.
 */
#ifndef OTA_JOURNAL_H
#define OTA_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/partition.h"

#define OTA_JOURNAL_MAGIC 0x4A41544Fu  /* "OTAJ" little-endian */
#define OTA_JOURNAL_RECORD_LEN 32u
#define OTA_JOURNAL_LEN (2u * OTA_FLASH_SECTOR_SIZE)

enum ota_journal_state {
    OTA_JOURNAL_NONE = 0,      /* no valid record: never updated by us; the content is as flashed */
    OTA_JOURNAL_WRITING = 1,   /* an update started and did not finish: the content is incomplete */
    OTA_JOURNAL_COMPLETE = 2,  /* the last update finished and was verified */
};

struct ota_journal_record {
    uint32_t seq;
    uint32_t state;
    uint32_t length;           /* bytes of the image being (or last) written */
    uint8_t source_id[12];     /* first bytes of SHA-256(URI): which source it came from */
};

/* Bytes of a partition that updates may use (its size less the journal). */
uint32_t ota_journal_data_capacity(const struct ota_partition *part);

/* The state of the partition's content; *rec (optional) gets the record. */
int ota_journal_read(const struct ota_flash *f, const struct ota_partition *part, enum ota_journal_state *state,
                     struct ota_journal_record *rec);

/* Write a new record (next seq, into the older copy's sector). */
int ota_journal_write(const struct ota_flash *f, const struct ota_partition *part, uint32_t state, uint32_t length,
                      const uint8_t source_id[12]);

void ota_journal_encode(const struct ota_journal_record *r, uint8_t raw[OTA_JOURNAL_RECORD_LEN]);
/* False when magic or CRC do not match. */
bool ota_journal_decode(const uint8_t raw[OTA_JOURNAL_RECORD_LEN], struct ota_journal_record *r);

#endif
