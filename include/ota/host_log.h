/* Host port logging: ESP-IDF style lines on stdout, "L (ms) TAG: message". */
#ifndef OTA_HOST_LOG_H
#define OTA_HOST_LOG_H

#include <stdbool.h>

#include "ota/log.h"

/* Lines above this level are dropped (default OTA_LOG_INFO). */
void ota_host_log_set_level(enum ota_log_level level);

/* Drop every line (power-cut sweeps run thousands of updates). */
void ota_host_log_mute(bool mute);

#endif
