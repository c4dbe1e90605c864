// Byte-level codec for the TCP option list (SPEC §1.3, §1.3.1). Internal to wire/: the rest
// of synack sees options only as TcpOptions, through parse_packet() and emit_packet().
//
// Parsing (receiver's view, RFC 9293 §3.1, Linux tcp_parse_options):
//  - EOL ends the list; anything after it is padding and is not looked at.
//  - A length byte of 0 or 1, a length byte missing at the end of the header, or an option
//    running past the header makes the whole list invalid (SPEC §1.3: the segment is
//    dropped). Linux merely stops parsing there; SPEC §1.3 asks for the stricter rule.
//  - A known kind with the wrong length (MSS != 4, WS != 3, SACK-permitted != 2, TS != 10,
//    SACK not 2 + 8n with n in 1..4) is invalid too (Linux silently ignores such options;
//    SPEC §1.4 wants a named drop instead).
//  - Fast Open is the exception, deliberately liberal like Linux tcp_parse_fastopen_option:
//    a cookie is valid when it is empty (a cookie request) or 4..16 bytes long and even
//    (RFC 7413 §4.1.1 gives 4..16; Linux also requires an even length). Any other cookie
//    length does not invalidate the segment: the option is skipped and counted in
//    unknown_count, so the SYN is handled as one without Fast Open, as Linux does with its
//    "invalid cookie" (foc->len = -1). Kind 254 is Fast Open only with magic 0xF989 in its
//    first two data bytes; other kind-254 options are unknown and skipped by length.
//  - Duplicates: the last occurrence wins, as in Linux (tcp_parse_options overwrites).
//  - Values are reported raw: MSS 0 or a window scale above 14 are passed on unchanged;
//    whether an option is meaningful on this segment (MSS, WS, SACK-permitted and Fast Open
//    only count on a SYN) is for tcp/ to decide.
//
// Emitting writes Linux's tcp_options_write layout byte for byte; see write_tcp_options().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/tcp_segment.h"

namespace synack::wire {

// Decodes an option list (the bytes between the fixed TCP header and the data). Returns
// false if the list is malformed (-> ParseError::kBadOption). `out` is reset first.
[[nodiscard]] bool parse_tcp_options(std::span<const uint8_t> bytes, TcpOptions& out);

// True if `o` can be emitted: at most 4 SACK blocks, cookie at most 16 bytes, and the whole
// list at most 40 bytes.
[[nodiscard]] bool tcp_options_emittable(const TcpOptions& o);

// Writes the options in Linux's order; `out` must hold emitted_options_size(o) bytes and `o`
// must be emittable. Returns the number of bytes written.
size_t write_tcp_options(const TcpOptions& o, uint8_t* out);

}  // namespace synack::wire
