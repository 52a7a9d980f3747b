/*
 * Hex digits, as every text record and setting of the project writes
 * SHA-256 values and offsets. Strict where the writer is ours (lower case
 * only: one spelling per value), lenient where a person types the value
 * (menuconfig, the command line).
 */
#ifndef OTA_HEX_H
#define OTA_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit, -1 when c is not one (upper case only with any_case). */
int ota_hex_digit(char c, bool any_case);

/* Exactly 2 * n hex digits at hex into out[n]; false (out untouched) when
 * any of them is not a digit. The caller checks the length of the text. */
bool ota_hex_decode(const char *hex, uint8_t *out, size_t n, bool any_case);

#endif
