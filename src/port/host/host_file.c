/* Output files whole or not at all (see include/ota/host_file.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_file.h"

static int errno_code(int e)
{
    return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? OTA_ERR_NO_SPACE : OTA_ERR_IO;
}

static void release(struct ota_host_outfile *o)
{
    if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    if (o->tmp) {
        unlink(o->tmp);
    }
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
}

int ota_host_outfile_open(struct ota_host_outfile *o, const char *path)
{
    struct stat st;
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    if (!path || !*path) {
        return o->err = OTA_ERR_INVALID_ARG;
    }
    /* Only a regular file (or nothing) may be replaced: renaming over a
     * FIFO or device would silently swap it for a file. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        return o->err = OTA_ERR_NOT_REGULAR;
    }
    size_t n = strlen(path);
    o->path = malloc(n + 1);
    o->tmp = malloc(n + 16);
    if (!o->path || !o->tmp) {
        free(o->path);
        free(o->tmp);
        o->path = o->tmp = NULL;
        return o->err = OTA_ERR_NO_MEM;
    }
    memcpy(o->path, path, n + 1);
    snprintf(o->tmp, n + 16, "%s.new-XXXXXX", path);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        o->err = errno_code(errno);
        free(o->tmp);
        o->tmp = NULL;
        release(o);
        return o->err;
    }
    return OTA_OK;
}

int ota_host_outfile_write(struct ota_host_outfile *o, const void *data, size_t len)
{
    const char *p = data;
    while (!o->err && len > 0) {
        ssize_t w = write(o->fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            o->err = errno_code(w < 0 ? errno : ENOSPC);
        } else {
            p += w;
            len -= (size_t)w;
        }
    }
    return o->err;
}

int ota_host_outfile_commit(struct ota_host_outfile *o)
{
    if (!o->err && (fchmod(o->fd, 0644) != 0 || fsync(o->fd) != 0)) {
        o->err = errno_code(errno);
    }
    if (!o->err) {
        int rc = close(o->fd);
        o->fd = -1;
        if (rc != 0) {
            o->err = errno_code(errno);
        }
    }
    if (!o->err && rename(o->tmp, o->path) != 0) {
        o->err = errno_code(errno);
    }
    if (!o->err) {
        free(o->tmp);
        o->tmp = NULL;  /* it is the target now */
    }
    int err = o->err;
    release(o);
    return err;
}

void ota_host_outfile_abort(struct ota_host_outfile *o)
{
    release(o);
}

int ota_host_write_file(const char *path, const void *data, size_t len)
{
    struct ota_host_outfile o;
    int err = ota_host_outfile_open(&o, path);
    if (!err) {
        ota_host_outfile_write(&o, data, len);
        err = ota_host_outfile_commit(&o);
    }
    return err;
}
