/*
 * Update journal: how an update survives a power cut and resumes.
 * Format and states: docs/data-partition-safety.md.
 *
 * It lives in the target partition's last two sectors (OTA_JOURNAL_LEN),
 * which updates therefore never use for the image. One sector holds the
 * current record (chosen like otadata: valid CRC, larger seq); a new record
 * goes into the other sector. After its header come the source's validator
 * (ETag or Last-Modified, for If-Range), a stash of the image's first page
 * (data partitions program it last) and append-only progress entries.
 * State changes only clear bits (WRITING 3 -> COMPLETE 1 -> RETIRED 0): a
 * commit is one bit, atomic even when the program is torn.
 *
 * Reentrancy: functions work on the partition and structs passed in; one
 * writer at a time per partition (the service's item), which the caller
 * ensures, as for any flash write.
 */
#ifndef OTA_JOURNAL_H
#define OTA_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/partition.h"

#define OTA_JOURNAL_MAGIC 0x4A41544Fu  /* "OTAJ" little-endian */
#define OTA_JOURNAL_LEN (2u * OTA_FLASH_SECTOR_SIZE)
#define OTA_JOURNAL_VALIDATOR_LEN 92u
#define OTA_JOURNAL_SOURCE_ID_LEN 12u

enum ota_journal_state {
    OTA_JOURNAL_NONE = 0xFF,     /* no valid record (never updated by us, or retired) */
    OTA_JOURNAL_WRITING = 3,     /* an update started and did not finish: the content is incomplete */
    OTA_JOURNAL_COMPLETE = 1,    /* the last update finished and was verified */
    OTA_JOURNAL_RETIRED = 0,     /* the record no longer speaks for the content */
};

/* A resumable decoder's identity (its patch header: image length, sync
 * interval, image SHA-256, the form and, for a compact patch, the base's
 * SHA-256), which its checkpoints are bound to. */
#define OTA_JOURNAL_DECODER_ID_LEN 76u

struct ota_journal {
    enum ota_journal_state state;
    uint32_t seq;
    uint32_t length;                                /* image length (0xFFFFFFFF: not announced) */
    uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN];   /* SHA-256(URI)[0..11] */
    char validator[OTA_JOURNAL_VALIDATOR_LEN + 1];  /* "" when the source gave none */
    bool has_page0;
    /* An encrypted transfer in our chunked format (ota/decrypt.h): log2 of
     * its chunk size (9..12), 0 for any other. Its durable bytes are of the
     * decrypted image; a resume continues at the chunk durable / 2^log2. */
    uint8_t chunk_log2;
    bool has_decoder_id;                            /* the record is a resumable decoder's output */
    uint8_t next_checkpoint;                        /* first free decoder checkpoint slot */
    uint8_t page0[OTA_FLASH_PAGE_SIZE];
    uint32_t durable;                               /* bytes known to be in flash, from the image start */
    int copy;                                       /* sector index (0/1) of the record, -1 none */
    unsigned next_entry;                            /* first free progress slot */
    uint32_t cp_in, cp_out;                         /* the latest valid decoder checkpoint (cp_out 0: none) */
};

/* Bytes of a partition that an image may use (its size less the journal);
 * 0 when the partition is too small to hold one. */
uint32_t ota_journal_data_capacity(const struct ota_partition *part);

/* Read the current record with its validator, stash and progress. */
int ota_journal_load(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j);

/* Start an update: a new WRITING record in the other sector (one erase). */
int ota_journal_begin(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                      uint32_t length, const uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN], const char *validator);

/* Record that the first `pos` bytes of the image are in flash (a page program). */
int ota_journal_progress(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                         uint32_t pos);

/* Mark the record just begun as a chunked encrypted transfer (log2 of its
 * chunk size, 9..12): one 4-byte program, checked by its complement. */
int ota_journal_mark_chunked(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                             uint8_t chunk_log2);

/* Keep the image's first page in the journal (data partitions program it last). */
int ota_journal_stash_page0(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                            const uint8_t page0[OTA_FLASH_PAGE_SIZE]);

/* Mark the record as a resumable decoder's output, of identity id (once,
 * right after ota_journal_begin). */
int ota_journal_decoder_id(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                           const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN]);

/* The record's decoder identity, read back (OTA_ERR_NOT_FOUND: none). */
int ota_journal_read_decoder_id(const struct ota_flash *f, const struct ota_partition *part,
                                const struct ota_journal *j, uint8_t id[OTA_JOURNAL_DECODER_ID_LEN]);

/* Record a decoder checkpoint (once the image's first out_off bytes are
 * durable): the decoder identity is written with the record's first one
 * (another identity later: OTA_ERR_INVALID_ARG), then one 16-byte slot.
 * With every slot used it keeps nothing more (safe, only a longer resume). */
int ota_journal_checkpoint(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                           uint32_t in_off, uint32_t out_off, const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN]);

/* WRITING -> COMPLETE, or -> RETIRED: clears bits of the state word. */
int ota_journal_set_state(const struct ota_flash *f, const struct ota_partition *part, struct ota_journal *j,
                          enum ota_journal_state state);

/* Retire every record the partition holds (no erase: at most two state
 * words cleared). For a writer that keeps no journal, before it changes
 * the partition's first byte: no later update may resume onto bytes a
 * record no longer speaks for. */
int ota_journal_retire(const struct ota_flash *f, const struct ota_partition *part);

/* Convenience: the state alone (uses about 800 bytes of stack). */
int ota_journal_read(const struct ota_flash *f, const struct ota_partition *part, enum ota_journal_state *state);

#endif
