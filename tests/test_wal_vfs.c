/*  test_wal_vfs.c - the WAL written in one call a commit (store/wal_vfs.h).

    Under the VFS sits the default one with its WAL files' xWrite counted
    (and failed on demand): its files are the default VFS's own, with a
    copy of their methods in which only xWrite is this file's. So the tests
    see every write that reaches the kernel, and nothing else changes.   */

#include "harness.h"
#include "wal_vfs.h"

#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

//  What the default VFS's os_unix.c writes at most in one call.
#define S_UNIX_WRITE_MAX 0x1ffff

static sqlite3_vfs s_counted;
static sqlite3_vfs *s_unix;
static sqlite3_io_methods s_counted_methods;
static int (*s_unix_write) (sqlite3_file *, const void *, int, sqlite3_int64);

static int s_writes;       /* WAL writes that reached the default VFS */
static int s_longest;      /* the longest of them, in bytes */
static int s_fail_writes;  /* fail this many of the next ones */

static int
s_counted_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    s_writes++;
    if (amount > s_longest)
        s_longest = amount;
    if (s_fail_writes > 0) {
        s_fail_writes--;
        return SQLITE_IOERR_WRITE;
    }
    return s_unix_write (file, data, amount, offset);
}

static int
s_counted_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    (void)vfs;
    int rc = s_unix->xOpen (s_unix, name, file, flags, out);
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && file->pMethods) {
        if (!s_unix_write) {
            s_counted_methods = *file->pMethods;
            s_unix_write = file->pMethods->xWrite;
            s_counted_methods.xWrite = s_counted_write;
        }
        file->pMethods = &s_counted_methods;
    }
    return rc;
}

//  Before the VFS is registered, so that it sits on the counted one.
static int
s_group_setup (void **state)
{
    (void)state;
    s_unix = sqlite3_vfs_find (NULL);
    assert_non_null (s_unix);
    s_counted = *s_unix;
    s_counted.zName = "counted";
    s_counted.xOpen = s_counted_open;
    assert_int_equal (sqlite3_vfs_register (&s_counted, 1), SQLITE_OK);
    assert_int_equal (wal_vfs_register (), SQLITE_OK);
    return 0;
}

typedef struct {
    char *dir;
    char path [512];
    sqlite3 *db;     /* through the VFS, synchronous FULL */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    assert_non_null (self);
    self->dir = harness_tmpdir ();
    snprintf (self->path, sizeof self->path, "%s/wal.db", self->dir);
    assert_int_equal (sqlite3_open_v2 (self->path, &self->db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, WAL_VFS_NAME),
                      SQLITE_OK);
    assert_int_equal (sqlite3_exec (self->db,
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                    "PRAGMA wal_autocheckpoint = 0;"
                                    "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    s_fail_writes = 0;
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    sqlite3_close (self->db);
    harness_rmtree (self->dir);
    free (self->dir);
    free (self);
    return 0;
}

//  Insert rows from..to-1 of size bytes each, in one transaction.
static int
s_insert (sqlite3 *db, int from, int to, int size)
{
    char sql [200];
    snprintf (sql, sizeof sql,
              "WITH RECURSIVE n (k) AS (SELECT %d UNION ALL SELECT k + 1 FROM n WHERE k + 1 < %d) "
              "INSERT INTO t SELECT k, randomblob (%d) FROM n;",
              from, to, size);
    return sqlite3_exec (db, sql, NULL, NULL, NULL);
}

static int
s_count (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int count = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return count;
}

//  Another connection, through the default VFS as the checkpointer and
//  the commands are: what it sees of the file is what was written.
static void
s_check_from_another (const char *path, int rows)
{
    sqlite3 *other = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal (s_count (other, "SELECT count (*) FROM t"), rows);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (other, "PRAGMA integrity_check", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_string_equal ((const char *)sqlite3_column_text (stmt, 0), "ok");
    sqlite3_finalize (stmt);
    sqlite3_close (other);
}

//  A commit of a few pages: SQLite writes each frame in two calls (its
//  header and its page); through the VFS the kernel sees one.
static void
test_wal_vfs_a_small_commit_is_written_in_one_call (void **state)
{
    s_fixture_t *self = *state;
    assert_int_equal (s_insert (self->db, 0, 10, 100), SQLITE_OK);
    for (int i = 1; i <= 5; i++) {
        s_writes = 0;
        //  Rows of 3,000 bytes: each commit writes a page of its own for
        //  each, and the tree's pages above them.
        assert_int_equal (s_insert (self->db, i * 100, i * 100 + 4, 3000), SQLITE_OK);
        assert_int_equal (s_writes, 1);
        s_check_from_another (self->path, 10 + 4 * i);
    }
}

//  A transaction of megabytes is written in calls the default VFS takes
//  whole (os_unix.c refuses, as a full disk, any longer than 0x1ffff), as
//  few as the buffer allows, and another connection reads every row.
static void
test_wal_vfs_a_large_commit_is_written_in_calls_the_default_vfs_takes (void **state)
{
    s_fixture_t *self = *state;
    s_writes = 0;
    s_longest = 0;
    assert_int_equal (s_insert (self->db, 0, 1000, 3000), SQLITE_OK);
    assert_true (s_longest <= S_UNIX_WRITE_MAX);
    //  A thousand pages and more, of 4,120 bytes with their headers: in
    //  calls of about 120 KiB, some forty.
    assert_true (s_writes >= 30);
    assert_true (s_writes <= 60);
    s_check_from_another (self->path, 1000);
}

//  A transaction bigger than SQLite's cache writes frames before its
//  commit and reads them back: it reads what it wrote.
static void
test_wal_vfs_a_transaction_reads_back_the_frames_it_spilled (void **state)
{
    s_fixture_t *self = *state;
    assert_int_equal (sqlite3_exec (self->db, "PRAGMA cache_size = 10; BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (s_insert (self->db, 0, 500, 3000), SQLITE_OK);
    assert_int_equal (s_count (self->db, "SELECT count (*) FROM t WHERE length (v) = 3000"), 500);
    assert_int_equal (s_count (self->db, "SELECT sum (k) FROM t"), 499 * 500 / 2);
    assert_int_equal (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    s_check_from_another (self->path, 500);
}

//  The gathered frames fail to be written: the commit fails (it is not
//  taken for done), and the database is as before it, and takes the next
//  commit.
static void
test_wal_vfs_a_failed_write_fails_the_commit_and_loses_nothing_before_it (void **state)
{
    s_fixture_t *self = *state;
    assert_int_equal (s_insert (self->db, 0, 10, 3000), SQLITE_OK);
    s_fail_writes = 1;
    assert_int_not_equal (s_insert (self->db, 10, 20, 3000), SQLITE_OK);
    assert_int_equal (s_fail_writes, 0);
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    s_check_from_another (self->path, 10);
    assert_int_equal (s_insert (self->db, 10, 20, 3000), SQLITE_OK);
    s_check_from_another (self->path, 20);
}

//  A process that dies mid-transaction, with frames gathered and not
//  written: every commit it finished is there, nothing of the one it did
//  not, and the database is whole.
static void
test_wal_vfs_a_process_killed_mid_transaction_keeps_every_commit_before (void **state)
{
    s_fixture_t *self = *state;
    //  The child opens the file itself: no connection crosses the fork.
    sqlite3_close (self->db);
    self->db = NULL;
    int ready [2];
    assert_int_equal (pipe (ready), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE, WAL_VFS_NAME) != SQLITE_OK
            || sqlite3_exec (db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
            _exit (1);
        for (int i = 0; i < 20; i++)
            if (s_insert (db, i * 10, i * 10 + 10, 1000) != SQLITE_OK)
                _exit (1);
        //  A transaction whose frames are partly written (cache spills)
        //  and partly gathered when the process is killed.
        if (sqlite3_exec (db, "PRAGMA cache_size = 10; BEGIN", NULL, NULL, NULL) != SQLITE_OK
            || s_insert (db, 1000, 1300, 3000) != SQLITE_OK)
            _exit (1);
        char byte = 'r';
        if (write (ready [1], &byte, 1) != 1)
            _exit (1);
        pause ();
        _exit (1);
    }
    close (ready [1]);
    char byte = 0;
    assert_int_equal (read (ready [0], &byte, 1), 1);
    close (ready [0]);
    assert_int_equal (kill (child, SIGKILL), 0);
    int status = 0;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE, WAL_VFS_NAME),
                      SQLITE_OK);
    assert_int_equal (s_count (self->db, "SELECT count (*) FROM t"), 200);
    assert_int_equal (s_count (self->db, "SELECT count (*) FROM t WHERE k >= 1000"), 0);
    s_check_from_another (self->path, 200);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_wal_vfs_a_small_commit_is_written_in_one_call,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_wal_vfs_a_large_commit_is_written_in_calls_the_default_vfs_takes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_wal_vfs_a_transaction_reads_back_the_frames_it_spilled,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_wal_vfs_a_failed_write_fails_the_commit_and_loses_nothing_before_it, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_wal_vfs_a_process_killed_mid_transaction_keeps_every_commit_before, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, s_group_setup, NULL);
}
