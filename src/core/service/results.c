/* The seed's coarse result codes, and how precise errors map to them. */
#include "ota/error.h"
#include "ota/service.h"

/* The seed's names: SUCCESS, UNKNOWN, then those from NULL_POINTER (0x90001)
 * on, each ended by its NUL, then the text for any other number. */
static const char result_names[] = "SUCCESS\0UNKNOWN\0NULL_POINTER\0URL_PARSE_FAIL\0ERROR_VERSION\0NO_HIGHER_VERSION\0"
                                   "ERROR_MAGIC_WORD\0ERROR_PROJECT_NAME\0FILE_NOT_FOUND\0PARTITION_NOT_FOUND\0"
                                   "PARTITION_WT_FAIL\0PARTITION_RD_FAIL\0STREAM_INIT_FAIL\0STREAM_RD_FAIL\0"
                                   "GET_NEW_APP_DESC_FAIL\0?";
#define COARSE_RESULTS 13u /* NULL_POINTER .. GET_NEW_APP_DESC_FAIL */

const char *ota_result_name(int result)
{
    unsigned coarse = (unsigned)result - (unsigned)OTA_RESULT_NULL_POINTER;
    unsigned index = result == OTA_RESULT_SUCCESS   ? 0u
                     : result == OTA_RESULT_UNKNOWN ? 1u
                     : coarse < COARSE_RESULTS      ? 2u + coarse
                                                    : 2u + COARSE_RESULTS;
    const char *name = result_names;
    for (; index > 0; index--) {
        while (*name++ != '\0') {
        }
    }
    return name;
}

/* For each coarse result from NULL_POINTER on, in order, the codes (negated:
 * a byte each) that map to it, each group ended by a 0; OTA_OK is SUCCESS,
 * a patch failure not listed (-150..-169) STREAM_RD_FAIL, any other code
 * UNKNOWN. A walk of 70 bytes on an error path, instead of a jump table
 * over every value from 0 to the lowest code. */
#define N(err) (uint8_t)(-(err))
static const uint8_t coarse_groups[] = {
    N(OTA_ERR_INVALID_ARG), N(OTA_ERR_DELTA_STATE), 0, /* NULL_POINTER */
    N(OTA_ERR_URI), N(OTA_ERR_INSECURE), N(OTA_ERR_TOO_LONG), 0, /* URL_PARSE_FAIL */
    N(OTA_ERR_VERSION_FORMAT), N(OTA_ERR_DELTA_BASE), 0, /* ERROR_VERSION: a patch for another app too */
    N(OTA_ERR_NOT_NEWER), N(OTA_ERR_MANIFEST_REPLAY), 0, /* NO_HIGHER_VERSION */
    N(OTA_ERR_IMG_MAGIC), N(OTA_ERR_TONE_TAG), N(OTA_ERR_TONE_DESC), N(OTA_ERR_TONE_FORMAT),
    /* a patch stream this applier cannot read */
    N(OTA_ERR_DELTA_FORMAT), N(OTA_ERR_DELTA_UNSUPPORTED), N(OTA_ERR_DELTA_VERSION), 0, /* ERROR_MAGIC_WORD */
    N(OTA_ERR_PROJECT_NAME), N(OTA_ERR_MANIFEST_PROJECT), 0, /* ERROR_PROJECT_NAME */
    N(OTA_ERR_FILE_NOT_FOUND), N(OTA_ERR_PATH_ESCAPE), 0, /* FILE_NOT_FOUND */
    N(OTA_ERR_NOT_FOUND), N(OTA_ERR_NO_OTA_SLOT), 0, /* PARTITION_NOT_FOUND */
    N(OTA_ERR_IO), N(OTA_ERR_READBACK), N(OTA_ERR_PROTECTED), N(OTA_ERR_ALIGN), N(OTA_ERR_OUT_OF_BOUNDS),
    N(OTA_ERR_POWER_LOST), N(OTA_ERR_DATA_TOO_BIG), N(OTA_ERR_IMG_TOO_BIG), 0, /* PARTITION_WT_FAIL */
    N(OTA_ERR_RELEASE_NO_SERIAL_STORE), N(OTA_ERR_RELEASE_RECORD), 0, /* PARTITION_RD_FAIL */
    N(OTA_ERR_RESOLVE), N(OTA_ERR_CONNECT), N(OTA_ERR_TLS), N(OTA_ERR_HTTP_STATUS), N(OTA_ERR_TOO_MANY_REDIRECTS),
    N(OTA_ERR_REDIRECT_NO_LOCATION), 0, /* STREAM_INIT_FAIL */
    N(OTA_ERR_SHORT_READ), N(OTA_ERR_SOURCE_CHANGED), N(OTA_ERR_RANGE), N(OTA_ERR_TIMEOUT), N(OTA_ERR_STREAM),
    N(OTA_ERR_LOW_SPEED), N(OTA_ERR_DEADLINE),
    /* what arrived is not what the manifest signed */
    N(OTA_ERR_MANIFEST_PATCH_DIGEST), N(OTA_ERR_MANIFEST_IMAGE_DIGEST), N(OTA_ERR_MANIFEST_COMPRESSED_DIGEST),
    0, /* STREAM_RD_FAIL */
    /* the release's description of the new app cannot be trusted or read */
    N(OTA_ERR_MANIFEST_SYNTAX), N(OTA_ERR_MANIFEST_FORMAT), N(OTA_ERR_MANIFEST_SIGNATURE), N(OTA_ERR_MANIFEST_CHIP),
    N(OTA_ERR_MANIFEST_TOO_BIG), N(OTA_ERR_MANIFEST_SIG_TOO_BIG), N(OTA_ERR_MANIFEST_NO_ITEM),
    N(OTA_ERR_MANIFEST_ITEM_ORDER), N(OTA_ERR_IMG_DESC), N(OTA_ERR_IMG_SEG0_SMALL), 0, /* GET_NEW_APP_DESC_FAIL */
};

static int coarse_result(int err)
{
    unsigned negated = 0u - (unsigned)err;  /* above 255 (no code) for a positive err */
    int result = OTA_RESULT_NULL_POINTER;
    for (size_t i = 0; i < sizeof(coarse_groups); i++) {
        if (coarse_groups[i] == 0) {
            result++;
        } else if (coarse_groups[i] == negated) {
            return result;
        }
    }
    return OTA_RESULT_UNKNOWN;
}

int ota_result_from_err(int err)
{
    int result = err == OTA_OK ? OTA_RESULT_SUCCESS : coarse_result(err);
    /* the other patch failures (-150..-169, later codes included) are a bad stream */
    return result == OTA_RESULT_UNKNOWN && err <= -150 && err >= -169 ? OTA_RESULT_STREAM_RD_FAIL : result;
}
