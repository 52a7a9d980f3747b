/* Names and sentences for ota_err, both generated from ota/error_list.h:
 * a switch per function, so a duplicate value fails to compile. */
#include "ota/error.h"

#ifdef OTA_NO_ERROR_NAMES
/* The smallest build: the code as decimal text ("-213"), a few bytes
 * each instead of its name; error_list.h turns it back into a name. */
#define OTA_ERROR_NAME_CASE(name, value, message) \
    case name:                                    \
        return #value;
#else
#define OTA_ERROR_NAME_CASE(name, value, message) \
    case name:                                    \
        return #name;
#endif

const char *ota_errname(int err)
{
    switch ((ota_err)err) {
        OTA_ERROR_LIST(OTA_ERROR_NAME_CASE)
    }
    return "OTA_ERR_UNKNOWN";
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
