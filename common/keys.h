/*  keys.h - CURVE public keys as users give them: Z85 text or a file.

    Everywhere a command takes a public key (the broker's, a partner's) it
    accepts either the 40-character Z85 key or the path of a certificate
    file written by `cibus keygen` or `cibusd init`.                      */

#ifndef CIBUS_KEYS_H_INCLUDED
#define CIBUS_KEYS_H_INCLUDED

#include <stdbool.h>

#define KEYS_Z85_LEN 40

/* Resolve given into key (KEYS_Z85_LEN + 1 bytes). False when it is
   neither a valid Z85 key nor a readable certificate file. */
bool keys_public (const char *given, char *key);

#endif
