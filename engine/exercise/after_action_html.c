/*
 * The after-action report as one HTML document for people: the class
 * summary, then a section per team (its score and breakdown, a chart of
 * its score over time as inline SVG, its objectives with detection and
 * response times, its timeline, its reports). No script and nothing
 * fetched: it opens offline and prints as it shows (each team on a new
 * page), which is how the PDF is made.
 */
#include "after_action_format.h"

#include "errors.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

static const char STYLE[] =
    "body{font-family:'Noto Sans','Noto Sans CJK JP','Noto Sans Thai',sans-serif;"
    "color:#1d232b;margin:2em;font-size:14px}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #335;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.2em}"
    "th,td{border:1px solid #c8ccd2;padding:.25em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#eef0f4}td.n{text-align:right}.sub{color:#555}\n"
    "tr.inject td{background:#f4f6fb}tr.exercise td{background:#eee}"
    "tr.instructor td{background:#fbf7ee}\n"
    ".right{color:#176f2c;font-weight:bold}.wrong{color:#a12020;font-weight:bold}"
    ".hard{color:#a12020}\n"
    "pre{white-space:pre-wrap;background:#f7f7f7;border:1px solid #ddd;padding:.6em}\n"
    "blockquote{white-space:pre-wrap;border-left:3px solid #2456a6;margin:.3em 0 1em;"
    "padding:.2em .8em}p.feedback{margin-bottom:0}\n"
    "svg text{font-size:11px;fill:#444}\n"
    "section.team{break-before:page}\n"
    "@media print{body{margin:0}}\n";

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void td_time(FILE *out, int64_t ms, bool clock)
{
    char buf[40];
    if (clock)
        after_action_clock(ms, buf, sizeof buf);
    else
        after_action_duration(ms, buf, sizeof buf);
    fprintf(out, "<td class=\"n\">%s</td>", buf);
}

/* A deduction: "-N", or "0" for none. */
static void td_minus(FILE *out, int n)
{
    fprintf(out, n ? "<td class=\"n\">-%d</td>" : "<td class=\"n\">%d</td>", n);
}

/* "Team N", with the team's name when it has one. */
static void team_label(const after_action *aa, int team, FILE *out)
{
    fprintf(out, "Team %d", team);
    if (after_action_team_name(aa, team)) {
        fputs(": ", out);
        esc(out, after_action_team_name(aa, team));
    }
}

static int hint_cost_of(const after_action *aa, const team_score *ts)
{
    int cost = 0;
    for (size_t o = 0; o < aa->s->nobjectives; o++)
        cost += ts->objectives[o].hint_cost;
    return cost;
}

static int earned_of(const after_action *aa, const team_score *ts)
{
    int earned = 0;
    for (size_t o = 0; o < aa->s->nobjectives; o++)
        earned += ts->objectives[o].points;
    return earned;
}

/* An objective achieved by fewer than half the teams is marked hard. */
static bool hard(const after_action *aa, size_t o)
{
    return aa->summary[o].achieved * 2 < aa->nteams;
}

static void summary(const after_action *aa, FILE *out)
{
    fputs("<section id=\"class\">\n<h2>Class summary</h2>\n", out);
    fprintf(
        out, "<p>Scores of %u teams: lowest %d, median %g, highest %d (at most %d points).</p>\n",
        aa->nteams, aa->min_total, aa->median_total, aa->max_total, grader_max_points(aa->grader));
    fputs("<table class=\"ranking\">\n<tr><th>Rank</th><th>Team</th><th>Total</th>"
          "<th>Objectives</th><th>Hints</th><th>Penalties</th><th>Requests</th></tr>\n",
          out);
    /* In rank order; equal ranks by team number. */
    for (int rank = 1; rank <= (int)aa->nteams; rank++)
        for (unsigned t = 0; t < aa->nteams; t++) {
            if (aa->teams[t].rank != rank)
                continue;
            const team_score *ts = after_action_score(aa, aa->teams[t].team);
            fprintf(out, "<tr><td class=\"n\">%d</td><td><a href=\"#team-%d\">", rank,
                    aa->teams[t].team);
            team_label(aa, aa->teams[t].team, out);
            fprintf(out, "</a></td><td class=\"n\">%d</td><td class=\"n\">%d</td>", ts->total,
                    earned_of(aa, ts));
            td_minus(out, hint_cost_of(aa, ts));
            td_minus(out, ts->penalties);
            td_minus(out, ts->request_cost);
            fputs("</tr>\n", out);
        }
    fputs("</table>\n<h3>Objectives</h3>\n<table class=\"objectives\">\n<tr><th>Objective</th>"
          "<th>Kind</th><th>Points</th><th>Achieved by</th><th>Median detection</th>"
          "<th>Median response</th></tr>\n",
          out);
    for (size_t o = 0; o < aa->s->nobjectives; o++) {
        const aa_objective_summary *sum = &aa->summary[o];
        fputs("<tr><td>", out);
        esc(out, after_action_objective_title(aa, o));
        fprintf(out,
                "</td><td>%s</td><td class=\"n\">%d</td><td class=\"n%s\">%u of %u (%u%%)%s</td>",
                after_action_kind_name(aa->s->objectives[o].kind), aa->s->objectives[o].points,
                hard(aa, o) ? " hard" : "", sum->achieved, aa->nteams,
                aa->nteams ? sum->achieved * 100 / aa->nteams : 0, hard(aa, o) ? " hard" : "");
        td_time(out, (int64_t)sum->median_detection_ms, false);
        td_time(out, (int64_t)sum->median_response_ms, false);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n<p class=\"sub\">Detection: from the inject an objective relates to (its "
          "<code>after</code>, else its decay's <code>from</code>, else STARTEX) to the team's "
          "first answer, report, hint or the objective achieved. Response: to the first right "
          "answer, the passing check that scored, or the first report sent. Hard: achieved by "
          "fewer than half the teams.</p>\n</section>\n",
          out);
}

/* The team's score over exercise time, as steps, 0 until its first change. */
static void chart(const after_action *aa, const team_score *ts, FILE *out)
{
    const int W = 640, H = 200, L = 48, R = 12, T = 12, B = 28;
    int64_t end = aa->endex_ms > aa->last_ms ? aa->endex_ms : aa->last_ms;
    if (end <= 0)
        end = 1;
    int lo = 0, hi = grader_max_points(aa->grader);
    for (size_t h = 0; h < ts->nhistory; h++) {
        lo = ts->history[h].total < lo ? ts->history[h].total : lo;
        hi = ts->history[h].total > hi ? ts->history[h].total : hi;
    }
    if (hi == lo)
        hi = lo + 1;
#define X(ms) (L + (double)(ms) * (W - L - R) / (double)end)
#define Y(v) (T + (double)(hi - (v)) * (H - T - B) / (double)(hi - lo))
    fprintf(out,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Score over time\">\n",
            W, H, W, H);
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafbfc\" "
            "stroke=\"#c8ccd2\"/>\n",
            L, T, W - L - R, H - T - B);
    /* The lowest, 0 and the highest, each unless it would print over
     * another. */
    int ticks[] = {lo, 0, hi};
    for (int i = 0; i < 3; i++) {
        if ((i == 0 && Y(0) - Y(lo) < 14 && lo != 0) || (i == 1 && (lo == 0 || hi == 0)))
            continue;
        fprintf(out,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dde\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
                L, W - R, Y(ticks[i]), Y(ticks[i]), L - 4, Y(ticks[i]) + 4, ticks[i]);
    }
    for (int i = 0; i <= 4; i++) {
        char clock[40];
        int64_t at = end * i / 4; /* whole milliseconds */
        after_action_duration(at, clock, sizeof clock);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", X(at), H - 8,
                i == 0   ? "start"
                : i == 4 ? "end"
                         : "middle",
                clock);
    }
    fprintf(out, "<path fill=\"none\" stroke=\"#2456a6\" stroke-width=\"2\" d=\"M%.1f %.1f", X(0),
            Y(0));
    for (size_t h = 0; h < ts->nhistory; h++)
        fprintf(out, " H%.1f V%.1f", X(ts->history[h].at_ms), Y(ts->history[h].total));
    fprintf(out, " H%.1f\"/>\n</svg>\n", X(end));
#undef X
#undef Y
}

static void team_section(const after_action *aa, const aa_team *at, FILE *out)
{
    const scenario *s = aa->s;
    const team_score *ts = after_action_score(aa, at->team);
    fprintf(out, "<section class=\"team\" id=\"team-%d\">\n<h2>", at->team);
    team_label(aa, at->team, out);
    fputs("</h2>\n", out);
    if (after_action_team_organisation(aa, at->team)) {
        fputs("<p class=\"sub\">", out);
        esc(out, after_action_team_organisation(aa, at->team));
        fputs("</p>\n", out);
    }
    fprintf(out, "<p>Rank %d of %u with %d points: %d for objectives", at->rank, aa->nteams,
            ts->total, earned_of(aa, ts));
    if (hint_cost_of(aa, ts))
        fprintf(out, ", %d for hints", -hint_cost_of(aa, ts));
    if (ts->penalties)
        fprintf(out, ", %d in penalties", -ts->penalties);
    if (ts->request_cost)
        fprintf(out, ", %d for requests", -ts->request_cost);
    fputs(".</p>\n", out);
    if (at->nmembers) {
        fputs("<p>Members: ", out);
        for (size_t m = 0; m < at->nmembers; m++) {
            if (m)
                fputs(", ", out);
            esc(out, at->members[m].name);
        }
        fputs(".</p>\n", out);
    }
    fputs("<h3>Score over time</h3>\n", out);
    chart(aa, ts, out);

    fputs("<h3>Objectives</h3>\n<table class=\"objectives\">\n<tr><th>Objective</th>"
          "<th>Points</th><th>Achieved</th><th>Clock starts</th><th>Detection</th>"
          "<th>Response</th><th>Answers</th><th>Hints</th></tr>\n",
          out);
    for (size_t o = 0; o < s->nobjectives; o++) {
        const objective_score *os = &ts->objectives[o];
        const aa_objective *ao = &at->objectives[o];
        fputs("<tr><td>", out);
        esc(out, after_action_objective_title(aa, o));
        fprintf(out, "</td><td class=\"n\">%d/%d</td>", os->points, s->objectives[o].points);
        td_time(out, os->achieved ? os->achieved_ms : -1, true);
        char clock[40];
        after_action_clock(ao->start_ms, clock, sizeof clock);
        fprintf(out, "<td>%s ", clock);
        if (ao->start_inject)
            esc(out, after_action_inject_title(aa, ao->start_inject));
        else
            fputs("STARTEX", out);
        fputs("</td>", out);
        td_time(out, after_action_detection_ms(ao), false);
        td_time(out, after_action_response_ms(ao), false);
        fprintf(out, "<td class=\"n\">%d</td>", os->attempts);
        if (os->hints_taken)
            fprintf(out, "<td class=\"n\">%d (-%d)</td></tr>\n",
                    __builtin_popcountll(os->hints_taken), os->hint_cost);
        else
            fputs("<td class=\"n\">0</td></tr>\n", out);
    }
    fputs("</table>\n", out);

    fputs("<h3>Timeline</h3>\n<table class=\"timeline\">\n<tr><th>Time</th><th>Who</th>"
          "<th>What</th><th>By</th><th>Score</th></tr>\n",
          out);
    char what[600];
    for (size_t i = 0; i < at->nentries; i++) {
        const aa_entry *e = &at->entries[i];
        const char *side = after_action_entry_side(e);
        fprintf(out, "<tr class=\"%s\">", side);
        td_time(out, e->at_ms, true);
        fprintf(out, "<td>%s</td><td", side);
        if (e->outcome == AA_RIGHT || e->outcome == AA_WRONG)
            fprintf(out, " class=\"%s\"", after_action_outcome_name(e->outcome));
        fputc('>', out);
        esc(out, after_action_entry_what(aa, e, what, sizeof what));
        if (e->text && *e->text) {
            fputs(": <q>", out);
            esc(out, e->text);
            fputs("</q>", out);
        }
        fputs("</td><td>", out);
        esc(out, e->actor);
        fputs("</td><td class=\"n\">", out);
        if (e->delta)
            fprintf(out, "%+d = %d", e->delta, e->total);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);

    if (at->nreports) {
        fputs("<h3>Reports</h3>\n", out);
        for (size_t i = 0; i < at->nreports; i++) {
            const aa_report *r = &at->reports[i];
            char clock[40];
            after_action_clock(r->at_ms, clock, sizeof clock);
            fputs("<h4>", out);
            esc(out, after_action_objective_title(aa, r->objective));
            fprintf(out, ", %s", clock);
            if (r->actor) {
                fputs(", by ", out);
                esc(out, r->actor);
            }
            fputs("</h4>\n<pre>", out);
            esc(out, r->text);
            fputs("</pre>\n", out);
            for (size_t f = 0; f < at->nfeedback; f++) {
                const aa_feedback *fb = &at->feedback[f];
                if (fb->report_seq != r->seq)
                    continue;
                after_action_clock(fb->at_ms, clock, sizeof clock);
                fprintf(out, "<p class=\"feedback\">Feedback, %s", clock);
                if (fb->actor) {
                    fputs(", by ", out);
                    esc(out, fb->actor);
                }
                fputs(":</p>\n<blockquote>", out);
                esc(out, fb->text);
                fputs("</blockquote>\n", out);
            }
        }
    }
    fputs("</section>\n", out);
}

int after_action_write_html(const after_action *aa, int team, FILE *out)
{
    const scenario *s = aa->s;
    const char *title = after_action_text(aa, &s->title);
    if (!title || !*title)
        title = s->id;
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
            s->default_language ? s->default_language : "en");
    fputs("<title>After-action report: ", out);
    esc(out, title);
    fprintf(out,
            "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>After-action report: ", STYLE);
    esc(out, title);
    fputs("</h1>\n<p class=\"sub\">Scenario <code>", out);
    esc(out, s->id);
    fprintf(out, "</code>, %u teams", aa->nteams);
    if (aa->startex_wall_ms > 0) {
        time_t t = (time_t)(aa->startex_wall_ms / 1000);
        struct tm tm;
        char when[64];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
        fprintf(out, ", STARTEX %s", when);
    }
    if (aa->endex_ms >= 0) {
        char d[40];
        after_action_duration(aa->endex_ms, d, sizeof d);
        fprintf(out, ", ENDEX after %s", d);
    }
    fputs(".</p>\n", out);
    summary(aa, out);
    for (unsigned t = 0; t < aa->nteams; t++)
        if (!team || aa->teams[t].team == team)
            team_section(aa, &aa->teams[t], out);
    fputs("</body>\n</html>\n", out);
    return fflush(out) == 0 && !ferror(out) ? ENSHU_OK : ENSHU_EIO;
}
