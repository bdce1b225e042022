/*  example.c - a program built against the installed libcibus, with
    nothing but

        cc example.c $(pkg-config --cflags --libs cibus) -o example

    (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig when cibus is installed outside
    pkg-config's search path, and LD_LIBRARY_PATH=PREFIX/lib to run it).

        ./example ENDPOINT BROKER_KEY SECRET_CERT [NETWORK]

    It asks the broker who this key belongs to (a ping), publishes one
    small data table for the indicator k3-reading to NETWORK/data
    (early-literacy by default) with the cibus_table_* API, and prints the
    broker's ack, which comes only once the table is durably stored. The
    table's id is fixed, so a second run is answered as a duplicate of the
    first: nothing is stored twice. The indicator must be in the catalogue.
    Then it reads the table back from the log: a cursor opened at the
    table's seq replays it, and the entry is printed with its seq, as
    JSON.

    Exit status: 0 published (or a duplicate) and read back, 1 the library
    or the broker refused (the reason on stderr), 2 wrong arguments.       */

#include <cibus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLE_ID "example-k3-reading-2026-Q3"

//  The table, in the text forms the cibus command takes: NUM/DEN for a
//  percent, * for a value suppressed at source.
static cibus_err_t
s_build_table (cibus_table_t *table)
{
    cibus_err_t err = cibus_table_set (table, "indicator", "k3-reading");
    if (!err)
        err = cibus_table_set (table, "period", "2026-Q3");
    if (!err)
        err = cibus_table_set (table, "status", "provisional");
    if (!err)
        err = cibus_table_set_total (table, "245/412");
    if (!err)
        err = cibus_table_add_cell (table, "race=black", "52/160");
    if (!err)
        err = cibus_table_add_cell (table, "race=white", "190/240");
    if (!err)
        err = cibus_table_add_cell (table, "race=asian", "*");
    return err;
}

int
main (int argc, char *argv [])
{
    if (argc < 4 || argc > 5) {
        fprintf (stderr, "usage: %s ENDPOINT BROKER_KEY SECRET_CERT [NETWORK]\n", argv [0]);
        return 2;
    }
    const char *network = argc == 5 ? argv [4] : "early-literacy";
    char error [512];
    cibus_config_t config = {.endpoint = argv [1], .broker_key = argv [2], .secret_cert = argv [3]};
    cibus_t *cibus = cibus_new (&config, error, sizeof error);
    if (!cibus) {
        fprintf (stderr, "example: %s\n", error);
        return 1;
    }
    int status = 1;
    cibus_table_t *table = NULL;
    cibus_entry_t *entry = NULL;

    char partner [128], role [32];
    if (cibus_ping (cibus, partner, sizeof partner, role, sizeof role) != CIBUS_OK) {
        fprintf (stderr, "example: %s\n", cibus_error (cibus));
        goto done;
    }
    printf ("connected to %s as %s (%s)\n", argv [1], partner, role);

    table = cibus_table_new ();
    if (!table) {
        fprintf (stderr, "example: out of memory\n");
        goto done;
    }
    if (s_build_table (table) != CIBUS_OK) {
        fprintf (stderr, "example: %s\n", cibus_table_error (table));
        goto done;
    }
    cibus_ack_t ack;
    cibus_err_t err = cibus_publish_table (cibus, network, EXAMPLE_ID, table, &ack);
    if (err != CIBUS_OK) {
        const char *field = cibus_error_field (cibus);
        fprintf (stderr, "example: %s%s%s%s: %s\n", cibus_strerror (err), *field ? " (" : "", field,
                 *field ? ")" : "", cibus_error (cibus));
        goto done;
    }
    if (ack.duplicate)
        printf ("id %s: a duplicate of seq %llu, nothing stored\n", ack.id,
                (unsigned long long) ack.seq);
    else
        printf ("published k3-reading 2026-Q3 to %s/data, id %s: seq %llu, version %u\n", network,
                ack.id, (unsigned long long) ack.seq, (unsigned) ack.version);

    //  Read it back: a replay from its seq, of the network's tables only,
    //  one entry at a time (a credit of 1).
    char topic [256];
    snprintf (topic, sizeof topic, "%s/data", network);
    const char *prefixes [] = {topic};
    if (cibus_subscribe (cibus, prefixes, 1, ack.seq, 1, NULL) != CIBUS_OK
        || cibus_read (cibus, -1, &entry) != CIBUS_OK) {
        fprintf (stderr, "example: %s\n", cibus_error (cibus));
        goto done;
    }
    char *json = cibus_entry_json (entry);
    if (!json) {
        fprintf (stderr, "example: out of memory\n");
        goto done;
    }
    printf ("read back seq %llu: %s\n", (unsigned long long) cibus_entry_seq (entry), json);
    free (json);
    status = 0;

done:
    cibus_entry_destroy (&entry);
    cibus_table_destroy (&table);
    cibus_destroy (&cibus);
    return status;
}
