/*  wal_vfs.h - a WAL written in one system call a commit.

    SQLite writes each frame of its WAL with two pwrite calls, the frame's
    24-byte header and then its page, and a commit's frames one after the
    other: a lone publish of the broker's writes six to seven frames, so
    thirteen calls into the kernel before its fdatasync, each one through
    the filesystem's write path. This VFS is SQLite's own default one with
    the WAL's writes gathered in memory while they follow one another, and
    written in one call when SQLite syncs, reads, truncates or asks the
    WAL's size, or writes elsewhere in it.

    What it keeps: a frame is in the file before SQLite can tell any other
    connection that it exists. SQLite publishes a commit's frames (the WAL
    index's header) only after it has synced them when the connection's
    synchronous is FULL, and so this VFS is for such connections only; the
    store opens through it only the broker's (STORE_SYNC_FULL). A frame
    not yet written when the process dies is one not yet synced, which
    SQLite already treats as never written: the commit was not acked.
    An error writing the gathered frames is returned by the call that
    wrote them (the sync of the commit, which then fails as it would have
    had the write failed), and they are dropped.

    SQLite has no such option, and no library from Debian does it, so it
    is written here: a shim of forwarding methods around the default VFS,
    as SQLite's own documentation describes.                            */

#ifndef CIBUS_WAL_VFS_H_INCLUDED
#define CIBUS_WAL_VFS_H_INCLUDED

//  The VFS's name, for sqlite3_open_v2.
#define WAL_VFS_NAME "cibus-wal"

//  Register the VFS (not as the default) over SQLite's default one, once
//  per process. SQLITE_OK, or SQLite's error when it could not be.
int wal_vfs_register (void);

#endif
