/*
 * The logistic curve's knots (compact_mix.h): one copy in the core, which
 * the compact patch decoder's mixer and the compressed-image decoder's
 * squash table both read.
 */
#include "compact_model.h"

const int16_t cm_squash_knots[CM_SQUASH_KNOTS] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                                                  310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                                                  3901, 3975, 4024, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
