/*  cibus_err.h - the one error enum of cibus, shared by the store, the broker,
    the client library and the command-line tools.

    Every fallible public function returns a cibus_err_t; cibus_strerror()
    turns it into a short phrase. The message a user acts on is built where
    the error happens (it names the field, the file, the endpoint) and is
    carried beside the code, never instead of it.                          */

#ifndef CIBUS_ERR_H_INCLUDED
#define CIBUS_ERR_H_INCLUDED

typedef enum {
    CIBUS_OK = 0,
    CIBUS_ERR_USAGE,      /* the caller passed something meaningless */
    CIBUS_ERR_NOMEM,      /* out of memory */
    CIBUS_ERR_IO,         /* file or socket failed */
    CIBUS_ERR_STORE,      /* the database failed; nothing was committed */
    CIBUS_ERR_MALFORMED,  /* a frame that does not decode */
    CIBUS_ERR_BAD_FIELD,  /* a field is missing, too long or out of range */
    CIBUS_ERR_FORBIDDEN,  /* the partner may not do this */
    CIBUS_ERR_UNKNOWN_KEY,/* the key is not in the partner registry */
    CIBUS_ERR_NOT_FOUND,  /* no such partner, entry or file */
    CIBUS_ERR_EXISTS,     /* already there */
    CIBUS_ERR_TIMEOUT,    /* no answer within the deadline */
    CIBUS_ERR_REJECTED,   /* the broker refused the request */
    CIBUS_ERR_CLOSED,     /* interrupted or shut down */
    CIBUS_ERR_QUOTA,      /* the partner is over its publish rate or its total */
    CIBUS_ERR_FULL,       /* the broker's disk is full: reads go on, writes wait */
    CIBUS_ERR__COUNT
} cibus_err_t;

/* A short, static, lower-case phrase for an error code. Never NULL. */
const char *cibus_strerror (cibus_err_t err);

/* The stable wire name of an error code (Error.code), e.g. "bad-field". */
const char *cibus_err_name (cibus_err_t err);

/* The code for a wire name; CIBUS_ERR_REJECTED for a name it does not know. */
cibus_err_t cibus_err_from_name (const char *name);

#endif
