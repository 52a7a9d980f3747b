/* From an ota error to the exit status a pipeline branches on. */
#include "ota/error.h"
#include "exit_codes.h"

int cli_exit_for_err(int err)
{
    switch (err) {
    case OTA_OK:
        return CLI_OK;
    case OTA_ERR_POWER_LOST:
        return CLI_POWER_CUT;
    case OTA_ERR_NOT_NEWER:
        return CLI_UP_TO_DATE;
    case OTA_ERR_PENDING_VERIFY:
    case OTA_ERR_DEVICE_BUSY:
        return CLI_BUSY;
    default:
        return CLI_FAIL;
    }
}
