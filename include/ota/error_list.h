/*
 * The one list of error codes: X(NAME, VALUE, MESSAGE).
 *
 * error.h makes the enum from it and error.c the names and messages, so a
 * code cannot exist without its sentence. Values are explicit and never
 * change: a retired code keeps its slot, a new code takes a free value in
 * its group. Include only through ota/error.h.
 */
#ifndef OTA_ERROR_LIST_H
#define OTA_ERROR_LIST_H

#define OTA_ERROR_LIST(X) \
    X(OTA_OK, 0, "success") \
    /* generic */ \
    X(OTA_ERR_INVALID_ARG, -1, "a NULL pointer or an argument out of its domain") \
    X(OTA_ERR_IO, -2, "a read, write or erase of storage failed") \
    X(OTA_ERR_ALIGN, -3, "erase not on a sector boundary, program across a page") \
    X(OTA_ERR_OUT_OF_BOUNDS, -4, "address range past the end of the flash or partition") \
    X(OTA_ERR_POWER_LOST, -5, "emulated power cut: the device is off until restarted") \
    X(OTA_ERR_NO_MEM, -6, "a caller-supplied buffer or table is too small") \
    X(OTA_ERR_NOT_FOUND, -7, "no partition with that label / type / subtype") \
    /* partition table (binary and CSV) */ \
    X(OTA_ERR_PT_MAGIC, -20, "a row with a magic other than 0x50AA, 0xEBEB or 0xFFFF") \
    X(OTA_ERR_PT_MD5, -21, "MD5 row does not match the rows before it") \
    X(OTA_ERR_PT_BOUNDS, -22, "partition lies (partly) beyond the end of the flash") \
    X(OTA_ERR_PT_TOO_MANY, -23, "more rows than fit in the 3072-byte table") \
    X(OTA_ERR_PT_OVERLAP, -24, "two partitions share bytes") \
    X(OTA_ERR_PT_APP_ALIGN, -25, "app offset not 64 KiB aligned") \
    X(OTA_ERR_PT_SIZE_ALIGN, -26, "app size not a multiple of 4 KiB") \
    X(OTA_ERR_PT_DUP_NAME, -27, "two partitions with the same name") \
    X(OTA_ERR_PT_OTADATA, -28, "more than one data/ota (or data/tee_ota) partition, or its size is not 0x2000") \
    X(OTA_ERR_PT_SYNTAX, -29, "a CSV field that is not a number or a known name") \
    X(OTA_ERR_PT_UNKNOWN_TYPE, -30, "a type or subtype name the generator does not know") \
    X(OTA_ERR_PT_NAME_LEN, -31, "partition name longer than 16 characters") \
    X(OTA_ERR_PT_BELOW_TABLE, -32, "partition placed below the end of the partition table") \
    X(OTA_ERR_PT_OFFSET_ALIGN, -33, "data partition offset not 4 KiB aligned") \
    X(OTA_ERR_PT_NVS_SIZE, -34, "read/write nvs partition smaller than 0x3000") \
    X(OTA_ERR_PT_EMPTY, -35, "a table with no partition") \
    X(OTA_ERR_PT_FLAGS, -36, "unknown flag name") \
    X(OTA_ERR_PT_SIZE, -37, "size missing or zero") \
    X(OTA_ERR_PT_ORDER, -38, "partition offsets out of order: a row starts before the row above it") \
    X(OTA_ERR_PT_READONLY, -39, "otadata and coredump partitions are always read-write: readonly refused") \
    /* otadata */ \
    X(OTA_ERR_OTADATA_NONE, -40, "neither otadata copy is usable (blank, bad CRC or aborted)") \
    X(OTA_ERR_OTADATA_CRC, -41, "an otadata copy whose CRC does not match its sequence") \
    X(OTA_ERR_OTADATA_NO_SLOT, -42, "the requested slot is not an OTA app partition") \
    X(OTA_ERR_PENDING_VERIFY, -43, "running app is still on trial; a new OTA is refused") \
    X(OTA_ERR_OTADATA_SEQ_WRAP, -44, "no otadata sequence number is left to select that slot (the counter would wrap)") \
    X(OTA_ERR_OTA_ROLLBACK_FAILED, -45, "rollback is not possible: no other app to boot (the running app stays)") \
    /* app image */ \
    X(OTA_ERR_IMG_MAGIC, -50, "first byte is not 0xE9") \
    X(OTA_ERR_IMG_SEGMENTS, -51, "more than 16 segments") \
    X(OTA_ERR_IMG_SEG_LEN, -52, "segment length not a multiple of 4, or >= 16 MiB") \
    X(OTA_ERR_IMG_TRUNCATED, -53, "the image ended before its checksum / hash") \
    X(OTA_ERR_IMG_CHECKSUM, -54, "XOR checksum mismatch") \
    X(OTA_ERR_IMG_HASH, -55, "appended SHA-256 mismatch") \
    X(OTA_ERR_IMG_CHIP, -56, "chip id differs from the target") \
    X(OTA_ERR_IMG_CHIP_REV, -57, "chip revision outside the image's min/max") \
    X(OTA_ERR_IMG_TOO_BIG, -58, "image longer than its partition") \
    X(OTA_ERR_IMG_MAPPING, -59, "flash-mapped segment violates the 64 KiB page rule") \
    X(OTA_ERR_IMG_DESC, -60, "app descriptor magic is not 0xABCD5432") \
    X(OTA_ERR_IMG_SEG0_SMALL, -61, "app segment 0 shorter than the 256-byte descriptor") \
    X(OTA_ERR_IMG_TRAILING, -62, "bytes fed after the image was complete") \
    X(OTA_ERR_IMG_LOAD_ADDR, -63, "a segment loads outside the chip's DRAM, IRAM, RTC memory or flash-mapped ranges, or runs past the end of its range") \
    X(OTA_ERR_IMG_CHIP_MAP, -64, "no memory map is known for this chip: its images are refused") \
    /* tone partition */ \
    X(OTA_ERR_TONE_TAG, -70, "header tag is not 0x2053") \
    X(OTA_ERR_TONE_FORMAT, -71, "format is neither 0 nor 1") \
    X(OTA_ERR_TONE_TABLE, -72, "a file entry with a bad tag, index, or a range outside the image") \
    X(OTA_ERR_TONE_CRC, -73, "format-1 CRC does not match") \
    X(OTA_ERR_TONE_TAIL, -74, "format-1 tail 0xDFAC missing: image incomplete") \
    X(OTA_ERR_TONE_TRUNCATED, -75, "image shorter than its header and table say") \
    X(OTA_ERR_TONE_DESC, -76, "format-1 descriptor magic is not 0xF55F9876") \
    /* boot */ \
    X(OTA_ERR_BOOT_NO_APP, -80, "no app partition holds a bootable image") \
    /* sources (http, https, file) */ \
    X(OTA_ERR_URI, -90, "URI malformed or its scheme is not http, https or file") \
    X(OTA_ERR_RESOLVE, -91, "host name does not resolve") \
    X(OTA_ERR_CONNECT, -92, "connection refused or unreachable") \
    X(OTA_ERR_TIMEOUT, -93, "no progress within the configured timeout") \
    X(OTA_ERR_TLS, -94, "TLS handshake or certificate verification failed") \
    X(OTA_ERR_HTTP_STATUS, -95, "the server answered with an HTTP error status") \
    X(OTA_ERR_SHORT_READ, -96, "the stream ended before its announced length") \
    X(OTA_ERR_TOO_MANY_REDIRECTS, -97, "more redirects than allowed") \
    X(OTA_ERR_FILE_NOT_FOUND, -98, "no such file on the SD card") \
    X(OTA_ERR_PATH_ESCAPE, -99, "file:// path leads outside the SD card folder") \
    X(OTA_ERR_STREAM, -100, "the transfer failed for another reason (see the log)") \
    X(OTA_ERR_INSECURE, -101, "plain http:// refused by configuration") \
    X(OTA_ERR_RANGE, -102, "the server cannot send the requested range (HTTP 416)") \
    /* service */ \
    X(OTA_ERR_VERSION_FORMAT, -110, "incoming version is not of the form vA.B.C") \
    X(OTA_ERR_NOT_NEWER, -111, "incoming version is not higher than the running one") \
    X(OTA_ERR_PROJECT_NAME, -112, "descriptor project name is not the expected one") \
    X(OTA_ERR_DATA_TOO_BIG, -113, "data image longer than its partition") \
    X(OTA_ERR_NO_OTA_SLOT, -114, "no OTA app partition to update into") \
    X(OTA_ERR_CANCELLED, -115, "a callback asked to stop") \
    X(OTA_ERR_CONFIG_SYNTAX, -116, "a configuration line that is not KEY=VALUE") \
    X(OTA_ERR_CONFIG_BOOL, -117, "a yes/no setting that is neither y nor n") \
    X(OTA_ERR_TARGET_NOT_OTA, -120, "the target is an app partition but not an OTA slot (factory or test): otadata cannot select it") \
    X(OTA_ERR_MORE_THAN_ANNOUNCED, -121, "more bytes than the announced image length") \
    X(OTA_ERR_SEEK_UNWRITTEN, -122, "seek past the bytes written so far: only what is in flash can be gone back to") \
    /* signatures and anti-rollback */ \
    X(OTA_ERR_SIG_MISSING, -130, "no Secure Boot V2 signature block after the image") \
    X(OTA_ERR_SIG_BLOCK, -131, "signature block with a bad magic, version or CRC") \
    X(OTA_ERR_SIG_DIGEST, -132, "the image digest in the block does not match the image") \
    X(OTA_ERR_SIG_INVALID, -133, "the signature does not verify with the block's key") \
    X(OTA_ERR_SIG_UNTRUSTED_KEY, -134, "the block's key is not the trusted key (eFuse digest)") \
    X(OTA_ERR_SIG_KEY, -135, "a key that cannot sign (type, size or curve not supported)") \
    X(OTA_ERR_SECURE_VERSION, -136, "app secure_version below the device's anti-rollback counter") \
    X(OTA_ERR_SIG_SCHEME, -137, "a signature scheme this chip's Secure Boot V2 does not take (ESP32, -S2, -S3, -C3: RSA-3072 only)") \
    /* integrity of what was written (-140..-149) */ \
    X(OTA_ERR_READBACK, -140, "flash read back differs from what was written") \
    X(OTA_ERR_SOURCE_CHANGED, -141, "the source changed during the transfer: start over from byte 0") \
    X(OTA_ERR_PROTECTED, -142, "refused: the target is the running app, otadata, the bootloader or the partition table") \
    X(OTA_ERR_PT_RECOVERY_OFFSET, -143, "a recovery bootloader partition needs its eFuse-fixed offset, which is not configured") \
    /* delta patches (-150..-169) */ \
    X(OTA_ERR_DELTA_FORMAT, -150, "not a patch this applier knows (esp_delta_ota, detools sequential or compact)") \
    X(OTA_ERR_DELTA_BASE, -151, "the patch is made for another base image: its digest differs from the running app") \
    X(OTA_ERR_DELTA_CORRUPT, -152, "patch data inconsistent: a length or seek outside the old or new image") \
    X(OTA_ERR_DELTA_TRUNCATED, -153, "the patch ended before the new image was complete") \
    X(OTA_ERR_DELTA_TRAILING, -154, "bytes after the end of the patch") \
    X(OTA_ERR_DELTA_UNSUPPORTED, -155, "a patch type, compression or parameter this applier does not support") \
    X(OTA_ERR_DELTA_RESULT, -156, "the patched image's SHA-256 differs from the one the patch names") \
    X(OTA_ERR_DELTA_STATE, -157, "patch call out of order: write after finish or after an error") \
    X(OTA_ERR_DELTA_OUTPUT_BOUND, -158, "the patch makes a new image longer than its bound (the size the manifest signs, or the target slot)") \
    X(OTA_ERR_DELTA_INPUT_BOUND, -159, "the patch is longer than its bound (the size the manifest signs, or the target slot)") \
    X(OTA_ERR_DELTA_STALLED, -160, "the patch goes on without producing output (a run of empty steps): corrupt or hostile") \
    X(OTA_ERR_DELTA_VERSION, -163, "a compact patch of a format version this applier does not know: make it again with this release's tool") \
    /* release manifests (-170..-179) */ \
    X(OTA_ERR_MANIFEST_SYNTAX, -170, "release manifest is not strict JSON of its format (1 or 2), or a field is missing, repeated, unknown or out of range") \
    X(OTA_ERR_MANIFEST_FORMAT, -171, "release manifest of a format version this device does not know") \
    X(OTA_ERR_MANIFEST_SIGNATURE, -172, "release manifest signature missing, or not made by the trusted manifest key") \
    X(OTA_ERR_MANIFEST_REPLAY, -173, "release manifest serial lower than the last one this device accepted (an old manifest replayed)") \
    X(OTA_ERR_MANIFEST_PROJECT, -174, "the release is for another project") \
    X(OTA_ERR_MANIFEST_CHIP, -175, "the release is for another chip") \
    X(OTA_ERR_MANIFEST_PATCH_DIGEST, -176, "the patch's size or SHA-256 differs from the signed manifest's") \
    X(OTA_ERR_MANIFEST_IMAGE_DIGEST, -177, "the installed image's size or SHA-256 differs from the signed manifest's") \
    X(OTA_ERR_MANIFEST_TOO_BIG, -178, "release manifest longer than the device's manifest buffer") \
    X(OTA_ERR_MANIFEST_SIG_TOO_BIG, -179, "release manifest signature file longer than one signature sector (4096 bytes)") \
    /* host port: device files, locks, transfers, limits (-180..-194) */ \
    X(OTA_ERR_DEVICE_BUSY, -180, "device busy: another command is writing this device image") \
    X(OTA_ERR_DEVICE_SHRUNK, -181, "the device image file shrank or vanished while in use") \
    X(OTA_ERR_EFUSE_FILE, -182, "the emulated eFuse file is unreadable or malformed") \
    X(OTA_ERR_DEVICE_PROPS, -183, "the device properties file is unreadable or malformed, or contradicts the command") \
    X(OTA_ERR_NOT_REGULAR, -184, "a directory, FIFO or device stands where a regular file should be") \
    X(OTA_ERR_NO_SPACE, -185, "the disk is full (or over quota): nothing was written") \
    X(OTA_ERR_REDIRECT_NO_LOCATION, -186, "a redirect (HTTP 3xx) without a Location header") \
    X(OTA_ERR_DEADLINE, -187, "the item did not arrive within its overall deadline") \
    X(OTA_ERR_LOW_SPEED, -188, "the transfer stayed below the low-speed limit for the low-speed time") \
    X(OTA_ERR_TOO_LONG, -189, "a URI, label or configuration value longer than its limit") \
    /* releases on the device: the serial store (-195..-196) */ \
    X(OTA_ERR_RELEASE_NO_SERIAL_STORE, -195, "this firmware keeps no release serial (no replay protection): manifests are refused unless the integrator opts out") \
    X(OTA_ERR_RELEASE_RECORD, -196, "the device's release record (accepted serial) is empty, cut short, oversized or malformed: no release installs until it is repaired") \
    /* the emulated device's eFuses (-198..-199) */ \
    X(OTA_ERR_EFUSE_LOST, -199, "eFuses were burned on this device, but their record is missing, emptied or below what was burned") \
    X(OTA_ERR_EFUSE_DOWN, -198, "the anti-rollback counter only rises: a lower value cannot be burned") \
    /* DDI client: responses, deployments, the pending-action record (-200..-209) */ \
    X(OTA_ERR_DDI_SYNTAX, -200, "a DDI server response is not strict JSON, or holds more values or nests deeper than the client takes") \
    X(OTA_ERR_DDI_TOO_BIG, -201, "a DDI server response longer than the client's response buffer") \
    X(OTA_ERR_DDI_FIELD, -202, "a DDI server response lacks a field the client needs, or has it mistyped or out of range") \
    X(OTA_ERR_DDI_DEPLOYMENT, -203, "a DDI deployment this device cannot map: no chunk, too many, two apps, not one artifact a chunk, or no such partition") \
    X(OTA_ERR_DDI_DIGEST, -204, "the downloaded artifact's size or SHA-256 differs from the deployment's") \
    X(OTA_ERR_DDI_CANCELLED, -205, "the server cancelled the action before the switch: the running app stays") \
    X(OTA_ERR_DDI_RECORD, -206, "the pending-action record is unreadable or malformed") \
    X(OTA_ERR_DDI_NO_API, -207, "this port's transport cannot send API requests (no exchange)") \
    X(OTA_ERR_ACTIVATION_DEFERRED, -208, "the app deferred the activation: the new image is verified in its slot, the running app stays selected") \
    /* encrypted images (-210..-219) */ \
    X(OTA_ERR_DECRYPT_NO_KEY, -210, "the image is encrypted and this device has no decryption key (--decrypt-key, CONFIG_OTA_DECRYPT_KEY)") \
    X(OTA_ERR_DECRYPT_HEADER, -211, "the encrypted image's header is malformed (magic, version, scheme or sizes)") \
    X(OTA_ERR_DECRYPT_KEY, -212, "the image's key does not open with this device's key: encrypted for another device or key, or a key of the wrong kind") \
    X(OTA_ERR_DECRYPT_TAG, -213, "the encrypted image failed authentication (GCM tag): altered, or encrypted for another key") \
    X(OTA_ERR_DECRYPT_LENGTH, -214, "the encrypted image is cut short, or has bytes after the length its header gives") \
    X(OTA_ERR_DECRYPT_KEY_FILE, -215, "the decryption key file is unreadable, or not an RSA-3072 or P-256 private key (PEM) or a 32-byte HMAC key") \
    X(OTA_ERR_DECRYPT_CRYPTO, -216, "the crypto port failed to decrypt (out of memory or an unsupported operation)") \
    X(OTA_ERR_DECRYPT_SCHEME, -217, "the image's key is wrapped for another kind of key (RSA-3072 / P-256) than this device's") \
    /* resumable decoders (-230..-239) */ \
    X(OTA_ERR_DELTA_CHECKPOINT, -230, "a decoder checkpoint that cannot be a sync point of this patch (out of range, off its interval): not resumed there") \
    X(OTA_ERR_MANIFEST_NO_ITEM, -240, "the release offers no item this device can apply (all encrypted and no decryption key, or compressed and no decoder)") \
    X(OTA_ERR_MANIFEST_ITEM_ORDER, -241, "release manifest (format 2) does not list its items smallest first") \
    X(OTA_ERR_MANIFEST_COMPRESSED_DIGEST, -242, "the compressed image's size or SHA-256 differs from the signed manifest's") \
    X(OTA_ERR_DELTA_RELOC_MAP, -243, "the patch's relocation map is corrupt (a piece of length 0 or past the address space)") \
    X(OTA_ERR_DELTA_RELOC_MAP_SIZE, -244, "the patch's relocation map does not fit the scratch region the applier has for it") \
    X(OTA_ERR_DELTA_RELOC_IMAGE, -245, "a patch that predicts relocations on an image that is not an ESP app image (or has more than 16 segments)") \
    X(OTA_ERR_DELTA_RELOC_TORN, -246, "the relocation map in the scratch region does not match its CRC-32 (torn by a power cut, or another patch's): start from byte 0") \
    /* groups kept free for: device trust (-144..-149), host port (-190..-194, -197) */

#endif
