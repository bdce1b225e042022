/*  cibusd - the cibus broker and its administration commands.

        cibusd init    [--data DIR]
        cibusd run     [--data DIR] [--bind ENDPOINT] [--sync full|normal]
        cibusd partner add NAME --role ROLE --key CERT-OR-Z85 [--network NET]...
                           [--feeds PARTNER]...
        cibusd partner list   [--json]
        cibusd partner remove NAME
        cibusd config set KEY VALUE | get KEY
        cibusd audit   [--data DIR] [--as PARTNER]

    Exit codes: 0 success, 2 usage error, 3 stopped at --max-memory, 1 any
    other failure. audit: 0 no cell exposed, 1 a cell exposed, 2 it could
    not audit.           */

#include "broker.h"
#include "cibusd_audit.h"
#include "cibus_json.h"
#include "cibus_limits.h"
#include "datadir.h"
#include "keys.h"
#include "log.h"
#include "measure.h"
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <czmq.h>
#include <string.h>
#include <sys/stat.h>

#define S_EXIT_FAIL  1
#define S_EXIT_USAGE 2
#define S_EXIT_MEMORY 3

static const opt_def_t s_opts [] = {
    {"data", OPT_VALUE, "DIR", "CIBUS_DATA", "./var",
     "data directory: database, broker keypair, endpoint file"},
    {"as", OPT_VALUE, "PARTNER", NULL, NULL,
     "audit: what this partner receives (default: a reader of every network who owns no "
     "table)"},
    {"bind", OPT_VALUE, "ENDPOINT", "CIBUS_BIND", "tcp://127.0.0.1:5570",
     "run: endpoint to listen on (tcp://HOST:* picks a free port)"},
    {"sync", OPT_VALUE, "full|normal", "CIBUS_SYNC", "full",
     "run: full fsyncs every commit before its ack (survives power loss); normal "
     "survives a crash of the broker but not of the machine"},
    {"heartbeat", OPT_VALUE, "SECONDS", "CIBUS_HEARTBEAT", NULL,
     "run: how often an idle subscriber is sent a heartbeat; a subscriber that has gone "
     "is forgotten at the next one, one that vanished silently within three (default 10)"},
    {"handshake-timeout", OPT_VALUE, "SECONDS", "CIBUS_HANDSHAKE_TIMEOUT", "5",
     "run: a connection that has not finished its CURVE handshake by then is closed"},
    {"max-pending", OPT_VALUE, "N", "CIBUS_MAX_PENDING", "4096",
     "run: connections allowed in their handshake at once; past it the oldest are closed"},
    {"max-inflight", OPT_VALUE, "BYTES", "CIBUS_MAX_INFLIGHT", "8M",
     "run: bytes delivered to one subscriber and not yet paid back by its credit; a "
     "subscriber that stops reading costs at most this (suffix K, M or G)"},
    {"quota-rate", OPT_VALUE, "BYTES", "CIBUS_QUOTA_RATE", "1M",
     "run: bytes a second one partner or integrator may publish, with bursts of ten "
     "seconds' worth; 0 for no limit (the backbone has none)"},
    {"quota-total", OPT_VALUE, "BYTES", "CIBUS_QUOTA_TOTAL", "1G",
     "run: bytes one partner or integrator may have stored in the log; 0 for no limit"},
    {"max-memory", OPT_VALUE, "BYTES", "CIBUS_MAX_MEMORY", "0",
     "run: stop (exit 3) when the broker's resident memory passes this, for a supervisor to "
     "restart it; nothing acked is lost (see contrib/cibusd.service); 0 for no limit"},
    {"role", OPT_VALUE, "ROLE", NULL, NULL, "partner add: backbone, partner or integrator"},
    {"key", OPT_VALUE, "CERT-OR-Z85", NULL, NULL,
     "partner add: the partner's public certificate file (from `cibus keygen`) or its "
     "40-character Z85 public key"},
    {"network", OPT_LIST, "NET", NULL, NULL,
     "partner add: a network the partner publishes and reads in (repeat for several)"},
    {"feeds", OPT_LIST, "PARTNER", NULL, NULL,
     "partner add, for an integrator: a partner whose tables it submits (with `cibus submit "
     "--for PARTNER`; repeat for several)"},
    {"json", OPT_FLAG, NULL, NULL, NULL, "partner list: one JSON object per line"},
    {NULL, 0, NULL, NULL, NULL, NULL}};

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: cibusd COMMAND [OPTIONS]\n"
             "\n"
             "commands:\n"
             "  init                     create the data directory, its database and the\n"
             "                           broker's keypair; print the broker's public key\n"
             "  run                      run the broker in the foreground (SIGINT/SIGTERM\n"
             "                           stop it after acking the commit in flight)\n"
             "  partner add NAME         register a partner's key (takes effect at once,\n"
             "                           also on a running broker); an integrator with\n"
             "                           the partners it feeds (--feeds)\n"
             "  partner list             list the registry\n"
             "  partner remove NAME      remove a partner; its next request is refused\n"
             "  config set KEY VALUE     set an initiative setting, for tables appended\n"
             "                           from then on (what was decided stays decided):\n"
             "                             min-cell          a cell of fewer people is\n"
             "                                               hidden (1..100, default 10)\n"
             "                             coding            1 shows a percent near 0 or\n"
             "                                               100 as a range, 0 as it is (1)\n"
             "                             protection        a small hidden cell's range\n"
             "                                               spans this %% of its size (50)\n"
             "                             value-protection  the same for a count or amount,\n"
             "                                               +- this %% of its value (10)\n"
             "  config get KEY           print a setting\n"
             "  audit                    prove that no hidden cell of any table can be\n"
             "                           worked out from what a reader received (--as a\n"
             "                           partner; default a reader of every network);\n"
             "                           exits 1 naming each cell that can\n"
             "\n"
             "options:\n");
    opts_help (s_opts, out);
}

static int
s_usage_error (const char *format, const char *arg)
{
    fprintf (stderr, "cibusd: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, " (see `cibusd --help`)\n");
    return S_EXIT_USAGE;
}

//  Open the store of an existing data directory, for the admin commands.
static store_t *
s_open_store (const char *dir)
{
    char path [PATH_MAX];
    struct stat st;
    if (!datadir_path (dir, DATADIR_DB, path, sizeof path) || stat (dir, &st) != 0
        || !S_ISDIR (st.st_mode)) {
        fprintf (stderr,
                 "cibusd: no data directory at '%s': run `cibusd init --data %s` first\n",
                 dir, dir);
        return NULL;
    }
    store_t *store = store_new (path, STORE_SYNC_FULL);
    if (!store)
        fprintf (stderr, "cibusd: cannot open the database '%s' (see the line above)\n", path);
    return store;
}

static int
s_cmd_init (opts_t *opts)
{
    const char *dir = opts_get (opts, "data");
    char error [512];
    bool created;
    if (datadir_init (dir, &created, error, sizeof error)) {
        fprintf (stderr, "cibusd: %s\n", error);
        return S_EXIT_FAIL;
    }
    store_t *store = s_open_store (dir);
    zcert_t *cert = store ? datadir_cert (dir, error, sizeof error) : NULL;
    store_destroy (&store);
    if (!cert) {
        fprintf (stderr, "cibusd: %s\n", error);
        return S_EXIT_FAIL;
    }
    fprintf (stderr, "cibusd: %s data directory %s; give clients the certificate %s/%s\n",
             created ? "created" : "using existing", dir, dir, DATADIR_CERT);
    printf ("%s\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

//  A count or a size from the command line: digits with an optional K, M or
//  G (powers of 1024), between min and max. False when it is not.
static bool
s_parse_size (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    char *end;
    errno = 0;
    unsigned long long number = strtoull (text, &end, 10);
    if (end == text || errno || *text == '-')
        return false;
    uint64_t unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        unit = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        unit = 1024 * 1024 * 1024, end++;
    if (*end || number > max / unit)
        return false;
    *value = (uint64_t) number * unit;
    return *value >= min && *value <= max;
}

static int
s_cmd_run (opts_t *opts)
{
    broker_config_t config = {.data_dir = opts_get (opts, "data"),
                              .bind = opts_get (opts, "bind"),
                              .sync = STORE_SYNC_FULL};
    const char *handshake = opts_get (opts, "handshake-timeout");
    char *end;
    double handshake_sec = strtod (handshake, &end);
    if (*end || !(handshake_sec >= 0.1 && handshake_sec <= 600))
        return s_usage_error ("--handshake-timeout must be seconds between 0.1 and 600, got '%s'",
                              handshake);
    config.handshake_msec = (int) (handshake_sec * 1000);
    uint64_t value;
    const char *pending = opts_get (opts, "max-pending");
    if (!s_parse_size (pending, 1, 1000000, &value))
        return s_usage_error ("--max-pending must be a count between 1 and 1000000, got '%s'",
                              pending);
    config.max_pending = (size_t) value;
    const char *inflight = opts_get (opts, "max-inflight");
    if (!s_parse_size (inflight, CIBUS_MAX_FRAME, (uint64_t) 1 << 40, &config.max_inflight))
        return s_usage_error ("--max-inflight must be bytes between 1M and 1024G (suffix K, M "
                              "or G), got '%s'",
                              inflight);
    const char *rate = opts_get (opts, "quota-rate");
    if (!s_parse_size (rate, 0, (uint64_t) 1 << 40, &config.quota_rate))
        return s_usage_error ("--quota-rate must be bytes a second (suffix K, M or G; 0 for no "
                              "limit), got '%s'",
                              rate);
    const char *total = opts_get (opts, "quota-total");
    if (!s_parse_size (total, 0, (uint64_t) 1 << 50, &config.quota_total))
        return s_usage_error ("--quota-total must be bytes (suffix K, M or G; 0 for no limit), "
                              "got '%s'",
                              total);
    const char *memory = opts_get (opts, "max-memory");
    if (!s_parse_size (memory, 0, (uint64_t) 1 << 50, &config.max_memory)
        || (config.max_memory && config.max_memory < 16 * 1024 * 1024))
        return s_usage_error ("--max-memory must be bytes, at least 16M (suffix K, M or G; 0 "
                              "for no limit), got '%s'",
                              memory);
    const char *heartbeat = opts_get (opts, "heartbeat");
    if (heartbeat) {
        double seconds = strtod (heartbeat, &end);
        if (*end || !(seconds >= 0.01 && seconds <= 3600))
            return s_usage_error ("--heartbeat must be seconds between 0.01 and 3600, got '%s'",
                                  heartbeat);
        config.heartbeat_msec = (int) (seconds * 1000);
    }
    const char *sync = opts_get (opts, "sync");
    if (strcmp (sync, "normal") == 0)
        config.sync = STORE_SYNC_NORMAL;
    else if (strcmp (sync, "full") != 0)
        return s_usage_error ("--sync must be full or normal, got '%s'", sync);
    if (opts_positional_count (opts) > 1)
        return s_usage_error ("run takes no argument, got '%s'", opts_positional (opts, 1));
    broker_t *broker = broker_new (&config);
    if (!broker) {
        fprintf (stderr, "cibusd: could not start (see the line above)\n");
        return S_EXIT_FAIL;
    }
    cibus_err_t err = broker_run (broker);
    broker_destroy (&broker);
    if (err == CIBUS_ERR_NOMEM) {
        fprintf (stderr, "cibusd: stopped at its --max-memory limit; nothing acked was lost, "
                         "start it again (a supervisor does: see contrib/cibusd.service)\n");
        return S_EXIT_MEMORY;
    }
    return err ? S_EXIT_FAIL : 0;
}

static int
s_partner_add (opts_t *opts, store_t *store)
{
    if (opts_positional_count (opts) != 3)
        return s_usage_error ("%s", "partner add takes one NAME");
    const char *name = opts_positional (opts, 2);
    const char *role_name = opts_get (opts, "role");
    const char *key_arg = opts_get (opts, "key");
    role_t role;
    if (!role_name || !store_role_parse (role_name, &role))
        return s_usage_error ("--role must be backbone, partner or integrator, got '%s'",
                              role_name ? role_name : "nothing");
    if (!key_arg)
        return s_usage_error ("%s", "--key is required: the partner's public certificate "
                                    "file or Z85 public key");
    if (strlen (name) == 0 || strlen (name) > CIBUS_MAX_NAME || strchr (name, ' '))
        return s_usage_error ("partner NAME must be 1 to 128 characters without spaces, got "
                              "'%s'",
                              name);
    char key [STORE_KEY_LEN + 1];
    if (!keys_public (key_arg, key)) {
        fprintf (stderr,
                 "cibusd: --key '%s' is neither a readable certificate file nor a 40-character "
                 "Z85 key: use the public file written by `cibus keygen NAME`\n",
                 key_arg);
        return S_EXIT_USAGE;
    }
    size_t count = opts_count (opts, "network");
    if (role == ROLE_PARTNER && count == 0)
        return s_usage_error ("%s", "a partner needs at least one --network");
    const char *networks [CIBUS_MAX_LIST];
    if (count > CIBUS_MAX_LIST)
        return s_usage_error ("%s", "too many --network options");
    for (size_t i = 0; i < count; i++) {
        networks [i] = opts_item (opts, "network", i);
        bool token = *networks [i] && strlen (networks [i]) <= CIBUS_MAX_NETWORK;
        for (const char *c = networks [i]; token && *c; c++)
            token = isgraph ((unsigned char) *c) && *c != '/';
        if (!token)
            return s_usage_error ("--network '%s' must be 1 to 64 printable characters "
                                  "without spaces or '/'",
                                  networks [i]);
        if (strcmp (networks [i], CODEC_CATALOG_NETWORK) == 0)
            return s_usage_error ("--network '%s' is reserved for the indicator catalogue, "
                                  "which every partner reads",
                                  networks [i]);
    }
    size_t feed_count = opts_count (opts, "feeds");
    if (feed_count && role != ROLE_INTEGRATOR)
        return s_usage_error ("--feeds is for an integrator, which submits tables on behalf of "
                              "the partners it feeds; '%s' is not one (--role integrator)",
                              name);
    if (feed_count > CIBUS_MAX_LIST)
        return s_usage_error ("%s", "too many --feeds options");
    const char *feeds [CIBUS_MAX_LIST];
    for (size_t i = 0; i < feed_count; i++) {
        feeds [i] = opts_item (opts, "feeds", i);
        bool token = *feeds [i] && strlen (feeds [i]) <= CIBUS_MAX_NAME;
        for (const char *c = feeds [i]; token && *c; c++)
            token = isgraph ((unsigned char) *c) && *c != '/';
        if (!token)
            return s_usage_error ("--feeds '%s' must be a partner's name: 1 to 128 printable "
                                  "characters without spaces or '/'",
                                  feeds [i]);
    }
    cibus_err_t err = store_partner_add (store, name, key, role, networks, count);
    if (err == CIBUS_ERR_EXISTS) {
        fprintf (stderr,
                 "cibusd: a partner named '%s' or with this key is already registered: "
                 "`cibusd partner list` shows it; remove it first to change it\n",
                 name);
        return S_EXIT_FAIL;
    }
    if (err) {
        fprintf (stderr, "cibusd: cannot add partner '%s': %s\n", name, cibus_strerror (err));
        return S_EXIT_FAIL;
    }
    //  Recorded after the partner: were it to fail, the integrator would
    //  stand registered without them, so it is removed again.
    err = feed_count ? store_partner_add_feeds (store, name, feeds, feed_count) : CIBUS_OK;
    if (err) {
        store_partner_remove (store, name);
        fprintf (stderr, "cibusd: cannot record which partners '%s' feeds: %s; it was not added\n",
                 name, cibus_strerror (err));
        return S_EXIT_FAIL;
    }
    printf ("added %s (%s) key %s", name, store_role_name (role), key);
    for (size_t i = 0; i < feed_count; i++)
        printf ("%s%s", i ? "," : " feeds ", feeds [i]);
    printf ("\n");
    return 0;
}

//  A list of texts as a new JSON array; NULL when out of memory.
static json_t *
s_json_list (char **items, size_t count)
{
    json_t *list = json_array ();
    int failed = 0;
    for (size_t i = 0; i < count; i++)
        failed |= json_array_append_new (list, cibus_json_string (items [i]));
    if (failed) {
        json_decref (list);
        return NULL;
    }
    return list;
}

//  The partner as one JSON line; a name or key that is not well-formed
//  UTF-8 (written into the database by other means) has U+FFFD for each
//  byte that is not part of a character. Out of memory leaves the line out
//  and counts it in *failed.
static void
s_print_partner_json (const store_partner_t *partner, int *failed)
{
    json_t *json = json_object ();
    int rc = cibus_json_set (json, "name", cibus_json_string (partner->name));
    rc |= cibus_json_set (json, "role", cibus_json_string (store_role_name (partner->role)));
    rc |= cibus_json_set (json, "key", cibus_json_string (partner->public_key));
    rc |= cibus_json_set (json, "networks",
                          s_json_list (partner->networks, partner->network_count));
    if (partner->role == ROLE_INTEGRATOR)
        rc |= cibus_json_set (json, "feeds", s_json_list (partner->feeds, partner->feed_count));
    if (rc) {
        json_decref (json);
        json = NULL;
    }
    if (!cibus_json_print (json, stdout))
        (*failed)++;
}

static void
s_print_partner (const store_partner_t *partner, void *arg)
{
    int *json_failed = arg;
    if (json_failed) {
        s_print_partner_json (partner, json_failed);
        return;
    }
    //  What the registry holds goes to a terminal: a name written into the
    //  database by other means than `partner add` must not drive it.
    log_value_t name, key, network;
    printf ("%-24s %-10s %s ", log_escape (&name, partner->name),
            store_role_name (partner->role), log_escape (&key, partner->public_key));
    if (partner->role == ROLE_BACKBONE)
        printf ("(all networks)");
    for (size_t i = 0; i < partner->network_count; i++)
        printf ("%s%s", i ? "," : "", log_escape (&network, partner->networks [i]));
    for (size_t i = 0; i < partner->feed_count; i++)
        printf ("%s%s", i ? "," : " feeds ", log_escape (&network, partner->feeds [i]));
    printf ("\n");
}

static int
s_cmd_partner (opts_t *opts)
{
    const char *action = opts_positional (opts, 1);
    if (!action)
        return s_usage_error ("%s", "partner needs add, list or remove");
    if (strcmp (action, "add") && strcmp (action, "list") && strcmp (action, "remove"))
        return s_usage_error ("unknown partner command '%s': use add, list or remove",
                              action);
    if (strcmp (action, "remove") == 0 && opts_positional_count (opts) != 3)
        return s_usage_error ("%s", "partner remove takes one NAME");
    store_t *store = s_open_store (opts_get (opts, "data"));
    if (!store)
        return S_EXIT_FAIL;
    int rc = 0;
    if (strcmp (action, "add") == 0)
        rc = s_partner_add (opts, store);
    else if (strcmp (action, "list") == 0) {
        int json_failed = 0;
        if (store_partner_each (store, s_print_partner,
                                opts_flag (opts, "json") ? &json_failed : NULL))
            rc = S_EXIT_FAIL;
        if (json_failed) {
            fprintf (stderr, "cibusd: out of memory while writing JSON: %d partner%s left "
                     "out\n", json_failed, json_failed == 1 ? "" : "s");
            rc = S_EXIT_FAIL;
        }
    }
    else {
        const char *name = opts_positional (opts, 2);
        cibus_err_t err = store_partner_remove (store, name);
        if (err == CIBUS_ERR_NOT_FOUND)
            fprintf (stderr, "cibusd: no partner named '%s' (see `cibusd partner list`)\n",
                     name);
        else if (err)
            fprintf (stderr, "cibusd: cannot remove '%s': %s\n", name, cibus_strerror (err));
        else
            printf ("removed %s\n", name);
        rc = err ? S_EXIT_FAIL : 0;
    }
    store_destroy (&store);
    return rc;
}

static int
s_cmd_config (opts_t *opts)
{
    const char *action = opts_positional (opts, 1);
    bool set = action && strcmp (action, "set") == 0;
    bool get = action && strcmp (action, "get") == 0;
    if ((!set && !get) || opts_positional_count (opts) != (set ? 4u : 3u))
        return s_usage_error ("%s", "use: config set KEY VALUE, or config get KEY");
    store_t *store = s_open_store (opts_get (opts, "data"));
    if (!store)
        return S_EXIT_FAIL;
    const char *key = opts_positional (opts, 2);
    char text [256];
    cibus_err_t err = set ? store_config_set (store, key, opts_positional (opts, 3), text,
                                              sizeof text)
                          : store_config_get (store, key, text, sizeof text);
    store_destroy (&store);
    if (err) {
        fprintf (stderr, "cibusd: %s\n",
                 set ? text
                     : "unknown setting: the settings are min-cell, coding, protection and "
                       "value-protection");
        return err == CIBUS_ERR_BAD_FIELD || err == CIBUS_ERR_NOT_FOUND ? S_EXIT_USAGE : S_EXIT_FAIL;
    }
    log_value_t value;
    if (set)
        printf ("%s = %s\n", key, opts_positional (opts, 3));
    else
        printf ("%s\n", log_escape (&value, text)); //  as read from the database
    return 0;
}

int
main (int argc, char **argv)
{
    //  czmq would print its own "interrupted" lines and handle signals
    //  itself: keep its SIGINT/SIGTERM handler (it sets zsys_interrupted,
    //  which the broker's loop checks) but not its chatter.
    zsys_init ();
    zsys_set_logstream (NULL);
    char error [256];
    opts_t *opts = argc > 1 ? opts_parse (s_opts, argc - 1, argv + 1, error, sizeof error) : NULL;
    if (argc > 1 && !opts)
        return s_usage_error ("%s", error);
    const char *command = opts ? opts_positional (opts, 0) : NULL;
    int rc;
    if (!opts || opts_flag (opts, "help") || !command || strcmp (command, "help") == 0) {
        s_usage (command || (opts && opts_flag (opts, "help")) ? stdout : stderr);
        rc = command || (opts && opts_flag (opts, "help")) ? 0 : S_EXIT_USAGE;
    }
    else if (strcmp (command, "init") == 0)
        rc = s_cmd_init (opts);
    else if (strcmp (command, "run") == 0)
        rc = s_cmd_run (opts);
    else if (strcmp (command, "partner") == 0)
        rc = s_cmd_partner (opts);
    else if (strcmp (command, "config") == 0)
        rc = s_cmd_config (opts);
    else if (strcmp (command, "audit") == 0) {
        if (opts_positional_count (opts) > 1)
            rc = s_usage_error ("audit takes no argument, got '%s'", opts_positional (opts, 1));
        else
            rc = audit_main (opts_get (opts, "data"), opts_get (opts, "as"), stdout);
    }
    else
        rc = s_usage_error ("unknown command '%s': use init, run, partner, config or audit", command);
    opts_destroy (&opts);
    return rc;
}
