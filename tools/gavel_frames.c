/*  gavel_frames: the frames of any ZeroMQ message, shown on one line.
*/
#include "gavel_frames.h"

//  Length of the UTF-8 sequence at text that encodes a printable character
//  (no C0 or C1 control, no DEL, no overlong form, no surrogate, none of
//  the marks that reorder or break a line), or 0.
static size_t
s_printable_char (const unsigned char *text, size_t left)
{
    unsigned char c = text [0];
    if (c >= 0x20 && c < 0x7f)
        return 1;
    size_t length = c >= 0xc2 && c <= 0xdf? 2: c >= 0xe0 && c <= 0xef? 3:
                    c >= 0xf0 && c <= 0xf4? 4: 0;
    if (length == 0 || length > left)
        return 0;
    uint32_t code = c & (0x7f >> length);
    for (size_t index = 1; index < length; index++) {
        if ((text [index] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (text [index] & 0x3f);
    }
    static const uint32_t lowest [] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (code < lowest [length] || code > 0x10ffff
    ||  (code >= 0xd800 && code <= 0xdfff) || code <= 0x9f
    ||  (code >= 0x200e && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e)
    ||  (code >= 0x2066 && code <= 0x2069))
        return 0;
    return length;
}

bool
gavel_frames_printable (const unsigned char *data, size_t size)
{
    for (size_t index = 0; index < size; ) {
        size_t length = s_printable_char (data + index, size - index);
        if (length == 0)
            return false;
        index += length;
    }
    return true;
}

//  One frame: text as is, anything else as 0x hex; cut after GAVEL_FRAMES_SHOWN
//  bytes with the full size said, so a huge frame cannot flood the screen.
static void
s_put_frame (FILE *stream, zframe_t *frame)
{
    const unsigned char *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    if (size == 0) {
        fputs ("\"\"", stream);
        return;
    }
    bool text = gavel_frames_printable (data, size);
    size_t shown = size;
    if (shown > GAVEL_FRAMES_SHOWN) {
        shown = text? 0: GAVEL_FRAMES_SHOWN;
        //  Cut text on a character boundary
        while (text) {
            size_t length = s_printable_char (data + shown, size - shown);
            if (shown + length > GAVEL_FRAMES_SHOWN)
                break;
            shown += length;
        }
    }
    if (text)
        fwrite (data, 1, shown, stream);
    else {
        fputs ("0x", stream);
        for (size_t index = 0; index < shown; index++)
            fprintf (stream, "%02x", data [index]);
    }
    if (shown < size)
        fprintf (stream, "...(%zu bytes)", size);
}

void
gavel_frames_put (FILE *stream, zmsg_t *msg)
{
    fprintf (stream, "[%zu]", zmsg_size (msg));
    const char *separator = " ";
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        fputs (separator, stream);
        s_put_frame (stream, frame);
        separator = " | ";
    }
}


//  What msg shows as, in a fresh string
static char *
s_shown (zmsg_t *msg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    gavel_frames_put (stream, msg);
    fclose (stream);
    return text;
}

void
gavel_frames_test (bool verbose)
{
    printf (" * gavel_frames: ");
    fflush (stdout);

    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "event");
    zmsg_addmem (msg, "", 0);
    zmsg_addmem (msg, "\x01\xff", 2);
    zmsg_addstr (msg, "caf\xc3\xa9");
    char *shown = s_shown (msg);
    assert (streq (shown, "[4] event | \"\" | 0x01ff | caf\xc3\xa9"));
    free (shown);
    zmsg_destroy (&msg);

    //  Control characters, line breaks, DEL, overlong forms, surrogates and
    //  the bidirectional marks are not text
    assert (gavel_frames_printable ((const unsigned char *) "plain text", 10));
    assert (!gavel_frames_printable ((const unsigned char *) "a\nb", 3));
    assert (!gavel_frames_printable ((const unsigned char *) "\x1b[2J", 4));
    assert (!gavel_frames_printable ((const unsigned char *) "\x7f", 1));
    assert (!gavel_frames_printable ((const unsigned char *) "\xc0\xaf", 2));
    assert (!gavel_frames_printable ((const unsigned char *) "\xed\xa0\x80", 3));
    assert (!gavel_frames_printable ((const unsigned char *) "\xe2\x80\xae", 3));
    assert (!gavel_frames_printable ((const unsigned char *) "\xc2\x85", 2));
    assert (!gavel_frames_printable ((const unsigned char *) "\xe2\x82", 2));
    assert (gavel_frames_printable ((const unsigned char *) "\xf0\x9f\x94\xa8", 4));

    //  A long text frame is cut on a character boundary, a long binary one
    //  after GAVEL_FRAMES_SHOWN bytes, each with its size said
    char long_text [GAVEL_FRAMES_SHOWN + 2];
    memset (long_text, 'x', sizeof long_text);
    memcpy (long_text + GAVEL_FRAMES_SHOWN - 1, "\xc3\xa9", 2);
    msg = zmsg_new ();
    zmsg_addmem (msg, long_text, sizeof long_text);
    shown = s_shown (msg);
    char expected [GAVEL_FRAMES_SHOWN + 64];
    snprintf (expected, sizeof expected, "[1] %.*s...(%zu bytes)",
              GAVEL_FRAMES_SHOWN - 1, long_text, sizeof long_text);
    assert (streq (shown, expected));
    free (shown);
    zmsg_destroy (&msg);

    unsigned char binary [GAVEL_FRAMES_SHOWN + 1];
    memset (binary, 0, sizeof binary);
    msg = zmsg_new ();
    zmsg_addmem (msg, binary, sizeof binary);
    shown = s_shown (msg);
    assert (strlen (shown) == strlen ("[1] 0x") + 2 * GAVEL_FRAMES_SHOWN + strlen ("...(1025 bytes)"));
    assert (strstr (shown, "...(1025 bytes)"));
    free (shown);
    zmsg_destroy (&msg);

    printf ("OK\n");
}
