/*  test_cli.c - the real cibus and cibusd binaries against a real broker:
    the README's walk-through, exit codes, and the one-line answers a user
    gets when something is wrong. */

#include "harness.h"

#include <limits.h>
#include <signal.h>
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

//  The value of "key":NUMBER in a JSON line, or 0.
static unsigned long long
s_json_u64 (const char *json, const char *key)
{
    char needle [64];
    snprintf (needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr (json, needle);
    return at ? strtoull (at + strlen (needle), NULL, 10) : 0;
}

//  The value of "key":"TEXT" in a JSON line, into text.
static void
s_json_str (const char *json, const char *key, char *text, size_t size)
{
    char needle [64];
    snprintf (needle, sizeof needle, "\"%s\":\"", key);
    const char *at = strstr (json, needle);
    text [0] = 0;
    if (at) {
        at += strlen (needle);
        size_t len = strcspn (at, "\"");
        snprintf (text, size, "%.*s", (int) (len < size ? len : size - 1), at);
    }
}

static void
test_cli_readme_walkthrough_reaches_the_backbone (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, notes [PATH_MAX], commitment [160];
    snprintf (notes, sizeof notes, "%s/notes.md", world->dir);
    FILE *file = fopen (notes, "w");
    assert_non_null (file);
    fputs ("We reviewed Q3 reading.\n", file);
    fclose (file);

    //  The backbone defines the shared indicator first (seq 1).
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k3-reading",
                                     "--key", world->hub, "--name", "3rd-grade reading",
                                     "--unit", "percent", "--direction", "up", "--period",
                                     "quarter", "--dimension",
                                     "race=asian,black,hispanic,white", NULL),
                      0);
    free (out), free (err);
    assert_int_equal (harness_cibus (world, &out, &err, "indicators", "--key", world->alice,
                                     "--json", NULL),
                      0);
    assert_non_null (strstr (out, "race=asian|black|hispanic|white"));
    free (out), free (err);
    //  A race the catalogue does not list is refused, and nothing is stored.
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--value", "61.5", "--n", "412",
                                     "--dim", "race=martian", NULL),
                      1);
    assert_non_null (strstr (err, "'martian' is not a category of 'race' in indicator "
                                  "'k3-reading' (asian, black, hispanic, white)"));
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--value", "61.5", "--n", "412",
                                     "--dim", "race=black", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 2);
    assert_non_null (strstr (out, "\"duplicate\":false"));
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "note", "--key", world->alice,
                                     "--network", "early-literacy", "--title",
                                     "Biweekly network meeting", "--body-file", notes,
                                     "--attendee", "alice", "--decision",
                                     "pilot leveled libraries", NULL),
                      0);
    assert_string_equal (strstr (out, "stored: seq 3, id ") ? "ok" : out, "ok");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action",
                                     "open 3 leveled libraries", "--due", "2026-12-15",
                                     "--indicator", "k3-reading", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 4);
    s_json_str (out, "id", commitment, sizeof commitment);
    assert_int_equal (strlen (commitment), 32);
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "update", "--key", world->alice,
                                     "--network", "early-literacy", commitment, "--status",
                                     "at-risk", "--comment", "shipping delay", "--json", NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "seq"), 5);
    free (out), free (err);

    //  The backbone replays alice's part, as JSON, one object per line.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "2", "--count", "4", "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 4);
    char *line = out;
    const char *kinds [] = {"data", "note", "commitment", "update"};
    for (unsigned seq = 2; seq <= 5; seq++) {
        char kind [32], partner [32];
        assert_int_equal (s_json_u64 (line, "seq"), seq);
        s_json_str (line, "kind", kind, sizeof kind);
        s_json_str (line, "partner", partner, sizeof partner);
        assert_string_equal (kind, kinds [seq - 2]);
        assert_string_equal (partner, "alice");
        assert_true (s_json_u64 (line, "received_at") > 1600000000000000ULL);
        line = strchr (line, '\n') + 1;
    }
    assert_non_null (strstr (out, "\"topic\":\"early-literacy/data\""));
    assert_non_null (strstr (out, "\"dimensions\":{\"race\":\"black\"}"));
    assert_non_null (strstr (out, "\"value\":61.5,\"n\":412"));
    assert_non_null (strstr (out, "\"body\":\"We reviewed Q3 reading.\\n\""));
    assert_non_null (strstr (out, "\"decisions\":[\"pilot leveled libraries\"]"));
    assert_non_null (strstr (out, "\"status\":\"at-risk\",\"comment\":\"shipping delay\""));
    assert_non_null (strstr (out, commitment));
    free (out), free (err);

    //  The readable form: one line per entry.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "5", "--count", "1", NULL),
                      0);
    assert_non_null (strstr (out, "#5 "));
    assert_non_null (strstr (out, " alice early-literacy/commitment update "));
    assert_non_null (strstr (out, "-> at-risk \"shipping delay\"\n"));
    free (out), free (err);

    //  --topic: only what starts with one of the prefixes, replayed in order.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "1", "--topic", "early-literacy/note", "--topic",
                                     "early-literacy/comm", "--count", "2", "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 2);
    assert_int_equal (s_json_u64 (out, "seq"), 3);
    assert_non_null (strstr (out, "\"topic\":\"early-literacy/note\""));
    assert_int_equal (s_json_u64 (strchr (out, '\n') + 1, "seq"), 4);
    assert_non_null (strstr (strchr (out, '\n') + 1, "\"topic\":\"early-literacy/commitment\""));
    free (out), free (err);
    //  A prefix that matches nothing yet: the tail waits, and ends at its
    //  idle timeout having printed nothing (an idle end is a normal end).
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from",
                                     "1", "--topic", "postsecondary/", "--count", "1",
                                     "--timeout", "1", "--json", NULL),
                      0);
    assert_string_equal (out, "");
    free (out), free (err);
}

static void
test_cli_same_id_twice_is_stored_once (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "indicator", "define", "k-ready",
                                     "--key", world->hub, "--name", "kindergarten readiness",
                                     "--unit", "percent", "--direction", "up", "--period",
                                     "school-year", NULL),
                      0);
    free (out), free (err);
    for (int round = 0; round < 2; round++) {
        assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                         "--network", "early-literacy", "--indicator", "k-ready",
                                         "--period", "2025-26", "--value", "48", "--id",
                                         "district-export-2025-26", "--json", NULL),
                          0);
        assert_string_equal (out, round == 0 ? "{\"seq\":2,\"id\":\"district-export-2025-26\","
                                               "\"duplicate\":false}\n"
                                             : "{\"seq\":2,\"id\":\"district-export-2025-26\","
                                               "\"duplicate\":true}\n");
        free (out), free (err);
    }
    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 2);
    assert_int_equal (s_json_u64 (out, "appended"), 2);
    free (out), free (err);
}

static void
test_cli_usage_errors_exit_2_with_one_line (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--indicator", "k3-reading", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --network is required: the network to publish in "
                              "(see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--value", "sixty", NULL),
                      2);
    assert_string_equal (err, "cibus submit: --value must be a number, got 'sixty' "
                              "(see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->alice, "extra",
                                     NULL),
                      2);
    assert_string_equal (err, "cibus whoami: unexpected argument 'extra' (see `cibus whoami "
                              "--help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "publish", NULL), 2);
    assert_string_equal (err, "cibus: unknown command 'publish' (see `cibus --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--frm", "1", NULL), 2);
    assert_string_equal (err, "cibus tail: unknown option '--frm' (see `cibus tail --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "run", "--sync", "sometimes", NULL), 2);
    assert_string_equal (err, "cibusd: --sync must be full or normal, got 'sometimes' "
                              "(see `cibusd --help`)\n");
    free (out), free (err);

    //  Help answers on stdout and succeeds.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--help", NULL), 0);
    assert_non_null (strstr (out, "--from SEQ"));
    assert_non_null (strstr (out, "env CIBUS_BROKER"));
    free (out), free (err);
}

//  The broker's refusals exit 1; what the command line itself got wrong
//  (found before connecting, in the same words as the broker) exits 2.
static void
test_cli_refusal_names_the_field_and_exits_1 (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "postsecondary", "--indicator", "fafsa",
                                     "--period", "2026-Q3", "--value", "40", NULL),
                      1);
    assert_string_equal (err, "cibus submit: partner 'alice' may not publish to network "
                              "'postsecondary': it is not one of its networks\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", world->alice,
                                     "--network", "early-literacy", "--indicator", "k3-reading",
                                     "--period", "2026-Q3", "--value", "nan", NULL),
                      2);
    assert_string_equal (err, "cibus submit: field 'data.value' must be a finite number, got "
                              "nan (see `cibus submit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "commit", "--key", world->alice,
                                     "--network", "early-literacy", "--action", "x", "--due",
                                     "2026-02-30", NULL),
                      2);
    assert_string_equal (err, "cibus commit: field 'commitment.due' expects a date like "
                              "2026-12-15, got '2026-02-30' (see `cibus commit --help`)\n");
    free (out), free (err);

    assert_int_equal (harness_cibus (world, &out, &err, "status", "--key", world->hub, "--json",
                                     NULL),
                      0);
    assert_int_equal (s_json_u64 (out, "last_seq"), 0);
    free (out), free (err);
}

static void
test_cli_unknown_key_fails_fast_with_advice (void **state)
{
    harness_world_t *world = *state;
    char base [PATH_MAX], secret [PATH_MAX + 16], *out, *err;
    snprintf (base, sizeof base, "%s/eve", world->dir);
    snprintf (secret, sizeof secret, "%s_secret", base);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", base, NULL), 0);
    assert_int_equal (strlen (out), 41);
    free (out), free (err);
    //  Refusing a second keygen over the same files.
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", base, NULL), 1);
    assert_non_null (strstr (err, "already exists"));
    free (out), free (err);

    int64_t start = harness_now_msec ();
    assert_int_equal (harness_cibus (world, &out, &err, "submit", "--key", secret, "--network",
                                     "early-literacy", "--indicator", "k3-reading", "--period",
                                     "2026-Q3", "--value", "1", NULL),
                      1);
    //  Refused by the handshake, not by a timeout.
    assert_true (harness_now_msec () - start < 4000);
    assert_non_null (strstr (err, "refused this key"));
    assert_non_null (strstr (err, "cibusd partner add"));
    assert_int_equal (harness_count (err, "\n"), 1);
    free (out), free (err);
}

static void
test_cli_unreachable_broker_fails_within_timeout (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, endpoint [PATH_MAX + 16], key [PATH_MAX + 16];
    //  An endpoint nobody listens on, for sure: a socket path that does not
    //  exist (a TCP port released a moment ago may be anyone's by now).
    snprintf (endpoint, sizeof endpoint, "ipc://%s/nobody.sock", world->dir);
    snprintf (key, sizeof key, "%s/broker", world->data);
    char bin [PATH_MAX];
    harness_bin ("cibus", bin, sizeof bin);
    const char *argv [] = {bin, "whoami", "--broker", endpoint, "--broker-key", key, "--key",
                           world->alice, "--timeout", "1", NULL};
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "cibus whoami: cannot reach the broker at "));
    assert_non_null (strstr (err, "within 1000 ms: is cibusd running there"));
    free (out), free (err);
}

static void
test_cli_wrong_broker_key_is_explained (void **state)
{
    harness_world_t *world = *state;
    char *out, *err, other [PATH_MAX], bin [PATH_MAX];
    snprintf (other, sizeof other, "%s/other", world->dir);
    assert_int_equal (harness_cibus (world, &out, &err, "keygen", other, NULL), 0);
    free (out), free (err);
    harness_bin ("cibus", bin, sizeof bin);
    const char *argv [] = {bin, "whoami", "--broker", world->broker.endpoint, "--broker-key",
                           other, "--key", world->alice, "--timeout", "3", NULL};
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "--broker-key"));
    free (out), free (err);
}

static void
test_cli_partner_remove_takes_effect_on_a_running_broker (void **state)
{
    harness_world_t *world = *state;
    char *out, *err;
    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->bob, NULL), 0);
    assert_string_equal (out, "bob (partner)\n");
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "list", "--data", world->data,
                                      "--json", NULL),
                      0);
    assert_int_equal (harness_count (out, "\n"), 4);
    assert_non_null (strstr (out, "{\"name\":\"bob\",\"role\":\"partner\",\"key\":\""));
    assert_non_null (strstr (out, "\"networks\":[\"postsecondary\"]}"));
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "bob", NULL),
                      0);
    assert_string_equal (out, "removed bob\n");
    free (out), free (err);

    //  A fresh connection is refused at the handshake...
    assert_int_equal (harness_cibus (world, &out, &err, "whoami", "--key", world->bob, NULL), 1);
    assert_non_null (strstr (err, "refused this key"));
    free (out), free (err);

    assert_int_equal (harness_cibusd (&out, &err, "partner", "remove", "--data", world->data,
                                      "bob", NULL),
                      1);
    assert_string_equal (err, "cibusd: no partner named 'bob' (see `cibusd partner list`)\n");
    free (out), free (err);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_cli_readme_walkthrough_reaches_the_backbone,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_same_id_twice_is_stored_once, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_usage_errors_exit_2_with_one_line, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_refusal_names_the_field_and_exits_1, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_unknown_key_fails_fast_with_advice, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_unreachable_broker_fails_within_timeout,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_wrong_broker_key_is_explained, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_partner_remove_takes_effect_on_a_running_broker,
                                         s_setup, s_teardown),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("cli", tests, NULL, NULL);
}
