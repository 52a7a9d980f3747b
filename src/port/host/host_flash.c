/* Emulated NOR flash on a file, memory-mapped (MAP_SHARED: every program and
 * erase lands in the file as it would in the chip); counters; power-cut hook. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_flash.h"

static int io_read(const struct ota_host_flash *hf, uint32_t addr, void *buf, uint32_t len)
{
    memcpy(buf, hf->map + addr, len);
    return OTA_OK;
}

static int io_write(struct ota_host_flash *hf, uint32_t addr, const void *buf, uint32_t len)
{
    memcpy(hf->map + addr, buf, len);
    return OTA_OK;
}

static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x12345678u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Count one program/erase; true when this is the one the power dies in. */
static bool cut_now(struct ota_host_flash *hf)
{
    hf->count.ops++;
    if (hf->cut_at && hf->count.ops == hf->cut_at) {
        hf->powered_off = true;
        return true;
    }
    return false;
}

static int hf_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    struct ota_host_flash *hf = ctx;
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    hf->count.reads++;
    hf->count.bytes_read += len;
    return io_read(hf, addr, buf, len);
}

static int hf_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    struct ota_host_flash *hf = ctx;
    uint8_t cell[OTA_FLASH_PAGE_SIZE];
    const uint8_t *src = buf;
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    if (len > OTA_FLASH_PAGE_SIZE || addr / OTA_FLASH_PAGE_SIZE != (addr + len - 1) / OTA_FLASH_PAGE_SIZE) {
        return OTA_ERR_ALIGN;  /* a real chip would wrap within the page */
    }
    bool cut = cut_now(hf);
    if (cut && hf->cut_mode == OTA_CUT_CLEAN) {
        return OTA_ERR_POWER_LOST;
    }
    int err = io_read(hf, addr, cell, len);
    if (err) {
        return err;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t target = cell[i] & src[i];
        if (cut) {
            /* Torn: only some of the bits to clear got cleared. */
            uint8_t to_clear = cell[i] & (uint8_t)~target;
            target = cell[i] & (uint8_t)~(to_clear & (uint8_t)next_rand(&hf->cut_seed));
        }
        cell[i] = target;
    }
    err = io_write(hf, addr, cell, len);
    if (err) {
        return err;
    }
    if (cut) {
        return OTA_ERR_POWER_LOST;
    }
    hf->count.programs++;
    hf->count.bytes_programmed += len;
    return OTA_OK;
}

static int hf_erase(void *ctx, uint32_t addr, uint32_t len)
{
    struct ota_host_flash *hf = ctx;
    uint8_t buf[OTA_FLASH_SECTOR_SIZE];
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    if ((len != OTA_FLASH_SECTOR_SIZE && len != OTA_FLASH_BLOCK_SIZE) || addr % len) {
        return OTA_ERR_ALIGN;
    }
    if (addr > hf->flash.size || len > hf->flash.size - addr) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    bool cut = cut_now(hf);
    if (cut && hf->cut_mode == OTA_CUT_CLEAN) {
        return OTA_ERR_POWER_LOST;
    }
    for (uint32_t off = 0; off < len; off += OTA_FLASH_SECTOR_SIZE) {
        if (cut) {
            /* Torn: an undefined mix of old bytes and 0xFF. */
            int err = io_read(hf, addr + off, buf, sizeof(buf));
            if (err) {
                return err;
            }
            for (uint32_t i = 0; i < sizeof(buf); i++) {
                if (next_rand(&hf->cut_seed) & 1u) {
                    buf[i] = 0xFF;
                }
            }
        } else {
            memset(buf, 0xFF, sizeof(buf));
        }
        int err = io_write(hf, addr + off, buf, sizeof(buf));
        if (err) {
            return err;
        }
    }
    if (cut) {
        return OTA_ERR_POWER_LOST;
    }
    if (len == OTA_FLASH_BLOCK_SIZE) {
        hf->count.block_erases++;
    } else {
        hf->count.sector_erases++;
    }
    return OTA_OK;
}

static int init_struct(struct ota_host_flash *hf, int fd, uint32_t size)
{
    memset(hf, 0, sizeof(*hf));
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        hf->fd = -1;
        return OTA_ERR_IO;
    }
    hf->fd = fd;
    hf->map = map;
    hf->flash.ctx = hf;
    hf->flash.size = size;
    hf->flash.read = hf_read;
    hf->flash.program = hf_program;
    hf->flash.erase = hf_erase;
    return OTA_OK;
}

int ota_host_flash_create(struct ota_host_flash *hf, const char *path, uint32_t size)
{
    if (!hf || !path || size == 0 || size % OTA_FLASH_BLOCK_SIZE) {
        return OTA_ERR_INVALID_ARG;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return OTA_ERR_IO;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return OTA_ERR_IO;
    }
    int err = init_struct(hf, fd, size);
    if (!err) {
        memset(hf->map, 0xFF, size);  /* a new chip: everything erased */
    }
    return err;
}

int ota_host_flash_open(struct ota_host_flash *hf, const char *path)
{
    struct stat st;
    if (!hf || !path) {
        return OTA_ERR_INVALID_ARG;
    }
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        return OTA_ERR_IO;
    }
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 0xFFFFFFFFLL || st.st_size % OTA_FLASH_SECTOR_SIZE) {
        close(fd);
        return OTA_ERR_INVALID_ARG;
    }
    return init_struct(hf, fd, (uint32_t)st.st_size);
}

void ota_host_flash_close(struct ota_host_flash *hf)
{
    if (hf && hf->map) {
        munmap(hf->map, hf->flash.size);
        hf->map = NULL;
    }
    if (hf && hf->fd >= 0) {
        close(hf->fd);
        hf->fd = -1;
    }
}

void ota_host_flash_reset_counters(struct ota_host_flash *hf)
{
    memset(&hf->count, 0, sizeof(hf->count));
}
