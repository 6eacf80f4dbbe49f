/*
 * Writes an exercise's ledger from a scenario and a list of events, for
 * the golden tests of `enshu report`: the same ledger, byte for byte in
 * what it holds, on every run (no clock, no scheduler).
 *
 *   make_ledger SCENARIO.yaml EVENTS.jsonl TEAMS OUT.db
 *
 * EVENTS.jsonl: one JSON object a line, in ledger order: "at" (exercise
 * time "MM:SS" or "H:MM:SS"), "team" (0: every team), "kind" (an event
 * kind's name, event.h), and optional "subject", "value", "text",
 * "actor". The wall clock is 2026-06-01 00:00 UTC plus the exercise time.
 * Lines starting with '#' are comments.
 */
#include "errors.h"
#include "event_store.h"
#include "exercise_record.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WALL_START_MS 1780272000000LL

static long long parse_at(const char *s)
{
    unsigned a = 0, b = 0, c = 0;
    int n = sscanf(s, "%u:%u:%u", &a, &b, &c);
    if (n == 3)
        return ((long long)a * 3600 + b * 60 + c) * 1000;
    if (n == 2)
        return ((long long)a * 60 + b) * 1000;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fputs("usage: make_ledger SCENARIO.yaml EVENTS.jsonl TEAMS OUT.db\n", stderr);
        return 2;
    }
    scenario *s = scenario_load_reported(argv[1]);
    if (!s)
        return 1;
    FILE *in = fopen(argv[2], "r");
    if (!in) {
        fprintf(stderr, "make_ledger: cannot read %s\n", argv[2]);
        return 1;
    }
    remove(argv[4]);
    event_store *st;
    if (event_store_open(argv[4], true, &st) != ENSHU_OK ||
        exercise_record_write(st, argv[1], s, (unsigned)atoi(argv[3]), NULL) != ENSHU_OK)
        return 1;
    char line[8192];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        const char *at = json_string_value(json_object_get(j, "at"));
        const char *kind = json_string_value(json_object_get(j, "kind"));
        event ev = {.team = (int)json_integer_value(json_object_get(j, "team")),
                    .subject = json_string_value(json_object_get(j, "subject")),
                    .value = json_integer_value(json_object_get(j, "value")),
                    .text = json_string_value(json_object_get(j, "text")),
                    .actor = json_string_value(json_object_get(j, "actor"))};
        ev.at_ms = at ? parse_at(at) : -1;
        ev.wall_ms = WALL_START_MS + ev.at_ms;
        ev.kind = kind ? event_kind_parse(kind) : EV_KIND_COUNT;
        if (!j || ev.at_ms < 0 || ev.kind == EV_KIND_COUNT) {
            fprintf(stderr, "%s:%d: not an event (at, team, kind, ...)\n", argv[2], lineno);
            rc = 1;
        } else if (event_store_append(st, &ev, NULL, NULL) != ENSHU_OK) {
            rc = 1;
        }
        json_decref(j);
    }
    fclose(in);
    event_store_free(st);
    scenario_free(s);
    return rc;
}
