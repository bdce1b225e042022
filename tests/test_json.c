/*  test_json.c - the one JSON writer: escaping, and valid JSON whatever
    bytes it is given (entries stored before the codec refused invalid
    UTF-8 may hold any).                                                  */

#include "json.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  The writer's text for one string value.
static const char *
s_string (json_t *json, const char *value)
{
    json_reset (json);
    json_str (json, value);
    const char *text = json_text (json);
    assert_non_null (text);
    return text;
}

//  Whether the whole text is well-formed UTF-8.
static bool
s_well_formed (const char *text)
{
    uint32_t code;
    for (size_t at = 0, len = strlen (text), size; at < len; at += size)
        if (!(size = utf8_decode (text + at, len - at, &code)))
            return false;
    return true;
}

static void
test_json_escapes_what_json_requires (void **state)
{
    (void) state;
    json_t json = {0};
    assert_string_equal (s_string (&json, "say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
    assert_string_equal (s_string (&json, "a\tb\nc\rd"), "\"a\\tb\\nc\\rd\"");
    assert_string_equal (s_string (&json, "\x1b[2J\x01"), "\"\\u001b[2J\\u0001\"");
    assert_string_equal (s_string (&json, NULL), "\"\"");
    json_release (&json);
}

static void
test_json_keeps_well_formed_text_as_it_is (void **state)
{
    (void) state;
    json_t json = {0};
    assert_string_equal (s_string (&json, "Bogot\xc3\xa1"), "\"Bogot\xc3\xa1\"");
    assert_string_equal (s_string (&json, "\xe6\x9d\xb1\xe4\xba\xac"),
                         "\"\xe6\x9d\xb1\xe4\xba\xac\"");
    assert_string_equal (s_string (&json, "\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
    json_release (&json);
}

static void
test_json_writes_invalid_utf8_as_replacement_characters (void **state)
{
    (void) state;
    json_t json = {0};
    //  One U+FFFD (EF BF BD) for each byte that is not part of a character.
    assert_string_equal (s_string (&json, "\xff\xfe"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    assert_string_equal (s_string (&json, "a\xc0\xaf-z"), "\"a\xef\xbf\xbd\xef\xbf\xbd-z\"");
    assert_string_equal (s_string (&json, "\xed\xa0\x80"),
                         "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    assert_string_equal (s_string (&json, "\xe2\x82"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    //  A character cut short before a quote does not swallow the quote.
    assert_string_equal (s_string (&json, "\xe2\"x"), "\"\xef\xbf\xbd\\\"x\"");
    assert_true (s_well_formed (s_string (&json, "caf\xe9 \xf4\x90\x80\x80 \x80")));
    //  Keys are written the same way.
    json_reset (&json);
    json_object (&json);
    json_key (&json, "k\xff");
    json_str (&json, "v");
    json_object_end (&json);
    assert_string_equal (json_text (&json), "{\"k\xef\xbf\xbd\":\"v\"}");
    json_release (&json);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_json_escapes_what_json_requires),
        cmocka_unit_test (test_json_keeps_well_formed_text_as_it_is),
        cmocka_unit_test (test_json_writes_invalid_utf8_as_replacement_characters),
    };
    return cmocka_run_group_tests_name ("json", tests, NULL, NULL);
}
