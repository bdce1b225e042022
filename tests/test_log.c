/*  test_log.c - log lines stay one line whatever a client sends, and an
    event repeated at will is counted rather than written. */

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  ------------------------------------------------------------ stderr

//  What log_line writes, caught by pointing file descriptor 2 at a
//  temporary file. Asserts come after s_capture_end, so that a failure is
//  never written into the capture.
typedef struct {
    FILE *file;
    int saved;
    char text [8192];
    size_t size;
} s_capture_t;

static void
s_capture_begin (s_capture_t *self)
{
    memset (self, 0, sizeof *self);
    fflush (stderr);
    self->file = tmpfile ();
    assert_non_null (self->file);
    self->saved = dup (STDERR_FILENO);
    assert_true (self->saved >= 0);
    assert_true (dup2 (fileno (self->file), STDERR_FILENO) >= 0);
}

static void
s_capture_end (s_capture_t *self)
{
    fflush (stderr);
    dup2 (self->saved, STDERR_FILENO);
    close (self->saved);
    rewind (self->file);
    self->size = fread (self->text, 1, sizeof self->text - 1, self->file);
    self->text [self->size] = '\0';
    fclose (self->file);
}

static size_t
s_lines (const s_capture_t *self)
{
    size_t lines = 0;
    for (size_t i = 0; i < self->size; i++)
        lines += self->text [i] == '\n';
    return lines;
}

//  The nth line (from 0) without its timestamp: "warn  event=...\n".
static const char *
s_line_body (const s_capture_t *self, size_t nth, char *out, size_t size)
{
    const char *line = self->text;
    for (size_t i = 0; i < nth && line; i++) {
        line = strchr (line, '\n');
        line = line ? line + 1 : NULL;
    }
    assert_non_null (line);
    const char *body = strchr (line, ' ');
    assert_non_null (body);
    const char *end = strchr (body, '\n');
    assert_non_null (end);
    snprintf (out, size, "%.*s", (int) (end - body - 1), body + 1);
    return out;
}

//  ------------------------------------------------------------ escaping

static void
test_log_escape_null_is_a_dash_and_empty_stays_empty (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape (&buf, NULL), "-");
    assert_string_equal (log_escape (&buf, ""), "");
    assert_string_equal (log_escape_mem (&buf, NULL, 4), "-");
}

static void
test_log_escape_writes_a_newline_as_hex (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape (&buf, "id-1\n2026-12-01T00:00:00.000Z error event=forged"),
                         "id-1\\x0a2026-12-01T00:00:00.000Z error event=forged");
    assert_string_equal (log_escape (&buf, "a\r\tb"), "a\\x0d\\x09b");
}

static void
test_log_escape_backslashes_quote_and_backslash (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape (&buf, "say \"hi\" \\o/"), "say \\\"hi\\\" \\\\o/");
    //  An escape already in the value cannot pass for one of ours.
    assert_string_equal (log_escape (&buf, "\\x0a"), "\\\\x0a");
}

static void
test_log_escape_writes_invalid_utf8_as_hex (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape (&buf, "\xff\xfe"), "\\xff\\xfe");
    //  An overlong '/', a surrogate, a character cut short at the end, a
    //  lone continuation byte, and a code point above U+10FFFF.
    assert_string_equal (log_escape (&buf, "\xc0\xaf"), "\\xc0\\xaf");
    assert_string_equal (log_escape (&buf, "\xed\xa0\x80"), "\\xed\\xa0\\x80");
    assert_string_equal (log_escape (&buf, "ok\xe6\x9d"), "ok\\xe6\\x9d");
    assert_string_equal (log_escape (&buf, "\x80z"), "\\x80z");
    assert_string_equal (log_escape (&buf, "\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
    //  A broken lead byte does not swallow the valid character after it.
    assert_string_equal (log_escape (&buf, "\xe6\xc3\xa9"), "\\xe6\xc3\xa9");
}

static void
test_log_escape_writes_terminal_controls_as_hex (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape (&buf, "\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
    assert_string_equal (log_escape (&buf, "del\x7f"), "del\\x7f");
    //  C1 CSI (U+009B), the line separator (U+2028), a right-to-left
    //  override (U+202E), all well-formed UTF-8.
    assert_string_equal (log_escape (&buf, "\xc2\x9b" "31m"), "\\xc2\\x9b31m");
    assert_string_equal (log_escape (&buf, "a\xe2\x80\xa8" "b"), "a\\xe2\\x80\\xa8b");
    assert_string_equal (log_escape (&buf, "\xe2\x80\xae" "cod.exe"), "\\xe2\\x80\\xaecod.exe");
}

static void
test_log_escape_keeps_valid_utf8_as_it_is (void **state)
{
    (void) state;
    log_value_t buf;
    const char *text = "caf\xc3\xa9 \xe2\x80\x93 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x8c "
                       "\xc2\xa0\xef\xbf\xbd";
    assert_string_equal (log_escape (&buf, text), text);
}

static void
test_log_escape_cuts_a_long_value_and_says_how_much (void **state)
{
    (void) state;
    char value [301];
    memset (value, 'a', 300);
    value [300] = '\0';
    log_value_t buf;
    char expected [LOG_VALUE_MAX + 32];
    snprintf (expected, sizeof expected, "%.*s...(+172 bytes)", LOG_VALUE_MAX, value);
    assert_string_equal (log_escape (&buf, value), expected);
}

static void
test_log_escape_never_cuts_inside_a_character (void **state)
{
    (void) state;
    char value [LOG_VALUE_MAX + 8];
    memset (value, 'a', LOG_VALUE_MAX - 1);
    strcpy (value + LOG_VALUE_MAX - 1, "\xc3\xa9z"); //  the 'é' spans bytes 128 and 129
    log_value_t buf;
    char expected [LOG_VALUE_MAX + 32];
    snprintf (expected, sizeof expected, "%.*s...(+3 bytes)", LOG_VALUE_MAX - 1, value);
    assert_string_equal (log_escape (&buf, value), expected);
}

static void
test_log_escape_fits_the_worst_case_in_its_buffer (void **state)
{
    (void) state;
    //  Every byte kept becomes four; the mark follows.
    unsigned char value [1000];
    memset (value, 0xff, sizeof value);
    log_value_t buf;
    const char *text = log_escape_mem (&buf, value, sizeof value);
    assert_int_equal (strlen (text), 4 * LOG_VALUE_MAX + strlen ("...(+872 bytes)"));
    assert_string_equal (text + 4 * LOG_VALUE_MAX, "...(+872 bytes)");
    assert_memory_equal (text, "\\xff\\xff", 8);
}

static void
test_log_escape_mem_writes_a_nul_as_hex (void **state)
{
    (void) state;
    log_value_t buf;
    assert_string_equal (log_escape_mem (&buf, "a\0b\"", 4), "a\\x00b\\\"");
    assert_string_equal (log_escape_mem (&buf, "", 0), "");
}

//  ---------------------------------------------------------------- lines

static void
test_log_line_with_a_newline_writes_one_line (void **state)
{
    (void) state;
    s_capture_t capture;
    s_capture_begin (&capture);
    log_warn ("event=refused id=%s", "x\n2026-12-01T00:00:00.000Z error event=forged\r\x1b[2J");
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    char body [512];
    assert_string_equal (
        s_line_body (&capture, 0, body, sizeof body),
        "warn  event=refused id=x\\x0a2026-12-01T00:00:00.000Z error event=forged\\x0d\\x1b[2J");
}

static void
test_log_line_keeps_escaped_values_and_quotes_as_they_are (void **state)
{
    (void) state;
    log_value_t id;
    s_capture_t capture;
    s_capture_begin (&capture);
    log_warn ("event=refused id=\"%s\" reason=\"caf\xc3\xa9\"", log_escape (&id, "a\"b\n"));
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    char body [512];
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=refused id=\"a\\\"b\\x0a\" reason=\"caf\xc3\xa9\"");
}

static void
test_log_line_cuts_a_long_line_and_marks_it (void **state)
{
    (void) state;
    static char value [3001];
    memset (value, 'v', 3000);
    s_capture_t capture;
    s_capture_begin (&capture);
    log_warn ("event=long value=%s", value);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    assert_true (capture.size <= LOG_LINE_MAX);
    //  What is missing of the message is said at the end.
    const char *mark = strstr (capture.text, "...(+");
    assert_non_null (mark);
    size_t shown = (size_t) (mark - strstr (capture.text, "event=long"));
    char expected [32];
    snprintf (expected, sizeof expected, "...(+%zu bytes)\n",
              strlen ("event=long value=") + 3000 - shown);
    assert_string_equal (mark, expected);
}

static void
test_log_line_cut_after_escaping_stays_one_line (void **state)
{
    (void) state;
    //  1,000 escape bytes become 4,000 once escaped: the cut comes after
    //  escaping, and never inside an escape.
    static char value [1001];
    memset (value, '\x1b', 1000);
    s_capture_t capture;
    s_capture_begin (&capture);
    log_error ("event=escapes value=%s", value);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    assert_true (capture.size <= LOG_LINE_MAX);
    const char *mark = strstr (capture.text, "...(+");
    assert_non_null (mark);
    assert_memory_equal (mark - 4, "\\x1b", 4);
}

//  ---------------------------------------------------------- rate limits

static void
test_log_limit_allows_the_burst_and_counts_the_rest (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (3, 60000);
    assert_non_null (limit);
    for (int i = 0; i < 3; i++)
        assert_true (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 1000 + i));
    for (int i = 0; i < 98623; i++)
        assert_false (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 2000));
    assert_int_equal (log_limit_suppressed (limit, "reply-dropped"), 98623);
    assert_int_equal (log_limit_suppressed (limit, "never-seen"), 0);

    //  Nothing is said before the window has passed, the count once after.
    s_capture_t capture;
    s_capture_begin (&capture);
    log_limit_tick_at (limit, 1000 + 59999);
    s_capture_end (&capture);
    assert_int_equal (capture.size, 0);

    s_capture_begin (&capture);
    log_limit_tick_at (limit, 1000 + 60000);
    log_limit_tick_at (limit, 1000 + 60001);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    char body [256];
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=reply-dropped suppressed=98623 window=60s");
    assert_int_equal (log_limit_suppressed (limit, "reply-dropped"), 0);

    //  A new window lets a new burst through.
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 70000));
    s_capture_begin (&capture);
    log_limit_destroy (&limit);
    log_limit_destroy (&limit);
    s_capture_end (&capture);
    assert_null (limit);
    assert_int_equal (capture.size, 0);
}

static void
test_log_limit_limits_events_independently (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (2, 1000);
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 0));
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 0));
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 0));
    //  Another event keeps its own burst and its own window.
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 500));
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 500));
    assert_false (log_limit_allow_at (limit, LEVEL_ERROR, "reply-dropped", 500));
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 500));
    assert_int_equal (log_limit_suppressed (limit, "auth-refused"), 1);
    assert_int_equal (log_limit_suppressed (limit, "reply-dropped"), 2);

    s_capture_t capture;
    s_capture_begin (&capture);
    log_limit_tick_at (limit, 1000);
    s_capture_end (&capture);
    char body [256];
    assert_int_equal (s_lines (&capture), 1);
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=auth-refused suppressed=1 window=1s");

    //  The summary takes the most severe level among the lines left out.
    s_capture_begin (&capture);
    log_limit_tick_at (limit, 1500);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "error event=reply-dropped suppressed=2 window=1s");
    log_limit_destroy (&limit);
}

static void
test_log_limit_says_nothing_when_nothing_was_left_out (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (5, 250);
    for (int i = 0; i < 5; i++)
        assert_true (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", i));
    s_capture_t capture;
    s_capture_begin (&capture);
    log_limit_tick_at (limit, 10000);
    log_limit_destroy (&limit);
    s_capture_end (&capture);
    assert_int_equal (capture.size, 0);
}

static void
test_log_limit_summary_comes_before_the_next_window_without_a_tick (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (1, 1500);
    assert_true (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 0));
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 1499));
    s_capture_t capture;
    s_capture_begin (&capture);
    bool allowed = log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 1500);
    s_capture_end (&capture);
    assert_true (allowed);
    assert_int_equal (s_lines (&capture), 1);
    char body [256];
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=auth-refused suppressed=1 window=1500ms");
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "auth-refused", 1600));
    s_capture_begin (&capture);
    log_limit_destroy (&limit);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
}

static void
test_log_limit_destroy_says_what_was_left_out (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (0, 60000);
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 0));
    assert_false (log_limit_allow_at (limit, LEVEL_WARN, "reply-dropped", 1));
    s_capture_t capture;
    s_capture_begin (&capture);
    log_limit_destroy (&limit);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    char body [256];
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=reply-dropped suppressed=2 window=60s");
}

static void
test_log_limit_table_full_shares_one_last_entry (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (1, 1000);
    char name [32];
    for (int i = 0; i < LOG_LIMIT_EVENTS + 8; i++) {
        snprintf (name, sizeof name, "event-%d", i);
        bool first = log_limit_allow_at (limit, LEVEL_WARN, name, 0);
        //  Every event in the table gets its burst; past it, only the first
        //  event sharing the last entry does.
        assert_int_equal (first, i < LOG_LIMIT_EVENTS);
    }
    s_capture_t capture;
    s_capture_begin (&capture);
    log_limit_tick_at (limit, 1000);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
    char body [256];
    assert_string_equal (s_line_body (&capture, 0, body, sizeof body),
                         "warn  event=log-limit-overflow suppressed=8 window=1s");
    log_limit_destroy (&limit);
}

static void
test_log_limited_writes_the_burst_only (void **state)
{
    (void) state;
    log_limit_t *limit = log_limit_new (2, 60000);
    s_capture_t capture;
    s_capture_begin (&capture);
    for (int i = 0; i < 5; i++)
        log_limited (limit, LEVEL_WARN, "auth-refused", "event=auth-refused n=%d", i);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 2);
    char body [256];
    assert_string_equal (s_line_body (&capture, 1, body, sizeof body),
                         "warn  event=auth-refused n=1");
    assert_int_equal (log_limit_suppressed (limit, "auth-refused"), 3);
    //  A level not in force is neither written nor counted.
    log_limited (limit, LEVEL_DEBUG, "auth-refused", "event=auth-refused n=%d", 9);
    assert_int_equal (log_limit_suppressed (limit, "auth-refused"), 3);
    s_capture_begin (&capture);
    log_limit_destroy (&limit);
    s_capture_end (&capture);
    assert_int_equal (s_lines (&capture), 1);
}

static void
test_log_limit_new_refuses_bad_arguments (void **state)
{
    (void) state;
    assert_null (log_limit_new (-1, 1000));
    assert_null (log_limit_new (10, 0));
}

int
main (void)
{
    //  The level is read once, at the first line: make it the default
    //  whatever the environment says.
    setenv ("CIBUS_LOG", "info", 1);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_log_escape_null_is_a_dash_and_empty_stays_empty),
        cmocka_unit_test (test_log_escape_writes_a_newline_as_hex),
        cmocka_unit_test (test_log_escape_backslashes_quote_and_backslash),
        cmocka_unit_test (test_log_escape_writes_invalid_utf8_as_hex),
        cmocka_unit_test (test_log_escape_writes_terminal_controls_as_hex),
        cmocka_unit_test (test_log_escape_keeps_valid_utf8_as_it_is),
        cmocka_unit_test (test_log_escape_cuts_a_long_value_and_says_how_much),
        cmocka_unit_test (test_log_escape_never_cuts_inside_a_character),
        cmocka_unit_test (test_log_escape_fits_the_worst_case_in_its_buffer),
        cmocka_unit_test (test_log_escape_mem_writes_a_nul_as_hex),
        cmocka_unit_test (test_log_line_with_a_newline_writes_one_line),
        cmocka_unit_test (test_log_line_keeps_escaped_values_and_quotes_as_they_are),
        cmocka_unit_test (test_log_line_cuts_a_long_line_and_marks_it),
        cmocka_unit_test (test_log_line_cut_after_escaping_stays_one_line),
        cmocka_unit_test (test_log_limit_allows_the_burst_and_counts_the_rest),
        cmocka_unit_test (test_log_limit_limits_events_independently),
        cmocka_unit_test (test_log_limit_says_nothing_when_nothing_was_left_out),
        cmocka_unit_test (test_log_limit_summary_comes_before_the_next_window_without_a_tick),
        cmocka_unit_test (test_log_limit_destroy_says_what_was_left_out),
        cmocka_unit_test (test_log_limit_table_full_shares_one_last_entry),
        cmocka_unit_test (test_log_limited_writes_the_burst_only),
        cmocka_unit_test (test_log_limit_new_refuses_bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
