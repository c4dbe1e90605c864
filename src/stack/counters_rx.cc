#include "stack/counters_rx.h"

#include <array>

namespace synack::stack {
namespace {

using C = Counter;
using E = wire::ParseError;

struct Row {
  std::array<Counter, 4> c;
  size_t n;
};

constexpr Row kGood = {{C::kIpInDelivers, C::kTcpInSegs}, 2};

// Indexed by wire::ParseError.
constexpr std::array<Row, wire::kParseErrorCount> kRows = {{
    /* kTruncated */ {{C::kIpInHdrErrors}, 1},
    /* kBadIpVersion */ {{C::kIpInHdrErrors}, 1},
    /* kBadIpHeaderLength */ {{C::kIpInHdrErrors}, 1},
    /* kBadIpTotalLength */ {{C::kIpExtInTruncatedPkts}, 1},
    /* kBadIpChecksum */ {{C::kIpInHdrErrors, C::kIpExtInCsumErrors}, 2},
    /* kFragment */ {{C::kIpReasmReqds, C::kIpReasmFails, C::kSynackFragmentsDropped}, 3},
    /* kNotTcp */ {{C::kIpInUnknownProtos}, 1},
    /* kTcpTruncated */ {{C::kIpInDelivers, C::kTcpInSegs, C::kSynackTcpTruncated}, 3},
    /* kBadDataOffset */ {{C::kIpInDelivers, C::kTcpInSegs, C::kTcpInErrs}, 3},
    /* kBadTcpChecksum */
    {{C::kIpInDelivers, C::kTcpInSegs, C::kTcpInCsumErrors, C::kTcpInErrs}, 4},
    /* kBadOption */ {{C::kIpInDelivers, C::kTcpInSegs, C::kTcpInErrs, C::kSynackBadTcpOptions}, 4},
}};
static_assert(static_cast<int>(E::kBadOption) == wire::kParseErrorCount - 1,
              "kRows must list every wire::ParseError in enum order");
static_assert(static_cast<int>(E::kBadIpTotalLength) == 3 && static_cast<int>(E::kFragment) == 5,
              "kRows follows wire::ParseError's order");

const Row& row_for(std::optional<wire::ParseError> error) {
  return error ? kRows[static_cast<size_t>(*error)] : kGood;
}

}  // namespace

void count_received(Counters& counters, size_t packet_bytes,
                    std::optional<wire::ParseError> error) {
  counters.inc(C::kIpInReceives);
  counters.add(C::kIpExtInOctets, packet_bytes);
  const Row& row = row_for(error);
  for (size_t i = 0; i < row.n; ++i)
    counters.inc(row.c[i]);
}

std::span<const Counter> counters_for(std::optional<wire::ParseError> error) {
  const Row& row = row_for(error);
  return {row.c.data(), row.n};
}

}  // namespace synack::stack
