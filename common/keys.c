/*  keys.c - CURVE public keys as users give them; see keys.h. */

#include "keys.h"

#include <czmq.h>
#include <string.h>

bool
keys_public (const char *given, char *key)
{
    //  A file first: a path of 40 characters is also valid Z85 (letters,
    //  digits, '/', '-' and '.' all are), and must not be taken for a key.
    uint8_t raw [32];
    if (!zsys_file_exists (given)) {
        if (strlen (given) == KEYS_Z85_LEN && zmq_z85_decode (raw, given)) {
            memcpy (key, given, KEYS_Z85_LEN + 1);
            return true;
        }
        return false;
    }
    zcert_t *cert = zcert_load (given);
    if (!cert)
        return false;
    memcpy (key, zcert_public_txt (cert), KEYS_Z85_LEN + 1);
    zcert_destroy (&cert);
    return true;
}
