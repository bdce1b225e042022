/*  auth.c - ZAP handler and partner registry cache. */

#include "auth.h"

#include "log.h"

#include <string.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_EVENT_REFUSED "auth-refused"

struct auth_t {
    store_t *store;         /* borrowed */
    zsock_t *zap;           /* REP, bound at the ZAP endpoint */
    zhashx_t *partners;     /* public key -> store_partner_t * */
    uint64_t data_version;  /* of the store when partners was loaded */
    log_limit_t *limit;     /* of the refusals a stranger can repeat at will */
    auth_guard_fn *guard;   /* see auth_set_guard */
    void *guard_arg;
    int64_t looked;         /* monotonic msec of a handshake's last look */
};

static void
s_partner_free (void **item)
{
    store_partner_t *partner = *item;
    store_partner_release (partner);
    free (partner);
    *item = NULL;
}

static void
s_partner_keep (const store_partner_t *partner, void *arg)
{
    zhashx_t *partners = arg;
    store_partner_t *copy = malloc (sizeof *copy);
    if (!copy)
        return;
    *copy = *partner;
    copy->networks = NULL;
    copy->network_count = 0;
    for (size_t i = 0; i < partner->network_count; i++) {
        char **grown = realloc (copy->networks, (i + 1) * sizeof (char *));
        if (!grown)
            break;
        copy->networks = grown;
        if (!(copy->networks [i] = strdup (partner->networks [i])))
            break;
        copy->network_count = i + 1;
    }
    //  An integrator's feeds too: the record lent to us is released when
    //  this callback returns.
    copy->feeds = NULL;
    copy->feed_count = 0;
    for (size_t i = 0; i < partner->feed_count; i++) {
        char **grown = realloc (copy->feeds, (i + 1) * sizeof (char *));
        if (!grown)
            break;
        copy->feeds = grown;
        if (!(copy->feeds [i] = strdup (partner->feeds [i])))
            break;
        copy->feed_count = i + 1;
    }
    zhashx_update (partners, copy->public_key, copy);
}

static cibus_err_t
s_load (auth_t *self)
{
    zhashx_t *partners = zhashx_new ();
    if (!partners)
        return CIBUS_ERR_NOMEM;
    zhashx_set_destructor (partners, s_partner_free);
    cibus_err_t err = store_partner_each (self->store, s_partner_keep, partners);
    if (err) {
        //  Keep serving with the registry we had: refusing everyone because
        //  one read failed would take the whole initiative offline.
        zhashx_destroy (&partners);
        return err;
    }
    zhashx_destroy (&self->partners);
    self->partners = partners;
    log_info ("event=registry-loaded partners=%zu", zhashx_size (partners));
    return CIBUS_OK;
}

auth_t *
auth_new (store_t *store)
{
    auth_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->limit = log_limit_new (LOG_LIMIT_BURST, LOG_LIMIT_WINDOW_MSEC);
    if (!self->limit) {
        auth_destroy (&self);
        return NULL;
    }
    self->zap = zsock_new (ZMQ_REP);
    if (!self->zap || zsock_bind (self->zap, S_ZAP_ENDPOINT) != 0) {
        log_error ("event=zap-bind-failed endpoint=%s error=\"%s\"", S_ZAP_ENDPOINT,
                   zmq_strerror (zmq_errno ()));
        auth_destroy (&self);
        return NULL;
    }
    self->data_version = store_data_version (store);
    if (s_load (self)) {
        auth_destroy (&self);
        return NULL;
    }
    return self;
}

void
auth_destroy (auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    auth_t *self = *self_p;
    zsock_destroy (&self->zap);
    zhashx_destroy (&self->partners);
    log_limit_destroy (&self->limit);
    free (self);
    *self_p = NULL;
}

zsock_t *
auth_sock (auth_t *self)
{
    return self->zap;
}

void
auth_set_guard (auth_t *self, auth_guard_fn *guard, void *arg)
{
    self->guard = guard;
    self->guard_arg = arg;
}

//  Reload the registry, now at the database's version. Only a registry
//  actually loaded counts as seen: after a failed load the next turn tries
//  again, rather than serving the old registry until the database changes
//  once more.
static bool
s_reload (auth_t *self, uint64_t version)
{
    if (s_load (self) != CIBUS_OK)
        return false;
    self->data_version = version;
    return true;
}

bool
auth_refresh (auth_t *self)
{
    uint64_t version = store_data_version (self->store);
    return version != self->data_version && s_reload (self, version);
}

const store_partner_t *
auth_lookup (auth_t *self, const char *public_key)
{
    return public_key ? zhashx_lookup (self->partners, public_key) : NULL;
}

bool
auth_in_network (const store_partner_t *partner, const char *network)
{
    for (size_t i = 0; i < partner->network_count; i++)
        if (strcmp (partner->networks [i], network) == 0)
            return true;
    return false;
}

//  A ZAP request (RFC 27): version, request id, domain, address, identity,
//  mechanism, then the mechanism's credentials (for CURVE, the client's
//  32-byte public key). The reply: version, request id, status code,
//  status text, user id, metadata.
static void
s_handle_one (auth_t *self, zmsg_t *request)
{
    char *version = zmsg_popstr (request);
    zframe_t *request_id = zmsg_pop (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);

    char key [STORE_KEY_LEN + 1] = "";
    const char *status = "400", *text = "only CURVE is accepted";
    if (mechanism && strcmp (mechanism, "CURVE") == 0 && credentials
        && zframe_size (credentials) == 32) {
        zmq_z85_encode (key, zframe_data (credentials), 32);
        const store_partner_t *partner = auth_lookup (self, key);
        if (!partner && self->guard && zclock_mono () - self->looked >= AUTH_LOOK_MSEC) {
            //  The registry may have changed since the last poll: a partner
            //  added a moment ago must get in on its first try. The store
            //  is the caller's only once it says so; and a stranger cannot
            //  make it say so more than once every AUTH_LOOK_MSEC.
            self->looked = zclock_mono ();
            self->guard (self->guard_arg, false);
            uint64_t now_version = store_data_version (self->store);
            if (now_version != self->data_version) {
                self->guard (self->guard_arg, true);
                s_reload (self, now_version);
            }
            partner = auth_lookup (self, key);
        }
        if (partner) {
            status = "200";
            text = "OK";
            if (log_enabled (LEVEL_DEBUG)) {
                log_value_t name, from;
                log_line (LEVEL_DEBUG, "event=auth-admitted partner=\"%s\" address=\"%s\"",
                          log_escape (&name, partner->name), log_escape (&from, address));
            }
        }
        else
            text = "key not in the partner registry";
    }
    //  A stranger can handshake as often as it likes, with no key at all:
    //  its refusals are rate-limited (a line per handshake would let it
    //  fill the disk), and every value in them came from the network.
    if (strcmp (status, "200") != 0 && log_enabled (LEVEL_WARN)
        && log_limit_allow (self->limit, LEVEL_WARN, S_EVENT_REFUSED)) {
        log_value_t what, from;
        if (*key)
            log_warn ("event=" S_EVENT_REFUSED " key=\"%s\" address=\"%s\" reason=\"%s\"",
                      log_escape (&what, key), log_escape (&from, address), text);
        else
            log_warn ("event=" S_EVENT_REFUSED " mechanism=\"%s\" address=\"%s\" "
                      "reason=\"%s\"",
                      log_escape (&what, mechanism), log_escape (&from, address), text);
    }

    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    if (request_id)
        zmsg_append (reply, &request_id);
    else
        zmsg_addstr (reply, "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, strcmp (status, "200") == 0 ? key : "");
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, self->zap);

    zstr_free (&version);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&credentials);
    zframe_destroy (&request_id);
}

void
auth_handle (auth_t *self)
{
    log_limit_tick (self->limit);
    while (zsock_events (self->zap) & ZMQ_POLLIN) {
        zmsg_t *request = zmsg_recv (self->zap);
        if (!request)
            break;
        s_handle_one (self, request);
        zmsg_destroy (&request);
    }
}
