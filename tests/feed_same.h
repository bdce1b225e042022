/*  feed_same.h - whether two feeds read the same: the tests' and the
    fuzzer's check that feed_read, in two parts side by side, gives what
    feed_push gives for the same bytes.                                   */

#ifndef CIBUS_FEED_SAME_H_INCLUDED
#define CIBUS_FEED_SAME_H_INCLUDED

#include "feed.h"

/* NULL when a and b hold the same tables (every field, cell, line, id
   and refusal), problems, and counts of lines, rows and skipped rows;
   otherwise the first difference, in words (a static buffer). Both must
   be finished. */
const char *feed_same (feed_t *a, feed_t *b);

#endif
