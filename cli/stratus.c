/* SPDX-License-Identifier: MIT */
/*
 * main of `stratus`, the command-line client of the collector's native API: the global flags
 * (--endpoint anywhere on the line, or STRATUS_ENDPOINT; --help, --version, --output json), the
 * verb table with each verb's help, and the mapping of results to exit codes and error lines
 * (0 ok, 1 the call failed, 2 usage). The verbs themselves live in cmd_*.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_dashboards.h"
#include "cmd_alarms.h"
#include "cmd_metrics.h"
#include "cmd_traces.h"
#include "cmd_scaling.h"
#include "stratus/alloc.h"

#ifndef ST_VERSION
#define ST_VERSION "unknown"
#endif

struct verb {
    const char *name;
    st_cli_verb_fn run;
    const char *help;
};

static const struct verb verbs[] = {
    {"put-metric-data", st_cmd_put_metric_data,
     "usage: stratus put-metric-data --namespace NS --metric-name NAME\n"
     "           [--dimensions Host=a,Api=get | --dimensions Name=Host,Value=a ...]\n"
     "           (--value V | --statistic-values SampleCount=N,Sum=S,Minimum=A,Maximum=B\n"
     "            | --values V1 V2 ... [--counts C1 C2 ...])\n"
     "           [--unit UNIT] [--timestamp ISO8601|EPOCH] [--storage-resolution 1|60]\n"
     "       stratus put-metric-data --namespace NS --metric-data file://batch.json|JSON\n"
     "\n"
     "Publishes metric data points. --metric-data takes the aws CLI's JSON: a list of up to\n"
     "1000 {MetricName, Dimensions, Timestamp, Value | StatisticValues | Values [+ Counts],\n"
     "Unit, StorageResolution}. Prints nothing on success.\n"},
    {"get-metric-statistics", st_cmd_get_metric_statistics,
     "usage: stratus get-metric-statistics --namespace NS --metric-name NAME\n"
     "           [--dimensions Host=a,Api=get] --start-time T --end-time T --period SECONDS\n"
     "           (--statistics SampleCount|Average|Sum|Minimum|Maximum ...\n"
     "            | --extended-statistics p99 p99.9 ...) [--unit UNIT]\n"
     "\n"
     "Prints {\"Label\", \"Datapoints\": [...]} as the aws CLI does, datapoints in time order.\n"
     "Times are ISO 8601 (2026-11-23T18:00:00Z) or seconds since the epoch.\n"},
    {"list-metrics", st_cmd_list_metrics,
     "usage: stratus list-metrics [--namespace NS] [--metric-name NAME]\n"
     "           [--dimensions Name=Host[,Value=a] ... | --dimensions Host=a,Api]\n"
     "           [--recently-active PT3H] [--starting-token TOKEN | --next-token TOKEN]\n"
     "           [--max-items N]\n"
     "\n"
     "Prints {\"Metrics\": [...]}, following every NextToken unless --next-token asks for one\n"
     "page; with --max-items, stops after N metrics and prints the NextToken to resume from.\n"},
    {"put-dashboard", st_cmd_put_dashboard,
     "usage: stratus put-dashboard --dashboard-name NAME --dashboard-body JSON|file://body.json\n"
     "\n"
     "Creates or replaces a dashboard. The body is CloudWatch's dashboard-body JSON; prints\n"
     "{\"DashboardValidationMessages\": [...]} (warnings that did not stop the put).\n"},
    {"get-dashboard", st_cmd_get_dashboard,
     "usage: stratus get-dashboard --dashboard-name NAME\n"
     "\n"
     "Prints {\"DashboardArn\", \"DashboardBody\", \"DashboardName\"}.\n"},
    {"list-dashboards", st_cmd_list_dashboards,
     "usage: stratus list-dashboards [--dashboard-name-prefix PREFIX]\n"
     "\n"
     "Prints {\"DashboardEntries\": [{DashboardName, DashboardArn, LastModified, Size}]},\n"
     "following every NextToken.\n"},
    {"delete-dashboards", st_cmd_delete_dashboards,
     "usage: stratus delete-dashboards --dashboard-names NAME [NAME ...]\n"
     "\n"
     "Deletes the dashboards, or none of them when one does not exist. Prints nothing.\n"},
    {"put-metric-alarm", st_cmd_put_metric_alarm,
     "usage: stratus put-metric-alarm --alarm-name NAME --namespace NS --metric-name NAME\n"
     "           [--dimensions Host=a,Api=get] (--statistic STAT | --extended-statistic pNN)\n"
     "           --period 10|30|60*K --evaluation-periods N [--datapoints-to-alarm M]\n"
     "           --threshold T --comparison-operator GreaterThanThreshold|...\n"
     "           [--treat-missing-data missing|notBreaching|breaching|ignore]\n"
     "           [--evaluate-low-sample-count-percentile evaluate|ignore] [--unit UNIT]\n"
     "           [--alarm-actions A ...] [--ok-actions A ...] [--insufficient-data-actions A ...]\n"
     "           [--alarm-description TEXT] [--actions-enabled | --no-actions-enabled]\n"
     "\n"
     "Creates or updates a metric alarm (an update keeps its state). Actions are\n"
     "exec:/path/to/hook [args] (run without a shell, the alarm JSON on stdin),\n"
     "http(s)://URL webhooks (an SNS-shaped POST) or scaling policy ARNs.\n"},
    {"put-composite-alarm", st_cmd_put_composite_alarm,
     "usage: stratus put-composite-alarm --alarm-name NAME --alarm-rule RULE\n"
     "           [--alarm-actions A ...] [--ok-actions A ...] [--insufficient-data-actions A ...]\n"
     "           [--alarm-description TEXT] [--actions-enabled | --no-actions-enabled]\n"
     "\n"
     "RULE as CloudWatch: ALARM(\"a\"), OK(\"b\"), INSUFFICIENT_DATA(\"c\"), TRUE, FALSE,\n"
     "NOT, AND, OR and parentheses, e.g. 'ALARM(\"a\") AND NOT OK(\"b\")'.\n"},
    {"describe-alarms", st_cmd_describe_alarms,
     "usage: stratus describe-alarms [--alarm-names N ... | --alarm-name-prefix P]\n"
     "           [--state-value OK|ALARM|INSUFFICIENT_DATA] [--alarm-types MetricAlarm\n"
     "           CompositeAlarm] [--action-prefix P]\n"
     "\n"
     "Prints {\"MetricAlarms\", \"CompositeAlarms\"} as the aws CLI does, following pages.\n"},
    {"describe-alarm-history", st_cmd_describe_alarm_history,
     "usage: stratus describe-alarm-history [--alarm-name NAME] [--alarm-types T ...]\n"
     "           [--history-item-type ConfigurationUpdate|StateUpdate|Action]\n"
     "           [--start-date T] [--end-date T] [--scan-by TimestampDescending|\n"
     "           TimestampAscending] [--max-items N]\n"
     "\n"
     "Prints {\"AlarmHistoryItems\": [...]}, newest first unless --scan-by says otherwise.\n"},
    {"set-alarm-state", st_cmd_set_alarm_state,
     "usage: stratus set-alarm-state --alarm-name NAME --state-value STATE\n"
     "           --state-reason TEXT [--state-reason-data JSON]\n"
     "\n"
     "Sets the state until the next evaluation; a change runs the actions.\n"},
    {"delete-alarms", st_cmd_delete_alarms,
     "usage: stratus delete-alarms --alarm-names NAME ...\n"},
    {"enable-alarm-actions", st_cmd_enable_alarm_actions,
     "usage: stratus enable-alarm-actions --alarm-names NAME ...\n"},
    {"disable-alarm-actions", st_cmd_disable_alarm_actions,
     "usage: stratus disable-alarm-actions --alarm-names NAME ...\n"},
    {"put-trace-segments", st_cmd_put_trace_segments,
     "usage: stratus put-trace-segments --trace-segment-documents DOC [DOC ...]\n"
     "\n"
     "Uploads X-Ray segment documents (JSON). Prints {\"UnprocessedTraceSegments\": [...]}.\n"},
    {"get-service-graph", st_cmd_get_service_graph,
     "usage: stratus get-service-graph --start-time T --end-time T\n"
     "\n"
     "Prints the service graph of the window as `aws xray get-service-graph` does:\n"
     "{\"StartTime\", \"EndTime\", \"Services\": [...], \"ContainsOldGroupVersions\"}.\n"},
    {"get-trace-summaries", st_cmd_get_trace_summaries,
     "usage: stratus get-trace-summaries --start-time T --end-time T\n"
     "           [--filter-expression EXPR] [--time-range-type TraceId|Event]\n"
     "\n"
     "Prints {\"TraceSummaries\": [...]} of the traces in the window that match the X-Ray\n"
     "filter expression (docs/traces.md), following every NextToken.\n"},
    {"batch-get-traces", st_cmd_batch_get_traces,
     "usage: stratus batch-get-traces --trace-ids ID [ID ...]\n"
     "\n"
     "Prints {\"Traces\": [{\"Id\", \"Duration\", \"Segments\": [{\"Id\", \"Document\"}]}],\n"
     "\"UnprocessedTraceIds\": [...]}; each Document holds its subsegments nested.\n"},
    {"put-scaling-group", st_cmd_put_scaling_group,
     "usage: stratus put-scaling-group --name NAME [--min N] [--max N] [--desired N]\n"
     "           [--apply-hook exec:/path/set-capacity] [--default-cooldown SECONDS]\n"
     "\n"
     "Creates or updates a scaling group (min and max are required to create one). The\n"
     "apply hook runs with each new desired capacity as its last argument.\n"},
    {"describe-scaling-groups", st_cmd_describe_scaling_groups,
     "usage: stratus describe-scaling-groups [--auto-scaling-group-names NAME ...]\n"},
    {"put-scaling-policy", st_cmd_put_scaling_policy,
     "usage: stratus put-scaling-policy --auto-scaling-group-name G --policy-name P\n"
     "           [--policy-type SimpleScaling|StepScaling|TargetTrackingScaling]\n"
     "           [--adjustment-type ChangeInCapacity|ExactCapacity|PercentChangeInCapacity]\n"
     "           [--scaling-adjustment N] [--min-adjustment-magnitude N] [--cooldown S]\n"
     "           [--step-adjustments MetricIntervalLowerBound=0,ScalingAdjustment=1 ...]\n"
     "           [--estimated-instance-warmup S] [--target-tracking-configuration JSON]\n"
     "\n"
     "Prints {\"PolicyARN\", \"Alarms\"}; put the ARN in an alarm's actions. Target tracking\n"
     "creates its own high and low alarms.\n"},
    {"describe-policies", st_cmd_describe_policies,
     "usage: stratus describe-policies [--auto-scaling-group-name G] [--policy-names P ...]\n"
     "           [--policy-types T ...]\n"},
    {"describe-scaling-activities", st_cmd_describe_scaling_activities,
     "usage: stratus describe-scaling-activities [--auto-scaling-group-name G] [--max-items N]\n"},
    {"set-desired-capacity", st_cmd_set_desired_capacity,
     "usage: stratus set-desired-capacity --auto-scaling-group-name G --desired-capacity N\n"
     "           [--honor-cooldown | --no-honor-cooldown]\n"},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const char general_help[] =
    "usage: stratus [--endpoint URL] VERB [flags]\n"
    "\n"
    "The command-line client of stratus-collector, with the verbs and output of\n"
    "`aws cloudwatch`.\n"
    "\n"
    "Verbs:\n"
    "  put-metric-data        publish data points\n"
    "  get-metric-statistics  statistics of a metric over time\n"
    "  list-metrics           the metrics the collector knows\n"
    "  put-dashboard          create or replace a dashboard\n"
    "  get-dashboard          a dashboard's body\n"
    "  list-dashboards        the stored dashboards\n"
    "  delete-dashboards      delete dashboards\n"
    "  put-metric-alarm       create or update a metric alarm\n"
    "  put-composite-alarm    create or update a composite alarm\n"
    "  describe-alarms        alarms and their state\n"
    "  describe-alarm-history state changes, actions and updates of alarms\n"
    "  set-alarm-state        set an alarm's state (until its next evaluation)\n"
    "  delete-alarms, enable-alarm-actions, disable-alarm-actions\n"
    "  put-trace-segments     upload X-Ray segment documents\n"
    "  get-service-graph      the service graph of a time window\n"
    "  get-trace-summaries    traces matching a filter expression\n"
    "  batch-get-traces       full traces by id\n"
    "  put-scaling-group, describe-scaling-groups, put-scaling-policy, describe-policies,\n"
    "  describe-scaling-activities, set-desired-capacity   alarm-driven autoscaling\n"
    "\n"
    "Global flags (anywhere on the line):\n"
    "  --endpoint URL   the collector, http://HOST[:PORT] (default $STRATUS_ENDPOINT, else\n"
    "                   " ST_DEFAULT_ENDPOINT ")\n"
    "  --help           this text; `stratus help VERB` or `stratus VERB --help` for a verb\n"
    "  --version        the version\n"
    "\n"
    "Exit status: 0 ok, 1 the collector returned an error or could not be reached, 2 usage.\n";

static const struct verb *find_verb(const char *name)
{
    for (size_t i = 0; i < N_VERBS; i++) {
        if (strcmp(verbs[i].name, name) == 0) {
            return &verbs[i];
        }
    }
    return NULL;
}

/* What the global flags asked for; args holds the rest, in order, borrowed from argv. */
struct globals {
    const char *endpoint;
    bool help;
    bool version;
    char **args;
    int n_args;
};

/* Takes "--flag VALUE" or "--flag=VALUE" at argv[*i]; NULL when argv[*i] is not that flag. */
static const char *take_value(int argc, char **argv, int *i, const char *flag, bool *ret_missing)
{
    size_t len = strlen(flag);
    if (strncmp(argv[*i], flag, len) != 0) {
        return NULL;
    }
    if (argv[*i][len] == '=') {
        return argv[*i] + len + 1;
    }
    if (argv[*i][len] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *ret_missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int parse_globals(int argc, char **argv, struct globals *g, struct st_error *err)
{
    g->args = st_calloc((size_t)argc + 1, sizeof(*g->args));
    if (!g->args) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if ((v = take_value(argc, argv, &i, "--endpoint-url", &missing)) ||
            (v = take_value(argc, argv, &i, "--endpoint", &missing))) {
            g->endpoint = v;
        } else if ((v = take_value(argc, argv, &i, "--output", &missing))) {
            if (strcmp(v, "json") != 0) {
                return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                                    "argument --output: only json is supported");
            }
        } else if (missing) {
            return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                                "argument %s: expected one "
                                "argument",
                                argv[i]);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
                   (g->n_args == 0 && strcmp(argv[i], "help") == 0)) {
            g->help = true;
        } else if (strcmp(argv[i], "--version") == 0) {
            g->version = true;
        } else {
            g->args[g->n_args++] = argv[i];
        }
    }
    return 0;
}

static int setup(const char *endpoint, struct st_cli *cli, struct st_error *err)
{
    if (st_endpoint_parse(endpoint, &cli->ep) < 0) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "argument --endpoint: invalid URL '%s' (want http://HOST[:PORT])",
                            endpoint);
    }
    snprintf(cli->url, sizeof(cli->url), "http://%s:%u", cli->ep.host, cli->ep.port);
    cli->timeout_ms = ST_CLI_TIMEOUT_MS;
    cli->out = stdout;
    return 0;
}

static int run(int argc, char **argv, struct globals *g, struct st_error *err)
{
    int r = parse_globals(argc, argv, g, err);
    if (r < 0) {
        return r;
    }
    if (g->version) {
        printf("stratus %s\n", ST_VERSION);
        return 0;
    }
    const struct verb *verb = g->n_args > 0 ? find_verb(g->args[0]) : NULL;
    if (g->help || g->n_args == 0) {
        fputs(verb ? verb->help : general_help, g->help ? stdout : stderr);
        return g->help ? 0 : -EINVAL;
    }
    if (!verb) {
        return st_error_set(err, -EINVAL, ST_CLI_ERR_USAGE,
                            "argument VERB: invalid choice '%s' (see stratus --help)", g->args[0]);
    }
    const char *endpoint = g->endpoint ? g->endpoint : getenv("STRATUS_ENDPOINT");
    if (!endpoint || endpoint[0] == '\0') {
        endpoint = ST_DEFAULT_ENDPOINT;
    }
    struct st_cli cli;
    r = setup(endpoint, &cli, err);
    if (r < 0) {
        return r;
    }
    r = verb->run(&cli, g->n_args - 1, g->args + 1, err);
    if (r == -EINVAL) {
        /* Point at the verb's help after its usage error, as argparse does. */
        fprintf(stderr, "stratus %s: error: %s\n", verb->name, err->message);
        fprintf(stderr, "Run 'stratus %s --help' for its flags.\n", verb->name);
        err->message[0] = '\0';
    }
    return r;
}

int main(int argc, char **argv)
{
    struct globals g = {0};
    struct st_error err = {{0}};
    int r = run(argc, argv, &g, &err);
    st_free(g.args);
    if (r == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "stratus: error: cannot write the output: %s\n", strerror(errno));
        return ST_CLI_EXIT_FAILED;
    }
    if (r == 0) {
        return ST_CLI_EXIT_OK;
    }
    if (r == -EINVAL) {
        if (err.message[0]) {
            fprintf(stderr, "stratus: error: %s\n", err.message);
        }
        return ST_CLI_EXIT_USAGE;
    }
    fprintf(stderr, "%s\n", err.message[0] ? err.message : strerror(-r));
    return ST_CLI_EXIT_FAILED;
}
