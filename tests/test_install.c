/*  test_install.c - `make install` gives a third party what it needs to
    build against libcibus: the binaries, the static and the shared library
    (soname libcibus.so.1, exporting the cibus_ functions and no
    protobuf-c symbol), the public headers under include/cibus/ - cibus's
    own types only, no trace of protobuf-c - and a cibus.pc that requires
    nothing of the program. The example program docs/examples/example.c is
    compiled with nothing but `cc example.c $(pkg-config --cflags --libs
    cibus)` against the installed tree and run against a real broker.

    The tree is installed by running make in the source tree (found above
    the test binary, as test_python finds its script), into a scratch
    directory that is removed at the end. The Makefile builds what install
    copies along with this test, so the make here only copies.            */

#include "harness.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define s_setup    harness_world_setup
#define s_teardown harness_world_teardown

#define SH "/bin/sh"


//  `make install` in the source tree with the given variable assignments
//  (e.g. "PREFIX=/x", "DESTDIR=/y"). The make that runs `make check` must
//  not hand its jobserver and flags down to this one.
static int
s_make_install (const char *prefix, const char *destdir)
{
    char root [PATH_MAX], prefix_arg [PATH_MAX + 16], destdir_arg [PATH_MAX + 16];
    harness_source_tree ("docs/examples/example.c", root, sizeof root);
    snprintf (prefix_arg, sizeof prefix_arg, "PREFIX=%s", prefix);
    snprintf (destdir_arg, sizeof destdir_arg, "DESTDIR=%s", destdir ? destdir : "");
    const char *argv [] = {SH,
                           "-c",
                           "unset MAKEFLAGS MFLAGS MAKELEVEL; "
                           "exec make -s --no-print-directory -C \"$1\" install \"$2\" \"$3\"",
                           "sh",
                           root,
                           prefix_arg,
                           destdir_arg,
                           NULL};
    char *out, *err;
    int rc = harness_run (argv, NULL, NULL, &out, &err);
    if (rc != 0)
        fprintf (stderr, "make install exited %d:\n%s%s", rc, out, err);
    free (out), free (err);
    return rc;
}

//  Run a shell script with $1... set to the arguments (NULL-terminated)
//  and the "K=V" environment env; like harness_run.
static int
s_sh (const char *script, const char *const *env, char **out, char **err, ...)
{
    const char *argv [16] = {SH, "-c", script, "sh"};
    size_t argc = 4;
    va_list args;
    va_start (args, err);
    for (const char *arg = va_arg (args, const char *); arg && argc < 15;
         arg = va_arg (args, const char *))
        argv [argc++] = arg;
    va_end (args);
    argv [argc] = NULL;
    return harness_run (argv, env, NULL, out, err);
}

static bool
s_is_file (const char *dir, const char *name)
{
    char path [PATH_MAX + 256];
    struct stat st;
    snprintf (path, sizeof path, "%s/%s", dir, name);
    return lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

//  The installed headers: how many there are, none of which names a
//  protobuf-c type or protobuf-c itself.
static size_t
s_headers_without_protobuf (const char *include)
{
    DIR *dir = opendir (include);
    assert_non_null (dir);
    size_t count = 0;
    for (struct dirent *item = readdir (dir); item; item = readdir (dir)) {
        if (item->d_name [0] == '.')
            continue;
        char path [2 * PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", include, item->d_name);
        char *text = harness_read_all (path);
        assert_non_null (text);
        if (strstr (text, "Cibus__") || strstr (text, "protobuf"))
            fail_msg ("%s names protobuf-c", path);
        free (text);
        count++;
    }
    closedir (dir);
    return count;
}

//  Each line of the example's output with the digits of received_at,
//  which the broker's clock decides, replaced by T.
static void
s_untime (char *out)
{
    static const char key [] = "\"received_at\":";
    for (char *at = strstr (out, key); at; at = strstr (at, key)) {
        at += strlen (key);
        size_t digits = strspn (at, "0123456789");
        assert_true (digits > 0);
        *at = 'T';
        memmove (at + 1, at + digits, strlen (at + digits) + 1);
    }
}

//  What the example prints when it reads back the table of seq 2.
#define S_READ_BACK                                                                          \
    "read back seq 2: {\"seq\":2,\"topic\":\"early-literacy/data\",\"partner\":\"alice\","   \
    "\"id\":\"example-k3-reading-2026-Q3\",\"received_at\":T,\"kind\":\"data\","             \
    "\"indicator\":\"k3-reading\",\"period\":\"2026-Q3\",\"owner\":\"alice\",\"version\":1," \
    "\"masked\":false,\"superseded\":false,"                                                 \
    "\"total\":{\"numerator\":245,\"denominator\":412,\"value\":59.46601941747573},"         \
    "\"cells\":[{\"dimensions\":{\"race\":\"black\"},\"numerator\":52,\"denominator\":160,"  \
    "\"value\":32.5},{\"dimensions\":{\"race\":\"white\"},\"numerator\":190,"                \
    "\"denominator\":240,\"value\":79.16666666666667},"                                      \
    "{\"dimensions\":{\"race\":\"asian\"},\"suppressed\":true}],\"status\":\"provisional\"}\n"

static void
test_install_the_example_builds_with_pkg_config_and_publishes (void **state)
{
    harness_world_t *world = *state;
    char *tmp = harness_tmpdir ();
    assert_non_null (tmp);
    char prefix [PATH_MAX], path [PATH_MAX + 64], examples [PATH_MAX + 64];
    snprintf (prefix, sizeof prefix, "%s/prefix", tmp);
    assert_int_equal (s_make_install (prefix, NULL), 0);

    //  What was installed, where.
    assert_true (s_is_file (prefix, "bin/cibus"));
    assert_true (s_is_file (prefix, "bin/cibusd"));
    assert_true (s_is_file (prefix, "lib/libcibus.a"));
    assert_true (s_is_file (prefix, "lib/libcibus.so.1"));
    assert_true (s_is_file (prefix, "include/cibus/cibus.h"));
    assert_true (s_is_file (prefix, "include/cibus/cibus_err.h"));
    snprintf (path, sizeof path, "%s/include/cibus", prefix);
    assert_int_equal (s_headers_without_protobuf (path), 2);
    char link [PATH_MAX];
    snprintf (path, sizeof path, "%s/lib/libcibus.so", prefix);
    ssize_t len = readlink (path, link, sizeof link - 1);
    assert_true (len > 0);
    link [len] = 0;
    assert_string_equal (link, "libcibus.so.1");
    snprintf (path, sizeof path, "%s/lib/pkgconfig/cibus.pc", prefix);
    char *pc = harness_read_all (path);
    assert_non_null (pc);
    char line [PATH_MAX + 64];
    snprintf (line, sizeof line, "prefix=%s\n", prefix);
    assert_int_equal (strncmp (pc, line, strlen (line)), 0);
    snprintf (line, sizeof line, "\nCflags: -I%s/include/cibus\n", prefix);
    assert_non_null (strstr (pc, line));
    snprintf (line, sizeof line, "\nLibs: -L%s/lib -lcibus\n", prefix);
    assert_non_null (strstr (pc, line));
    //  The public header needs nothing of another library: protobuf-c is
    //  private with the rest, for static linking only.
    assert_null (strstr (pc, "\nRequires:"));
    assert_non_null (
        strstr (pc, "\nRequires.private: libczmq libzmq libprotobuf-c sqlite3 jansson libsodium\n"));
    assert_non_null (strstr (pc, "\nLibs.private: -lcsv -lglpk -lm -lpthread\n"));
    free (pc);

    char *out, *err;
    snprintf (path, sizeof path, "%s/lib/libcibus.so.1", prefix);
    assert_int_equal (s_sh ("readelf -d \"$1\"", NULL, &out, &err, path, NULL), 0);
    assert_non_null (strstr (out, "Library soname: [libcibus.so.1]"));
    free (out), free (err);
    //  The cibus_ functions, and none of protobuf-c's cibus__ symbols: a
    //  program with its own code generated from proto/cibus.proto defines
    //  them too, and must not have the library's replaced by its own.
    assert_int_equal (s_sh ("nm -D --defined-only \"$1\"", NULL, &out, &err, path, NULL), 0);
    assert_non_null (strstr (out, " T cibus_publish_note\n"));
    assert_non_null (strstr (out, " T cibus_read\n"));
    assert_null (strstr (out, " cibus__"));
    free (out), free (err);

    //  Built exactly as the example says, from its own directory.
    char root [PATH_MAX], pkg_path [PATH_MAX + 64], ld_path [PATH_MAX + 64];
    char example [PATH_MAX + 64], example_static [PATH_MAX + 64];
    harness_source_tree ("docs/examples/example.c", root, sizeof root);
    snprintf (examples, sizeof examples, "%s/docs/examples", root);
    snprintf (example, sizeof example, "%s/example", tmp);
    snprintf (example_static, sizeof example_static, "%s/example-static", tmp);
    snprintf (pkg_path, sizeof pkg_path, "PKG_CONFIG_PATH=%s/lib/pkgconfig", prefix);
    snprintf (ld_path, sizeof ld_path, "LD_LIBRARY_PATH=%s/lib", prefix);
    const char *pkg_env [] = {pkg_path, NULL};
    int rc = s_sh ("cd \"$1\" && cc example.c $(pkg-config --cflags --libs cibus) -o \"$2\"",
                   pkg_env, &out, &err, examples, example, NULL);
    if (rc != 0)
        fprintf (stderr, "cc exited %d:\n%s%s", rc, out, err);
    assert_int_equal (rc, 0);
    assert_string_equal (err, "");
    free (out), free (err);

    //  It runs on the installed shared library, and on nothing else: without
    //  LD_LIBRARY_PATH the loader does not find it.
    assert_true (harness_define_k3 (world));
    char broker_key [PATH_MAX + 16];
    snprintf (broker_key, sizeof broker_key, "%s/broker", world->data);
    const char *run_env [] = {ld_path, NULL};
    const char *argv [] = {example, world->broker.endpoint, broker_key, world->alice, NULL};
    rc = harness_run (argv, run_env, NULL, &out, &err);
    if (rc != 0)
        fprintf (stderr, "example exited %d:\n%s%s", rc, out, err);
    assert_int_equal (rc, 0);
    assert_string_equal (err, "");
    char expect [2048];
    snprintf (expect, sizeof expect,
              "connected to %s as alice (partner)\n"
              "published k3-reading 2026-Q3 to early-literacy/data, "
              "id example-k3-reading-2026-Q3: seq 2, version 1\n" S_READ_BACK,
              world->broker.endpoint);
    s_untime (out);
    assert_string_equal (out, expect);
    free (out), free (err);
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 127);
    assert_non_null (strstr (err, "libcibus.so.1"));
    free (out), free (err);

    //  The static library holds all it needs: linked with it and what
    //  cibus.pc names as private (its modules and Libs.private), the example
    //  runs without LD_LIBRARY_PATH. Not `pkg-config --static`: Debian's
    //  libzmq.pc names a libprotokit.a that is not installed. Its id is the
    //  same, so the broker answers with the first entry's seq.
    rc = s_sh ("cd \"$1\" && cc -Wl,--as-needed example.c $(pkg-config --cflags cibus) "
               "\"$3/lib/libcibus.a\" "
               "$(pkg-config --libs $(pkg-config --print-requires-private cibus)) "
               "$(sed -n 's/^Libs.private: //p' \"$3/lib/pkgconfig/cibus.pc\") -o \"$2\"",
               pkg_env, &out, &err, examples, example_static, prefix, NULL);
    if (rc != 0)
        fprintf (stderr, "cc (static) exited %d:\n%s%s", rc, out, err);
    assert_int_equal (rc, 0);
    free (out), free (err);
    argv [0] = example_static;
    assert_int_equal (harness_run (argv, NULL, NULL, &out, &err), 0);
    assert_string_equal (err, "");
    snprintf (expect, sizeof expect,
              "connected to %s as alice (partner)\n"
              "id example-k3-reading-2026-Q3: a duplicate of seq 2, nothing stored\n" S_READ_BACK,
              world->broker.endpoint);
    s_untime (out);
    assert_string_equal (out, expect);
    free (out), free (err);

    //  In the log, as the backbone reads it.
    assert_int_equal (harness_cibus (world, &out, &err, "tail", "--key", world->hub, "--from", "2",
                                     "--count", "1", "--json", NULL),
                      0);
    assert_non_null (strstr (out, "{\"seq\":2,\"topic\":\"early-literacy/data\","
                                  "\"partner\":\"alice\",\"id\":\"example-k3-reading-2026-Q3\","));
    assert_non_null (strstr (out, "\"status\":\"provisional\"}\n"));
    free (out), free (err);

    harness_rmtree (tmp);
    free (tmp);
}

//  With DESTDIR the files go under it, while cibus.pc names PREFIX alone:
//  what a package builder stages is what runs once installed.
static void
test_install_destdir_stages_without_naming_it (void **state)
{
    (void) state;
    char *tmp = harness_tmpdir ();
    assert_non_null (tmp);
    char stage [PATH_MAX], staged [PATH_MAX + 32], path [PATH_MAX + 64];
    snprintf (stage, sizeof stage, "%s/stage", tmp);
    assert_int_equal (s_make_install ("/opt/cibus", stage), 0);
    snprintf (staged, sizeof staged, "%s/opt/cibus", stage);
    assert_true (s_is_file (staged, "bin/cibus"));
    assert_true (s_is_file (staged, "bin/cibusd"));
    assert_true (s_is_file (staged, "lib/libcibus.a"));
    assert_true (s_is_file (staged, "lib/libcibus.so.1"));
    assert_true (s_is_file (staged, "include/cibus/cibus.h"));
    snprintf (path, sizeof path, "%s/lib/pkgconfig/cibus.pc", staged);
    char *pc = harness_read_all (path);
    assert_non_null (pc);
    assert_non_null (strstr (pc, "prefix=/opt/cibus\n"));
    assert_non_null (strstr (pc, "\nCflags: -I/opt/cibus/include/cibus\n"));
    assert_non_null (strstr (pc, "\nLibs: -L/opt/cibus/lib -lcibus\n"));
    assert_null (strstr (pc, stage));
    free (pc);
    harness_rmtree (tmp);
    free (tmp);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (
            test_install_the_example_builds_with_pkg_config_and_publishes, s_setup, s_teardown),
        cmocka_unit_test (test_install_destdir_stages_without_naming_it),
    };
    //  CIBUS_TEST=pattern runs only the tests whose names match.
    if (getenv ("CIBUS_TEST"))
        cmocka_set_test_filter (getenv ("CIBUS_TEST"));
    return cmocka_run_group_tests_name ("install", tests, NULL, NULL);
}
