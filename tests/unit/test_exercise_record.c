/* An exercise's record in its ledger: the scenario, team count and the
 * attachments of messages and mails (and file injects' sources) travel with the ledger, so it is
 * read whole without the scenario's files; an older ledger without attachments falls back to them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "exercise_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SCRIPT[] =
    "enshu: 1\nid: rec\ntitle: Record\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: mail, at: 1m, message: {from: a, subject: s, body: b, attachment: notice.bin}}\n"
    "  - {id: sent, at: 2m, mail: {from: a@corp.example, to: b@corp.example, subject: s,\n"
    "     body: b, via: ws, server: ws, attachments: [notice.bin, invoice.pdf]}}\n"
    "  - {id: drop, at: 3m, target: ws, file: {path: /tmp/invoice.pdf, source: invoice.pdf}}\n";
static const char INVOICE[] = "%PDF-1.4\n\0\x01 binary";
#define INVOICE_SIZE (sizeof INVOICE - 1)

/* Bytes a text reader would cut: a NUL and invalid UTF-8 among them. */
static const char ATTACHMENT[] = "PK\x03\x04\0\xff\xfe notice \xe3\x81\x82\n";
#define ATTACHMENT_SIZE (sizeof ATTACHMENT - 1)

typedef struct fixture {
    char dir[64];
    char *scenario_path, *attachment_path, *invoice_path, *ledger_path;
} fixture;

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof(fixture));
    strcpy(fx->dir, "/tmp/enshu-record-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->scenario_path = xasprintf("%s/rec.yaml", fx->dir);
    fx->attachment_path = xasprintf("%s/notice.bin", fx->dir);
    fx->invoice_path = xasprintf("%s/invoice.pdf", fx->dir);
    fx->ledger_path = xasprintf("%s/events.db", fx->dir);
    write_file(fx->invoice_path, INVOICE, INVOICE_SIZE);
    write_file(fx->scenario_path, SCRIPT, strlen(SCRIPT));
    write_file(fx->attachment_path, ATTACHMENT, ATTACHMENT_SIZE);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char *cmd = xasprintf("rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->scenario_path);
    free(fx->attachment_path);
    free(fx->invoice_path);
    free(fx->ledger_path);
    free(fx);
    return 0;
}

static const action *mail_action(const scenario *s)
{
    const inject *mail = scenario_inject(s, "mail");
    assert_non_null(mail);
    return &mail->action;
}

static void a_ledger_carries_its_attachments(void **state)
{
    fixture *fx = *state;
    scenario *s = scenario_load_reported(fx->scenario_path);
    assert_non_null(s);
    event_store *ledger;
    assert_int_equal(event_store_open(fx->ledger_path, true, &ledger), ENSHU_OK);
    assert_int_equal(exercise_record_write(ledger, fx->scenario_path, s, 3, NULL), ENSHU_OK);
    /* Bound once: the same count again is fine, another is refused. */
    assert_int_equal(exercise_record_write(ledger, fx->scenario_path, s, 3, NULL), ENSHU_OK);
    assert_int_equal(exercise_record_write(ledger, fx->scenario_path, s, 4, NULL), ENSHU_EINVAL);
    scenario_free(s);
    event_store_free(ledger);

    /* The scenario's files are gone: the ledger alone is the exercise. */
    assert_int_equal(unlink(fx->attachment_path), 0);
    assert_int_equal(unlink(fx->invoice_path), 0);
    assert_int_equal(unlink(fx->scenario_path), 0);
    assert_int_equal(event_store_open(fx->ledger_path, false, &ledger), ENSHU_OK);
    exercise_record rec;
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_OK);
    assert_int_equal(rec.teams, 3);
    assert_string_equal(rec.scenario_path, fx->scenario_path);
    const action *a = mail_action(rec.s);
    assert_int_equal(a->attachment_size, ATTACHMENT_SIZE);
    assert_memory_equal(a->attachment_content, ATTACHMENT, ATTACHMENT_SIZE);
    const action *sent = &scenario_inject(rec.s, "sent")->action;
    assert_int_equal(sent->nmail_files, 2);
    assert_int_equal(sent->mail_files[0].size, ATTACHMENT_SIZE);
    assert_memory_equal(sent->mail_files[0].content, ATTACHMENT, ATTACHMENT_SIZE);
    assert_string_equal(sent->mail_files[1].name, "invoice.pdf");
    assert_int_equal(sent->mail_files[1].size, INVOICE_SIZE);
    assert_memory_equal(sent->mail_files[1].content, INVOICE, INVOICE_SIZE);
    /* A file inject's source, bytes and all. */
    const action *drop = &scenario_inject(rec.s, "drop")->action;
    assert_string_equal(drop->source, "invoice.pdf");
    assert_false(drop->source_templated);
    assert_int_equal(drop->content_size, INVOICE_SIZE);
    assert_memory_equal(drop->content, INVOICE, INVOICE_SIZE);
    exercise_record_fini(&rec);
    exercise_record_fini(&rec); /* zeroed: a second time is harmless */
    event_store_free(ledger);
}

/* A ledger written before attachments were kept: they are read from the
 * files next to the scenario, and their absence is a clear error. */
static void an_older_ledger_reads_attachments_from_files(void **state)
{
    fixture *fx = *state;
    event_store *ledger;
    assert_int_equal(event_store_open(fx->ledger_path, true, &ledger), ENSHU_OK);
    assert_int_equal(event_store_set_meta(ledger, "scenario_yaml", SCRIPT), ENSHU_OK);
    assert_int_equal(event_store_set_meta(ledger, "scenario_path", fx->scenario_path), ENSHU_OK);
    assert_int_equal(event_store_set_meta(ledger, "teams", "2"), ENSHU_OK);
    exercise_record rec;
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_OK);
    assert_int_equal(rec.teams, 2);
    assert_null(rec.vars);
    assert_memory_equal(mail_action(rec.s)->attachment_content, ATTACHMENT, ATTACHMENT_SIZE);
    exercise_record_fini(&rec);

    assert_int_equal(unlink(fx->attachment_path), 0);
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_EINVAL);
    assert_null(rec.s);
    event_store_free(ledger);
}

static void a_ledger_without_an_exercise_is_told(void **state)
{
    fixture *fx = *state;
    event_store *ledger;
    assert_int_equal(event_store_open(fx->ledger_path, true, &ledger), ENSHU_OK);
    exercise_record rec;
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_ENOTFOUND);
    assert_null(rec.s);
    /* A damaged attachment with its file gone: the scenario does not load. */
    assert_int_equal(event_store_set_meta(ledger, "scenario_yaml", SCRIPT), ENSHU_OK);
    assert_int_equal(event_store_set_meta(ledger, "teams", "2"), ENSHU_OK);
    assert_int_equal(event_store_set_meta(ledger, "attachment/notice.bin", "%%%"), ENSHU_OK);
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_EINVAL);
    event_store_free(ledger);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_ledger_carries_its_attachments, setup, teardown),
        cmocka_unit_test_setup_teardown(an_older_ledger_reads_attachments_from_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_ledger_without_an_exercise_is_told, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
