/*  log.h - one line per event, key=value fields, to stderr.

    Levels mean: error = an operator must act; warn = a client did
    something wrong; info = lifecycle; debug = per message. The level in
    force comes from CIBUS_LOG (error|warn|info|debug; default info).

    A log line is read by people and by tools, and much of what it reports
    was chosen by someone else: a client's ids, topics and reasons, a
    string read back from the database. Two rules keep a line one line:

    - Every value from outside goes through log_escape () and is printed
      inside quotes, `id="%s"`: it is capped, and every byte that could end
      the field, end the line or drive a terminal is written as \xNN.
    - log_line () itself writes any control byte left in the formatted line
      (a value that was not escaped) as \xNN, and cuts a line longer than
      LOG_LINE_MAX with a mark. No call can write two lines.

    An event a client can repeat at will (a refused handshake, a dropped
    reply) is logged through a log_limit_t: the first lines of a window are
    written, the rest counted, and one line says how many were left out.   */

#ifndef CIBUS_LOG_H_INCLUDED
#define CIBUS_LOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LEVEL_ERROR = 0, LEVEL_WARN, LEVEL_INFO, LEVEL_DEBUG } log_level_t;

/* The longest line written, newline included; a longer one is cut and ends
   with "...(+N bytes)", N the bytes of the message left out. */
#define LOG_LINE_MAX 2048

/* Whether a line at this level would be written. */
int log_enabled (log_level_t level);

void log_line (log_level_t level, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

#define log_error(...) log_line (LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_line (LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_line (LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) \
    do { \
        if (log_enabled (LEVEL_DEBUG)) \
            log_line (LEVEL_DEBUG, __VA_ARGS__); \
    } while (0)

//  ------------------------------------------------------------- escaping

/* Bytes of a value that are kept; a longer value is cut (never inside a
   UTF-8 character) and ends with "...(+N bytes)", N the bytes left out. */
#define LOG_VALUE_MAX 128

/* Room for LOG_VALUE_MAX bytes written as \xNN, the mark and the NUL. */
typedef struct {
    char text [LOG_VALUE_MAX * 4 + 40];
} log_value_t;

/* Escape a value from outside for a log line, into buf; returns buf->text,
   to print inside quotes: log_warn ("id=\"%s\"", log_escape (&id, env->id)).
   NULL becomes "-". '"' and '\' become \" and \\. Every byte that is a
   control character (below 0x20, 0x7f) or not part of well-formed UTF-8,
   and the bytes of the UTF-8 characters that act as controls (C1 controls
   U+0080-U+009F, the line and paragraph separators U+2028-U+2029, the
   bidirectional overrides U+202A-U+202E and U+2066-U+2069), become \xNN
   (lower-case hex). Any other UTF-8 is kept as it is. Uses no heap: one
   log_value_t per value printed, on the caller's stack. */
const char *log_escape (log_value_t *buf, const char *value);

/* The same for size bytes that need not end in NUL (a NUL becomes \x00).
   NULL data becomes "-". */
const char *log_escape_mem (log_value_t *buf, const void *data, size_t size);

//  ---------------------------------------------------------- rate limits

/* Defaults for an event a client can repeat: 10 lines a minute, then one
   line with the count. */
#define LOG_LIMIT_BURST       10
#define LOG_LIMIT_WINDOW_MSEC 60000

/* Distinct event names one limiter tracks, and the bytes of a name that
   count. Events are names in the code ("reply-dropped"), never values from
   a client, so the table is small and fixed; should it fill, any further
   event shares one last entry, summarised as event=log-limit-overflow. */
#define LOG_LIMIT_EVENTS    32
#define LOG_LIMIT_EVENT_MAX 48

/* Counts each event's lines in a window of time. Owned by whoever logs (the
   broker, the ZAP handler) and used from that one thread: there is no
   global state and no lock. */
typedef struct log_limit_t log_limit_t;

/* Let burst lines of each event through per window_msec (burst >= 0,
   window_msec > 0). NULL on bad arguments or out of memory. */
log_limit_t *log_limit_new (int burst, int window_msec);

/* Write the summary of every event with lines left out (the window need not
   have ended), then free. */
void log_limit_destroy (log_limit_t **self_p);

/* Whether a line of this event, at this level, may be written now. The
   first line opens the event's window; the first burst lines of the window
   are allowed, the rest are counted. A line that comes after the window
   has ended first writes the previous window's summary (so the summary
   always precedes the lines after it). Time is CLOCK_MONOTONIC. */
bool log_limit_allow (log_limit_t *self, log_level_t level, const char *event);

/* For every event whose window has ended: when lines were left out, write
   one line at the most severe level among them,
       event=reply-dropped suppressed=98623 window=60s
   and close the window, so that the next line opens a new one. Call it at
   each turn of the reactor. */
void log_limit_tick (log_limit_t *self);

/* The same two with the time given, in milliseconds on any monotonic
   scale, for tests that must not sleep. */
bool log_limit_allow_at (log_limit_t *self, log_level_t level, const char *event, int64_t now_msec);
void log_limit_tick_at (log_limit_t *self, int64_t now_msec);

/* Lines of this event left out in its current window (0 for an event never
   seen). */
uint64_t log_limit_suppressed (log_limit_t *self, const char *event);

/* Write a line of the event unless the limiter holds it back; a line at a
   level not in force is neither written nor counted.
       log_limited (self->limit, LEVEL_WARN, "reply-dropped",
                    "event=reply-dropped reason=\"%s\"", reason);       */
#define log_limited(limit, level, event, ...) \
    do { \
        if (log_enabled (level) && log_limit_allow ((limit), (level), (event))) \
            log_line ((level), __VA_ARGS__); \
    } while (0)

#endif
