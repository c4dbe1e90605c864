// Which counters a received packet moves, Linux's way (SPEC §1.4: every drop has a counter).
//
// The stack calls count_received() once per packet it is handed, with the parse result from
// wire::parse_packet (nullopt = parsed fine). It moves the counters Linux's receive path
// (ip_rcv_core, ip_local_deliver_finish, tcp_v4_rcv) would have moved by the time the segment
// reaches a socket lookup, so the stack does not repeat Linux's bookkeeping at each drop site:
//
//   every packet                              Ip InReceives, IpExt InOctets (+bytes)
//   kTruncated, kBadIpVersion, kBadIpHeaderLength   Ip InHdrErrors
//   kBadIpChecksum                            Ip InHdrErrors, IpExt InCsumErrors
//   kBadIpTotalLength                         IpExt InTruncatedPkts (Linux: total length >
//                                             bytes present; when it is < the header length
//                                             Linux counts InHdrErrors, but wire/ does not tell
//                                             the two apart, so synack counts the common case)
//   kFragment                                 Ip ReasmReqds, Ip ReasmFails, Synack
//                                             FragmentsDropped (Linux would reassemble)
//   kNotTcp                                   Ip InUnknownProtos
//   -- from here the packet reached TCP: Ip InDelivers and Tcp InSegs ("count it even if it's
//      bad", tcp_v4_rcv) --
//   kTcpTruncated                             Synack TcpTruncated (Linux: nothing more)
//   kBadDataOffset                            Tcp InErrs (Linux: doff < 5; doff past the end
//                                             counts nothing more there — one error code here)
//   kBadTcpChecksum                           Tcp InCsumErrors, Tcp InErrs
//   kBadOption                                Tcp InErrs, Synack BadTcpOptions (Linux accepts
//                                             such a segment and stops parsing options; SPEC §1.3
//                                             makes it invalid)
//   nullopt (good)                            Ip InDelivers, Tcp InSegs
//
// Single-threaded; a pure function of its arguments apart from the counters it bumps.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "stack/counters.h"
#include "wire/packet.h"

namespace synack::stack {

void count_received(Counters& counters, size_t packet_bytes, std::optional<wire::ParseError> error);

// The counters count_received() bumps for `error` beyond InReceives/InOctets, in the order above
// (at most 4). For documentation, tests and the CLI's "why was it dropped" view.
std::span<const Counter> counters_for(std::optional<wire::ParseError> error);

}  // namespace synack::stack
