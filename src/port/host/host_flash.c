/* Emulated NOR flash on a file, memory-mapped (MAP_SHARED: every program and
 * erase lands in the file as it would in the chip); counters; power-cut hook.
 *
 * One writer at a time: a writer holds an exclusive flock on the image for
 * as long as it is open, a reader a shared one (so it never sees a write
 * half done); either fails at once with OTA_ERR_DEVICE_BUSY instead of
 * waiting. Readers open the file read-only and map it read-only, so they
 * work on a read-only image or file system.
 *
 * Another process may still shrink the file (truncate ignores flock).
 * Touching a mapped page past the end of the file raises SIGBUS; every
 * access therefore checks the file size first and runs under a SIGBUS
 * guard, so a shrunk image is OTA_ERR_DEVICE_SHRUNK, never a crash. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_flash.h"

/* The SIGBUS guard: set only around one access to the map. */
static __thread sigjmp_buf *bus_guard;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    if (bus_guard) {
        siglongjmp(*bus_guard, 1);
    }
    signal(sig, SIG_DFL);  /* not ours: die as the process would have */
    raise(sig);
}

static void install_sigbus_guard(void)
{
    static bool installed;
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigbus;
        /* SA_NODEFER: SIGBUS is never blocked in the handler, so leaving it
         * by siglongjmp needs no saved signal mask (and no sigprocmask
         * system call around every access). */
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, NULL);
        installed = true;
    }
}

enum access { ACC_COPY_IN, ACC_COPY_OUT, ACC_FILL, ACC_AND };

/* NOR program: dst &= src, a machine word at a time (bits only clear). */
static void and_into(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i = 0;
    for (; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
        uint64_t a;
        uint64_t b;
        memcpy(&a, dst + i, sizeof(a));
        memcpy(&b, src + i, sizeof(b));
        a &= b;
        memcpy(dst + i, &a, sizeof(a));
    }
    for (; i < len; i++) {
        dst[i] &= src[i];
    }
}

/* One access to the map, surviving a fault (the file shrank under us). */
static int guarded(enum access how, uint8_t *map, void *buf, size_t len)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 0)) {
        bus_guard = NULL;
        return OTA_ERR_DEVICE_SHRUNK;
    }
    bus_guard = &jb;
    switch (how) {
    case ACC_COPY_IN: memcpy(map, buf, len); break;
    case ACC_COPY_OUT: memcpy(buf, map, len); break;
    case ACC_FILL: memset(map, 0xFF, len); break;
    case ACC_AND: and_into(map, buf, len); break;
    }
    bus_guard = NULL;
    return OTA_OK;
}

/* The file must still be as large as the flash it emulates. fstat is a
 * system call, too dear for every 256-byte page: the size is checked at
 * every erase and after each 64 KiB of other accesses; in between, a page
 * cut off by a shrink faults and the guard reports it. */
static int check_size(struct ota_host_flash *hf, uint32_t len, bool always)
{
    struct stat st;
    if (hf->shrunk) {
        return OTA_ERR_DEVICE_SHRUNK;
    }
    if (!always && hf->unchecked_bytes < OTA_FLASH_BLOCK_SIZE) {
        hf->unchecked_bytes += len;
        return OTA_OK;
    }
    if (fstat(hf->fd, &st) != 0 || st.st_size < (off_t)hf->flash.size) {
        hf->shrunk = true;
        return OTA_ERR_DEVICE_SHRUNK;
    }
    hf->unchecked_bytes = 0;
    return OTA_OK;
}

/* Every access to the map goes through here: size check, then the guard;
 * a fault marks the device shrunk for good. */
static int map_access(struct ota_host_flash *hf, enum access how, uint32_t addr, void *buf, uint32_t len)
{
    if (how != ACC_COPY_OUT && !hf->writable) {
        return OTA_ERR_IO;  /* opened for reading */
    }
    int err = check_size(hf, len, how == ACC_FILL);
    if (!err) {
        err = guarded(how, hf->map + addr, buf, len);
    }
    if (err == OTA_ERR_DEVICE_SHRUNK) {
        hf->shrunk = true;
    }
    return err;
}

static int io_read(struct ota_host_flash *hf, uint32_t addr, void *buf, uint32_t len)
{
    return map_access(hf, ACC_COPY_OUT, addr, buf, len);
}

static int io_write(struct ota_host_flash *hf, uint32_t addr, const void *buf, uint32_t len)
{
    return map_access(hf, ACC_COPY_IN, addr, (void *)buf, len);
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

/* The power dies in this program: only some of the bits to clear get cleared. */
static int program_torn(struct ota_host_flash *hf, uint32_t addr, const uint8_t *src, uint32_t len)
{
    uint8_t cell[OTA_FLASH_PAGE_SIZE];
    int err = io_read(hf, addr, cell, len);
    if (err) {
        return err;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t to_clear = cell[i] & (uint8_t)~src[i];
        cell[i] &= (uint8_t)~(to_clear & (uint8_t)next_rand(&hf->cut_seed));
    }
    err = io_write(hf, addr, cell, len);
    return err ? err : OTA_ERR_POWER_LOST;
}

static int hf_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    struct ota_host_flash *hf = ctx;
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    if (len > OTA_FLASH_PAGE_SIZE || addr / OTA_FLASH_PAGE_SIZE != (addr + len - 1) / OTA_FLASH_PAGE_SIZE) {
        return OTA_ERR_ALIGN;  /* a real chip would wrap within the page */
    }
    if (cut_now(hf)) {
        return hf->cut_mode == OTA_CUT_CLEAN ? OTA_ERR_POWER_LOST : program_torn(hf, addr, buf, len);
    }
    /* In place on the map: one pass, no copy out and back. */
    int err = map_access(hf, ACC_AND, addr, (void *)buf, len);
    if (err) {
        return err;
    }
    hf->count.programs++;
    hf->count.bytes_programmed += len;
    return OTA_OK;
}

/* The power dies in this erase: an undefined mix of old bytes and 0xFF. */
static int erase_torn(struct ota_host_flash *hf, uint32_t addr, uint32_t len)
{
    uint8_t buf[OTA_FLASH_SECTOR_SIZE];
    for (uint32_t off = 0; off < len; off += OTA_FLASH_SECTOR_SIZE) {
        int err = io_read(hf, addr + off, buf, sizeof(buf));
        if (err) {
            return err;
        }
        for (uint32_t i = 0; i < sizeof(buf); i++) {
            if (next_rand(&hf->cut_seed) & 1u) {
                buf[i] = 0xFF;
            }
        }
        err = io_write(hf, addr + off, buf, sizeof(buf));
        if (err) {
            return err;
        }
    }
    return OTA_ERR_POWER_LOST;
}

/* Fault the pages of [addr, addr+len) in, writable, with one system call
 * instead of one page fault per 4 KiB: they are about to be written. Only
 * a speed-up: where the kernel lacks it, the pages fault in one by one. */
static void prefault_for_write(struct ota_host_flash *hf, uint32_t addr, uint32_t len)
{
#ifdef MADV_POPULATE_WRITE
    (void)madvise(hf->map + addr, len, MADV_POPULATE_WRITE);
#else
    (void)hf;
    (void)addr;
    (void)len;
#endif
}

static int hf_erase(void *ctx, uint32_t addr, uint32_t len)
{
    struct ota_host_flash *hf = ctx;
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    if ((len != OTA_FLASH_SECTOR_SIZE && len != OTA_FLASH_BLOCK_SIZE) || addr % len) {
        return OTA_ERR_ALIGN;
    }
    if (addr > hf->flash.size || len > hf->flash.size - addr) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    if (cut_now(hf)) {
        return hf->cut_mode == OTA_CUT_CLEAN ? OTA_ERR_POWER_LOST : erase_torn(hf, addr, len);
    }
    if (hf->writable && !hf->shrunk) {
        prefault_for_write(hf, addr, len);
    }
    int err = map_access(hf, ACC_FILL, addr, NULL, len);
    if (err) {
        return err;
    }
    if (len == OTA_FLASH_BLOCK_SIZE) {
        hf->count.block_erases++;
    } else {
        hf->count.sector_erases++;
    }
    return OTA_OK;
}

/* The OS error behind a failed file operation, as our code. */
static int errno_code(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return OTA_ERR_NO_SPACE;
    case EWOULDBLOCK:
        return OTA_ERR_DEVICE_BUSY;
    case EISDIR:
        return OTA_ERR_NOT_REGULAR;
    default:
        return OTA_ERR_IO;
    }
}

/* Lock fd (exclusive for a writer, shared for a reader) without waiting,
 * and make sure it is a regular file. */
static int lock_regular(int fd, bool writer)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return OTA_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        return OTA_ERR_NOT_REGULAR;
    }
    if (flock(fd, (writer ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        return errno == EWOULDBLOCK ? OTA_ERR_DEVICE_BUSY : OTA_ERR_IO;
    }
    return OTA_OK;
}

static int init_struct(struct ota_host_flash *hf, int fd, uint32_t size, bool writable)
{
    install_sigbus_guard();
    void *map = mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        return OTA_ERR_IO;
    }
    hf->fd = fd;
    hf->map = map;
    hf->writable = writable;
    hf->flash.ctx = hf;
    hf->flash.size = size;
    hf->flash.read = hf_read;
    hf->flash.program = hf_program;
    hf->flash.erase = hf_erase;
    return OTA_OK;
}

static void clear(struct ota_host_flash *hf)
{
    memset(hf, 0, sizeof(*hf));
    hf->fd = -1;
    hf->old_fd = -1;
}

/* A new chip on fd: size bytes reserved on disk (so a full disk is an error
 * now, not a SIGBUS later), mapped, everything erased. */
static int init_new(struct ota_host_flash *hf, int fd, uint32_t size)
{
    int rc = posix_fallocate(fd, 0, (off_t)size);
    if (rc != 0) {
        return errno_code(rc);
    }
    int err = init_struct(hf, fd, size, true);
    return err ? err : map_access(hf, ACC_FILL, 0, NULL, size);
}

static bool valid_create_args(const struct ota_host_flash *hf, const char *path, uint32_t size)
{
    return hf && path && size != 0 && size % OTA_FLASH_BLOCK_SIZE == 0;
}

int ota_host_flash_create(struct ota_host_flash *hf, const char *path, uint32_t size)
{
    if (!valid_create_args(hf, path, size)) {
        return OTA_ERR_INVALID_ARG;
    }
    clear(hf);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return errno_code(errno);
    }
    int err = lock_regular(fd, true);
    if (!err && ftruncate(fd, 0) != 0) {
        err = errno_code(errno);
    }
    if (!err) {
        err = init_new(hf, fd, size);
    }
    if (err) {
        if (hf->fd < 0) {
            close(fd);
        }
        ota_host_flash_close(hf);
    }
    return err;
}

/* Hold the writer's lock on what is at path now, if anything, so that
 * nobody is writing the device this one replaces. */
static int lock_existing(struct ota_host_flash *hf, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return errno == ENOENT ? OTA_OK : errno_code(errno);
    }
    int err = lock_regular(fd, true);
    if (err) {
        close(fd);
        return err;
    }
    hf->old_fd = fd;
    return OTA_OK;
}

int ota_host_flash_create_staged(struct ota_host_flash *hf, const char *path, uint32_t size)
{
    if (!valid_create_args(hf, path, size)) {
        return OTA_ERR_INVALID_ARG;
    }
    clear(hf);
    int err = lock_existing(hf, path);
    size_t n = strlen(path);
    hf->final_path = err ? NULL : malloc(n + 1);
    hf->staged_path = hf->final_path ? malloc(n + 16) : NULL;
    if (!err && !hf->staged_path) {
        err = OTA_ERR_NO_MEM;
    }
    if (!err) {
        memcpy(hf->final_path, path, n + 1);
        snprintf(hf->staged_path, n + 16, "%s.new-XXXXXX", path);
        int fd = mkostemp(hf->staged_path, O_CLOEXEC);
        if (fd < 0) {
            err = errno_code(errno);
            free(hf->staged_path);
            hf->staged_path = NULL;
        } else if (!(err = lock_regular(fd, true))) {
            fchmod(fd, 0644);
            err = init_new(hf, fd, size);
        }
        if (fd >= 0 && hf->fd < 0) {
            close(fd);
        }
    }
    if (err) {
        ota_host_flash_close(hf);
    }
    return err;
}

int ota_host_flash_publish(struct ota_host_flash *hf)
{
    if (!hf || !hf->staged_path) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = check_size(hf, 0, true);
    if (!err && (msync(hf->map, hf->flash.size, MS_SYNC) != 0 || fsync(hf->fd) != 0)) {
        err = errno_code(errno);
    }
    if (!err && rename(hf->staged_path, hf->final_path) != 0) {
        err = errno_code(errno);
    }
    if (!err) {
        free(hf->staged_path);
        hf->staged_path = NULL;
    }
    return err;
}

static int open_existing(struct ota_host_flash *hf, const char *path, bool writer)
{
    struct stat st;
    if (!hf || !path) {
        return OTA_ERR_INVALID_ARG;
    }
    clear(hf);
    /* O_NONBLOCK: a FIFO in the image's place must not hang the open. */
    int fd = open(path, (writer ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return errno_code(errno);
    }
    int err = lock_regular(fd, writer);
    if (!err && (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 0xFFFFFFFFLL ||
                 st.st_size % OTA_FLASH_SECTOR_SIZE)) {
        err = OTA_ERR_INVALID_ARG;
    }
    if (!err) {
        err = init_struct(hf, fd, (uint32_t)st.st_size, writer);
    }
    if (err) {
        close(fd);
        clear(hf);
    }
    return err;
}

int ota_host_flash_open(struct ota_host_flash *hf, const char *path)
{
    return open_existing(hf, path, true);
}

int ota_host_flash_open_readonly(struct ota_host_flash *hf, const char *path)
{
    return open_existing(hf, path, false);
}

void ota_host_flash_close(struct ota_host_flash *hf)
{
    if (!hf) {
        return;
    }
    if (hf->map) {
        munmap(hf->map, hf->flash.size);
        hf->map = NULL;
    }
    if (hf->fd >= 0) {
        close(hf->fd);  /* releases the lock */
        hf->fd = -1;
    }
    if (hf->staged_path) {
        unlink(hf->staged_path);  /* never published: the old device stays */
        free(hf->staged_path);
        hf->staged_path = NULL;
    }
    free(hf->final_path);
    hf->final_path = NULL;
    if (hf->old_fd >= 0) {
        close(hf->old_fd);
        hf->old_fd = -1;
    }
}

void ota_host_flash_reset_counters(struct ota_host_flash *hf)
{
    memset(&hf->count, 0, sizeof(hf->count));
}
