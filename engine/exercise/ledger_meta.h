/*
 * The keys of the event ledger's meta table (event_store_set_meta): what an
 * exercise keeps in its ledger besides the events, every key in one place.
 */
#ifndef ENSHU_LEDGER_META_H
#define ENSHU_LEDGER_META_H

/* The exercise's record (exercise_record.c): the scenario as it was run,
 * where its file was, each team's template values (team_vars_to_json) and
 * the team count, written last (a ledger with it holds the whole record). */
#define LEDGER_META_SCENARIO_YAML "scenario_yaml"
#define LEDGER_META_SCENARIO_PATH "scenario_path"
#define LEDGER_META_TEAM_VARS "team_vars"
#define LEDGER_META_TEAMS "teams"

/* A message attachment of the scenario, base64: a printf format of its
 * name (exercise_record.c). */
#define LEDGER_META_ATTACHMENT "attachment/%s"

/* The instance name of the range the exercise runs on (ledger_reuse.c):
 * a range brought up again has another, and its guests are new. The range's
 * state store keeps it under RANGE_META_INSTANCE. */
#define LEDGER_META_RANGE_INSTANCE "range_instance"
#define RANGE_META_INSTANCE "instance"

/* The teams' join codes, a JSON array of strings: made by enshu run,
 * rotated by the consoles. */
#define LEDGER_META_JOIN_CODES "join_codes"

/* The file sent with a trainee's report, {"name", "data"} in JSON: a printf
 * format of the report event's seq, as long long (hub_feeds.c, hub_exercise_requests.c). */
#define LEDGER_META_REPORT_FILE "report/%lld/attachment"

#endif
