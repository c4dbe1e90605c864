#include "tcp/sack_scoreboard.h"

#include <algorithm>

namespace synack::tcp {

using wire::seq_max;
using wire::seq_min;
using wire::SeqNum;

namespace {

uint32_t len(SeqNum from, SeqNum to) {
  return to > from ? static_cast<uint32_t>(to - from) : 0;
}

}  // namespace

void SackScoreboard::erase(uint32_t i, uint32_t n) {
  std::copy(ranges_.begin() + i + n, ranges_.begin() + count_, ranges_.begin() + i);
  count_ -= n;
}

uint32_t SackScoreboard::mark(SeqNum left, SeqNum right) {
  if (!(left < right)) return 0;
  // First range that ends at or after `left` (touching ranges merge).
  uint32_t i = 0;
  while (i < count_ && ranges_[i].right < left)
    ++i;
  // Ranges [i, j) overlap or touch the new one.
  uint32_t j = i;
  uint32_t already = 0;
  SeqNum l = left;
  SeqNum r = right;
  while (j < count_ && ranges_[j].left <= right) {
    already += len(seq_max(ranges_[j].left, left), seq_min(ranges_[j].right, right));
    l = seq_min(l, ranges_[j].left);
    r = seq_max(r, ranges_[j].right);
    ++j;
  }
  const uint32_t added = len(left, right) - already;
  if (j > i) {
    ranges_[i] = Range{l, r};
    erase(i + 1, j - i - 1);
    return added;
  }
  if (count_ == kMaxRanges) {
    // Full: forget the highest range (see the header: forgetting is safe). If the new range
    // is itself the highest, it is the one forgotten.
    if (i == count_) return 0;
    --count_;
  }
  std::copy_backward(ranges_.begin() + i, ranges_.begin() + count_, ranges_.begin() + count_ + 1);
  ranges_[i] = Range{left, right};
  ++count_;
  return added;
}

void SackScoreboard::advance(SeqNum una) {
  uint32_t drop = 0;
  while (drop < count_ && ranges_[drop].right <= una)
    ++drop;
  erase(0, drop);
  if (count_ > 0 && ranges_[0].left < una) ranges_[0].left = una;
  if (high_rxt < una) high_rxt = una;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < rxt_count_; ++i) {
    if (!(rxts_[i].seq < una)) rxts_[kept++] = rxts_[i];
  }
  rxt_count_ = kept;
}

void SackScoreboard::note_retransmit(SeqNum seq, SeqNum fence) {
  for (uint32_t i = 0; i < rxt_count_; ++i) {
    if (rxts_[i].seq == seq) {
      rxts_[i].fence = fence;
      return;
    }
  }
  if (rxt_count_ < kMaxRetransmits) rxts_[rxt_count_++] = Retransmit{seq, fence};
}

bool SackScoreboard::retransmit_lost(SeqNum una, SeqNum snd_max, uint32_t mss) {
  for (uint32_t i = 0; i < rxt_count_; ++i) {
    if (rxts_[i].seq != una) continue;
    if (sacked_between(rxts_[i].fence, snd_max) <= uint64_t{kDupThresh - 1} * mss) return false;
    rxts_[i] = rxts_[--rxt_count_];
    return true;
  }
  return false;
}

bool SackScoreboard::reneged_at(SeqNum una) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (ranges_[i].left <= una && una < ranges_[i].right) return true;
  }
  return false;
}

SeqNum SackScoreboard::skip_sacked(SeqNum seq) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (ranges_[i].left <= seq && seq < ranges_[i].right) return ranges_[i].right;
  }
  return seq;
}

SeqNum SackScoreboard::hole_end(SeqNum seq, SeqNum limit) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (ranges_[i].left > seq) return seq_min(ranges_[i].left, limit);
  }
  return limit;
}

uint32_t SackScoreboard::sacked_between(SeqNum from, SeqNum to) const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    n += len(seq_max(ranges_[i].left, from), seq_min(ranges_[i].right, to));
  }
  return n;
}

SeqNum SackScoreboard::lost_end(SeqNum una, uint32_t mss) const {
  // RFC 6675 IsLost(S): more than (DupThresh - 1) * SMSS SACKed bytes above S. Summing the
  // ranges from the top, the first range at which the sum passes that amount is where the
  // holes below start being lost.
  const uint64_t threshold = uint64_t{kDupThresh - 1} * mss;
  uint64_t above = 0;
  for (uint32_t i = count_; i-- > 0;) {
    above += len(ranges_[i].left, ranges_[i].right);
    if (above > threshold) return ranges_[i].left;
  }
  return una;
}

SeqNum SackScoreboard::highest_sacked(SeqNum una) const {
  return count_ == 0 ? una : ranges_[count_ - 1].right;
}

SackScoreboard::Flight SackScoreboard::flight(SeqNum una, SeqNum snd_max, SeqNum snd_nxt,
                                              uint32_t mss, Mode mode) const {
  Flight f;
  f.outstanding = len(una, snd_max);
  f.sacked = sacked_between(una, snd_max);
  switch (mode) {
    case Mode::kOpen:
      break;
    case Mode::kRecovery: {
      const SeqNum lost = seq_min(lost_end(una, mss), snd_max);
      f.lost = len(una, lost) - sacked_between(una, lost);
      const SeqNum rxt = seq_min(high_rxt, snd_max);
      f.retrans = len(una, rxt) - sacked_between(una, rxt);
      break;
    }
    case Mode::kLoss: {
      // tcp_enter_loss(): every unSACKed byte is lost; the go-back-N pass has re-sent those
      // below snd_nxt.
      f.lost = f.outstanding - f.sacked;
      const SeqNum nxt = seq_min(seq_max(snd_nxt, una), snd_max);
      f.retrans = len(una, nxt) - sacked_between(una, nxt);
      break;
    }
  }
  return f;
}

}  // namespace synack::tcp
