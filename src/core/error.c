/* Error strings: a switch with no default, so the compiler flags a missing one.
 * A device build may define OTA_NO_ERROR_MESSAGES to keep only the names
 * (about 4 KB less on Cortex-M4). */
#include "ota/error.h"

#ifdef OTA_NO_ERROR_MESSAGES
const char *ota_strerror(int err)
{
    return ota_errname(err);
}
#else
const char *ota_strerror(int err)
{
    switch ((ota_err)err) {
    case OTA_OK:
        return "success";
    case OTA_ERR_INVALID_ARG:
        return "a NULL pointer or an argument out of its domain";
    case OTA_ERR_IO:
        return "the port failed to read, program or erase";
    case OTA_ERR_ALIGN:
        return "erase not on a sector boundary, program across a page";
    case OTA_ERR_OUT_OF_BOUNDS:
        return "address range past the end of the flash or partition";
    case OTA_ERR_POWER_LOST:
        return "emulated power cut: the device is off until restarted";
    case OTA_ERR_NO_MEM:
        return "a caller-supplied buffer or table is too small";
    case OTA_ERR_NOT_FOUND:
        return "no partition with that label / type / subtype";
    case OTA_ERR_PT_MAGIC:
        return "a row with a magic other than 0x50AA, 0xEBEB or 0xFFFF";
    case OTA_ERR_PT_MD5:
        return "MD5 row does not match the rows before it";
    case OTA_ERR_PT_BOUNDS:
        return "partition lies (partly) beyond the end of the flash";
    case OTA_ERR_PT_TOO_MANY:
        return "more rows than fit in the 3072-byte table";
    case OTA_ERR_PT_OVERLAP:
        return "two partitions share bytes";
    case OTA_ERR_PT_APP_ALIGN:
        return "app offset not 64 KiB aligned";
    case OTA_ERR_PT_SIZE_ALIGN:
        return "app size not a multiple of 4 KiB";
    case OTA_ERR_PT_DUP_NAME:
        return "two partitions with the same name";
    case OTA_ERR_PT_OTADATA:
        return "more than one data/ota partition, or its size is not 0x2000";
    case OTA_ERR_PT_SYNTAX:
        return "a CSV field that is not a number or a known name";
    case OTA_ERR_PT_UNKNOWN_TYPE:
        return "a type or subtype name the generator does not know";
    case OTA_ERR_PT_NAME_LEN:
        return "partition name longer than 16 characters";
    case OTA_ERR_PT_BELOW_TABLE:
        return "partition placed below the end of the partition table";
    case OTA_ERR_PT_OFFSET_ALIGN:
        return "data partition offset not 4 KiB aligned";
    case OTA_ERR_PT_NVS_SIZE:
        return "read/write nvs partition smaller than 0x3000";
    case OTA_ERR_PT_EMPTY:
        return "a table with no partition";
    case OTA_ERR_PT_FLAGS:
        return "unknown flag name";
    case OTA_ERR_PT_SIZE:
        return "size missing or zero";
    case OTA_ERR_OTADATA_NONE:
        return "neither otadata copy is usable (blank, bad CRC or aborted)";
    case OTA_ERR_OTADATA_CRC:
        return "an otadata copy whose CRC does not match its sequence";
    case OTA_ERR_OTADATA_NO_SLOT:
        return "the requested slot is not an OTA app partition";
    case OTA_ERR_PENDING_VERIFY:
        return "running app is still on trial; a new OTA is refused";
    case OTA_ERR_IMG_MAGIC:
        return "first byte is not 0xE9";
    case OTA_ERR_IMG_SEGMENTS:
        return "more than 16 segments";
    case OTA_ERR_IMG_SEG_LEN:
        return "segment length not a multiple of 4, or >= 16 MiB";
    case OTA_ERR_IMG_TRUNCATED:
        return "the image ended before its checksum / hash";
    case OTA_ERR_IMG_CHECKSUM:
        return "XOR checksum mismatch";
    case OTA_ERR_IMG_HASH:
        return "appended SHA-256 mismatch";
    case OTA_ERR_IMG_CHIP:
        return "chip id differs from the target";
    case OTA_ERR_IMG_CHIP_REV:
        return "chip revision outside the image's min/max";
    case OTA_ERR_IMG_TOO_BIG:
        return "image longer than its partition";
    case OTA_ERR_IMG_MAPPING:
        return "flash-mapped segment violates the 64 KiB page rule";
    case OTA_ERR_IMG_DESC:
        return "app descriptor magic is not 0xABCD5432";
    case OTA_ERR_IMG_SEG0_SMALL:
        return "app segment 0 shorter than the 256-byte descriptor";
    case OTA_ERR_IMG_TRAILING:
        return "bytes fed after the image was complete";
    case OTA_ERR_TONE_TAG:
        return "header tag is not 0x2053";
    case OTA_ERR_TONE_FORMAT:
        return "format is neither 0 nor 1";
    case OTA_ERR_TONE_TABLE:
        return "a file entry with a bad tag, index, or a range outside the image";
    case OTA_ERR_TONE_CRC:
        return "format-1 CRC does not match";
    case OTA_ERR_TONE_TAIL:
        return "format-1 tail 0xDFAC missing: image incomplete";
    case OTA_ERR_TONE_TRUNCATED:
        return "image shorter than its header and table say";
    case OTA_ERR_TONE_DESC:
        return "format-1 descriptor magic is not 0xF55F9876";
    case OTA_ERR_BOOT_NO_APP:
        return "no app partition holds a bootable image";
    case OTA_ERR_URI:
        return "URI malformed or its scheme is not http, https or file";
    case OTA_ERR_RESOLVE:
        return "host name does not resolve";
    case OTA_ERR_CONNECT:
        return "connection refused or unreachable";
    case OTA_ERR_TIMEOUT:
        return "no progress within the configured timeout";
    case OTA_ERR_TLS:
        return "TLS handshake or certificate verification failed";
    case OTA_ERR_HTTP_STATUS:
        return "the server answered with an HTTP error status";
    case OTA_ERR_SHORT_READ:
        return "the stream ended before its announced length";
    case OTA_ERR_TOO_MANY_REDIRECTS:
        return "more redirects than allowed";
    case OTA_ERR_FILE_NOT_FOUND:
        return "no such file on the SD card";
    case OTA_ERR_PATH_ESCAPE:
        return "file:// path leads outside the SD card folder";
    case OTA_ERR_STREAM:
        return "the transfer failed for another reason (see the log)";
    case OTA_ERR_INSECURE:
        return "plain http:// refused by configuration";
    case OTA_ERR_VERSION_FORMAT:
        return "incoming version is not of the form vA.B.C";
    case OTA_ERR_NOT_NEWER:
        return "incoming version is not higher than the running one";
    case OTA_ERR_PROJECT_NAME:
        return "descriptor project name is not the expected one";
    case OTA_ERR_DATA_TOO_BIG:
        return "data image longer than its partition";
    case OTA_ERR_NO_OTA_SLOT:
        return "no OTA app partition to update into";
    case OTA_ERR_CANCELLED:
        return "a callback asked to stop";
    case OTA_ERR_CONFIG_SYNTAX:
        return "a configuration line that is not KEY=VALUE";
    case OTA_ERR_SIG_MISSING:
        return "no Secure Boot V2 signature block after the image";
    case OTA_ERR_SIG_BLOCK:
        return "signature block with a bad magic, version or CRC";
    case OTA_ERR_SIG_DIGEST:
        return "the image digest in the block does not match the image";
    case OTA_ERR_SIG_INVALID:
        return "the signature does not verify with the block's key";
    case OTA_ERR_SIG_UNTRUSTED_KEY:
        return "the block's key is not the trusted key (eFuse digest)";
    case OTA_ERR_SIG_KEY:
        return "a key that cannot sign (type, size or curve not supported)";
    case OTA_ERR_SECURE_VERSION:
        return "app secure_version below the device's anti-rollback counter";
    }
    return "unknown error";
}
#endif

const char *ota_errname(int err)
{
    switch ((ota_err)err) {
    case OTA_OK:
        return "OTA_OK";
    case OTA_ERR_INVALID_ARG:
        return "OTA_ERR_INVALID_ARG";
    case OTA_ERR_IO:
        return "OTA_ERR_IO";
    case OTA_ERR_ALIGN:
        return "OTA_ERR_ALIGN";
    case OTA_ERR_OUT_OF_BOUNDS:
        return "OTA_ERR_OUT_OF_BOUNDS";
    case OTA_ERR_POWER_LOST:
        return "OTA_ERR_POWER_LOST";
    case OTA_ERR_NO_MEM:
        return "OTA_ERR_NO_MEM";
    case OTA_ERR_NOT_FOUND:
        return "OTA_ERR_NOT_FOUND";
    case OTA_ERR_PT_MAGIC:
        return "OTA_ERR_PT_MAGIC";
    case OTA_ERR_PT_MD5:
        return "OTA_ERR_PT_MD5";
    case OTA_ERR_PT_BOUNDS:
        return "OTA_ERR_PT_BOUNDS";
    case OTA_ERR_PT_TOO_MANY:
        return "OTA_ERR_PT_TOO_MANY";
    case OTA_ERR_PT_OVERLAP:
        return "OTA_ERR_PT_OVERLAP";
    case OTA_ERR_PT_APP_ALIGN:
        return "OTA_ERR_PT_APP_ALIGN";
    case OTA_ERR_PT_SIZE_ALIGN:
        return "OTA_ERR_PT_SIZE_ALIGN";
    case OTA_ERR_PT_DUP_NAME:
        return "OTA_ERR_PT_DUP_NAME";
    case OTA_ERR_PT_OTADATA:
        return "OTA_ERR_PT_OTADATA";
    case OTA_ERR_PT_SYNTAX:
        return "OTA_ERR_PT_SYNTAX";
    case OTA_ERR_PT_UNKNOWN_TYPE:
        return "OTA_ERR_PT_UNKNOWN_TYPE";
    case OTA_ERR_PT_NAME_LEN:
        return "OTA_ERR_PT_NAME_LEN";
    case OTA_ERR_PT_BELOW_TABLE:
        return "OTA_ERR_PT_BELOW_TABLE";
    case OTA_ERR_PT_OFFSET_ALIGN:
        return "OTA_ERR_PT_OFFSET_ALIGN";
    case OTA_ERR_PT_NVS_SIZE:
        return "OTA_ERR_PT_NVS_SIZE";
    case OTA_ERR_PT_EMPTY:
        return "OTA_ERR_PT_EMPTY";
    case OTA_ERR_PT_FLAGS:
        return "OTA_ERR_PT_FLAGS";
    case OTA_ERR_PT_SIZE:
        return "OTA_ERR_PT_SIZE";
    case OTA_ERR_OTADATA_NONE:
        return "OTA_ERR_OTADATA_NONE";
    case OTA_ERR_OTADATA_CRC:
        return "OTA_ERR_OTADATA_CRC";
    case OTA_ERR_OTADATA_NO_SLOT:
        return "OTA_ERR_OTADATA_NO_SLOT";
    case OTA_ERR_PENDING_VERIFY:
        return "OTA_ERR_PENDING_VERIFY";
    case OTA_ERR_IMG_MAGIC:
        return "OTA_ERR_IMG_MAGIC";
    case OTA_ERR_IMG_SEGMENTS:
        return "OTA_ERR_IMG_SEGMENTS";
    case OTA_ERR_IMG_SEG_LEN:
        return "OTA_ERR_IMG_SEG_LEN";
    case OTA_ERR_IMG_TRUNCATED:
        return "OTA_ERR_IMG_TRUNCATED";
    case OTA_ERR_IMG_CHECKSUM:
        return "OTA_ERR_IMG_CHECKSUM";
    case OTA_ERR_IMG_HASH:
        return "OTA_ERR_IMG_HASH";
    case OTA_ERR_IMG_CHIP:
        return "OTA_ERR_IMG_CHIP";
    case OTA_ERR_IMG_CHIP_REV:
        return "OTA_ERR_IMG_CHIP_REV";
    case OTA_ERR_IMG_TOO_BIG:
        return "OTA_ERR_IMG_TOO_BIG";
    case OTA_ERR_IMG_MAPPING:
        return "OTA_ERR_IMG_MAPPING";
    case OTA_ERR_IMG_DESC:
        return "OTA_ERR_IMG_DESC";
    case OTA_ERR_IMG_SEG0_SMALL:
        return "OTA_ERR_IMG_SEG0_SMALL";
    case OTA_ERR_IMG_TRAILING:
        return "OTA_ERR_IMG_TRAILING";
    case OTA_ERR_TONE_TAG:
        return "OTA_ERR_TONE_TAG";
    case OTA_ERR_TONE_FORMAT:
        return "OTA_ERR_TONE_FORMAT";
    case OTA_ERR_TONE_TABLE:
        return "OTA_ERR_TONE_TABLE";
    case OTA_ERR_TONE_CRC:
        return "OTA_ERR_TONE_CRC";
    case OTA_ERR_TONE_TAIL:
        return "OTA_ERR_TONE_TAIL";
    case OTA_ERR_TONE_TRUNCATED:
        return "OTA_ERR_TONE_TRUNCATED";
    case OTA_ERR_TONE_DESC:
        return "OTA_ERR_TONE_DESC";
    case OTA_ERR_BOOT_NO_APP:
        return "OTA_ERR_BOOT_NO_APP";
    case OTA_ERR_URI:
        return "OTA_ERR_URI";
    case OTA_ERR_RESOLVE:
        return "OTA_ERR_RESOLVE";
    case OTA_ERR_CONNECT:
        return "OTA_ERR_CONNECT";
    case OTA_ERR_TIMEOUT:
        return "OTA_ERR_TIMEOUT";
    case OTA_ERR_TLS:
        return "OTA_ERR_TLS";
    case OTA_ERR_HTTP_STATUS:
        return "OTA_ERR_HTTP_STATUS";
    case OTA_ERR_SHORT_READ:
        return "OTA_ERR_SHORT_READ";
    case OTA_ERR_TOO_MANY_REDIRECTS:
        return "OTA_ERR_TOO_MANY_REDIRECTS";
    case OTA_ERR_FILE_NOT_FOUND:
        return "OTA_ERR_FILE_NOT_FOUND";
    case OTA_ERR_PATH_ESCAPE:
        return "OTA_ERR_PATH_ESCAPE";
    case OTA_ERR_STREAM:
        return "OTA_ERR_STREAM";
    case OTA_ERR_INSECURE:
        return "OTA_ERR_INSECURE";
    case OTA_ERR_VERSION_FORMAT:
        return "OTA_ERR_VERSION_FORMAT";
    case OTA_ERR_NOT_NEWER:
        return "OTA_ERR_NOT_NEWER";
    case OTA_ERR_PROJECT_NAME:
        return "OTA_ERR_PROJECT_NAME";
    case OTA_ERR_DATA_TOO_BIG:
        return "OTA_ERR_DATA_TOO_BIG";
    case OTA_ERR_NO_OTA_SLOT:
        return "OTA_ERR_NO_OTA_SLOT";
    case OTA_ERR_CANCELLED:
        return "OTA_ERR_CANCELLED";
    case OTA_ERR_CONFIG_SYNTAX:
        return "OTA_ERR_CONFIG_SYNTAX";
    case OTA_ERR_SIG_MISSING:
        return "OTA_ERR_SIG_MISSING";
    case OTA_ERR_SIG_BLOCK:
        return "OTA_ERR_SIG_BLOCK";
    case OTA_ERR_SIG_DIGEST:
        return "OTA_ERR_SIG_DIGEST";
    case OTA_ERR_SIG_INVALID:
        return "OTA_ERR_SIG_INVALID";
    case OTA_ERR_SIG_UNTRUSTED_KEY:
        return "OTA_ERR_SIG_UNTRUSTED_KEY";
    case OTA_ERR_SIG_KEY:
        return "OTA_ERR_SIG_KEY";
    case OTA_ERR_SECURE_VERSION:
        return "OTA_ERR_SECURE_VERSION";
    }
    return "OTA_ERR_UNKNOWN";
}
