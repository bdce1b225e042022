/*  test_keys.c - public keys as users give them: Z85 text or a file. */

#include "keys.h"

#include "harness.h"

#include <czmq.h>
#include <limits.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void
test_keys_z85_text_is_taken_as_it_is (void **state)
{
    (void) state;
    zcert_t *cert = zcert_new ();
    char key [KEYS_Z85_LEN + 1];
    assert_true (keys_public (zcert_public_txt (cert), key));
    assert_string_equal (key, zcert_public_txt (cert));
    assert_false (keys_public ("not a key", key));
    assert_false (keys_public ("", key));
    zcert_destroy (&cert);
}

//  A certificate whose path is exactly 40 characters of valid Z85 (every
//  character of a path like /tmp/x/aaaa/hub is one) is read as a file.
static void
test_keys_a_path_of_forty_characters_is_read_as_a_file (void **state)
{
    (void) state;
    //  Under /tmp whatever TMPDIR says: the path must stay short.
    char *dir = strdup ("/tmp/cibus-keys-XXXXXX");
    assert_non_null (dir);
    assert_non_null (mkdtemp (dir));
    char path [PATH_MAX];
    int len = snprintf (path, sizeof path, "%s/", dir);
    assert_true (len > 0 && len < KEYS_Z85_LEN - 4);
    //  Pad the file name so that the whole path is 40 characters.
    while (len < KEYS_Z85_LEN)
        path [len++] = 'a';
    path [len] = 0;
    uint8_t raw [32];
    assert_non_null (zmq_z85_decode (raw, path));
    zcert_t *cert = zcert_new ();
    assert_int_equal (zcert_save_public (cert, path), 0);
    char key [KEYS_Z85_LEN + 1];
    assert_true (keys_public (path, key));
    assert_string_equal (key, zcert_public_txt (cert));
    zcert_destroy (&cert);
    harness_rmtree (dir);
    free (dir);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_keys_z85_text_is_taken_as_it_is),
        cmocka_unit_test (test_keys_a_path_of_forty_characters_is_read_as_a_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
