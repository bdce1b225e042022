/*  test_resident.c - memory made resident when it is made. */

#include "resident.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define S_PAGES 4096 /* 16 MiB of 4 KiB pages */

//  This process's resident pages, from /proc/self/statm.
static long
s_rss_pages (void)
{
    FILE *file = fopen ("/proc/self/statm", "r");
    assert_non_null (file);
    long size = 0, resident = -1;
    assert_int_equal (fscanf (file, "%ld %ld", &size, &resident), 2);
    fclose (file);
    return resident;
}

//  Fresh anonymous pages are not resident until written (a read maps
//  the shared zero page, which the resident size does not count). After
//  resident_touch every page the block covers is the process's own,
//  from its first byte's page to its last's, and no page outside it is
//  touched. The bytes stay zero.
static void
test_resident_touch_brings_in_every_page_of_the_block_and_no_other (void **state)
{
    (void) state;
    size_t page = (size_t)sysconf (_SC_PAGESIZE);
    unsigned char *base =
        mmap (NULL, S_PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true (base != MAP_FAILED);
    static unsigned char in [S_PAGES];
    assert_int_equal (mincore (base, S_PAGES * page, in), 0);
    for (size_t i = 0; i < S_PAGES; i++)
        assert_int_equal (in [i] & 1, 0);
    //  A block from the middle of page 3 to the middle of the page
    //  before the last: S_PAGES - 3 pages in all.
    unsigned char *block = base + 3 * page + page / 2;
    size_t size = (S_PAGES - 5) * page;
    long before = s_rss_pages ();
    resident_touch (block, size);
    long after = s_rss_pages ();
    assert_true (after - before >= S_PAGES - 3);
    assert_int_equal (mincore (base, S_PAGES * page, in), 0);
    for (size_t i = 0; i < S_PAGES; i++)
        assert_int_equal (in [i] & 1, i >= 3 && i <= S_PAGES - 2);
    //  Nothing to touch: nothing is.
    resident_touch (base + page, 0);
    assert_int_equal (mincore (base, page * 2, in), 0);
    assert_int_equal (in [1] & 1, 0);
    for (size_t i = 0; i < size; i++)
        assert_int_equal (block [i], 0);
    munmap (base, S_PAGES * page);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_resident_touch_brings_in_every_page_of_the_block_and_no_other),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
