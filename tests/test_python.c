/*  test_python.c - the Python example client (docs/examples/cibus_client.py),
    written from docs/PROTOCOL.md alone, against a real broker: it loads a
    secret certificate, publishes a data table, waits for its Ack and reads
    the table back by replay, granting credit. The table is then read from
    the log with the real cibus binary.

    It runs Debian's /usr/bin/python3 (python3-zmq, python3-protobuf) with
    PYTHONPATH set to build/py, where the Makefile generates cibus_pb2.py
    from proto/cibus.proto. */

#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

#define PYTHON "/usr/bin/python3"


//  Run the example against the world's broker with the secret cert `key`,
//  the broker's public key from broker_cert (NULL: the broker's own,
//  DATA/broker) and the NULL-terminated arguments after them; like
//  harness_run.
static int
s_client (const harness_world_t *world, const char *broker_cert, const char *key, char **out,
          char **err, ...)
{
    char root [PATH_MAX], script [PATH_MAX + 64], pypath [PATH_MAX + 64];
    char broker_key [PATH_MAX + 16];
    harness_source_tree ("docs/examples/cibus_client.py", root, sizeof root);
    snprintf (script, sizeof script, "%s/docs/examples/cibus_client.py", root);
    snprintf (pypath, sizeof pypath, "PYTHONPATH=%s/build/py", root);
    if (broker_cert)
        snprintf (broker_key, sizeof broker_key, "%s", broker_cert);
    else
        snprintf (broker_key, sizeof broker_key, "%s/broker", world->data);
    const char *env [] = {pypath, "PYTHONDONTWRITEBYTECODE=1", NULL};
    const char *argv [64] = {PYTHON,         script,     "--broker", world->broker.endpoint,
                             "--broker-key", broker_key, "--key",    key};
    size_t argc = 8;
    va_list args;
    va_start (args, err);
    for (const char *arg = va_arg (args, const char *); arg && argc < 63;
         arg = va_arg (args, const char *))
        argv [argc++] = arg;
    va_end (args);
    argv [argc] = NULL;
    return harness_run (argv, env, NULL, out, err);
}

static void
test_python_publishes_a_table_and_reads_it_back_by_replay (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    //  Seq 1 the definition, seqs 2 and 3 alice's earlier quarters: the
    //  replay holds three tables, more than a window of 2 lets through
    //  without a Credit.
    assert_true (harness_define_k3 (world));
    const char *periods [] = {"2026-Q1", "2026-Q2"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator", "k3-reading",
                                         "--period", periods [i], "--total", "100/200", NULL),
                          0);
        free (out), free (err);
    }

    int rc = s_client (world, NULL, world->alice, &out, &err, "--network", "early-literacy",
                       "--indicator", "k3-reading", "--period", "2026-Q3", "--total", "245/412",
                       "--cell", "race=black:52/160", "--cell", "race=white:190/240", "--cell",
                       "race=asian:3/6", "--status", "provisional", "--id", "py-k3-2026-Q3",
                       "--window", "2", "--timeout", "10", NULL);
    if (rc != 0)
        fprintf (stderr, "cibus_client.py exited %d:\n%s%s", rc, out, err);
    assert_int_equal (rc, 0);
    assert_string_equal (err, "");
    char connected [512];
    snprintf (connected, sizeof connected, "connected to %s as alice (partner)\n",
              world->broker.endpoint);
    assert_non_null (strstr (out, connected));
    assert_non_null (strstr (out, "published k3-reading 2026-Q3 to early-literacy/data, id "
                                  "py-k3-2026-Q3: seq 4, version 1\n"));
    //  Window 2: a Credit after every Delivered table (half the window),
    //  without which the third would never come.
    assert_non_null (strstr (out, "read back by replay from seq 1: 3 entries delivered, "
                                  "credit granted 3 times, window 2\n"));
    //  The owner reads its table whole, with the values the broker derived.
    assert_non_null (strstr (out, "#4 early-literacy/data k3-reading 2026-Q3 owner alice "
                                  "version 1 provisional\n"
                                  "  sent by alice, id py-k3-2026-Q3, received "));
    assert_non_null (strstr (out, "Z\n"
                                  "  total       245/412  59.46601941747573\n"
                                  "  race=black  52/160   32.5\n"
                                  "  race=white  190/240  79.16666666666667\n"
                                  "  race=asian  3/6      50\n"));
    free (out), free (err);

    //  In the log, as the C library reads it back for the backbone.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from", "4",
                                     "--count", "1", "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 1);
    assert_non_null (strstr (out, "{\"seq\":4,\"topic\":\"early-literacy/data\","
                                  "\"partner\":\"alice\",\"id\":\"py-k3-2026-Q3\","));
    assert_non_null (strstr (out, "\"kind\":\"data\",\"indicator\":\"k3-reading\","
                                  "\"period\":\"2026-Q3\",\"owner\":\"alice\",\"version\":1,"
                                  "\"masked\":false,\"superseded\":false,"
                                  "\"total\":{\"numerator\":245,\"denominator\":412,"
                                  "\"value\":59.46601941747573},"
                                  "\"cells\":[{\"dimensions\":{\"race\":\"black\"},"
                                  "\"numerator\":52,\"denominator\":160,\"value\":32.5},"
                                  "{\"dimensions\":{\"race\":\"white\"},\"numerator\":190,"
                                  "\"denominator\":240,\"value\":79.16666666666667},"
                                  "{\"dimensions\":{\"race\":\"asian\"},\"numerator\":3,"
                                  "\"denominator\":6,\"value\":50}],"
                                  "\"status\":\"provisional\"}\n"));
    free (out), free (err);

    //  Run again: the same id is a duplicate of seq 4, nothing is stored.
    rc = s_client (world, NULL, world->alice, &out, &err, "--network", "early-literacy",
                   "--indicator", "k3-reading", "--period", "2026-Q3", "--total", "245/412", "--id",
                   "py-k3-2026-Q3", "--json", NULL);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, ": a duplicate of seq 4\n"));
    assert_non_null (strstr (out, "{\"seq\": \"4\", \"topic\": \"early-literacy/data\", "
                                  "\"partner\": \"alice\", \"id\": \"py-k3-2026-Q3\""));
    free (out), free (err);
    assert_int_equal (
        harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json", NULL), 0);
    assert_non_null (strstr (out, "{\"last_seq\":4,"));
    free (out), free (err);
}

static void
test_python_a_refusal_names_the_field_and_exits_1 (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    //  No indicator defined: refused at commit, with the publish's id.
    assert_int_equal (s_client (world, NULL, world->alice, &out, &err, "--network",
                                "early-literacy", "--indicator", "k3-reading", "--period",
                                "2026-Q3", "--total", "245/412", NULL),
                      1);
    assert_string_equal (err, "cibus_client: bad-field (data.indicator): indicator "
                              "'k3-reading' is not in the catalogue\n");
    free (out), free (err);
    //  A network alice is not in: refused at once, for access.
    assert_true (harness_define_k3 (world));
    assert_int_equal (s_client (world, NULL, world->alice, &out, &err, "--network", "postsecondary",
                                "--indicator", "k3-reading", "--period", "2026-Q3", "--total",
                                "245/412", NULL),
                      1);
    assert_string_equal (err, "cibus_client: forbidden (topic): partner 'alice' may not "
                              "publish to network 'postsecondary': it is not one of its "
                              "networks\n");
    free (out), free (err);
    //  A cell value of no known form is a usage error, before connecting.
    assert_int_equal (s_client (world, NULL, world->alice, &out, &err, "--network",
                                "early-literacy", "--indicator", "k3-reading", "--period",
                                "2026-Q3", "--total", "245/412", "--cell", "race=black:52", NULL),
                      2);
    assert_non_null (strstr (err, "--cell race=black '52' is not NUM/DEN"));
    free (out), free (err);
}

static void
test_python_bad_keys_fail_fast_with_a_reason (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, stranger [PATH_MAX], secret [PATH_MAX + 16];
    snprintf (stranger, sizeof stranger, "%s/stranger", world->dir);
    snprintf (secret, sizeof secret, "%s_secret", stranger);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", stranger, NULL), 0);
    free (out), free (err);

    //  A key not in the registry: the handshake is refused (ZAP 400), seen
    //  on the monitor at once rather than at the timeout.
    int64_t start = harness_now_msec ();
    assert_int_equal (s_client (world, NULL, secret, &out, &err, "--network", "early-literacy",
                                "--indicator", "k3-reading", "--period", "2026-Q3", "--total",
                                "245/412", "--timeout", "15", NULL),
                      1);
    assert_true (harness_now_msec () - start < 10000);
    assert_non_null (strstr (err, "not in the partner registry"));
    free (out), free (err);

    //  The public certificate instead of the secret one.
    assert_int_equal (s_client (world, NULL, stranger, &out, &err, "--network", "early-literacy",
                                "--indicator", "k3-reading", "--period", "2026-Q3", "--total",
                                "245/412", NULL),
                      1);
    assert_non_null (strstr (err, "holds no curve/secret-key"));
    free (out), free (err);

    //  Another key given as the broker's: the handshake fails, over and over.
    start = harness_now_msec ();
    assert_int_equal (s_client (world, stranger, world->alice, &out, &err, "--network",
                                "early-literacy", "--indicator", "k3-reading", "--period",
                                "2026-Q3", "--total", "245/412", "--timeout", "15", NULL),
                      1);
    assert_true (harness_now_msec () - start < 10000);
    assert_non_null (strstr (err, "is --broker-key the public key of the broker there?"));
    free (out), free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_python_publishes_a_table_and_reads_it_back_by_replay,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_python_a_refusal_names_the_field_and_exits_1, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_python_bad_keys_fail_fast_with_a_reason, s_setup,
                                         s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("python", tests, NULL, NULL);
}
