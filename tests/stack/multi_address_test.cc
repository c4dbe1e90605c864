// A Stack with two local addresses (StackConfig::extra_addresses), driven packet by packet:
// which segments it accepts, from which source address it answers, and how bind(), connect()
// and IP_BIND_ADDRESS_NO_PORT choose the local address and port (SPEC §2.1, §10.1, §14).
//
// The peer is played by hand: each test builds the peer's segment, feeds it to the stack and
// checks the exact reply (addresses, ports, flags, sequence and acknowledgment numbers), the
// way a Linux host with a secondary address answers.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "stack/packet_output.h"
#include "stack/stack.h"
#include "tcp/tcb.h"
#include "wire/packet.h"

namespace synack {
namespace {

using namespace synack::literals;
using wire::Ipv4Address;
namespace f = wire::tcp_flags;

const Ipv4Address kA = Ipv4Address::from_octets(10, 0, 0, 1);  // primary
const Ipv4Address kB = Ipv4Address::from_octets(10, 0, 0, 3);  // extra
const Ipv4Address kPeer = Ipv4Address::from_octets(192, 0, 2, 7);
const Ipv4Address kPeer2 = Ipv4Address::from_octets(192, 0, 2, 8);

class Capture final : public PacketOutput {
 public:
  void transmit(std::span<const uint8_t> p, Instant) override {
    sent.emplace_back(p.begin(), p.end());
  }
  std::vector<std::vector<uint8_t>> sent;
};

class MultiAddress : public ::testing::Test {
 protected:
  MultiAddress() : stack_(StackConfig{.address = kA, .extra_addresses = {kB}}, 5, out_) {}

  // The peer's segment, no options, no payload.
  void inject(Ipv4Address src, uint16_t sport, Ipv4Address dst, uint16_t dport, uint8_t flags,
              uint32_t seq, uint32_t ack = 0) {
    wire::Packet p;
    p.ip.src = src;
    p.ip.dst = dst;
    p.tcp.src_port = sport;
    p.tcp.dst_port = dport;
    p.tcp.flags = flags;
    p.tcp.seq = wire::SeqNum{seq};
    p.tcp.ack = wire::SeqNum{ack};
    p.tcp.window = 65535;
    std::vector<uint8_t> bytes(wire::emitted_size(p));
    ASSERT_EQ(wire::emit_packet(p, bytes), bytes.size());
    stack_.input(bytes, now_);
  }

  // The one packet the stack sent since the last call (fails if not exactly one).
  wire::Packet sent_one() {
    EXPECT_EQ(out_.sent.size(), next_ + 1) << "packets sent since the last check";
    if (out_.sent.size() <= next_) return {};
    last_ = out_.sent[next_];
    next_ = out_.sent.size();
    auto p = wire::parse_packet(last_);
    EXPECT_TRUE(p.has_value());
    return p ? p.value() : wire::Packet{};
  }
  [[nodiscard]] size_t unclaimed() const { return out_.sent.size() - next_; }

  SocketId open() { return stack_.socket().value(); }
  SocketId listen_on(Endpoint local) {
    const SocketId l = open();
    EXPECT_EQ(stack_.bind(l, local), 0);
    EXPECT_EQ(stack_.listen(l, 16, now_), 0);
    return l;
  }
  void set_range(const char* r) {
    ASSERT_TRUE(stack_.sysctls().set("net.ipv4.ip_local_port_range", r).has_value());
  }
  // A socket bound to `addr` with IP_BIND_ADDRESS_NO_PORT, connected to `to`; returns its
  // connect() result.
  int connect_from(Ipv4Address addr, Endpoint to, SocketId* out = nullptr) {
    const SocketId s = open();
    EXPECT_EQ(stack_.set_option(s, SockOpt::kBindAddressNoPort, 1), 0);
    EXPECT_EQ(stack_.bind(s, Endpoint{addr, 0}), 0);
    if (out != nullptr) *out = s;
    return stack_.connect(s, to, now_);
  }

  // Plays the passive handshake of `peer` towards `local` and returns the accepted socket.
  SocketId handshake_to(SocketId listener, Endpoint peer, Endpoint local) {
    inject(peer.addr, peer.port, local.addr, local.port, f::kSyn, 1000);
    const wire::Packet sa = sent_one();
    EXPECT_EQ(sa.ip.src, local.addr);
    EXPECT_EQ(sa.ip.dst, peer.addr);
    EXPECT_EQ(sa.tcp.src_port, local.port);
    EXPECT_EQ(sa.tcp.flags, f::kSyn | f::kAck);
    EXPECT_EQ(sa.tcp.ack.raw(), 1001u);
    inject(peer.addr, peer.port, local.addr, local.port, f::kAck, 1001, sa.tcp.seq.raw() + 1);
    EXPECT_EQ(unclaimed(), 0u);
    auto a = stack_.accept(listener, now_);
    EXPECT_TRUE(a.has_value());
    return a ? a.value() : kNoSocket;
  }

  Capture out_;
  Stack stack_;
  Instant now_ = Instant::zero() + 1_s;
  size_t next_ = 0;
  std::vector<uint8_t> last_;
};

TEST_F(MultiAddress, EveryConfiguredAddressIsLocal) {
  EXPECT_TRUE(stack_.is_local_address(kA));
  EXPECT_TRUE(stack_.is_local_address(kB));
  EXPECT_FALSE(stack_.is_local_address(Ipv4Address::from_octets(10, 0, 0, 2)));
  EXPECT_FALSE(stack_.is_local_address(Ipv4Address::any()));
}

// An INADDR_ANY listener accepts on both addresses; each child's local address is the one the
// peer's SYN was sent to, and `ss` lists it so.
TEST_F(MultiAddress, AnyListenerAcceptsOnBothAddresses) {
  const SocketId l = listen_on(Endpoint{Ipv4Address::any(), 80});
  const SocketId a = handshake_to(l, Endpoint{kPeer, 5000}, Endpoint{kA, 80});
  const SocketId b = handshake_to(l, Endpoint{kPeer, 5001}, Endpoint{kB, 80});
  EXPECT_EQ(stack_.info(a)->local, (Endpoint{kA, 80}));
  EXPECT_EQ(stack_.info(b)->local, (Endpoint{kB, 80}));
  EXPECT_EQ(stack_.info(b)->state, tcp::State::kEstablished);
  int rows_on_b = 0;
  for (const SocketSnapshot& r : stack_.snapshot(now_))
    rows_on_b +=
        r.local_addr == kB && r.local_port == 80 && r.remote_addr == kPeer && r.remote_port == 5001
            ? 1
            : 0;
  EXPECT_EQ(rows_on_b, 1);
}

// A listener on one address does not answer SYNs to the other: that SYN belongs to no socket
// and is answered with RST+ACK from the address it was sent to (SPEC §10.1).
TEST_F(MultiAddress, ListenerOnOneAddressDoesNotAcceptOnTheOther) {
  const SocketId l = listen_on(Endpoint{kA, 80});
  inject(kPeer, 5000, kB, 80, f::kSyn, 1000);
  const wire::Packet rst = sent_one();
  EXPECT_EQ(rst.ip.src, kB);
  EXPECT_EQ(rst.ip.dst, kPeer);
  EXPECT_EQ(rst.tcp.src_port, 80);
  EXPECT_EQ(rst.tcp.dst_port, 5000);
  EXPECT_EQ(rst.tcp.flags, f::kRst | f::kAck);
  EXPECT_EQ(rst.tcp.seq.raw(), 0u);
  EXPECT_EQ(rst.tcp.ack.raw(), 1001u);
  EXPECT_EQ(stack_.request_count(), 0u);
  const SocketId a = handshake_to(l, Endpoint{kPeer, 5001}, Endpoint{kA, 80});
  EXPECT_EQ(stack_.info(a)->local, (Endpoint{kA, 80}));
  // A listener on the second address takes it; the first keeps its own.
  const SocketId l2 = listen_on(Endpoint{kB, 80});
  const SocketId b = handshake_to(l2, Endpoint{kPeer, 5002}, Endpoint{kB, 80});
  EXPECT_EQ(stack_.info(b)->local, (Endpoint{kB, 80}));
}

// An ACK to a port nobody uses on the second address: RST from that address, seq = the ACK's
// ack (RFC 9293 §3.10.7.1).
TEST_F(MultiAddress, ResetForNoSocketComesFromTheAddressUsed) {
  inject(kPeer, 6000, kB, 9999, f::kAck, 500, 77777);
  const wire::Packet rst = sent_one();
  EXPECT_EQ(rst.ip.src, kB);
  EXPECT_EQ(rst.ip.dst, kPeer);
  EXPECT_EQ(rst.tcp.src_port, 9999);
  EXPECT_EQ(rst.tcp.dst_port, 6000);
  EXPECT_EQ(rst.tcp.flags, f::kRst);
  EXPECT_EQ(rst.tcp.seq.raw(), 77777u);
  EXPECT_EQ(stack_.counters().value(stack::Counter::kTcpOutRsts), 1u);
}

// A packet for an address that is not ours is dropped and counted, not answered.
TEST_F(MultiAddress, ForeignDestinationIsACountedDrop) {
  (void)listen_on(Endpoint{Ipv4Address::any(), 80});
  inject(kPeer, 5000, Ipv4Address::from_octets(10, 0, 0, 9), 80, f::kSyn, 1000);
  EXPECT_EQ(unclaimed(), 0u);
  EXPECT_EQ(stack_.counters().value(stack::Counter::kIpInAddrErrors), 1u);
  EXPECT_EQ(stack_.request_count(), 0u);
}

// SYN cookies (tcp_syncookies = 2: always) on the second address: the cookie SYN+ACK comes
// from it and the cookie ACK makes a child bound to it.
TEST_F(MultiAddress, SynCookieOnTheSecondAddress) {
  ASSERT_TRUE(stack_.sysctls().set("net.ipv4.tcp_syncookies", "2").has_value());
  const SocketId l = listen_on(Endpoint{Ipv4Address::any(), 80});
  const SocketId b = handshake_to(l, Endpoint{kPeer, 5003}, Endpoint{kB, 80});
  EXPECT_EQ(stack_.counters().value(stack::Counter::kTcpExtSyncookiesSent), 1u);
  EXPECT_EQ(stack_.counters().value(stack::Counter::kTcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(stack_.info(b)->local, (Endpoint{kB, 80}));
}

// bind(): EADDRNOTAVAIL only for addresses that are not ours (Linux __inet_bind() checks the
// address before the socket's state).
TEST_F(MultiAddress, BindAcceptsEveryLocalAddressOnly) {
  const SocketId s = open();
  EXPECT_EQ(stack_.bind(s, Endpoint{Ipv4Address::from_octets(10, 0, 0, 2), 7000}), EADDRNOTAVAIL);
  EXPECT_EQ(stack_.bind(s, Endpoint{kB, 7000}), 0);
  EXPECT_EQ(stack_.info(s)->local, (Endpoint{kB, 7000}));
  EXPECT_EQ(stack_.bind(s, Endpoint{kA, 7001}), EINVAL);  // already bound
  EXPECT_EQ(stack_.bind(s, Endpoint{kPeer, 7001}), EADDRNOTAVAIL);
  // The same port on the other address is a different bind bucket entry: no conflict.
  EXPECT_EQ(stack_.bind(open(), Endpoint{kA, 7000}), 0);
  EXPECT_EQ(stack_.bind(open(), Endpoint{Ipv4Address::any(), 7000}), EADDRINUSE);
}

// connect() after bind(addr, port), bind(addr, 0) and no bind: the SYN's source address and
// port are the socket's.
TEST_F(MultiAddress, ConnectFromEachBoundAddress) {
  const Endpoint server{kPeer, 80};
  const SocketId s1 = open();
  ASSERT_EQ(stack_.bind(s1, Endpoint{kB, 7000}), 0);
  ASSERT_EQ(stack_.connect(s1, server, now_), EINPROGRESS);
  wire::Packet syn = sent_one();
  EXPECT_EQ(syn.ip.src, kB);
  EXPECT_EQ(syn.tcp.src_port, 7000);
  EXPECT_EQ(syn.tcp.flags, f::kSyn);

  const SocketId s2 = open();
  ASSERT_EQ(stack_.bind(s2, Endpoint{kB, 0}), 0);
  const uint16_t bound_port = stack_.info(s2)->local.port;
  EXPECT_NE(bound_port, 0);
  ASSERT_EQ(stack_.connect(s2, server, now_), EINPROGRESS);
  syn = sent_one();
  EXPECT_EQ(syn.ip.src, kB);
  EXPECT_EQ(syn.tcp.src_port, bound_port);

  const SocketId s3 = open();
  ASSERT_EQ(stack_.bind(s3, Endpoint{kA, 0}), 0);
  ASSERT_EQ(stack_.connect(s3, server, now_), EINPROGRESS);
  EXPECT_EQ(sent_one().ip.src, kA);

  const SocketId s4 = open();  // no bind: the primary address
  ASSERT_EQ(stack_.connect(s4, server, now_), EINPROGRESS);
  syn = sent_one();
  EXPECT_EQ(syn.ip.src, kA);
  EXPECT_EQ(stack_.info(s4)->local, (Endpoint{kA, syn.tcp.src_port}));

  // The server's SYN+ACK to the second address completes that connection.
  inject(kPeer, 80, kB, 7000, f::kSyn | f::kAck, 9000, stack_.connection_of(s1)->iss.raw() + 1);
  const wire::Packet ack = sent_one();
  EXPECT_EQ(ack.ip.src, kB);
  EXPECT_EQ(ack.tcp.flags, f::kAck);
  EXPECT_EQ(ack.tcp.ack.raw(), 9001u);
  EXPECT_EQ(stack_.info(s1)->state, tcp::State::kEstablished);
}

// One port in the range: a 4-tuple is unique per (local address, local port, remote address,
// remote port), so each local address may use it once towards the same destination.
TEST_F(MultiAddress, SameLocalPortFromTwoAddressesToOneDestination) {
  set_range("40000 40000");
  const Endpoint server{kPeer, 80};
  ASSERT_EQ(connect_from(kA, server), EINPROGRESS);
  wire::Packet syn = sent_one();
  EXPECT_EQ(syn.ip.src, kA);
  EXPECT_EQ(syn.tcp.src_port, 40000);
  ASSERT_EQ(connect_from(kB, server), EINPROGRESS);
  syn = sent_one();
  EXPECT_EQ(syn.ip.src, kB);
  EXPECT_EQ(syn.tcp.src_port, 40000);
  EXPECT_EQ(connect_from(kB, server), EADDRNOTAVAIL);
  EXPECT_EQ(stack_.connect(open(), server, now_), EADDRNOTAVAIL);  // primary: taken too
  EXPECT_EQ(unclaimed(), 0u);
  EXPECT_TRUE(stack_.state_of(Endpoint{kA, 40000}, server).has_value());
  EXPECT_TRUE(stack_.state_of(Endpoint{kB, 40000}, server).has_value());
}

// IP_BIND_ADDRESS_NO_PORT lets connections from one address to different destinations share
// a port; bind(addr, 0) without it reserves the port for every destination first, so the
// second bind() finds none (Linux inet_csk_find_open_port()).
TEST_F(MultiAddress, NoPortSharesAPortAcrossDestinationsBindZeroDoesNot) {
  set_range("40000 40000");
  ASSERT_EQ(connect_from(kB, Endpoint{kPeer, 80}), EINPROGRESS);
  EXPECT_EQ(sent_one().tcp.src_port, 40000);
  ASSERT_EQ(connect_from(kB, Endpoint{kPeer2, 80}), EINPROGRESS);
  wire::Packet syn = sent_one();
  EXPECT_EQ(syn.ip.src, kB);
  EXPECT_EQ(syn.ip.dst, kPeer2);
  EXPECT_EQ(syn.tcp.src_port, 40000);

  const SocketId x = open();
  ASSERT_EQ(stack_.bind(x, Endpoint{kA, 0}), 0);
  EXPECT_EQ(stack_.info(x)->local, (Endpoint{kA, 40000}));
  EXPECT_EQ(stack_.bind(open(), Endpoint{kA, 0}), EADDRINUSE);
  // And an autobind connect() skips a port a bind() holds.
  EXPECT_EQ(connect_from(kA, Endpoint{kPeer2, 80}), EADDRNOTAVAIL);
}

// The option itself: 0 by default, any state, any value; bind(addr, 0) then fixes only the
// address (the socket may be bound again, as Linux allows while inet_num is 0); bind() with a
// port ignores it; listen() picks the port on the bound address.
TEST_F(MultiAddress, BindAddressNoPortOption) {
  const SocketId s = open();
  EXPECT_EQ(stack_.get_option(s, SockOpt::kBindAddressNoPort).value(), 0);
  EXPECT_EQ(stack_.set_option(s, SockOpt::kBindAddressNoPort, 7), 0);
  EXPECT_EQ(stack_.get_option(s, SockOpt::kBindAddressNoPort).value(), 1);
  EXPECT_EQ(stack_.set_option(s, SockOpt::kBindAddressNoPort, -1), 0);
  EXPECT_EQ(stack_.get_option(s, SockOpt::kBindAddressNoPort).value(), 1);
  ASSERT_EQ(stack_.bind(s, Endpoint{kA, 0}), 0);
  EXPECT_EQ(stack_.info(s)->local, (Endpoint{kA, 0}));
  ASSERT_EQ(stack_.bind(s, Endpoint{kB, 0}), 0);
  EXPECT_EQ(stack_.info(s)->local, (Endpoint{kB, 0}));
  ASSERT_EQ(stack_.bind(s, Endpoint{kB, 7100}), 0);  // a port: taken now
  EXPECT_EQ(stack_.info(s)->local, (Endpoint{kB, 7100}));
  EXPECT_EQ(stack_.bind(s, Endpoint{kB, 7101}), EINVAL);
  EXPECT_EQ(stack_.bind(open(), Endpoint{kB, 7100}), EADDRINUSE);

  set_range("41000 41001");
  const SocketId l = open();
  ASSERT_EQ(stack_.set_option(l, SockOpt::kBindAddressNoPort, 1), 0);
  ASSERT_EQ(stack_.bind(l, Endpoint{kB, 0}), 0);
  ASSERT_EQ(stack_.listen(l, 8, now_), 0);
  const Endpoint at = stack_.info(l)->local;
  EXPECT_EQ(at.addr, kB);
  EXPECT_TRUE(at.port == 41000 || at.port == 41001) << at.port;
  const SocketId c = handshake_to(l, Endpoint{kPeer, 5004}, at);
  EXPECT_EQ(stack_.info(c)->local, at);
  // Connected: the option may still be changed (Linux sets it in any state).
  EXPECT_EQ(stack_.set_option(c, SockOpt::kBindAddressNoPort, 0), 0);
  EXPECT_EQ(stack_.get_option(c, SockOpt::kBindAddressNoPort).value(), 0);
}

}  // namespace
}  // namespace synack
