/*  cibus_err.c - names and phrases for cibus_err_t. */

#include "cibus_err.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;   /* on the wire, in Error.code */
    const char *phrase; /* for people */
} s_errors [CIBUS_ERR__COUNT] = {
    [CIBUS_OK] = {"ok", "success"},
    [CIBUS_ERR_USAGE] = {"usage", "invalid usage"},
    [CIBUS_ERR_NOMEM] = {"no-memory", "out of memory"},
    [CIBUS_ERR_IO] = {"io", "input/output error"},
    [CIBUS_ERR_STORE] = {"store", "the log could not be written or read"},
    [CIBUS_ERR_MALFORMED] = {"malformed", "malformed message"},
    [CIBUS_ERR_BAD_FIELD] = {"bad-field", "invalid field"},
    [CIBUS_ERR_FORBIDDEN] = {"forbidden", "not allowed for this partner"},
    [CIBUS_ERR_UNKNOWN_KEY] = {"unknown-key", "key not in the partner registry"},
    [CIBUS_ERR_NOT_FOUND] = {"not-found", "not found"},
    [CIBUS_ERR_EXISTS] = {"exists", "already exists"},
    [CIBUS_ERR_TIMEOUT] = {"timeout", "no answer in time"},
    [CIBUS_ERR_REJECTED] = {"rejected", "rejected by the broker"},
    [CIBUS_ERR_CLOSED] = {"closed", "interrupted"},
    [CIBUS_ERR_QUOTA] = {"over-quota", "over the partner's quota"},
    [CIBUS_ERR_FULL] = {"storage-full", "storage full"},
};

const char *
cibus_strerror (cibus_err_t err)
{
    if ((int) err < 0 || err >= CIBUS_ERR__COUNT)
        return "unknown error";
    return s_errors [err].phrase;
}

const char *
cibus_err_name (cibus_err_t err)
{
    if ((int) err < 0 || err >= CIBUS_ERR__COUNT)
        return "rejected";
    return s_errors [err].name;
}

cibus_err_t
cibus_err_from_name (const char *name)
{
    if (name)
        for (int i = 0; i < CIBUS_ERR__COUNT; i++)
            if (strcmp (s_errors [i].name, name) == 0)
                return (cibus_err_t) i;
    return CIBUS_ERR_REJECTED;
}
