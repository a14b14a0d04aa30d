/*  fuzz_script: the bidder's script parser (gavel_script) on any lines.

    Each line of the input is parsed in turn by one parser, as a script is.
    A good line must give a command whose fields are within the documented
    bounds (what goes on the wire is checked here, not by the replica); a
    bad one an error and no command.
*/
#include "fuzz.h"
#include "gavel_msg.h"
#include "gavel_script.h"
#include "gavel_text.h"

static void
s_check (gavel_script_t *script, int rc)
{
    gavel_script_command_t command = gavel_script_command (script);
    if (rc) {
        FUZZ_CHECK (command == GAVEL_SCRIPT_NONE, "a bad line gave command %d", command);
        FUZZ_CHECK (*gavel_script_error (script), "a bad line without an error");
        return;
    }
    FUZZ_CHECK (rc == 0, "parse returned %d", rc);
    FUZZ_CHECK (!*gavel_script_error (script), "a good line with an error: %s", gavel_script_error (script));
    switch (command) {
        case GAVEL_SCRIPT_OPEN:
            FUZZ_CHECK (gavel_text_valid_item (gavel_script_item (script)), "item '%s'",
                        gavel_script_item (script));
            FUZZ_CHECK (gavel_script_duration (script) >= 1
                     && gavel_script_duration (script) <= GAVEL_DURATION_MAX,
                        "duration %" PRId64, gavel_script_duration (script));
            FUZZ_CHECK (gavel_script_reserve (script) >= 0, "reserve %" PRId64, gavel_script_reserve (script));
            break;
        case GAVEL_SCRIPT_BID:
            FUZZ_CHECK (gavel_script_amount (script) >= 1, "amount %" PRId64, gavel_script_amount (script));
            break;
        case GAVEL_SCRIPT_AS:
            FUZZ_CHECK (gavel_text_valid_name (gavel_script_name (script)), "name '%s'",
                        gavel_script_name (script));
            break;
        case GAVEL_SCRIPT_SLEEP:
            FUZZ_CHECK (gavel_script_sleep (script) >= 0 && gavel_script_sleep (script) <= GAVEL_SCRIPT_SLEEP_MAX,
                        "sleep %" PRId64, gavel_script_sleep (script));
            break;
        default:
            break;
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    fuzz_init ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_init ();
    gavel_script_t *script = gavel_script_new ();
    char *text = (char *) malloc (size + 1);
    assert (text);
    memcpy (text, data, size);
    text [size] = '\0';
    //  Lines as a script file gives them (with their newline), and the whole
    //  input as one line (a REPL line may hold anything but a newline)
    char *line = text;
    for (char *next; line; line = next) {
        next = strchr (line, '\n');
        char saved = 0;
        if (next) {
            saved = next [1];
            next [1] = '\0';
        }
        s_check (script, gavel_script_parse (script, line));
        if (next) {
            next [1] = saved;
            next++;
            if (!*next)
                next = NULL;
        }
    }
    s_check (script, gavel_script_parse (script, text));
    free (text);
    gavel_script_destroy (&script);
    return 0;
}
