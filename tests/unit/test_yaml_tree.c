/* The YAML tree: positions, aliases, and the limits that refuse hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>

static ydoc *parse(const char *text, diag_list *d)
{
    return ydoc_parse("t.yaml", text, strlen(text), &YLIMITS_DEFAULT, d);
}

static void positions_are_one_based(void **state)
{
    diag_list *d = diag_list_new();
    ydoc *doc = parse("a: 1\nb:\n  - x\n  - {c: d}\n", d);
    assert_non_null(doc);
    assert_int_equal(d->count, 0);
    ynode *b = ymap_get(doc->root, "b");
    assert_int_equal(b->kind, YNODE_SEQ);
    assert_int_equal(b->nitems, 2);
    assert_int_equal(b->items[0]->line, 3);
    assert_int_equal(b->items[0]->col, 5);
    assert_string_equal(ymap_get(b->items[1], "c")->str, "d");
    ydoc_free(doc);
    diag_list_free(d);
}

static void aliases_share_nodes(void **state)
{
    diag_list *d = diag_list_new();
    ydoc *doc = parse("base: &b {x: 1}\ncopy: *b\n", d);
    assert_non_null(doc);
    assert_ptr_equal(ymap_get(doc->root, "base"), ymap_get(doc->root, "copy"));
    ydoc_free(doc);
    diag_list_free(d);
}

static void alias_bomb_is_refused(void **state)
{
    diag_list *d = diag_list_new();
    char *text = xstrdup("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    /* Nine levels of ten aliases each: 10^10 nodes once expanded. */
    const char names[] = "abcdefghij";
    for (int i = 1; names[i]; i++) {
        char p = names[i - 1];
        char *next = xasprintf("%s%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", text,
                               names[i], names[i], p, p, p, p, p, p, p, p, p, p);
        free(text);
        text = next;
    }
    ydoc *doc = parse(text, d);
    assert_null(doc);
    assert_int_equal(d->count, 1);
    assert_non_null(strstr(d->items[0].message, "expands to more than"));
    free(text);
    diag_list_free(d);
}

static void deep_nesting_is_refused(void **state)
{
    diag_list *d = diag_list_new();
    char text[1000];
    memset(text, '[', 500);
    text[500] = '\0';
    ydoc *doc = parse(text, d);
    assert_null(doc);
    assert_non_null(strstr(d->items[0].message, "nesting deeper than 64"));
    diag_list_free(d);
}

static void duplicate_keys_are_located(void **state)
{
    diag_list *d = diag_list_new();
    ydoc *doc = parse("a: 1\nb: 2\na: 3\n", d);
    assert_null(doc);
    assert_int_equal(d->items[0].line, 3);
    assert_int_equal(d->items[0].col, 1);
    assert_string_equal(d->items[0].message, "duplicate key 'a' (first given at line 1)");
    diag_list_free(d);
}

static void oversized_input_is_refused_before_parsing(void **state)
{
    diag_list *d = diag_list_new();
    ylimits small = YLIMITS_DEFAULT;
    small.max_bytes = 10;
    ydoc *doc = ydoc_parse("t.yaml", "a: 1234567890\n", 14, &small, d);
    assert_null(doc);
    assert_non_null(strstr(d->items[0].message, "limited to 10"));
    diag_list_free(d);
}

static void syntax_errors_are_located(void **state)
{
    diag_list *d = diag_list_new();
    ydoc *doc = parse("a: [1, 2\nb: 3\n", d);
    assert_null(doc);
    assert_int_equal(d->count, 1);
    assert_true(d->items[0].line >= 1);
    diag_list_free(d);
}

static void unknown_alias_and_second_document(void **state)
{
    diag_list *d = diag_list_new();
    assert_null(parse("a: *nope\n", d));
    assert_string_equal(d->items[0].message, "unknown anchor 'nope'");
    diag_list_free(d);
    d = diag_list_new();
    assert_null(parse("a: 1\n---\nb: 2\n", d));
    assert_string_equal(d->items[0].message, "only one YAML document is allowed per file");
    diag_list_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(positions_are_one_based),
        cmocka_unit_test(aliases_share_nodes),
        cmocka_unit_test(alias_bomb_is_refused),
        cmocka_unit_test(deep_nesting_is_refused),
        cmocka_unit_test(duplicate_keys_are_located),
        cmocka_unit_test(oversized_input_is_refused_before_parsing),
        cmocka_unit_test(syntax_errors_are_located),
        cmocka_unit_test(unknown_alias_and_second_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
