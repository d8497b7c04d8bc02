/* The row walk of the binary elementwise kernels' 4-D broadcasting (mcu_broadcast), written once. */
#ifndef MCU_BROADCAST_ROWS_H
#define MCU_BROADCAST_ROWS_H

#include "mcu_engine.h"

/* For each row (i0, i1, i2) in order: OUTPUT = ROW(a, b, OUTPUT, n, c1, c2, ...), with a and b the first elements
 * of the row in INPUT1 and INPUT2 (const int8_t *), n = dims[3] elements, input 1 stepping c1 = stride1[3] and
 * input 2 c2 = stride2[3] elements; ROW (the kernel's static inline always_inline row) writes the row's n
 * outputs and returns the output after them. A macro, so that each kernel's row code is compiled inside the
 * loop nest with its constants (the trailing arguments) in registers. */
#define MCU_BROADCAST_ROWS(SHAPE, INPUT1, INPUT2, OUTPUT, ROW, ...) \
    do { \
        const int32_t *mcu_d_ = (SHAPE)->dims, *mcu_s1_ = (SHAPE)->stride1, *mcu_s2_ = (SHAPE)->stride2; \
        const int32_t mcu_n_ = mcu_d_[3], mcu_c1_ = mcu_s1_[3], mcu_c2_ = mcu_s2_[3]; \
        for (int32_t mcu_i0_ = 0; mcu_i0_ < mcu_d_[0]; ++mcu_i0_) { \
            for (int32_t mcu_i1_ = 0; mcu_i1_ < mcu_d_[1]; ++mcu_i1_) { \
                for (int32_t mcu_i2_ = 0; mcu_i2_ < mcu_d_[2]; ++mcu_i2_) { \
                    (OUTPUT) = ROW((INPUT1) + mcu_i0_ * mcu_s1_[0] + mcu_i1_ * mcu_s1_[1] + mcu_i2_ * mcu_s1_[2], \
                                   (INPUT2) + mcu_i0_ * mcu_s2_[0] + mcu_i1_ * mcu_s2_[1] + mcu_i2_ * mcu_s2_[2], \
                                   (OUTPUT), mcu_n_, mcu_c1_, mcu_c2_, __VA_ARGS__); \
                } \
            } \
        } \
    } while (0)

#endif
