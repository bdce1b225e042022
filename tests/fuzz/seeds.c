/*  seeds.c - write the fuzz target's seed corpus.

        fuzz-seeds DIR

    Writes one file per seed into DIR (which must exist): the selector byte,
    then the encoded Request. `make fuzz-seeds` runs it on tests/fuzz/corpus
    (the committed corpus); `make check` runs it on a scratch directory and
    compares, so that a change to the seeds or the protocol that was not
    written back to the corpus is noticed.                                 */

#include "fuzz_seeds.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static int
s_write (const char *dir, const char *name, uint8_t selector, const codec_buf_t *request)
{
    char path [PATH_MAX];
    if (snprintf (path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path) {
        fprintf (stderr, "fuzz-seeds: path '%s/%s' is too long\n", dir, name);
        return -1;
    }
    FILE *file = fopen (path, "wb");
    if (!file) {
        fprintf (stderr, "fuzz-seeds: cannot create '%s': %s\n", path, strerror (errno));
        return -1;
    }
    bool ok = fwrite (&selector, 1, 1, file) == 1
              && fwrite (request->data, 1, request->size, file) == request->size;
    //  A failed close can lose what fwrite buffered: it counts as a failed write.
    if (fclose (file) != 0)
        ok = false;
    if (!ok) {
        fprintf (stderr, "fuzz-seeds: cannot write '%s': %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz-seeds DIR\n");
        return 2;
    }
    codec_buf_t request = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fuzz_seed_count (); i++) {
        const char *name;
        uint8_t selector;
        if (fuzz_seed_pack (i, &name, &selector, &request)) {
            fprintf (stderr, "fuzz-seeds: cannot encode seed '%s': out of memory\n", name);
            rc = 1;
        }
        else if (s_write (argv [1], name, selector, &request))
            rc = 1;
    }
    codec_buf_release (&request);
    return rc;
}
