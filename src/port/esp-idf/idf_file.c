/* file://sdcard/PATH through the VFS: a file below the SD card's mount
 * point, confined to it like the host port's folder. FAT has no symlinks;
 * on the linux target the "card" is a host folder, where they exist, so
 * there the resolved path is checked too. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sdkconfig.h"

#include "ota/error.h"
#include "ota/log.h"
#include "idf_sources.h"

static const char *TAG = "FATFS_STREAM";
#define URI_PREFIX "file://sdcard/"
#define PATH_LEN 256

struct file_stream {
    FILE *f;
    uint64_t size, pos;
};

/* As on the host, plus a backslash, which FAT reads as a separator. */
static bool escapes(const char *p)
{
    return strchr(p, '\\') || ota_card_path_escapes(p);
}

#if CONFIG_IDF_TARGET_LINUX
static int check_resolved(const char *uri, const char *mount, const char *path)
{
    char root[PATH_MAX], real[PATH_MAX];
    if (!realpath(mount, root)) {
        OTA_LOGE(TAG, "SD card folder %s: %s", mount, strerror(errno));
        return OTA_ERR_FILE_NOT_FOUND;
    }
    if (!realpath(path, real)) {
        OTA_LOGE(TAG, "%s: %s", uri, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? OTA_ERR_FILE_NOT_FOUND : OTA_ERR_IO;
    }
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || real[rl] != '/') {
        OTA_LOGE(TAG, "%s: resolves to %s, outside the SD card", uri, real);
        return OTA_ERR_PATH_ESCAPE;
    }
    return OTA_OK;
}
#endif

static int resolve(const struct ota_idf_transport *t, const char *uri, char *path)
{
    const char *mount = t->cfg.sdcard_mount;
    if (!mount) {
        OTA_LOGE(TAG, "%s: no SD card is mounted", uri);
        return OTA_ERR_FILE_NOT_FOUND;
    }
    if (strncmp(uri, URI_PREFIX, strlen(URI_PREFIX)) != 0) {
        OTA_LOGE(TAG, "%s: only file://sdcard/... is served (the SD card mount point)", uri);
        return OTA_ERR_PATH_ESCAPE;
    }
    const char *rest = uri + strlen(URI_PREFIX);
    if (escapes(rest)) {
        OTA_LOGE(TAG, "%s: the path must stay inside the SD card", uri);
        return OTA_ERR_PATH_ESCAPE;
    }
    if ((size_t)snprintf(path, PATH_LEN, "%s/%s", mount, rest) >= PATH_LEN) {
        return OTA_ERR_URI;
    }
#if CONFIG_IDF_TARGET_LINUX
    return check_resolved(uri, mount, path);
#else
    return OTA_OK;
#endif
}

int idf_file_open(const struct ota_idf_transport *t, const char *uri, uint64_t offset, const char *if_range,
                  void **stream, struct ota_source_info *info)
{
    char path[PATH_LEN];
    struct stat st;
    int err = resolve(t, uri, path);
    if (err) {
        return err;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        OTA_LOGE(TAG, "%s: not a readable file", uri);
        return OTA_ERR_FILE_NOT_FOUND;
    }
    struct file_stream *fs = calloc(1, sizeof(*fs));
    if (!fs) {
        return OTA_ERR_NO_MEM;
    }
    if (!(fs->f = fopen(path, "rb"))) {
        free(fs);
        OTA_LOGE(TAG, "%s: %s", uri, strerror(errno));
        return OTA_ERR_FILE_NOT_FOUND;
    }
    fs->size = (uint64_t)st.st_size;
    /* The file's validator: modification time and size, like a Last-Modified. */
    snprintf(info->validator, sizeof(info->validator), "%lld-%llu", (long long)st.st_mtime,
             (unsigned long long)fs->size);
    bool same = !if_range || strcmp(if_range, info->validator) == 0;
    if (offset && same && offset <= fs->size && fseek(fs->f, (long)offset, SEEK_SET) == 0) {
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

int idf_file_read(void *stream, void *buf, size_t len)
{
    struct file_stream *fs = stream;
    size_t n = fread(buf, 1, len, fs->f);
    if (n == 0 && ferror(fs->f)) {
        return OTA_ERR_IO;
    }
    if (n == 0 && fs->pos != fs->size) {
        return OTA_ERR_SHORT_READ;  /* the file shrank under us */
    }
    if (n == 0) {
        OTA_LOGW(TAG, "No more data, ret:0");
    }
    fs->pos += n;
    return (int)n;
}

void idf_file_close(void *stream)
{
    struct file_stream *fs = stream;
    fclose(fs->f);
    free(fs);
}
