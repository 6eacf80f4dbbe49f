/*
 * The scenario model: look up, name, free. Loading is scenario_file.c's.
 */
#include "scenario.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static void l10n_free(l10n_text *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].lang);
        free(t->items[i].text);
    }
    free(t->items);
}

static void condition_free(condition *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nkids; i++)
        condition_free(c->kids[i]);
    free(c->kids);
    free(c->ref);
    free(c);
}

static void action_fini(action *a)
{
    free(a->user);
    free(a->owner);
    free(a->group);
    mail_address_fini(&a->mail_from);
    for (size_t i = 0; i < a->nmail_to; i++)
        mail_address_fini(&a->mail_to[i]);
    free(a->mail_to);
    free(a->mail_subject);
    free(a->mail_body);
    free(a->server);
    for (size_t i = 0; i < a->nmail_files; i++) {
        free(a->mail_files[i].name);
        free(a->mail_files[i].content);
    }
    free(a->mail_files);
    free(a->command);
    free(a->script);
    free(a->path);
    free(a->content);
    free(a->source);
    free(a->from);
    l10n_free(&a->subject);
    l10n_free(&a->body);
    free(a->attachment);
    free(a->attachment_content);
    free(a->segment);
    l10n_free(&a->note);
}

static void objective_fini(objective *o)
{
    free(o->id);
    l10n_free(&o->title);
    l10n_free(&o->text);
    for (size_t i = 0; i < o->nvalues; i++)
        free(o->values[i]);
    free(o->values);
    free(o->check);
    free(o->after);
    free(o->time_inject);
    free(o->decay.from);
    for (size_t i = 0; i < o->nrubric; i++)
        l10n_free(&o->rubric[i].text);
    free(o->rubric);
    for (size_t i = 0; i < o->nhints; i++)
        l10n_free(&o->hints[i].text);
    free(o->hints);
}

static void check_fini(check *c)
{
    free(c->id);
    free(c->node);
    free(c->user);
    free(c->command);
    free(c->expect_output);
    for (size_t i = 0; i < c->nprobes; i++)
        check_fini(&c->probes[i]);
    free(c->probes);
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->id);
    for (size_t i = 0; i < s->nvariables; i++) {
        free(s->variables[i].name);
        for (size_t j = 0; j < s->variables[i].nchoices; j++)
            free(s->variables[i].choices[j]);
        free(s->variables[i].choices);
    }
    free(s->variables);
    l10n_free(&s->title);
    l10n_free(&s->description);
    free(s->level_name);
    for (size_t i = 0; i < s->nlanguages; i++)
        free(s->languages[i]);
    free(s->languages);
    free(s->default_language);
    for (size_t i = 0; i < s->nsegments; i++) {
        free(s->segments[i].name);
        l10n_free(&s->segments[i].title);
        free(s->segments[i].router);
    }
    free(s->segments);
    for (size_t i = 0; i < s->nimages; i++) {
        free(s->images[i].name);
        free(s->images[i].qcow2);
    }
    free(s->images);
    for (size_t i = 0; i < s->nnodes; i++) {
        node *n = &s->nodes[i];
        free(n->name);
        l10n_free(&n->title);
        free(n->image);
        for (size_t j = 0; j < n->ndns; j++)
            free(n->dns[j]);
        free(n->dns);
        for (size_t j = 0; j < n->nnics; j++)
            free(n->nics[j].segment);
        free(n->nics);
    }
    free(s->nodes);
    for (size_t i = 0; i < s->ninjects; i++) {
        inject *inj = &s->injects[i];
        free(inj->id);
        l10n_free(&inj->title);
        free(inj->after);
        condition_free(inj->when);
        free(inj->target);
        action_fini(&inj->action);
    }
    free(s->injects);
    for (size_t i = 0; i < s->nchecks; i++)
        check_fini(&s->checks[i]);
    free(s->checks);
    for (size_t i = 0; i < s->nobjectives; i++)
        objective_fini(&s->objectives[i]);
    free(s->objectives);
    for (size_t i = 0; i < s->npenalties; i++) {
        free(s->penalties[i].id);
        free(s->penalties[i].check);
        free(s->penalties[i].after);
    }
    free(s->penalties);
    for (size_t i = 0; i < s->nrequests; i++) {
        team_request *r = &s->requests[i];
        free(r->id);
        l10n_free(&r->title);
        l10n_free(&r->text);
        for (size_t j = 0; j < r->nfires; j++)
            free(r->fires[j]);
        free(r->fires);
        free(r->fires_pos);
    }
    free(s->requests);
    free(s->time_zone);
    free(s->locale);
    for (size_t i = 0; i < s->nusers; i++) {
        scenario_user *u = &s->users[i];
        free(u->name);
        free(u->password);
        l10n_free(&u->title);
        for (size_t j = 0; j < u->nnodes; j++)
            free(u->nodes[j]);
        free(u->nodes);
        free(u->node_pos);
    }
    free(s->users);
    free(s);
}

const node *scenario_node(const scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i].name && strcmp(s->nodes[i].name, name) == 0)
            return &s->nodes[i];
    return NULL;
}

char *scenario_mail_server(const scenario *s, const action *a, const node *via)
{
    if (!a->server)
        return NULL;
    const node *server = scenario_node(s, a->server);
    if (!server || strchr(a->server, '.') || strstr(a->server, "{{"))
        return xstrdup(a->server);
    for (size_t i = 0; via && i < via->nnics; i++)
        for (size_t j = 0; via->nics[i].segment_index >= 0 && j < server->nnics; j++)
            if (server->nics[j].segment_index == via->nics[i].segment_index)
                return xasprintf("{{addr %s %s}}", server->name, via->nics[i].segment);
    return xasprintf("{{addr %s}}", server->name);
}

int scenario_segment_index(const scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nsegments; i++)
        if (s->segments[i].name && strcmp(s->segments[i].name, name) == 0)
            return (int)i;
    return -1;
}

const inject *scenario_inject(const scenario *s, const char *id)
{
    for (size_t i = 0; i < s->ninjects; i++)
        if (s->injects[i].id && strcmp(s->injects[i].id, id) == 0)
            return &s->injects[i];
    return NULL;
}

const check *scenario_check(const scenario *s, const char *id)
{
    for (size_t i = 0; i < s->nchecks; i++)
        if (s->checks[i].id && strcmp(s->checks[i].id, id) == 0)
            return &s->checks[i];
    return NULL;
}

const custom_image *scenario_custom_image(const scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nimages; i++)
        if (s->images[i].name && strcmp(s->images[i].name, name) == 0)
            return &s->images[i];
    return NULL;
}

const objective *scenario_objective(const scenario *s, const char *id)
{
    for (size_t i = 0; id && i < s->nobjectives; i++)
        if (s->objectives[i].id && strcmp(s->objectives[i].id, id) == 0)
            return &s->objectives[i];
    return NULL;
}

unsigned scenario_segment_prefix(const scenario *s, int seg)
{
    if (seg >= 0 && (size_t)seg < s->nsegments && s->segments[seg].prefix)
        return s->segments[seg].prefix;
    return s->segment_prefix;
}

const scenario_variable *scenario_variable_named(const scenario *s, const char *name)
{
    for (size_t i = 0; name && i < s->nvariables; i++)
        if (s->variables[i].name && strcmp(s->variables[i].name, name) == 0)
            return &s->variables[i];
    return NULL;
}

const team_request *scenario_request(const scenario *s, const char *id)
{
    for (size_t i = 0; id && i < s->nrequests; i++)
        if (s->requests[i].id && strcmp(s->requests[i].id, id) == 0)
            return &s->requests[i];
    return NULL;
}

bool scenario_user_on_node(const scenario *s, const scenario_user *u, const node *n,
                           bool node_runs_linux)
{
    if (!u->nodes)
        return n->role != ROLE_RED && node_runs_linux;
    for (size_t i = 0; i < u->nnodes; i++)
        if (u->nodes[i] && n->name && strcmp(u->nodes[i], n->name) == 0)
            return true;
    return false;
}

const char *l10n_get(const l10n_text *t, const char *lang, const char *default_lang)
{
    if (!t || t->count == 0)
        return NULL;
    const char *want[] = {lang, default_lang, ""};
    for (size_t w = 0; w < 3; w++) {
        if (!want[w])
            continue;
        for (size_t i = 0; i < t->count; i++)
            if (strcmp(t->items[i].lang, want[w]) == 0)
                return t->items[i].text;
    }
    return t->items[0].text;
}

const char *node_role_name(node_role role)
{
    switch (role) {
    case ROLE_RED:
        return "red";
    case ROLE_GREY:
        return "grey";
    default:
        return "blue";
    }
}

const char *power_op_name(power_op op)
{
    switch (op) {
    case POWER_START:
        return "start";
    case POWER_REBOOT:
        return "reboot";
    default:
        return "stop";
    }
}
