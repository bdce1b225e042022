/*  fuzz_feed.c - libFuzzer target of the feed's reading and mapping
    (clients/feed.h): the CSV and JSON Lines readers, the mapping's parser
    and every rule a row meets, without a socket.

    An input is one byte of settings, then either a mapping, a line
    "%%", and the file, or the file alone, read under the mapping of the
    README's CAASPP example. The settings byte picks the format (bit 0:
    JSON Lines) and the size of the chunks the file is pushed in (the
    rest: 1 to 128 bytes), since a line may be cut anywhere.

    The properties, checked on every input that the mapping takes:
      - every data row is counted once - a cell of a table, skipped, or a
        problem: rows == cells + skipped + problems;
      - a problem's lines and a table's lines lie within the lines read,
        a table's in ascending order, each once;
      - a table that is not refused has a total and an id, and can be put
        together as an envelope (which the codec may still refuse);
      - the account's JSON is made;
      - the same bytes read by feed_read, in two pieces, each in two
        parts side by side, give the same tables, problems and counts.
    A failure prints what broke and aborts.                               */

#define _GNU_SOURCE /* memmem */
#include "cibus_wire.h"
#include "codec.h"
#include "feed.h"
#include "feed_same.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SEPARATOR "\n%%\n"

static const char s_caaspp_map [] =
    "{\"filters\": [{\"column\": \"Grade\", \"equals\": \"03\"},"
    " {\"column\": \"Test ID\", \"in\": [\"1\", \"2\"]}],"
    " \"indicator\": {\"column\": \"Test ID\", \"map\": {\"1\": \"g3-ela\", \"2\": \"g3-math\"}},"
    " \"period\": {\"column\": \"Test Year\", \"rewrite\": \"school-year-ending\"},"
    " \"owner\": {\"column\": \"District Code\", \"map\": {\"61119\": \"alice\"},"
    "             \"unmapped\": \"skip\"},"
    " \"unit\": {\"columns\": [\"County Code\", \"District Code\", \"School Code\"],"
    "          \"none_when_zero\": \"School Code\"},"
    " \"group\": {\"column\": \"Student Group ID\","
    "           \"map\": {\"1\": \"total\", \"74\": \"race=black\", \"76\": \"race=asian\","
    "                   \"78\": \"race=hispanic\", \"80\": \"race=white\","
    "                   \"31\": \"income=low\", \"111\": \"income=high\","
    "                   \"200\": \"race=hispanic,income=low\"}},"
    " \"size\": {\"column\": \"Students with Scores\"},"
    " \"value\": {\"column\": \"Percentage Standard Met and Above\", \"as\": \"percent\"},"
    " \"suppressed\": [\"*\", \"\"], \"status\": \"final\","
    " \"extracted_on\": {\"column\": \"Extracted\", \"optional\": true}}";

static void
s_fail (const char *what, size_t a, size_t b)
{
    fprintf (stderr, "fuzz_feed: %s (%zu, %zu)\n", what, a, b);
    abort ();
}

static void
s_check (feed_t *feed)
{
    size_t lines = feed_lines (feed), cells = 0;
    for (size_t i = 0; i < feed_table_count (feed); i++) {
        const feed_table_t *table = feed_table (feed, i);
        cells += table->cell_count + (table->total.name != NULL);
        for (size_t l = 0; l < table->line_count; l++) {
            if (table->lines [l] == 0 || table->lines [l] > lines)
                s_fail ("a table's line is outside the file", table->lines [l], lines);
            if (l && table->lines [l] <= table->lines [l - 1])
                s_fail ("a table's lines are not ascending", table->lines [l - 1],
                        table->lines [l]);
        }
        if (table->refusal)
            continue;
        const char *id = feed_table_id (feed, i);
        if (!table->total.name || !id || strlen (id) != strlen (FEED_ID_PREFIX) + 40)
            s_fail ("a table not refused has no total or no id", i, id ? strlen (id) : 0);
        cibus_table_t *built = cibus_table_new ();
        cibus_envelope_t env = CIBUS__ENVELOPE__INIT;
        codec_problem_t problem;
        if (built && feed_table_build (table, built) == CIBUS_OK
            && cibus_table_envelope (built, &env) == CIBUS_OK) {
            env.topic = "early-literacy/data";
            env.id = (char *) id;
            codec_validate_envelope (&env, &problem);
        }
        cibus_table_destroy (&built);
    }
    for (size_t i = 0; i < feed_problem_count (feed); i++) {
        const feed_problem_t *problem = feed_problem (feed, i);
        if (problem->first_line == 0 || problem->first_line > problem->last_line
            || problem->last_line > lines)
            s_fail ("a problem's lines are outside the file", problem->first_line,
                    problem->last_line);
    }
    if (feed_rows (feed) != cells + feed_skipped (feed) + feed_problem_count (feed))
        s_fail ("rows are not cells + skipped + problems", feed_rows (feed),
                cells + feed_skipped (feed) + feed_problem_count (feed));
    feed_account_t *account = feed_account_new (false);
    char *json = account ? feed_account_json (account, feed) : NULL;
    if (account && !json)
        s_fail ("the account's JSON was not made", feed_problem_count (feed), 0);
    free (json);
    feed_account_destroy (&account);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t settings = data [0];
    const char *text = (const char *) data + 1;
    size_t len = size - 1;
    //  The mapping, when the input carries one: a C string of its own.
    char *map_text = NULL;
    const char *separator = memmem (text, len, S_SEPARATOR, strlen (S_SEPARATOR));
    if (separator) {
        map_text = strndup (text, (size_t) (separator - text));
        len -= (size_t) (separator - text) + strlen (S_SEPARATOR);
        text = separator + strlen (S_SEPARATOR);
    }
    char error [256];
    feed_map_t *map = feed_map_new (map_text ? map_text : s_caaspp_map, error, sizeof error);
    free (map_text);
    if (!map)
        return 0;
    feed_config_t config = {map, settings & 1 ? FEED_JSONL : FEED_CSV, "early-literacy",
                            settings & 0x80 ? "bob" : NULL, 0};
    feed_t *feed = feed_new (&config);
    size_t chunk = 1 + (size_t) ((settings >> 1) & 0x3f) * 2;
    cibus_err_t err = CIBUS_OK;
    for (size_t at = 0; feed && !err && at < len; at += chunk)
        err = feed_push (feed, text + at, at + chunk < len ? chunk : len - at);
    if (feed && !err)
        err = feed_finish (feed);
    if (feed && !err)
        s_check (feed);
    //  The same bytes through feed_read, cut where the chunk size says.
    config.split_min = 1;
    feed_t *read = feed ? feed_new (&config) : NULL;
    size_t cut = len * chunk / 128;
    cibus_err_t read_err = read ? feed_read (read, text, cut) : CIBUS_OK;
    if (read && !read_err)
        read_err = feed_read (read, text + cut, len - cut);
    if (read && !read_err)
        read_err = feed_finish (read);
    if (read && read_err != err && read_err != CIBUS_ERR_NOMEM && err != CIBUS_ERR_NOMEM)
        s_fail ("feed_read and feed_push end differently", (size_t) read_err, (size_t) err);
    const char *difference = read && !err && !read_err ? feed_same (feed, read) : NULL;
    if (difference) {
        fprintf (stderr, "fuzz_feed: feed_read differs from feed_push: %s\n", difference);
        abort ();
    }
    feed_destroy (&read);
    feed_destroy (&feed);
    feed_map_destroy (&map);
    return 0;
}
