/*
 * Reads the facts Enshu needs from the XML libvirt returns (see
 * libvirt_xml.h): parsed with libxml2 into a tree, walked along libvirt's
 * schema from the root, so that an attribute's quoting, order, escaping or
 * an element elsewhere in the document cannot fool a reader.
 */
#include "libvirt_xml.h"
#include "libvirt_xml_parse.h"
#include "alloc.h"
#include "errors.h"
#include "units.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libxml2 wants its global state set up once, before threads parse. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_parser(void)
{
    xmlInitParser();
}

xmlDocPtr libvirt_xml_parse(const char *xml, const char *root_name)
{
    if (!xml)
        return NULL;
    pthread_once(&init_once, init_parser);
    size_t len = strlen(xml);
    if (len > INT32_MAX)
        return NULL;
    /* No entity substitution, no DTD loading, no network; errors are ours
     * to report, not printed by libxml2. */
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "libvirt.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset || !root || root->ns ||
        strcmp((const char *)root->name, root_name) != 0) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* Whether elem is libvirt's element name (no namespace). */
static bool is_element(const xmlNode *elem, const char *name)
{
    return elem->type == XML_ELEMENT_NODE && !elem->ns &&
           strcmp((const char *)elem->name, name) == 0;
}

/* The first child of parent that is libvirt's element name, or NULL. */
static xmlNodePtr child(const xmlNode *parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* Attribute name (no namespace) of elem, unescaped, or NULL (caller frees
 * with xmlFree). */
static char *attr(const xmlNode *elem, const char *name)
{
    return (char *)xmlGetNoNsProp(elem, (const xmlChar *)name);
}

static bool attr_is(const xmlNode *elem, const char *name, const char *value)
{
    char *v = attr(elem, name);
    bool same = v && strcmp(v, value) == 0;
    xmlFree(v);
    return same;
}

/* libvirt's prefix of an <ip>: prefix if above 0, else the netmask's, else
 * the address class's (virNetworkIPDefPrefix). -1 when it has none. */
static int ip_prefix(const xmlNode *ip, uint32_t addr)
{
    char *text = attr(ip, "prefix");
    if (text) {
        char *end;
        long p = strtol(text, &end, 10);
        bool ok = *text && !*end && p >= 0 && p <= 32;
        xmlFree(text);
        if (!ok)
            return -1;
        if (p > 0)
            return (int)p;
    }
    text = attr(ip, "netmask");
    if (text) {
        uint32_t mask;
        int ok = parse_ipv4(text, &mask);
        xmlFree(text);
        if (ok < 0)
            return -1;
        int p = 0;
        while (p < 32 && (mask & (0x80000000u >> p)))
            p++;
        return p;
    }
    unsigned octet = addr >> 24;
    return (octet & 0x80) == 0 ? 8 : (octet & 0xc0) == 0x80 ? 16 : (octet & 0xe0) == 0xc0 ? 24 : -1;
}

int libvirt_network_ipv4_nets(const char *xml, ipv4_net_list *out)
{
    xmlDocPtr doc = libvirt_xml_parse(xml, "network");
    if (!doc)
        return ENSHU_EINVAL;
    for (xmlNodePtr ip = xmlDocGetRootElement(doc)->children; ip; ip = ip->next) {
        if (!is_element(ip, "ip"))
            continue;
        char *family = attr(ip, "family");
        bool ipv4 = !family || strcmp(family, "ipv4") == 0;
        xmlFree(family);
        char *text = attr(ip, "address");
        uint32_t addr;
        int ok = ipv4 && text ? parse_ipv4(text, &addr) : ENSHU_EINVAL;
        xmlFree(text);
        if (ok < 0)
            continue; /* IPv6 or unreadable */
        int prefix = ip_prefix(ip, addr);
        if (prefix >= 0)
            ipv4_net_list_add(out, addr, (unsigned)prefix);
    }
    xmlFreeDoc(doc);
    return ENSHU_OK;
}

char *libvirt_domain_disk_file(const char *xml)
{
    xmlDocPtr doc = libvirt_xml_parse(xml, "domain");
    if (!doc)
        return NULL;
    char *path = NULL;
    xmlNodePtr devices = child(xmlDocGetRootElement(doc), "devices");
    for (xmlNodePtr disk = devices ? devices->children : NULL; disk && !path; disk = disk->next) {
        if (!is_element(disk, "disk") || !attr_is(disk, "type", "file"))
            continue;
        char *device = attr(disk, "device");
        bool is_disk = !device || strcmp(device, "disk") == 0; /* the schema's default */
        xmlFree(device);
        xmlNodePtr source = is_disk ? child(disk, "source") : NULL;
        char *file = source ? attr(source, "file") : NULL;
        if (file && *file)
            path = xstrdup(file);
        xmlFree(file);
    }
    xmlFreeDoc(doc);
    return path;
}

/* libxml2 fails only when memory runs out: abort, as alloc.h does. */
static void out_of_memory(void)
{
    fputs("enshu: out of memory (building libvirt XML)\n", stderr);
    abort();
}

/* The interface element iface with its <link> replaced by one with state,
 * serialized as a document of its own (namespaces it uses declared on it). */
static char *with_link(const xmlNode *iface, const char *state)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr copy = xmlDocCopyNode((xmlNodePtr)iface, doc, 1);
    if (!doc || !copy)
        out_of_memory();
    xmlDocSetRootElement(doc, copy);
    for (xmlNodePtr c = copy->children, next; c; c = next) {
        next = c->next;
        if (is_element(c, "link")) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    xmlNodePtr link = xmlNewChild(copy, NULL, (const xmlChar *)"link", NULL);
    if (!link || !xmlNewProp(link, (const xmlChar *)"state", (const xmlChar *)state))
        out_of_memory();
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf || xmlNodeDump(buf, doc, copy, 0, 0) < 0)
        out_of_memory();
    char *text = xstrdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return text;
}

int libvirt_domain_link_updates(const char *xml, const char *network, bool up, char ***updates)
{
    *updates = NULL;
    xmlDocPtr doc = libvirt_xml_parse(xml, "domain");
    if (!doc)
        return ENSHU_EINVAL;
    char **list = xcalloc(1, sizeof *list);
    size_t count = 0, cap = 1;
    xmlNodePtr devices = child(xmlDocGetRootElement(doc), "devices");
    for (xmlNodePtr iface = devices ? devices->children : NULL; iface; iface = iface->next) {
        if (!is_element(iface, "interface"))
            continue;
        xmlNodePtr source = child(iface, "source");
        if (!source || !attr_is(source, "network", network))
            continue;
        XGROW(list, cap, count + 2);
        list[count++] = with_link(iface, up ? "up" : "down");
        list[count] = NULL;
    }
    xmlFreeDoc(doc);
    *updates = list;
    return (int)count;
}

void libvirt_xml_strings_free(char **strings)
{
    for (char **s = strings; s && *s; s++)
        free(*s);
    free(strings);
}
