/*  registry.c - the partner registry: who may connect, as whom, where.

    A partner is a name, one CURVE public key, a role and the networks it
    belongs to. The broker admits a key only when it is here, and stamps
    the name found here into every entry that key publishes.             */

#include "store_internal.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

static const char *s_roles [ROLE__COUNT] = {"backbone", "partner", "integrator"};

const char *
store_role_name (role_t role)
{
    return role < ROLE__COUNT ? s_roles [role] : "unknown";
}

bool
store_role_parse (const char *name, role_t *role)
{
    for (int i = 0; i < ROLE__COUNT; i++)
        if (name && strcmp (name, s_roles [i]) == 0) {
            *role = (role_t) i;
            return true;
        }
    return false;
}

cibus_err_t
registry_prepare (store_t *self)
{
    if (store_prepare (self, &self->partner_insert,
                       "INSERT INTO partners (name, public_key, role) VALUES (?, ?, ?)")
        || store_prepare (self, &self->network_insert,
                          "INSERT OR IGNORE INTO partner_networks (partner, network) "
                          "VALUES (?, ?)")
        || store_prepare (self, &self->partner_delete, "DELETE FROM partners WHERE name = ?")
        || store_prepare (self, &self->partner_by_key,
                          "SELECT name, public_key, role FROM partners WHERE public_key = ?")
        || store_prepare (self, &self->partner_all,
                          "SELECT name, public_key, role FROM partners ORDER BY name")
        || store_prepare (self, &self->networks_of,
                          "SELECT network FROM partner_networks WHERE partner = ? "
                          "ORDER BY network")
        || store_prepare (self, &self->feeds_of,
                          "SELECT partner FROM partner_feeds WHERE integrator = ? "
                          "ORDER BY partner")
        || store_prepare (self, &self->feed_insert,
                          "INSERT OR IGNORE INTO partner_feeds (integrator, partner) "
                          "VALUES (?, ?)"))
        return CIBUS_ERR_STORE;
    return CIBUS_OK;
}

void
registry_finalize (store_t *self)
{
    sqlite3_stmt **stmts [] = {&self->partner_insert, &self->network_insert,
                               &self->partner_delete, &self->partner_by_key,
                               &self->partner_all,    &self->networks_of,
                               &self->feeds_of,       &self->feed_insert};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts [0]; i++) {
        sqlite3_finalize (*stmts [i]);
        *stmts [i] = NULL;
    }
}

void
store_partner_release (store_partner_t *partner)
{
    if (!partner)
        return;
    for (size_t i = 0; i < partner->network_count; i++)
        free (partner->networks [i]);
    free (partner->networks);
    partner->networks = NULL;
    partner->network_count = 0;
    for (size_t i = 0; i < partner->feed_count; i++)
        free (partner->feeds [i]);
    free (partner->feeds);
    partner->feeds = NULL;
    partner->feed_count = 0;
}

cibus_err_t
store_partner_add_feeds (store_t *self, const char *integrator, const char *const *partners,
                         size_t count)
{
    if (!integrator || (count && !partners))
        return CIBUS_ERR_USAGE;
    //  Only a registered integrator feeds anyone: NOT_FOUND for a name that
    //  is not registered, USAGE for one of another role.
    sqlite3_stmt *role;
    if (store_prepare (self, &role, "SELECT role FROM partners WHERE name = ?"))
        return CIBUS_ERR_STORE;
    sqlite3_bind_text (role, 1, integrator, -1, SQLITE_STATIC);
    int rc = sqlite3_step (role);
    cibus_err_t err = rc == SQLITE_ROW
                          ? (strcmp ((const char *)sqlite3_column_text (role, 0), "integrator") == 0
                                 ? CIBUS_OK
                                 : CIBUS_ERR_USAGE)
                      : rc == SQLITE_DONE ? CIBUS_ERR_NOT_FOUND
                                          : store_fail (self, "partner-feeds-role");
    sqlite3_finalize (role);
    for (size_t i = 0; err == CIBUS_OK && i < count; i++) {
        sqlite3_bind_text (self->feed_insert, 1, integrator, -1, SQLITE_STATIC);
        sqlite3_bind_text (self->feed_insert, 2, partners [i], -1, SQLITE_STATIC);
        err = store_step_done (self, self->feed_insert, "partner-add-feed");
    }
    return err;
}

//  Read the names stmt (bound to one partner) yields into a list.
static cibus_err_t
s_names (store_t *self, sqlite3_stmt *stmt, const char *partner, char ***names, size_t *count)
{
    sqlite3_bind_text (stmt, 1, partner, -1, SQLITE_TRANSIENT);
    int rc;
    cibus_err_t err = CIBUS_OK;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char **grown = realloc (*names, (*count + 1) * sizeof (char *));
        char *name = strdup ((const char *) sqlite3_column_text (stmt, 0));
        if (!grown || !name) {
            free (name);
            if (grown)
                *names = grown;
            err = CIBUS_ERR_NOMEM;
            break;
        }
        *names = grown;
        (*names) [(*count)++] = name;
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "partner-names");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return err;
}

cibus_err_t
store_partner_add (store_t *self, const char *name, const char *public_key, role_t role,
                   const char *const *networks, size_t network_count)
{
    if (!name || !*name || strlen (name) >= sizeof ((store_partner_t *) 0)->name || !public_key
        || strlen (public_key) != STORE_KEY_LEN || role >= ROLE__COUNT)
        return CIBUS_ERR_USAGE;
    if (store_exec (self, "BEGIN IMMEDIATE", "partner-add-begin"))
        return CIBUS_ERR_STORE;
    sqlite3_bind_text (self->partner_insert, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->partner_insert, 2, public_key, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->partner_insert, 3, s_roles [role], -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->partner_insert);
    sqlite3_reset (self->partner_insert);
    sqlite3_clear_bindings (self->partner_insert);
    cibus_err_t err = CIBUS_OK;
    if (rc == SQLITE_CONSTRAINT)
        err = CIBUS_ERR_EXISTS;
    else if (rc != SQLITE_DONE)
        err = store_fail (self, "partner-add");
    for (size_t i = 0; err == CIBUS_OK && i < network_count; i++) {
        sqlite3_bind_text (self->network_insert, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text (self->network_insert, 2, networks [i], -1, SQLITE_STATIC);
        err = store_step_done (self, self->network_insert, "partner-add-network");
    }
    if (err == CIBUS_OK)
        err = store_exec (self, "COMMIT", "partner-add-commit");
    if (err != CIBUS_OK)
        store_exec (self, "ROLLBACK", "partner-add-rollback");
    return err;
}

cibus_err_t
store_partner_remove (store_t *self, const char *name)
{
    sqlite3_bind_text (self->partner_delete, 1, name, -1, SQLITE_STATIC);
    cibus_err_t err = store_step_done (self, self->partner_delete, "partner-remove");
    if (err == CIBUS_OK && sqlite3_changes (self->db) == 0)
        err = CIBUS_ERR_NOT_FOUND;
    return err;
}

//  Fill a record from the current row of stmt (name, public_key, role),
//  then read its networks.
static cibus_err_t
s_partner_from_row (store_t *self, sqlite3_stmt *stmt, store_partner_t *out)
{
    memset (out, 0, sizeof *out);
    snprintf (out->name, sizeof out->name, "%s", (const char *) sqlite3_column_text (stmt, 0));
    snprintf (out->public_key, sizeof out->public_key, "%s",
              (const char *) sqlite3_column_text (stmt, 1));
    store_role_parse ((const char *) sqlite3_column_text (stmt, 2), &out->role);

    cibus_err_t err = s_names (self, self->networks_of, out->name, &out->networks,
                               &out->network_count);
    if (err == CIBUS_OK && out->role == ROLE_INTEGRATOR)
        err = s_names (self, self->feeds_of, out->name, &out->feeds, &out->feed_count);
    if (err)
        store_partner_release (out);
    return err;
}

cibus_err_t
store_partner_by_key (store_t *self, const char *public_key, store_partner_t *out)
{
    sqlite3_bind_text (self->partner_by_key, 1, public_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->partner_by_key);
    cibus_err_t err;
    if (rc == SQLITE_ROW)
        err = s_partner_from_row (self, self->partner_by_key, out);
    else if (rc == SQLITE_DONE)
        err = CIBUS_ERR_NOT_FOUND;
    else
        err = store_fail (self, "partner-by-key");
    sqlite3_reset (self->partner_by_key);
    sqlite3_clear_bindings (self->partner_by_key);
    return err;
}

cibus_err_t
store_partner_each (store_t *self, store_partner_fn *fn, void *arg)
{
    int rc;
    cibus_err_t err = CIBUS_OK;
    while ((rc = sqlite3_step (self->partner_all)) == SQLITE_ROW) {
        store_partner_t partner;
        if ((err = s_partner_from_row (self, self->partner_all, &partner)))
            break;
        fn (&partner, arg);
        store_partner_release (&partner);
    }
    if (err == CIBUS_OK && rc != SQLITE_DONE)
        err = store_fail (self, "partner-list");
    sqlite3_reset (self->partner_all);
    return err;
}
