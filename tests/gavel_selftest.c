/*  gavel_selftest: runs the self test of every class.

    gavel_selftest [--test NAME] [--list] [--verbose]
    ctest runs one class per test (CMakeLists.txt), so a failure names it.
*/
#include "gavel_msg.h"
#include "gavel_attempt.h"
#include "gavel_feed.h"
#include "gavel_record.h"
#include "gavel_text.h"
#include "gavel_json.h"
#include "gavel_cli.h"
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_zap.h"
#include "gavel_capture.h"
#include "gavel_file.h"
#include "gavel_proc.h"
#include "gavel_layout.h"
#include "gavel_sock.h"
#include "gavel_auction.h"
#include "gavel_entrylog.h"
#include "gavel_events.h"
#include "gavel_core.h"
#include "gavel_fixture.h"
#include "gavel_node.h"
#include "gavel_writer.h"
#include "gavel_store.h"
#include "gavel_client.h"
#include "gavel_script.h"
#include "gavel_answer.h"
#include "gavel_history.h"
#include "gavel_watch.h"
#include "gavel_session.h"
#include "gavel_broker.h"
#include "gavel_status.h"
#include "gavel_census.h"
#include "gavel_child.h"
#include "gavel_histogram.h"
#include "gavel_buckets.h"
#include "gavel_report.h"
#include "gavel_engine.h"
#include "gavel_load.h"
#include "gavel_failover.h"
#include "gavel_plot.h"
#include "gavel_local_options.h"
#include "gavel_clusterdir.h"
#include "gavel_survey.h"
#include "gavel_launch.h"
#include "gavel_frames.h"
#include "gavel_fetcher.h"
#include "gavel_subscription.h"
#include "gavel_follower.h"
#include "gavel_house.h"
#include "gavel_eventring.h"
#include "gavel_metrics.h"
#include "gavel_webserver.h"
#include "gavel_eventline.h"
#include "gavel_tail_options.h"

static const struct {
    const char *name;
    void (*test) (bool verbose);
} s_tests [] = {
    { "text",    gavel_text_test },
    { "msg",     gavel_msg_test },
    { "json",    gavel_json_test },
    { "cli",     gavel_cli_test },
    { "attempt", gavel_attempt_test },
    { "feed",    gavel_feed_test },
    { "record",  gavel_record_test },
    { "config",  gavel_config_test },
    { "keys",    gavel_keys_test },
    { "zap",     gavel_zap_test },
    { "sock",    gavel_sock_test },
    { "auction", gavel_auction_test },
    { "entrylog", gavel_entrylog_test },
    { "events", gavel_events_test },
    { "core",    gavel_core_test },
    { "million", gavel_core_million_test },
    { "fixture", gavel_fixture_test },
    { "store",   gavel_store_test },
    { "writer",  gavel_writer_test },
    { "node",    gavel_node_test },
    { "client",  gavel_client_test },
    { "script",  gavel_script_test },
    { "answer",  gavel_answer_test },
    { "history", gavel_history_test },
    { "watch",   gavel_watch_test },
    { "session", gavel_session_test },
    { "broker",  gavel_broker_test },
    { "status",  gavel_status_test },
    { "census",  gavel_census_test },
    { "child",   gavel_child_test },
    { "histogram", gavel_histogram_test },
    { "buckets", gavel_buckets_test },
    { "report",  gavel_report_test },
    { "plot",    gavel_plot_test },
    { "engine",  gavel_engine_test },
    { "load",    gavel_load_test },
    { "failover", gavel_failover_test },
    { "capture", gavel_capture_test },
    { "file",    gavel_file_test },
    { "proc",    gavel_proc_test },
    { "layout",  gavel_layout_test },
    { "local_options", gavel_local_options_test },
    { "clusterdir", gavel_clusterdir_test },
    { "survey",  gavel_survey_test },
    { "launch",  gavel_launch_test },
    { "frames",  gavel_frames_test },
    { "fetcher", gavel_fetcher_test },
    { "subscription", gavel_subscription_test },
    { "follower", gavel_follower_test },
    { "house", gavel_house_test },
    { "eventring", gavel_eventring_test },
    { "metrics", gavel_metrics_test },
    { "webserver", gavel_webserver_test },
    { "eventline", gavel_eventline_test },
    { "tail_options", gavel_tail_options_test },
};
#define TESTS (sizeof s_tests / sizeof s_tests [0])

int
main (int argc, char *argv [])
{
    bool verbose = false;
    const char *only = NULL;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--verbose") || streq (argv [index], "-v"))
            verbose = true;
        else
        if (streq (argv [index], "--list")) {
            for (size_t test = 0; test < TESTS; test++)
                puts (s_tests [test].name);
            return 0;
        }
        else
        if (streq (argv [index], "--test") && index + 1 < argc)
            only = argv [++index];
        else {
            fprintf (stderr, "usage: gavel_selftest [--test NAME] [--list] [--verbose]\n");
            return 2;
        }
    }
    size_t ran = 0;
    for (size_t test = 0; test < TESTS; test++)
        if (!only || streq (only, s_tests [test].name)) {
            s_tests [test].test (verbose);
            ran++;
        }
    if (ran == 0) {
        fprintf (stderr, "gavel_selftest: no test named '%s' (see --list)\n", only);
        return 2;
    }
    return 0;
}
