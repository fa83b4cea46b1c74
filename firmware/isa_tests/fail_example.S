/*
 * fail_example: deliberately fails check number 3, so the run must end with
 * exit code 3 (tohost = (3 << 1) | 1 = 7). Used by an end-to-end test of the
 * tohost path and of failure reporting.
 */
#include "isa_test.h"

    TEST_BEGIN

    li x1, 1
    CHECK 1, x1, 1
    addi x1, x1, 1
    CHECK 2, x1, 2
    addi x1, x1, 1
    CHECK 3, x1, 4              /* wrong on purpose: x1 is 3 */
    CHECK 4, x1, 3              /* never reached */

    TEST_END
