/* trim.h: trim an emailed reply down to what its author wrote. */
#ifndef CONFAB_TRIM_H
#define CONFAB_TRIM_H

/*
 * text is the reply's body as UTF-8 with LF line ends (CR before LF is tolerated and
 * dropped), already decoded from MIME and format=flowed by the caller. Removed:
 *
 *  - the signature: from the first unquoted line that is exactly "-- " (RFC 3676 4.3);
 *    a bare "--" (the same separator after something stripped its space) only when at
 *    most four lines follow it;
 *  - a quoted original without '>' and all below it: Outlook's "-----Original
 *    Message-----" (and its translations) or its "From:/Sent:/To:/Subject:" block (with
 *    the "____" rule above it), or an "On <date> <time>, <name> wrote:" attribution that
 *    no quote follows (Yahoo and some mobile clients);
 *  - the trailing quote: quoted ('>') and blank lines after the last own line, with the
 *    attribution above it ("On ... wrote:", possibly wrapped onto two lines; "Am ...
 *    schrieb ...:", "Le ... a écrit :", "El ... escribió:", "Il ... ha scritto:",
 *    "Name wrote on <date>:", "Name wrote:");
 *  - mobile footers at the end ("Sent from my iPhone", "Get Outlook for Android", ...);
 *  - leading and trailing blank lines.
 *
 * Interleaved quotes (a quote followed by own text) stay; an attribution that
 * introduces them goes, as does the blank line after it. Returns a malloc'd string the
 * caller owns, each line ending in LF; "" if nothing of the author's own is left (the
 * mail was only quotes, attribution and signature), which the caller should refuse.
 */
char	*trim_reply(const char *text);

#endif
