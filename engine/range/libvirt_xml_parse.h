/*
 * libvirt's XML parsed safely into a libxml2 tree, for the readers of
 * libvirt_xml_read.c and warm_xml.c: no entity substitution, no DTD, no
 * network, errors left to the caller. Any thread (libxml2 is set up once).
 */
#ifndef ENSHU_LIBVIRT_XML_PARSE_H
#define ENSHU_LIBVIRT_XML_PARSE_H

#include <libxml/tree.h>

/* The document (xmlFreeDoc), or NULL when xml is NULL, does not parse, has
 * a DOCTYPE, or its root is not libvirt's element root_name. */
xmlDocPtr libvirt_xml_parse(const char *xml, const char *root_name);

#endif
