# Our sources on ESP-IDF meet the host build's bar: warnings are errors.
# ESP-IDF's global flags already hold -Wall -Wextra -Werror (CMake drops a
# target's duplicates of them) and then relax them: -Wno-error= for unused
# functions, variables and deprecated calls and for all of -Wextra, and
# -Wno- for unused parameters, sign comparison, enum conversion and
# old-style declarations. A target's own options come after the global
# ones, so each relaxation is undone here, by name, but one: unused
# parameters stay allowed, since ESP-IDF's own FreeRTOS header for the linux
# target (spinlock.h) has them (the host build checks that one for the core).
function(ota_strict_warnings target)
    target_compile_options(${target} PRIVATE
        -Werror=unused-function -Werror=unused-variable -Werror=unused-but-set-variable
        -Werror=deprecated-declarations -Werror=extra
        -Wsign-compare -Wenum-conversion -Wold-style-declaration
        -Wshadow -Wvla -Wstrict-prototypes)
endfunction()
