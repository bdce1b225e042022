/*  log.h - one line per event, key=value fields, to stderr.

    Levels mean: error = an operator must act; warn = a client did
    something wrong; info = lifecycle; debug = per message. The level in
    force comes from CIBUS_LOG (error|warn|info|debug; default info).     */

#ifndef CIBUS_LOG_H_INCLUDED
#define CIBUS_LOG_H_INCLUDED

typedef enum { LEVEL_ERROR = 0, LEVEL_WARN, LEVEL_INFO, LEVEL_DEBUG } log_level_t;

/* Whether a line at this level would be written. */
int log_enabled (log_level_t level);

void log_line (log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#define log_error(...) log_line (LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_line (LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_line (LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) \
    do { \
        if (log_enabled (LEVEL_DEBUG)) \
            log_line (LEVEL_DEBUG, __VA_ARGS__); \
    } while (0)

#endif
