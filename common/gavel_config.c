/*  gavel_config: the cluster file (czmq ZPL), validated.

    Each section has a table of the keys it allows; anything else is an error
    that names it, because a misspelt key silently ignored is a setting the
    operator believes in and does not have.
*/
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_msg.h"
#include "gavel_text.h"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

//  A redirect's record is "primary=ID client=ENDPOINT", ID one digit
static_assert (sizeof "primary=7 client=" - 1 + GAVEL_ENDPOINT_MAX <= GAVEL_RECORD_MAX,
               "a client endpoint must fit a redirect record");

struct _gavel_config_t {
    char *name;
    gavel_settings_t settings;
    char *bidder_allow;         //  settings.bidder_allow points here
    const char *text;           //  the file's text while parsing, for line
                                //  numbers in errors; NULL after
    char *base;                 //  the file's directory, with a '/', for
                                //  relative secret paths ("" for text)
    size_t replicas;
    gavel_replica_conf_t replica [GAVEL_REPLICAS_MAX];
    size_t brokers;
    gavel_broker_conf_t broker [GAVEL_BROKERS_MAX];
};

static int
s_error (char *error, size_t size, const char *origin, const char *format, ...)
{
    int used = snprintf (error, size, "%s: ", origin);
    va_list args;
    va_start (args, format);
    if (used >= 0 && (size_t) used < size)
        vsnprintf (error + used, size - (size_t) used, format, args);
    va_end (args);
    return -1;
}

//  The line (1...) where the ZPL path first / second / third is, in the
//  text being parsed; 0 when it cannot be told. zconfig keeps no line
//  numbers, so we look for them in the text the same way it nests: 4
//  spaces a level.
static int
s_line (gavel_config_t *self, const char *first, const char *second, const char *third)
{
    const char *parts [3] = { first, second, third };
    size_t wanted = third? 3: second? 2: 1;
    size_t matched = 0;
    int number = 0;
    for (const char *line = self->text; line && *line; ) {
        number++;
        const char *end = strchr (line, '\n');
        size_t length = end? (size_t) (end - line): strlen (line);
        size_t indent = strspn (line, " ");
        const char *name = line + indent;
        size_t name_length = strcspn (name, " =\t#\r\n");
        if (indent < length && *name != '#' && name_length > 0) {
            size_t depth = indent / 4;
            if (depth < matched)
                matched = depth;
            if (depth == matched && matched < wanted
            &&  strlen (parts [matched]) == name_length
            &&  memcmp (name, parts [matched], name_length) == 0
            &&  ++matched == wanted)
                return number;
        }
        line = end? end + 1: NULL;
    }
    return 0;
}

//  An error at a key of the file: "origin:line: path: problem".
static int
s_key_error (gavel_config_t *self, char *error, size_t size, const char *origin,
             const char *first, const char *second, const char *third, const char *format, ...)
{
    int line = s_line (self, first, second, third);
    int used = line? snprintf (error, size, "%s:%d: ", origin, line): snprintf (error, size, "%s: ", origin);
    va_list args;
    va_start (args, format);
    if (used >= 0 && (size_t) used < size)
        vsnprintf (error + used, size - (size_t) used, format, args);
    va_end (args);
    return -1;
}

//  A server's CURVE public key: 40 Z85 characters.
static int
s_check_public_key (gavel_config_t *self, const char *section, const char *id,
                    const char *value, const char *origin, char *error, size_t size)
{
    if (gavel_keys_valid (value))
        return 0;
    return s_key_error (self, error, size, origin, section, id, "public_key",
                        "%s/%s/public_key: '%s' is not a CURVE public key (40 Z85 characters, "
                        "as gavel-keygen prints it; write it in double quotes)", section, id, value);
}

//  A secret certificate's path, relative to the cluster file's directory.
static char *
s_secret_path (gavel_config_t *self, const char *value)
{
    if (*value == '/' || !*value)
        return strdup (value);
    return zsys_sprintf ("%s%s", self->base, value);
}

//  A key's value, refusing anything but a leaf.
static int
s_leaf (zconfig_t *item, const char *path, const char **value,
        const char *origin, char *error, size_t size)
{
    if (zconfig_child (item))
        return s_error (error, size, origin, "'%s' must be a value, not a section", path);
    *value = zconfig_value (item)? zconfig_value (item): "";
    return 0;
}

//  The one setting that is a word: what a replica's saves wait for.
static int
s_parse_fsync (gavel_config_t *self, zconfig_t *setting, const char *origin,
               char *error, size_t size)
{
    const char *value = "";
    if (s_leaf (setting, "cluster/settings/fsync", &value, origin, error, size))
        return -1;
    if (!streq (value, "always") && !streq (value, "never") && !streq (value, "writer"))
        return s_error (error, size, origin, "cluster/settings/fsync: '%s' is not 'always' "
                        "(each save on disk before the ack), 'writer' (the same, synced by a "
                        "thread behind the loop) or 'never' (left to the kernel)", value);
    self->settings.fsync = !streq (value, "never");
    self->settings.fsync_writer = streq (value, "writer");
    return 0;
}

//  Every setting in ms: its key, where it goes, and its range
static int
s_parse_settings (gavel_config_t *self, zconfig_t *section, const char *origin,
                  char *error, size_t size)
{
    struct {
        const char *key;
        int64_t *value;
        int64_t min, max;
    } table [] = {
        { "request_timeout", &self->settings.request_timeout, 1, 3600000 },
        { "heartbeat",       &self->settings.heartbeat, 1, 60000 },
        { "election",        &self->settings.election, 2, 600000 },
        { "election_spread", &self->settings.election_spread, 0, 600000 },
        { "commit_timeout",  &self->settings.commit_timeout, 1, 3600000 },
        { "snapshot_every",  &self->settings.snapshot_every, 10, 1000000000 },
        { "broker_hold",     &self->settings.broker_hold, 1, 3600000 },
    };
    size_t rows = sizeof table / sizeof table [0];
    for (zconfig_t *setting = zconfig_child (section); setting; setting = zconfig_next (setting)) {
        const char *key = zconfig_name (setting);
        if (streq (key, "fsync")) {
            if (s_parse_fsync (self, setting, origin, error, size))
                return -1;
            continue;
        }
        if (streq (key, "bidder_allow")) {
            const char *value = "";
            if (s_leaf (setting, "cluster/settings/bidder_allow", &value, origin, error, size))
                return -1;
            if (!*value)
                return s_key_error (self, error, size, origin, "cluster", "settings", "bidder_allow",
                                    "cluster/settings/bidder_allow: give a directory of bidders' "
                                    "public certificates, or leave the key out");
            zstr_free (&self->bidder_allow);
            self->bidder_allow = s_secret_path (self, value);
            self->settings.bidder_allow = self->bidder_allow;
            continue;
        }
        size_t row;
        for (row = 0; row < rows; row++)
            if (streq (key, table [row].key))
                break;
        if (row == rows)
            return s_error (error, size, origin, "unknown setting 'cluster/settings/%s' (known: "
                            "request_timeout, heartbeat, election, election_spread, commit_timeout, snapshot_every, broker_hold, fsync, "
                            "bidder_allow)",
                            key);
        char path [96];
        snprintf (path, sizeof path, "cluster/settings/%s", key);
        const char *value = "";
        const char *why;
        if (s_leaf (setting, path, &value, origin, error, size))
            return -1;
        if (gavel_text_parse_int (value, table [row].min, table [row].max, table [row].value, &why))
            return s_error (error, size, origin, "%s: '%s' %s (ms, %" PRId64 " to %" PRId64 ")",
                            path, value, why, table [row].min, table [row].max);
    }
    if (self->settings.heartbeat * 2 > self->settings.election)
        return s_error (error, size, origin, "cluster/settings: election (%" PRId64 " ms) must be "
                        "at least twice the heartbeat (%" PRId64 " ms)",
                        self->settings.election, self->settings.heartbeat);
    return 0;
}

static int
s_parse_cluster (gavel_config_t *self, zconfig_t *section, const char *origin,
                 char *error, size_t size)
{
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        const char *value = "";
        if (streq (key, "name")) {
            if (s_leaf (item, "cluster/name", &value, origin, error, size))
                return -1;
            zstr_free (&self->name);
            self->name = strdup (value);
        }
        else
        if (streq (key, "settings")) {
            if (s_parse_settings (self, item, origin, error, size))
                return -1;
        }
        else
            return s_error (error, size, origin, "unknown key 'cluster/%s' (known: name, settings)", key);
    }
    return 0;
}

//  One key of a server's section and the field it fills
typedef struct {
    const char *key;
    char **field;
} s_field_t;

static bool
s_is_endpoint (const char *key)
{
    return streq (key, "client") || streq (key, "pub") || streq (key, "ack") || streq (key, "mesh");
}

//  The keys of replica or broker section (kind) into their fields; a key
//  not in the table is an error that lists those that are. A secret is a
//  path from the cluster file's directory; a public_key is checked. Keys
//  not given read "".
static int
s_parse_fields (gavel_config_t *self, zconfig_t *section, const char *kind,
                s_field_t *fields, size_t count, const char *origin, char *error, size_t size)
{
    const char *id_text = zconfig_name (section);
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        const char *value = "";
        char path [64];
        snprintf (path, sizeof path, "%s/%s/%s", kind, id_text, key);
        char **field = NULL;
        for (size_t index = 0; index < count && !field; index++)
            if (streq (key, fields [index].key))
                field = fields [index].field;
        if (!field) {
            char known [128] = "";
            for (size_t index = 0; index < count; index++)
                snprintf (known + strlen (known), sizeof known - strlen (known), "%s%s",
                          index? ", ": "", fields [index].key);
            return s_error (error, size, origin, "unknown key '%s' (known: %s)", path, known);
        }
        if (s_leaf (item, path, &value, origin, error, size))
            return -1;
        if (streq (key, "public_key")
        &&  s_check_public_key (self, kind, id_text, value, origin, error, size))
            return -1;
        if (s_is_endpoint (key) && strlen (value) > GAVEL_ENDPOINT_MAX)
            return s_key_error (self, error, size, origin, kind, id_text, key,
                                "%s: the endpoint is %zu bytes, over the limit of %d",
                                path, strlen (value), GAVEL_ENDPOINT_MAX);
        zstr_free (field);
        *field = streq (key, "secret")? s_secret_path (self, value): strdup (value);
    }
    for (size_t index = 0; index < count; index++)
        if (!*fields [index].field)
            *fields [index].field = strdup ("");
    return 0;
}

static int
s_parse_replica (gavel_config_t *self, zconfig_t *section, const char *origin,
                 char *error, size_t size)
{
    const char *id_text = zconfig_name (section);
    const char *why;
    uint64_t id;
    if (gavel_text_parse_uint (id_text, 1, GAVEL_REPLICAS_MAX, &id, &why))
        return s_error (error, size, origin, "replica '%s': the id %s (1 to %d)",
                        id_text, why, GAVEL_REPLICAS_MAX);
    if (gavel_config_find (self, id))
        return s_error (error, size, origin, "replica %" PRIu64 " is listed twice", id);
    if (self->replicas == GAVEL_REPLICAS_MAX)
        return s_error (error, size, origin, "more than %d replicas", GAVEL_REPLICAS_MAX);
    gavel_replica_conf_t *replica = &self->replica [self->replicas++];
    replica->id = id;
    s_field_t fields [] = {
        { "client", &replica->client }, { "pub", &replica->pub }, { "ack", &replica->ack },
        { "mesh", &replica->mesh }, { "data", &replica->data },
        { "public_key", &replica->public_key }, { "secret", &replica->secret }
    };
    if (s_parse_fields (self, section, "replica", fields, sizeof fields / sizeof fields [0],
                        origin, error, size))
        return -1;
    if (!*replica->client)
        return s_error (error, size, origin, "replica %s has no client endpoint", id_text);
    return 0;
}

//  A broker is a front door: both its endpoints are what it is for.
static int
s_parse_broker (gavel_config_t *self, zconfig_t *section, const char *origin,
                char *error, size_t size)
{
    const char *id_text = zconfig_name (section);
    const char *why;
    uint64_t id;
    if (gavel_text_parse_uint (id_text, 1, GAVEL_BROKERS_MAX, &id, &why))
        return s_error (error, size, origin, "broker '%s': the id %s (1 to %d)",
                        id_text, why, GAVEL_BROKERS_MAX);
    if (gavel_config_find_broker (self, id))
        return s_error (error, size, origin, "broker %" PRIu64 " is listed twice", id);
    if (self->brokers == GAVEL_BROKERS_MAX)
        return s_error (error, size, origin, "more than %d brokers", GAVEL_BROKERS_MAX);
    gavel_broker_conf_t *broker = &self->broker [self->brokers++];
    broker->id = id;
    s_field_t fields [] = {
        { "client", &broker->client }, { "pub", &broker->pub },
        { "public_key", &broker->public_key }, { "secret", &broker->secret }
    };
    if (s_parse_fields (self, section, "broker", fields, sizeof fields / sizeof fields [0],
                        origin, error, size))
        return -1;
    if (!*broker->client || !*broker->pub)
        return s_error (error, size, origin, "broker %s needs client and pub endpoints", id_text);
    return 0;
}

//  Keys for every server or for none: a cluster half secure is a mistake.
static int
s_check_keys (gavel_config_t *self, const char *origin, char *error, size_t size)
{
    size_t keyed = 0;
    for (size_t index = 0; index < self->replicas; index++)
        keyed += *self->replica [index].public_key? 1: 0;
    for (size_t index = 0; index < self->brokers; index++)
        keyed += *self->broker [index].public_key? 1: 0;
    if (keyed == 0 || keyed == self->replicas + self->brokers)
        return 0;
    char id [24];
    for (size_t index = 0; index < self->replicas; index++)
        if (!*self->replica [index].public_key) {
            snprintf (id, sizeof id, "%" PRIu64, self->replica [index].id);
            return s_key_error (self, error, size, origin, "replica", id, NULL,
                                "replica %s has no public_key, but other servers have one: list "
                                "every replica's and broker's key (gavel-keygen makes them), or none",
                                id);
        }
    for (size_t index = 0; index < self->brokers; index++)
        if (!*self->broker [index].public_key) {
            snprintf (id, sizeof id, "%" PRIu64, self->broker [index].id);
            return s_key_error (self, error, size, origin, "broker", id, NULL,
                                "broker %s has no public_key, but other servers have one: list "
                                "every replica's and broker's key (gavel-keygen makes them), or none",
                                id);
        }
    return 0;
}

static gavel_config_t *
s_config_from (zconfig_t *root, const char *text, const char *base, const char *origin,
               char *error, size_t size)
{
    gavel_config_t *self = (gavel_config_t *) zmalloc (sizeof (gavel_config_t));
    assert (self);
    self->text = text;
    self->base = strdup (base);
    self->bidder_allow = strdup ("");
    self->name = strdup ("gavel");
    self->settings = (gavel_settings_t) {
        .request_timeout = 500, .heartbeat = 50, .election = 250,
        .election_spread = 50, .commit_timeout = 400, .snapshot_every = 10000,
        .broker_hold = 5000,
        .fsync = true,          //  the safe choice; tests say never
        .bidder_allow = self->bidder_allow
    };
    int rc = 0;
    for (zconfig_t *section = zconfig_child (root); section && rc == 0; section = zconfig_next (section)) {
        const char *name = zconfig_name (section);
        if (streq (name, "cluster"))
            rc = s_parse_cluster (self, section, origin, error, size);
        else
        if (streq (name, "replica")) {
            for (zconfig_t *replica = zconfig_child (section); replica && rc == 0; replica = zconfig_next (replica))
                rc = s_parse_replica (self, replica, origin, error, size);
        }
        else
        if (streq (name, "broker")) {
            for (zconfig_t *broker = zconfig_child (section); broker && rc == 0; broker = zconfig_next (broker))
                rc = s_parse_broker (self, broker, origin, error, size);
        }
        else
            rc = s_error (error, size, origin, "unknown section '%s' (known: cluster, replica, broker)", name);
    }
    if (rc == 0 && self->replicas == 0)
        rc = s_error (error, size, origin, "no replica is listed (a 'replica' section is required)");
    for (size_t index = 0; rc == 0 && self->replicas > 1 && index < self->replicas; index++) {
        const gavel_replica_conf_t *replica = &self->replica [index];
        if (!*replica->pub || !*replica->ack || !*replica->mesh)
            rc = s_error (error, size, origin, "replica %" PRIu64 " needs pub, ack and mesh "
                          "endpoints: the cluster has %zu replicas", replica->id, self->replicas);
    }
    if (rc == 0 && self->replicas % 2 == 0)
        rc = s_error (error, size, origin, "%zu replicas: use an odd number, so that a majority "
                      "survives the loss of any minority", self->replicas);
    if (rc == 0)
        rc = s_check_keys (self, origin, error, size);
    if (rc)
        gavel_config_destroy (&self);
    else
        self->text = NULL;
    return self;
}

static gavel_config_t *
s_config_text (const char *text, const char *base, const char *origin,
               char *error, size_t error_size)
{
    zconfig_t *root = zconfig_str_load (text);
    if (!root) {
        s_error (error, error_size, origin, "not a valid ZPL text (check its indentation: "
                 "4 spaces a level)");
        return NULL;
    }
    gavel_config_t *self = s_config_from (root, text, base, origin, error, error_size);
    zconfig_destroy (&root);
    return self;
}

//  Longest cluster file, bytes: far above any real one
#define CONFIG_FILE_MAX (1024 * 1024)

//  The file is read here and parsed from memory, never with zconfig_load,
//  which leaks whenever the text is not ZPL.
gavel_config_t *
gavel_config_load (const char *path, char *error, size_t error_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        s_error (error, error_size, path, errno == ENOENT? "no such file": "cannot read it: %s",
                 strerror (errno));
        return NULL;
    }
    char *text = (char *) malloc (CONFIG_FILE_MAX + 1);
    assert (text);
    size_t size = fread (text, 1, CONFIG_FILE_MAX + 1, file);
    bool failed = ferror (file);
    fclose (file);
    gavel_config_t *self = NULL;
    if (failed)
        s_error (error, error_size, path, "cannot read it");
    else
    if (size > CONFIG_FILE_MAX)
        s_error (error, error_size, path, "over %d bytes: not a cluster file", CONFIG_FILE_MAX);
    else {
        text [size] = '\0';
        if (strlen (text) != size)
            s_error (error, error_size, path, "holds a NUL byte: not a cluster file");
        else {
            //  Relative secret paths are from the file's directory
            char *base = strdup (path);
            char *slash = strrchr (base, '/');
            if (slash)
                slash [1] = '\0';
            else
                *base = '\0';
            self = s_config_text (text, base, path, error, error_size);
            zstr_free (&base);
        }
    }
    free (text);
    return self;
}

gavel_config_t *
gavel_config_parse (const char *text, const char *origin, char *error, size_t error_size)
{
    return s_config_text (text, "", origin, error, error_size);
}

void
gavel_config_destroy (gavel_config_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_config_t *self = *self_p;
        for (size_t index = 0; index < GAVEL_REPLICAS_MAX; index++) {
            zstr_free (&self->replica [index].client);
            zstr_free (&self->replica [index].pub);
            zstr_free (&self->replica [index].ack);
            zstr_free (&self->replica [index].mesh);
            zstr_free (&self->replica [index].data);
            zstr_free (&self->replica [index].public_key);
            zstr_free (&self->replica [index].secret);
        }
        for (size_t index = 0; index < GAVEL_BROKERS_MAX; index++) {
            zstr_free (&self->broker [index].client);
            zstr_free (&self->broker [index].pub);
            zstr_free (&self->broker [index].public_key);
            zstr_free (&self->broker [index].secret);
        }
        zstr_free (&self->name);
        zstr_free (&self->base);
        zstr_free (&self->bidder_allow);
        free (self);
        *self_p = NULL;
    }
}

const char *
gavel_config_name (gavel_config_t *self)
{
    return self->name;
}

size_t
gavel_config_replicas (gavel_config_t *self)
{
    return self->replicas;
}

const gavel_replica_conf_t *
gavel_config_replica (gavel_config_t *self, size_t index)
{
    return index < self->replicas? &self->replica [index]: NULL;
}

const gavel_replica_conf_t *
gavel_config_find (gavel_config_t *self, uint64_t id)
{
    for (size_t index = 0; index < self->replicas; index++)
        if (self->replica [index].id == id)
            return &self->replica [index];
    return NULL;
}

size_t
gavel_config_brokers (gavel_config_t *self)
{
    return self->brokers;
}

const gavel_broker_conf_t *
gavel_config_broker (gavel_config_t *self, size_t index)
{
    return index < self->brokers? &self->broker [index]: NULL;
}

const gavel_broker_conf_t *
gavel_config_find_broker (gavel_config_t *self, uint64_t id)
{
    for (size_t index = 0; index < self->brokers; index++)
        if (self->broker [index].id == id)
            return &self->broker [index];
    return NULL;
}

int64_t
gavel_config_request_timeout (gavel_config_t *self)
{
    return self->settings.request_timeout;
}

const gavel_settings_t *
gavel_config_settings (gavel_config_t *self)
{
    return &self->settings;
}

bool
gavel_config_secure (gavel_config_t *self)
{
    return self->replicas > 0 && *self->replica [0].public_key;
}

bool
gavel_config_is_broker_key (gavel_config_t *self, const char *key)
{
    for (size_t index = 0; key && *key && index < self->brokers; index++)
        if (streq (self->broker [index].public_key, key))
            return true;
    return false;
}

void
gavel_config_test (bool verbose)
{
    printf (" * gavel_config: ");
    char error [256];
    gavel_config_t *config = gavel_config_parse (
        "cluster\n"
        "    name = demo\n"
        "    settings\n"
        "        request_timeout = 250\n"
        "replica\n"
        "    1\n"
        "        client = tcp://127.0.0.1:21001\n"
        "        data = /tmp/r1\n"
        "        pub = tcp://127.0.0.1:21002\n"
        "        ack = tcp://127.0.0.1:21003\n"
        "        mesh = tcp://127.0.0.1:21004\n"
        "    3\n"
        "        client = tcp://127.0.0.1:21031\n"
        "        pub = tcp://127.0.0.1:21032\n"
        "        ack = tcp://127.0.0.1:21033\n"
        "        mesh = tcp://127.0.0.1:21034\n"
        "    5\n"
        "        client = tcp://127.0.0.1:21051\n"
        "        pub = tcp://127.0.0.1:21052\n"
        "        ack = tcp://127.0.0.1:21053\n"
        "        mesh = tcp://127.0.0.1:21054\n"
        "broker\n"
        "    2\n"
        "        client = tcp://127.0.0.1:21201\n"
        "        pub = tcp://127.0.0.1:21202\n", "test", error, sizeof error);
    assert (config);
    assert (gavel_config_brokers (config) == 1);
    assert (gavel_config_broker (config, 0)->id == 2);
    assert (gavel_config_broker (config, 1) == NULL);
    assert (streq (gavel_config_find_broker (config, 2)->pub, "tcp://127.0.0.1:21202"));
    assert (gavel_config_find_broker (config, 1) == NULL);
    assert (gavel_config_settings (config)->broker_hold == 5000);
    assert (gavel_config_settings (config)->heartbeat == 50);
    assert (gavel_config_settings (config)->election == 250);
    assert (gavel_config_settings (config)->fsync);
    assert (streq (gavel_config_find (config, 3)->mesh, "tcp://127.0.0.1:21034"));
    assert (streq (gavel_config_name (config), "demo"));
    assert (gavel_config_request_timeout (config) == 250);
    assert (gavel_config_replicas (config) == 3);
    assert (gavel_config_replica (config, 1)->id == 3);
    assert (streq (gavel_config_find (config, 1)->client, "tcp://127.0.0.1:21001"));
    assert (streq (gavel_config_find (config, 1)->data, "/tmp/r1"));
    assert (streq (gavel_config_find (config, 3)->data, ""));
    assert (gavel_config_find (config, 2) == NULL);
    assert (gavel_config_replica (config, 3) == NULL);
    gavel_config_destroy (&config);
    gavel_config_destroy (&config);
    config = gavel_config_parse ("cluster\n    settings\n        fsync = never\n"
                                 "replica\n    1\n        client = tcp://a:1\n", "test", error, sizeof error);
    assert (config && !gavel_config_settings (config)->fsync);
    assert (gavel_config_brokers (config) == 0);
    gavel_config_destroy (&config);
    config = gavel_config_parse ("cluster\n    settings\n        broker_hold = 2000\n"
                                 "replica\n    1\n        client = tcp://a:1\n", "test", error, sizeof error);
    assert (config && gavel_config_settings (config)->broker_hold == 2000);
    gavel_config_destroy (&config);
    config = gavel_config_parse ("cluster\n    settings\n        fsync = always\n"
                                 "replica\n    1\n        client = tcp://a:1\n", "test", error, sizeof error);
    assert (config && gavel_config_settings (config)->fsync);
    gavel_config_destroy (&config);

    struct { const char *text; const char *names; } bad [] = {
        { "cluster\n    nmae = x\nreplica\n    1\n        client = tcp://a:1\n", "cluster/nmae" },
        { "cluster\n    settings\n        request_timeout = soon\nreplica\n    1\n        client = tcp://a:1\n",
          "'soon' is not a number" },
        { "cluster\n    settings\n        retries = 3\n", "cluster/settings/retries" },
        { "cluster\n    settings\n        fsync = sometimes\nreplica\n    1\n        client = tcp://a:1\n",
          "cluster/settings/fsync: 'sometimes' is not 'always'" },
        { "cluster\n    settings\n        fsync\n            x = 1\nreplica\n    1\n        client = tcp://a:1\n",
          "'cluster/settings/fsync' must be a value" },
        { "replica\n    9\n        client = tcp://a:1\n", "replica '9'" },
        { "replica\n    x\n        client = tcp://a:1\n", "replica 'x'" },
        { "replica\n    1\n        client = tcp://a:1\n    1\n        client = tcp://a:2\n", "listed twice" },
        { "replica\n    1\n        data = /tmp\n", "no client endpoint" },
        { "replica\n    1\n        client = tcp://a:1\n        colour = red\n", "replica/1/colour" },
        { "cluster\n    name = x\n", "no replica" },
        { "cluster\n    settings\n        heartbeat = 200\nreplica\n    1\n        client = tcp://a:1\n",
          "at least twice the heartbeat" },
        { "replica\n    1\n        client = tcp://a:1\n    2\n        client = tcp://a:2\n"
          "    3\n        client = tcp://a:3\n", "needs pub, ack and mesh" },
        { "replica\n    1\n        client = tcp://a:1\n        pub = x\n        ack = y\n        mesh = z\n"
          "    2\n        client = tcp://a:2\n        pub = x\n        ack = y\n        mesh = z\n",
          "use an odd number" },
        { "replicas\n    1\n", "unknown section 'replicas'" },
        { "replica\n    1\n        client = tcp://a:1\nbroker\n    1\n        client = tcp://b:1\n",
          "broker 1 needs client and pub" },
        { "replica\n    1\n        client = tcp://a:1\nbroker\n    1\n        client = tcp://b:1\n"
          "        pub = tcp://b:2\n        colour = red\n", "broker/1/colour" },
        { "replica\n    1\n        client = tcp://a:1\nbroker\n    0\n        client = tcp://b:1\n", "broker '0'" },
        { "replica\n    1\n        client = tcp://a:1\nbroker\n    1\n        client = x\n        pub = y\n"
          "    1\n        client = x\n        pub = y\n", "broker 1 is listed twice" },
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        config = gavel_config_parse (bad [index].text, "bad.cfg", error, sizeof error);
        assert (config == NULL);
        if (verbose)
            printf ("\n   %s", error);
        assert (strstr (error, "bad.cfg: "));
        assert (strstr (error, bad [index].names));
    }
    config = gavel_config_load ("/nonexistent/cluster.cfg", error, sizeof error);
    assert (!config && strstr (error, "no such file"));

    //  From a file: read here, never by zconfig_load, which leaked on every
    //  file that is not ZPL (ASan's leak check fails this test on it)
    char file_path [] = "/tmp/gavel-config-test.XXXXXX";
    int fd = mkstemp (file_path);
    assert (fd != -1);
    const char *not_zpl = "replica\n  1\n      client = tcp://a:1\n";
    assert (write (fd, not_zpl, strlen (not_zpl)) == (ssize_t) strlen (not_zpl));
    close (fd);
    config = gavel_config_load (file_path, error, sizeof error);
    assert (config == NULL && strstr (error, "not a valid ZPL text") && strstr (error, file_path));
    fd = open (file_path, O_WRONLY | O_TRUNC);
    assert (fd != -1 && write (fd, "replica\n\0", 9) == 9);
    close (fd);
    config = gavel_config_load (file_path, error, sizeof error);
    assert (config == NULL && strstr (error, "holds a NUL byte"));
    const char *good = "replica\n    1\n        client = tcp://a:1\n        secret = k/r1_secret\n";
    fd = open (file_path, O_WRONLY | O_TRUNC);
    assert (fd != -1 && write (fd, good, strlen (good)) == (ssize_t) strlen (good));
    close (fd);
    config = gavel_config_load (file_path, error, sizeof error);
    assert (config && streq (gavel_config_find (config, 1)->secret, "/tmp/k/r1_secret"));
    gavel_config_destroy (&config);
    unlink (file_path);

    //  Endpoints fit the records they travel in: a client endpoint over the
    //  limit was taken, and every backup then aborted on its first redirect
    char endpoint [GAVEL_ENDPOINT_MAX + 2];
    memset (endpoint, 'x', sizeof endpoint - 1);
    endpoint [sizeof endpoint - 1] = '\0';
    memcpy (endpoint, "tcp://", 6);
    char *long_text = zsys_sprintf ("replica\n    1\n        client = %s\n", endpoint);
    config = gavel_config_parse (long_text, "long.cfg", error, sizeof error);
    if (verbose)
        printf ("\n   %s", error);
    assert (config == NULL);
    assert (strstr (error, "long.cfg:3: replica/1/client: the endpoint is 257 bytes, over the limit of 256"));
    zstr_free (&long_text);
    endpoint [GAVEL_ENDPOINT_MAX] = '\0';
    long_text = zsys_sprintf ("replica\n    1\n        client = tcp://a:1\n        pub = %s\n"
                              "        ack = x\n        mesh = y\n", endpoint);
    config = gavel_config_parse (long_text, "long.cfg", error, sizeof error);
    assert (config && strlen (gavel_config_find (config, 1)->pub) == GAVEL_ENDPOINT_MAX);
    gavel_config_destroy (&config);
    zstr_free (&long_text);
    long_text = zsys_sprintf ("replica\n    1\n        client = tcp://a:1\n"
                              "broker\n    1\n        client = tcp://b:1\n        pub = %sz\n", endpoint);
    config = gavel_config_parse (long_text, "long.cfg", error, sizeof error);
    assert (config == NULL && strstr (error, "broker/1/pub: the endpoint is 257 bytes"));
    zstr_free (&long_text);

    //  CURVE keys: every server's or none; bad ones named with their line
    zcert_t *one = zcert_new (), *two = zcert_new ();
    char *text = zsys_sprintf (
        "cluster\n    settings\n        bidder_allow = bidders\n"
        "replica\n    1\n        client = tcp://a:1\n        public_key = \"%s\"\n"
        "        secret = keys/r1_secret\n"
        "broker\n    1\n        client = tcp://b:1\n        pub = tcp://b:2\n"
        "        public_key = \"%s\"\n        secret = /k/b1_secret\n",
        zcert_public_txt (one), zcert_public_txt (two));
    config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config && gavel_config_secure (config));
    assert (streq (gavel_config_find (config, 1)->public_key, zcert_public_txt (one)));
    assert (streq (gavel_config_find (config, 1)->secret, "keys/r1_secret"));
    assert (streq (gavel_config_find_broker (config, 1)->secret, "/k/b1_secret"));
    assert (streq (gavel_config_settings (config)->bidder_allow, "bidders"));
    assert (gavel_config_is_broker_key (config, zcert_public_txt (two)));
    assert (!gavel_config_is_broker_key (config, zcert_public_txt (one)));
    assert (!gavel_config_is_broker_key (config, ""));
    gavel_config_destroy (&config);
    zstr_free (&text);
    config = gavel_config_parse ("replica\n    1\n        client = tcp://a:1\n", "test", error, sizeof error);
    assert (config && !gavel_config_secure (config));
    assert (streq (gavel_config_settings (config)->bidder_allow, ""));
    gavel_config_destroy (&config);
    struct { const char *text; const char *names; } bad_keys [] = {
        { "replica\n    1\n        client = tcp://a:1\n        public_key = short\n",
          "bad.cfg:4: replica/1/public_key: 'short' is not a CURVE public key" },
        { "replica\n    1\n        client = tcp://a:1\n        pub = x\n        ack = y\n        mesh = z\n"
          "        public_key = \"%s\"\n"
          "    2\n        client = tcp://a:2\n        pub = x\n        ack = y\n        mesh = z\n"
          "    3\n        client = tcp://a:3\n        pub = x\n        ack = y\n        mesh = z\n"
          "        public_key = \"%s\"\n",
          "bad.cfg:8: replica 2 has no public_key" },
        { "# a comment\nreplica\n    1\n        client = tcp://a:1\n        public_key = \"%s\"\n"
          "broker\n    4\n        client = x\n        pub = y\n",
          "bad.cfg:7: broker 4 has no public_key" },
        { "cluster\n    settings\n        bidder_allow =\nreplica\n    1\n        client = tcp://a:1\n",
          "bad.cfg:3: cluster/settings/bidder_allow" },
    };
    for (size_t index = 0; index < sizeof bad_keys / sizeof bad_keys [0]; index++) {
        text = zsys_sprintf (bad_keys [index].text, zcert_public_txt (one), zcert_public_txt (two));
        config = gavel_config_parse (text, "bad.cfg", error, sizeof error);
        zstr_free (&text);
        if (verbose)
            printf ("\n   %s", error);
        assert (config == NULL);
        if (!strstr (error, bad_keys [index].names))
            printf ("\nunexpected error: %s\n", error);
        assert (strstr (error, bad_keys [index].names));
    }
    zcert_destroy (&one);
    zcert_destroy (&two);
    printf ("OK\n");
}
