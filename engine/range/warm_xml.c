/*
 * The domain XML of a warm restore (see warm_xml.h).
 */
#include "warm_xml.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_xml.h"
#include "libvirt_xml_parse.h"

#include <libxml/tree.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_element(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr first_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* The children of parent named name (at most max), in order; returns how many. */
static size_t children(xmlNodePtr parent, const char *name, xmlNodePtr *out, size_t max)
{
    size_t n = 0;
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_element(c, name)) {
            if (n < max)
                out[n] = c;
            n++;
        }
    return n;
}

static void remove_children(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c = parent ? parent->children : NULL;
    while (c) {
        xmlNodePtr next = c->next;
        if (is_element(c, name)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
}

/* Replaces to's children named name with copies of all of from's. */
static void replace_all(xmlDocPtr doc, xmlNodePtr to, xmlNodePtr from, const char *name,
                        xmlNodePtr anchor)
{
    remove_children(to, name);
    for (xmlNodePtr c = from->children; c; c = c->next)
        if (is_element(c, name)) {
            xmlNodePtr copy = xmlDocCopyNode(c, doc, 1);
            if (anchor)
                xmlAddNextSibling(anchor, copy);
            else
                xmlAddChild(to, copy);
            anchor = copy;
        }
}

#define MAX_DEVICES 64

static xmlNodePtr first_disk(xmlNodePtr devices)
{
    for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
        if (!is_element(c, "disk"))
            continue;
        xmlChar *dev = xmlGetProp(c, (const xmlChar *)"device");
        bool disk = !dev || strcmp((const char *)dev, "disk") == 0;
        xmlFree(dev);
        if (disk)
            return c;
    }
    return NULL;
}

static void set_child_copy(xmlDocPtr doc, xmlNodePtr to, xmlNodePtr from, const char *name)
{
    remove_children(to, name);
    xmlNodePtr src = first_child(from, name);
    if (src)
        xmlAddChild(to, xmlDocCopyNode(src, doc, 1));
}

static int rewrite(xmlDocPtr doc, xmlDocPtr plan)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), proot = xmlDocGetRootElement(plan);
    xmlNodePtr name = first_child(root, "name");
    if (!name || !first_child(proot, "name"))
        return ENSHU_EINVAL;
    /* name and uuid at their place, the rest after them */
    xmlNodePtr pname = xmlDocCopyNode(first_child(proot, "name"), doc, 1);
    remove_children(root, "uuid");
    xmlAddPrevSibling(name, pname);
    xmlUnlinkNode(name);
    xmlFreeNode(name);
    xmlNodePtr anchor = pname;
    if (first_child(proot, "uuid")) {
        xmlNodePtr u = xmlDocCopyNode(first_child(proot, "uuid"), doc, 1);
        xmlAddNextSibling(pname, u);
        anchor = u;
    }
    replace_all(doc, root, proot, "sysinfo", anchor);

    xmlNodePtr os = first_child(root, "os"), pos = first_child(proot, "os");
    if (os && pos && first_child(pos, "cmdline"))
        set_child_copy(doc, os, pos, "cmdline");

    xmlNodePtr dev = first_child(root, "devices"), pdev = first_child(proot, "devices");
    xmlNodePtr nics[MAX_DEVICES], pnics[MAX_DEVICES];
    size_t n = children(dev, "interface", nics, MAX_DEVICES);
    if (n > MAX_DEVICES || n != children(pdev, "interface", pnics, MAX_DEVICES))
        return ENSHU_EINVAL;
    for (size_t i = 0; i < n; i++) {
        set_child_copy(doc, nics[i], pnics[i], "mac");
        set_child_copy(doc, nics[i], pnics[i], "source");
        set_child_copy(doc, nics[i], pnics[i], "filterref");
        /* the host side's tap is the new domain's own */
        remove_children(nics[i], "target");
    }
    xmlNodePtr disk = first_disk(dev), pdisk = first_disk(pdev);
    if (!disk != !pdisk)
        return ENSHU_EINVAL;
    if (disk) {
        xmlNodePtr src = first_child(disk, "source"), psrc = first_child(pdisk, "source");
        if (!src || !psrc)
            return ENSHU_EINVAL;
        xmlAddPrevSibling(src, xmlDocCopyNode(psrc, doc, 1));
        xmlUnlinkNode(src);
        xmlFreeNode(src);
        remove_children(disk, "backingStore");
    }
    return ENSHU_OK;
}

int warm_copy_xml(const char *saved_xml, const char *planned_xml, char **out)
{
    *out = NULL;
    xmlDocPtr doc = libvirt_xml_parse(saved_xml, "domain"),
              plan = libvirt_xml_parse(planned_xml, "domain");
    int rc = doc && plan ? rewrite(doc, plan) : ENSHU_EINVAL;
    if (rc == ENSHU_OK) {
        xmlChar *buf = NULL;
        int len = 0;
        xmlDocDumpFormatMemory(doc, &buf, &len, 0);
        /* Without the <?xml ...?> declaration, as libvirt writes it. */
        const char *text = (const char *)buf;
        if (text && strncmp(text, "<?xml", 5) == 0) {
            const char *end = strstr(text, "?>");
            text = end ? end + 2 : text;
            while (*text == '\n')
                text++;
        }
        *out = text ? xstrdup(text) : NULL;
        xmlFree(buf);
        rc = *out ? ENSHU_OK : ENSHU_EINVAL;
    }
    if (doc)
        xmlFreeDoc(doc);
    if (plan)
        xmlFreeDoc(plan);
    return rc;
}

int warm_xml_macs(const char *xml, char ***macs)
{
    *macs = NULL;
    xmlDocPtr doc = libvirt_xml_parse(xml, "domain");
    if (!doc)
        return ENSHU_EINVAL;
    xmlNodePtr dev = first_child(xmlDocGetRootElement(doc), "devices");
    xmlNodePtr nics[MAX_DEVICES];
    size_t n = children(dev, "interface", nics, MAX_DEVICES);
    if (n > MAX_DEVICES)
        n = MAX_DEVICES;
    char **list = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        xmlChar *a = xmlGetProp(first_child(nics[i], "mac"), (const xmlChar *)"address");
        list[k++] = xstrdup(a ? (const char *)a : "");
        xmlFree(a);
    }
    xmlFreeDoc(doc);
    *macs = list;
    return (int)k;
}

char *warm_template_key(const char *image_sha256, const char *shape_xml)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)image_sha256, strlen(image_sha256));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)shape_xml, strlen(shape_xml));
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    char *hex = xmalloc(2 * sizeof h + 1);
    sodium_bin2hex(hex, 2 * sizeof h + 1, h, sizeof h);
    return hex;
}
