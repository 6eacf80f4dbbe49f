/*
 * The incident script model: what one YAML scenario file describes once it
 * has been loaded (scenario_file.c: parsed, walked by scenario_load.c and
 * checked by scenario_check.c).
 * Everything here is plain data owned by the scenario; positions point back
 * into the file so later checks can report where a problem is.
 */
#ifndef ENSHU_SCENARIO_H
#define ENSHU_SCENARIO_H

#include "diag.h"
#include "mail_address.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCENARIO_FORMAT_VERSION 1
#define SCENARIO_MAX_TEAMS 250
#define SCENARIO_MAX_NODES 64
#define SCENARIO_MAX_SEGMENTS 16
#define SCENARIO_MAX_NICS 8
#define SCENARIO_MAX_MEMORY_MIB (64 * 1024)
#define SCENARIO_MAX_VCPUS 16
/* Every action on a guest stops by itself within this bound. */
#define SCENARIO_MAX_ACTION_MS (60LL * 60 * 1000)
#define SCENARIO_DEFAULT_ACTION_MS (60LL * 1000)
#define SCENARIO_MAX_USERS 100
/* A message attachment is read at load time, at most this large. */
#define SCENARIO_MAX_ATTACHMENT (1024 * 1024)
/* A mail inject: at most this many recipients and attachments, the
 * attachments together at most this large. */
#define SCENARIO_MAX_MAIL_TO 50
#define SCENARIO_MAX_MAIL_FILES 8
#define SCENARIO_MAX_MAIL_FILES_SIZE (2 * 1024 * 1024)
#define SCENARIO_SMTP_PORT 25

typedef struct src_pos {
    int line;
    int col;
} src_pos;

/* Text shown to people: one string, or one per language. */
typedef struct l10n_entry {
    char *lang; /* "" for a plain string in the default language */
    char *text;
} l10n_entry;

typedef struct l10n_text {
    l10n_entry *items;
    size_t count;
    src_pos pos;
} l10n_text;

typedef enum course_level {
    LEVEL_UNSET,
    LEVEL_INTRO,
    LEVEL_A,
    LEVEL_B,
    LEVEL_C,
    LEVEL_FREE,
} course_level;

typedef enum node_role { ROLE_BLUE, ROLE_RED, ROLE_GREY } node_role;

typedef struct segment {
    char *name;
    l10n_text title;
    char *router; /* node routing this segment to the team's others, or NULL */
    src_pos router_pos;
    /* its own subnet, the same for every team (`subnet:`, outside the pool),
     * or prefix 0: a subnet of the pool, each team its own */
    uint32_t subnet;
    unsigned prefix;
    src_pos subnet_pos;
    src_pos pos;
} segment;

typedef struct nic {
    char *segment;
    int segment_index; /* resolved by the checker; -1 until then */
    int host;          /* host number inside the segment's subnet; 0 = pick one */
    bool nat;          /* the node masquerades what it forwards out of this interface */
    src_pos pos;
    src_pos host_pos;
    src_pos nat_pos;
} nic;

/* A scenario's `images:` entry: a base disk file (qcow2), or the image of
 * this name in the image store, added with `enshu images import` (imported;
 * qcow2 NULL). The scenario layer reads no file: whether an imported image
 * exists on this machine is for the range (and `enshu validate`) to say. */
typedef struct custom_image {
    char *name;
    char *qcow2; /* absolute path of the base image, or NULL when imported */
    bool imported;
    src_pos pos;
} custom_image;

typedef struct node {
    char *name;
    l10n_text title;
    char *image;
    src_pos image_pos;
    node_role role;
    bool visible;        /* trainees may see it and open its console */
    bool forwarding;     /* routes between its segments */
    unsigned memory_mib; /* 0: the image's default */
    unsigned vcpus;      /* 0: the image's default */
    nic *nics;
    size_t nnics;
    char **dns; /* host names the team's guests know it by (`dns:`), besides its own */
    size_t ndns;
    src_pos dns_pos;
    src_pos pos;
} node;

#define SCENARIO_MAX_DNS_NAMES 8

/* An account of the organisation (`users:`), made on the guests of every
 * team with the team's own password. */
typedef struct scenario_user {
    char *name;     /* a Linux user name: [a-z_][a-z0-9_-]*, not root */
    char *password; /* may hold templates ({{team}}): each team's is its own */
    src_pos password_pos;
    l10n_text title; /* who this is, as consoles show it */
    bool sudo;       /* may run commands as root with sudo */
    src_pos sudo_pos;
    char **nodes; /* the nodes it exists on; NULL: the default (scenario_user_on_node) */
    size_t nnodes;
    src_pos *node_pos;
    src_pos pos;
} scenario_user;

typedef enum condition_kind {
    COND_CHECK,  /* a check currently passes */
    COND_INJECT, /* an inject has fired */
    COND_ALL,
    COND_ANY,
    COND_NOT,
    /* the team's progress (see progress_condition.h) */
    COND_OBJECTIVE, /* an objective achieved */
    COND_ANSWERED,  /* a question answered: at all, right or wrong (answered) */
    COND_REPORT,    /* a report handed in */
    COND_HINT,      /* a hint taken: any of the objective's, or the one numbered hint */
    COND_REQUEST,   /* a team request asked, approved or refused (stage) */
} condition_kind;

typedef enum answered_as { ANSWERED_ANY, ANSWERED_RIGHT, ANSWERED_WRONG } answered_as;

typedef enum request_stage { REQUEST_ASKED, REQUEST_APPROVED, REQUEST_REFUSED } request_stage;

typedef struct condition {
    condition_kind kind;
    char *ref;            /* check, inject, objective or request id */
    answered_as answered; /* COND_ANSWERED */
    int hint;             /* COND_HINT: the hint's number, from 1; 0: any */
    request_stage stage;  /* COND_REQUEST */
    struct condition **kids;
    size_t nkids;
    int64_t hold_ms;   /* "for": must have held this long; 0 = at once */
    int64_t within_ms; /* "within": only within this long of STARTEX; 0 = any time */
    src_pos pos;
} condition;

typedef enum trigger_kind { TRIGGER_AT, TRIGGER_AFTER, TRIGGER_WHEN, TRIGGER_MANUAL } trigger_kind;

typedef enum action_kind {
    ACTION_RUN,
    ACTION_FILE,
    ACTION_MESSAGE,
    ACTION_NOTE,
    ACTION_POWER, /* the target guest is stopped, started or rebooted */
    ACTION_LINK,  /* the target's interface on a segment is cut or restored */
    ACTION_MAIL,  /* an e-mail sent by SMTP from a node (its target) to a server */
} action_kind;

typedef enum power_op { POWER_STOP, POWER_START, POWER_REBOOT } power_op;

/* A file next to the scenario, read at load time. */
typedef struct attached_file {
    char *name;    /* as written (relative to the scenario) */
    char *content; /* NUL past size */
    size_t size;
    src_pos pos;
} attached_file;

typedef struct action {
    action_kind kind;
    /* run and file: the guest account it runs as; NULL: root */
    char *user;
    src_pos user_pos;
    /* run */
    char *command;
    char *script; /* path relative to the scenario file */
    /* file */
    char *path;
    char *content;
    /* file from a path beside the scenario (`source`): its bytes (content,
     * content_size; may hold NULs) are copied into the ledger like an
     * attachment and templated only when source_templated */
    char *source;
    size_t content_size;
    bool source_templated;
    unsigned mode;
    char *owner, *group; /* names (or numbers) set on the file; NULL: left as written */
    /* message */
    char *from;
    l10n_text subject;
    l10n_text body;
    char *attachment;         /* its name as written (relative to the scenario) */
    char *attachment_content; /* read at load time; NULL without an attachment */
    size_t attachment_size;
    /* note */
    l10n_text note;
    /* power */
    power_op power;
    /* link */
    bool link_up;  /* restore (true) or cut (false) */
    char *segment; /* the segment whose link changes */
    src_pos segment_pos;
    /* mail: sent from the inject's target (its 'via') */
    mail_address mail_from;
    mail_address *mail_to;
    size_t nmail_to;
    char *mail_subject, *mail_body; /* may hold templates */
    char *server;         /* as written: a node, an address or a host name, without the port */
    unsigned server_port; /* its address for a team: scenario_mail_server */
    src_pos server_pos, subject_pos, body_pos;
    attached_file *mail_files;
    size_t nmail_files;
    /* where the texts are, for template errors */
    src_pos command_pos, path_pos, content_pos, from_pos;
    src_pos pos;
} action;

typedef struct inject {
    char *id;
    l10n_text title;
    trigger_kind trigger;
    int64_t at_ms;
    char *after;
    src_pos after_pos;
    int64_t delay_ms;
    condition *when;
    char *target; /* node, or NULL for team-level actions (message, note) */
    src_pos target_pos;
    action action;
    int64_t timeout_ms; /* the action stops by itself within this */
    src_pos pos;
} inject;

/* What a check looks at: a command's result on its node, its node's power
 * state (from libvirt, no guest agent), or several probes of either kind
 * on any nodes, all or any of which must pass. */
typedef enum check_kind { CHECK_COMMAND, CHECK_POWER, CHECK_ALL, CHECK_ANY } check_kind;

#define SCENARIO_MAX_PROBES 16

typedef struct check {
    char *id; /* NULL for a probe of an all/any check */
    check_kind kind;
    bool power_running; /* power: passes when running (true) or stopped */
    src_pos power_pos;
    struct check *probes; /* all, any: command and power probes, no id */
    size_t nprobes;
    char *node; /* command and power; NULL for all and any */
    src_pos node_pos;
    char *user; /* the guest account it runs as; NULL: root */
    src_pos user_pos;
    char *command;
    src_pos command_pos;
    int expect_exit;     /* -1: any */
    char *expect_output; /* POSIX extended regex, or NULL */
    src_pos expect_output_pos;
    int64_t interval_ms;
    int64_t timeout_ms;
    /* How many probes in a row must see a new state before it is recorded
     * (1 to 10): a slowed guest that fails one probe is no outage. */
    int confirm;
    src_pos pos;
} check;

typedef enum objective_kind { OBJ_QUESTION, OBJ_CHECK, OBJ_REPORT } objective_kind;

typedef enum answer_kind {
    ANSWER_EXACT,
    ANSWER_NOCASE,
    ANSWER_REGEX,
    ANSWER_RANGE,
    ANSWER_ONE_OF,
    ANSWER_TIME, /* a UTC time of day HH:MM[:SS] near when an inject fired */
} answer_kind;

/* Time-aware points: full within full_ms of an inject firing for the team,
 * then falling linearly to floor at zero_at_ms. */
typedef struct decay_rule {
    char *from; /* inject id; NULL: no decay */
    src_pos from_pos;
    int64_t full_ms;
    int64_t zero_at_ms;
    int floor;
    src_pos pos;
} decay_rule;

/* Points taken each time a check turns to a state (e.g. a service down). */
typedef struct penalty_rule {
    char *id;
    char *check;
    src_pos check_pos;
    bool when_passing; /* false: when the check turns failing */
    int points;
    char *after; /* only once this inject fired for the team; or NULL */
    src_pos after_pos;
    int max; /* at most this much in all; 0 = no bound */
    src_pos pos;
} penalty_rule;

typedef struct rubric_item {
    l10n_text text;
    int points;
} rubric_item;

typedef struct hint {
    l10n_text text;
    int cost;
} hint;

typedef struct objective {
    char *id;
    objective_kind kind;
    l10n_text title;
    l10n_text text;
    int points;
    /* question */
    answer_kind answer;
    char **values; /* exact / nocase / regex: one; one_of: several */
    size_t nvalues;
    double range_min, range_max;
    int attempts;      /* 0 = unlimited */
    char *time_inject; /* time: the inject whose firing time is the answer */
    src_pos time_inject_pos;
    int64_t tolerance_ms; /* time: how far off an answer may be */
    src_pos answer_pos;
    /* check */
    char *check;
    src_pos check_pos;
    /* only what happens after this inject fired for the team counts; or NULL */
    char *after;
    src_pos after_pos;
    decay_rule decay; /* check and question objectives; off unless decay.from */
    /* report */
    rubric_item *rubric;
    size_t nrubric;
    hint *hints;
    size_t nhints;
    src_pos pos;
} objective;

/* A per-team variable (`variables:`): each team gets its own value, drawn
 * from the exercise's seed (variation.h) and used as {{var NAME}}. */
typedef enum variable_kind {
    VARIABLE_ONE_OF,   /* one of the listed texts */
    VARIABLE_NUMBER,   /* a whole number in [lo, hi] */
    VARIABLE_PASSWORD, /* letters and digits, at least one of each case and a digit */
    VARIABLE_WORD,     /* a pronounceable lower-case word */
} variable_kind;

#define SCENARIO_MAX_VARIABLES 64
#define SCENARIO_MAX_CHOICES 100
#define SCENARIO_MAX_VARIABLE_LENGTH 64

typedef struct scenario_variable {
    char *name;
    variable_kind kind;
    char **choices; /* one_of */
    size_t nchoices;
    long long lo, hi; /* number */
    unsigned length;  /* password, word */
    src_pos pos;
} scenario_variable;

/* Something a team may ask for from its console (`requests:`): an
 * instructor approves or refuses it, or it is approved at once (auto).
 * Approval fires the injects it names and costs its points. */
typedef enum request_approval { APPROVAL_INSTRUCTOR, APPROVAL_AUTO } request_approval;

typedef struct team_request {
    char *id;
    l10n_text title;
    l10n_text text; /* what it does, for the team */
    request_approval approval;
    char **fires; /* inject ids released when approved */
    src_pos *fires_pos;
    size_t nfires;
    int cost;  /* points taken at each approval */
    int limit; /* at most this many asks per team that were not refused */
    src_pos pos;
} team_request;

typedef struct scenario {
    char *file;
    int version;
    /* no network and no nodes: teams get messages and documents, answer and
     * report; nothing acts on a guest (scenario_tabletop.c) */
    bool tabletop;
    char *id;
    l10n_text title;
    l10n_text description;
    course_level level;
    /* consoles: may teams see every team's score; do answers get right/wrong at once */
    bool public_scoreboard;
    bool feedback;
    /* a self-paced course: a trainee's clock stands while they are away
     * (self_paced: {while_away: pause}); false: it runs on */
    bool pause_while_away;
    char *level_name; /* as written, for LEVEL_FREE */
    int64_t duration_ms;
    unsigned teams_min, teams_max;
    unsigned team_size_min, team_size_max;
    char **languages;
    size_t nlanguages;
    char *default_language;
    src_pos languages_pos;
    /* network template */
    uint32_t pool_addr; /* host order */
    unsigned pool_prefix;
    unsigned segment_prefix;
    src_pos pool_pos;
    segment *segments;
    size_t nsegments;
    custom_image *images;
    size_t nimages;
    node *nodes;
    size_t nnodes;
    inject *injects;
    size_t ninjects;
    check *checks;
    size_t nchecks;
    objective *objectives;
    size_t nobjectives;
    penalty_rule *penalties;
    size_t npenalties;
    team_request *requests;
    size_t nrequests;
    /* the organisation: time zone, locale and accounts of every guest */
    char *time_zone; /* Area/City as in the tz database, or NULL: the image's */
    char *locale;    /* ll_CC.UTF-8, or NULL: the image's */
    scenario_user *users;
    size_t nusers;
    /* per-team variation, each team's values drawn from the exercise's seed */
    scenario_variable *variables;
    size_t nvariables;
} scenario;

/*
 * Loads and checks a scenario file. Every problem found is added to diags;
 * returns NULL if there was any (no half-valid scenario escapes).
 */
scenario *scenario_load_file(const char *path, diag_list *diags)
    __attribute__((warn_unused_result));
scenario *scenario_load_buffer(const char *name, const char *buf, size_t len, diag_list *diags)
    __attribute__((warn_unused_result));
void scenario_free(scenario *s);

/* Where message attachments come from when not from the files named next to
 * the scenario (an exercise's ledger keeps them): read returns the bytes of
 * the attachment `name`, malloc'd with a NUL past *size, or NULL to read the
 * file after all. */
typedef struct scenario_attachments {
    char *(*read)(void *ctx, const char *name, size_t *size);
    void *ctx;
} scenario_attachments;

/* scenario_load_buffer, taking attachments from `from` first. */
scenario *scenario_load_buffer_with(const char *name, const char *buf, size_t len,
                                    const scenario_attachments *from, diag_list *diags)
    __attribute__((warn_unused_result));

/* scenario_load_file, printing every diagnostic to stderr. */
scenario *scenario_load_reported(const char *path) __attribute__((warn_unused_result));

/* Lookups by name; NULL or -1 when absent. */
const node *scenario_node(const scenario *s, const char *name);
int scenario_segment_index(const scenario *s, const char *name);
/* The prefix of segment seg's subnet: its own, else the scenario's segment_prefix. */
unsigned scenario_segment_prefix(const scenario *s, int seg);
const inject *scenario_inject(const scenario *s, const char *id);
const check *scenario_check(const scenario *s, const char *id);
const custom_image *scenario_custom_image(const scenario *s, const char *name);
const objective *scenario_objective(const scenario *s, const char *id);
const scenario_variable *scenario_variable_named(const scenario *s, const char *name);
const team_request *scenario_request(const scenario *s, const char *id);

/* The address of mail action a's server for a team, as a template filled
 * in with the team's values: when the server is a node, its address on a
 * segment that via (the node the team's mail is sent from) shares with
 * it, else on its first interface; else the address or host name as
 * written. NULL without a server (caller frees). */
char *scenario_mail_server(const scenario *s, const action *a, const node *via)
    __attribute__((warn_unused_result));

/* Whether user u exists on node n: on the nodes it names; without 'nodes',
 * on every blue or grey node whose image runs Linux (node_runs_linux: the
 * range knows; the scenario alone takes every image for Linux). */
bool scenario_user_on_node(const scenario *s, const scenario_user *u, const node *n,
                           bool node_runs_linux);

/* The text in lang, falling back to the default language then the first. */
const char *l10n_get(const l10n_text *t, const char *lang, const char *default_lang);

const char *node_role_name(node_role role);
const char *power_op_name(power_op op);

#endif
