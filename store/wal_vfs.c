/*  wal_vfs.c - a WAL written in one system call a commit (wal_vfs.h).

    Each file opened through this VFS is the default VFS's file, placed
    right after a wal_file_t that forwards every method to it. Only a WAL
    file gathers: its writes that follow one another go to a buffer, and
    any other call on the file writes the buffer first, so that the file
    is exactly what SQLite wrote whenever SQLite, or the kernel on its
    behalf, can look at it. A write that does not follow the buffer's
    last one, or would overfill it, writes the buffer first too.        */

#include "wal_vfs.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

//  The most bytes gathered before they are written: a lone publish's
//  frames are 7 of 4,120 bytes; a batch of a thousand writes some
//  hundreds, in calls of this size. The default VFS writes at most
//  0x1ffff bytes a call and says SQLITE_FULL of a longer one (os_unix.c,
//  seekAndWriteFd), so no call may be longer.
#define S_BUFFER_SIZE (120 * 1024)

typedef struct {
    sqlite3_file base;    /* methods: s_methods */
    sqlite3_file *real;   /* the default VFS's file, right after this */
    unsigned char *buffer; /* a WAL's: NULL for any other file */
    size_t length;        /* bytes in buffer */
    sqlite3_int64 offset; /* where buffer [0] goes in the file */
} wal_file_t;

static sqlite3_vfs s_vfs;
static sqlite3_vfs *s_real;
static const sqlite3_io_methods s_methods;

//  Write what is gathered. On failure it is dropped all the same: SQLite
//  fails the call (its commit), and writes the frames again, or others,
//  once it goes on.
static int
s_flush (wal_file_t *self)
{
    if (!self->buffer || self->length == 0)
        return SQLITE_OK;
    int rc = self->real->pMethods->xWrite (self->real, self->buffer, (int)self->length, self->offset);
    self->length = 0;
    return rc;
}

static int
s_close (sqlite3_file *file)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    int closed = self->real->pMethods->xClose (self->real);
    free (self->buffer);
    self->buffer = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int
s_read (sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
s_write (sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    wal_file_t *self = (wal_file_t *)file;
    if (!self->buffer)
        return self->real->pMethods->xWrite (self->real, data, amount, offset);
    //  Not the next byte, or no room: what is gathered goes first.
    if (self->length > 0
        && (offset != self->offset + (sqlite3_int64)self->length
            || self->length + (size_t)amount > S_BUFFER_SIZE)) {
        int rc = s_flush (self);
        if (rc != SQLITE_OK)
            return rc;
    }
    if ((size_t)amount > S_BUFFER_SIZE)
        return self->real->pMethods->xWrite (self->real, data, amount, offset);
    if (self->length == 0)
        self->offset = offset;
    memcpy (self->buffer + self->length, data, (size_t)amount);
    self->length += (size_t)amount;
    return SQLITE_OK;
}

static int
s_truncate (sqlite3_file *file, sqlite3_int64 size)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xTruncate (self->real, size);
}

static int
s_sync (sqlite3_file *file, int flags)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xSync (self->real, flags);
}

static int
s_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xFileSize (self->real, size);
}

static int
s_lock (sqlite3_file *file, int lock)
{
    wal_file_t *self = (wal_file_t *)file;
    return self->real->pMethods->xLock (self->real, lock);
}

static int
s_unlock (sqlite3_file *file, int lock)
{
    wal_file_t *self = (wal_file_t *)file;
    return self->real->pMethods->xUnlock (self->real, lock);
}

static int
s_check_reserved_lock (sqlite3_file *file, int *out)
{
    wal_file_t *self = (wal_file_t *)file;
    return self->real->pMethods->xCheckReservedLock (self->real, out);
}

//  Whatever SQLite asks of the file (its size hint, its persistence, a
//  pointer to it) it asks of the file as written.
static int
s_file_control (sqlite3_file *file, int op, void *arg)
{
    wal_file_t *self = (wal_file_t *)file;
    int rc = s_flush (self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xFileControl (self->real, op, arg);
}

static int
s_sector_size (sqlite3_file *file)
{
    wal_file_t *self = (wal_file_t *)file;
    return self->real->pMethods->xSectorSize (self->real);
}

static int
s_device_characteristics (sqlite3_file *file)
{
    wal_file_t *self = (wal_file_t *)file;
    return self->real->pMethods->xDeviceCharacteristics (self->real);
}

//  The shared memory and the memory map are the database file's: forwarded
//  only when the default VFS's file has them.
static int
s_shm_map (sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    wal_file_t *self = (wal_file_t *)file;
    if (self->real->pMethods->iVersion < 2 || !self->real->pMethods->xShmMap)
        return SQLITE_IOERR_SHMMAP;
    return self->real->pMethods->xShmMap (self->real, region, size, extend, out);
}

static int
s_shm_lock (sqlite3_file *file, int offset, int count, int flags)
{
    wal_file_t *self = (wal_file_t *)file;
    if (self->real->pMethods->iVersion < 2 || !self->real->pMethods->xShmLock)
        return SQLITE_IOERR_SHMLOCK;
    return self->real->pMethods->xShmLock (self->real, offset, count, flags);
}

static void
s_shm_barrier (sqlite3_file *file)
{
    wal_file_t *self = (wal_file_t *)file;
    if (self->real->pMethods->iVersion >= 2 && self->real->pMethods->xShmBarrier)
        self->real->pMethods->xShmBarrier (self->real);
}

static int
s_shm_unmap (sqlite3_file *file, int delete_flag)
{
    wal_file_t *self = (wal_file_t *)file;
    if (self->real->pMethods->iVersion < 2 || !self->real->pMethods->xShmUnmap)
        return SQLITE_OK;
    return self->real->pMethods->xShmUnmap (self->real, delete_flag);
}

static int
s_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    wal_file_t *self = (wal_file_t *)file;
    *out = NULL;
    int rc = s_flush (self);
    if (rc != SQLITE_OK || self->real->pMethods->iVersion < 3 || !self->real->pMethods->xFetch)
        return rc;
    return self->real->pMethods->xFetch (self->real, offset, amount, out);
}

static int
s_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    wal_file_t *self = (wal_file_t *)file;
    if (self->real->pMethods->iVersion < 3 || !self->real->pMethods->xUnfetch)
        return SQLITE_OK;
    return self->real->pMethods->xUnfetch (self->real, offset, page);
}

static const sqlite3_io_methods s_methods = {
    3,
    s_close,
    s_read,
    s_write,
    s_truncate,
    s_sync,
    s_file_size,
    s_lock,
    s_unlock,
    s_check_reserved_lock,
    s_file_control,
    s_sector_size,
    s_device_characteristics,
    s_shm_map,
    s_shm_lock,
    s_shm_barrier,
    s_shm_unmap,
    s_fetch,
    s_unfetch,
};

static int
s_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    wal_file_t *self = (wal_file_t *)file;
    memset (self, 0, sizeof *self);
    self->real = (sqlite3_file *)(self + 1);
    if (flags & SQLITE_OPEN_WAL) {
        self->buffer = malloc (S_BUFFER_SIZE);
        if (!self->buffer)
            return SQLITE_NOMEM;
    }
    int rc = s_real->xOpen (s_real, name, self->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        free (self->buffer);
        self->buffer = NULL;
    }
    //  SQLite closes a file whose open failed only if it has methods: it
    //  has ours when the default VFS's file has its own, to close.
    if (self->real->pMethods)
        self->base.pMethods = &s_methods;
    return rc;
}

//  Everything but opening is the default VFS's own.
static int
s_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return s_real->xDelete (s_real, name, sync_dir);
}

static int
s_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return s_real->xAccess (s_real, name, flags, out);
}

static int
s_full_pathname (sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return s_real->xFullPathname (s_real, name, size, out);
}

static void *
s_dl_open (sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return s_real->xDlOpen (s_real, name);
}

static void
s_dl_error (sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    s_real->xDlError (s_real, size, out);
}

static void (*s_dl_sym (sqlite3_vfs *vfs, void *handle, const char *symbol)) (void)
{
    (void)vfs;
    return s_real->xDlSym (s_real, handle, symbol);
}

static void
s_dl_close (sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    s_real->xDlClose (s_real, handle);
}

static int
s_randomness (sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return s_real->xRandomness (s_real, size, out);
}

static int
s_sleep (sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return s_real->xSleep (s_real, microseconds);
}

static int
s_current_time (sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return s_real->xCurrentTime (s_real, out);
}

static int
s_get_last_error (sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return s_real->xGetLastError ? s_real->xGetLastError (s_real, size, out) : 0;
}

static int
s_current_time_int64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return s_real->xCurrentTimeInt64 (s_real, out);
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static int s_registered = SQLITE_ERROR;

static void
s_register (void)
{
    s_real = sqlite3_vfs_find (NULL);
    //  The default VFS is version 2 at least on every platform SQLite
    //  builds for (xCurrentTimeInt64); refuse anything older.
    if (!s_real || s_real->iVersion < 2) {
        s_registered = SQLITE_ERROR;
        return;
    }
    s_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof (wal_file_t) + s_real->szOsFile,
        .mxPathname = s_real->mxPathname,
        .zName = WAL_VFS_NAME,
        .xOpen = s_open,
        .xDelete = s_delete,
        .xAccess = s_access,
        .xFullPathname = s_full_pathname,
        .xDlOpen = s_dl_open,
        .xDlError = s_dl_error,
        .xDlSym = s_dl_sym,
        .xDlClose = s_dl_close,
        .xRandomness = s_randomness,
        .xSleep = s_sleep,
        .xCurrentTime = s_current_time,
        .xGetLastError = s_get_last_error,
        .xCurrentTimeInt64 = s_current_time_int64,
    };
    s_registered = sqlite3_vfs_register (&s_vfs, 0);
}

int
wal_vfs_register (void)
{
    pthread_once (&s_once, s_register);
    return s_registered;
}
