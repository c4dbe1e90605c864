#include "stack/counters.h"

namespace synack::stack {
namespace {

constexpr std::array<CounterInfo, kCounterCount> kInfo = {{
#define SYNACK_COUNTER_INFO(group, name, kind, help) \
  {Counter::k##group##name,                          \
   CounterGroup::k##group,                           \
   CounterKind::kind,                                \
   #group,                                           \
   #name,                                            \
   #group #name,                                     \
   help},
    SYNACK_COUNTER_LIST(SYNACK_COUNTER_INFO)
#undef SYNACK_COUNTER_INFO
}};

bool is_estab_like(tcp::State s) {
  return s == tcp::State::kEstablished || s == tcp::State::kCloseWait;
}

}  // namespace

const CounterInfo& counter_info(Counter c) {
  return kInfo[static_cast<size_t>(c)];
}

std::string_view to_string(CounterGroup g) {
  switch (g) {
    case CounterGroup::kIp:
      return "Ip";
    case CounterGroup::kTcp:
      return "Tcp";
    case CounterGroup::kTcpExt:
      return "TcpExt";
    case CounterGroup::kIpExt:
      return "IpExt";
    case CounterGroup::kSynack:
      return "Synack";
  }
  return "?";
}

bool find_counter(std::string_view name, Counter& out) {
  for (const CounterInfo& info : kInfo) {
    const bool split_form =
        name.size() == info.group_name.size() + 1 + info.name.size() &&
        name.substr(0, info.group_name.size()) == info.group_name &&
        (name[info.group_name.size()] == ':' || name[info.group_name.size()] == '.') &&
        name.substr(info.group_name.size() + 1) == info.name;
    if (name == info.nstat_name || split_form) {
      out = info.id;
      return true;
    }
  }
  return false;
}

void Counters::count_state_change(tcp::State from, tcp::State to) {
  using tcp::State;
  if (from == to) return;
  // Linux tcp_set_state(): CurrEstab counts ESTABLISHED and CLOSE-WAIT.
  if (to == State::kEstablished && !is_estab_like(from)) inc(Counter::kTcpCurrEstab);
  if (to == State::kCloseWait && !is_estab_like(from)) inc(Counter::kTcpCurrEstab);
  if (is_estab_like(from) && !is_estab_like(to)) dec(Counter::kTcpCurrEstab);
  if (to == State::kClosed) {
    if (is_estab_like(from)) inc(Counter::kTcpEstabResets);
    // Linux tcp_done(): a full socket dying in SYN-SENT or SYN-RECV.
    if (from == State::kSynSent || from == State::kSynReceived) inc(Counter::kTcpAttemptFails);
  }
}

Counters counters_delta(const Counters& after, const Counters& before) {
  Counters d;
  for (const CounterInfo& info : kInfo) {
    const uint64_t a = after.value(info.id);
    const uint64_t b = before.value(info.id);
    if (info.kind == CounterKind::kGauge || a < b) {
      d.set(info.id, a);
    } else {
      d.set(info.id, a - b);
    }
  }
  return d;
}

}  // namespace synack::stack
