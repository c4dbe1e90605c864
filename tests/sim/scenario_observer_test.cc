// The rig's Observer hook (sim/scenarios/scenario.h): a look at T sees every event at or before
// T and none after it, looking changes nothing in the run, and finished() comes once at the end.
#include <gtest/gtest.h>

#include <vector>

#include "sim/scenarios/scenario.h"
#include "stack/stack.h"

namespace synack::sim::scenarios {
namespace {

using namespace synack::literals;

// Records the client's SYN-SENT retransmission count at each time asked for.
class Recorder final : public Observer {
 public:
  explicit Recorder(std::vector<Instant> at) : at_(std::move(at)) {}
  [[nodiscard]] Instant next_look() const override {
    return next_ < at_.size() ? at_[next_] : Instant::infinite();
  }
  void look(Instant at, const Stack& client, const Stack& /*server*/) override {
    EXPECT_EQ(at, at_[next_]);
    ++next_;
    int retransmits = -1;
    for (const SocketSnapshot& r : client.snapshot(at))
      if (r.state == tcp::State::kSynSent) retransmits = static_cast<int>(r.retransmits);
    seen.push_back(retransmits);
  }
  void finished(Instant now, const Stack& client, const Stack& /*server*/) override {
    ++finished_calls;
    end = now;
    end_rows = client.snapshot(now).size();
  }
  void stepped(Instant /*now*/, uint64_t events) override { last_events = events; }

  std::vector<int> seen;
  int finished_calls = 0;
  Instant end;
  size_t end_rows = 99;
  uint64_t last_events = 0;

 private:
  std::vector<Instant> at_;
  size_t next_ = 0;
};

TEST(ScenarioObserver, LooksBetweenEventsAtExactlyTheTimesAsked) {
  const Scenario* s = find("syn-lost");
  ASSERT_NE(s, nullptr);
  // The SYN is resent at exactly 1 s and 3 s (SPEC §4.6): just before, the count is one less.
  Recorder rec({Instant::zero() + 999_ms, Instant::zero() + 1_s, Instant::zero() + 2999_ms,
                Instant::zero() + 3_s, Instant::zero() + 200_s});
  RunContext ctx;
  ctx.quiet = true;
  ctx.observer = &rec;
  const Outcome with = s->run(ctx);
  EXPECT_TRUE(with.ok) << with.summary;
  // 200 s is after the story ended (ETIMEDOUT at 127 s): not looked at by the rig.
  EXPECT_EQ(rec.seen, (std::vector<int>{0, 1, 1, 2}));
  EXPECT_EQ(rec.finished_calls, 1);
  EXPECT_EQ(rec.end, Instant::zero() + 127_s);
  EXPECT_EQ(rec.end_rows, 0u);  // the client's connection is gone
  EXPECT_GT(rec.last_events, 7u);

  RunContext plain;
  plain.quiet = true;
  const Outcome without = s->run(plain);
  EXPECT_EQ(without.summary, with.summary);  // looking changed nothing
}

}  // namespace
}  // namespace synack::sim::scenarios
