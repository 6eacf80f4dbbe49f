/*
 * A grader's scores as a table for people or JSON for scripts: the same
 * report for live runs (`enshu run`) and recomputation (`enshu score`).
 */
#ifndef ENSHU_SCORE_REPORT_H
#define ENSHU_SCORE_REPORT_H

#include "grader.h"
#include "scenario.h"

#include <jansson.h>
#include <stdio.h>

json_t *score_report_json(const scenario *s, const grader *g);
void score_report_print(const scenario *s, const grader *g, FILE *out);

#endif
