// libFuzzer target for the wire layer's edge: parse_packet on arbitrary bytes, with oracles
// that make a wrong answer as fatal as a crash (abort with the reason):
//
//   1. Checksums on or off must not change what a packet means: if the strict parse (default,
//      checksums verified) accepts, the lax parse accepts with identical fields; if the lax
//      parse refuses, so does the strict one. Random bytes almost never carry valid
//      checksums, so the lax parse is what lets the fuzzer reach the option parser.
//   2. Round trip: whatever the lax parse accepts, emit_packet writes (unless its options
//      need more than 40 bytes in Linux's layout — SACK blocks and timestamps packed without
//      NOPs can, and emit_packet must then refuse, writing nothing); the emitted bytes parse
//      with checksums verified (emit computes them), and every field equals the first parse.
//      Exceptions, on purpose: unknown options (skipped by parse, never emitted) and the IP
//      fields parse reports but emit recomputes (header length, total length, checksums).
//   3. Emitting the re-parsed packet gives the same bytes again (emit is a function of the
//      fields alone).
// to_string(Packet) also runs on every accepted packet, for its own crashes.
//
// Seed corpus: every packet of the Linux captures in tests/data, one file each
// (scripts/capture-test-vectors --corpus-only).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "wire/packet.h"

namespace {

using synack::wire::emit_packet;
using synack::wire::emitted_options_size;
using synack::wire::emitted_size;
using synack::wire::kTcpMaxOptions;
using synack::wire::Packet;
using synack::wire::parse_packet;
using synack::wire::ParseOptions;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "wire_parse_fuzz oracle failed: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

bool same_payload(const Packet& a, const Packet& b) {
  const auto& x = a.tcp.payload;
  const auto& y = b.tcp.payload;
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
}

// Every field a sender chooses. `ignore_unknown`: emit drops unknown options by design.
void check_same(const Packet& a, const Packet& b, bool ignore_unknown, bool parse_fields) {
  check(a.ip.tos == b.ip.tos, "ip.tos");
  check(a.ip.id == b.ip.id, "ip.id");
  check(a.ip.df == b.ip.df, "ip.df");
  check(a.ip.ttl == b.ip.ttl, "ip.ttl");
  check(a.ip.protocol == b.ip.protocol, "ip.protocol");
  check(a.ip.src == b.ip.src, "ip.src");
  check(a.ip.dst == b.ip.dst, "ip.dst");
  check(a.ip.more_fragments == b.ip.more_fragments, "ip.more_fragments");
  check(a.ip.fragment_offset == b.ip.fragment_offset, "ip.fragment_offset");
  if (parse_fields) {
    check(a.ip.header_length == b.ip.header_length, "ip.header_length");
    check(a.ip.total_length == b.ip.total_length, "ip.total_length");
    check(a.ip.checksum == b.ip.checksum, "ip.checksum");
    check(a.tcp_checksum == b.tcp_checksum, "tcp_checksum");
  }
  const auto& s = a.tcp;
  const auto& t = b.tcp;
  check(s.src_port == t.src_port, "tcp.src_port");
  check(s.dst_port == t.dst_port, "tcp.dst_port");
  check(s.seq == t.seq, "tcp.seq");
  check(s.ack == t.ack, "tcp.ack");
  check(s.flags == t.flags, "tcp.flags");
  check(s.window == t.window, "tcp.window");
  check(s.urgent == t.urgent, "tcp.urgent");
  auto so = s.options;
  auto to = t.options;
  if (ignore_unknown) so.unknown_count = to.unknown_count = 0;
  check(so == to, "tcp.options");
  check(same_payload(a, b), "tcp.payload");
}

std::vector<uint8_t> emit(const Packet& p) {
  std::vector<uint8_t> out(emitted_size(p));
  const size_t n = emit_packet(p, out);
  out.resize(n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes{data, size};
  const auto strict = parse_packet(bytes);
  const auto lax = parse_packet(bytes, ParseOptions{.verify_checksums = false});

  // Oracle 1.
  if (strict) {
    check(lax.has_value(), "strict parse accepted, lax parse refused");
    check_same(*strict, *lax, false, true);
    (void)synack::wire::to_string(*strict);
  }
  if (!lax) {
    check(!strict.has_value(), "lax parse refused, strict parse accepted");
    return 0;
  }

  // Oracle 2.
  const Packet& first = *lax;
  const std::vector<uint8_t> out = emit(first);
  if (out.empty()) {
    check(emitted_options_size(first.tcp.options) > kTcpMaxOptions || emitted_size(first) > 0xffff,
          "emit_packet refused a parsed packet whose options fit");
    return 0;
  }
  check(out.size() == emitted_size(first), "emit_packet wrote other than emitted_size()");
  const auto again = parse_packet(out);
  if (!again) fail("emitted packet does not parse with checksums verified");
  check_same(first, *again, true, false);

  // Oracle 3.
  check(emit(*again) == out, "re-emitting the re-parsed packet changed the bytes");
  return 0;
}
