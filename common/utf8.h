/*  utf8.h - the one UTF-8 decoder of cibus.

    Two places must agree on what well-formed UTF-8 is: the codec, which
    refuses a request whose text is not (proto/codec.c), and the JSON
    output, which must never print what a JSON reader would reject and
    repairs such text before jansson sees it (common/cibus_json.h). They
    share this decoder so that they cannot disagree.

    It follows RFC 3629 (and Unicode's table 3-7 of well-formed byte
    sequences) to the letter: an overlong form (C0 AF for '/'), a surrogate
    (ED A0 80 for U+D800), a code point above U+10FFFF, a continuation byte
    where a character should start and a sequence cut short are all refused.

    Header-only: the build lists common/'s sources by name, and one small
    function does not justify touching it.                                */

#ifndef CIBUS_UTF8_H_INCLUDED
#define CIBUS_UTF8_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX 0x10FFFF

/* The length (1 to 4) of the well-formed UTF-8 sequence that starts text,
   of which len > 0 bytes may be read, with its code point in *code; 0 when
   the bytes there do not start one. */
static inline size_t
utf8_decode (const char *text, size_t len, uint32_t *code)
{
    const unsigned char *bytes = (const unsigned char *) text;
    size_t need;
    uint32_t value, least;
    if (bytes [0] < 0x80) {
        *code = bytes [0];
        return 1;
    }
    if (bytes [0] >= 0xC2 && bytes [0] <= 0xDF)
        need = 2, value = bytes [0] & 0x1F, least = 0x80;
    else if (bytes [0] >= 0xE0 && bytes [0] <= 0xEF)
        need = 3, value = bytes [0] & 0x0F, least = 0x800;
    else if (bytes [0] >= 0xF0 && bytes [0] <= 0xF4)
        need = 4, value = bytes [0] & 0x07, least = 0x10000;
    else
        return 0; //  a continuation byte, C0 or C1 (always overlong), F5 and above
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((bytes [i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (bytes [i] & 0x3F);
    }
    //  The shortest form only, no surrogate halves, nothing past Unicode.
    if (value < least || value > UTF8_MAX || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *code = value;
    return need;
}

#endif
