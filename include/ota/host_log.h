/* Host port logging: ESP-IDF style lines on stdout, "L (ms) TAG: message". */
#ifndef OTA_HOST_LOG_H
#define OTA_HOST_LOG_H

#include "ota/log.h"

/* Lines above this level are dropped (default OTA_LOG_INFO). */
void ota_host_log_set_level(enum ota_log_level level);

#endif
