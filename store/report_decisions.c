/*  report_decisions.c - the report's decisions: what the meetings of the
    period decided, and who committed to what because of it.

    A commitment may name the note it came from and which of its decisions
    (ActionCommitment.from_note and decision, PROTOCOL.md 7.4); the broker
    made sure the note is in the commitment's network and the decision is
    one of the note's, so both are read here as they were projected. Each
    decision of a meeting held in the period is listed with the
    commitments that came from it - a decision no one took up is a row
    too, with empty commitment cells, for that is what a backbone chases -
    then the commitments that came from the meeting without naming one of
    its decisions.

    Read access is the note's network's, which is its commitments' too. A
    commitment's "overdue" is judged at the query's today (query_overdue),
    never by the clock, so that a report asked with Query.today answers the
    same on any day.                                                      */

#include "query_internal.h"

#include <string.h>

//  The rows of one note: a row per decision and commitment.
static cibus_err_t
s_note_rows (query_t *q, store_table_t *table, const char *held_on, int64_t seq)
{
    sqlite3_stmt *stmt = q->store->query [QUERY_NOTE_COMMITMENTS];
    sqlite3_bind_int64 (stmt, 1, seq);
    int rc = SQLITE_DONE;
    while (!q->nomem && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        //  Empty cells: a commitment that named no decision, or a decision
        //  no one took up.
        bool decided = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
        bool committed = sqlite3_column_type (stmt, 3) != SQLITE_NULL;
        store_row_t *row = query_row (q, table);
        query_text (q, row, held_on);
        query_text (q, row, (const char *)sqlite3_column_text (stmt, 0));
        if (decided) {
            query_number (q, row, (double)sqlite3_column_int64 (stmt, 1));
            query_text (q, row, (const char *)sqlite3_column_text (stmt, 2));
        } else {
            query_empty (q, row);
            query_empty (q, row);
        }
        if (committed) {
            const char *due = (const char *)sqlite3_column_text (stmt, 5);
            int status = sqlite3_column_int (stmt, 6);
            query_text (q, row, (const char *)sqlite3_column_text (stmt, 3));
            query_text (q, row, (const char *)sqlite3_column_text (stmt, 4));
            query_text (q, row, due);
            query_text (q, row, codec_commitment_status_name ((Cibus__CommitmentStatus)status));
            query_text (q, row, query_overdue (q, due, status) ? "yes" : "no");
        } else
            for (int cell = 0; cell < 5; cell++)
                query_empty (q, row);
    }
    cibus_err_t err =
        !q->nomem && rc != SQLITE_DONE ? store_fail (q->store, "query-decisions") : CIBUS_OK;
    store_reset (stmt);
    return err;
}

cibus_err_t
query_report_decisions (query_t *q, const char *start, const char *end)
{
    static const char *const columns [] = {"held_on", "note", "decision", "text",   "commitment",
                                           "owner",   "due",  "status",   "overdue"};
    store_table_t *table = query_table (q, "decisions", columns, 9);
    sqlite3_stmt *notes = q->store->query [QUERY_NOTES];
    sqlite3_bind_text (notes, 1, start, -1, SQLITE_STATIC);
    sqlite3_bind_text (notes, 2, end, -1, SQLITE_STATIC);
    int rc = SQLITE_DONE;
    cibus_err_t err = CIBUS_OK;
    while (!err && !q->nomem && (rc = sqlite3_step (notes)) == SQLITE_ROW)
        if (query_reads (q, (const char *)sqlite3_column_text (notes, 2)))
            err = s_note_rows (q, table, (const char *)sqlite3_column_text (notes, 0),
                               sqlite3_column_int64 (notes, 4));
    if (!err && !q->nomem && rc != SQLITE_DONE)
        err = store_fail (q->store, "query-decisions-notes");
    store_reset (notes);
    return err;
}
