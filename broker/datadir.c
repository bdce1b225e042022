/*  datadir.c - the broker's data directory. */

#include "datadir.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool
datadir_path (const char *dir, const char *name, char *path, size_t size)
{
    int len = snprintf (path, size, "%s/%s", dir, name);
    return len > 0 && (size_t) len < size;
}

cibus_err_t
datadir_init (const char *dir, bool *created, char *error, size_t size)
{
    *created = false;
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        snprintf (error, size, "cannot create data directory '%s': %s", dir, strerror (errno));
        return CIBUS_ERR_IO;
    }
    char public_path [PATH_MAX], secret_path [PATH_MAX];
    if (!datadir_path (dir, DATADIR_CERT, public_path, sizeof public_path)
        || !datadir_path (dir, DATADIR_CERT "_secret", secret_path, sizeof secret_path)) {
        snprintf (error, size, "data directory path '%s' is too long", dir);
        return CIBUS_ERR_USAGE;
    }
    if (access (secret_path, F_OK) == 0)
        return CIBUS_OK;
    zcert_t *cert = zcert_new ();
    if (!cert) {
        snprintf (error, size, "cannot generate the broker's keypair: %s",
                  zmq_strerror (zmq_errno ()));
        return CIBUS_ERR_IO;
    }
    zcert_set_meta (cert, "name", "%s", "cibusd");
    //  The secret file is written first with a umask that keeps it private;
    //  the public file is meant to be handed out.
    mode_t mask = umask (077);
    int rc = zcert_save_secret (cert, secret_path);
    umask (mask);
    if (rc == 0)
        rc = zcert_save_public (cert, public_path);
    zcert_destroy (&cert);
    if (rc != 0) {
        snprintf (error, size, "cannot write the broker's keypair in '%s': %s", dir,
                  strerror (errno));
        return CIBUS_ERR_IO;
    }
    *created = true;
    return CIBUS_OK;
}

zcert_t *
datadir_cert (const char *dir, char *error, size_t size)
{
    char path [PATH_MAX];
    if (!datadir_path (dir, DATADIR_CERT "_secret", path, sizeof path)) {
        snprintf (error, size, "data directory path '%s' is too long", dir);
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert)
        snprintf (error, size, "cannot read the broker's secret certificate '%s': run "
                               "`cibusd init --data %s`",
                  path, dir);
    return cert;
}

int
datadir_lock (const char *dir, char *error, size_t size)
{
    char path [PATH_MAX];
    if (!datadir_path (dir, DATADIR_LOCK, path, sizeof path)) {
        snprintf (error, size, "data directory path '%s' is too long", dir);
        return -1;
    }
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (error, size, "cannot open '%s': %s", path, strerror (errno));
        return -1;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf (error, size, "another cibusd is already running on '%s' (lock %s is held)",
                  dir, path);
        close (fd);
        return -1;
    }
    return fd;
}

void
datadir_unlock (int fd)
{
    if (fd >= 0)
        close (fd); //  closing releases the flock
}

cibus_err_t
datadir_write_endpoint (const char *dir, const char *endpoint)
{
    char path [PATH_MAX], temp [PATH_MAX];
    if (!datadir_path (dir, DATADIR_ENDPOINT, path, sizeof path)
        || !datadir_path (dir, DATADIR_ENDPOINT ".tmp", temp, sizeof temp))
        return CIBUS_ERR_USAGE;
    FILE *file = fopen (temp, "w");
    if (!file) {
        int error = errno;
        log_value_t where;
        log_error ("event=endpoint-write-failed path=\"%s\" error=\"%s\"",
                   log_escape (&where, temp), strerror (error));
        return CIBUS_ERR_IO;
    }
    int ok = fprintf (file, "%s\n", endpoint) > 0;
    ok &= fclose (file) == 0;
    if (!ok || rename (temp, path) != 0) {
        int error = errno;
        log_value_t where;
        log_error ("event=endpoint-write-failed path=\"%s\" error=\"%s\"",
                   log_escape (&where, path), strerror (error));
        unlink (temp);
        return CIBUS_ERR_IO;
    }
    return CIBUS_OK;
}

void
datadir_remove_endpoint (const char *dir)
{
    char path [PATH_MAX];
    if (datadir_path (dir, DATADIR_ENDPOINT, path, sizeof path))
        unlink (path);
}
