/*
 * An HTML document printed to PDF by headless Chromium (`enshu report
 * --format pdf`): the one browser engine the consoles are tested with
 * prints what the HTML report shows, with no PDF code of our own.
 */
#ifndef ENSHU_REPORT_PDF_H
#define ENSHU_REPORT_PDF_H

#include <stddef.h>

/* The Chromium to run: $ENSHU_CHROMIUM when set, else chromium or
 * chromium-browser found on PATH; NULL when there is none (malloc'd). */
char *report_pdf_chromium(void);

/* Prints html (len bytes) with chromium into the file pdf_path, within
 * 120 s. Problems are reported on stderr after "enshu report: ";
 * ENSHU_OK, ENSHU_EIO or ENSHU_ETIMEOUT. Blocks: a command-line tool's. */
int report_pdf_print(const char *chromium, const char *html, size_t len, const char *pdf_path)
    __attribute__((warn_unused_result));

#endif
