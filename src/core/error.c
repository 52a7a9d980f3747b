/* Names and sentences for ota_err, both generated from ota/error_list.h:
 * a switch per function, so a duplicate value fails to compile. */
#include "ota/error.h"

#define OTA_ERROR_NAME_CASE(name, value, message) \
    case name:                                    \
        return #name;

const char *ota_errname(int err)
{
    switch ((ota_err)err) {
        OTA_ERROR_LIST(OTA_ERROR_NAME_CASE)
    }
    return "OTA_ERR_UNKNOWN";
}

#ifdef OTA_NO_ERROR_MESSAGES
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
