/*
 * Host port: output files written whole or not at all. The bytes go to a
 * temporary file beside the target, which replaces the target only once
 * everything is written and synced; on any failure the target is left as
 * it was (never a 0-byte or half-written file).
 *
 * Refused before anything is written: a directory, FIFO or device at the
 * target path (OTA_ERR_NOT_REGULAR). A full disk is OTA_ERR_NO_SPACE,
 * other failures OTA_ERR_IO (errno tells more).
 */
#ifndef OTA_HOST_FILE_H
#define OTA_HOST_FILE_H

#include <stddef.h>

struct ota_host_outfile {
    int fd;
    int err;       /* the first failure; later writes do nothing */
    char *tmp;
    char *path;
};

int ota_host_outfile_open(struct ota_host_outfile *o, const char *path);
int ota_host_outfile_write(struct ota_host_outfile *o, const void *data, size_t len);
/* Sync, close, rename over the target; on failure the temporary goes. */
int ota_host_outfile_commit(struct ota_host_outfile *o);
void ota_host_outfile_abort(struct ota_host_outfile *o);

/* open + write + commit. */
int ota_host_write_file(const char *path, const void *data, size_t len);

#endif
