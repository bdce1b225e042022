/*  test_tour.c - the README's first tour works as written.

    The first code block under "## A first tour" is run verbatim by bash in
    a fresh directory, as a newcomer would run it in a second terminal:
    the broker of `make run` is there (here on a free loopback port, its
    data in ./var, named to the commands by CIBUS_BROKER), and the block
    must end on a report that shows a value, a change with its interval and
    the meeting just held.                                                 */

#include "harness.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

//  The first fenced block after the heading, a new string; NULL if none.
static char *
s_block_after (const char *text, const char *heading)
{
    const char *at = strstr (text, heading);
    const char *start = at ? strstr (at, "\n```\n") : NULL;
    const char *end = start ? strstr (start + 5, "\n```\n") : NULL;
    if (!end)
        return NULL;
    start += 5;
    return strndup (start, (size_t) (end - start + 1));
}

//  A fresh directory and the broker of `make run` in it (data in ./var).
typedef struct {
    char *dir;
    char data [PATH_MAX];
    harness_broker_t broker;
    bool running;
} s_tour_t;

static int
s_setup (void **state)
{
    s_tour_t *self = calloc (1, sizeof *self);
    if (!self || !(self->dir = harness_tmpdir ()))
        return free (self), -1;
    snprintf (self->data, sizeof self->data, "%s/var", self->dir);
    self->running = harness_broker_start (&self->broker, self->data, NULL);
    *state = self;
    return self->running ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_tour_t *self = *state;
    int rc = 0;
    if (self->running && harness_broker_stop (&self->broker, SIGTERM) != 0)
        rc = -1;
    harness_rmtree (self->dir);
    free (self->dir);
    free (self);
    return rc;
}

static void
test_tour_the_readme_s_first_tour_runs_as_written (void **state)
{
    s_tour_t *self = *state;
    char root [PATH_MAX], readme [PATH_MAX + 16];
    harness_source_tree ("README.md", root, sizeof root);
    snprintf (readme, sizeof readme, "%s/README.md", root);
    char *text = harness_read_all (readme);
    assert_non_null (text);
    char *block = s_block_after (text, "\n## A first tour\n");
    free (text);
    assert_non_null (block);

    char script [PATH_MAX + 16], bin [PATH_MAX];
    snprintf (script, sizeof script, "%s/tour.sh", self->dir);
    FILE *file = fopen (script, "w");
    assert_non_null (file);
    fprintf (file, "set -euo pipefail\ncd '%s'\n%s", self->dir, block);
    fclose (file);
    free (block);

    //  The binaries under test first on PATH, as `export PATH=$PWD/build:$PATH`.
    harness_bin ("cibus", bin, sizeof bin);
    *strrchr (bin, '/') = 0;
    char path [2 * PATH_MAX], endpoint [512];
    snprintf (path, sizeof path, "PATH=%s:%s", bin, getenv ("PATH") ? getenv ("PATH") : "");
    snprintf (endpoint, sizeof endpoint, "CIBUS_BROKER=%s", self->broker.endpoint);
    const char *env [] = {path, endpoint, NULL};
    const char *argv [] = {"/bin/bash", script, NULL};
    char *out, *err;
    int rc = harness_run (argv, env, NULL, &out, &err);
    if (rc != 0)
        fprintf (stderr, "the tour failed (exit %d):\n%s\n%s", rc, out, err);
    assert_int_equal (rc, 0);

    //  The report: the value with its n and interval, the change with its
    //  interval and verdict, the at-risk commitment, the meeting.
    const char *report = strstr (out, "submissions for 2026-Q4");
    const char *row = report ? strstr (report, "\n  k3-reading  2026-Q3 ") : NULL;
    if (!row)
        fprintf (stderr, "the tour printed:\n%s", out);
    assert_non_null (row);
    //  168/410 with its n and Wilson interval; the change from 2026-Q2's
    //  150/410 with Newcombe's interval, within noise.
    char *line = strdup (row + 1);
    assert_non_null (line);
    line [strcspn (line, "\n")] = 0;
    const char *expected [] = {" 40.9756 ", " 410 ", " 36.3205 ", " 45.7983 ", " 2026-Q2 ",
                               " 4.3902 ",  " -2.2726 ", " 10.9985 ", " no clear change ",
                               " behind pace"};
    for (size_t i = 0; i < sizeof expected / sizeof expected [0]; i++) {
        if (!strstr (line, expected [i]))
            fprintf (stderr, "no '%s' in:\n%s\n", expected [i], line);
        assert_non_null (strstr (line, expected [i]));
    }
    free (line);
    assert_non_null (strstr (report, "libraries"));
    assert_non_null (strstr (report, "at-risk"));
    const char *meetings = strstr (report, "meetings");
    assert_non_null (meetings);
    assert_non_null (strstr (meetings, "2026-11-20"));
    assert_non_null (strstr (meetings, "Biweekly network meeting"));
    free (out);
    free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_tour_the_readme_s_first_tour_runs_as_written,
                                         s_setup, s_teardown),
    };
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("tour", tests, NULL, NULL);
}
