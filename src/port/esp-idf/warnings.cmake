# Our sources on ESP-IDF are checked as the host build checks them: the same
# warnings. ESP-IDF's global flags hold -Wall -Wextra -Werror (CMake drops a
# target's duplicates of them) and then relax them: -Wno-error= for unused
# functions, variables and deprecated calls and for all of -Wextra, and
# -Wno- for unused parameters, sign comparison, enum conversion and
# old-style declarations. A target's own options come after the global
# ones, so each warning is turned back on here, by name, but one: unused
# parameters stay allowed, since ESP-IDF's own FreeRTOS header for the linux
# target (spinlock.h) has them (the host build checks that one for the core).
#
# As errors only when the build asks for it (OTA_WERROR: our CI phase,
# scripts/test-esp-idf, sets it): a firmware that uses the component keeps
# its own policy, and a newer compiler's new warning in our sources stays a
# warning there, never a broken build.
option(OTA_WERROR "ota_service: warnings in the component's sources are errors" OFF)
function(ota_strict_warnings target)
    set(named unused-function unused-variable unused-but-set-variable deprecated-declarations extra
        sign-compare enum-conversion old-style-declaration shadow vla strict-prototypes)
    foreach(w ${named})
        target_compile_options(${target} PRIVATE -W${w})
        if(OTA_WERROR)
            target_compile_options(${target} PRIVATE -Werror=${w})
        else()
            target_compile_options(${target} PRIVATE -Wno-error=${w})
        endif()
    endforeach()
endfunction()
