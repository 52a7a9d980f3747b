/* Names and sentences for ota_err, both generated from ota/error_list.h.
 * A duplicate value fails to compile (error_values_are_distinct's switch). */
#include "ota/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef OTA_NO_ERROR_NAMES
/* The smallest build: the code as decimal text ("-213"), a few bytes
 * each instead of its name; error_list.h turns it back into a name. */
#define OTA_ERROR_TEXT(name, value) #value
#else
#define OTA_ERROR_TEXT(name, value) #name
#endif

/* Never called (ota_errname only names it): its case labels make a
 * duplicate value a compile error. */
#define OTA_ERROR_DISTINCT_CASE(name, value, message) \
    case name:                                        \
        return 1;
static inline int error_values_are_distinct(ota_err err)
{
    switch (err) {
        OTA_ERROR_LIST(OTA_ERROR_DISTINCT_CASE)
    }
    return 0;
}

/* Every code is 0 or negative down to -255, so its negation is one byte. */
#define OTA_ERROR_FITS_A_BYTE(name, value, message) \
    _Static_assert((value) <= 0 && (value) >= -255, #name " does not fit the byte table");
OTA_ERROR_LIST(OTA_ERROR_FITS_A_BYTE)

/* The codes, negated, in list order, a byte each; the texts in the same
 * order, each ended by its NUL, then the text for any other number. A
 * lookup walks both (an error path: a few hundred byte compares at most)
 * instead of a switch's halfword per value from 0 to the lowest code. */
#define OTA_ERROR_NEGATED(name, value, message) (uint8_t)(-(value)),
#define OTA_ERROR_TEXT_NUL(name, value, message) OTA_ERROR_TEXT(name, value) "\0"

static const uint8_t error_negated[] = {OTA_ERROR_LIST(OTA_ERROR_NEGATED)};
static const char error_texts[] = OTA_ERROR_LIST(OTA_ERROR_TEXT_NUL) "OTA_ERR_UNKNOWN";

const char *ota_errname(int err)
{
    unsigned negated = 0u - (unsigned)err;  /* above 255 (no code) for a positive err */
    const char *text = error_texts;
    (void)error_values_are_distinct;
    for (size_t i = 0; i < sizeof(error_negated) && error_negated[i] != negated; i++) {
        while (*text++ != '\0') {
        }
    }
    return text;
}

#if defined(OTA_NO_ERROR_MESSAGES) || defined(OTA_NO_ERROR_NAMES)
const char *ota_strerror(int err)
{
    return ota_errname(err);
}
#else
#define OTA_ERROR_MESSAGE_CASE(name, value, message) \
    case name:                                       \
        return message;

const char *ota_strerror(int err)
{
    switch ((ota_err)err) {
        OTA_ERROR_LIST(OTA_ERROR_MESSAGE_CASE)
    }
    return "unknown error";
}
#endif
