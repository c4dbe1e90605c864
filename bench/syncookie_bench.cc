// SYN cookie and Fast Open cookie costs (SPEC §6, §13; issue 4 asks for the "SYN-with-cookie
// processing rate", SYNs/s on one core). Only the cookie computation is measured here — two
// SipHash-2-4 calls to encode, two to decode, plus the TSval option bits; the listener's
// parsing and SYN+ACK emission come on top. Run from a Release build:
//   build/<dir>/bench/syncookie_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "base/rng.h"
#include "tcp/fastopen.h"
#include "tcp/fastopen_cache.h"
#include "tcp/syncookie.h"
#include "tcp/tcb.h"

namespace synack::tcp {
namespace {

using wire::Ipv4Address;
using wire::SeqNum;

// Spoofed-looking SYNs: random sources, ports and ISNs, drawn before timing.
struct Syn {
  FourTuple tuple;
  SeqNum isn;
  uint16_t mss;
};

std::vector<Syn> make_syns(size_t n) {
  Rng rng{42};
  std::vector<Syn> v(n);
  for (Syn& s : v) {
    s.tuple.local_addr = Ipv4Address::from_octets(10, 0, 0, 1);
    s.tuple.local_port = 80;
    s.tuple.remote_addr = Ipv4Address{rng.next_u32()};
    s.tuple.remote_port = static_cast<uint16_t>(1024 + rng.below(64000));
    s.isn = SeqNum{rng.next_u32()};
    s.mss = static_cast<uint16_t>(kSyncookieMssTable[rng.below(4)]);
  }
  return v;
}

constexpr size_t kBatch = 4096;

void BM_SyncookieEncode(benchmark::State& state) {
  Rng rng{1};
  const SynCookies sc = SynCookies::from_rng(rng);
  const auto syns = make_syns(kBatch);
  const Instant now = Instant::zero() + Duration::seconds(3600);
  size_t i = 0;
  for (auto _ : state) {
    const Syn& s = syns[i++ & (kBatch - 1)];
    SyncookieIsn c = sc.encode(s.tuple, s.isn, s.mss, now);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SyncookieEncode);

void BM_SyncookieDecode(benchmark::State& state) {
  Rng rng{1};
  const SynCookies sc = SynCookies::from_rng(rng);
  auto syns = make_syns(kBatch);
  const Instant now = Instant::zero() + Duration::seconds(3600);
  std::vector<SeqNum> acks(kBatch);
  for (size_t k = 0; k < kBatch; ++k)
    acks[k] = sc.encode(syns[k].tuple, syns[k].isn, syns[k].mss, now).isn + 1;
  size_t i = 0;
  int64_t valid = 0;
  for (auto _ : state) {
    const size_t k = i++ & (kBatch - 1);
    auto d = sc.decode(syns[k].tuple, acks[k], syns[k].isn + 1, now);
    valid += d.has_value() ? 1 : 0;
    benchmark::DoNotOptimize(valid);
  }
  if (valid != static_cast<int64_t>(state.iterations())) state.SkipWithError("cookie rejected");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SyncookieDecode);

// What a listener under a SYN flood computes per SYN in cookie mode: the cookie ISN and the
// TSval carrying the SYN's options. items_per_second is the SYN-with-cookie rate on one core.
void BM_SynWithCookieRate(benchmark::State& state) {
  Rng rng{1};
  const SynCookies sc = SynCookies::from_rng(rng);
  const auto syns = make_syns(kBatch);
  Instant now = Instant::zero() + Duration::seconds(3600);
  size_t i = 0;
  for (auto _ : state) {
    const Syn& s = syns[i++ & (kBatch - 1)];
    const SyncookieIsn c = sc.encode(s.tuple, s.isn, s.mss, now);
    const uint32_t tsval = SynCookies::encode_ts_options(
        static_cast<uint32_t>(now.ns() / 1'000'000),
        {.wscale_ok = true, .snd_wscale = 7, .sack_ok = true, .ecn_ok = false});
    benchmark::DoNotOptimize(c);
    benchmark::DoNotOptimize(tsval);
    now += Duration::nanos(1000);  // 1 M SYNs per simulated second
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["SYNs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynWithCookieRate);

void BM_FastOpenCookieValidate(benchmark::State& state) {
  Rng rng{2};
  const FastOpenServer keys{KeyedHash::from_rng(rng).key(), KeyedHash::from_rng(rng).key()};
  const auto syns = make_syns(kBatch);
  std::vector<wire::FastOpenCookie> cookies(kBatch);
  for (size_t k = 0; k < kBatch; ++k)
    cookies[k] = keys.cookie_for(syns[k].tuple.remote_addr, syns[k].tuple.local_addr);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & (kBatch - 1);
    auto m = keys.validate(syns[k].tuple.remote_addr, syns[k].tuple.local_addr, cookies[k]);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FastOpenCookieValidate);

void BM_FastOpenClientCacheGet(benchmark::State& state) {
  Rng rng{3};
  const auto cap = static_cast<size_t>(state.range(0));
  FastOpenClientCache cache{cap, KeyedHash::from_rng(rng)};
  const Ipv4Address local = Ipv4Address::from_octets(10, 0, 0, 1);
  for (size_t k = 0; k < cap; ++k)
    cache.set(local, Ipv4Address{static_cast<uint32_t>(0x0B000000 + k)}, 1460,
              wire::FastOpenCookie{.bytes = {1, 2, 3, 4, 5, 6, 7, 8}, .len = 8}, false, 0,
              Instant::zero());
  size_t i = 0;
  for (auto _ : state) {
    auto e = cache.get(local, Ipv4Address{static_cast<uint32_t>(0x0B000000 + (i++ % cap))});
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FastOpenClientCacheGet)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace synack::tcp
