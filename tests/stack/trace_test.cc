#include "stack/trace.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/trace_json.h"
#include "wire/packet.h"

namespace synack::stack {
namespace {

using namespace synack::literals;
using tcp::State;

struct Recorder final : TraceSink {
  std::vector<Event> events;
  void on_event(const Event& e) override { events.push_back(e); }
};

const TraceTuple kTuple{wire::Ipv4Address::from_octets(10, 0, 0, 1), 40000,
                        wire::Ipv4Address::from_octets(10, 0, 0, 2), 80};

TEST(Tracer, OffByDefaultAndCallsNothing) {
  Tracer t;
  EXPECT_FALSE(t.enabled());
  // With no sink these must be no-ops (a crash or sanitizer report would fail the test).
  t.state_change(Instant::zero(), kTuple, State::kClosed, State::kSynSent);
  t.timer_fired(Instant::zero(), kTuple, State::kSynSent, TimerKind::kRetransmit, 1);
  t.drop(Instant::zero(), kTuple, "TcpInCsumErrors");
  t.log(Instant::zero(), kTuple, LogMessage::kTooManyOrphans);
  t.emit(Event{});
}

TEST(Tracer, HelpersFillEvents) {
  Recorder rec;
  Tracer t(&rec);
  ASSERT_TRUE(t.enabled());
  const Instant t0 = Instant::zero() + 1_s;
  t.state_change(t0, kTuple, State::kSynSent, State::kEstablished);
  t.timer_fired(t0 + 3_s, kTuple, State::kSynSent, TimerKind::kRetransmit, 2);
  t.drop(t0, kTuple, "TcpExtPAWSEstab");
  t.abort(t0, kTuple, State::kEstablished, "SO_LINGER {on,0}");
  t.log(t0, kTuple, LogMessage::kSynFloodCookies);
  ASSERT_EQ(rec.events.size(), 5u);

  const Event& s = rec.events[0];
  EXPECT_EQ(s.kind, EventKind::kStateChange);
  EXPECT_EQ(s.at, t0);
  EXPECT_EQ(s.tuple, kTuple);
  EXPECT_EQ(s.old_state, State::kSynSent);
  EXPECT_EQ(s.new_state, State::kEstablished);

  const Event& tm = rec.events[1];
  EXPECT_EQ(tm.kind, EventKind::kTimerFired);
  EXPECT_EQ(tm.timer, TimerKind::kRetransmit);
  EXPECT_EQ(tm.value, 2u);
  EXPECT_EQ(tm.at, t0 + 3_s);

  EXPECT_EQ(rec.events[2].reason, "TcpExtPAWSEstab");
  EXPECT_EQ(rec.events[3].kind, EventKind::kAbort);
  EXPECT_EQ(rec.events[3].reason, "SO_LINGER {on,0}");
  EXPECT_EQ(rec.events[4].log, LogMessage::kSynFloodCookies);

  t.set_sink(nullptr);
  t.state_change(t0, kTuple, State::kEstablished, State::kFinWait1);
  EXPECT_EQ(rec.events.size(), 5u);
}

TEST(Tracer, LinuxLogWording) {
  Event e;
  e.kind = EventKind::kLog;
  e.tuple = {wire::Ipv4Address::from_octets(10, 0, 0, 2), 80,
             wire::Ipv4Address::from_octets(192, 0, 2, 7), 5555};
  e.log = LogMessage::kSynFloodCookies;
  // net/ipv4/tcp_input.c tcp_syn_flood_action (pr_fmt "TCP: ", proto = rsk_ops->slab_name).
  EXPECT_EQ(linux_log_text(e),
            "TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.2:80. Sending cookies.");
  e.log = LogMessage::kSynFloodDrop;
  EXPECT_EQ(linux_log_text(e),
            "TCP: request_sock_TCP: Possible SYN flooding on port 10.0.0.2:80. Dropping request.");
  e.log = LogMessage::kTooManyOrphans;
  EXPECT_EQ(linux_log_text(e), "TCP: too many orphaned sockets");
  e.log = LogMessage::kTimeWaitOverflow;
  EXPECT_EQ(linux_log_text(e), "TCP: time wait bucket table overflow");
}

TEST(TraceJson, OneObjectPerLineWithKindSpecificFields) {
  std::string out;
  JsonLinesSink sink(out);
  Tracer t(&sink);
  const Instant at = Instant::from_nanos(12'000'345'678);
  t.state_change(at, kTuple, State::kSynSent, State::kEstablished);
  t.timer_fired(at, kTuple, State::kTimeWait, TimerKind::kTimeWait);
  t.drop(at, kTuple, "TcpInCsumErrors");
  t.log(at, kTuple, LogMessage::kTimeWaitOverflow);
  const std::string prefix = "{\"t\":\"12.000345\",\"t_ns\":12000345678,\"kind\":";
  const std::string ends = ",\"local\":\"10.0.0.1:40000\",\"remote\":\"10.0.0.2:80\"";
  EXPECT_EQ(out, prefix + "\"state\"" + ends + ",\"from\":\"SYN-SENT\",\"to\":\"ESTABLISHED\"}\n" +
                     prefix + "\"timer\"" + ends +
                     ",\"state\":\"TIME-WAIT\",\"timer\":\"time_wait\",\"count\":0}\n" + prefix +
                     "\"drop\"" + ends + ",\"reason\":\"TcpInCsumErrors\"}\n" + prefix + "\"log\"" +
                     ends + ",\"message\":\"TCP: time wait bucket table overflow\"}\n");
}

TEST(TraceJson, SegmentsCarryTheTcpdumpSummary) {
  wire::Packet p;
  p.ip.src = kTuple.local_addr;
  p.ip.dst = kTuple.remote_addr;
  p.tcp.src_port = kTuple.local_port;
  p.tcp.dst_port = kTuple.remote_port;
  p.tcp.flags = wire::tcp_flags::kSyn;
  std::string out;
  JsonLinesSink sink(out);
  Tracer(&sink).segment_out(Instant::zero(), kTuple, State::kSynSent, p);
  const std::string summary = wire::to_string(p);
  ASSERT_NE(summary.find("Flags [S]"), std::string::npos) << summary;
  EXPECT_NE(out.find("\"kind\":\"out\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"state\":\"SYN-SENT\""), std::string::npos) << out;
  std::string quoted;
  append_json_string(quoted, summary);
  EXPECT_NE(out.find(",\"segment\":" + quoted + "}\n"), std::string::npos) << out;
}

TEST(TraceJson, EscapesPerRfc8259) {
  std::string out;
  constexpr char kRaw[] = "a\"b\\c\nd\te\rf\bg\fh\x01i\x1fj\x7f\xc3\xa9";
  append_json_string(out, std::string_view(kRaw, sizeof kRaw - 1));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i\\u001fj\x7f\xc3\xa9\"");
  std::string nul;
  append_json_string(nul, std::string_view("\0", 1));
  EXPECT_EQ(nul, "\"\\u0000\"");
  std::string empty;
  append_json_string(empty, "");
  EXPECT_EQ(empty, "\"\"");
}

TEST(TraceJson, EveryKindProducesOneLine) {
  for (int k = 0; k < kEventKindCount; ++k) {
    Event e;
    e.kind = static_cast<EventKind>(k);
    e.reason = "why \"quoted\"";
    e.log = LogMessage::kTooManyOrphans;
    const std::string line = to_json_line(e);
    SCOPED_TRACE(line);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.substr(line.size() - 2), "}\n");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_NE(line.find(std::string("\"kind\":\"") + std::string(to_string(e.kind)) + "\""),
              std::string::npos);
  }
  for (int k = 0; k < kTimerKindCount; ++k) {
    EXPECT_NE(to_string(static_cast<TimerKind>(k)), "?");
  }
}

}  // namespace
}  // namespace synack::stack
