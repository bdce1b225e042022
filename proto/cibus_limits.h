/*  cibus_limits.h - every size and count limit of the protocol, in one place.

    The broker enforces them and names them in its refusals; the client
    library and the CLI use the same numbers to refuse early; docs/PROTOCOL.md
    lists them for people writing clients in other languages.             */

#ifndef CIBUS_LIMITS_H_INCLUDED
#define CIBUS_LIMITS_H_INCLUDED

#define CIBUS_MAX_FRAME      (1024 * 1024) /* one encoded Request or Reply */
#define CIBUS_MAX_ID         128           /* Envelope.id, commitment ids */
#define CIBUS_MAX_NETWORK    64            /* the <network> part of a topic */
#define CIBUS_MAX_TOPIC      128           /* a whole topic or prefix */
#define CIBUS_MAX_NAME       128           /* indicator ids, periods, dimension keys/values, partner names */
#define CIBUS_MAX_TEXT       1024          /* titles, actions, comments, decisions */
#define CIBUS_MAX_BODY       (64 * 1024)   /* a meeting note's body */
#define CIBUS_MAX_CELLS      256           /* cells of one data table, besides its total */
#define CIBUS_MAX_CROSS      3             /* dimensions one cell of a table may cross */
#define CIBUS_MAX_VERSIONS   32            /* versions of one data table: the first and its corrections */
#define CIBUS_MAX_HISTORY    2048          /* cells of all the versions of one table, together */
#define CIBUS_MAX_LIST       64            /* dimensions, attendees, decisions, indicators, prefixes */
#define CIBUS_MAX_VALUES     16384         /* messages, strings, bytes and lists one Request decodes into */

#define CIBUS_FRAME_SLACK    1024          /* CURVE box and Reply wrapping beyond MAX_FRAME */
#define CIBUS_HEARTBEAT_MSEC 10000         /* an idle subscription hears from the broker this often */

#define CIBUS_CREDIT_DEFAULT 256           /* a subscriber's credit window when it names none */
#define CIBUS_CREDIT_MAX     65536         /* the largest credit a subscriber may hold */
#define CIBUS_BATCH_MAX      1024          /* publishes in one group commit */
#define CIBUS_SCAN_MAX       1024          /* log rows one cursor step may read */

#endif
