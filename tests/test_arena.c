/*  test_arena.c - many small copies that live and die together. */

#include "arena.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_PIECES 20000

//  Pieces of every size from 1 to 300 bytes, across many blocks: each
//  aligned for any type, zeroed, and apart from every other (each keeps
//  the pattern written into it until the arena goes).
static void
test_arena_pieces_are_aligned_zeroed_and_apart (void **state)
{
    (void) state;
    arena_t *arena = arena_new ();
    assert_non_null (arena);
    unsigned char **pieces = calloc (S_PIECES, sizeof *pieces);
    assert_non_null (pieces);
    for (size_t i = 0; i < S_PIECES; i++) {
        size_t size = 1 + i % 300;
        pieces [i] = arena_alloc (arena, size);
        assert_non_null (pieces [i]);
        assert_int_equal ((uintptr_t) pieces [i] % _Alignof (max_align_t), 0);
        for (size_t b = 0; b < size; b++)
            assert_int_equal (pieces [i][b], 0);
        memset (pieces [i], (int) (i % 251) + 1, size);
    }
    for (size_t i = 0; i < S_PIECES; i++)
        for (size_t b = 0; b < 1 + i % 300; b++)
            assert_int_equal (pieces [i][b], (int) (i % 251) + 1);
    free (pieces);
    arena_destroy (&arena);
    assert_null (arena);
    arena_destroy (&arena);
}

//  A piece larger than a block has one of its own, and the block in use
//  goes on serving the small pieces after it.
static void
test_arena_a_large_piece_has_a_block_of_its_own (void **state)
{
    (void) state;
    arena_t *arena = arena_new ();
    assert_non_null (arena);
    char *small = arena_alloc (arena, 16);
    size_t large_size = 3 * 1024 * 1024;
    unsigned char *large = arena_alloc (arena, large_size);
    char *after = arena_alloc (arena, 16);
    assert_non_null (small);
    assert_non_null (large);
    assert_non_null (after);
    size_t align = _Alignof (max_align_t), step = (16 + align - 1) / align * align;
    assert_ptr_equal (after, small + step); //  the same block, next in it
    memset (large, 0xab, large_size);
    assert_int_equal (large [large_size - 1], 0xab);
    assert_null (arena_alloc (arena, SIZE_MAX - 8)); //  refused, not wrapped around
    arena_destroy (&arena);
}

//  A first piece larger than a first block, and one just under a block of
//  its own: each has all its bytes (ASan says so when it has not).
static void
test_arena_a_piece_larger_than_the_next_block_fits (void **state)
{
    (void) state;
    static const size_t sizes [] = {5000, 200000, 70000, 262144};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes [0]; i++) {
        arena_t *arena = arena_new ();
        assert_non_null (arena);
        unsigned char *piece = arena_alloc (arena, sizes [i]);
        assert_non_null (piece);
        memset (piece, 0x5a, sizes [i]);
        unsigned char *next = arena_alloc (arena, 64);
        assert_non_null (next);
        memset (next, 0xa5, 64);
        assert_int_equal (piece [sizes [i] - 1], 0x5a);
        arena_destroy (&arena);
    }
}

//  An arena made with a small first block (and one with none: 0) carves
//  pieces of every size as arena_new's does: each keeps its bytes, and
//  the next block is made when the first is full.
static void
test_arena_sized_first_block_carves_as_the_default (void **state)
{
    (void) state;
    static const size_t firsts [] = {0, 1, 100, 2048};
    for (size_t f = 0; f < sizeof firsts / sizeof firsts [0]; f++) {
        arena_t *arena = arena_new_sized (firsts [f]);
        assert_non_null (arena);
        unsigned char *pieces [64];
        for (size_t i = 0; i < 64; i++) {
            size_t size = 1 + (i * 37) % 700;
            pieces [i] = arena_alloc (arena, size);
            assert_non_null (pieces [i]);
            assert_int_equal (pieces [i][size - 1], 0);
            memset (pieces [i], (int)i, size);
        }
        for (size_t i = 0; i < 64; i++)
            assert_int_equal (pieces [i][(i * 37) % 700], (unsigned char)i);
        arena_destroy (&arena);
    }
}

static void
test_arena_strdup_copies_text_and_passes_null (void **state)
{
    (void) state;
    arena_t *arena = arena_new ();
    assert_non_null (arena);
    char text [] = "race=black";
    char *copy = arena_strdup (arena, text);
    text [0] = 'X';
    assert_string_equal (copy, "race=black");
    assert_string_equal (arena_strdup (arena, ""), "");
    assert_null (arena_strdup (arena, NULL));
    arena_destroy (&arena);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_arena_pieces_are_aligned_zeroed_and_apart),
        cmocka_unit_test (test_arena_a_large_piece_has_a_block_of_its_own),
        cmocka_unit_test (test_arena_a_piece_larger_than_the_next_block_fits),
        cmocka_unit_test (test_arena_sized_first_block_carves_as_the_default),
        cmocka_unit_test (test_arena_strdup_copies_text_and_passes_null),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
