/*
 * The partition writer: how bytes of one image reach one partition.
 *
 * Shared by the app and data updates (ota/update.h); firmware normally uses
 * those. It takes bytes at a stream position that may start anywhere up to
 * what is already in flash (a resumed or restarted transfer):
 *   - bytes already in flash are compared, not rewritten (a mismatch means
 *     the source changed: OTA_ERR_SOURCE_CHANGED, the caller starts over);
 *   - bytes not yet seen go through the inspect hook (stream verification)
 *     before they are written, so a bad image stops before it reaches flash;
 *   - sectors are erased just ahead of the writes (a 64 KiB block erase
 *     where the announced length covers a whole aligned block);
 *   - with a journal, the first write records WRITING, each completed sector
 *     is recorded as durable, and the owner commits with COMPLETE; without
 *     one, the first write retires the records the partition holds (they
 *     no longer speak for its content: nothing may resume onto it).
 * Data partitions hold their first page back until the end (so an
 * unfinished update never shows a valid header).
 *
 * Reentrant: all state is in the caller's struct; no callback runs except
 * the inspect hook, synchronously, from ota_pw_push / ota_pw_seek.
 */
#ifndef OTA_PART_WRITER_H
#define OTA_PART_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/journal.h"
#include "ota/partition.h"
#include "ota/source.h"

/* Sees every byte of the image once, in order, before it is written. */
typedef int (*ota_inspect_fn)(void *ctx, const uint8_t *p, uint32_t n);

struct ota_part_writer {
    const struct ota_flash *flash;
    const struct ota_partition *part;
    uint32_t limit;        /* bytes of part the image may use */
    int too_big_err;       /* OTA_ERR_IMG_TOO_BIG or OTA_ERR_DATA_TOO_BIG */
    int64_t total;         /* announced image length, or OTA_LENGTH_UNKNOWN */
    uint64_t pos;          /* image offset of the next byte pushed */
    uint32_t written;      /* bytes of the image in flash (page 0 may be held back) */
    uint32_t fed;          /* bytes of the image inspected */
    uint32_t erased;       /* bytes of part erased, from its start */
    ota_inspect_fn inspect;
    void *inspect_ctx;
    bool hold_first_page;
    uint8_t first_page[OTA_FLASH_PAGE_SIZE];
    bool journal_loaded;   /* the partition's journal record is in `journal` */
    bool journaled;        /* the journal records this image */
    bool journal_begun;    /* our WRITING record is in flash */
    bool journal_retired;  /* no journal kept: the partition's records are retired */
    uint8_t journal_chunk_log2;  /* the record begun is marked a chunked encrypted transfer (0: not) */
    struct ota_journal journal;
    uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN];
    char validator[OTA_VALIDATOR_LEN + 1];
    const uint8_t *decoder_id;  /* the image is this resumable decoder's output (the caller's memory), or NULL */
};

/* Set up for part; nothing is read or written. */
void ota_pw_init(struct ota_part_writer *pw, const struct ota_flash *f, const struct ota_partition *part,
                 uint32_t limit, int too_big_err, ota_inspect_fn inspect, void *inspect_ctx);

/* Use the journal in the partition's last sectors, keyed by source_id (and
 * the source's validator, for If-Range). Loads the current record. */
int ota_pw_use_journal(struct ota_part_writer *pw, const uint8_t source_id[OTA_JOURNAL_SOURCE_ID_LEN],
                       const char *validator);

/* The journal records an unfinished transfer of this same source, of
 * `total` bytes with `validator`: continue after its durable bytes.
 * Returns the bytes already in flash (0: start fresh). */
uint32_t ota_pw_resume(struct ota_part_writer *pw);

/* What the journal holds of an unfinished transfer of this source id:
 * its validator and durable bytes, or NULL. */
const char *ota_pw_resume_hint(const struct ota_part_writer *pw, uint32_t *offset);

/* The journal holds an unfinished transfer of this source id decoded by a
 * resumable decoder, and a checkpoint of it: its validator (the
 * checkpoint in journal.cp_in / cp_out), or NULL. */
const char *ota_pw_checkpoint_hint(const struct ota_part_writer *pw);

/* The image is the output of the resumable decoder of identity id (kept by
 * the caller until the writer is done): its record carries the identity
 * from its start, and a plain image never resumes onto it, nor it onto
 * another decoder's. Before the first byte. */
void ota_pw_set_decoder(struct ota_part_writer *pw, const uint8_t id[OTA_JOURNAL_DECODER_ID_LEN]);

/* The next byte pushed is at image offset `off` (<= bytes written).
 * Bytes between what was inspected and `off` are replayed from flash. */
int ota_pw_seek(struct ota_part_writer *pw, uint64_t off);

/* Take the next len bytes of the image. */
int ota_pw_push(struct ota_part_writer *pw, const uint8_t *p, uint32_t len);

/* Start over from nothing (the caller resets its inspect state first). */
void ota_pw_reset(struct ota_part_writer *pw, int64_t total, const char *validator);

/* Program the held first page. */
int ota_pw_flush_first_page(struct ota_part_writer *pw);

/* The image's bytes [off, off+n) as they stand (held page 0 from RAM). */
int ota_pw_read_image(const struct ota_part_writer *pw, uint32_t off, uint8_t *dst, uint32_t n);

/* SHA-256 of the image's first `len` bytes as they stand in flash. */
int ota_pw_hash_flash(const struct ota_part_writer *pw, uint32_t len, uint8_t out[OTA_SHA256_LEN]);

/* Journal: COMPLETE (the one step that declares the content whole), or a
 * fresh WRITING record with no progress (never resume onto this content). */
/* Lend the applier d the slot's storage below the journal (and below the
 * sector a chunked encrypted transfer keeps its header in) as the scratch
 * of a compact patch's relocation map: the image then ends below the map. */
struct ota_delta;
int ota_pw_lend_scratch(const struct ota_part_writer *pw, struct ota_delta *d);

int ota_pw_commit(struct ota_part_writer *pw);
int ota_pw_forget(struct ota_part_writer *pw);

#endif
