// Header values on the wire are bytes; AuthStudio's text is Unicode. nginx, Dovecot and Nauthilus (Go) put UTF-8
// bytes in headers as they are; node hands each header byte over as one Latin-1 character and writes each
// character up to U+00FF as one byte. These two functions convert between the two views.

/**
 * Text -> the header value node sends as exactly its UTF-8 bytes (a Latin-1 string of those bytes).
 * @example toWireHeader('cärol') // 'cÃ¤rol' on the JS side, bytes 63 c3 a4 72 6f 6c on the wire
 */
export function toWireHeader(text: string): string {
  return /[^\u0000-\u007f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/**
 * A header value as node's parser gives it -> the text the client meant, read as UTF-8 ("cärol", not
 * "cÃ¤rol"). Bytes that are not valid UTF-8 become U+FFFD, as in a JSON body or Basic credentials: a password
 * sent in Latin-1 never equals its UTF-8 spelling (Nauthilus compares the bytes, which differ too).
 */
export function fromWireHeader(value: string): string {
  return /[\u0080-\u00ff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}
