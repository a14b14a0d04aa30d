/*  gavel_layout: a cluster laid out on this machine's loopback, in one
    directory: its ports, its key pairs and its cluster file.
*/
#include "gavel_layout.h"
#include "gavel_config.h"
#include "gavel_file.h"
#include "gavel_keys.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

//  Ports we pick: below Linux's ephemeral range (32768 up), so that no
//  outgoing connection holds a port a replica is about to bind.
#define PORT_LOW        20000
#define PORT_BASE_HIGH  32000
#define PORT_HIGH       32767
#define PORTS_MAX       (GAVEL_REPLICAS_MAX * GAVEL_LAYOUT_REPLICA_PORTS \
                       + GAVEL_BROKERS_MAX * GAVEL_LAYOUT_BROKER_PORTS)

typedef char s_key_t [GAVEL_KEY_Z85 + 1];

struct _gavel_layout_t {
    char *dir;
    size_t replicas;
    size_t brokers;
    gavel_layout_settings_t settings;
    bool has_keys;              //  else an insecure cluster
    s_key_t keys [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];     //  replicas' first
    bool has_ports;
    int ports [PORTS_MAX];
    int holds [PORTS_MAX];      //  a socket per port, -1 once released
};

gavel_layout_t *
gavel_layout_new (const char *dir, size_t replicas, size_t brokers)
{
    assert (dir && *dir == '/' && !strchr (dir, '"'));
    assert (replicas >= 1 && replicas <= GAVEL_REPLICAS_MAX);
    assert (brokers <= GAVEL_BROKERS_MAX);
    gavel_layout_t *self = (gavel_layout_t *) zmalloc (sizeof (gavel_layout_t));
    assert (self);
    self->dir = strdup (dir);
    assert (self->dir);
    self->replicas = replicas;
    self->brokers = brokers;
    for (size_t index = 0; index < PORTS_MAX; index++)
        self->holds [index] = -1;
    return self;
}

void
gavel_layout_destroy (gavel_layout_t **self_p)
{
    assert (self_p);
    gavel_layout_t *self = *self_p;
    if (self) {
        gavel_layout_release_ports (self);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_layout_set_settings (gavel_layout_t *self, const gavel_layout_settings_t *settings)
{
    self->settings = *settings;
}

//  -------------------------------------------------------------------------
//  Keys

//  DIR/keys/NAME and NAME_secret: reused when the secret loads, else made
//  afresh. The public key goes into public_key.
static int
s_make_key (gavel_layout_t *self, const char *name, char *public_key,
            char *error, size_t error_size)
{
    char dir [PATH_MAX], path [PATH_MAX], secret [PATH_MAX];
    if (snprintf (dir, sizeof dir, "%s/keys", self->dir) >= (int) sizeof dir
    ||  snprintf (path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path
    ||  snprintf (secret, sizeof secret, "%s/%s_secret", dir, name) >= (int) sizeof secret) {
        snprintf (error, error_size, "%s: the path is too long", self->dir);
        return -1;
    }
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (error, error_size, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    zcert_t *cert = access (secret, F_OK) == 0?
                    gavel_keys_load_secret (secret, NULL, error, error_size): NULL;
    if (!cert) {
        cert = zcert_new ();
        assert (cert);
        if (gavel_keys_save (cert, path, true, error, error_size)) {
            zcert_destroy (&cert);
            return -1;
        }
    }
    snprintf (public_key, GAVEL_KEY_Z85 + 1, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

int
gavel_layout_make_keys (gavel_layout_t *self, char *error, size_t error_size)
{
    for (size_t index = 0; index < self->replicas + self->brokers; index++) {
        char name [32];
        if (index < self->replicas)
            snprintf (name, sizeof name, "replica%zu", index + 1);
        else
            snprintf (name, sizeof name, "broker%zu", index - self->replicas + 1);
        if (s_make_key (self, name, self->keys [index], error, error_size))
            return -1;
    }
    self->has_keys = true;
    return 0;
}

//  -------------------------------------------------------------------------
//  Ports

//  Hold port on loopback: a socket bound to it, or -1 when the port is in
//  use in any way. The bind has no SO_REUSEADDR, so it fails on any port
//  already bound, also one another layout holds; then SO_REUSEADDR lets the
//  server (libzmq sets it too) bind and listen over our socket, which never
//  listens. So two clusters started side by side (parallel tests) cannot
//  both pick a port between our look and the server's bind.
static int
s_port_hold (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int reuse = 1;
    if (bind (fd, (struct sockaddr *) &address, sizeof address)
    ||  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse)) {
        close (fd);
        return -1;
    }
    return fd;
}

static void
s_ports_release (int *holds, size_t count)
{
    for (size_t index = 0; index < count; index++)
        if (holds [index] != -1) {
            close (holds [index]);
            holds [index] = -1;
        }
}

//  count consecutive free ports from a random base, held: random, so that
//  clusters started side by side rarely even try the same.
static int
s_pick_ports (size_t count, int *ports, int *holds, char *error, size_t error_size)
{
    unsigned int seed = (unsigned int) time (NULL) ^ ((unsigned int) getpid () << 16)
                      ^ (unsigned int) zclock_usecs ();
    int port = PORT_LOW + (int) (rand_r (&seed) % (PORT_BASE_HIGH - PORT_LOW + 1));
    size_t run = 0;
    for (int tried = 0; tried <= PORT_HIGH - PORT_LOW; tried++, port++) {
        if (port > PORT_HIGH) {
            s_ports_release (holds, run);
            port = PORT_LOW;
            run = 0;
        }
        ports [run] = port;
        holds [run] = s_port_hold (port);
        if (holds [run] == -1) {
            s_ports_release (holds, run);
            run = 0;
        }
        else
        if (++run == count)
            return 0;
    }
    s_ports_release (holds, run);
    snprintf (error, error_size, "found no %zu free consecutive ports on 127.0.0.1 "
              "between %d and %d", count, PORT_LOW, PORT_HIGH);
    return -1;
}

int
gavel_layout_hold_ports (gavel_layout_t *self, uint64_t base_port, char *error, size_t error_size)
{
    assert (!self->has_ports);
    size_t total = gavel_layout_port_count (self);
    if (!base_port) {
        if (s_pick_ports (total, self->ports, self->holds, error, error_size))
            return -1;
        self->has_ports = true;
        return 0;
    }
    if (base_port + total - 1 > 65535) {
        snprintf (error, error_size, "port %" PRIu64 " and the %zu after it are not all ports",
                  base_port, total - 1);
        return -1;
    }
    for (size_t index = 0; index < total; index++) {
        self->ports [index] = (int) base_port + (int) index;
        self->holds [index] = s_port_hold (self->ports [index]);
        if (self->holds [index] == -1) {
            s_ports_release (self->holds, index);
            snprintf (error, error_size, "port %d on 127.0.0.1 is in use (--base-port %" PRIu64
                      " takes ports %" PRIu64 " to %" PRIu64 ")", self->ports [index],
                      base_port, base_port, base_port + total - 1);
            return -1;
        }
    }
    self->has_ports = true;
    return 0;
}

size_t
gavel_layout_port_count (gavel_layout_t *self)
{
    return self->replicas * GAVEL_LAYOUT_REPLICA_PORTS + self->brokers * GAVEL_LAYOUT_BROKER_PORTS;
}

int
gavel_layout_port (gavel_layout_t *self, size_t index)
{
    assert (self->has_ports && index < gavel_layout_port_count (self));
    return self->ports [index];
}

void
gavel_layout_release_ports (gavel_layout_t *self)
{
    s_ports_release (self->holds, PORTS_MAX);
}

//  -------------------------------------------------------------------------
//  The cluster file

char *
gavel_layout_text (gavel_layout_t *self)
{
    assert (self->has_ports);
    //  ZPL ends a bare value at '#', and the directory holds no '"'
    const char *quote = strpbrk (self->dir, " #'\t")? "\"": "";
    const gavel_layout_settings_t *settings = &self->settings;
    char *text = NULL;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    assert (file);
    fprintf (file,
        "#   Gavel cluster file, written by gavel-local\n"
        "cluster\n"
        "    name = local\n");
    fprintf (file, "    settings\n");
    fprintf (file, "        fsync = %s\n", settings->fsync_writer? "writer": settings->fsync? "always": "never");
    if (settings->heartbeat)
        fprintf (file, "        heartbeat = %" PRIu64 "\n", settings->heartbeat);
    if (settings->election)
        fprintf (file, "        election = %" PRIu64 "\n", settings->election);
    if (settings->snapshot_every)
        fprintf (file, "        snapshot_every = %" PRIu64 "\n", settings->snapshot_every);
    fprintf (file, "replica\n");
    for (size_t index = 0; index < self->replicas; index++) {
        const int *port = self->ports + index * GAVEL_LAYOUT_REPLICA_PORTS;
        fprintf (file,
            "    %zu\n"
            "        client = tcp://127.0.0.1:%d\n"
            "        pub = tcp://127.0.0.1:%d\n"
            "        ack = tcp://127.0.0.1:%d\n"
            "        mesh = tcp://127.0.0.1:%d\n"
            "        data = %s%s/r%zu%s\n",
            index + 1, port [0], port [1], port [2], port [3],
            quote, self->dir, index + 1, quote);
        if (self->has_keys)
            fprintf (file,
                "        public_key = \"%s\"\n"
                "        secret = %s%s/keys/replica%zu_secret%s\n",
                self->keys [index], quote, self->dir, index + 1, quote);
    }
    if (self->brokers)
        fprintf (file, "broker\n");
    for (size_t index = 0; index < self->brokers; index++) {
        const int *port = self->ports + self->replicas * GAVEL_LAYOUT_REPLICA_PORTS
                        + index * GAVEL_LAYOUT_BROKER_PORTS;
        fprintf (file,
            "    %zu\n"
            "        client = tcp://127.0.0.1:%d\n"
            "        pub = tcp://127.0.0.1:%d\n", index + 1, port [0], port [1]);
        if (self->has_keys)
            fprintf (file,
                "        public_key = \"%s\"\n"
                "        secret = %s%s/keys/broker%zu_secret%s\n",
                self->keys [self->replicas + index], quote, self->dir, index + 1, quote);
    }
    int rc = fclose (file);
    assert (rc == 0);
    return text;
}

int
gavel_layout_save (gavel_layout_t *self, const char *path, char *error, size_t error_size)
{
    char *text = gavel_layout_text (self);
    int rc = gavel_file_save (path, text, error, error_size);
    free (text);
    return rc;
}

//  -------------------------------------------------------------------------
//  Self test

//  Check that config, parsed back from a layout's text, is that layout.
static void
s_test_config (gavel_layout_t *self, gavel_config_t *config)
{
    assert (gavel_config_replicas (config) == self->replicas);
    assert (gavel_config_brokers (config) == self->brokers);
    assert (gavel_config_secure (config) == self->has_keys);
    char expect [PATH_MAX + 64];
    for (size_t index = 0; index < self->replicas; index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        assert (replica->id == index + 1);
        const int *port = self->ports + index * GAVEL_LAYOUT_REPLICA_PORTS;
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [0]);
        assert (streq (replica->client, expect));
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [1]);
        assert (streq (replica->pub, expect));
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [2]);
        assert (streq (replica->ack, expect));
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [3]);
        assert (streq (replica->mesh, expect));
        snprintf (expect, sizeof expect, "%s/r%zu", self->dir, index + 1);
        assert (streq (replica->data, expect));
        assert (streq (replica->public_key, self->has_keys? self->keys [index]: ""));
        snprintf (expect, sizeof expect, "%s/keys/replica%zu_secret", self->dir, index + 1);
        assert (streq (replica->secret, self->has_keys? expect: ""));
    }
    for (size_t index = 0; index < self->brokers; index++) {
        const gavel_broker_conf_t *broker = gavel_config_broker (config, index);
        assert (broker->id == index + 1);
        const int *port = self->ports + self->replicas * GAVEL_LAYOUT_REPLICA_PORTS
                        + index * GAVEL_LAYOUT_BROKER_PORTS;
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [0]);
        assert (streq (broker->client, expect));
        snprintf (expect, sizeof expect, "tcp://127.0.0.1:%d", port [1]);
        assert (streq (broker->pub, expect));
        const char *key = self->has_keys? self->keys [self->replicas + index]: "";
        assert (streq (broker->public_key, key));
    }
}

void
gavel_layout_test (bool verbose)
{
    printf (" * gavel_layout: ");
    char error [PATH_MAX + 256];
    //  A space and a '#' in the path: the text must quote it
    char dir [] = "/tmp/gavel layout#test.XXXXXX";
    assert (mkdtemp (dir));

    //  Three replicas and two brokers on free ports from a random base
    gavel_layout_t *layout = gavel_layout_new (dir, 3, 2);
    gavel_layout_settings_t settings = {
        .heartbeat = 40, .election = 200, .snapshot_every = 500, .fsync = true, .fsync_writer = true
    };
    gavel_layout_set_settings (layout, &settings);
    assert (gavel_layout_make_keys (layout, error, sizeof error) == 0);
    assert (gavel_layout_hold_ports (layout, 0, error, sizeof error) == 0);
    size_t total = gavel_layout_port_count (layout);
    assert (total == 3 * 4 + 2 * 2);
    int base = gavel_layout_port (layout, 0);
    assert (base >= PORT_LOW && base + (int) total - 1 <= PORT_HIGH);
    for (size_t index = 0; index < total; index++)
        assert (gavel_layout_port (layout, index) == base + (int) index);

    //  Its text parses back as the same cluster, through gavel_config
    char *text = gavel_layout_text (layout);
    if (verbose)
        printf ("\n%s", text);
    gavel_config_t *config = gavel_config_parse (text, "layout", error, sizeof error);
    assert (config);
    s_test_config (layout, config);
    const gavel_settings_t *parsed = gavel_config_settings (config);
    assert (parsed->heartbeat == 40 && parsed->election == 200);
    assert (parsed->snapshot_every == 500 && parsed->fsync && parsed->fsync_writer);
    gavel_config_destroy (&config);

    //  The secrets are where the text says, and their keys match it
    char secret [PATH_MAX + 64];
    snprintf (secret, sizeof secret, "%s/keys/broker2_secret", dir);
    zcert_t *cert = gavel_keys_load_secret (secret, layout->keys [4], error, sizeof error);
    assert (cert);
    zcert_destroy (&cert);

    //  Held ports are taken: a second layout cannot have them
    gavel_layout_t *other = gavel_layout_new (dir, 1, 0);
    uint64_t overlap = (uint64_t) base + total - 2;
    assert (gavel_layout_hold_ports (other, overlap, error, sizeof error) == -1);
    assert (strstr (error, "is in use"));
    if (verbose)
        printf ("   %s\n", error);
    gavel_layout_release_ports (layout);
    assert (gavel_layout_hold_ports (other, (uint64_t) base, error, sizeof error) == 0);
    assert (gavel_layout_port (other, 3) == base + 3);

    //  Keys made again are the same keys; without keys, an insecure cluster
    gavel_layout_t *again = gavel_layout_new (dir, 3, 2);
    assert (gavel_layout_make_keys (again, error, sizeof error) == 0);
    for (size_t index = 0; index < 5; index++)
        assert (streq (again->keys [index], layout->keys [index]));
    gavel_layout_destroy (&again);
    free (text);
    text = gavel_layout_text (other);
    config = gavel_config_parse (text, "layout", error, sizeof error);
    assert (config && !gavel_config_secure (config));
    s_test_config (other, config);
    assert (!gavel_config_settings (config)->fsync);
    gavel_config_destroy (&config);
    free (text);

    //  Saved, it loads as a cluster file; nothing is left aside
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/cluster.cfg", dir);
    assert (gavel_layout_save (other, path, error, sizeof error) == 0);
    config = gavel_config_load (path, error, sizeof error);
    assert (config);
    s_test_config (other, config);
    gavel_config_destroy (&config);
    strcat (path, ".tmp");
    assert (!zsys_file_exists (path));
    assert (gavel_layout_save (other, "/nonexistent/cluster.cfg", error, sizeof error) == -1);
    assert (strstr (error, "cannot write /nonexistent/cluster.cfg.tmp"));
    gavel_layout_destroy (&other);
    other = gavel_layout_new (dir, 3, 2);
    assert (gavel_layout_hold_ports (other, 65530, error, sizeof error) == -1);
    gavel_layout_destroy (&other);
    gavel_layout_destroy (&layout);

    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf '%s'", dir);
    assert (system (command) == 0);
    printf ("OK\n");
}
