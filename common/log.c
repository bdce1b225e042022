/*  log.c - the logging of cibus processes; see log.h.

    One escaper serves both lines of defence. log_escape () runs it on one
    value with quoting on (a '"' or '\' could end or confuse the field) and
    a cap of LOG_VALUE_MAX bytes; log_line () runs it on the whole formatted
    message with quoting off (the quotes of the format are meant) and the
    room left in the line as the cap. Either way a control byte, a byte
    outside well-formed UTF-8 (as common/utf8.h, shared with the codec and
    the JSON output, decides it), or a UTF-8 character that acts as a
    control is written as \xNN, so what reaches stderr is one line of valid
    UTF-8 whatever a client sent.                                          */

#include "log.h"
#include "utf8.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *s_names [] = {"error", "warn", "info", "debug"};

//  Read once; the environment does not change under a running process.
static log_level_t
s_threshold (void)
{
    static int threshold = -1;
    if (threshold < 0) {
        threshold = LEVEL_INFO;
        const char *env = getenv ("CIBUS_LOG");
        for (int i = 0; env && i <= LEVEL_DEBUG; i++)
            if (strcmp (env, s_names [i]) == 0)
                threshold = i;
    }
    return (log_level_t) threshold;
}

int
log_enabled (log_level_t level)
{
    return level <= s_threshold ();
}

//  -------------------------------------------------------------- escaping

//  UTF-8 characters that a terminal or a log viewer takes as controls: C1
//  (U+009B is CSI, the start of an escape sequence), the line and paragraph
//  separators (a new line to some viewers), the bidirectional overrides (a
//  line that reads differently from what it holds).
static bool
s_acts_as_control (uint32_t code)
{
    return (code >= 0x80 && code <= 0x9f) || (code >= 0x2028 && code <= 0x202e)
           || (code >= 0x2066 && code <= 0x2069);
}

typedef struct {
    char *out;
    size_t room;   /* bytes out may hold, its NUL not counted */
    size_t length; /* bytes written to out */
} s_sink_t;

typedef enum { S_COPY, S_QUOTE, S_HEX } s_how_t;

//  Append size bytes of data escaped, keeping to at most max bytes of data
//  and to the sink's room; a character or an escape that does not fit is
//  left out whole. Returns the bytes of data taken; out ends in NUL.
static size_t
s_escape (s_sink_t *sink, const unsigned char *data, size_t size, size_t max, bool quote)
{
    static const char hex [] = "0123456789abcdef";
    size_t taken = 0;
    while (taken < size) {
        const unsigned char *at = data + taken;
        size_t in = 1; /* bytes of data this step takes */
        s_how_t how = S_COPY;
        uint32_t code;
        if (*at < 0x20 || *at == 0x7f)
            how = S_HEX;
        else if (*at >= 0x80) {
            //  A character that acts as a control is written byte by byte;
            //  a byte that starts nothing well-formed is written alone, and
            //  the next byte is looked at afresh.
            in = utf8_decode ((const char *) at, size - taken, &code);
            if (in == 0 || s_acts_as_control (code))
                how = S_HEX;
            in = in ? in : 1;
        }
        else if (quote && (*at == '"' || *at == '\\'))
            how = S_QUOTE;
        size_t out = how == S_HEX ? 4 * in : how == S_QUOTE ? 2 : in;
        if (taken + in > max || sink->length + out > sink->room)
            break;
        char *to = sink->out + sink->length;
        if (how == S_HEX)
            for (size_t i = 0; i < in; i++) {
                *to++ = '\\';
                *to++ = 'x';
                *to++ = hex [at [i] >> 4];
                *to++ = hex [at [i] & 0xf];
            }
        else if (how == S_QUOTE) {
            *to++ = '\\';
            *to++ = (char) *at;
        }
        else
            memcpy (to, at, in);
        sink->length += out;
        taken += in;
    }
    sink->out [sink->length] = '\0';
    return taken;
}

//  The mark of a cut value or line: how many bytes were left out.
static void
s_mark_cut (s_sink_t *sink, size_t left_out)
{
    size_t room = sink->room - sink->length;
    int written = snprintf (sink->out + sink->length, room + 1, "...(+%zu bytes)", left_out);
    if (written > 0)
        sink->length += (size_t) written < room ? (size_t) written : room;
}

const char *
log_escape_mem (log_value_t *buf, const void *data, size_t size)
{
    assert (buf);
    if (!data) {
        strcpy (buf->text, "-");
        return buf->text;
    }
    s_sink_t sink = {buf->text, sizeof buf->text - 1, 0};
    size_t taken = s_escape (&sink, data, size, LOG_VALUE_MAX, true);
    if (taken < size)
        s_mark_cut (&sink, size - taken);
    return buf->text;
}

const char *
log_escape (log_value_t *buf, const char *value)
{
    return log_escape_mem (buf, value, value ? strlen (value) : 0);
}

//  ----------------------------------------------------------------- lines

//  The longest mark, "...(+2048 bytes)" and more, with room to spare.
#define S_MARK_ROOM 32

void
log_line (log_level_t level, const char *format, ...)
{
    if (!log_enabled (level))
        return;
    //  A caller may log and then report errno: writing must not change it.
    int saved_errno = errno;
    struct timeval now;
    gettimeofday (&now, NULL);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char message [LOG_LINE_MAX];
    va_list args;
    va_start (args, format);
    int formatted = vsnprintf (message, sizeof message, format, args);
    va_end (args);
    if (formatted < 0)
        formatted =
            snprintf (message, sizeof message, "event=log-format-failed format=\"%s\"", format);
    size_t whole = (size_t) formatted; /* the message's length before any cut */
    size_t kept = whole < sizeof message ? whole : sizeof message - 1;

    char line [LOG_LINE_MAX];
    int prefix = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                           tm.tm_sec, (long) now.tv_usec / 1000, s_names [level]);
    //  Room for the message, then the mark if it is cut, then the newline.
    s_sink_t sink = {line, LOG_LINE_MAX - 1 - S_MARK_ROOM, (size_t) prefix};
    size_t taken = s_escape (&sink, (const unsigned char *) message, kept, kept, false);
    if (taken < whole) {
        sink.room = LOG_LINE_MAX - 1;
        s_mark_cut (&sink, whole - taken);
    }
    line [sink.length++] = '\n';

    //  One write per line, so that lines from several threads or processes
    //  sharing the file never interleave.
    for (size_t sent = 0; sent < sink.length;) {
        ssize_t rc = write (STDERR_FILENO, line + sent, sink.length - sent);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break; //  nowhere else to report it
        sent += (size_t) rc;
    }
    errno = saved_errno;
}

//  ----------------------------------------------------------- rate limits

typedef struct {
    char name [LOG_LIMIT_EVENT_MAX];
    bool open;          /* a window is running */
    int64_t start_msec; /* when it opened */
    uint64_t allowed;   /* lines written in it */
    uint64_t suppressed;
    log_level_t level; /* the most severe level among the lines left out */
} s_event_t;

struct log_limit_t {
    uint64_t burst;
    int window_msec;
    size_t count; /* entries of events in use */
    s_event_t events [LOG_LIMIT_EVENTS];
};

#define S_OVERFLOW_EVENT "log-limit-overflow"

static int64_t
s_monotonic_msec (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

log_limit_t *
log_limit_new (int burst, int window_msec)
{
    if (burst < 0 || window_msec <= 0)
        return NULL;
    log_limit_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->burst = (uint64_t) burst;
    self->window_msec = window_msec;
    return self;
}

static void
s_summarise (log_limit_t *self, s_event_t *event)
{
    if (event->suppressed == 0)
        return;
    if (self->window_msec % 1000 == 0)
        log_line (event->level, "event=%s suppressed=%" PRIu64 " window=%ds", event->name,
                  event->suppressed, self->window_msec / 1000);
    else
        log_line (event->level, "event=%s suppressed=%" PRIu64 " window=%dms", event->name,
                  event->suppressed, self->window_msec);
}

void
log_limit_destroy (log_limit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    log_limit_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_summarise (self, &self->events [i]);
    free (self);
    *self_p = NULL;
}

//  Names compare on their first LOG_LIMIT_EVENT_MAX - 1 bytes, as stored.
static s_event_t *
s_event (log_limit_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strncmp (self->events [i].name, name, LOG_LIMIT_EVENT_MAX - 1) == 0)
            return &self->events [i];
    s_event_t *event =
        &self->events [self->count < LOG_LIMIT_EVENTS ? self->count : LOG_LIMIT_EVENTS - 1];
    if (self->count == LOG_LIMIT_EVENTS)
        return event;
    //  A full table is a mistake in the code, not something a client can
    //  cause: keep counting, in one last entry that every further event
    //  shares.
    snprintf (event->name, sizeof event->name, "%s",
              self->count < LOG_LIMIT_EVENTS - 1 ? name : S_OVERFLOW_EVENT);
    self->count++;
    return event;
}

static bool
s_window_over (const log_limit_t *self, const s_event_t *event, int64_t now_msec)
{
    return event->open && now_msec - event->start_msec >= self->window_msec;
}

static void
s_close (log_limit_t *self, s_event_t *event)
{
    s_summarise (self, event);
    event->open = false;
    event->allowed = 0;
    event->suppressed = 0;
}

bool
log_limit_allow_at (log_limit_t *self, log_level_t level, const char *event_name, int64_t now_msec)
{
    assert (self);
    assert (event_name);
    s_event_t *event = s_event (self, event_name);
    if (s_window_over (self, event, now_msec))
        s_close (self, event);
    if (!event->open) {
        event->open = true;
        event->start_msec = now_msec;
    }
    if (event->allowed < self->burst) {
        event->allowed++;
        return true;
    }
    if (event->suppressed++ == 0 || level < event->level)
        event->level = level;
    return false;
}

bool
log_limit_allow (log_limit_t *self, log_level_t level, const char *event)
{
    return log_limit_allow_at (self, level, event, s_monotonic_msec ());
}

void
log_limit_tick_at (log_limit_t *self, int64_t now_msec)
{
    assert (self);
    for (size_t i = 0; i < self->count; i++)
        if (s_window_over (self, &self->events [i], now_msec))
            s_close (self, &self->events [i]);
}

void
log_limit_tick (log_limit_t *self)
{
    log_limit_tick_at (self, s_monotonic_msec ());
}

uint64_t
log_limit_suppressed (log_limit_t *self, const char *event_name)
{
    assert (self);
    for (size_t i = 0; i < self->count; i++)
        if (strncmp (self->events [i].name, event_name, LOG_LIMIT_EVENT_MAX - 1) == 0)
            return self->events [i].suppressed;
    return 0;
}
