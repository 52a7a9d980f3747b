/* Names and sentences for ota_err, both generated from ota/error_list.h:
 * a switch per function, so a duplicate value fails to compile. */
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

/* All texts in one block, each a member named after its code: the switch
 * then maps a code to a 16-bit offset into it (a jump table of halfwords)
 * rather than to a pointer. */
#define OTA_ERROR_TEXT_MEMBER(name, value, message) char name[sizeof(OTA_ERROR_TEXT(name, value))];
#define OTA_ERROR_TEXT_INIT(name, value, message) OTA_ERROR_TEXT(name, value),
#define OTA_ERROR_TEXT_CASE(name, value, message) \
    case name:                                    \
        return offsetof(struct error_texts, name);

static const struct error_texts {
    OTA_ERROR_LIST(OTA_ERROR_TEXT_MEMBER)
    char unknown[sizeof("OTA_ERR_UNKNOWN")];
} error_texts = {OTA_ERROR_LIST(OTA_ERROR_TEXT_INIT) "OTA_ERR_UNKNOWN"};

static uint16_t error_text_offset(int err)
{
    switch ((ota_err)err) {
        OTA_ERROR_LIST(OTA_ERROR_TEXT_CASE)
    }
    return offsetof(struct error_texts, unknown);
}

const char *ota_errname(int err)
{
    return (const char *)&error_texts + error_text_offset(err);
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
