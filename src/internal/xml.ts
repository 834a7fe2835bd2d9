import { XMLParser } from 'fast-xml-parser';
import { ValidationError } from '../errors.js';

const badXml = (reason: string, message: string) => new ValidationError('ERR_INPUT_INVALID', 'xml', reason, message);

/**
 * Characters XML 1.0 can carry (§2.2). Anything else — most C0 controls, lone surrogates, U+FFFE/F —
 * cannot be escaped at all, so text holding one is refused rather than silently changed.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/**
 * Escape text for an element's content: `&`, `<`, `>`, quotes, and CR as `&#13;` (a literal CR
 * would be turned into LF by every XML parser's end-of-line handling, XML 1.0 §2.11).
 */
export function escapeXml(text: string): string {
  if (typeof text !== 'string') throw badXml('invalid_type', 'element text must be a string');
  if (NOT_XML_CHAR.test(text)) throw badXml('not_xml_char', 'text contains a character XML 1.0 cannot carry');
  return text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!);
}

/** An element tree to serialise: text, or ordered children. Names are trusted (our own constants). */
export type XmlNode = string | ReadonlyArray<readonly [name: string, node: XmlNode]>;

/** Serialise children under `prefix:` with escaped text; element names come from code, never from input. */
export function toXml(prefix: string, children: ReadonlyArray<readonly [string, XmlNode]>): string {
  if (!Array.isArray(children)) throw badXml('invalid_type', 'children must be an array of [name, text | children] pairs');
  let out = '';
  for (const child of children) {
    if (!Array.isArray(child)) throw badXml('invalid_type', 'each child must be a [name, text | children] pair');
    const [name, node] = child as [unknown, XmlNode];
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw badXml('not_xml_name', 'an element name is not an XML name');
    out += `<${prefix}:${name}>${typeof node === 'string' ? escapeXml(node) : toXml(prefix, node)}</${prefix}:${name}>`;
  }
  return out;
}

const parser = new XMLParser({
  removeNSPrefix: true, // qldc:, soapenv:, S:, … whatever prefix the gateway binds
  ignoreAttributes: true,
  parseTagValue: false, // every value stays a string; zod decides what it means
  parseAttributeValue: false,
  trimValues: false, // names round-trip exactly
  processEntities: { enabled: true, maxEntityCount: 0 }, // predefined entities only: no DTD-declared ones
  htmlEntities: true, // character references (&#7877;), which gateways use for Vietnamese letters
});

/**
 * Parse a SOAP message into plain objects (namespace prefixes removed, values as strings). A DTD is
 * refused outright: SOAP 1.1 forbids it, and it is how entity-expansion attacks arrive.
 */
export function parseXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE/i.test(text)) throw badXml('dtd', 'a SOAP message must not contain a DTD');
  return parser.parse(text, true) as Record<string, unknown>;
}
