/*  gavel_attempt: the client side of the protocol, as a state machine.

    Requests live in a hash by key; each is either waiting on one hop (its
    target and the hop's deadline) or pausing between attempts (target -1,
    the pause's deadline). Every deadline is capped at the request's budget
    end, so a request never outlives its budget by more than a tick's
    lateness. The targets' state (silent until when, which one answered
    last) is shared by every request, which is why one object holds many.
*/
#include <czmq.h>
#include <inttypes.h>
#include "gavel_text.h"
#include "gavel_attempt.h"

typedef struct {
    uint64_t id;                //  replica id, 0 when unknown
    char *endpoint;
    int64_t silent_until;       //  passed over until then; 0: not silent
} s_target_t;

typedef struct {
    uint64_t key;
    int64_t budget_end;         //  INT64_MAX without a budget
    int64_t deadline;           //  end of the hop, or of the pause
    int target;                 //  the hop's; -1 while pausing
    size_t origin;              //  where this attempt started
    unsigned attempts;
    unsigned hops;              //  redirects followed in this attempt
    unsigned redirects;         //  followed in all
    uint64_t failed;            //  bit per target where an attempt ended
    uint64_t unreachable;       //  bit per target refused in this attempt
    gavel_msg_t *no_quorum;     //  the last one heard, for the give-up
    char why [320];             //  why the last attempt ended, for the next
} s_request_t;

struct _gavel_attempt_t {
    gavel_attempt_settings_t settings;
    s_target_t targets [GAVEL_ATTEMPT_TARGETS_MAX];
    size_t count;
    int preferred;              //  -1: none
    size_t cursor;              //  where the last attempt started
    zhashx_t *requests;         //  key as text -> s_request_t
    zlistx_t *outbox;           //  gavel_attempt_action_t
    uint64_t timeouts;
    uint64_t redirects;
    uint64_t no_quorums;
};

static void
s_request_destroy (s_request_t **self_p)
{
    if (*self_p) {
        gavel_msg_destroy (&(*self_p)->no_quorum);
        free (*self_p);
        *self_p = NULL;
    }
}

void
gavel_attempt_settings_default (gavel_attempt_settings_t *settings)
{
    assert (settings);
    *settings = (gavel_attempt_settings_t) {
        .timeout = GAVEL_ATTEMPT_TIMEOUT,
        .budget = GAVEL_ATTEMPT_BUDGET,
        .pause = GAVEL_ATTEMPT_PAUSE,
        .silence = GAVEL_ATTEMPT_SILENCE,
        .redirects = GAVEL_ATTEMPT_REDIRECTS,
        .learn = false
    };
}

gavel_attempt_t *
gavel_attempt_new (const gavel_attempt_settings_t *settings)
{
    gavel_attempt_t *self = (gavel_attempt_t *) zmalloc (sizeof (gavel_attempt_t));
    assert (self);
    gavel_attempt_set_settings (self, settings);
    self->preferred = -1;
    self->requests = zhashx_new ();
    assert (self->requests);
    zhashx_set_destructor (self->requests, (zhashx_destructor_fn *) s_request_destroy);
    self->outbox = zlistx_new ();
    assert (self->outbox);
    zlistx_set_destructor (self->outbox, (zlistx_destructor_fn *) gavel_attempt_action_destroy);
    return self;
}

void
gavel_attempt_destroy (gavel_attempt_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_attempt_t *self = *self_p;
        for (size_t index = 0; index < self->count; index++)
            free (self->targets [index].endpoint);
        zhashx_destroy (&self->requests);
        zlistx_destroy (&self->outbox);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_attempt_set_settings (gavel_attempt_t *self, const gavel_attempt_settings_t *settings)
{
    assert (self);
    assert (settings);
    assert (settings->timeout > 0 && settings->budget >= 0);
    assert (settings->pause >= 0 && settings->silence >= 0);
    self->settings = *settings;
}

int
gavel_attempt_add_target (gavel_attempt_t *self, uint64_t id, const char *endpoint)
{
    assert (self);
    assert (endpoint);
    if (self->count >= GAVEL_ATTEMPT_TARGETS_MAX)
        return -1;
    s_target_t *target = &self->targets [self->count];
    target->id = id;
    target->endpoint = strdup (endpoint);
    assert (target->endpoint);
    target->silent_until = 0;
    return (int) self->count++;
}

size_t
gavel_attempt_targets (gavel_attempt_t *self)
{
    assert (self);
    return self->count;
}

const char *
gavel_attempt_endpoint (gavel_attempt_t *self, size_t target)
{
    assert (self);
    assert (target < self->count);
    return self->targets [target].endpoint;
}

uint64_t
gavel_attempt_target_id (gavel_attempt_t *self, size_t target)
{
    assert (self);
    assert (target < self->count);
    return self->targets [target].id;
}

void
gavel_attempt_prefer (gavel_attempt_t *self, int target)
{
    assert (self);
    assert (target < (int) self->count);
    self->preferred = target < 0? -1: target;
}

void
gavel_attempt_alive (gavel_attempt_t *self, size_t target)
{
    assert (self);
    assert (target < self->count);
    self->targets [target].silent_until = 0;
}

uint64_t
gavel_attempt_timeouts (gavel_attempt_t *self)
{
    assert (self);
    return self->timeouts;
}

uint64_t
gavel_attempt_redirects (gavel_attempt_t *self)
{
    assert (self);
    return self->redirects;
}

uint64_t
gavel_attempt_no_quorums (gavel_attempt_t *self)
{
    assert (self);
    return self->no_quorums;
}

size_t
gavel_attempt_outstanding (gavel_attempt_t *self)
{
    assert (self);
    return zhashx_size (self->requests);
}

//  -------------------------------------------------------------------------
//  Choosing targets

static bool
s_silent (gavel_attempt_t *self, size_t target, int64_t now)
{
    return self->targets [target].silent_until > now;
}

//  The next target in turn after `after` that is neither silent nor in
//  `skip`; when every one is, simply the next.
static size_t
s_next_in_turn (gavel_attempt_t *self, size_t after, uint64_t skip, int64_t now)
{
    for (size_t step = 1; step <= self->count; step++) {
        size_t target = (after + step) % self->count;
        if (!s_silent (self, target, now) && !(skip & ((uint64_t) 1 << target)))
            return target;
    }
    return (after + 1) % self->count;
}

size_t
gavel_attempt_choose (gavel_attempt_t *self, int64_t now)
{
    assert (self);
    assert (self->count > 0);
    if (self->preferred >= 0 && !s_silent (self, (size_t) self->preferred, now))
        return (size_t) self->preferred;
    if (!s_silent (self, self->cursor, now))
        return self->cursor;
    return s_next_in_turn (self, self->cursor, 0, now);
}

//  After an attempt that started at origin failed: the preferred target
//  unless it is where that attempt started, then the others in turn. Going
//  on from where the attempt started, not from where redirects led it,
//  keeps a dead primary and the backup that names it from taking every
//  turn while the third replica gets none.
static size_t
s_choose_retry (gavel_attempt_t *self, size_t origin, int64_t now)
{
    if (self->preferred >= 0 && (size_t) self->preferred != origin
    &&  !s_silent (self, (size_t) self->preferred, now))
        return (size_t) self->preferred;
    return s_next_in_turn (self, origin, 0, now);
}

//  -------------------------------------------------------------------------
//  Actions

static gavel_attempt_action_t *
s_action_new (gavel_attempt_t *self, gavel_attempt_kind_t kind, s_request_t *request, size_t target)
{
    gavel_attempt_action_t *action = (gavel_attempt_action_t *) zmalloc (sizeof (gavel_attempt_action_t));
    assert (action);
    action->kind = kind;
    action->key = request->key;
    action->target = target;
    zlistx_add_end (self->outbox, action);
    return action;
}

gavel_attempt_action_t *
gavel_attempt_next_action (gavel_attempt_t *self)
{
    assert (self);
    return (gavel_attempt_action_t *) zlistx_detach (self->outbox, NULL);
}

void
gavel_attempt_action_destroy (gavel_attempt_action_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_msg_destroy (&(*self_p)->reply);
        free (*self_p);
        *self_p = NULL;
    }
}

static char *
s_key_text (uint64_t key, char *text, size_t size)
{
    snprintf (text, size, "%" PRIu64, key);
    return text;
}

static s_request_t *
s_lookup (gavel_attempt_t *self, uint64_t key)
{
    char text [24];
    return (s_request_t *) zhashx_lookup (self->requests, s_key_text (key, text, sizeof text));
}

static void
s_remove (gavel_attempt_t *self, uint64_t key)
{
    char text [24];
    zhashx_delete (self->requests, s_key_text (key, text, sizeof text));
}

static int64_t
s_capped (s_request_t *request, int64_t when)
{
    return when < request->budget_end? when: request->budget_end;
}

//  One hop: the request goes to target and waits a time-out for its reply.
static void
s_hop (gavel_attempt_t *self, s_request_t *request, size_t target, const char *note, int64_t now)
{
    request->target = (int) target;
    request->deadline = s_capped (request, now + self->settings.timeout);
    gavel_attempt_action_t *action = s_action_new (self, GAVEL_ATTEMPT_SEND, request, target);
    snprintf (action->note, sizeof action->note, "%s", note);
}

static void
s_attempt (gavel_attempt_t *self, s_request_t *request, size_t target, const char *note, int64_t now)
{
    request->attempts++;
    request->origin = target;
    request->hops = 0;
    request->unreachable = 0;
    self->cursor = target;
    s_hop (self, request, target, note, now);
}

//  Which targets failed, each once, and how many attempts and redirects
//  it took: what a person needs to see which replicas to look at.
static void
s_give_up_note (gavel_attempt_t *self, s_request_t *request, char *note, size_t size)
{
    size_t used = snprintf (note, size, "no answer from ");
    bool first = true;
    for (size_t target = 0; target < self->count && used < size; target++)
        if (request->failed & ((uint64_t) 1 << target)) {
            used += snprintf (note + used, size - used, "%s%s", first? "": ", ",
                              self->targets [target].endpoint);
            first = false;
        }
    if (used < size)
        used += snprintf (note + used, size - used, " after %u attempt%s of %" PRId64 " ms",
                          request->attempts, request->attempts == 1? "": "s",
                          self->settings.timeout);
    if (used < size && request->redirects)
        snprintf (note + used, size - used, " (%u redirect%s followed)",
                  request->redirects, request->redirects == 1? "": "s");
}

static void
s_give_up (gavel_attempt_t *self, s_request_t *request)
{
    size_t last = request->target >= 0? (size_t) request->target: request->origin;
    gavel_attempt_action_t *action = s_action_new (self, GAVEL_ATTEMPT_GIVE_UP, request, last);
    action->reply = request->no_quorum;
    request->no_quorum = NULL;
    s_give_up_note (self, request, action->note, sizeof action->note);
    s_remove (self, request->key);
}

//  The attempt ended at its hop's target: the next one after a pause.
static void
s_pause (gavel_attempt_t *self, s_request_t *request, int64_t now)
{
    request->failed |= (uint64_t) 1 << request->target;
    request->target = -1;
    request->deadline = s_capped (request, now + self->settings.pause);
}

//  The next attempt, while the budget lasts (its hop is cut short at the
//  budget's end).
static void
s_next_attempt (gavel_attempt_t *self, s_request_t *request, int64_t now)
{
    if (now >= request->budget_end)
        s_give_up (self, request);
    else
        s_attempt (self, request, s_choose_retry (self, request->origin, now), request->why, now);
}

//  -------------------------------------------------------------------------
//  Events

void
gavel_attempt_start (gavel_attempt_t *self, uint64_t key, int64_t now)
{
    assert (self);
    assert (self->count > 0);
    assert (!s_lookup (self, key));
    s_request_t *request = (s_request_t *) zmalloc (sizeof (s_request_t));
    assert (request);
    request->key = key;
    request->budget_end = self->settings.budget? now + self->settings.budget: INT64_MAX;
    char text [24];
    zhashx_insert (self->requests, s_key_text (key, text, sizeof text), request);
    s_attempt (self, request, gavel_attempt_choose (self, now), "", now);
}

//  The target a redirect names: by its client endpoint, else by its
//  replica id, else (learning) a new target; -1 when none. The record
//  comes from outside: anything unreadable names nothing.
static int
s_redirect_target (gavel_attempt_t *self, gavel_msg_t *reply, char *endpoint, size_t size)
{
    *endpoint = '\0';
    if (gavel_msg_records (reply) == 0)
        return -1;
    const char *record = gavel_msg_record (reply, 0);
    char primary [24];
    uint64_t id = 0;
    if (gavel_record_get (record, "primary", primary, sizeof primary) == 0
    &&  gavel_text_parse_uint (primary, 1, UINT64_MAX, &id, NULL))
        id = 0;
    //  One that fills the buffer may have been cut short: not ours to guess
    if (gavel_record_get (record, "client", endpoint, size) || strlen (endpoint) + 1 >= size)
        *endpoint = '\0';
    for (size_t target = 0; *endpoint && target < self->count; target++)
        if (streq (self->targets [target].endpoint, endpoint))
            return (int) target;
    for (size_t target = 0; id && target < self->count; target++)
        if (self->targets [target].id == id)
            return (int) target;
    if (self->settings.learn && *endpoint)
        return gavel_attempt_add_target (self, id, endpoint);
    return -1;
}

static void
s_on_redirect (gavel_attempt_t *self, s_request_t *request, size_t from,
               gavel_msg_t *reply, int64_t now)
{
    char endpoint [256];
    int target = s_redirect_target (self, reply, endpoint, sizeof endpoint);
    const char *refusal = target < 0? "nowhere we know":
                          (size_t) target == from? "to itself":
                          s_silent (self, (size_t) target, now)? "to a silent replica":
                          request->hops >= self->settings.redirects? "again, one redirect too many":
                          NULL;
    const char *named = self->targets [from].endpoint;
    if (refusal) {
        //  An election is under way, or our view of it is stale: going round
        //  at once would only spin, and waiting a whole time-out would find
        //  the new primary up to a time-out late
        snprintf (request->why, sizeof request->why, "%s redirected %s%s%s; waited %" PRId64 " ms",
                  named, refusal, *endpoint && target < 0? ": ": "", target < 0? endpoint: "",
                  self->settings.pause);
        s_pause (self, request, now);
        return;
    }
    request->hops++;
    request->redirects++;
    self->redirects++;
    char primary [24] = "?";
    gavel_record_get (gavel_msg_record (reply, 0), "primary", primary, sizeof primary);
    char note [320];
    snprintf (note, sizeof note, "%s redirects to primary %s at %s", named, primary,
              self->targets [target].endpoint);
    s_hop (self, request, (size_t) target, note, now);
}

static void
s_on_no_quorum (gavel_attempt_t *self, s_request_t *request, size_t from,
                gavel_msg_t **reply_p, int64_t now)
{
    self->no_quorums++;
    gavel_msg_destroy (&request->no_quorum);
    request->no_quorum = *reply_p;
    *reply_p = NULL;
    snprintf (request->why, sizeof request->why, "no-quorum from %s; waited %" PRId64 " ms",
              self->targets [from].endpoint, self->settings.pause);
    s_pause (self, request, now);
    //  Not an answer: the request may still take effect, and a retry with
    //  the same id learns how it ended, if there is time for one
    if (request->budget_end != INT64_MAX
    &&  now + self->settings.pause + self->settings.timeout > request->budget_end)
        s_give_up (self, request);
}

bool
gavel_attempt_reply (gavel_attempt_t *self, uint64_t key, size_t from,
                     gavel_msg_t **reply_p, int64_t now)
{
    assert (self);
    assert (reply_p && *reply_p);
    assert (from < self->count);
    gavel_msg_t *reply = *reply_p;
    *reply_p = NULL;
    self->targets [from].silent_until = 0;      //  whatever it said, it is up
    s_request_t *request = s_lookup (self, key);
    bool taken = request && gavel_msg_id (reply) == GAVEL_MSG_REPLY;
    if (!taken)
        ;
    else
    if (gavel_msg_outcome (reply) == GAVEL_REDIRECT
    ||  (gavel_msg_outcome (reply) == GAVEL_EXCEPTION && streq (gavel_msg_reason (reply), "no-quorum"))) {
        //  From a target we no longer wait on, either is stale
        if (request->target == (int) from) {
            if (gavel_msg_outcome (reply) == GAVEL_REDIRECT)
                s_on_redirect (self, request, from, reply, now);
            else
                s_on_no_quorum (self, request, from, &reply, now);
        }
    }
    else {
        self->preferred = (int) from;
        gavel_attempt_action_t *action = s_action_new (self, GAVEL_ATTEMPT_DONE, request, from);
        action->reply = reply;
        reply = NULL;
        s_remove (self, key);
    }
    gavel_msg_destroy (&reply);
    return taken;
}

void
gavel_attempt_unreachable (gavel_attempt_t *self, uint64_t key, size_t target, int64_t now)
{
    assert (self);
    assert (target < self->count);
    s_request_t *request = s_lookup (self, key);
    if (!request || request->target != (int) target)
        return;
    request->unreachable |= (uint64_t) 1 << target;
    size_t next = s_next_in_turn (self, target, request->unreachable, now);
    if (request->unreachable & ((uint64_t) 1 << next))
        return;                 //  none left to try: the hop's time-out decides
    char note [320];
    snprintf (note, sizeof note, "cannot reach %s", self->targets [target].endpoint);
    s_hop (self, request, next, note, now);
}

void
gavel_attempt_cancel (gavel_attempt_t *self, uint64_t key)
{
    assert (self);
    s_remove (self, key);
}

void
gavel_attempt_tick (gavel_attempt_t *self, int64_t now)
{
    assert (self);
    //  Giving up removes requests: collect the due ones first
    zlistx_t *due = zlistx_new ();
    assert (due);
    for (s_request_t *request = (s_request_t *) zhashx_first (self->requests); request;
         request = (s_request_t *) zhashx_next (self->requests))
        if (request->deadline <= now)
            zlistx_add_end (due, request);
    for (s_request_t *request = (s_request_t *) zlistx_first (due); request;
         request = (s_request_t *) zlistx_next (due)) {
        if (request->target >= 0) {
            size_t target = (size_t) request->target;
            self->timeouts++;
            self->targets [target].silent_until = now + self->settings.silence;
            //  Nor preferred any more: its silence may end before the next
            //  hop does, and a dead primary preferred again and again, with
            //  a dead replica next to it, would take every attempt
            if (self->preferred == (int) target)
                self->preferred = -1;
            gavel_attempt_action_t *action = s_action_new (self, GAVEL_ATTEMPT_TIMED_OUT, request, target);
            snprintf (action->note, sizeof action->note, "no reply from %s within %" PRId64 " ms",
                      self->targets [target].endpoint, self->settings.timeout);
            *request->why = '\0';      //  the note said it already
            request->failed |= (uint64_t) 1 << target;
            request->target = -1;
        }
        s_next_attempt (self, request, now);
    }
    zlistx_destroy (&due);
}

int64_t
gavel_attempt_next_deadline (gavel_attempt_t *self)
{
    assert (self);
    int64_t deadline = INT64_MAX;
    for (s_request_t *request = (s_request_t *) zhashx_first (self->requests); request;
         request = (s_request_t *) zhashx_next (self->requests))
        if (request->deadline < deadline)
            deadline = request->deadline;
    return deadline;
}

//  -------------------------------------------------------------------------
//  Self test, in virtual time: no sockets, `now` is made up.

#define S_R1    "tcp://127.0.0.1:9001"
#define S_R2    "tcp://127.0.0.1:9002"
#define S_R3    "tcp://127.0.0.1:9003"

//  The next action, which must be of kind, for key, at target (SIZE_MAX:
//  any). Caller destroys it.
static gavel_attempt_action_t *
s_expect (gavel_attempt_t *self, gavel_attempt_kind_t kind, uint64_t key, size_t target)
{
    gavel_attempt_action_t *action = gavel_attempt_next_action (self);
    assert (action);
    assert (action->kind == kind);
    assert (action->key == key);
    assert (target == SIZE_MAX || action->target == target);
    return action;
}

static void
s_expect_drop (gavel_attempt_t *self, gavel_attempt_kind_t kind, uint64_t key, size_t target)
{
    gavel_attempt_action_t *action = s_expect (self, kind, key, target);
    gavel_attempt_action_destroy (&action);
}

static void
s_expect_send (gavel_attempt_t *self, uint64_t key, size_t target)
{
    s_expect_drop (self, GAVEL_ATTEMPT_SEND, key, target);
}

static void
s_expect_none (gavel_attempt_t *self)
{
    assert (gavel_attempt_next_action (self) == NULL);
}

//  A reply to request id; record may be NULL.
static gavel_msg_t *
s_reply (uint64_t id, gavel_outcome_t outcome, const char *reason, const char *record)
{
    gavel_msg_t *reply = gavel_msg_new_reply (id, outcome, reason, NULL);
    if (record)
        gavel_msg_add_record (reply, "%s", record);
    return reply;
}

static bool
s_give (gavel_attempt_t *self, uint64_t key, size_t from, gavel_outcome_t outcome,
        const char *reason, const char *record, int64_t now)
{
    gavel_msg_t *reply = s_reply (key, outcome, reason, record);
    bool taken = gavel_attempt_reply (self, key, from, &reply, now);
    assert (reply == NULL);
    return taken;
}

//  Three replicas, ids 1..3
static gavel_attempt_t *
s_test_new (const gavel_attempt_settings_t *settings)
{
    gavel_attempt_t *self = gavel_attempt_new (settings);
    assert (gavel_attempt_add_target (self, 1, S_R1) == 0);
    assert (gavel_attempt_add_target (self, 2, S_R2) == 1);
    assert (gavel_attempt_add_target (self, 3, S_R3) == 2);
    return self;
}

void
gavel_attempt_test (bool verbose)
{
    printf (" * gavel_attempt: ");
    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    settings.timeout = 100;
    settings.budget = 1000;
    settings.pause = 10;
    settings.silence = 300;
    settings.redirects = 3;

    //  An answer: done, from where it came; the next request starts there
    gavel_attempt_t *self = s_test_new (&settings);
    assert (gavel_attempt_next_deadline (self) == INT64_MAX);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    s_expect_none (self);
    assert (gavel_attempt_next_deadline (self) == 100);
    assert (gavel_attempt_outstanding (self) == 1);
    assert (s_give (self, 1, 0, GAVEL_SUCCESS, NULL, NULL, 5));
    gavel_attempt_action_t *action = s_expect (self, GAVEL_ATTEMPT_DONE, 1, 0);
    assert (action->reply && gavel_msg_outcome (action->reply) == GAVEL_SUCCESS);
    gavel_attempt_action_destroy (&action);
    s_expect_none (self);
    assert (gavel_attempt_outstanding (self) == 0);
    //  A duplicate answer, and a late one, are not taken
    assert (!s_give (self, 1, 0, GAVEL_SUCCESS, NULL, NULL, 6));
    assert (!s_give (self, 1, 2, GAVEL_FAIL, "too-low", NULL, 7));
    s_expect_none (self);

    //  A redirect is followed to the replica whose client endpoint it
    //  names, at once, with a fresh time-out; the answer comes from there,
    //  and the next request starts there
    gavel_attempt_start (self, 2, 10);
    s_expect_send (self, 2, 0);
    assert (s_give (self, 2, 0, GAVEL_REDIRECT, "not-primary", "primary=3 client=" S_R3, 20));
    action = s_expect (self, GAVEL_ATTEMPT_SEND, 2, 2);
    assert (streq (action->note, S_R1 " redirects to primary 3 at " S_R3));
    gavel_attempt_action_destroy (&action);
    assert (gavel_attempt_next_deadline (self) == 120);
    assert (s_give (self, 2, 2, GAVEL_FAIL, "closed", NULL, 30));
    s_expect_drop (self, GAVEL_ATTEMPT_DONE, 2, 2);
    gavel_attempt_start (self, 3, 40);
    s_expect_send (self, 3, 2);
    //  By id when the endpoint is not one of ours (another name for it)
    assert (s_give (self, 3, 2, GAVEL_REDIRECT, "not-primary", "primary=2 client=tcp://elsewhere:1", 41));
    s_expect_send (self, 3, 1);
    assert (gavel_attempt_redirects (self) == 2);
    //  A redirect from a replica we no longer wait on is stale: ignored
    assert (s_give (self, 3, 2, GAVEL_REDIRECT, "not-primary", "primary=1 client=" S_R1, 42));
    s_expect_none (self);
    //  A no-quorum from it too
    assert (s_give (self, 3, 0, GAVEL_EXCEPTION, "no-quorum", NULL, 43));
    s_expect_none (self);
    assert (gavel_attempt_no_quorums (self) == 0);
    //  But an answer from it is the answer: the same request id
    assert (s_give (self, 3, 2, GAVEL_SUCCESS, NULL, NULL, 44));
    s_expect_drop (self, GAVEL_ATTEMPT_DONE, 3, 2);
    gavel_attempt_destroy (&self);

    //  A redirect to an endpoint and id we do not know: not followed, the
    //  next attempt after a pause, at the next replica in turn
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    assert (s_give (self, 1, 0, GAVEL_REDIRECT, "not-primary", "primary=9 client=tcp://stranger:1", 5));
    s_expect_none (self);
    assert (gavel_attempt_next_deadline (self) == 15);
    gavel_attempt_tick (self, 14);
    s_expect_none (self);
    gavel_attempt_tick (self, 15);
    action = s_expect (self, GAVEL_ATTEMPT_SEND, 1, 1);
    assert (strstr (action->note, "nowhere we know: tcp://stranger:1"));
    gavel_attempt_action_destroy (&action);
    //  A redirect that names nobody (no primary known) likewise, and an
    //  unreadable id names nobody
    assert (s_give (self, 1, 1, GAVEL_REDIRECT, "not-primary", NULL, 20));
    s_expect_none (self);
    gavel_attempt_tick (self, 30);
    s_expect_send (self, 1, 2);
    assert (s_give (self, 1, 2, GAVEL_REDIRECT, "not-primary", "primary=01", 31));
    s_expect_none (self);
    //  To itself: a loop of one
    gavel_attempt_tick (self, 41);
    s_expect_send (self, 1, 0);
    assert (s_give (self, 1, 0, GAVEL_REDIRECT, "not-primary", "primary=1 client=" S_R1, 42));
    s_expect_none (self);
    assert (gavel_attempt_redirects (self) == 0);
    gavel_attempt_destroy (&self);

    //  Learning: an unknown endpoint becomes a target, and is sent to
    settings.learn = true;
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    assert (s_give (self, 1, 0, GAVEL_REDIRECT, "not-primary", "primary=9 client=tcp://stranger:1", 5));
    s_expect_send (self, 1, 3);
    assert (gavel_attempt_targets (self) == 4);
    assert (streq (gavel_attempt_endpoint (self, 3), "tcp://stranger:1"));
    assert (gavel_attempt_target_id (self, 3) == 9);
    //  Only so many: a hostile replica cannot grow the list for ever
    for (size_t index = 4; index < GAVEL_ATTEMPT_TARGETS_MAX; index++) {
        char endpoint [32];
        snprintf (endpoint, sizeof endpoint, "tcp://filler:%zu", index);
        assert (gavel_attempt_add_target (self, 0, endpoint) == (int) index);
    }
    assert (gavel_attempt_add_target (self, 0, "tcp://one-too-many:1") == -1);
    assert (s_give (self, 1, 3, GAVEL_REDIRECT, "not-primary", "primary=8 client=tcp://another:1", 6));
    s_expect_none (self);
    gavel_attempt_destroy (&self);
    settings.learn = false;

    //  A redirect loop: followed `redirects` times, then a pause
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    size_t from = 0;
    for (unsigned hop = 0; hop < settings.redirects; hop++) {
        size_t to = from == 0? 1: 0;
        char record [64];
        snprintf (record, sizeof record, "primary=%zu client=%s", to + 1, to == 0? S_R1: S_R2);
        assert (s_give (self, 1, from, GAVEL_REDIRECT, "not-primary", record, 1 + hop));
        s_expect_send (self, 1, to);
        from = to;
    }
    assert (s_give (self, 1, from, GAVEL_REDIRECT, "not-primary",
                    from == 0? "primary=2 client=" S_R2: "primary=1 client=" S_R1, 10));
    s_expect_none (self);
    assert (gavel_attempt_redirects (self) == settings.redirects);
    //  The next attempt starts after where the last one started, not
    //  after where the redirects led it
    gavel_attempt_tick (self, 20);
    action = s_expect (self, GAVEL_ATTEMPT_SEND, 1, 1);
    assert (strstr (action->note, "one redirect too many"));
    gavel_attempt_action_destroy (&action);
    gavel_attempt_destroy (&self);

    //  A silent replica: the hop times out, the next replica is tried at
    //  once, and redirects to the silent one are not followed until its
    //  silence is over or it is heard from
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    gavel_attempt_tick (self, 99);
    s_expect_none (self);
    gavel_attempt_tick (self, 100);
    action = s_expect (self, GAVEL_ATTEMPT_TIMED_OUT, 1, 0);
    assert (strstr (action->note, "no reply from " S_R1 " within 100 ms"));
    gavel_attempt_action_destroy (&action);
    s_expect_send (self, 1, 1);
    assert (gavel_attempt_timeouts (self) == 1);
    assert (s_give (self, 1, 1, GAVEL_REDIRECT, "not-primary", "primary=1 client=" S_R1, 110));
    s_expect_none (self);
    gavel_attempt_tick (self, 120);
    s_expect_send (self, 1, 2);
    //  A new request passes over it too, even when preferred, and starts
    //  where the last attempt did
    gavel_attempt_prefer (self, 0);
    gavel_attempt_start (self, 2, 121);
    s_expect_send (self, 2, 2);
    assert (gavel_attempt_choose (self, 121) == 2);
    assert (gavel_attempt_choose (self, 400) == 0);     //  silence over
    gavel_attempt_alive (self, 0);
    assert (gavel_attempt_choose (self, 121) == 0);
    //  Now it may be followed to
    assert (s_give (self, 1, 2, GAVEL_REDIRECT, "not-primary", "primary=1 client=" S_R1, 125));
    s_expect_send (self, 1, 0);
    gavel_attempt_cancel (self, 1);
    gavel_attempt_cancel (self, 2);
    assert (gavel_attempt_next_deadline (self) == INT64_MAX);
    gavel_attempt_destroy (&self);

    //  The caller's hint: where new requests and retries go first, unless
    //  it is where the failed attempt started; once it let a hop time out
    //  it is preferred no more (heard from again or not), and the retries
    //  go on in turn
    self = s_test_new (&settings);
    gavel_attempt_prefer (self, 2);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 2);
    gavel_attempt_tick (self, 100);
    s_expect_drop (self, GAVEL_ATTEMPT_TIMED_OUT, 1, 2);
    s_expect_send (self, 1, 0);
    gavel_attempt_alive (self, 2);
    gavel_attempt_tick (self, 200);
    s_expect_drop (self, GAVEL_ATTEMPT_TIMED_OUT, 1, 0);
    s_expect_send (self, 1, 1);
    gavel_attempt_destroy (&self);

    //  Two dead replicas side by side, one of them preferred (the primary
    //  that answered last, killed, and the one before it, killed too), with
    //  a hop longer than the silence: the request must not go back and
    //  forth between the two for good (test_double_failover did), but on
    //  to the live ones
    {
        gavel_attempt_settings_t slow = settings;
        slow.timeout = 500;
        slow.silence = 300;
        slow.budget = 5000;
        gavel_attempt_t *five = s_test_new (&slow);
        assert (gavel_attempt_add_target (five, 4, "tcp://127.0.0.1:9004") == 3);
        assert (gavel_attempt_add_target (five, 5, "tcp://127.0.0.1:9005") == 4);
        gavel_attempt_prefer (five, 3);
        gavel_attempt_start (five, 1, 0);
        s_expect_send (five, 1, 3);
        size_t target = 3;
        int64_t now = 0;
        for (size_t attempt = 0; attempt < 3 && target >= 3; attempt++) {
            now += 500;
            gavel_attempt_tick (five, now);
            s_expect_drop (five, GAVEL_ATTEMPT_TIMED_OUT, 1, target);
            action = s_expect (five, GAVEL_ATTEMPT_SEND, 1, SIZE_MAX);
            target = action->target;
            gavel_attempt_action_destroy (&action);
        }
        assert (target < 3);
        gavel_attempt_destroy (&five);
    }

    //  No-quorum: not an answer; the same request again after a pause, at
    //  the next replica
    self = s_test_new (&settings);
    gavel_attempt_start (self, 7, 0);
    s_expect_send (self, 7, 0);
    assert (s_give (self, 7, 0, GAVEL_EXCEPTION, "no-quorum", NULL, 50));
    s_expect_none (self);
    assert (gavel_attempt_no_quorums (self) == 1);
    assert (gavel_attempt_next_deadline (self) == 60);
    gavel_attempt_tick (self, 60);
    action = s_expect (self, GAVEL_ATTEMPT_SEND, 7, 1);
    assert (strstr (action->note, "no-quorum from " S_R1));
    gavel_attempt_action_destroy (&action);
    //  Near the end of the budget there is no time for a retry: given up
    //  with the no-quorum as the reply
    assert (s_give (self, 7, 1, GAVEL_EXCEPTION, "no-quorum", NULL, 891));
    action = s_expect (self, GAVEL_ATTEMPT_GIVE_UP, 7, SIZE_MAX);
    assert (action->reply && streq (gavel_msg_reason (action->reply), "no-quorum"));
    gavel_attempt_action_destroy (&action);
    assert (gavel_attempt_outstanding (self) == 0);
    //  Other exceptions are answers
    gavel_attempt_start (self, 8, 900);
    s_expect_send (self, 8, 1);
    assert (s_give (self, 8, 1, GAVEL_EXCEPTION, "unknown-auction", NULL, 901));
    s_expect_drop (self, GAVEL_ATTEMPT_DONE, 8, 1);
    gavel_attempt_destroy (&self);

    //  The budget: every replica silent, attempts while it lasts (late
    //  ticks only cut the last one short), each replica in turn, then given
    //  up with no reply
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    size_t sends = 1;
    action = NULL;
    for (int64_t now = 0; now <= 2000 && !action; now += 7) {
        gavel_attempt_tick (self, now);
        gavel_attempt_action_t *next;
        while (!action && (next = gavel_attempt_next_action (self))) {
            if (next->kind == GAVEL_ATTEMPT_SEND) {
                assert (next->target == sends % 3);
                sends++;
            }
            else
            if (next->kind == GAVEL_ATTEMPT_GIVE_UP) {
                action = next;
                next = NULL;
                assert (now >= 1000 && now < 1007);
            }
            else
                assert (next->kind == GAVEL_ATTEMPT_TIMED_OUT);
            gavel_attempt_action_destroy (&next);
        }
    }
    assert (action && action->reply == NULL);
    assert (sends == 10);
    assert (streq (action->note, "no answer from " S_R1 ", " S_R2 ", " S_R3 " after 10 attempts of 100 ms"));
    gavel_attempt_action_destroy (&action);
    gavel_attempt_destroy (&self);

    //  Several requests at once, each on its own clock; what one learns of
    //  a replica the other uses
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    gavel_attempt_start (self, 2, 50);
    s_expect_send (self, 1, 0);
    s_expect_send (self, 2, 0);
    assert (gavel_attempt_next_deadline (self) == 100);
    gavel_attempt_tick (self, 100);
    s_expect_drop (self, GAVEL_ATTEMPT_TIMED_OUT, 1, 0);
    s_expect_send (self, 1, 1);
    s_expect_none (self);
    assert (gavel_attempt_next_deadline (self) == 150);
    assert (s_give (self, 2, 1, GAVEL_SUCCESS, NULL, NULL, 120));
    s_expect_drop (self, GAVEL_ATTEMPT_DONE, 2, 1);
    assert (gavel_attempt_next_deadline (self) == 200);
    gavel_attempt_start (self, 3, 130);
    s_expect_send (self, 3, 1);
    //  Replies that are not REPLY are not taken
    gavel_msg_t *stray = gavel_msg_new (GAVEL_MSG_LIST);
    assert (!gavel_attempt_reply (self, 3, 1, &stray, 131));
    assert (stray == NULL);
    s_expect_none (self);
    gavel_attempt_destroy (&self);

    //  Unreachable: each replica tried once at once, then the time-out
    self = s_test_new (&settings);
    gavel_attempt_start (self, 1, 0);
    s_expect_send (self, 1, 0);
    gavel_attempt_unreachable (self, 1, 0, 0);
    s_expect_send (self, 1, 1);
    gavel_attempt_unreachable (self, 1, 2, 0);          //  not its hop: ignored
    s_expect_none (self);
    gavel_attempt_unreachable (self, 1, 1, 0);
    s_expect_send (self, 1, 2);
    gavel_attempt_unreachable (self, 1, 2, 0);
    s_expect_none (self);
    assert (gavel_attempt_next_deadline (self) == 100);
    //  No budget: attempts go on as long as it takes
    settings.budget = 0;
    gavel_attempt_set_settings (self, &settings);
    gavel_attempt_start (self, 2, 0);
    s_expect_send (self, 2, 0);
    for (int64_t now = 100; now <= 100000; now += 100)
        gavel_attempt_tick (self, now);
    assert (gavel_attempt_outstanding (self) == 1);
    gavel_attempt_destroy (&self);

    if (verbose)
        printf ("(virtual time) ");
    printf ("OK\n");
}
