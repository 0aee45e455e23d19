/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the agent's CloudWatch-agent-shaped configuration: defaults, a full valid
 * file, and every kind of mistake refused with its JSON path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent_config.h"

static struct st_agent_config *parse(const char *json, int *ret, struct st_error *err)
{
    struct st_agent_config *c = calloc(1, sizeof(*c));
    st_agent_config_default(c);
    *ret = st_agent_config_parse(json, strlen(json), c, err);
    return c;
}

static void test_defaults_match_the_cloudwatch_agent(void **state)
{
    (void)state;
    struct st_agent_config *c = calloc(1, sizeof(*c));
    st_agent_config_default(c);
    assert_int_equal(c->interval_s, 60);
    assert_int_equal(c->force_flush_s, 60);
    assert_string_equal(c->namespace_, "CWAgent");
    assert_string_equal(c->endpoints[0], "http://127.0.0.1:4780");
    assert_non_null(c->sections[ST_SEC_CPU].ops);
    assert_non_null(c->sections[ST_SEC_DISK].ops);
    assert_null(c->sections[ST_SEC_NETSTAT].ops);
    assert_true(c->sections[ST_SEC_CPU].src.totalcpu);
    assert_false(c->omit_hostname);
    free(c);
}

static void test_full_cloudwatch_agent_config_is_read(void **state)
{
    (void)state;
    const char *json =
        "{\"agent\": {\"metrics_collection_interval\": 10, \"run_as_user\": \"cwagent\","
        "  \"region\": \"eu-west-1\", \"endpoint\": \"http://127.0.0.1:9\","
        "  \"spool_dir\": \"/var/spool/x\", \"spool_max_bytes\": 1048576},"
        " \"metrics\": {\"namespace\": \"MyApp\", \"force_flush_interval\": 5,"
        "  \"append_dimensions\": {\"InstanceId\": \"${aws:InstanceId}\"},"
        "  \"aggregation_dimensions\": [[\"InstanceId\"], []],"
        "  \"metrics_collected\": {"
        "   \"cpu\": {\"measurement\": [\"cpu_usage_idle\", \"usage_user\","
        "     {\"name\": \"usage_nice\", \"rename\": \"CPU_NICE\", \"unit\": \"Percent\"}],"
        "     \"resources\": [\"*\"], \"totalcpu\": false, \"metrics_collection_interval\": 1},"
        "   \"disk\": {\"measurement\": [\"used_percent\"], \"resources\": [\"/\"],"
        "     \"ignore_file_system_types\": [\"sysfs\", \"tmpfs\"], \"drop_device\": true},"
        "   \"mem\": {\"measurement\": [\"mem_used_percent\"]},"
        "   \"statsd\": {\"service_address\": \":8125\", \"metrics_aggregation_interval\": 30},"
        "   \"collectd\": {\"name_prefix\": \"cd_\", \"collectd_security_level\": \"none\"}}},"
        " \"traces\": {\"traces_collected\": {\"xray\": {\"bind_address\": \"127.0.0.1:2001\"}}},"
        " \"logs\": {\"logs_collected\": {}}}";
    int r;
    struct st_error err;
    struct st_agent_config *c = parse(json, &r, &err);
    if (r < 0) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(c->interval_s, 10);
    assert_string_equal(c->endpoints[0], "http://127.0.0.1:9");
    assert_int_equal(c->spool_max_bytes, 1048576);
    assert_string_equal(c->namespace_, "MyApp");
    assert_int_equal(c->n_append, 1);
    assert_int_equal(c->n_agg, 2);
    assert_int_equal(c->agg[1].n, 0);
    const struct st_section_cfg *cpu = &c->sections[ST_SEC_CPU];
    assert_int_equal(cpu->n_meas, 3);
    assert_string_equal(cpu->meas[0].name, "usage_idle");
    assert_string_equal(cpu->meas[2].rename, "CPU_NICE");
    assert_true(cpu->meas[2].has_unit);
    assert_false(cpu->src.totalcpu);
    assert_true(cpu->src.percpu);
    assert_int_equal(cpu->interval_s, 1);
    const struct st_section_cfg *disk = &c->sections[ST_SEC_DISK];
    assert_int_equal(disk->src.n_resources, 1);
    assert_string_equal(disk->src.resources[0], "/");
    assert_int_equal(disk->src.n_ignore_fs, 2);
    assert_true(disk->src.drop_device);
    assert_null(c->sections[ST_SEC_NET].ops); /* metrics_collected replaces the defaults */
    assert_true(c->statsd);
    assert_int_equal(c->statsd_aggregation_s, 30);
    assert_true(c->collectd);
    assert_string_equal(c->collectd_prefix, "cd_");
    assert_true(c->xray);
    assert_string_equal(c->xray_address, "127.0.0.1:2001");
    assert_true(c->n_ignored >= 3); /* run_as_user, region, logs */
    free(c);
}

struct bad {
    const char *json;
    const char *message_part;
};

static void test_mistakes_are_refused_with_their_json_path(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"{\"metrics\": {\"metrics_collected\": {\"cpu\": {\"measurement\": 7}}}}",
         "$.metrics.metrics_collected.cpu.measurement: expected an array"},
        {"{\"metrics\": {\"metrics_collected\": {\"cpu\": {\"measurement\": [\"usage_bogus\"]}}}}",
         "unknown cpu measurement \"usage_bogus\""},
        {"{\"metrics\": {\"metrics_collected\": {\"cpu\": {\"measurment\": []}}}}",
         "$.metrics.metrics_collected.cpu.measurment: unknown key"},
        {"{\"metrics\": {\"metrics_collected\": {\"gpu\": {}}}}",
         "$.metrics.metrics_collected.gpu: unknown section"},
        {"{\"metrics\": {\"metrics_collected\": {\"mem\": {\"totalcpu\": true}}}}",
         "$.metrics.metrics_collected.mem.totalcpu: unknown key"},
        {"{\"metrics\": {\"metrics_collected\": {\"cpu\": {\"measurement\": [{\"rename\": "
         "\"x\"}]}}}}",
         "needs \"name\""},
        {"{\"metrics\": {\"metrics_collected\": {\"cpu\": {\"measurement\": [{\"name\": "
         "\"usage_idle\", \"unit\": \"Furlongs\"}]}}}}",
         "unit: not a CloudWatch unit"},
        {"{\"agent\": {\"metrics_collection_interval\": \"60\"}}",
         "$.agent.metrics_collection_interval: expected an integer"},
        {"{\"agent\": {\"metrics_collection_interval\": 0}}",
         "$.agent.metrics_collection_interval"},
        {"{\"agent\": {\"endpoint\": \"https://x\"}}", "expected an http:// URL"},
        {"{\"agent\": {\"frobnicate\": 1}}", "$.agent.frobnicate: unknown key"},
        {"{\"metrics\": {\"namespace\": \"AWS/EC2\"}}", "$.metrics.namespace"},
        {"{\"metrics\": {\"aggregation_dimensions\": [\"host\"]}}",
         "$.metrics.aggregation_dimensions[0]"},
        {"{\"metrics\": {\"append_dimensions\": {\"k\": 1}}}", "$.metrics.append_dimensions.k"},
        {"{\"metrics\": {\"metrics_collected\": {\"collectd\": {\"collectd_security_level\": "
         "\"maybe\"}}}}",
         "collectd_security_level"},
        {"{\"traces\": {\"traces_collected\": {\"xray\": {\"bind_address\": 2000}}}}",
         "$.traces.traces_collected.xray.bind_address: expected a string"},
        {"{\"agent\": {}", "ends in the middle"},
        {"[]", "$: expected an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r;
        struct st_error err = {{0}};
        struct st_agent_config *c = parse(cases[i].json, &r, &err);
        if (r == 0 || !strstr(err.message, cases[i].message_part)) {
            fail_msg("case %zu: r=%d message '%s', wanted '%s'", i, r, err.message,
                     cases[i].message_part);
        }
        free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_the_cloudwatch_agent),
        cmocka_unit_test(test_full_cloudwatch_agent_config_is_read),
        cmocka_unit_test(test_mistakes_are_refused_with_their_json_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
