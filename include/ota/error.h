/*
 * One error enum for the whole library, made from the one list in
 * ota/error_list.h (name, explicit value, sentence).
 *
 * Values are negative, explicit and never renumbered: a retired code keeps
 * its slot. Positive returns from other functions may carry sizes.
 * ota_strerror() and ota_errname() come from the same list, so every code
 * has both. All functions here are reentrant and return static strings.
 */
#ifndef OTA_ERROR_H
#define OTA_ERROR_H

#include "ota/error_list.h"

#define OTA_ERROR_ENUM_MEMBER(name, value, message) name = (value),
typedef enum { OTA_ERROR_LIST(OTA_ERROR_ENUM_MEMBER) } ota_err;
#undef OTA_ERROR_ENUM_MEMBER

/* A short, specific sentence for err; "unknown error" for a number that is
 * not in the list; never NULL. A device build that defines
 * OTA_NO_ERROR_MESSAGES returns the name instead (no sentences in flash);
 * one that defines OTA_NO_ERROR_NAMES the code as decimal text ("-213"). */
const char *ota_strerror(int err);

/* The enum member's name ("OTA_ERR_IMG_HASH"), for logs and tests;
 * "OTA_ERR_UNKNOWN" for a number that is not in the list. Under
 * OTA_NO_ERROR_NAMES (no names in flash): the code as decimal text. */
const char *ota_errname(int err);

#endif
