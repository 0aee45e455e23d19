/* SPDX-License-Identifier: MIT */
/*
 * collectd's binary network protocol (the network plugin, UDP 25826) as stratus-agent's
 * collectd listener receives it, the auth file that holds the users for signed and encrypted
 * packets, and the built-in types.db that names the values. All pure: the caller reads the
 * datagram and the auth file; nothing here does I/O or logs.
 *
 * A packet is a sequence of parts: type (u16), length (u16, including this 4-byte header), then
 * length - 4 bytes, all big-endian. String parts (HOST 0x0000, PLUGIN 0x0002,
 * PLUGIN_INSTANCE 0x0003, TYPE 0x0004, TYPE_INSTANCE 0x0005) hold at most 128 bytes ending in
 * a NUL; number parts (TIME 0x0001 in seconds, TIME_HR 0x0008 and INTERVAL_HR 0x0009 in 2^-30 s,
 * INTERVAL 0x0007 in seconds) hold exactly 8 bytes. Each part updates the current value list;
 * VALUES (0x0006: u16 n, n type bytes, n 8-byte values: COUNTER/ABSOLUTE u64, DERIVE i64, both
 * big-endian, GAUGE a little-endian double) emits it. Notifications (MESSAGE 0x0100,
 * SEVERITY 0x0101) and unknown parts are skipped. SIGNATURE (0x0200) is an HMAC-SHA-256, keyed
 * with the user's password, of the user name and every byte after the part; ENCRYPTION
 * (0x0210) holds u16 user name length, user name, 16-byte IV, then AES-256-OFB (key: SHA-256
 * of the password) of a SHA-1 of the payload followed by the payload, itself a sequence of
 * parts. Signed or encrypted content starts with an empty value list and may not nest.
 *
 * Security levels, as collectd's network plugin applies them on receipt:
 * - none: every part counts. A signature is checked when auth is given (and the packet
 *   rejected if it fails or names an unknown user); without auth it is accepted unchecked, as
 *   collectd does with no AuthFile. Encrypted parts need auth.
 * - sign: only signed or encrypted content counts; other parts are skipped and counted.
 * - encrypt: only encrypted content counts.
 * A packet is validated whole (including every signature and checksum) before the first value
 * list is delivered, so a rejected packet delivers nothing.
 */
#ifndef STRATUS_COLLECTD_PROTO_H
#define STRATUS_COLLECTD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define ST_COLLECTD_MAX_PACKET   65535 /* a UDP payload */
#define ST_COLLECTD_MAX_NAME_LEN 127   /* collectd's DATA_MAX_NAME_LEN, less the NUL */
#define ST_COLLECTD_MAX_VALUES   64    /* values in one VALUES part (types.db has at most 5) */
#define ST_COLLECTD_MAX_USER_LEN 255
#define ST_COLLECTD_MAX_USERS    1024

enum st_collectd_security {
    ST_COLLECTD_SECURITY_NONE,
    ST_COLLECTD_SECURITY_SIGN,
    ST_COLLECTD_SECURITY_ENCRYPT,
};

/* Data source types, as numbered on the wire and in types.db. */
enum st_collectd_ds_type {
    ST_COLLECTD_COUNTER = 0,
    ST_COLLECTD_GAUGE = 1,
    ST_COLLECTD_DERIVE = 2,
    ST_COLLECTD_ABSOLUTE = 3,
};

union st_collectd_value {
    uint64_t counter;
    double gauge; /* any double, NaN included: collectd sends NaN for unknown gauges */
    int64_t derive;
    uint64_t absolute;
};

/*
 * One complete value list. The strings are NUL-terminated, "" when the packet did not set them,
 * and borrowed from the packet (or its decrypted copy).
 */
struct st_collectd_value_list {
    const char *host;
    const char *plugin;
    const char *plugin_instance;
    const char *type;
    const char *type_instance;
    uint64_t time_hr;     /* 2^-30 s since the epoch (collectd's cdtime_t); never 0 */
    uint64_t interval_hr; /* 2^-30 s; 0 when the packet did not say */
    const char *username; /* who signed or encrypted it; NULL for plain content */
    size_t n_values;      /* 1..ST_COLLECTD_MAX_VALUES */
    uint8_t types[ST_COLLECTD_MAX_VALUES]; /* enum st_collectd_ds_type */
    union st_collectd_value values[ST_COLLECTD_MAX_VALUES];
};

/* Counters a caller keeps across packets; st_collectd_parse adds to them. */
struct st_collectd_stats {
    uint64_t packets;
    uint64_t packets_bad;            /* malformed: nothing delivered */
    uint64_t packets_denied;         /* failed authentication, or nothing at the required level */
    uint64_t value_lists;            /* delivered */
    uint64_t value_lists_incomplete; /* skipped: no time, host, plugin or type (as collectd) */
    uint64_t notifications;          /* skipped */
    uint64_t unknown_parts;          /* skipped */
    uint64_t parts_below_level;      /* skipped: plain or only signed below the security level */
};

/*
 * Users and passwords for signed and encrypted packets: collectd's AuthFile, lines of
 * "user: password" (leading blanks skipped; the user ends at the first ':', the password is
 * the rest of the line after blanks; empty lines, '#' comments and lines without ':' or
 * password are skipped; the first entry for a user wins). The object owns copies of the
 * strings and is immutable after creation, so parsers on several threads may share it.
 */
struct st_collectd_auth;

/*
 * Parses the content of an auth file (the caller reads the file). Returns 0, -E2BIG (more than
 * ST_COLLECTD_MAX_USERS users, or a user name longer than ST_COLLECTD_MAX_USER_LEN) or -ENOMEM;
 * *ret_auth is set on success only. Also initialises libgcrypt if nobody has: call it before
 * starting threads that parse.
 */
int st_collectd_auth_parse(const uint8_t *buf, size_t len, struct st_collectd_auth **ret_auth);
void st_collectd_auth_free(struct st_collectd_auth *auth);
size_t st_collectd_auth_count(const struct st_collectd_auth *auth);

/*
 * Called once per complete value list, in packet order, after the whole packet validated. vl
 * and its strings are borrowed for the call. Return 0, or a negative errno to stop (the parse
 * returns it). Runs on the parsing thread and must not block.
 */
typedef int (*st_collectd_value_fn)(const struct st_collectd_value_list *vl, void *data);

/*
 * Parses one packet at the given security level. auth may be NULL at level none only. stats
 * (required) is added to. Returns 0 (value lists delivered, possibly none), -EBADMSG
 * (malformed), -EACCES (bad signature or checksum, unknown user, encrypted content without
 * auth, or nothing signed/encrypted at level sign/encrypt), -EINVAL (level needs auth), -ENOMEM
 * (nothing delivered), or what fn returned.
 */
int st_collectd_parse(const uint8_t *buf, size_t len, const struct st_collectd_auth *auth,
                      enum st_collectd_security level, st_collectd_value_fn fn, void *data,
                      struct st_collectd_stats *stats);

/* collectd time (2^-30 s) to milliseconds, rounded down; exact for every 64-bit input. */
static inline uint64_t st_collectd_time_to_ms(uint64_t t_hr)
{
    return (t_hr >> 30) * 1000 + (((t_hr & ((1u << 30) - 1)) * 1000) >> 30);
}

/*
 * The built-in types.db: the data sets of collectd 5.12's /usr/share/collectd/types.db
 * (lib/collectd_types.c, generated from Debian's collectd-core). Static data.
 */
#define ST_COLLECTD_TYPE_MAX_DS 5

struct st_collectd_type {
    const char *name;
    size_t n_ds;
    const char *ds_names[ST_COLLECTD_TYPE_MAX_DS];
    uint8_t ds_types[ST_COLLECTD_TYPE_MAX_DS]; /* enum st_collectd_ds_type */
};

/* The type named `type`, or NULL. */
const struct st_collectd_type *st_collectd_type_find(const char *type);

/* The data source names of `type`. Returns 0 or -ENOENT (unknown type). */
int st_collectd_type_lookup(const char *type, const char *const **ret_ds_names, size_t *ret_n);

/* The number of built-in types. */
size_t st_collectd_type_count(void);

/*
 * The CloudWatch agent's name for value `index` of vl: prefix (its name_prefix, "collectd_" by
 * default), the plugin, '_', and the data source name from types.db, e.g.
 * collectd_load_shortterm, collectd_cpu_value, collectd_interface_rx. That is telegraf's
 * collectd parser in its default "split" mode, which also gives each metric the dimensions
 * host, instance (the plugin instance), type and type_instance, each only when not empty.
 * Like telegraf with a types.db, a value list whose type is unknown or whose number of values
 * differs from its data set has no name: -ENOENT, and the caller drops it. Writes a
 * NUL-terminated name to buf. Returns 0, -ENOENT, -EINVAL (index out of range) or -ENOBUFS.
 */
int st_collectd_metric_name(const struct st_collectd_value_list *vl, size_t index,
                            const char *prefix, char *buf, size_t size);

#endif
