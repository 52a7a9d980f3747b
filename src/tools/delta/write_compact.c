#include "delta_make.h"
int delta_write_compact(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                        const struct delta_plan *plan, struct delta_buf *out)
{
    (void)old; (void)old_len; (void)nw; (void)new_len; (void)plan; (void)out;
    return -1;
}
