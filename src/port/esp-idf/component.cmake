# The ESP-IDF component: the portable core and the ESP-IDF port, registered
# when ESP-IDF's build includes this directory (ESP_PLATFORM is set); the
# host build never reads this file.
set(ota_root ${CMAKE_CURRENT_LIST_DIR}/../../..)
# Every core source, the delta applier (src/core/delta) and the release item
# (src/core/service/release_*.c, src/core/manifest) included, and every port
# source: a firmware gets the whole library, and a file added to either
# folder joins the component without an edit here. (No CONFIGURE_DEPENDS:
# ESP-IDF also reads this file in CMake's script mode, which refuses it; a
# file added later needs `idf.py reconfigure`.)
file(GLOB_RECURSE ota_core_srcs ${ota_root}/src/core/*.c)
set(ota_port_dir ${ota_root}/src/port/esp-idf)
file(GLOB ota_port_srcs ${ota_port_dir}/*.c)

set(ota_priv_requires esp_partition esp_http_client esp-tls mbedtls log freertos esp_rom spi_flash)
if(NOT IDF_TARGET STREQUAL "linux")
    # esp_ota_get_running_partition(), eFuses, secure boot: none of them
    # exists on the linux target, and the port does not need them there
    list(APPEND ota_priv_requires app_update efuse bootloader_support esp_security)  # esp_hmac.h
endif()

idf_component_register(
    SRCS ${ota_core_srcs} ${ota_port_srcs}
    INCLUDE_DIRS ${ota_root}/include
    PRIV_INCLUDE_DIRS ${ota_port_dir}
    PRIV_REQUIRES ${ota_priv_requires})

if(NOT CONFIG_OTA_DECRYPT)
    # public: struct ota_app_update differs without the layer
    target_compile_definitions(${COMPONENT_LIB} PUBLIC OTA_NO_DECRYPT)
endif()

if(DEFINED CONFIG_LOG_MAXIMUM_LEVEL)
    # ESP-IDF's compile-time log ceiling (0 none, 1 error .. 5 verbose) holds
    # for the core's lines too: ours count from -1 none, 0 error.
    math(EXPR ota_log_maximum_level "${CONFIG_LOG_MAXIMUM_LEVEL} - 1")
    target_compile_definitions(${COMPONENT_LIB} PUBLIC OTA_LOG_MAXIMUM_LEVEL=${ota_log_maximum_level})
endif()

# The same warnings as the host build (as errors under OTA_WERROR): the core is checked by both.
include(${ota_port_dir}/warnings.cmake)
ota_strict_warnings(${COMPONENT_LIB})
