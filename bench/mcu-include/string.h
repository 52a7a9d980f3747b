/* The part of <string.h> the portable core uses, for MCU toolchains that
 * ship without a C library (the footprint build only compiles). */
#ifndef OTA_MCU_STRING_H
#define OTA_MCU_STRING_H
#include <stddef.h>
void *memchr(const void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *dst, const char *src, size_t n);
#endif
