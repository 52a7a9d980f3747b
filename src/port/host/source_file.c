/* file://sdcard/PATH: a file in the SD card folder, confined to it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_mem.h"
#include "ota/log.h"
#include "sources.h"

static const char *TAG = "FATFS_STREAM";
#define MOUNT "sdcard/"

struct file_stream {
    int fd;
    uint64_t size, pos;
};

int ota_host_file_open(const struct ota_host_transport *ht, const char *uri, uint64_t offset, const char *if_range,
                     void **stream, struct ota_source_info *info)
{
    const char *rest = uri + strlen("file://");
    char want[PATH_MAX], root[PATH_MAX], real[PATH_MAX];
    if (!ht->cfg.sdcard_dir) {
        OTA_LOGE(TAG, "%s: no SD card is mounted", uri);
        return OTA_ERR_FILE_NOT_FOUND;
    }
    if (strncmp(rest, MOUNT, strlen(MOUNT)) != 0) {
        OTA_LOGE(TAG, "%s: only file://sdcard/... is served (the SD card mount point)", uri);
        return OTA_ERR_PATH_ESCAPE;
    }
    rest += strlen(MOUNT);
    if (ota_card_path_escapes(rest)) {
        OTA_LOGE(TAG, "%s: the path must stay inside the SD card", uri);
        return OTA_ERR_PATH_ESCAPE;
    }
    if (!realpath(ht->cfg.sdcard_dir, root)) {
        OTA_LOGE(TAG, "SD card folder %s: %s", ht->cfg.sdcard_dir, strerror(errno));
        return OTA_ERR_FILE_NOT_FOUND;
    }
    if ((size_t)snprintf(want, sizeof(want), "%s/%s", root, rest) >= sizeof(want)) {
        return OTA_ERR_URI;
    }
    if (!realpath(want, real)) {
        OTA_LOGE(TAG, "%s: %s", uri, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? OTA_ERR_FILE_NOT_FOUND : OTA_ERR_IO;
    }
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || real[rl] != '/') {
        OTA_LOGE(TAG, "%s: resolves to %s, outside the SD card", uri, real);
        return OTA_ERR_PATH_ESCAPE;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            close(fd);
        }
        OTA_LOGE(TAG, "%s: not a readable file", uri);
        return OTA_ERR_FILE_NOT_FOUND;
    }
    struct file_stream *fs = ota_host_calloc(1, sizeof(*fs));
    if (!fs) {
        close(fd);
        return OTA_ERR_NO_MEM;
    }
    fs->fd = fd;
    fs->size = (uint64_t)st.st_size;
    /* The file's validator: modification time and size, like a Last-Modified. */
    snprintf(info->validator, sizeof(info->validator), "%lld.%09ld-%llu", (long long)st.st_mtim.tv_sec,
             (long)st.st_mtim.tv_nsec, (unsigned long long)fs->size);
    bool same = !if_range || strcmp(if_range, info->validator) == 0;
    if (offset && same && offset <= fs->size && lseek(fd, (off_t)offset, SEEK_SET) == (off_t)offset) {
        fs->pos = offset;
    }
    info->offset = fs->pos;
    info->total_length = (int64_t)fs->size;
    info->content_length = (int64_t)(fs->size - fs->pos);
    OTA_LOGI(TAG, "File size: %llu byte, file position: %llu", (unsigned long long)fs->size,
             (unsigned long long)fs->pos);
    *stream = fs;
    return OTA_OK;
}

int ota_host_file_read(void *stream, void *buf, size_t len)
{
    struct file_stream *fs = stream;
    ssize_t n = read(fs->fd, buf, len);
    if (n < 0) {
        return OTA_ERR_IO;
    }
    if (n == 0 && fs->pos != fs->size) {
        return OTA_ERR_SHORT_READ;  /* the file shrank under us */
    }
    if (n == 0) {
        /* The seed warns "No more data, ret:0" here; it is the normal end. */
        OTA_LOGI(TAG, "end of file: all %llu bytes read (No more data, ret:0)", (unsigned long long)fs->size);
    }
    fs->pos += (uint64_t)n;
    return (int)n;
}

void ota_host_file_close(void *stream)
{
    struct file_stream *fs = stream;
    close(fs->fd);
    ota_host_free(fs);
}
