/*
 * Whole-scenario checks that need more than one part of the file: unique
 * names, references between parts (node -> segment, inject -> node,
 * after -> inject, conditions -> checks), cycles among injects, regular
 * expressions that must compile, and an address plan that must fit.
 */
#include "scenario_load.h"
#include "alloc.h"
#include "builtin_images.h"
#include "node_ref.h"
#include "suggest.h"
#include "template.h"
#include "units.h"

#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct checker {
    scenario *s;
    diag_list *diags;
    /* names that team-progress conditions and requests refer to */
    const struct name_set *objective_names, *request_names, *inject_names;
    /* every check id: a reference to an inject that names a check (or the
     * reverse) says so, rather than suggest a look-alike */
    const struct name_set *check_names;
} checker;

static void err_at(checker *C, src_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_at(checker *C, src_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_addv(C->diags, C->s->file, pos.line, pos.col, fmt, ap);
    va_end(ap);
}

/* Names of one kind, gathered for duplicate checks and suggestions. */
typedef struct name_set {
    const char **names;
    src_pos *pos;
    size_t count;
} name_set;

static void name_set_init(name_set *set, size_t cap)
{
    set->names = xcalloc(cap, sizeof(char *));
    set->pos = xcalloc(cap, sizeof(src_pos));
    set->count = 0;
}

static void name_set_fini(name_set *set)
{
    free(set->names);
    free(set->pos);
}

static void name_set_add(checker *C, name_set *set, const char *kind, const char *name, src_pos pos)
{
    if (!name)
        return;
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->names[i], name) == 0) {
            err_at(C, pos, "%s '%s' is defined twice (first at line %d)", kind, name,
                   set->pos[i].line);
            return;
        }
    }
    set->names[set->count] = name;
    set->pos[set->count] = pos;
    set->count++;
}

static bool name_set_has(const name_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->names[i], name) == 0)
            return true;
    return false;
}

static void unknown_ref(checker *C, src_pos pos, const char *what, const char *name,
                        const name_set *known)
{
    bool wants_inject = strcmp(what, "inject") == 0, wants_check = strcmp(what, "check") == 0;
    if (wants_inject && C->check_names && name_set_has(C->check_names, name)) {
        err_at(C, pos, "'%s' is a check, not an inject: this names an inject", name);
        return;
    }
    if (wants_check && C->inject_names && name_set_has(C->inject_names, name)) {
        err_at(C, pos, "'%s' is an inject, not a check: this names a check", name);
        return;
    }
    const char *near = suggest_closest_n(name, known->names, known->count);
    if (near)
        err_at(C, pos, "unknown %s '%s'; did you mean '%s'?", what, name, near);
    else
        err_at(C, pos, "unknown %s '%s'", what, name);
}

static void check_ref(checker *C, src_pos pos, const char *what, const char *name,
                      const name_set *known)
{
    if (name && !name_set_has(known, name))
        unknown_ref(C, pos, what, name, known);
}

/* Any template stands for an address when a pattern is compiled here: each
 * team's own values are put in before it is used. */
static const char *sample_value(void *ctx, const char *key)
{
    return "10.0.0.1";
}

static void check_regex(checker *C, src_pos pos, const char *what, const char *text)
{
    regex_t re;
    char *pattern = template_expand(text, sample_value, NULL);
    int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
    free(pattern);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof msg);
        err_at(C, pos, "%s is not a valid regular expression: %s", what, msg);
        return;
    }
    regfree(&re);
}

/* ---- network ---- */

static unsigned segment_hosts(const scenario *s, int seg)
{
    return (unsigned)((1ULL << (32 - scenario_segment_prefix(s, seg))) - 2);
}

static void check_address_plan(checker *C)
{
    scenario *s = C->s;
    if (s->nsegments == 0)
        return;
    if (s->segment_prefix < s->pool_prefix) {
        err_at(C, s->pool_pos, "segments of /%u are larger than the pool /%u", s->segment_prefix,
               s->pool_prefix);
        return;
    }
    uint64_t subnets_in_pool = 1ULL << (s->segment_prefix - s->pool_prefix);
    uint64_t needed = (uint64_t)s->teams_max * s->nsegments;
    if (needed > subnets_in_pool) {
        char addr[16];
        format_ipv4(s->pool_addr, addr);
        err_at(C, s->pool_pos,
               "address plan overflows: %u teams x %zu segments need %llu subnets of /%u, but "
               "pool %s/%u holds only %llu; widen the pool or lower teams.max",
               s->teams_max, s->nsegments, (unsigned long long)needed, s->segment_prefix, addr,
               s->pool_prefix, (unsigned long long)subnets_in_pool);
    }
}

static bool host_taken(const scenario *s, int seg, int host)
{
    for (size_t a = 0; a < s->nnodes; a++)
        for (size_t b = 0; b < s->nodes[a].nnics; b++)
            if (s->nodes[a].nics[b].segment_index == seg && s->nodes[a].nics[b].host == host)
                return true;
    return false;
}

/* The lowest free host number from `from`, else from 2 (small segments); 0 if none. */
static int free_host(const scenario *s, int seg, unsigned max_host, int from)
{
    for (int h = from; (unsigned)h <= max_host; h++)
        if (!host_taken(s, seg, h))
            return h;
    for (int h = 2; h < from && (unsigned)h <= max_host; h++)
        if (!host_taken(s, seg, h))
            return h;
    return 0;
}

/* Resolves each interface's segment and gives automatic host numbers. */
static void check_interfaces(checker *C, const name_set *segments)
{
    scenario *s = C->s;
    for (size_t i = 0; i < s->nnodes; i++) {
        node *n = &s->nodes[i];
        for (size_t j = 0; j < n->nnics; j++) {
            nic *x = &n->nics[j];
            if (!x->segment)
                continue;
            x->segment_index = scenario_segment_index(s, x->segment);
            if (x->segment_index < 0) {
                unknown_ref(C, x->pos, "segment", x->segment, segments);
                continue;
            }
            for (size_t k = 0; k < j; k++)
                if (n->nics[k].segment_index == x->segment_index)
                    err_at(C, x->pos, "node '%s' has two interfaces on segment '%s'",
                           n->name ? n->name : "?", x->segment);
            unsigned max_host = segment_hosts(s, x->segment_index);
            if (x->host && (unsigned)x->host > max_host)
                err_at(C, x->host_pos, "host %d does not fit in a /%u segment (2 to %u)", x->host,
                       scenario_segment_prefix(s, x->segment_index), max_host);
        }
    }
    /* Explicit host numbers first, then automatic ones (free_host). */
    for (size_t seg = 0; seg < s->nsegments; seg++) {
        for (size_t i = 0; i < s->nnodes; i++) {
            for (size_t j = 0; j < s->nodes[i].nnics; j++) {
                nic *x = &s->nodes[i].nics[j];
                if (x->segment_index != (int)seg || !x->host)
                    continue;
                for (size_t a = 0; a < i; a++)
                    for (size_t b = 0; b < s->nodes[a].nnics; b++)
                        if (s->nodes[a].nics[b].segment_index == (int)seg &&
                            s->nodes[a].nics[b].host == x->host)
                            err_at(C, x->host_pos,
                                   "host %d on segment '%s' is already taken by node '%s'", x->host,
                                   s->segments[seg].name,
                                   s->nodes[a].name ? s->nodes[a].name : "?");
            }
        }
        unsigned max_host = segment_hosts(s, (int)seg);
        int next = 10; /* automatic numbers start at 10, below it only when full */
        for (size_t i = 0; i < s->nnodes; i++) {
            for (size_t j = 0; j < s->nodes[i].nnics; j++) {
                nic *x = &s->nodes[i].nics[j];
                if (x->segment_index != (int)seg || x->host)
                    continue;
                x->host = free_host(s, (int)seg, max_host, next);
                if (!x->host)
                    err_at(C, x->pos, "segment '%s' has no free host number left",
                           s->segments[seg].name);
                else
                    next = x->host + 1;
            }
        }
    }
}

static const nic *node_nic_on(const node *n, int segment_index)
{
    for (size_t j = 0; j < n->nnics; j++)
        if (n->nics[j].segment_index == segment_index)
            return &n->nics[j];
    return NULL;
}

/* False when an interface of n names an unknown segment (reported where it
 * is named): whether n is on a segment cannot be told, and is not claimed. */
static bool node_nics_known(const node *n)
{
    for (size_t j = 0; j < n->nnics; j++)
        if (n->nics[j].segment && n->nics[j].segment_index < 0)
            return false;
    return true;
}

static void check_gateways(checker *C, const name_set *nodes)
{
    scenario *s = C->s;
    for (size_t i = 0; i < s->nsegments; i++) {
        segment *seg = &s->segments[i];
        if (!seg->router)
            continue;
        const node *gw = scenario_node(s, seg->router);
        if (!gw) {
            unknown_ref(C, seg->router_pos, "gateway node", seg->router, nodes);
            continue;
        }
        if (!node_nic_on(gw, (int)i) && node_nics_known(gw))
            err_at(C, seg->router_pos, "gateway '%s' has no interface on segment '%s'", seg->router,
                   seg->name ? seg->name : "?");
        if (!gw->forwarding)
            err_at(C, seg->router_pos, "gateway '%s' must have 'forwarding: true'", seg->router);
    }
}

static void check_images(checker *C)
{
    scenario *s = C->s;
    size_t n = 0;
    size_t nbuiltin = 0;
    while (BUILTIN_IMAGES[nbuiltin])
        nbuiltin++;
    const char **known = xcalloc(s->nimages + nbuiltin, sizeof(char *));
    char *builtin = xstrdup("");
    for (const char *const *b = BUILTIN_IMAGES; *b; b++) {
        known[n++] = *b;
        char *more = xasprintf("%s%s%s", builtin, *builtin ? ", " : "", *b);
        free(builtin);
        builtin = more;
    }
    for (size_t i = 0; i < s->nimages; i++) {
        if (builtin_image_exists(s->images[i].name))
            err_at(C, s->images[i].pos, "image '%s' has the name of a built-in image",
                   s->images[i].name);
        known[n++] = s->images[i].name;
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        const char *img = s->nodes[i].image;
        if (!img || builtin_image_exists(img) || scenario_custom_image(s, img))
            continue;
        const char *near = suggest_closest_n(img, known, n);
        if (near)
            err_at(C, s->nodes[i].image_pos, "unknown image '%s'; did you mean '%s'?", img, near);
        else
            err_at(C, s->nodes[i].image_pos,
                   "unknown image '%s'; use a built-in image (%s) or declare it under 'images'",
                   img, builtin);
    }
    free(builtin);
    free(known);
}

/* ---- injects ---- */

static const char *const KIND_NAMES[] = {"question", "check", "report"};

/* A condition on the team's progress names an objective of the right kind
 * (a hint one the objective has), or a request. */
static void check_progress_condition(checker *C, const condition *c)
{
    if (!c->ref)
        return;
    if (c->kind == COND_REQUEST) {
        check_ref(C, c->pos, "request", c->ref, C->request_names);
        return;
    }
    const objective *o = scenario_objective(C->s, c->ref);
    if (!o) {
        unknown_ref(C, c->pos, "objective", c->ref, C->objective_names);
        return;
    }
    if (c->kind == COND_ANSWERED && o->kind != OBJ_QUESTION)
        err_at(C, c->pos, "'answered' needs a question; '%s' is a %s objective", o->id,
               KIND_NAMES[o->kind]);
    else if (c->kind == COND_REPORT && o->kind != OBJ_REPORT)
        err_at(C, c->pos, "'report' needs a report objective; '%s' is a %s objective", o->id,
               KIND_NAMES[o->kind]);
    else if (c->kind == COND_HINT && o->nhints == 0)
        err_at(C, c->pos, "objective '%s' has no hints", o->id);
    else if (c->kind == COND_HINT && (size_t)c->hint > o->nhints)
        err_at(C, c->pos, "objective '%s' has %zu hint%s; there is no hint %d", o->id, o->nhints,
               o->nhints == 1 ? "" : "s", c->hint);
}

static void check_condition(checker *C, const condition *c, const name_set *checks,
                            const name_set *injects)
{
    if (!c)
        return;
    if (c->kind == COND_CHECK)
        check_ref(C, c->pos, "check", c->ref, checks);
    else if (c->kind == COND_INJECT)
        check_ref(C, c->pos, "inject", c->ref, injects);
    else if (c->kind >= COND_OBJECTIVE)
        check_progress_condition(C, c);
    for (size_t i = 0; i < c->nkids; i++)
        check_condition(C, c->kids[i], checks, injects);
}

/* Calls fn for every inject that inj waits on (after, or named in when). */
static void condition_inject_refs(const condition *c, void (*fn)(const char *, void *), void *arg)
{
    if (!c)
        return;
    if (c->kind == COND_INJECT && c->ref)
        fn(c->ref, arg);
    for (size_t i = 0; i < c->nkids; i++)
        condition_inject_refs(c->kids[i], fn, arg);
}

typedef struct cycle_walk {
    checker *C;
    int *state; /* 0 unvisited, 1 on the stack, 2 done */
    size_t *stack;
    size_t depth;
} cycle_walk;

static void visit_inject(cycle_walk *w, size_t i);

static void visit_ref(const char *ref, void *arg)
{
    cycle_walk *w = arg;
    scenario *s = w->C->s;
    for (size_t j = 0; j < s->ninjects; j++)
        if (s->injects[j].id && strcmp(s->injects[j].id, ref) == 0)
            visit_inject(w, j);
}

static void report_cycle(cycle_walk *w, size_t back_to)
{
    scenario *s = w->C->s;
    size_t start = 0;
    while (w->stack[start] != back_to)
        start++;
    char *path = xstrdup(s->injects[back_to].id);
    for (size_t k = start + 1; k < w->depth; k++) {
        char *p = xasprintf("%s -> %s", path, s->injects[w->stack[k]].id);
        free(path);
        path = p;
    }
    char *p = xasprintf("%s -> %s", path, s->injects[back_to].id);
    free(path);
    err_at(w->C, s->injects[back_to].pos, "injects wait on each other in a cycle: %s", p);
    free(p);
}

static void visit_inject(cycle_walk *w, size_t i)
{
    if (w->state[i] == 2)
        return;
    if (w->state[i] == 1) {
        report_cycle(w, i);
        return;
    }
    w->state[i] = 1;
    w->stack[w->depth++] = i;
    const inject *inj = &w->C->s->injects[i];
    /* An inject after itself is reported once, by check_injects. */
    if (inj->trigger == TRIGGER_AFTER && inj->after && !(inj->id && !strcmp(inj->after, inj->id)))
        visit_ref(inj->after, w);
    if (inj->trigger == TRIGGER_WHEN)
        condition_inject_refs(inj->when, visit_ref, w);
    w->depth--;
    w->state[i] = 2;
}

static void check_inject_cycles(checker *C)
{
    scenario *s = C->s;
    cycle_walk w = {.C = C};
    w.state = xcalloc(s->ninjects, sizeof(int));
    w.stack = xcalloc(s->ninjects + 1, sizeof(size_t));
    for (size_t i = 0; i < s->ninjects; i++)
        visit_inject(&w, i);
    free(w.state);
    free(w.stack);
}

/* A mail's server: a node, or an address or host name (with a dot, or a
 * template). Its address for each team is scenario_mail_server's. */
static void check_mail_server(checker *C, inject *inj, const name_set *nodes)
{
    action *a = &inj->action;
    if (!a->server || strchr(a->server, '.') || strstr(a->server, "{{"))
        return;
    if (scenario_node(C->s, a->server))
        return;
    const char *near = suggest_closest_n(a->server, nodes->names, nodes->count);
    if (near)
        err_at(C, a->server_pos, "unknown node '%s' for 'server'; did you mean '%s'?", a->server,
               near);
    else
        err_at(C, a->server_pos,
               "unknown node '%s' for 'server' (a host name has a dot: mail.corp.example)",
               a->server);
}

static const char *const VARIABLE_KIND_NAMES[] = {"one_of", "number", "password", "word"};

/* A node where something acts or looks (node_ref.h): a name as written, or
 * a whole {{var NAME}} of a one_of variable, each of whose choices is
 * checked as a name as written would be. */
static void check_node_ref(checker *C, src_pos pos, const char *what, const char *ref,
                           const name_set *nodes)
{
    char *var = ref ? node_ref_variable(ref) : NULL;
    if (!var) {
        check_ref(C, pos, what, ref, nodes);
        return;
    }
    const scenario_variable *v = scenario_variable_named(C->s, var);
    if (!v) {
        const char **names = xcalloc(C->s->nvariables + 1, sizeof(char *));
        for (size_t i = 0; i < C->s->nvariables; i++)
            names[i] = C->s->variables[i].name ? C->s->variables[i].name : "";
        const char *near = suggest_closest_n(var, names, C->s->nvariables);
        if (near)
            err_at(C, pos, "%s %s: unknown variable '%s'; did you mean '%s'?", what, ref, var,
                   near);
        else
            err_at(C, pos, "%s %s: unknown variable '%s'", what, ref, var);
        free(names);
    } else if (v->kind != VARIABLE_ONE_OF) {
        err_at(C, pos,
               "%s %s: variable '%s' is a %s; only a one_of variable whose choices are nodes "
               "can choose a node",
               what, ref, var, VARIABLE_KIND_NAMES[v->kind]);
    } else {
        for (size_t i = 0; i < v->nchoices; i++) {
            if (name_set_has(nodes, v->choices[i]))
                continue;
            const char *near = suggest_closest_n(v->choices[i], nodes->names, nodes->count);
            if (near)
                err_at(C, pos, "unknown %s '%s' (a choice of variable '%s'); did you mean '%s'?",
                       what, v->choices[i], var, near);
            else
                err_at(C, pos, "unknown %s '%s' (a choice of variable '%s')", what, v->choices[i],
                       var);
        }
    }
    free(var);
}

/* A link inject's target, each node it may be, has an interface on the
 * segment. */
static void check_link_target(checker *C, const inject *inj, int seg)
{
    const char **names;
    size_t n = node_ref_choices(C->s, inj->target, &names);
    char *var = node_ref_variable(inj->target);
    for (size_t i = 0; i < n; i++) {
        const node *target = scenario_node(C->s, names[i]);
        if (!target || node_nic_on(target, seg) || !node_nics_known(target))
            continue;
        if (var)
            err_at(C, inj->action.segment_pos,
                   "target '%s' (a choice of variable '%s') has no interface on segment '%s'",
                   names[i], var, inj->action.segment);
        else
            err_at(C, inj->action.segment_pos, "target '%s' has no interface on segment '%s'",
                   names[i], inj->action.segment);
    }
    free(var);
    free(names);
}

static void check_injects(checker *C, const name_set *nodes, const name_set *injects,
                          const name_set *checks, const name_set *segments)
{
    scenario *s = C->s;
    for (size_t i = 0; i < s->ninjects; i++) {
        inject *inj = &s->injects[i];
        const action *a = &inj->action;
        /* An action the loader refused (none, or two) has no position:
         * what follows from its kind would only echo that error. */
        bool known = a->pos.line > 0;
        bool on_guest = known && (a->kind == ACTION_RUN || a->kind == ACTION_FILE ||
                                  a->kind == ACTION_POWER || a->kind == ACTION_LINK);
        /* (A target given but refused was reported where it is.) */
        if (on_guest && !inj->target && !inj->target_pos.line && inj->id)
            err_at(C, inj->pos, "inject '%s' acts on a guest and needs a 'target' node", inj->id);
        if (known && (a->kind == ACTION_MESSAGE || a->kind == ACTION_NOTE) && inj->target)
            err_at(C, inj->target_pos,
                   "a %s goes to %s, not to a node: 'target' does not apply; remove it",
                   a->kind == ACTION_MESSAGE ? "message" : "note",
                   a->kind == ACTION_MESSAGE ? "the team" : "the instructors");
        else
            check_node_ref(C, inj->target_pos, a->kind == ACTION_MAIL ? "node" : "target node",
                           inj->target, nodes);
        if (known && a->kind == ACTION_MAIL)
            check_mail_server(C, inj, nodes);
        if (known && a->kind == ACTION_LINK && a->segment) {
            int seg = scenario_segment_index(s, a->segment);
            if (seg < 0)
                unknown_ref(C, a->segment_pos, "segment", a->segment, segments);
            else
                check_link_target(C, inj, seg);
        }
        if (inj->trigger == TRIGGER_AFTER && inj->after) {
            if (inj->id && strcmp(inj->after, inj->id) == 0)
                err_at(C, inj->after_pos, "inject '%s' cannot come after itself", inj->id);
            else
                check_ref(C, inj->after_pos, "inject", inj->after, injects);
        }
        if (inj->trigger == TRIGGER_WHEN)
            check_condition(C, inj->when, checks, injects);
    }
    check_inject_cycles(C);
}

/* ---- checks and objectives ---- */

static void check_checks_and_objectives(checker *C, const name_set *nodes, const name_set *checks,
                                        const name_set *injects)
{
    scenario *s = C->s;
    for (size_t i = 0; i < s->nchecks; i++) {
        check *c = &s->checks[i];
        bool combined = c->kind == CHECK_ALL || c->kind == CHECK_ANY;
        for (size_t p = 0; p < (combined ? c->nprobes : 1); p++) {
            const check *probe = combined ? &c->probes[p] : c;
            check_node_ref(C, probe->node_pos, "node", probe->node, nodes);
            if (probe->expect_output)
                check_regex(C, probe->expect_output_pos, "'output'", probe->expect_output);
        }
    }
    for (size_t i = 0; i < s->nobjectives; i++) {
        objective *o = &s->objectives[i];
        if (o->kind == OBJ_CHECK)
            check_ref(C, o->check_pos, "check", o->check, checks);
        check_ref(C, o->after_pos, "inject", o->after, injects);
        check_ref(C, o->decay.from_pos, "inject", o->decay.from, injects);
        if (o->kind == OBJ_QUESTION && o->answer == ANSWER_TIME)
            check_ref(C, o->time_inject_pos, "inject", o->time_inject, injects);
        if (o->kind == OBJ_QUESTION && o->answer == ANSWER_REGEX && o->nvalues == 1)
            check_regex(C, o->answer_pos, "'regex'", o->values[0]);
    }
}

static void check_penalties(checker *C, const name_set *checks, const name_set *injects)
{
    scenario *s = C->s;
    name_set ids;
    name_set_init(&ids, s->npenalties);
    for (size_t i = 0; i < s->npenalties; i++) {
        const penalty_rule *p = &s->penalties[i];
        name_set_add(C, &ids, "penalty", p->id, p->pos);
        check_ref(C, p->check_pos, "check", p->check, checks);
        check_ref(C, p->after_pos, "inject", p->after, injects);
    }
    name_set_fini(&ids);
}

/* ---- accounts ---- */

static void check_users(checker *C, const name_set *nodes)
{
    scenario *s = C->s;
    name_set names;
    name_set_init(&names, s->nusers);
    for (size_t i = 0; i < s->nusers; i++) {
        const scenario_user *u = &s->users[i];
        name_set_add(C, &names, "user", u->name, u->pos);
        for (size_t j = 0; j < u->nnodes; j++) {
            check_ref(C, u->node_pos[j], "node", u->nodes[j], nodes);
            for (size_t k = 0; k < j; k++)
                if (strcmp(u->nodes[k], u->nodes[j]) == 0)
                    err_at(C, u->node_pos[j], "node '%s' is listed twice for user '%s'",
                           u->nodes[j], u->name ? u->name : "?");
        }
        /* The BusyBox images have no sudo: a sudoer there would be a user
         * who cannot do what the scenario says. */
        for (size_t n = 0; u->sudo && n < s->nnodes; n++) {
            const node *nd = &s->nodes[n];
            if (!nd->image || !builtin_image_is_busybox(nd->image) ||
                !scenario_user_on_node(s, u, nd, true))
                continue;
            err_at(C, u->sudo_pos,
                   "user '%s' has 'sudo: true', but node '%s' runs the BusyBox image '%s', which "
                   "has no sudo; list the user's 'nodes' without it",
                   u->name ? u->name : "?", nd->name, nd->image);
            break;
        }
    }
    name_set_fini(&names);
}

/* ---- templates ---- */

typedef struct template_site {
    checker *C;
    src_pos pos;
    const char *where;
} template_site;

static void report_template(void *ctx, const char *why)
{
    template_site *site = ctx;
    err_at(site->C, site->pos, "%s: %s", site->where, why);
}

/* Every bad template of the text is reported, each on its own. */
static void check_template(checker *C, src_pos pos, const char *where, const char *text)
{
    template_site site = {C, pos, where};
    (void)template_check_each(C->s, text, report_template, &site);
}

/* A text filled in before anything fires (an answer, a password, a pattern
 * compiled at the start) has no time to fill {{now}} with. */
static void check_template_untimed(checker *C, src_pos pos, const char *where, const char *text,
                                   const char *because)
{
    check_template(C, pos, where, text);
    if (template_has_time(text))
        err_at(C, pos, "%s: {{now}} cannot be used here: %s", where, because);
}

static void check_template_l10n(checker *C, const char *where, const l10n_text *t)
{
    for (size_t i = 0; i < t->count; i++)
        check_template(C, t->pos, where, t->items[i].text);
}

/* Every text a team sees or a guest runs may hold templates (template.h). */
static void check_templates(checker *C)
{
    scenario *s = C->s;
    for (size_t i = 0; i < s->ninjects; i++) {
        const action *a = &s->injects[i].action;
        check_template(C, a->command_pos, "'run'", a->command);
        check_template(C, a->path_pos, "'path'", a->path);
        if (!a->source || a->source_templated)
            check_template(C, a->content_pos, a->source ? "'source'" : "'content'", a->content);
        check_template(C, a->from_pos, "'from'", a->from);
        check_template_l10n(C, "'subject'", &a->subject);
        check_template_l10n(C, "'body'", &a->body);
        check_template_l10n(C, "'note'", &a->note);
        check_template(C, a->subject_pos, "'subject'", a->mail_subject);
        check_template(C, a->body_pos, "'body'", a->mail_body);
        check_template_untimed(C, a->server_pos, "'server'", a->server,
                               "a mail server is a place, not a time");
    }
    for (size_t i = 0; i < s->nchecks; i++) {
        const check *c = &s->checks[i];
        bool combined = c->kind == CHECK_ALL || c->kind == CHECK_ANY;
        for (size_t p = 0; p < (combined ? c->nprobes : 1); p++) {
            const check *probe = combined ? &c->probes[p] : c;
            check_template(C, probe->command_pos, "'command'", probe->command);
            check_template_untimed(C, probe->expect_output_pos, "'output'", probe->expect_output,
                                   "the pattern is compiled once, when the exercise starts");
        }
    }
    for (size_t i = 0; i < s->nobjectives; i++) {
        const objective *o = &s->objectives[i];
        for (size_t v = 0; o->kind == OBJ_QUESTION && v < o->nvalues; v++)
            check_template_untimed(C, o->answer_pos, "'answer'", o->values[v],
                                   "answers are graded without a time");
    }
    for (size_t i = 0; i < s->nusers; i++) {
        check_template_untimed(C, s->users[i].password_pos, "'password'", s->users[i].password,
                               "passwords are set when the range comes up");
        check_template_l10n(C, "'title'", &s->users[i].title);
    }
}

/* ---- team requests ---- */

static void check_requests(checker *C, name_set *requests)
{
    for (size_t i = 0; i < C->s->nrequests; i++) {
        const team_request *r = &C->s->requests[i];
        name_set_add(C, requests, "request", r->id, r->pos);
        for (size_t j = 0; j < r->nfires; j++)
            check_ref(C, r->fires_pos[j], "inject", r->fires[j], C->inject_names);
    }
}

void scenario_check_model(scenario *s, diag_list *diags)
{
    checker C = {.s = s, .diags = diags};
    name_set requests;
    name_set_init(&requests, s->nrequests);
    name_set segments, nodes, injects, checks, objectives;
    name_set_init(&segments, s->nsegments);
    name_set_init(&nodes, s->nnodes);
    name_set_init(&injects, s->ninjects);
    name_set_init(&checks, s->nchecks);
    name_set_init(&objectives, s->nobjectives);
    for (size_t i = 0; i < s->nsegments; i++)
        name_set_add(&C, &segments, "segment", s->segments[i].name, s->segments[i].pos);
    for (size_t i = 0; i < s->nnodes; i++)
        name_set_add(&C, &nodes, "node", s->nodes[i].name, s->nodes[i].pos);
    for (size_t i = 0; i < s->ninjects; i++)
        name_set_add(&C, &injects, "inject", s->injects[i].id, s->injects[i].pos);
    for (size_t i = 0; i < s->nchecks; i++)
        name_set_add(&C, &checks, "check", s->checks[i].id, s->checks[i].pos);
    for (size_t i = 0; i < s->nobjectives; i++)
        name_set_add(&C, &objectives, "objective", s->objectives[i].id, s->objectives[i].pos);

    C.objective_names = &objectives;
    C.request_names = &requests;
    C.inject_names = &injects;
    C.check_names = &checks;
    check_requests(&C, &requests);
    check_address_plan(&C);
    check_interfaces(&C, &segments);
    check_gateways(&C, &nodes);
    check_images(&C);
    check_injects(&C, &nodes, &injects, &checks, &segments);
    check_checks_and_objectives(&C, &nodes, &checks, &injects);
    check_penalties(&C, &checks, &injects);
    check_users(&C, &nodes);
    check_templates(&C);

    name_set_fini(&segments);
    name_set_fini(&nodes);
    name_set_fini(&injects);
    name_set_fini(&checks);
    name_set_fini(&objectives);
    name_set_fini(&requests);
}
