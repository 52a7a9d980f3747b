/* The seed's coarse result codes, and how precise errors map to them. */
#include "ota/error.h"
#include "ota/service.h"

const char *ota_result_name(int result)
{
    switch (result) {
    case OTA_RESULT_SUCCESS: return "SUCCESS";
    case OTA_RESULT_UNKNOWN: return "UNKNOWN";
    case OTA_RESULT_NULL_POINTER: return "NULL_POINTER";
    case OTA_RESULT_URL_PARSE_FAIL: return "URL_PARSE_FAIL";
    case OTA_RESULT_ERROR_VERSION: return "ERROR_VERSION";
    case OTA_RESULT_NO_HIGHER_VERSION: return "NO_HIGHER_VERSION";
    case OTA_RESULT_ERROR_MAGIC_WORD: return "ERROR_MAGIC_WORD";
    case OTA_RESULT_ERROR_PROJECT_NAME: return "ERROR_PROJECT_NAME";
    case OTA_RESULT_FILE_NOT_FOUND: return "FILE_NOT_FOUND";
    case OTA_RESULT_PARTITION_NOT_FOUND: return "PARTITION_NOT_FOUND";
    case OTA_RESULT_PARTITION_WT_FAIL: return "PARTITION_WT_FAIL";
    case OTA_RESULT_PARTITION_RD_FAIL: return "PARTITION_RD_FAIL";
    case OTA_RESULT_STREAM_INIT_FAIL: return "STREAM_INIT_FAIL";
    case OTA_RESULT_STREAM_RD_FAIL: return "STREAM_RD_FAIL";
    case OTA_RESULT_GET_NEW_APP_DESC_FAIL: return "GET_NEW_APP_DESC_FAIL";
    default: return "?";
    }
}

/* Patch failures (-150..-169, later codes included) in the seed's words:
 * a stream this applier cannot read is a bad magic word, a patch for
 * another app a version mismatch, the rest a bad stream. */
static int delta_result(int err)
{
    switch (err) {
    case OTA_ERR_DELTA_FORMAT:
    case OTA_ERR_DELTA_UNSUPPORTED:
    case OTA_ERR_DELTA_VERSION:
        return OTA_RESULT_ERROR_MAGIC_WORD;
    case OTA_ERR_DELTA_BASE:
        return OTA_RESULT_ERROR_VERSION;
    case OTA_ERR_DELTA_STATE:
        return OTA_RESULT_NULL_POINTER;
    default:
        return OTA_RESULT_STREAM_RD_FAIL;
    }
}

/* The coarse results are 0x90000 plus a small number: coarse_index
 * returns that number, so the switch's jump table holds bytes, not ints. */
#define R(name) ((uint8_t)((name) - OTA_RESULT_NULL_POINTER + 1))
#define R_SUCCESS 0u
#define R_UNKNOWN 0xFFu

static uint8_t coarse_index(int err)
{
    /* the release item's -240..-242 here: in the switch they would widen its jump table */
    if (err <= OTA_ERR_MANIFEST_NO_ITEM && err >= OTA_ERR_MANIFEST_COMPRESSED_DIGEST) {
        return err == OTA_ERR_MANIFEST_COMPRESSED_DIGEST ? R(OTA_RESULT_STREAM_RD_FAIL) : R(OTA_RESULT_GET_NEW_APP_DESC_FAIL);
    }
    switch (err) {
    case OTA_OK:
        return R_SUCCESS;
    case OTA_ERR_INVALID_ARG:
        return R(OTA_RESULT_NULL_POINTER);
    case OTA_ERR_URI:
    case OTA_ERR_INSECURE:
    case OTA_ERR_TOO_LONG:
        return R(OTA_RESULT_URL_PARSE_FAIL);
    case OTA_ERR_VERSION_FORMAT:
        return R(OTA_RESULT_ERROR_VERSION);
    case OTA_ERR_NOT_NEWER:
        return R(OTA_RESULT_NO_HIGHER_VERSION);
    case OTA_ERR_IMG_MAGIC:
    case OTA_ERR_TONE_TAG:
    case OTA_ERR_TONE_DESC:
    case OTA_ERR_TONE_FORMAT:
        return R(OTA_RESULT_ERROR_MAGIC_WORD);
    case OTA_ERR_PROJECT_NAME:
    case OTA_ERR_MANIFEST_PROJECT:
        return R(OTA_RESULT_ERROR_PROJECT_NAME);
    case OTA_ERR_MANIFEST_REPLAY:
        return R(OTA_RESULT_NO_HIGHER_VERSION);
    /* the release's description of the new app cannot be trusted or read */
    case OTA_ERR_MANIFEST_SYNTAX:
    case OTA_ERR_MANIFEST_FORMAT:
    case OTA_ERR_MANIFEST_SIGNATURE:
    case OTA_ERR_MANIFEST_CHIP:
    case OTA_ERR_MANIFEST_TOO_BIG:
    case OTA_ERR_MANIFEST_SIG_TOO_BIG:
        return R(OTA_RESULT_GET_NEW_APP_DESC_FAIL);
    case OTA_ERR_RELEASE_NO_SERIAL_STORE:
    case OTA_ERR_RELEASE_RECORD:
        return R(OTA_RESULT_PARTITION_RD_FAIL);
    case OTA_ERR_FILE_NOT_FOUND:
    case OTA_ERR_PATH_ESCAPE:
        return R(OTA_RESULT_FILE_NOT_FOUND);
    case OTA_ERR_NOT_FOUND:
    case OTA_ERR_NO_OTA_SLOT:
        return R(OTA_RESULT_PARTITION_NOT_FOUND);
    case OTA_ERR_IO:
    case OTA_ERR_READBACK:
    case OTA_ERR_PROTECTED:
    case OTA_ERR_ALIGN:
    case OTA_ERR_OUT_OF_BOUNDS:
    case OTA_ERR_POWER_LOST:
    case OTA_ERR_DATA_TOO_BIG:
    case OTA_ERR_IMG_TOO_BIG:
        return R(OTA_RESULT_PARTITION_WT_FAIL);
    case OTA_ERR_RESOLVE:
    case OTA_ERR_CONNECT:
    case OTA_ERR_TLS:
    case OTA_ERR_HTTP_STATUS:
    case OTA_ERR_TOO_MANY_REDIRECTS:
    case OTA_ERR_REDIRECT_NO_LOCATION:
        return R(OTA_RESULT_STREAM_INIT_FAIL);
    case OTA_ERR_SHORT_READ:
    case OTA_ERR_SOURCE_CHANGED:
    case OTA_ERR_RANGE:
    case OTA_ERR_TIMEOUT:
    case OTA_ERR_STREAM:
    case OTA_ERR_LOW_SPEED:
    case OTA_ERR_DEADLINE:
    case OTA_ERR_MANIFEST_PATCH_DIGEST:  /* what arrived is not what the manifest signed */
    case OTA_ERR_MANIFEST_IMAGE_DIGEST:
        return R(OTA_RESULT_STREAM_RD_FAIL);
    case OTA_ERR_IMG_DESC:
    case OTA_ERR_IMG_SEG0_SMALL:
        return R(OTA_RESULT_GET_NEW_APP_DESC_FAIL);
    default:
        return R_UNKNOWN;
    }
}

int ota_result_from_err(int err)
{
    if (err <= -150 && err >= -169) {
        return delta_result(err);
    }
    uint8_t r = coarse_index(err);
    if (r == R_SUCCESS) {
        return OTA_RESULT_SUCCESS;
    }
    return r == R_UNKNOWN ? OTA_RESULT_UNKNOWN : (int)(OTA_RESULT_NULL_POINTER - 1 + r);
}
